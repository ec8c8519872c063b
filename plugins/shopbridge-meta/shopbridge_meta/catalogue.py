"""The shop's variants in a Meta commerce catalogue, through the Catalog Batch API.

``POST /{catalog-id}/items_batch`` (``item_type=PRODUCT_ITEM``) takes up to 5,000 requests (Meta recommends
under 3,000), each ``{"method": "CREATE"|"UPDATE"|"DELETE", "data": {...}}`` with the fields of Meta's product
data specification (``id`` is our stable item id, ``sb-v<variant id>``). We send ``UPDATE`` with
``allow_upsert=true`` for live items, so a first sync creates them and later syncs change them without us having
to know which exist. Processing is asynchronous: the answer's ``handles`` are read back with
``GET /{catalog-id}/check_batch_request_status`` for per-item errors.
"""

from __future__ import annotations

import re
import time
from typing import Any

from shopbridge import hookimpl
from shopbridge.channels import CatalogueItem, ChannelContext, ItemError, PlatformError, SyncResult
from shopbridge_meta.graph import call, node_id
from shopbridge_meta.posts import TYPES

#: What shopbridge's batching hands one call; well under Meta's 5,000 and its recommended 3,000.
BATCH_SIZE = 1000
BATCH_MAX = 5000
STATUS_POLLS = 3
STATUS_POLL_INTERVAL = 1.0

#: Meta's field names, as a shop owner calls them.
FIELD_WORDS = {
    "title": "title", "description": "description", "availability": "availability",
    "condition": "condition", "price": "price", "sale_price": "sale price", "link": "product page link",
    "image_link": "main image", "additional_image_link": "extra images", "brand": "brand", "gtin": "barcode (GTIN)",
    "item_group_id": "product group", "quantity_to_sell_on_facebook": "stock quantity",
    "id": "item id",
}


def product_data(item: CatalogueItem) -> dict[str, Any]:
    """One variant in Meta's product data shape (the catalogue feed's field names)."""
    data: dict[str, Any] = {
        "id": item.item_id,
        "title": item.title[:200],  # Meta: title up to 200 characters (150 recommended)
        "description": (item.description or item.title)[:9999],  # Meta: up to 9,999 characters
        "availability": item.availability,
        "condition": item.condition,
        "price": str(item.price),  # "49.00 EUR"
        "link": item.link,
        "brand": item.brand[:100] if item.brand else "",
        "item_group_id": item.group_id,
        "quantity_to_sell_on_facebook": max(0, int(item.quantity)),
    }
    if item.image_link:
        data["image_link"] = item.image_link
    if item.additional_image_links:
        data["additional_image_link"] = ",".join(item.additional_image_links[:20])
    if item.sale_price:
        data["sale_price"] = str(item.sale_price)
    if item.gtin:
        data["gtin"] = item.gtin
    if not data["brand"]:
        del data["brand"]
    lowered = {k.lower(): str(v) for k, v in item.options.items()}
    for ours, theirs in (("colour", "color"), ("color", "color"), ("size", "size"), ("material", "material"),
                         ("pattern", "pattern")):
        if ours in lowered:
            data[theirs] = lowered[ours][:100]
    if item.category:
        data["product_type"] = item.category[:750]
    return data


def _requests(items: list[CatalogueItem]) -> list[dict[str, Any]]:
    return [{"method": "DELETE", "data": {"id": i.item_id}} if i.deleted else
            {"method": "UPDATE", "data": product_data(i)} for i in items]


@hookimpl
def shopbridge_sync_catalogue(channel: ChannelContext, items: list[CatalogueItem]) -> SyncResult | None:
    if channel.type not in TYPES:
        return None
    if not channel.setting("catalog_id") and not channel.dry_run:
        raise PlatformError("Connect a catalogue first: put its id (Commerce Manager > Catalogue > Settings) in the "
                            "channel settings.")
    catalog = node_id(channel, "catalog_id")
    errors: list[ItemError] = []
    handles: list[str] = []
    for start in range(0, len(items), BATCH_MAX):
        answer = call(channel, "POST", f"/{catalog}/items_batch",
                      form={"item_type": "PRODUCT_ITEM", "allow_upsert": True,
                            "requests": _requests(items[start:start + BATCH_MAX])},
                      dry_run_response={"handles": ["dry-run-handle"], "validation_status": []})
        handles += [str(h) for h in answer.get("handles") or []]
        errors += _validation_errors(answer.get("validation_status") or [])
    pending = []
    for handle in handles:
        report = _wait_for(channel, catalog, handle)
        if report.get("status") == "finished":
            errors += _status_errors(report)
        else:
            pending.append(handle)
    errors = _unique(errors)
    failed = {e.item_id for e in errors}
    return SyncResult(accepted=tuple(i.item_id for i in items if i.item_id not in failed), errors=tuple(errors),
                      remote_batch_id=",".join(pending) or (handles[-1] if handles else None))


def batch_status(channel: ChannelContext, handle: str) -> dict[str, Any]:
    """Meta's report on one batch handle: ``status`` (``finished`` when done) and the errors it found."""
    answer = call(channel, "GET", f"/{node_id(channel, 'catalog_id')}/check_batch_request_status",
                  params={"handle": handle, "load_ids_of_invalid_requests": "true"},
                  dry_run_response={"data": [{"handle": handle, "status": "finished", "errors_total_count": 0,
                                              "errors": [], "warnings": []}]})
    data = answer.get("data") or [{}]
    return data[0] if isinstance(data, list) and data else {}


def _wait_for(channel: ChannelContext, catalog: str, handle: str) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for attempt in range(STATUS_POLLS):
        report = batch_status(channel, handle)
        if report.get("status") == "finished" or channel.dry_run:
            break
        if attempt + 1 < STATUS_POLLS:
            time.sleep(float(channel.setting("poll_interval", STATUS_POLL_INTERVAL)))
    return report


def _words(item_id: str, message: str) -> ItemError:
    said = (message or "rejected").strip().rstrip(".")
    # Meta names the field in its message ("... image_link ..."): point the shop owner at it in their words.
    field = next((f for f in FIELD_WORDS if re.search(rf"\b{f}\b", said)), None)
    where = f" (the {FIELD_WORDS[field]})" if field else ""
    return ItemError(item_id=item_id, message=f"Meta did not accept this item{where}: {said}.", field=field)


def _validation_errors(statuses: list[dict[str, Any]]) -> list[ItemError]:
    found = []
    for status in statuses:
        for problem in status.get("errors") or []:
            found.append(_words(str(status.get("retailer_id")), str(problem.get("message") or "")))
    return found


def _status_errors(report: dict[str, Any]) -> list[ItemError]:
    found = [_words(str(problem.get("id") or "?"), str(problem.get("message") or ""))
             for problem in report.get("errors") or []]
    listed = {e.item_id for e in found}
    found += [ItemError(item_id=str(i), message="Meta did not accept this item; it gave no reason.")
              for i in report.get("ids_of_invalid_requests") or [] if str(i) not in listed]
    return found


def _unique(errors: list[ItemError]) -> list[ItemError]:
    seen, unique = set(), []
    for error in errors:
        key = (error.item_id, error.message)
        if key not in seen:
            seen.add(key)
            unique.append(error)
    return unique
