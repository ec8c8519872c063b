"""A local fake of the WhatsApp Cloud API that judges every request by Meta's published reference.

Rules are transcribed from Meta's OpenAPI description of the Business Messaging API v23.0
(github.com/facebook/openapi, ``business-messaging-api_v23.0.yaml``: ``Message``, ``BaseMessageProperties``,
``TextMessage``, ``InteractiveObject``, ``ActionObject``, ``HeaderObject``, ``BodyObject``, ``FooterObject``,
``SectionObject``, ``TemplateObject``, ``LanguageObject``) with the corrections Meta's Messages reference
documents where the OpenAPI file lags behind: interactive ``cta_url`` (developers.facebook.com → WhatsApp →
Interactive CTA URL messages), ``text.body`` required and ≤ 4096, ``recipient_type`` and
``language.policy`` optional. A request that breaks a rule gets the Graph error shape
(``{"error": {"message": "(#100) ...", "type": "OAuthException", "code": 100, ...}}``) AND is recorded as a
violation; the ``whatsapp_api`` fixture fails the test on any violation.

The fake also knows the 24-hour customer-service window: a free-form message to a customer whose last message
is older than 24 hours is what the real API accepts and then fails with status 131047 — here it is a violation,
because the plugin must never send one.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from jsonschema import Draft202012Validator
from werkzeug.wrappers import Request, Response

from shopbridge.testing_http import LoopbackServer

MEDIA = {"type": "object", "additionalProperties": False, "minProperties": 1,
         "properties": {"id": {"type": "string"}, "link": {"type": "string", "pattern": "^https?://"},
                        "caption": {"type": "string", "maxLength": 1024}, "filename": {"type": "string"}}}
HEADER = {  # HeaderObject: type text|image|video|document; text ≤ 60
    "type": "object", "additionalProperties": False, "required": ["type"],
    "properties": {"type": {"enum": ["text", "image", "video", "document"]}, "text": {"type": "string", "maxLength": 60},
                   "image": MEDIA, "video": MEDIA, "document": MEDIA},
    "allOf": [{"if": {"properties": {"type": {"const": kind}}}, "then": {"required": [kind]}}
              for kind in ("text", "image", "video", "document")],
}
BODY = {"type": "object", "additionalProperties": False, "required": ["text"],
        "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 1024}}}
FOOTER = {"type": "object", "additionalProperties": False, "required": ["text"],
          "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 60}}}

ACTIONS = {
    # overlay: X_CtaUrlAction {name: "cta_url", parameters: {display_text ≤ 20, url}}
    "cta_url": {"type": "object", "additionalProperties": False, "required": ["name", "parameters"],
                "properties": {"name": {"const": "cta_url"}, "parameters": {
                    "type": "object", "additionalProperties": False, "required": ["display_text", "url"],
                    "properties": {"display_text": {"type": "string", "minLength": 1, "maxLength": 20},
                                   "url": {"type": "string", "pattern": "^https?://"}}}}},
    # ActionObject, Single Product Message: catalog_id + product_retailer_id
    "product": {"type": "object", "additionalProperties": False, "required": ["catalog_id", "product_retailer_id"],
                "properties": {"catalog_id": {"type": "string"}, "product_retailer_id": {"type": "string"}}},
    # ActionObject + SectionObject, Multi-Product Message: 1-10 sections, 1-30 product_items, title ≤ 24
    "product_list": {"type": "object", "additionalProperties": False, "required": ["catalog_id", "sections"],
                     "properties": {"catalog_id": {"type": "string"}, "sections": {
                         "type": "array", "minItems": 1, "maxItems": 10, "items": {
                             "type": "object", "additionalProperties": False, "required": ["product_items"],
                             "properties": {"title": {"type": "string", "maxLength": 24}, "product_items": {
                                 "type": "array", "minItems": 1, "maxItems": 30, "items": {
                                     "type": "object", "additionalProperties": False,
                                     "required": ["product_retailer_id"],
                                     "properties": {"product_retailer_id": {"type": "string"}}}}}}}}},
    # ActionObject, Reply Buttons: 1-3 buttons {type: reply, reply: {id ≤ 256, title ≤ 20}}
    "button": {"type": "object", "additionalProperties": False, "required": ["buttons"], "properties": {"buttons": {
        "type": "array", "minItems": 1, "maxItems": 3, "items": {
            "type": "object", "required": ["type", "reply"], "properties": {
                "type": {"const": "reply"}, "reply": {"type": "object", "required": ["id", "title"], "properties": {
                    "id": {"type": "string", "maxLength": 256}, "title": {"type": "string", "maxLength": 20}}}}}}}},
}


def _interactive(kind: str, *, header: str, body: str) -> dict[str, Any]:
    """InteractiveObject for one type. header/body: "required", "optional" or "forbidden" (per the reference:
    header required for product_list and forbidden for product; body optional only for product)."""
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False, "required": ["type", "action"],
                              "properties": {"type": {"const": kind}, "action": ACTIONS[kind], "footer": FOOTER}}
    for name, rule, part in (("header", header, HEADER), ("body", body, BODY)):
        if rule != "forbidden":
            schema["properties"][name] = part
        if rule == "required":
            schema["required"].append(name)
    return schema


INTERACTIVE = {
    "cta_url": _interactive("cta_url", header="optional", body="required"),
    "product": _interactive("product", header="forbidden", body="optional"),
    "product_list": _interactive("product_list", header="required", body="required"),
    "button": _interactive("button", header="optional", body="required"),
}

BASE = {  # BaseMessageProperties (recipient_type optional per the overlay)
    "messaging_product": {"const": "whatsapp"}, "recipient_type": {"enum": ["individual", "group"]},
    "to": {"type": "string", "minLength": 1}, "context": {"type": "object", "additionalProperties": False,
                                                          "properties": {"message_id": {"type": "string"}}},
    "biz_opaque_callback_data": {"type": "string", "maxLength": 512},
}


def _message(kind: str, content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": ["messaging_product", "to", "type", kind],
            "properties": {**BASE, "type": {"const": kind}, kind: content}}


MESSAGES = {
    # TextMessage: text.body required, ≤ 4096; preview_url boolean
    "text": _message("text", {"type": "object", "additionalProperties": False, "required": ["body"], "properties": {
        "body": {"type": "string", "minLength": 1, "maxLength": 4096}, "preview_url": {"type": "boolean"}}}),
    # TemplateMessage: template.name + language.code required; components checked for their type only
    "template": _message("template", {"type": "object", "additionalProperties": False, "required": ["name", "language"],
                                      "properties": {"name": {"type": "string", "pattern": "^[a-z0-9_]{1,512}$"},
                                                     "language": {"type": "object", "required": ["code"], "properties": {
                                                         "code": {"type": "string"},
                                                         "policy": {"const": "deterministic"}}},
                                                     "components": {"type": "array", "items": {
                                                         "type": "object", "required": ["type"], "properties": {
                                                             "type": {"enum": ["header", "body", "button", "footer",
                                                                               "carousel", "limited_time_offer"]}}}}}}),
    "image": _message("image", MEDIA),
    "interactive": _message("interactive", {"type": "object", "required": ["type"],
                                            "properties": {"type": {"enum": sorted(INTERACTIVE)}}}),
}
VALIDATORS = {kind: Draft202012Validator(schema) for kind, schema in MESSAGES.items()}
INTERACTIVE_VALIDATORS = {kind: Draft202012Validator(schema) for kind, schema in INTERACTIVE.items()}
FREE_FORM = {"text", "image", "interactive"}
WINDOW = timedelta(hours=24)


def graph_error(code: int, message: str, details: str = "", status: int = 400) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"message": message, "type": "OAuthException", "code": code,
                              "error_data": {"messaging_product": "whatsapp", "details": details or message},
                              "fbtrace_id": "AbCdEfGhIjK"}}


class FakeCloudAPI:
    def __init__(self, *, token: str, phone_number_id: str, version: str = "v23.0", cart_enabled: bool = True):
        self.token, self.phone_number_id, self.version = token, phone_number_id, version
        self.cart_enabled = cart_enabled
        self.sent: list[dict[str, Any]] = []
        self.violations: list[str] = []
        self.last_inbound: dict[str, datetime] = {}
        self.now = lambda: datetime.now(UTC)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._http = LoopbackServer(self._wsgi)
        self.base_url = self._http.url

    def __enter__(self) -> FakeCloudAPI:
        self._http.start()
        return self

    def __exit__(self, *exc) -> None:
        self._http.stop()

    def customer_wrote(self, wa_id: str, at: datetime) -> None:
        """The platform saw an inbound message from ``wa_id`` (it opens the customer-service window)."""
        self.last_inbound[wa_id] = max(at, self.last_inbound.get(wa_id, at))

    def take_violations(self) -> list[str]:
        taken, self.violations = self.violations, []
        return taken

    def _wsgi(self, environ, start_response):
        status, body = self._handle(Request(environ))
        return Response(json.dumps(body), status=status, content_type="application/json")(environ, start_response)

    def _handle(self, request: Request) -> tuple[int, dict[str, Any]]:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return graph_error(190, "Invalid OAuth access token - Cannot parse access token", status=401)
        match = re.fullmatch(r"/(v\d+\.\d+)/(\d+)(/[a-z_]+)?", request.path)
        if not match or match.group(1) != self.version or match.group(2) != self.phone_number_id:
            self.violations.append(f"{request.method} {request.path}: not a Cloud API path for this number")
            return graph_error(100, "Unsupported request - method type: " + request.method.lower())
        edge = match.group(3) or ""
        if request.method == "GET" and edge == "":  # WhatsApp Business Phone Number node
            return 200, {"display_phone_number": "+1 555-078-3881", "verified_name": "Acme Ceramics",
                         "quality_rating": "GREEN", "id": self.phone_number_id}
        if request.method == "GET" and edge == "/whatsapp_commerce_settings":
            return 200, {"data": [{"is_cart_enabled": self.cart_enabled, "is_catalog_visible": True, "id": "1"}]}
        if request.method == "POST" and edge == "/messages":
            return self._message(request)
        self.violations.append(f"{request.method} {request.path}: no such Cloud API endpoint")
        return graph_error(100, "Unsupported request")

    def _message(self, request: Request) -> tuple[int, dict[str, Any]]:
        if request.mimetype != "application/json":
            self.violations.append(f"messages: body must be JSON, got {request.mimetype}")
        try:
            body = json.loads(request.get_data() or b"null")
        except ValueError:
            body = None
        kind = body.get("type") if isinstance(body, dict) else None
        problems: list[str] = []
        if kind not in VALIDATORS:
            problems.append(f"type: {kind!r} is not a message type this fake knows (Message.discriminator)")
        else:
            problems += [f"{'.'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
                         for e in VALIDATORS[kind].iter_errors(body)]
            if kind == "interactive" and not problems:
                interactive = body["interactive"]
                problems += [f"interactive.{'.'.join(map(str, e.absolute_path))}: {e.message}"
                             for e in INTERACTIVE_VALIDATORS[interactive["type"]].iter_errors(interactive)]
                sections = (interactive.get("action") or {}).get("sections") or []
                if sum(len(s.get("product_items", [])) for s in sections) > 30:
                    problems.append("interactive.action.sections: at most 30 products in all")
                if len(sections) > 1 and not all(s.get("title") for s in sections):
                    problems.append("interactive.action.sections: title required with more than one section")
        with self._lock:
            self.sent.append(body if isinstance(body, dict) else {})
            if problems:
                self.violations.extend(f"messages: {p}" for p in problems)
                return graph_error(100, "(#100) Invalid parameter", problems[0])
            if kind in FREE_FORM:
                last = self.last_inbound.get(body["to"])
                if last is None or self.now() - last >= WINDOW:
                    # The real API answers 200 and later reports status "failed" with error 131047.
                    self.violations.append(f"messages: free-form {kind} to {body['to']} outside the 24-hour "
                                           "customer service window (131047 Re-engagement message)")
            return 200, {"messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                         "messages": [{"id": f"wamid.FAKE{next(self._ids):06d}"}]}
