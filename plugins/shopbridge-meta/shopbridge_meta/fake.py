"""A local Graph API (Pages, Instagram, catalogues, Conversions API) that judges every request by Meta's reference.

Served over real HTTP on 127.0.0.1 (werkzeug, in a thread). Each node/edge's parameters — names, types,
required ones, enums — are encoded below from Meta's SDK code-generation specs
(github.com/facebook/facebook-business-sdk-codegen ``api_specs/specs/<Node>.json`` and ``enum_types.json``);
rules the specs do not carry come from Meta's documentation and are cited where they are used (Content
Publishing limits, product tags, the Catalog Batch API, Conversions API parameters).

A request the real API would reject is answered like Graph does (HTTP 400, ``{"error": {"message", "type",
"code", "fbtrace_id"}}``) **and** recorded in :attr:`FakeGraph.violations`; tests assert it stays empty.
Platform behaviour that is not a mistake — an expired token, a rate limit, a bad product in a batch — is
answered the same way but not recorded, so tests can provoke it with :meth:`expire_token`, :meth:`fail_next`
and :meth:`reject_item`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from shopbridge.testing_http import LoopbackServer

# --- parameter rules per node and edge ------------------------------------------------------------------------
# Types as the codegen specs name them. "map" parameters arrive JSON-encoded; Meta's own examples send a JSON
# array for items_batch's "requests" although the spec types it "map", so "map" accepts an object or an array.

#: enum_types.json: productcatalogitems_batch_item_sub_type_enum_param (subset), ..._error_priority_enum_param.
ERROR_PRIORITY = ("HIGH", "LOW", "MEDIUM")
#: enum_types.json: productitem_availability, productitem_condition.
AVAILABILITY = ("available for order", "discontinued", "in stock", "mark_as_sold", "out of stock", "pending",
                "preorder")
CONDITION = ("cpo", "new", "open_box_new", "refurbished", "used", "used_fair", "used_good", "used_like_new")

EDGES: dict[tuple[str, str, str], dict[str, Any]] = {
    # Page.json: GET "" (fields), POST photos (subset of its 60 parameters: the ones a photo post uses).
    ("Page", "GET", ""): {"params": {}},
    ("Page", "GET", "published_posts"): {"params": {
        "include_hidden": "bool", "limit": "unsigned int", "show_expired": "bool", "with": "string"}},
    ("Page", "POST", "photos"): {"params": {
        "url": "string", "message": "string", "caption": "string", "published": "bool", "alt_text_custom": "string",
        "no_story": "bool", "scheduled_publish_time": "unsigned int", "temporary": "bool"}},
    # PagePost.json: DELETE "", POST "" (edit; subset).
    ("PagePost", "DELETE", ""): {"params": {}},
    ("PagePost", "POST", ""): {"params": {"message": "string", "is_published": "bool", "is_hidden": "bool"}},
    # Comment.json: POST comments (a reply in the comment's thread).
    ("Comment", "POST", "comments"): {"params": {
        "message": "string", "attachment_id": "string", "attachment_url": "string",
        "attachment_share_url": "string"}},
    # IGUser.json: GET "", POST media (all 17 parameters), POST media_publish, GET catalog_product_search.
    ("IGUser", "GET", ""): {"params": {"adgroup_id": "string"}},
    ("IGUser", "GET", "media"): {"params": {"since": "string", "until": "string"}},
    ("IGUser", "POST", "media"): {"params": {
        "alt_text": "string", "audio_name": "string", "caption": "string", "children": "list<string>",
        "collaborators": "list<string>", "cover_url": "string", "image_url": "string", "is_carousel_item": "bool",
        "location_id": "string", "media_type": "string", "product_tags": "list<map>", "share_to_feed": "bool",
        "thumb_offset": "string", "trial_params": "map", "upload_type": "string", "user_tags": "list<map>",
        "video_url": "string"}},
    ("IGUser", "POST", "media_publish"): {"params": {"creation_id": "unsigned int"}, "required": {"creation_id"}},
    ("IGUser", "GET", "catalog_product_search"): {"params": {"catalog_id": "string", "q": "string"},
                                                  "required": {"catalog_id"}},
    # IG Container (Instagram Platform reference "IG Container": GET with fields id, status, status_code).
    ("IGContainer", "GET", ""): {"params": {}, "fields": {"id", "status", "status_code"}},
    # IGMedia.json: DELETE "".
    ("IGMedia", "DELETE", ""): {"params": {}},
    # IGComment.json: POST replies.
    ("IGComment", "POST", "replies"): {"params": {"message": "string"}},
    # ProductCatalog.json: POST items_batch, GET check_batch_request_status.
    ("ProductCatalog", "POST", "items_batch"): {"params": {
        "allow_upsert": "bool", "item_sub_type": "string", "item_type": "string", "requests": "map",
        "version": "unsigned int"}, "required": {"item_type", "requests"}},
    ("ProductCatalog", "GET", "check_batch_request_status"): {"params": {
        "error_priority": ERROR_PRIORITY, "handle": "string", "load_ids_of_invalid_requests": "bool"},
        "required": {"handle"}},
    # Conversions API (Marketing API > Conversions API > Using the API): POST /{pixel-id}/events, JSON body.
    ("Pixel", "POST", "events"): {"params": {"data": "list<map>", "test_event_code": "string"},
                                  "required": {"data"}},
}
#: Parameters Graph takes on every request, with cursor paging on every edge (Graph API "Paginated Results").
COMMON = {"access_token", "appsecret_proof", "fields", "format", "method", "pretty", "suppress_http_code",
          "limit", "after", "before"}

#: Content Publishing guide, "Limitations": captions 2,200 characters, 30 hashtags, 20 @tags.
CAPTION_MAX, HASHTAGS_MAX = 2200, 30
#: IG Media Product Tags reference: product_id required, x/y floats 0..1 for images, at most 20, unique ids.
PRODUCT_TAGS_MAX = 20
#: Catalog Batch API ("items_batch" reference): item types, at most 5,000 requests, methods.
ITEM_TYPES = ("PRODUCT_ITEM", "HOTEL", "FLIGHT", "DESTINATION", "HOME_LISTING", "VEHICLE", "VEHICLE_OFFER",
              "MEDIA_TITLE", "LOCAL_SERVICE_BUSINESS")
BATCH_MAX = 5000
BATCH_METHODS = ("CREATE", "UPDATE", "DELETE")
#: Product data specification (Commerce Manager "Catalogue fields"): the fields shopbridge may send, and the
#: ones an item needs before Meta accepts it (brand may be replaced by gtin or mpn).
PRODUCT_FIELDS = {
    "id", "title", "description", "availability", "condition", "price", "link", "image_link", "brand",
    "google_product_category", "fb_product_category", "quantity_to_sell_on_facebook", "sale_price",
    "sale_price_effective_date", "item_group_id", "gender", "color", "size", "age_group", "material", "pattern",
    "shipping", "shipping_weight", "gtin", "mpn", "additional_image_link", "product_type", "inventory", "status",
    "rich_text_description", "video", "custom_label_0", "custom_label_1", "custom_label_2", "custom_label_3",
    "custom_label_4"}
PRODUCT_REQUIRED = ("id", "title", "description", "availability", "condition", "price", "link", "image_link")
PRICE = re.compile(r"^\d+(\.\d{1,2})? [A-Z]{3}$")
#: Conversions API "Server Event Parameters" / "Customer Information Parameters".
ACTION_SOURCES = ("email", "website", "app", "phone_call", "chat", "physical_store", "system_generated",
                  "business_messaging", "other")
HASHED = re.compile(r"^[0-9a-f]{64}$")
EVENTS_MAX = 1000
EVENT_MAX_AGE = 7 * 24 * 3600


@dataclass
class Received:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    json: Any = None


class GraphError(Exception):
    def __init__(self, message: str, code: int = 100, *, subcode: int | None = None, status: int = 400,
                 violation: bool = True, kind: str = "OAuthException", headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message, self.code, self.subcode, self.status = message, code, subcode, status
        self.violation, self.kind, self.headers = violation, kind, headers or {}


@dataclass
class FakeGraph:
    """Meta's Graph API on loopback; give channels ``graph_url=fake.url``."""

    page_id: str = "1234567890"
    ig_user_id: str = "17841400000000000"
    catalog_id: str = "880000000000001"
    pixel_id: str = "990000000000001"
    access_token: str = "EAAPageToken1"
    capi_token: str = "EAACapiToken1"
    app_secret: str = "meta-app-secret"
    page_name: str = "Acme Shop"
    ig_username: str = "acme.shop"
    container_polls_until_finished: int = 1  # status reads answering IN_PROGRESS before FINISHED
    container_outcome: str = "FINISHED"  # or "ERROR" / "EXPIRED"
    received: list[Received] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    nodes: dict[str, str] = field(default_factory=dict)
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    catalogue: dict[str, dict[str, Any]] = field(default_factory=dict)
    catalogue_product_ids: dict[str, str] = field(default_factory=dict)  # retailer id -> Meta product id
    replies: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._ids = itertools.count(17_900_000_000_000_001)
        self.nodes.update({self.page_id: "Page", self.ig_user_id: "IGUser", self.catalog_id: "ProductCatalog",
                           self.pixel_id: "Pixel"})
        self._expired: set[str] = set()
        self._scripted: list[tuple[str, str, int, Any, dict[str, str]]] = []
        self._rejections: dict[str, str] = {}
        self._containers: dict[str, dict[str, Any]] = {}
        self._batches: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._http = LoopbackServer(self._wsgi)

    # -- test controls --

    def add_comment(self, comment_id: str, on: str = "facebook") -> None:
        """A comment someone wrote (as a webhook announced it), so replies to it can be checked."""
        self.nodes[comment_id] = "Comment" if on == "facebook" else "IGComment"

    def expire_token(self) -> None:
        self._expired.add(self.access_token)

    def fail_next(self, method: str, path_suffix: str, status: int, body: Any = None,
                  headers: dict[str, str] | None = None) -> None:
        """Answer the next ``method`` request whose path ends with ``path_suffix`` with this response."""
        self._scripted.append((method.upper(), path_suffix, status, body, headers or {}))

    def reject_item(self, retailer_id: str, message: str) -> None:
        """Report ``message`` for this item in the next batch status (e.g. an image Meta could not download)."""
        self._rejections[retailer_id] = message

    def requests_to(self, method: str, path_suffix: str) -> list[Received]:
        return [r for r in self.received if r.method == method and r.path.endswith(path_suffix)]

    # -- lifecycle --

    def start(self) -> FakeGraph:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

    @property
    def url(self) -> str:
        return self._http.url

    # -- request handling --

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            try:
                response = self._handle(request)
            except GraphError as exc:
                if exc.violation:
                    self.violations.append(f"{request.method} {request.path}: {exc.message}")
                error = {"message": exc.message, "type": exc.kind, "code": exc.code,
                         "fbtrace_id": "AbCdEf123"}
                if exc.subcode:
                    error["error_subcode"] = exc.subcode
                response = _json({"error": error}, exc.status, exc.headers)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        params = {k: v for k, v in request.args.items()}
        body: Any = None
        if request.mimetype == "application/json":
            try:
                body = json.loads(request.get_data() or b"null")
            except ValueError:
                raise GraphError("(#100) The request body is not valid JSON") from None
        elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            params.update(request.form.items())
        self.received.append(Received(request.method, request.path, params, dict(request.headers), body))
        for index, (method, suffix, status, scripted, headers) in enumerate(self._scripted):
            if method == request.method and request.path.endswith(suffix):
                del self._scripted[index]
                return _json(scripted if scripted is not None else {"error": {
                    "message": "(#4) Application request limit reached", "type": "OAuthException", "code": 4,
                    "is_transient": True, "fbtrace_id": "AbCdEf123"}}, status, headers)

        match = re.fullmatch(r"/(v\d+\.\d+)/([^/]+)(?:/([a-z_]+))?", request.path)
        if not match:
            raise GraphError(f"Unknown path components: {request.path} (paths are /vXX.X/<id>[/<edge>])",
                             code=2500)
        node_id, edge = match.group(2), match.group(3) or ""
        node = self.nodes.get(node_id)
        if node is None:
            # Graph's answer for an id it does not know (or may not see): code 100, subcode 33. Deleting what is
            # already gone is normal; anything else means the plugin used a wrong id.
            raise GraphError(f"Unsupported {request.method.lower()} request. Object with ID '{node_id}' does not "
                             "exist, cannot be loaded due to missing permissions, or does not support this "
                             "operation.", subcode=33, violation=request.method != "DELETE")
        rule = EDGES.get((node, request.method, edge))
        if rule is None:
            raise GraphError(f"Unsupported {request.method.lower()} request: {node} has no "
                             f"{request.method} /{edge or '(node)'} (SDK codegen {node}.json)")
        self._authenticate(request, params, node)
        values = body if isinstance(body, dict) else params
        self._check_params(node, edge, rule, values, request.method)
        handler = getattr(self, f"_{node}_{request.method}_{edge or 'node'}".lower())
        return handler(node_id, values)

    def _authenticate(self, request: Request, params: dict[str, str], node: str) -> None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").removeprefix("OAuth ") if header else params.get("access_token", "")
        expected = self.capi_token if node == "Pixel" else self.access_token
        if not token:
            raise GraphError("An active access token must be used to query information about the current user.",
                             code=2500)
        if token in self._expired:
            raise GraphError("Error validating access token: Session has expired.", code=190, subcode=463,
                             violation=False)
        if token != expected:
            raise GraphError("Invalid OAuth access token - Cannot parse access token", code=190)
        # "Require App Secret" (App settings > Advanced): every call must carry a matching appsecret_proof.
        proof = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        if params.get("appsecret_proof") != proof:
            raise GraphError("Invalid appsecret_proof provided in the API argument", code=100)

    def _check_params(self, node: str, edge: str, rule: dict[str, Any], values: dict[str, Any],
                      method: str) -> None:
        known = rule["params"]
        for name in rule.get("required", ()):
            if name not in values or values[name] in ("", None):
                raise GraphError(f"(#100) The parameter {name} is required")
        for name, value in values.items():
            if name in COMMON:
                continue
            if name not in known:
                raise GraphError(f"(#100) Param {name} is not a valid parameter of {node} {method} /{edge}")
            problem = _type_problem(known[name], value)
            if problem:
                raise GraphError(f"(#100) Param {name} {problem}")
        if "fields" in rule and values.get("fields"):
            unknown = set(values["fields"].split(",")) - rule["fields"]
            if unknown:
                raise GraphError(f"(#100) Tried accessing nonexisting field ({', '.join(sorted(unknown))})")

    # -- Pages --

    def _page_get_node(self, node_id, values) -> Response:
        return _json({"id": node_id, "name": self.page_name})

    def _page_post_photos(self, node_id, values) -> Response:
        if not values.get("url"):
            raise GraphError("(#324) Requires upload file: give url (or a file) for the photo")
        photo_id, post_id = str(next(self._ids)), f"{node_id}_{next(self._ids)}"
        self.nodes[post_id] = "PagePost"
        self.posts[post_id] = {"photo_id": photo_id, **values}
        return _json({"id": photo_id, "post_id": post_id})

    def _page_get_published_posts(self, node_id, values) -> Response:
        newest = list(reversed(self.posts.items()))[: int(values.get("limit", 25))]
        return _json({"data": [{"id": post_id, "message": post.get("message", "")} for post_id, post in newest]})

    def _pagepost_post_node(self, node_id, values) -> Response:
        self.posts[node_id].update({k: v for k, v in values.items() if k not in COMMON})
        return _json({"success": True})

    def _pagepost_delete_node(self, node_id, values) -> Response:
        self.posts.pop(node_id, None)
        del self.nodes[node_id]
        return _json({"success": True})

    def _comment_post_comments(self, node_id, values) -> Response:
        return self._reply(node_id, values, "Comment")

    def _igcomment_post_replies(self, node_id, values) -> Response:
        return self._reply(node_id, values, "IGComment")

    def _reply(self, node_id, values, kind) -> Response:
        if not values.get("message") and not values.get("attachment_url"):
            raise GraphError("(#100) The message is empty")
        reply_id = str(next(self._ids))
        self.nodes[reply_id] = kind
        self.replies.append({"id": reply_id, "on": node_id, "message": values.get("message")})
        return _json({"id": reply_id})

    # -- Instagram --

    def _iguser_get_node(self, node_id, values) -> Response:
        return _json({"id": node_id, "username": self.ig_username, "shopping_product_tag_eligibility": True})

    def _iguser_post_media(self, node_id, values) -> Response:
        if not values.get("image_url") and not values.get("video_url") and not values.get("children"):
            raise GraphError("(#100) The parameter image_url is required")
        caption = values.get("caption", "")
        if len(caption) > CAPTION_MAX:
            raise GraphError(f"(#100) The caption is longer than {CAPTION_MAX} characters")
        if len(re.findall(r"(?<!\w)#\w", caption)) > HASHTAGS_MAX:
            raise GraphError(f"(#100) The caption has more than {HASHTAGS_MAX} hashtags")
        tags = json.loads(values["product_tags"]) if values.get("product_tags") else []
        self._check_product_tags(tags)
        container = str(next(self._ids))
        self.nodes[container] = "IGContainer"
        self._containers[container] = {"values": values, "tags": tags,
                                       "polls": self.container_polls_until_finished, "status": "IN_PROGRESS"}
        return _json({"id": container})

    def _check_product_tags(self, tags: list[Any]) -> None:
        if len(tags) > PRODUCT_TAGS_MAX:
            raise GraphError(f"(#100) At most {PRODUCT_TAGS_MAX} product tags per image")
        seen = set()
        for tag in tags:
            if not isinstance(tag, dict) or not tag.get("product_id"):
                raise GraphError("(#100) Each product tag needs a product_id")
            if set(tag) - {"product_id", "x", "y"}:
                raise GraphError("(#100) Product tags take product_id, x and y only")
            for axis in ("x", "y"):
                if axis in tag and not (isinstance(tag[axis], int | float) and 0 <= tag[axis] <= 1):
                    raise GraphError(f"(#100) Param product_tags[{axis}] must be a number between 0 and 1")
            if str(tag["product_id"]) not in self.catalogue_product_ids.values():
                raise GraphError("(#100) Product is not in the catalogue or not approved for tagging")
            if tag["product_id"] in seen:
                raise GraphError("(#100) Product tags must be unique")
            seen.add(tag["product_id"])

    def _igcontainer_get_node(self, node_id, values) -> Response:
        container = self._containers[node_id]
        if container["status"] == "IN_PROGRESS":
            if container["polls"] > 0:
                container["polls"] -= 1
            else:
                container["status"] = self.container_outcome
        status = {"FINISHED": "Finished: Media has been uploaded and it is ready to be published.",
                  "ERROR": "Error: 2207026 The image could not be downloaded.",
                  "EXPIRED": "Expired", "PUBLISHED": "Published", "IN_PROGRESS": "In Progress"}
        return _json({"id": node_id, "status_code": container["status"], "status": status[container["status"]]})

    def _iguser_post_media_publish(self, node_id, values) -> Response:
        container = self._containers.get(str(values["creation_id"]))
        if container is None:
            raise GraphError("(#100) creation_id is not a media container of this account")
        if container["status"] != "FINISHED":
            # Content Publishing guide: publish only once the container's status_code is FINISHED.
            raise GraphError("Media ID is not available", code=9007, subcode=2207027)
        container["status"] = "PUBLISHED"
        media_id = str(next(self._ids))
        self.nodes[media_id] = "IGMedia"
        self.media[media_id] = {"caption": container["values"].get("caption"), "product_tags": container["tags"],
                                "image_url": container["values"].get("image_url")}
        return _json({"id": media_id})

    def _iguser_get_media(self, node_id, values) -> Response:
        newest = list(reversed(self.media.items()))[: int(values.get("limit", 25))]
        return _json({"data": [{"id": media_id, "caption": m.get("caption") or "",
                                "permalink": f"https://www.instagram.com/p/{media_id}/"} for media_id, m in newest]})

    def _iguser_get_catalog_product_search(self, node_id, values) -> Response:
        if values["catalog_id"] != self.catalog_id:
            raise GraphError("(#100) The catalogue is not connected to this account's shop")
        q = values.get("q", "").lower()
        found = [{"product_id": int(product_id), "retailer_id": retailer_id,
                  "product_name": self.catalogue.get(retailer_id, {}).get("title", ""),
                  "review_status": "approved", "is_checkout_flow": False, "merchant_id": 1}
                 for retailer_id, product_id in self.catalogue_product_ids.items()
                 if q in retailer_id.lower() or q in self.catalogue.get(retailer_id, {}).get("title", "").lower()]
        return _json({"data": found})

    def _igmedia_delete_node(self, node_id, values) -> Response:
        self.media.pop(node_id, None)
        del self.nodes[node_id]
        return _json({"success": True})

    # -- catalogue --

    def _productcatalog_post_items_batch(self, node_id, values) -> Response:
        if values["item_type"] not in ITEM_TYPES:
            raise GraphError(f"(#100) item_type must be one of {', '.join(ITEM_TYPES)}")
        requests = json.loads(values["requests"])
        if not isinstance(requests, list) or not requests or len(requests) > BATCH_MAX:
            raise GraphError(f"(#100) requests must be a list of 1 to {BATCH_MAX} requests")
        upsert = values.get("allow_upsert", "true") == "true"
        errors: list[dict[str, Any]] = []
        for line, item in enumerate(requests):
            if not isinstance(item, dict) or item.get("method") not in BATCH_METHODS or not isinstance(
                    item.get("data"), dict) or not item["data"].get("id"):
                raise GraphError(f"(#100) requests[{line}] needs method ({'/'.join(BATCH_METHODS)}) and data.id")
            data = item["data"]
            unknown = set(data) - PRODUCT_FIELDS
            if unknown:
                raise GraphError(f"(#100) requests[{line}].data has unknown fields {sorted(unknown)}")
            if "availability" in data and data["availability"] not in AVAILABILITY:
                raise GraphError(f"(#100) requests[{line}].data.availability must be one of {AVAILABILITY}")
            if "condition" in data and data["condition"] not in CONDITION:
                raise GraphError(f"(#100) requests[{line}].data.condition must be one of {CONDITION}")
            retailer_id = data["id"]
            problem = self._rejections.pop(retailer_id, None)
            creating = item["method"] == "CREATE" or (item["method"] == "UPDATE" and upsert
                                                      and retailer_id not in self.catalogue)
            if item["method"] == "UPDATE" and not upsert and retailer_id not in self.catalogue:
                problem = problem or "Item does not exist and allow_upsert is false"
            if creating and not problem:
                missing = [f for f in PRODUCT_REQUIRED if not data.get(f)]
                if not any(data.get(f) for f in ("brand", "gtin", "mpn")):
                    missing.append("brand")
                if missing:
                    problem = f"Required fields are missing: {', '.join(missing)}"
            if not problem and "price" in data and not PRICE.match(str(data["price"])):
                problem = "price must be an amount and an ISO currency, e.g. 9.99 USD"
            if problem:
                errors.append({"line": line, "id": retailer_id, "message": problem})
            elif item["method"] == "DELETE":
                self.catalogue.pop(retailer_id, None)
                self.catalogue_product_ids.pop(retailer_id, None)
            else:
                self.catalogue.setdefault(retailer_id, {}).update(data)
                self.catalogue_product_ids.setdefault(retailer_id, str(next(self._ids)))
        handle = f"AcxK{next(self._ids)}"
        self._batches[handle] = {"errors": errors}
        return _json({"handles": [handle], "validation_status": []})

    def _productcatalog_get_check_batch_request_status(self, node_id, values) -> Response:
        batch = self._batches.get(values["handle"])
        if batch is None:
            raise GraphError("(#100) Invalid handle")
        errors = batch["errors"]
        report = {"handle": values["handle"], "status": "finished", "errors_total_count": len(errors),
                  "errors": errors, "warnings_total_count": 0, "warnings": []}
        if values.get("load_ids_of_invalid_requests") == "true":
            report["ids_of_invalid_requests"] = [e["id"] for e in errors]
        return _json({"data": [report]})

    # -- Conversions API --

    def _pixel_post_events(self, node_id, values) -> Response:
        events = values["data"]
        if not isinstance(events, list) or not events or len(events) > EVENTS_MAX:
            raise GraphError(f"(#100) data must be a list of 1 to {EVENTS_MAX} events")
        now = time.time()
        for index, event in enumerate(events):
            where = f"data[{index}]"
            for name in ("event_name", "event_time", "action_source", "user_data"):
                if name not in event:
                    raise GraphError(f"(#100) {where}.{name} is required")
            if event["action_source"] not in ACTION_SOURCES:
                raise GraphError(f"(#100) {where}.action_source must be one of {ACTION_SOURCES}")
            if event["action_source"] == "website":
                # "Website events ... require client_user_agent, action_source and event_source_url".
                if not event.get("event_source_url") or not event["user_data"].get("client_user_agent"):
                    raise GraphError(f"(#100) {where}: website events need event_source_url and "
                                     "user_data.client_user_agent")
            if not isinstance(event["event_time"], int) or not now - EVENT_MAX_AGE <= event["event_time"] <= now + 60:
                raise GraphError(f"(#100) {where}.event_time must be a Unix time within the last 7 days")
            for key in ("em", "ph", "fn", "ln", "external_id"):
                for value in event["user_data"].get(key, []):
                    if not HASHED.match(str(value)):
                        raise GraphError(f"(#100) {where}.user_data.{key} must be SHA-256 hashed (64 hex chars)")
            custom = event.get("custom_data") or {}
            if event["event_name"] == "Purchase" and not (isinstance(custom.get("value"), int | float)
                                                          and re.fullmatch(r"[A-Za-z]{3}", str(custom.get("currency")))):
                raise GraphError(f"(#100) {where}: Purchase events need custom_data.value (a number) and currency")
        self.events += events
        return _json({"events_received": len(events), "messages": [], "fbtrace_id": "AbCdEf123"})


def _type_problem(kind: Any, value: Any) -> str | None:
    """Why ``value`` (as sent over the wire) is not of the codegen type ``kind``, or ``None``."""
    if isinstance(kind, tuple):
        return None if value in kind else f"must be one of {', '.join(kind)}"
    if kind == "bool":
        return None if value in (True, False, "true", "false", "1", "0") else "must be a boolean"
    if kind == "unsigned int":
        return None if str(value).isdigit() else "must be a non-negative integer"
    if kind == "string":
        return None if isinstance(value, str) else "must be a string"
    if kind.startswith(("list", "map")):
        try:
            parsed = json.loads(value) if isinstance(value, str) else value
        except ValueError:
            return f"must be JSON ({kind})"
        if kind.startswith("list") and not isinstance(parsed, list):
            return f"must be a JSON array ({kind})"
        if kind == "list<map>" and not all(isinstance(v, dict) for v in parsed):
            return "must be a JSON array of objects"
        if kind == "list<string>" and not all(isinstance(v, str) for v in parsed):
            return "must be a JSON array of strings"
        if kind == "map" and not isinstance(parsed, dict | list):
            return "must be a JSON object"
        return None
    return None


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=headers or {})
