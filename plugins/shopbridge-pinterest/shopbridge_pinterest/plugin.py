"""Pinterest channel: a pin per shoppable post, catalogue item batches and feed registration, through API v5.

Every request goes through ``channel.http`` (dry run, secret masking, 429/5xx classification). On top of that
this module knows Pinterest's own habits:

- an access token lives 30 days; on 401 we refresh it once with the continuous refresh token
  (``POST /oauth/token``, HTTP Basic with the app id and secret), save both new tokens and retry;
- catalogue batches are asynchronous: ``POST /catalogs/items/batch`` answers with a ``batch_id`` whose status
  (``GET /catalogs/items/batch/{batch_id}``) carries the per-item errors we translate for the shop owner.

Reference: Pinterest API v5 OpenAPI (github.com/pinterest/api-description ``v5/openapi.json``) and the
"Create Pin", "Catalogs" and "Authentication" guides on developers.pinterest.com.
"""

from __future__ import annotations

import base64
import os
import time
from typing import Any

from shopbridge import hookimpl
from shopbridge.channels import (
    AuthError,
    Capability,
    CatalogueItem,
    ChannelContext,
    ChannelType,
    ConnectionCheck,
    ItemError,
    PlatformError,
    PostContent,
    PostOption,
    PublishResult,
    RateLimited,
    SettingField,
    SyncResult,
)

TYPE = "pinterest"
DEFAULT_API_URL = "https://api.pinterest.com/v5"
API_URL_ENV = "SHOPBRIDGE_PINTEREST_API_URL"

# Field limits from the OpenAPI schemas PinCreate / PinUpdate.
TITLE_MAX = 100
DESCRIPTION_MAX = 800
ALT_TEXT_MAX = 500
LINK_MAX = 2048
# CatalogsItemsUpsertBatchRequest.items: minItems 1, maxItems 1000.
BATCH_MAX = 1000
# How long sync waits for Pinterest to finish a batch before handing back the batch id (the job checks later).
BATCH_POLLS = 3
BATCH_POLL_INTERVAL = 1.0
BOARD_PAGES_MAX = 10  # 10 pages of 250 boards: far more than any shop has, and a bound on a misbehaving API

# What Pinterest's attribute names mean to a shop owner, for per-item error messages.
ATTRIBUTE_WORDS = {
    "title": "title", "description": "description", "link": "product page link", "image_link": "main image",
    "price": "price", "sale_price": "sale price", "availability": "availability", "brand": "brand",
    "gtin": "barcode (GTIN)", "item_group_id": "product group", "condition": "condition",
    "additional_image_link": "extra images", "google_product_category": "category",
}

SETTINGS = (
    SettingField("access_token", "Access token", "secret",
                 help="From your Pinterest app's OAuth flow (scopes boards:read, pins:read, pins:write, "
                      "catalogs:read, catalogs:write, user_accounts:read)."),
    SettingField("refresh_token", "Refresh token", "secret", required=False,
                 help="Lets shopbridge renew the access token when it expires (every 30 days)."),
    SettingField("app_id", "App id", "string", required=False, pattern=r"^\d+$",
                 help="Your app's id on developers.pinterest.com; needed to refresh the token."),
    SettingField("app_secret", "App secret key", "secret", required=False,
                 help="Your app's secret key; needed to refresh the token."),
    SettingField("board_id", "Default board id", "string", required=False, pattern=r"^\d+$",
                 help="Where new pins go unless the post chooses another board. Test connection lists your boards."),
    SettingField("catalog_country", "Catalogue country", "string", default="US", pattern=r"^[A-Z]{2}$",
                 help="ISO country code your catalogue items are sold in, e.g. IT."),
    SettingField("catalog_language", "Catalogue language", "string", default="en-US",
                 help="Language of your product texts as Pinterest names it, e.g. it or en-US."),
    SettingField("feed_url", "Pinterest feed URL", "url", required=False,
                 help="Your shop's Pinterest product feed (/feeds/pinterest.csv?token=…), to register with "
                      "Pinterest catalogs."),
    SettingField("api_url", "API base URL", "url", required=False, default=DEFAULT_API_URL,
                 help="Leave as is; tests point it at a local stand-in."),
)


@hookimpl
def shopbridge_channel_types() -> list[ChannelType]:
    return [ChannelType(
        name=TYPE,
        label="Pinterest",
        settings=SETTINGS,
        capabilities=frozenset({Capability.publish_posts, Capability.update_posts, Capability.delete_posts,
                                Capability.sync_catalogue}),
        caption_limit=DESCRIPTION_MAX,
        catalogue_batch_size=BATCH_MAX,
        description="Pins on your boards that link to your shop, and your products in Pinterest catalogs.",
    )]


# --- talking to Pinterest -------------------------------------------------------------------------------------


def api_url(channel: ChannelContext) -> str:
    """The API root: the channel's setting, else ``SHOPBRIDGE_PINTEREST_API_URL``, else Pinterest's own."""
    return (channel.setting("api_url") or os.environ.get(API_URL_ENV) or DEFAULT_API_URL).rstrip("/")


def _call(channel: ChannelContext, method: str, path: str, *, dry_run_response: Any = None,
          dry_run_status: int = 200, refreshed: bool = False, **kwargs: Any):
    """One authenticated request; refreshes an expired token once, then maps Pinterest's errors."""
    token = channel.setting("access_token")
    if not token and channel.dry_run:
        token = "dry-run-token"  # a demo channel without credentials: the request is only recorded
    if not token:
        raise AuthError("This Pinterest channel has no access token yet: connect your Pinterest account.")
    try:
        response = channel.http.request(
            method, api_url(channel) + path, headers={"Authorization": f"Bearer {token}"},
            dry_run_response=dry_run_response, dry_run_status=dry_run_status, **kwargs)
    except RateLimited as exc:
        raise RateLimited("Pinterest is limiting how fast we may call it; we will try again later.",
                          retry_after=exc.retry_after) from None
    if response.status_code == 401 and not refreshed and _can_refresh(channel):
        _refresh_token(channel, token)
        return _call(channel, method, path, dry_run_response=dry_run_response, dry_run_status=dry_run_status,
                     refreshed=True, **kwargs)
    if response.status_code >= 400:
        raise _error(response, refreshed=refreshed)
    return response


def _can_refresh(channel: ChannelContext) -> bool:
    return all(channel.setting(name) for name in ("refresh_token", "app_id", "app_secret"))


def _refresh_token(channel: ChannelContext, stale_token: str) -> None:
    """Exchange the refresh token for a new access token and keep both (Pinterest's refresh is continuous).

    A refresh token works once: each refresh returns a new one and the old one stops working. So the exchange
    goes through :meth:`ChannelContext.renew`, which lets only one worker at a time refresh this channel; a
    worker that waited finds the new token already stored and uses it instead of refreshing again.
    """

    def fetch(settings: dict[str, Any]) -> dict[str, Any]:
        basic = base64.b64encode(f"{settings.get('app_id')}:{settings.get('app_secret')}".encode()).decode()
        try:
            response = channel.http.request(
                "POST", api_url(channel) + "/oauth/token",
                headers={"Authorization": f"Basic {basic}"},
                data={"grant_type": "refresh_token", "refresh_token": settings.get("refresh_token")},
                dry_run_response={"access_token": "dry-run-access-token", "token_type": "bearer",
                                  "expires_in": 2592000, "scope": "boards:read,pins:write"})
        except RateLimited as exc:
            raise RateLimited("Pinterest is limiting token renewals; we will try again later.",
                              retry_after=exc.retry_after) from None
        body = _json(response)
        if response.status_code >= 400 or not body.get("access_token"):
            raise AuthError("Pinterest refused to renew this channel's access token (the refresh token was "
                            "revoked, has expired, or the app id/secret changed). Reconnect your Pinterest account "
                            "in the channel settings.", status=response.status_code,
                            code=str(body.get("code") or ""))
        changes = {"access_token": body["access_token"]}
        if body.get("refresh_token"):
            changes["refresh_token"] = body["refresh_token"]
        return changes

    channel.renew({"access_token": stale_token}, fetch)


def _json(response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error(response, *, refreshed: bool = False) -> PlatformError:
    """Pinterest's ``{"code": n, "message": "..."}`` error as something a shop owner can act on."""
    body = _json(response)
    said = str(body.get("message") or "").strip() or f"HTTP {response.status_code}"
    code = str(body.get("code")) if body.get("code") is not None else None
    status = response.status_code
    if status == 401:
        hint = ("even after renewing the token" if refreshed else
                "and shopbridge cannot renew it without the refresh token, app id and app secret")
        return AuthError(f"Pinterest no longer accepts this channel's access token ({said}), {hint}. "
                         "Reconnect your Pinterest account in the channel settings.", status=status, code=code)
    if status == 403:
        return AuthError(f"Pinterest says this account may not do that ({said}). Check that the app was granted "
                         "the boards, pins and catalogs scopes and that the board belongs to you.",
                         status=status, code=code)
    if status == 404:
        return PlatformError(f"Pinterest could not find it ({said}); it may have been deleted on Pinterest.",
                             status=status, code=code)
    return PlatformError(f"Pinterest refused the request: {said}", status=status, code=code)


# --- boards and connection ------------------------------------------------------------------------------------


def list_boards(channel: ChannelContext) -> list[dict[str, str]]:
    """The boards the account can pin to, as ``{"id", "name", "privacy"}``, for the compose form's board choice."""
    boards: list[dict[str, str]] = []
    bookmark = None
    for _ in range(BOARD_PAGES_MAX):
        params: dict[str, Any] = {"page_size": 250}
        if bookmark:
            params["bookmark"] = bookmark
        body = _json(_call(channel, "GET", "/boards", params=params,
                           dry_run_response={"items": [], "bookmark": None}))
        boards += [{"id": str(b.get("id")), "name": str(b.get("name") or ""), "privacy": str(b.get("privacy") or "")}
                   for b in body.get("items") or [] if b.get("id")]
        bookmark = body.get("bookmark")
        if not bookmark:
            break
    return boards


@hookimpl
def shopbridge_test_connection(channel: ChannelContext) -> ConnectionCheck | None:
    if channel.type != TYPE:
        return None
    try:
        account = _json(_call(channel, "GET", "/user_account", dry_run_response={"username": "dry-run"}))
        boards = list_boards(channel)
    except PlatformError as exc:
        return ConnectionCheck(ok=False, detail=exc.message)
    names = ", ".join(f"{b['name']} ({b['id']})" for b in boards) or "none yet"
    detail = f"Connected as @{account.get('username', '?')}. Boards: {names}."
    board_id = channel.setting("board_id")
    if board_id and board_id not in {b["id"] for b in boards}:
        return ConnectionCheck(ok=False, detail=detail + f" The default board {board_id} is not one of them: "
                                                          "choose one of the ids above.")
    if not board_id:
        detail += " Choose a default board id from the list above."
    return ConnectionCheck(ok=True, detail=detail)


@hookimpl
def shopbridge_post_options(channel: ChannelContext) -> list[PostOption] | None:
    """The compose form's board select: the account's boards, the channel's default board preselected."""
    if channel.type != TYPE:
        return None
    if channel.dry_run:
        raise PlatformError("this channel is in dry run, so its boards are not read from Pinterest.")
    boards = list_boards(channel)
    if not boards:
        raise PlatformError("this Pinterest account has no boards yet: create one on Pinterest first.")
    choices = tuple((b["id"], b["name"] + (" (secret)" if b["privacy"] == "SECRET" else "")) for b in boards)
    default = channel.setting("board_id")
    return [PostOption(name="board_id", label="Board", choices=choices,
                       default=default if default in {b["id"] for b in boards} else None,
                       help="Where the pin is saved. The channel's default board is preselected.")]


# --- pins -----------------------------------------------------------------------------------------------------


def _clip(text: str, limit: int) -> str:
    """Trim to ``limit`` characters on a word boundary, marking the cut with an ellipsis."""
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,.;:-")
    return (cut or text[: limit - 1]) + "…"


def _pin_fields(content: PostContent) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": _clip(content.title, TITLE_MAX),
        "description": _clip(content.text, DESCRIPTION_MAX),
        "link": content.link_url,
    }
    if len(content.link_url) > LINK_MAX:
        raise PlatformError("The post's buy link is longer than Pinterest accepts (2048 characters).")
    if content.image_alt:
        fields["alt_text"] = _clip(content.image_alt, ALT_TEXT_MAX)
    return fields


def _board_for(channel: ChannelContext, content: PostContent) -> str:
    board = str(content.options.get("board_id") or channel.setting("board_id") or "")
    if not board and channel.dry_run:
        return "{board_id}"
    if not board.isdigit():
        raise PlatformError("Choose a Pinterest board for this post (or a default board in the channel settings): "
                            "pins are always saved to a board.")
    return board


def _result(pin: dict[str, Any], fallback_id: str = "") -> PublishResult:
    pin_id = str(pin.get("id") or fallback_id)
    return PublishResult(remote_id=pin_id, url=f"https://www.pinterest.com/pin/{pin_id}/", raw=pin)


@hookimpl
def shopbridge_publish_post(channel: ChannelContext, content: PostContent) -> PublishResult | None:
    if channel.type != TYPE:
        return None
    if not content.image_url:
        raise PlatformError("Pinterest needs an image for every pin: give the product a photo first.")
    body = {"board_id": _board_for(channel, content), **_pin_fields(content),
            "media_source": {"source_type": "image_url", "url": content.image_url}}
    response = _call(channel, "POST", "/pins", json_body=body, dry_run_status=201,
                     dry_run_response={"id": f"dry-run-{content.idempotency_key or content.post_id}", **body})
    return _result(_json(response))


#: How far back to look for a pin an interrupted attempt may have created: the newest pins of the board.
FIND_PAGES, FIND_PAGE_SIZE = 2, 100


@hookimpl(optionalhook=True)  # declared by the framework's publishing pipeline; optional until it is installed
def shopbridge_find_post(channel: ChannelContext, content: PostContent) -> PublishResult | bool | None:
    """Find the pin an interrupted attempt created, by its link: every post has its own tracked buy link.

    Pinterest has no idempotency keys, so before a publish whose outcome is unknown is retried, the board's newest
    pins are read (``GET /boards/{board_id}/pins``). A pin linking to this post's tracked link is the one; none
    among the newest 200 means the earlier attempt never created it.
    """
    if channel.type != TYPE:
        return None
    board = _board_for(channel, content)
    bookmark = None
    for _ in range(FIND_PAGES):
        params: dict[str, Any] = {"page_size": FIND_PAGE_SIZE}
        if bookmark:
            params["bookmark"] = bookmark
        page = _json(_call(channel, "GET", f"/boards/{board}/pins", params=params,
                           dry_run_response={"items": [], "bookmark": None}))
        for pin in page.get("items") or []:
            if pin.get("link") == content.link_url:
                return _result(pin)
        bookmark = page.get("bookmark")
        if not bookmark:
            break
    return False


@hookimpl
def shopbridge_update_post(channel: ChannelContext, content: PostContent, remote_id: str) -> PublishResult | None:
    if channel.type != TYPE:
        return None
    body = _pin_fields(content)
    if content.options.get("board_id"):
        body["board_id"] = _board_for(channel, content)
    response = _call(channel, "PATCH", f"/pins/{remote_id}", json_body=body,
                     dry_run_response={"id": remote_id, **body})
    return _result(_json(response), remote_id)


@hookimpl
def shopbridge_delete_post(channel: ChannelContext, remote_id: str) -> bool | None:
    if channel.type != TYPE:
        return None
    try:
        _call(channel, "DELETE", f"/pins/{remote_id}", dry_run_status=204)
    except PlatformError as exc:
        if exc.status == 404:  # already gone on Pinterest: what the shop wanted
            return True
        raise
    return True


# --- catalogue ------------------------------------------------------------------------------------------------


def item_attributes(item: CatalogueItem) -> dict[str, Any]:
    """A variant in Pinterest's ``ItemAttributesRequest`` shape (the same fields as the catalogue feed)."""
    attributes: dict[str, Any] = {
        "title": item.title,
        "description": item.description or item.title,
        "link": item.link,
        "price": str(item.price),  # "49.00 EUR": amount and ISO currency, as Pinterest reads prices
        "availability": item.availability,
        "condition": item.condition,
        "item_group_id": item.group_id,
    }
    if item.image_link:
        attributes["image_link"] = [item.image_link]
    if item.additional_image_links:
        attributes["additional_image_link"] = list(item.additional_image_links)[:10]
    if item.sale_price:
        attributes["sale_price"] = str(item.sale_price)
    if item.brand:
        attributes["brand"] = item.brand
    if item.gtin:
        attributes["gtin"] = item.gtin
    if item.category:
        attributes["product_type"] = item.category
    if item.options:
        attributes["variant_names"] = list(item.options)
        attributes["variant_values"] = [str(v) for v in item.options.values()]
        lowered = {k.lower(): str(v) for k, v in item.options.items()}
        for ours, theirs in (("colour", "color"), ("color", "color"), ("size", "size"), ("material", "material")):
            if ours in lowered:
                attributes[theirs] = lowered[ours]
    return attributes


def _batch(channel: ChannelContext, operation: str, records: list[dict[str, Any]]) -> str:
    body = {"country": channel.setting("catalog_country", "US"),
            "language": channel.setting("catalog_language", "en-US"),
            "operation": operation, "items": records}
    response = _call(channel, "POST", "/catalogs/items/batch", json_body=body,
                     dry_run_response={"batch_id": f"dryrun{operation.lower()}", "status": "PROCESSING"})
    return str(_json(response).get("batch_id") or "")


def batch_status(channel: ChannelContext, batch_id: str) -> dict[str, Any]:
    """Pinterest's report on a batch: ``status`` and, once processed, one record per item with its errors."""
    return _json(_call(channel, "GET", f"/catalogs/items/batch/{batch_id}",
                       dry_run_response={"batch_id": batch_id, "status": "COMPLETED", "items": []}))


def _item_errors(report: dict[str, Any]) -> list[ItemError]:
    errors = []
    for record in report.get("items") or []:
        for problem in record.get("errors") or []:
            attribute = problem.get("attribute") or None
            said = str(problem.get("message") or "rejected").strip().rstrip(".")
            what = ATTRIBUTE_WORDS.get(attribute or "", attribute or "item")
            errors.append(ItemError(item_id=str(record.get("item_id")), field=attribute,
                                    code=str(problem.get("code")) if problem.get("code") is not None else None,
                                    message=f"Pinterest did not accept the {what}: {said}."))
        if not record.get("errors") and record.get("status") == "FAILURE":
            errors.append(ItemError(item_id=str(record.get("item_id")),
                                    message="Pinterest could not process this item; it gave no reason."))
    return errors


@hookimpl
def shopbridge_sync_catalogue(channel: ChannelContext, items: list[CatalogueItem]) -> SyncResult | None:
    if channel.type != TYPE:
        return None
    upserts = [{"item_id": i.item_id, "attributes": item_attributes(i)} for i in items if not i.deleted]
    deletes = [{"item_id": i.item_id} for i in items if i.deleted]
    batch_ids = []
    for operation, records in (("UPSERT", upserts), ("DELETE", deletes)):
        for start in range(0, len(records), BATCH_MAX):
            batch_ids.append(_batch(channel, operation, records[start:start + BATCH_MAX]))
    sent = [i.item_id for i in items]
    errors: list[ItemError] = []
    pending = []
    for batch_id in batch_ids:
        report = _wait_for(channel, batch_id)
        if report.get("status") == "COMPLETED":
            errors += _item_errors(report)
        else:
            pending.append(batch_id)
    failed = {e.item_id for e in errors}
    return SyncResult(accepted=tuple(i for i in sent if i not in failed), errors=tuple(errors),
                      remote_batch_id=",".join(pending) or (batch_ids[-1] if batch_ids else None))


def _wait_for(channel: ChannelContext, batch_id: str) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for attempt in range(BATCH_POLLS):
        report = batch_status(channel, batch_id)
        if report.get("status") in ("COMPLETED", "FAILED") or channel.dry_run:
            break
        if attempt + 1 < BATCH_POLLS:
            time.sleep(float(channel.setting("poll_interval", BATCH_POLL_INTERVAL)))
    return report


def register_feed(channel: ChannelContext, feed_url: str | None = None, *, currency: str | None = None,
                  name: str | None = None) -> str:
    """Register the shop's Pinterest feed with Pinterest catalogs (``POST /catalogs/feeds``); returns the feed id.

    Pinterest then fetches the feed on its own schedule, which suits shops with many products better than item
    batches; both may be used together.
    """
    location = feed_url or channel.setting("feed_url")
    if not location or not str(location).startswith(("http://", "https://")):
        raise PlatformError("Give the channel your shop's Pinterest feed URL (it starts with https://) first.")
    body: dict[str, Any] = {
        "name": name or f"{channel.shop_name or 'shopbridge'} products",
        "format": "CSV",
        "location": location,
        "default_country": channel.setting("catalog_country", "US"),
        "default_locale": channel.setting("catalog_language", "en-US"),
        "default_availability": "IN_STOCK",
    }
    if currency:
        body["default_currency"] = currency
    response = _call(channel, "POST", "/catalogs/feeds", json_body=body, dry_run_status=201,
                     dry_run_response={"id": "dry-run-feed", **body})
    return str(_json(response).get("id") or "")
