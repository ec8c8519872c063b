"""Catalogue sync: product changes become per-channel batches, debounced, with a status per item and channel.

The catalogue service calls :func:`catalogue_changed` whenever a product is created, edited or changes status.
That only records a :class:`PendingSync` row per channel (due after ``SYNC_DEBOUNCE_SECONDS``, pushed back by
every further edit), so ten quick edits become one request. The ``catalogue.flush`` job sends the due products'
variants as :class:`~shopbridge.channels.CatalogueItem` s in batches of the type's ``catalogue_batch_size`` and
keeps each item's outcome in :class:`SyncStatus` — the answer to "why isn't this product on Instagram?".
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from shopbridge import jobs, plugins
from shopbridge.catalogue.models import Product
from shopbridge.channels import service as channels
from shopbridge.channels.errors import PlatformError
from shopbridge.channels.models import Channel, PendingSync, SyncStatus
from shopbridge.channels.types import Capability, SyncResult
from shopbridge.db import session_scope, utcnow

DEFAULT_BATCH = 100
LOAD_CHUNK = 500  # products read per query when building catalogue items (bounded IN lists)


def _debounce(app: Flask | None) -> float:
    return float((app.config if app else {}).get("SYNC_DEBOUNCE_SECONDS", 30))


def catalogue_changed(session: Session, product_ids: list[int]) -> None:
    """Note that these products changed, for every channel that syncs a catalogue (called by the catalogue).

    Works outside an app context too (scripts); then the minute sweeper sends the change.
    """
    app = current_app._get_current_object() if has_app_context() else None
    targets = [c for c in session.exec(select(Channel).where(Channel.enabled == sa.true()))
               if app is None or channels.can(c, Capability.sync_catalogue, app)]
    if not targets or not product_ids:
        return
    due = (jobs.now(app) if app else utcnow()) + timedelta(seconds=_debounce(app))
    for channel in targets:
        for product_id in product_ids:
            row = session.exec(select(PendingSync).where(PendingSync.channel_id == channel.id,
                                                         PendingSync.product_id == product_id)).first()
            row = row or PendingSync(channel_id=channel.id, product_id=product_id)
            row.due_at = due
            session.add(row)
        if app is not None:
            jobs.enqueue_after_commit(session, "catalogue.flush", channel.id, app=app, eta=due)


def full_resync(session: Session, channel: Channel, app: Flask | None = None) -> int:
    """Queue every product (archived ones too, so platforms drop them) for ``channel``, due now."""
    app = app or current_app._get_current_object()
    moment = jobs.now(app)
    count = 0
    for product_id in session.exec(select(Product.id)):
        row = session.exec(select(PendingSync).where(PendingSync.channel_id == channel.id,
                                                     PendingSync.product_id == product_id)).first()
        row = row or PendingSync(channel_id=channel.id, product_id=product_id)
        row.due_at = moment
        session.add(row)
        count += 1
    jobs.enqueue_after_commit(session, "catalogue.flush", channel.id, app=app)
    return count


def _set_status(session: Session, channel_id: int, item, product_id: int, status: str, message: str = "",
                known: dict[str, SyncStatus] | None = None) -> None:
    """Record an item's outcome. ``known``: the channel's status rows by item id, read once for a whole flush."""
    if known is None:
        row = session.exec(select(SyncStatus).where(SyncStatus.channel_id == channel_id,
                                                    SyncStatus.item_id == item.item_id)).first()
    else:
        row = known.get(item.item_id)
    row = row or SyncStatus(channel_id=channel_id, item_id=item.item_id, product_id=product_id)
    if known is not None:
        known[item.item_id] = row
    row.variant_id = int(item.item_id.removeprefix("sb-v")) if item.item_id.startswith("sb-v") else None
    row.status = status
    row.message = message
    row.updated_at = utcnow()
    if status in ("synced", "deleted"):
        row.synced_at = utcnow()
    session.add(row)


@jobs.job("catalogue.flush")
def flush_channel(app: Flask, channel_id: int) -> int:
    """Send the due changes of one channel; returns how many items went out."""
    from shopbridge.channels.products import catalogue_items

    moment = jobs.now(app)
    sent = 0
    with session_scope(app) as session:
        channel = session.get(Channel, channel_id)
        rows = list(session.exec(select(PendingSync).where(PendingSync.channel_id == channel_id,
                                                           PendingSync.due_at <= moment + timedelta(seconds=1))))
        if channel is None or not channel.enabled or not channels.can(channel, Capability.sync_catalogue, app):
            for row in rows:
                session.delete(row)
            return 0
        if not rows:
            return 0
        ctype = channels.channel_type(channel.type, app)
        size = max(1, ctype.catalogue_batch_size or DEFAULT_BATCH)
        # Products with their variants, images and category in a few queries per chunk, not three per product
        # (a full sync of 10k products spent most of its time in those lazy loads).
        products: dict[int, Product] = {}
        wanted = [row.product_id for row in rows]
        for start in range(0, len(wanted), LOAD_CHUNK):
            chunk = wanted[start:start + LOAD_CHUNK]
            products.update((p.id, p) for p in session.exec(select(Product).where(Product.id.in_(chunk)).options(
                selectinload(Product.variants), selectinload(Product.images), selectinload(Product.category))))
        items_by_product = {}
        for row in rows:
            product = products.get(row.product_id)
            items_by_product[row.product_id] = catalogue_items(product, app) if product else []
        # Every status row of the channel at once: one query instead of one per item (each also autoflushing).
        known = {s.item_id: s for s in session.exec(select(SyncStatus).where(SyncStatus.channel_id == channel_id))}
        pairs = [(pid, item) for pid, items in items_by_product.items() for item in items]
        ctx = channels.context_for(session, channel, app=app, label="catalogue sync")
        failed_products: set[int] = set()
        retry_after: float | None = None
        for start in range(0, len(pairs), size):
            batch = pairs[start:start + size]
            try:
                result = plugins.call("shopbridge_sync_catalogue", app=app, raise_crash=True, channel=ctx,
                                      items=[item for _, item in batch])
            except PlatformError as exc:
                for pid, item in batch:
                    _set_status(session, channel_id, item, pid, "error", exc.message, known=known)
                if exc.transient:
                    failed_products |= {pid for pid, _ in batch}
                    retry_after = max(retry_after or 0, exc.retry_after or 0) or None
                continue
            except plugins.PluginCrashed as exc:
                for pid, item in batch:
                    _set_status(session, channel_id, item, pid, "error", str(exc), known=known)
                continue
            result = result if isinstance(result, SyncResult) else SyncResult()
            errors = {e.item_id: e for e in result.errors}
            accepted = set(result.accepted)
            for pid, item in batch:
                if item.item_id in errors:
                    error = errors[item.item_id]
                    where = f" ({error.field})" if error.field else ""
                    _set_status(session, channel_id, item, pid, "error", f"{error.message}{where}", known=known)
                elif item.item_id in accepted:
                    _set_status(session, channel_id, item, pid, "deleted" if item.deleted else "synced", known=known)
                else:
                    _set_status(session, channel_id, item, pid, "pending",
                                "Sent; the platform has not confirmed this item yet.", known=known)
            sent += len(batch)
        attempts = 0
        for row in rows:
            if row.product_id in failed_products:
                attempts += 1
            else:
                session.delete(row)
        if failed_products:
            record = jobs.record(session, "sync", f"channel:{channel_id}", "retrying", attempt=True,
                                 error="Some items could not be sent; trying again.")
            delay = jobs.backoff_delay(record.attempts, retry_after=retry_after,
                                       base=float(app.config.get("JOB_BACKOFF_SECONDS", 30)))
            due = moment + timedelta(seconds=delay)
            for row in rows:
                if row.product_id in failed_products:
                    row.due_at = due
                    session.add(row)
            if record.attempts >= int(app.config.get("JOB_MAX_ATTEMPTS", 6)):
                record.status = "failed"
                record.last_error = "Gave up sending some items; see the sync status of each product."
                for row in rows:
                    if row.product_id in failed_products:
                        session.delete(row)
            else:
                record.next_attempt_at = due
                jobs.enqueue_after_commit(session, "catalogue.flush", channel_id, app=app, eta=due)
        else:
            jobs.record(session, "sync", f"channel:{channel_id}", "done", error="", attempt=True)
    return sent


@jobs.every_minute
def sweep_sync(app: Flask) -> int:
    moment = jobs.now(app)
    with session_scope(app) as session:
        channel_ids = set(session.exec(select(PendingSync.channel_id).where(PendingSync.due_at <= moment)))
    for channel_id in channel_ids:
        flush_channel(app, channel_id)
    return len(channel_ids)


def status_for_product(session: Session, product: Product) -> list[dict]:
    """Per channel and variant: where the item stands and, if it is not on the platform, why."""
    rows = session.exec(select(SyncStatus).where(SyncStatus.product_id == product.id)).all()
    pending = {r.channel_id for r in session.exec(select(PendingSync).where(PendingSync.product_id == product.id))}
    names = {c.id: c for c in session.exec(select(Channel))}
    report = []
    for row in sorted(rows, key=lambda r: (r.channel_id, r.item_id)):
        report.append({"channel": names.get(row.channel_id), "item_id": row.item_id, "status": row.status,
                       "message": row.message, "synced_at": row.synced_at,
                       "queued": row.channel_id in pending})
    for channel_id in pending - {r.channel_id for r in rows}:
        report.append({"channel": names.get(channel_id), "item_id": "", "status": "pending",
                       "message": "Waiting to be sent (changes are grouped for a few seconds).", "synced_at": None,
                       "queued": True})
    return report
