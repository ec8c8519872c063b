"""A local Pinterest API v5 that judges every request by Pinterest's published reference.

It serves real HTTP on 127.0.0.1 (werkzeug, in a thread), so the plugin's whole path — URL building, headers,
JSON, ``channel.http`` — is exercised. Each request is checked against rules taken from Pinterest's OpenAPI
document (github.com/pinterest/api-description ``v5/openapi.json``, spec 5.23.0; the section is cited next to
each rule). A request the real API would reject is answered 400 in Pinterest's error shape
(``{"code": 1, "message": ...}``) **and** recorded in :attr:`FakePinterest.violations`, which tests assert is
empty, so a wrong request fails the test even when the plugin swallows the error.

Scripted behaviour for tests: :meth:`fail_next` (e.g. a 429 with ``Retry-After``), :meth:`expire_token`,
:meth:`reject_item` (a per-item catalogue error reported in the batch status).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from werkzeug.wrappers import Request, Response

from shopbridge.testing_http import LoopbackServer

# --- the rules, as data ---------------------------------------------------------------------------------------
# A tiny JSON-schema subset: type, required, properties, additional (False = unknown keys rejected), maxLength,
# pattern, enum, minItems/maxItems, items, one_of_by (discriminator property -> schema).

_DIGITS = {"type": "string", "pattern": r"^\d+$"}
_NULLABLE_STR = {"type": "string", "nullable": True}

#: components.schemas.PinMediaSourceImageURL (the only media source the plugin uses; others are listed so that
#: a request using them is judged, not refused as unknown).
PIN_MEDIA_SOURCE = {
    "type": "object",
    "one_of_by": ("source_type", {
        "image_url": {"type": "object", "required": ["source_type", "url"], "additional": False,
                      "properties": {"source_type": {"type": "string"}, "url": {"type": "string"},
                                     "is_standard": {"type": "boolean"}}},
        "image_base64": {"type": "object", "required": ["source_type", "content_type", "data"]},
        "video_id": {"type": "object", "required": ["source_type", "media_id"]},
        "multiple_image_base64": {"type": "object", "required": ["source_type", "items"]},
        "multiple_image_urls": {"type": "object", "required": ["source_type", "items"]},
        "pin_url": {"type": "object", "required": ["source_type"]},
    }),
}

#: components.schemas.PinCreate (+ the hand-checked requirement of board_id and media_source: Pinterest's
#: "Create Pin" guide; the OpenAPI document lists no required fields but the API refuses a pin without them).
PIN_CREATE = {
    "type": "object", "required": ["board_id", "media_source"], "additional": False,
    "properties": {
        "link": {"type": "string", "maxLength": 2048, "nullable": True},
        "title": {"type": "string", "maxLength": 100, "nullable": True},
        "description": {"type": "string", "maxLength": 800, "nullable": True},
        "dominant_color": _NULLABLE_STR,
        "alt_text": {"type": "string", "maxLength": 500, "nullable": True},
        "board_id": _DIGITS,
        "board_section_id": {**_DIGITS, "nullable": True},
        "media_source": PIN_MEDIA_SOURCE,
        "parent_pin_id": {**_DIGITS, "nullable": True},
        "sponsor_id": {**_DIGITS, "nullable": True},
    },
}

#: components.schemas.PinUpdate
PIN_UPDATE = {
    "type": "object", "additional": False,
    "properties": {
        "alt_text": {"type": "string", "maxLength": 500, "nullable": True},
        "board_id": _DIGITS,
        "board_section_id": {**_DIGITS, "nullable": True},
        "description": {"type": "string", "maxLength": 800, "nullable": True},
        "link": {"type": "string", "maxLength": 2048, "nullable": True},
        "title": {"type": "string", "maxLength": 100, "nullable": True},
        "carousel_slots": {"type": "array"},
    },
}

#: components.schemas.Country (ISO 3166-1 alpha-2; the enum is the full list, a pattern is the faithful subset)
#: and CatalogsLocale / Language (the enums, verbatim).
COUNTRY = {"type": "string", "pattern": r"^[A-Z]{2}$"}
CATALOGS_LOCALE = (
    "af-ZA", "ar-SA", "bg-BG", "bn-IN", "cs-CZ", "da-DK", "de", "el-GR", "en-AU", "en-CA", "en-GB", "en-IN",
    "en-US", "es-419", "es-AR", "es-ES", "es-MX", "fi-FI", "fr", "fr-CA", "he-IL", "hi-IN", "hr-HR", "hu-HU",
    "id-ID", "it", "ja", "ko-KR", "ms-MY", "nb-NO", "nl", "pl-PL", "pt-BR", "pt-PT", "ro-RO", "ru-RU", "sk-SK",
    "sv-SE", "te-IN", "th-TH", "tl-PH", "tr", "uk-UA", "vi-VN", "zh-CN", "zh-TW")
LANGUAGE = (
    "AM", "AR", "AZ", "BG", "BN", "BS", "CA", "CS", "DA", "DV", "DZ", "DE", "EL", "EN", "ES", "ET", "FA", "FI",
    "FR", "HE", "HI", "HR", "HU", "HY", "ID", "IN", "IS", "IT", "IW", "JA", "KA", "KM", "KO", "LO", "LT", "LV",
    "MK", "MN", "MS", "MY", "NB", "NE", "NL", "NO", "PL", "PT", "RO", "RU", "SK", "SL", "SQ", "SR", "SV", "TL",
    "UK", "VI", "TE", "TH", "TR", "XX", "ZH")

#: components.schemas.ItemAttributesRequest + UpdatableItemAttributes (the properties the plugin can send;
#: all are optional in the schema, types as published).
_S = {"type": "string", "nullable": True}
ITEM_ATTRIBUTES = {
    "type": "object", "additional": False,
    "properties": {
        **{name: _S for name in (
            "title", "description", "link", "price", "sale_price", "availability", "brand", "condition",
            "item_group_id", "color", "size", "material", "pattern", "gender", "age_group", "mpn",
            "product_type", "google_product_category", "shipping", "tax", "mobile_link", "ad_link")},
        "image_link": {"one_of_types": [{"type": "string"},
                                        {"type": "array", "minItems": 1, "maxItems": 1,
                                         "items": {"type": "string"}}]},
        "additional_image_link": {"type": "array", "items": {"type": "string"}, "nullable": True},
        "gtin": {"type": "string", "nullable": True},
        "variant_names": {"type": "array", "items": {"type": "string"}, "nullable": True},
        "variant_values": {"type": "array", "items": {"type": "string"}, "nullable": True},
        **{f"custom_label_{n}": {"type": "string", "maxLength": 511, "nullable": True} for n in range(5)},
    },
}
#: Attributes an item needs before Pinterest will show it ("Before you get started with catalogs": id, title,
#: description, link, image_link, price, availability); a missing one is a per-item error in the batch status.
REQUIRED_ITEM_ATTRIBUTES = ("title", "description", "link", "image_link", "price", "availability")
#: ... with the values Pinterest accepts for availability.
AVAILABILITY = ("in stock", "out of stock", "preorder")


def _batch_schema(operation: str) -> dict[str, Any]:
    """components.schemas.CatalogsItems{Upsert,Delete,...}BatchRequest: required country, language, operation,
    items (1..1000 records)."""
    record: dict[str, Any] = {"type": "object", "required": ["item_id"], "additional": False,
                              "properties": {"item_id": {"type": "string"}}}
    if operation in ("UPSERT", "CREATE", "UPDATE"):
        record["properties"]["attributes"] = ITEM_ATTRIBUTES
        record["required"] = ["item_id", "attributes"]
        if operation == "UPDATE":
            record["properties"]["update_mask"] = {"type": "array", "items": {"type": "string"}}
    return {
        "type": "object", "required": ["country", "language", "operation", "items"], "additional": False,
        "properties": {
            "country": COUNTRY,
            "language": {"type": "string", "enum": CATALOGS_LOCALE + LANGUAGE},
            "operation": {"type": "string", "enum": ["UPDATE", "UPSERT", "CREATE", "DELETE_DISCONTINUED", "DELETE"]},
            "items": {"type": "array", "minItems": 1, "maxItems": 1000, "items": record},
        },
    }


#: components.schemas.CatalogsFeedsCreateRequest (additionalProperties: false; required format, location, name).
FEED_CREATE = {
    "type": "object", "required": ["format", "location", "name"], "additional": False,
    "properties": {
        "name": {"type": "string"},
        "format": {"type": "string", "enum": ["TSV", "CSV", "XML"]},
        "location": {"type": "string", "pattern": r"^(http|https|ftp|sftp)://"},
        "default_country": COUNTRY,
        "default_locale": {"type": "string", "enum": CATALOGS_LOCALE},
        "default_currency": {"type": "string", "pattern": r"^[A-Z]{3}$", "nullable": True},
        "default_availability": {"type": "string", "enum": ["IN_STOCK", "OUT_OF_STOCK", "PREORDER"],
                                 "nullable": True},
        "credentials": {"type": "object", "required": ["username", "password"], "nullable": True},
        "preferred_processing_schedule": {"type": "object", "required": ["time", "timezone"], "nullable": True},
        "status": {"type": "string", "enum": ["ACTIVE", "INACTIVE"]},
    },
}

#: paths./oauth/token (application/x-www-form-urlencoded; security: basic) with
#: components.schemas.OauthAccessTokenRequestRefresh: grant_type=refresh_token and refresh_token required.
OAUTH_REFRESH_FIELDS = {"grant_type", "refresh_token", "scope", "continuous_refresh"}

#: components.parameters.Pinterest.Lib.BookmarkParams.page_size: integer 1..250.
PAGE_SIZE_MAX = 250
#: components.parameters.PinKey / path_catalogs_items_batch_id.
PIN_ID = re.compile(r"^\d+$")
BATCH_ID = re.compile(r"^[a-zA-Z0-9]+$")


def check(value: Any, schema: dict[str, Any], path: str = "body") -> list[str]:
    """Problems with ``value`` under ``schema`` (empty when it conforms)."""
    if value is None:
        return [] if schema.get("nullable") else [f"{path} may not be null"]
    if "one_of_types" in schema:
        if any(not check(value, option, path) for option in schema["one_of_types"]):
            return []
        return [f"{path} matches none of the allowed shapes"]
    kind = schema.get("type")
    python = {"object": dict, "array": list, "string": str, "boolean": bool, "integer": int}.get(kind)
    if python and (not isinstance(value, python) or (kind == "integer" and isinstance(value, bool))):
        return [f"{path} must be of type {kind}"]
    problems: list[str] = []
    if kind == "string":
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            problems.append(f"{path} is longer than {schema['maxLength']} characters")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            problems.append(f"{path} does not match {schema['pattern']}")
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path} must be one of {', '.join(map(str, schema['enum']))[:200]}")
    if kind == "array":
        if len(value) < schema.get("minItems", 0):
            problems.append(f"{path} needs at least {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            problems.append(f"{path} has more than {schema['maxItems']} items")
        for index, item in enumerate(value):
            if "items" in schema:
                problems += check(item, schema["items"], f"{path}[{index}]")
    if kind == "object":
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{path}.{name} is required")
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                problems += check(item, properties[name], f"{path}.{name}")
            elif schema.get("additional") is False:
                problems.append(f"{path}.{name} is not a known field")
        if "one_of_by" in schema:
            key, options = schema["one_of_by"]
            chosen = options.get(value.get(key))
            if chosen is None:
                problems.append(f"{path}.{key} must be one of {', '.join(options)}")
            else:
                problems += check(value, chosen, path)
    return problems


# --- the server -----------------------------------------------------------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakePinterest:
    """Pinterest API v5 on loopback. ``url`` is the API root to give the channel (``.../v5``)."""

    access_token: str = "pina_live_token_1"
    refresh_token: str = "pinr_refresh_1"
    app_id: str = "1500123"
    app_secret: str = "app-secret-1"
    username: str = "acme_shop"
    boards: list[dict[str, Any]] = field(default_factory=lambda: [
        {"id": "549755885175", "name": "Summer shirts", "privacy": "PUBLIC"},
        {"id": "549755885176", "name": "Linen", "privacy": "PUBLIC"},
    ])
    batch_processing_polls: int = 0  # how many status reads answer PROCESSING before COMPLETED
    refresh_delay: float = 0.0  # seconds a token refresh takes to answer (to overlap concurrent workers)
    received: list[Received] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    pins: dict[str, dict[str, Any]] = field(default_factory=dict)
    catalogue: dict[str, dict[str, Any]] = field(default_factory=dict)
    feeds: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1_080_000_000_000_001)
        self._expired: set[str] = set()
        self._scripted: list[tuple[str, str, int, Any, dict[str, str]]] = []
        self._rejections: dict[str, tuple[str, str, int]] = {}
        self._batches: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._http = LoopbackServer(self._wsgi)

    # -- test controls --

    def fail_next(self, method: str, path_prefix: str, status: int, body: Any = None,
                  headers: dict[str, str] | None = None) -> None:
        """Answer the next ``method`` request under ``path_prefix`` (e.g. ``/v5/pins``) with this response."""
        self._scripted.append((method.upper(), path_prefix, status, body, headers or {}))

    def expire_token(self) -> None:
        """The current access token stops working, as it does after 30 days."""
        self._expired.add(self.access_token)

    def revoke_refresh_token(self) -> None:
        self.refresh_token = "revoked-" + self.refresh_token

    def reject_item(self, item_id: str, attribute: str, message: str, code: int = 102) -> None:
        """Report an error for ``item_id`` in the next batch status (as Pinterest does for bad data)."""
        self._rejections[item_id] = (attribute, message, code)

    def requests_to(self, method: str, path: str) -> list[Received]:
        return [r for r in self.received if r.method == method and r.path == path]

    # -- lifecycle --

    def start(self) -> FakePinterest:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

    @property
    def url(self) -> str:
        return self._http.url + "/v5"

    # -- request handling --

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        raw = request.get_data()
        body: Any = None
        if request.mimetype == "application/json":
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                return self._reject("the body is not valid JSON")
        elif request.mimetype == "application/x-www-form-urlencoded":
            body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        self.received.append(Received(request.method, request.path, {k: request.args.getlist(k) for k in request.args},
                                      dict(request.headers), body))
        for index, (method, prefix, status, scripted_body, headers) in enumerate(self._scripted):
            if method == request.method and request.path.startswith(prefix):
                del self._scripted[index]
                return _json(scripted_body if scripted_body is not None else
                             {"code": 8, "message": "You have exceeded your rate limit. Try again later."},
                             status, headers)
        if request.path == "/v5/oauth/token":
            return self._oauth(request, body)
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        routes = [
            ("GET", r"/v5/user_account", self._user_account),
            ("GET", r"/v5/boards", self._boards),
            ("GET", r"/v5/boards/(?P<board_id>[^/]+)/pins", self._board_pins),
            ("POST", r"/v5/pins", self._create_pin),
            ("PATCH", r"/v5/pins/(?P<pin_id>[^/]+)", self._update_pin),
            ("DELETE", r"/v5/pins/(?P<pin_id>[^/]+)", self._delete_pin),
            ("POST", r"/v5/catalogs/items/batch", self._create_batch),
            ("GET", r"/v5/catalogs/items/batch/(?P<batch_id>[^/]+)", self._read_batch),
            ("POST", r"/v5/catalogs/feeds", self._create_feed),
        ]
        for method, pattern, handler in routes:
            match = re.fullmatch(pattern, request.path)
            if match and method == request.method:
                return handler(request, body, **match.groupdict())
        return self._reject(f"{request.method} {request.path} is not an operation of Pinterest API v5", 404)

    def _reject(self, problem: str, status: int = 400) -> Response:
        """Refuse like Pinterest does, and remember it: a refused request is a failed test."""
        self.violations.append(problem)
        return _json({"code": 1, "message": f"Invalid request: {problem}"}, status)

    def _checked(self, body: Any, schema: dict[str, Any], request: Request) -> Response | None:
        if request.mimetype != "application/json":
            return self._reject(f"{request.method} {request.path} takes application/json, got {request.mimetype!r}")
        problems = check(body, schema)
        return self._reject("; ".join(problems)) if problems else None

    def _authenticate(self, request: Request) -> Response | None:
        # securitySchemes.pinterest_oauth2: a Bearer access token. A wrong or expired one is refused with 401
        # (Pinterest answers code 2 "Authentication failed."); that is the platform working, not a violation.
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return self._reject("no Bearer access token (securitySchemes.pinterest_oauth2)", 401)
        token = header.removeprefix("Bearer ")
        if token != self.access_token or token in self._expired:
            return _json({"code": 2, "message": "Authentication failed."}, 401)
        return None

    def _oauth(self, request: Request, body: Any) -> Response:
        # paths./oauth/token: form-encoded OauthAccessTokenRequestRefresh, HTTP Basic client credentials.
        if request.method != "POST":
            return self._reject("/oauth/token takes POST")
        if request.mimetype != "application/x-www-form-urlencoded":
            return self._reject("/oauth/token takes application/x-www-form-urlencoded")
        expected = "Basic " + base64.b64encode(f"{self.app_id}:{self.app_secret}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return _json({"code": 2, "message": "Authentication failed."}, 401)
        body = body or {}
        unknown = set(body) - OAUTH_REFRESH_FIELDS
        if body.get("grant_type") != "refresh_token" or "refresh_token" not in body or unknown:
            return self._reject("a refresh needs grant_type=refresh_token and refresh_token, nothing else")
        time.sleep(self.refresh_delay)
        if body["refresh_token"] != self.refresh_token:
            return _json({"code": 1, "message": "Invalid refresh token."}, 400)
        serial = next(self._ids)
        self.access_token, self.refresh_token = f"pina_live_token_{serial}", f"pinr_refresh_{serial}"
        return _json({"access_token": self.access_token, "refresh_token": self.refresh_token,
                      "response_type": "refresh_token", "token_type": "bearer", "expires_in": 2592000,
                      "refresh_token_expires_in": 5184000, "scope": "boards:read,pins:read,pins:write"})

    def _user_account(self, request, body) -> Response:
        return _json({"username": self.username, "account_type": "BUSINESS", "website_url": "https://shop.example"})

    def _boards(self, request, body) -> Response:
        size = request.args.get("page_size", "25")
        if not size.isdigit() or not 1 <= int(size) <= PAGE_SIZE_MAX:
            return self._reject("page_size must be an integer from 1 to 250")
        return _json({"items": self.boards, "bookmark": None})

    def _board_pins(self, request, body, board_id) -> Response:
        # paths./boards/{board_id}/pins: board_id digits; page_size 1..250; newest pins first.
        if not PIN_ID.match(board_id):
            return self._reject("board_id must be digits (components.parameters.path_board_id)")
        size = request.args.get("page_size", "25")
        if not size.isdigit() or not 1 <= int(size) <= PAGE_SIZE_MAX:
            return self._reject("page_size must be an integer from 1 to 250")
        if board_id not in {b["id"] for b in self.boards}:
            return _json({"code": 40, "message": "Board not found."}, 404)
        pins = [p for p in reversed(self.pins.values()) if p["board_id"] == board_id][: int(size)]
        return _json({"items": pins, "bookmark": None})

    def _create_pin(self, request, body) -> Response:
        refused = self._checked(body, PIN_CREATE, request)
        if refused:
            return refused
        if body["board_id"] not in {b["id"] for b in self.boards}:
            return _json({"code": 40, "message": "Board not found."}, 404)
        pin_id = str(next(self._ids))
        self.pins[pin_id] = {"id": pin_id, **body, "created_at": "2026-11-23T10:00:00"}
        return _json(self.pins[pin_id], 201)

    def _update_pin(self, request, body, pin_id) -> Response:
        if not PIN_ID.match(pin_id):
            return self._reject("pin_id must be digits (components.parameters.PinKey)")
        refused = self._checked(body, PIN_UPDATE, request)
        if refused:
            return refused
        if pin_id not in self.pins:
            return _json({"code": 50, "message": "Pin not found."}, 404)
        self.pins[pin_id].update(body)
        return _json(self.pins[pin_id])

    def _delete_pin(self, request, body, pin_id) -> Response:
        if not PIN_ID.match(pin_id):
            return self._reject("pin_id must be digits (components.parameters.PinKey)")
        if self.pins.pop(pin_id, None) is None:
            return _json({"code": 50, "message": "Pin not found."}, 404)
        return Response(status=204)

    def _create_batch(self, request, body) -> Response:
        operation = body.get("operation") if isinstance(body, dict) else None
        refused = self._checked(body, _batch_schema(operation or "UPSERT"), request)
        if refused:
            return refused
        records = []
        for item in body["items"]:
            errors = []
            if operation in ("UPSERT", "CREATE"):
                attributes = item["attributes"]
                errors += [{"attribute": name, "code": 101, "message": "Required field is missing"}
                           for name in REQUIRED_ITEM_ATTRIBUTES if not attributes.get(name)]
                if attributes.get("availability") and attributes["availability"] not in AVAILABILITY:
                    errors.append({"attribute": "availability", "code": 103, "message": "Invalid value"})
                if attributes.get("price") and not re.fullmatch(r"\d+(\.\d+)? [A-Z]{3}", attributes["price"]):
                    errors.append({"attribute": "price", "code": 104, "message": "Price must look like 24.99 USD"})
            if item["item_id"] in self._rejections:
                attribute, message, code = self._rejections.pop(item["item_id"])
                errors.append({"attribute": attribute, "code": code, "message": message})
            if not errors:
                if operation == "DELETE":
                    self.catalogue.pop(item["item_id"], None)
                else:
                    self.catalogue[item["item_id"]] = item.get("attributes", {})
            records.append({"item_id": item["item_id"], "status": "FAILURE" if errors else "SUCCESS",
                            "errors": errors, "warnings": []})
        batch_id = f"{next(self._ids):x}abc"
        self._batches[batch_id] = {"records": records, "polls": self.batch_processing_polls}
        return _json({"batch_id": batch_id, "status": "PROCESSING", "created_time": "2026-11-23T10:00:00"})

    def _read_batch(self, request, body, batch_id) -> Response:
        if not BATCH_ID.match(batch_id):
            return self._reject("batch_id must match ^[a-zA-Z0-9]+$ (components.parameters.path_catalogs_items_batch_id)")
        batch = self._batches.get(batch_id)
        if batch is None:
            return _json({"code": 4181, "message": "Batch not found."}, 404)
        if batch["polls"] > 0:
            batch["polls"] -= 1
            return _json({"batch_id": batch_id, "status": "PROCESSING", "items": []})
        return _json({"batch_id": batch_id, "status": "COMPLETED", "items": batch["records"],
                      "completed_time": "2026-11-23T10:00:05"})

    def _create_feed(self, request, body) -> Response:
        refused = self._checked(body, FEED_CREATE, request)
        if refused:
            return refused
        feed = {"id": str(next(self._ids)), "status": "ACTIVE", **body}
        self.feeds.append(feed)
        return _json(feed, 201)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=headers or {})
