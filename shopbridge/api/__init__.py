"""The JSON API under ``/api/v1``, documented by an OpenAPI 3 document generated from the code.

flask-smorest builds the OpenAPI document from the marshmallow schemas and the route declarations, validates
input with webargs, and :mod:`shopbridge.api.docs` serves it with interactive docs. Every error leaves as
``application/problem+json`` (:mod:`shopbridge.problems`). Authentication is ``Authorization: Bearer <token>``
only; the admin's session cookie is ignored here, which is also why CSRF protection does not apply to the API
blueprints (a cross-site page can make a browser send cookies, never a bearer token).

See ``docs/api.md`` for the client's view.
"""

from __future__ import annotations

import copy
import http
import json
from typing import Any

from flask import Flask, g, request
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.utils import prepare_response
from webargs import core
from webargs.flaskparser import FlaskParser, abort
from werkzeug.exceptions import HTTPException

from shopbridge import db
from shopbridge.accounts import service as accounts
from shopbridge.extensions import csrf
from shopbridge.problems import PROBLEM_MIMETYPE, flatten_errors, problem_response

API_PREFIX = "/api/"

# Statuses every operation may answer with, named in the OpenAPI document as problem responses.
AUTH_DETAIL = {
    None: "This API needs a personal API token: send it as “Authorization: Bearer <token>”. Create one in the "
          "admin under your profile → API tokens.",
    "invalid": "The API token is wrong, revoked, or belongs to a deactivated user.",
}


class ApiParser(FlaskParser):
    """webargs' Flask parser with answers a person understands for bodies that are not JSON at all."""

    def _raw_load_json(self, req):  # noqa: ANN001 - webargs' signature
        if not core.is_json(req.mimetype):
            if not req.get_data(cache=True) and not req.mimetype:
                return core.missing  # no body at all: required fields are reported one by one
            abort(415, message=f"Send the request body as JSON with “Content-Type: application/json” "
                               f"(got “{req.mimetype or 'no content type'}”).")
        try:
            return core.parse_json(req.get_data(cache=True))
        except RecursionError:
            abort(400, message="The JSON body is nested too deeply.")

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):  # noqa: ANN001
        where = f" (line {error.lineno}, column {error.colno})" if isinstance(error, json.JSONDecodeError) else ""
        abort(400, message=f"The request body is not valid JSON{where}: {getattr(error, 'msg', error)}.")


class Blueprint(SmorestBlueprint):
    """flask-smorest's blueprint with shopbridge's parser, naming each operation after its view function."""

    ARGUMENTS_PARSER = ApiParser()

    def route(self, rule, *, parameters=None, **options):  # noqa: ANN001 - flask-smorest's signature
        register = super().route(rule, parameters=parameters, **options)

        def decorator(func):  # noqa: ANN001
            # A stable operationId (``list_products``) gives generated clients readable method names and the
            # interactive docs stable anchors.
            func._apidoc = copy.deepcopy(getattr(func, "_apidoc", {}))
            func._apidoc.setdefault("manual_doc", {}).setdefault("operationId", func.__name__)
            return register(func)

        return decorator


class ShopApi(Api):
    """flask-smorest's ``Api`` speaking problem+json, for API paths only."""

    def _register_responses(self) -> None:
        # flask-smorest registers one response per HTTP status with its own error schema as JSON; ours are
        # RFC 9457 problem documents, so the OpenAPI document says ``application/problem+json`` + ``Problem``.
        from shopbridge.api.schemas import ProblemSchema

        self.spec.components.schema("Problem", schema=ProblemSchema)
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = "Problem"
            prepare_response(response, self.spec, PROBLEM_MIMETYPE)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Any other error, as a problem document.", "schema": "Problem"}
        prepare_response(default, self.spec, PROBLEM_MIMETYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)

    def _register_error_handlers(self) -> None:
        # flask-smorest would register its handler for every HTTPException app-wide, turning the storefront's
        # and admin's error pages into JSON. Keep whatever the app had for other paths.
        previous = self._app.error_handler_spec[None][None].get(HTTPException)

        def handle(error: HTTPException):
            if request.path.startswith(API_PREFIX) or previous is None:
                return self.handle_http_exception(error)
            return previous(error)

        self._app.register_error_handler(HTTPException, handle)

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        messages = data.get("messages")
        errors = []
        if messages:
            for location_messages in messages.values():
                errors.extend(flatten_errors(location_messages))
        detail = data.get("message") or error.description
        status = error.code or 500
        if status == 422 and errors:
            detail = "Some fields are invalid; see errors."
        elif status == 401:
            detail = AUTH_DETAIL["invalid" if g.get("api_token_rejected") else None]
        elif status == 403:
            detail = "Your role does not allow this; ask the shop's owner."
        elif status == 404 and not data:
            detail = ("No such API endpoint; see /api/docs." if request.url_rule is None
                      else "Nothing with this id or slug exists.")
        elif status == 405:
            detail = f"{request.method} is not allowed here."
        elif status >= 500:
            detail = "Something went wrong on our side; nothing was changed. Please try again."
        response = problem_response(status, detail=detail, errors=errors or None,
                                    type_="validation-failed" if status == 422 else None)
        if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        if status == 401 and g.get("api_token_rejected"):
            response.headers["WWW-Authenticate"] = 'Bearer realm="shopbridge", error="invalid_token"'
        return response


def _authenticate() -> None:
    """Turn ``Authorization: Bearer <token>`` into ``g.api_user`` for API paths; nothing else authenticates."""
    if not request.path.startswith(API_PREFIX):
        return
    g.api_request = True
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        user = accounts.user_for_token(db.session(), token.strip())
        if user is None:
            g.api_token_rejected = True
        g.api_user = user
    elif header:
        g.api_token_rejected = True


def init_app(app: Flask) -> Api:
    app.config.setdefault("API_TITLE", "shopbridge")
    app.config.setdefault("API_VERSION", "v1")
    # 3.0.3 rather than 3.1: the Swagger UI shipped by swagger-ui-bundle (4.x) renders 3.0 only, and every
    # client generator reads 3.0.
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    # The document and the docs page are served by shopbridge.api.docs (with access rules and a CSP of their
    # own), not by flask-smorest's doc blueprint.
    app.config.setdefault("OPENAPI_URL_PREFIX", None)
    api = ShopApi(app, spec_kwargs={
        "info": {"description": "The shop's catalogue as JSON: products and their variants. Errors are "
                 "RFC 9457 problem documents. See docs/api.md for a guided tour."},
        "components": {"securitySchemes": {"bearerAuth": {
            "type": "http", "scheme": "bearer",
            "description": "A personal API token, created in the admin under your profile → API tokens."}}},
        "security": [{"bearerAuth": []}],
    })
    app.before_request(_authenticate)
    from shopbridge.api import docs, products, variants

    for blueprint in (products.blp, variants.blp):
        api.register_blueprint(blueprint)
        # Token-authenticated: a cross-site form cannot forge a bearer token, so CSRF tokens do not apply.
        csrf.exempt(blueprint)
    app.register_blueprint(docs.bp)
    app.extensions["shopbridge.api"] = api
    return api

