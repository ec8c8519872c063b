"""Problem details for HTTP APIs (RFC 9457): every API error is ``application/problem+json``.

A problem has a ``type`` (a URI naming the kind of problem), a ``title`` (the same for every occurrence of that
type), the HTTP ``status``, a ``detail`` for this occurrence and, for invalid input, ``errors``: a list of
``{"field": "variants.0.sku", "message": "..."}`` a client can show next to the right input.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Response, json

PROBLEM_MIMETYPE = "application/problem+json"
TYPE_BASE = "https://shopbridge.dev/problems/"


def problem(status: int, detail: str | None = None, *, type_: str | None = None, title: str | None = None,
            errors: list[dict[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    body: dict[str, Any] = {
        "type": TYPE_BASE + (type_ or phrase.lower().replace(" ", "-")),
        "title": title or phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def problem_response(status: int, detail: str | None = None, **kwargs: Any) -> Response:
    body = problem(status, detail, **kwargs)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="shopbridge"'
    return response


def flatten_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn nested validation messages (marshmallow's shape) into ``[{"field", "message"}]``."""
    found: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                name = prefix
            found.extend(flatten_errors(value, name))
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            found.extend({"field": prefix, "message": m} for m in messages)
        else:
            for item in messages:
                found.extend(flatten_errors(item, prefix))
    else:
        found.append({"field": prefix, "message": str(messages)})
    return found
