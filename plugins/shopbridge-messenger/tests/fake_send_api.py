"""A local fake of the Messenger Send API that judges every request by Meta's published reference.

Rules transcribed from Meta's Messenger Platform docs (no official machine-readable spec exists): the Send API
reference (developers.facebook.com/docs/messenger-platform/reference/send-api), the generic template
(…/send-messages/template/generic) and the buttons reference (…/reference/buttons/url). Top-level parameter
names and enums match the ``POST messages`` edge of the Page node in Meta's facebook-business-sdk-codegen specs.
A request that breaks a rule gets the Graph error shape and is recorded as a violation; the ``messenger_api``
fixture fails the test on any violation.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from jsonschema import Draft202012Validator
from werkzeug.wrappers import Request, Response

from shopbridge.testing_http import LoopbackServer

URL_BUTTON = {  # UrlButton: type web_url, url, title 1-20
    "type": "object", "additionalProperties": False, "required": ["type", "url", "title"],
    "properties": {"type": {"const": "web_url"}, "url": {"type": "string", "pattern": "^https?://"},
                   "title": {"type": "string", "minLength": 1, "maxLength": 20},
                   "webview_height_ratio": {"enum": ["compact", "tall", "full"]},
                   "messenger_extensions": {"type": "boolean"}, "fallback_url": {"type": "string"},
                   "webview_share_button": {"const": "hide"}}}
POSTBACK_BUTTON = {  # PostbackButton: title 1-20, payload ≤ 1000
    "type": "object", "additionalProperties": False, "required": ["type", "title", "payload"],
    "properties": {"type": {"const": "postback"}, "title": {"type": "string", "minLength": 1, "maxLength": 20},
                   "payload": {"type": "string", "maxLength": 1000}}}
BUTTON = {"oneOf": [URL_BUTTON, POSTBACK_BUTTON]}
GENERIC = {  # GenericTemplatePayload: 1-10 elements; element title 1-80, subtitle ≤ 80, 1-3 buttons
    "type": "object", "additionalProperties": False, "required": ["template_type", "elements"],
    "properties": {"template_type": {"const": "generic"}, "image_aspect_ratio": {"enum": ["horizontal", "square"]},
                   "sharable": {"type": "boolean"}, "elements": {
                       "type": "array", "minItems": 1, "maxItems": 10, "items": {
                           "type": "object", "additionalProperties": False, "required": ["title"], "minProperties": 2,
                           "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 80},
                                          "subtitle": {"type": "string", "maxLength": 80},
                                          "image_url": {"type": "string", "pattern": "^https?://"},
                                          "default_action": {"type": "object", "additionalProperties": False,
                                                             "required": ["type", "url"], "properties": {
                                                                 "type": {"const": "web_url"},
                                                                 "url": {"type": "string"},
                                                                 "webview_height_ratio": {
                                                                     "enum": ["compact", "tall", "full"]}}},
                                          "buttons": {"type": "array", "minItems": 1, "maxItems": 3,
                                                      "items": BUTTON}}}}}}
MESSAGE = {  # Message: exactly one of text (1-2000) / attachment; quick_replies ≤ 13
    "type": "object", "additionalProperties": False,
    "oneOf": [{"required": ["text"], "not": {"required": ["attachment"]}},
              {"required": ["attachment"], "not": {"required": ["text"]}}],
    "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 2000},
                   "attachment": {"type": "object", "additionalProperties": False, "required": ["type", "payload"],
                                  "properties": {"type": {"enum": ["image", "audio", "video", "file", "template"]},
                                                 "payload": {"type": "object"}},
                                  "if": {"properties": {"type": {"const": "template"}}},
                                  "then": {"properties": {"payload": GENERIC}}},
                   "quick_replies": {"type": "array", "maxItems": 13},
                   "metadata": {"type": "string", "maxLength": 1000}}}
SEND_REQUEST = {  # SendRequest + the reference's rules: message XOR sender_action; messaging_type required
    "type": "object", "additionalProperties": False, "required": ["recipient"],
    "oneOf": [{"required": ["message", "messaging_type"], "not": {"required": ["sender_action"]}},
              {"required": ["sender_action"], "not": {"required": ["message"]}}],
    "properties": {
        "recipient": {"type": "object", "additionalProperties": False, "minProperties": 1, "maxProperties": 1,
                      "properties": {"id": {"type": ["string", "integer"]}, "user_ref": {"type": "string"},
                                     "comment_id": {"type": "string"}, "post_id": {"type": "string"}}},
        "messaging_type": {"enum": ["RESPONSE", "UPDATE", "MESSAGE_TAG", "UTILITY"]},
        "message": MESSAGE,
        "sender_action": {"enum": ["typing_on", "typing_off", "mark_seen"]},
        "notification_type": {"enum": ["REGULAR", "SILENT_PUSH", "NO_PUSH"]},
        "tag": {"enum": ["CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE", "HUMAN_AGENT",
                         "CUSTOMER_FEEDBACK"]},
    },
    # tag is required iff messaging_type == MESSAGE_TAG
    "if": {"properties": {"messaging_type": {"const": "MESSAGE_TAG"}}, "required": ["messaging_type"]},
    "then": {"required": ["tag"]}, "else": {"not": {"required": ["tag"]}},
}
VALIDATOR = Draft202012Validator(SEND_REQUEST)


def graph_error(code: int, message: str, status: int = 400, subcode: int | None = None):
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AmessengerFake"}
    if subcode:
        error["error_subcode"] = subcode
    return status, {"error": error}


class FakeSendAPI:
    def __init__(self, *, token: str, page_id: str, version: str = "v23.0"):
        self.token, self.page_id, self.version = token, page_id, version
        self.sent: list[dict[str, Any]] = []
        self.violations: list[str] = []
        self._ids = itertools.count(1)
        self._http = LoopbackServer(self._wsgi)
        self.base_url = self._http.url

    def __enter__(self) -> FakeSendAPI:
        self._http.start()
        return self

    def __exit__(self, *exc) -> None:
        self._http.stop()

    def take_violations(self) -> list[str]:
        taken, self.violations = self.violations, []
        return taken

    def _wsgi(self, environ, start_response):
        status, body = self._handle(Request(environ))
        return Response(json.dumps(body), status=status, content_type="application/json")(environ, start_response)

    def _handle(self, request: Request):
        if request.headers.get("Authorization") != f"Bearer {self.token}" and request.args.get("access_token") != self.token:
            return graph_error(190, "Invalid OAuth access token.", status=401)
        match = re.fullmatch(r"/(v\d+\.\d+)/([^/]+)(/messages)?", request.path)
        if not match or match.group(1) != self.version:
            self.violations.append(f"{request.method} {request.path}: not a Graph API path")
            return graph_error(100, "Unknown path components")
        node, edge = match.group(2), match.group(3)
        if request.method == "GET" and node == self.page_id and not edge:
            return 200, {"name": "Acme Ceramics", "id": self.page_id}
        if request.method == "POST" and edge == "/messages" and node in ("me", self.page_id):
            body = json.loads(request.get_data() or b"null")
            self.sent.append(body)
            problems = [f"{'.'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
                        for e in VALIDATOR.iter_errors(body)]
            if problems:
                self.violations.extend(f"me/messages: {p}" for p in problems)
                return graph_error(100, f"(#100) {problems[0]}")
            return 200, {"recipient_id": str(body["recipient"].get("id")), "message_id": f"m_FAKE{next(self._ids):05d}"}
        self.violations.append(f"{request.method} {request.path}: no such Send API endpoint")
        return graph_error(100, "Unsupported request")
