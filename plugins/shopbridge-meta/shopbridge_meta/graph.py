"""Calling Meta's Graph API for one channel: versioned URLs, the token, ``appsecret_proof`` and Meta's errors.

Graph errors come as ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`` with HTTP 400
or 403 for almost everything, so the *code* decides what happened: 190 is a dead token, 4/17/32/613 and the
80000-range are rate limits, 10 and 200-299 are missing permissions (Graph API "Handling Errors" guide).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any

from shopbridge.channels import AuthError, ChannelContext, PlatformError, RateLimited

DEFAULT_GRAPH_URL = "https://graph.facebook.com"
GRAPH_URL_ENV = "SHOPBRIDGE_META_GRAPH_URL"
#: The newest Graph API version when this plugin was written; the channel setting overrides it.
DEFAULT_VERSION = "v25.0"

RATE_LIMIT_CODES = {4, 17, 32, 613, 80001, 80002, 80003, 80004, 80005, 80006, 80008, 80009, 80014}
PERMISSION_CODES = {10, *range(200, 300)}
TOKEN_CODES = {102, 190}
#: Instagram's "maximum number of posts … published by Content Publishing API" (50 in a moving 24 hours).
IG_DAILY_LIMIT_SUBCODE = 2207042


def base_url(channel: ChannelContext) -> str:
    root = channel.setting("graph_url") or os.environ.get(GRAPH_URL_ENV) or DEFAULT_GRAPH_URL
    return f"{root.rstrip('/')}/{channel.setting('graph_version', DEFAULT_VERSION)}"


ID_LABELS = {"page_id": "Page id", "ig_user_id": "Instagram professional account id", "catalog_id": "catalogue id",
             "pixel_id": "pixel id"}


def node_id(channel: ChannelContext, name: str) -> str:
    """A Graph node id from the settings; a dry-run channel without it shows ``{page_id}`` in the outbox."""
    value = channel.setting(name)
    if value:
        return str(value)
    if channel.dry_run:
        return "{" + name + "}"
    raise PlatformError(f"Set the {ID_LABELS.get(name, name)} in the channel settings first.")


def appsecret_proof(token: str, app_secret: str) -> str:
    """HMAC-SHA256 of the access token keyed with the app secret, which apps requiring it must send."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def call(channel: ChannelContext, method: str, path: str, *, params: dict[str, Any] | None = None,
         form: dict[str, Any] | None = None, json_body: Any = None, token_setting: str = "access_token",
         dry_run_response: Any = None) -> dict[str, Any]:
    """One Graph request; returns the JSON answer or raises the matching :class:`PlatformError`.

    ``form`` values that are lists or dicts are JSON-encoded, as Graph expects for ``map``/``list`` parameters.
    """
    token = channel.setting(token_setting)
    if not token and channel.dry_run:
        token = "dry-run-token"  # a demo channel without credentials: the request is only recorded
    if not token:
        raise AuthError("This channel has no access token yet: connect your Facebook Page in the channel settings.")
    query = dict(params or {})
    secret = channel.setting("app_secret")
    if secret and channel.setting(token_setting):
        query["appsecret_proof"] = appsecret_proof(token, secret)
    data = None
    if form is not None:
        data = {k: json.dumps(v, separators=(",", ":")) if isinstance(v, list | dict) else
                ("true" if v is True else "false" if v is False else v) for k, v in form.items()}
    try:
        response = channel.http.request(method, base_url(channel) + path, params=query or None, data=data,
                                        json_body=json_body, headers={"Authorization": f"Bearer {token}"},
                                        dry_run_response=dry_run_response if dry_run_response is not None else {})
    except RateLimited as exc:
        raise RateLimited("Meta is limiting how fast we may call it; we will try again later.",
                          retry_after=exc.retry_after) from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 400 or (isinstance(body, dict) and "error" in body):
        raise error_from(response.status_code, body if isinstance(body, dict) else {}, response.headers)
    return body if isinstance(body, dict) else {"data": body}


def error_from(status: int, body: dict[str, Any], headers: Any = None) -> PlatformError:
    """Meta's error object in words a shop owner can act on."""
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    code = error.get("code")
    said = str(error.get("error_user_msg") or error.get("message") or f"HTTP {status}").strip()
    # "100:33" keeps the subcode that tells e.g. "does not exist" (33) from other invalid-parameter errors.
    code_text = (f"{code}:{error['error_subcode']}" if error.get("error_subcode") else str(code)) \
        if code is not None else None
    if code in TOKEN_CODES or status == 401:
        return AuthError(f"Meta no longer accepts this channel's access token ({said}). Generate a new Page "
                         "access token and paste it into the channel settings.", status=status, code=code_text)
    if error.get("error_subcode") == IG_DAILY_LIMIT_SUBCODE:
        return RateLimited("Instagram allows 50 posts a day through its API and this account has reached it; the "
                           "post goes out when the 24-hour window allows.", retry_after=3600.0, status=status,
                           code=code_text)
    if code in RATE_LIMIT_CODES:
        return RateLimited(f"Meta is limiting how fast we may call it ({said}); we will try again later.",
                           retry_after=_regain_seconds(headers), status=status, code=code_text)
    if code in PERMISSION_CODES or status == 403:
        return AuthError(f"Meta says this app may not do that ({said}). Check the permissions granted to the app "
                         "and the Page role of the person who created the token.", status=status, code=code_text)
    transient = bool(error.get("is_transient")) or code in (1, 2)
    return PlatformError(f"Meta refused the request: {said}", status=status, code=code_text, transient=transient)


def _regain_seconds(headers: Any) -> float | None:
    """Minutes until access returns, from Meta's business-use-case usage header, in seconds."""
    if not headers:
        return None
    raw = headers.get("X-Business-Use-Case-Usage") or headers.get("x-business-use-case-usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
        minutes = max(entry.get("estimated_time_to_regain_access", 0)
                      for entries in usage.values() for entry in entries)
    except (ValueError, AttributeError, TypeError):
        return None
    return float(minutes) * 60 if minutes else None
