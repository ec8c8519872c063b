"""Inbound webhooks and listening: store events once, run keyword rules, hand them to plugins.

A webhook request is verified and parsed by the channel's plugin (``shopbridge_parse_webhook``) in the web
request; the normalised events are stored by ``(channel, external_id)`` — a replayed webhook stores nothing new —
and each new event is processed by the ``inbound.process`` job: keyword rules (comment-to-buy replies, at most one
per person and post) and then ``shopbridge_inbound_event`` for plugins with their own conversation logic.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from shopbridge import jobs, plugins
from shopbridge.catalogue.models import Product
from shopbridge.channels import service as channels
from shopbridge.channels.errors import PlatformError
from shopbridge.channels.models import AutoReply, Channel, ChannelEvent, KeywordRule
from shopbridge.channels.shop import Shop
from shopbridge.channels.types import EventKind, InboundEvent, Reply
from shopbridge.db import session_scope, utcnow

log = logging.getLogger(__name__)
LISTENED = (EventKind.comment.value, EventKind.message.value, EventKind.mention.value)


def store_events(session: Session, channel: Channel, events: list[InboundEvent], app: Flask,
                 urgent: list[int] | None = None) -> list[int]:
    """Store new events (replays are skipped) and queue their processing; returns the new rows' ids.

    The ids of new ``urgent`` events are also added to ``urgent``: the caller processes them itself once the
    rows are committed (:func:`process_now`); the queued job then finds them done.
    """
    from shopbridge.posts.models import PostTarget

    new_ids = []
    for event in events:
        exists = session.exec(select(ChannelEvent.id).where(ChannelEvent.channel_id == channel.id,
                                                            ChannelEvent.external_id == event.external_id)).first()
        if exists is not None:
            continue
        post_id = None
        if event.post_remote_id:
            post_id = session.exec(select(PostTarget.post_id).where(
                PostTarget.channel_id == channel.id, PostTarget.remote_id == event.post_remote_id)).first()
        row = ChannelEvent(
            channel_id=channel.id, external_id=str(event.external_id)[:200], kind=str(event.kind),
            author_id=str(event.author_id)[:200], author_name=(event.author_name or "")[:200], text=event.text or "",
            post_remote_id=event.post_remote_id, post_id=post_id, thread_id=event.thread_id,
            occurred_at=event.occurred_at or utcnow(), payload=_jsonable(event.payload),
            order_lines=[[str(item)[:200], int(quantity)] for item, quantity in event.order_lines],
        )
        try:
            with session.begin_nested():  # two deliveries racing: the unique constraint decides
                session.add(row)
                session.flush()
        except IntegrityError:
            continue
        new_ids.append(row.id)
        if urgent is not None and event.urgent:
            urgent.append(row.id)
        jobs.enqueue_after_commit(session, "inbound.process", row.id, app=app)  # also the safety net
    return new_ids


def _jsonable(value: Any) -> Any:
    import json

    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return {"repr": repr(value)}


#: What a customer does that opens (or renews) a messaging platform's reply window.
CUSTOMER_INITIATED = (EventKind.message.value, EventKind.order.value, EventKind.postback.value,
                      EventKind.payment.value)


def last_inbound_at(session: Session, channel_id: int, author_id: str) -> datetime | None:
    """When this customer last wrote to this channel, from the events the shop stored.

    Each event counts at the earlier of the platform's time and the time the shop received it, so a payload's
    clock can never stretch a reply window (WhatsApp's and Messenger's 24 hours) beyond what really happened.
    """
    rows = session.exec(select(ChannelEvent.occurred_at, ChannelEvent.created_at).where(
        ChannelEvent.channel_id == channel_id, ChannelEvent.author_id == author_id,
        ChannelEvent.kind.in_(CUSTOMER_INITIATED)).order_by(ChannelEvent.occurred_at.desc()).limit(5)).all()
    times = [min(occurred, received) if received else occurred for occurred, received in rows if occurred]
    return max(times, default=None)


def as_event(row: ChannelEvent, session: Session | None = None) -> InboundEvent:
    """The stored event as plugins receive it. With ``session``, ``payload["customer_last_inbound_at"]`` says
    (ISO 8601, UTC) when the customer last wrote, from the stored events: what reply windows are decided on."""
    payload = dict(row.payload or {})
    if session is not None and row.author_id:
        last = last_inbound_at(session, row.channel_id, row.author_id)
        if last is not None:
            payload["customer_last_inbound_at"] = last.isoformat()
    return InboundEvent(kind=EventKind(row.kind), external_id=row.external_id, author_id=row.author_id,
                        text=row.text, author_name=row.author_name, post_remote_id=row.post_remote_id,
                        thread_id=row.thread_id, occurred_at=row.occurred_at, payload=payload,
                        order_lines=tuple((str(item), int(quantity)) for item, quantity in row.order_lines or ()))


def matches(keyword: str, text: str) -> bool:
    """Whole-word, case-insensitive: "BUY" matches "buy please!" but not "buyer"; "#shop" matches "#Shop"."""
    keyword = keyword.strip()
    if not keyword:
        return False
    return re.search(rf"(?<![\w#]){re.escape(keyword)}(?!\w)", text, re.IGNORECASE) is not None


def _reply_link(session: Session, row: ChannelEvent, rule: KeywordRule, channel: Channel) -> tuple[Any, str]:
    from shopbridge.posts import linking
    from shopbridge.posts.models import Post, PostTarget

    product = session.get(Product, rule.product_id) if rule.product_id else None
    if row.post_id is not None:
        post = session.get(Post, row.post_id)
        target = session.exec(select(PostTarget).where(PostTarget.post_id == row.post_id,
                                                       PostTarget.channel_id == channel.id)).first()
        if product is None and post and post.product_ids:
            product = session.get(Product, post.product_ids[0])
        if target and target.link_url and (rule.product_id is None or rule.product_id in (post.product_ids or [])):
            return product, target.link_url  # the post's own tracked link: the sale is credited to the post
    if product is None:
        return None, ""
    return product, linking.tracked_link(session, post=None, channel=channel, product=product)


@jobs.job("inbound.process")
def process_event(app: Flask, event_id: int) -> str:
    from shopbridge.channels.products import product_info

    with session_scope(app) as session:
        # Claimed with one conditional UPDATE: the webhook request (urgent events) and the queued job may both
        # get here, and exactly one of them processes the event.
        table = ChannelEvent.__table__
        claimed = session.execute(sa.update(table).where(table.c.id == event_id, table.c.processed_at.is_(None))
                                  .values(processed_at=utcnow())).rowcount
        row = session.get(ChannelEvent, event_id)
        if row is None or claimed != 1:
            return "skipped"
        channel = session.get(Channel, row.channel_id)
        rules = [r for r in session.exec(select(KeywordRule).where(KeywordRule.enabled == True))  # noqa: E712
                 if r.channel_id in (None, channel.id)]
        rule = next((r for r in rules if row.kind in LISTENED and matches(r.keyword, row.text)), None)
        claim = None
        if rule is not None:
            post_key = row.post_remote_id or row.thread_id or "-"
            claim = AutoReply(channel_id=channel.id, author_id=row.author_id, post_key=post_key, event_id=row.id,
                              rule_id=rule.id, status="sending")
            try:
                with session.begin_nested():
                    session.add(claim)
                    session.flush()
            except IntegrityError:
                claim = None  # this person already got the link for this post
    # The claim is committed before the reply goes out: a retry or a second comment never replies twice.
    outcome = "stored"
    with session_scope(app) as session:
        row = session.get(ChannelEvent, event_id)
        channel = session.get(Channel, row.channel_id)
        ctx = channels.context_for(session, channel, app=app, label=f"reply to {row.kind}")
        event = as_event(row, session)  # one look-up of the customer's reply window for both hooks
        if claim is not None:
            claim = session.get(AutoReply, claim.id)
            rule = session.get(KeywordRule, claim.rule_id)
            product, link = _reply_link(session, row, rule, channel)
            if not link:
                claim.status, claim.detail = "failed", "No product to link to (set one on the rule)."
            else:
                text = rule.reply_text.replace("{link}", link).replace(
                    "{title}", product.title if product else "")
                reply = Reply(text=text, link_url=link, product=product_info(product, app=app) if product else None)
                try:
                    result = plugins.call("shopbridge_reply", app=app, raise_crash=True, channel=ctx,
                                          event=event, reply=reply)
                    claim.status = "sent" if result is not None else "failed"
                    claim.detail = "" if result is not None else "This channel type cannot reply."
                    outcome = "replied" if result is not None else outcome
                except (PlatformError, plugins.PluginCrashed) as exc:
                    claim.status, claim.detail = "failed", getattr(exc, "message", str(exc))[:1000]
            session.add(claim)
        plugins.call("shopbridge_inbound_event", app=app, channel=ctx, event=event,
                     shop=Shop(app, session, channel))
    return outcome


def process_now(app: Flask, event_ids: list[int]) -> None:
    """Process urgent events right away (in the webhook request), never failing the request: an error is
    logged and recorded like any plugin error, and the platform still gets its 200."""
    for event_id in event_ids:
        try:
            process_event(app, event_id)
        except Exception:  # noqa: BLE001 - the webhook must answer whatever a plugin did
            log.exception("processing urgent inbound event %s failed", event_id)


def keyword_counts(session: Session, days: int = 14) -> dict[str, dict[str, int]]:
    """Per keyword rule and hashtag seen: how many inbound comments/messages/mentions per day."""
    since = utcnow() - timedelta(days=days)
    rows = session.exec(select(ChannelEvent).where(ChannelEvent.occurred_at >= since,
                                                   ChannelEvent.kind.in_(LISTENED))).all()
    keywords = {r.keyword for r in session.exec(select(KeywordRule))}
    counts: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        day = row.occurred_at.date().isoformat()
        for tag in {t.lower() for t in re.findall(r"#\w+", row.text)}:
            counts[tag][day] += 1
        for keyword in keywords:
            if matches(keyword, row.text):
                counts[keyword][day] += 1
    return {k: dict(sorted(v.items())) for k, v in sorted(counts.items())}


def add_rule(session: Session, *, keyword: str, reply_text: str, product_id: int | None = None,
             channel_id: int | None = None, user=None) -> KeywordRule:
    from shopbridge import audit

    keyword = keyword.strip()
    if not keyword or len(keyword) > 100:
        raise channels.ChannelError({"keyword": "Give a keyword (up to 100 characters), e.g. BUY or #myshop."})
    if "{link}" not in reply_text:
        raise channels.ChannelError({"reply_text": "The reply must contain {link}, where the buy link goes."})
    rule = KeywordRule(keyword=keyword, reply_text=reply_text, product_id=product_id, channel_id=channel_id)
    session.add(rule)
    session.flush()
    audit.record(session, user, "keyword_rule.create", rule, {"keyword": keyword})
    return rule


def order_event(session: Session, order: dict[str, Any], event: str, app: Flask | None = None) -> None:
    """Tell plugins about an order event (``created``, ``paid`` …) from a job, after ``session`` commits.

    The checkout calls this; plugins' ``shopbridge_order_event`` errors are recorded and never block the order.
    """
    jobs.enqueue_after_commit(session, "orders.event", dict(order), event, app=app)


@jobs.job("orders.event")
def notify_order(app: Flask, order: dict[str, Any], event: str) -> None:
    from types import MappingProxyType

    # Plugins that report orders somewhere (an ads platform's conversions API) need their channels' settings;
    # contexts hold decrypted secrets, so they are built here in the job, never carried through the queue.
    with session_scope(app) as session:
        enabled = session.exec(select(Channel).where(Channel.enabled == True)).all()  # noqa: E712
        contexts = [channels.context_for(session, c, app=app, label=f"order {event}") for c in enabled]
        plugins.call("shopbridge_order_event", app=app,
                     order=MappingProxyType({**order, "channels": contexts}), event=event)


def reply_by_hand(session: Session, row: ChannelEvent, text: str, *, product_id: int | None = None, user=None,
                  app: Flask) -> str:
    """A person answers an inbox entry; returns what happened, in words for the flash message.

    Sent at once (a person is waiting to see it went out); a platform error is reported, not retried.
    """
    from shopbridge import audit

    text = (text or "").strip()
    if not text:
        raise channels.ChannelError({"text": "Write the reply first."})
    if len(text) > 2000:
        raise channels.ChannelError({"text": "Keep the reply under 2000 characters."})
    channel = session.get(Channel, row.channel_id)
    shop = Shop(app, session, channel)
    try:
        result = shop.reply(as_event(row, session), text, product_id)
    except (PlatformError, plugins.PluginCrashed) as exc:
        raise channels.ChannelError({"text": getattr(exc, "message", str(exc))}) from exc
    if result is None:
        raise channels.ChannelError({"text": "This channel type cannot send replies."})
    audit.record(session, user, "inbox.reply", row, {"text": text, "product_id": product_id})
    return "Reply sent." if not channels.effective_dry_run(channel, app) else "Reply recorded in the outbox (dry run)."
