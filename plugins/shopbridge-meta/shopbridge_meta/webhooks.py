"""Meta webhooks (subscription check, signature, comments) and replies to comments.

One Meta app sends both Page and Instagram events to the channel's webhook URL:

- the subscription check is a GET with ``hub.mode=subscribe``, ``hub.verify_token`` (what the shop typed in the
  app's Webhooks settings) and ``hub.challenge``, which must be echoed;
- every POST carries ``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body keyed with the app secret>``;
- Page ``feed`` changes with ``item=comment, verb=add`` and Instagram ``comments`` changes become comment events
  (Webhooks reference: Page > feed; Instagram > comments).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from shopbridge import hookimpl
from shopbridge.channels import (
    ChannelContext,
    EventKind,
    InboundEvent,
    InboundRequest,
    PublishResult,
    Reply,
    WebhookResponse,
    WebhookSignatureError,
)
from shopbridge_meta.graph import call
from shopbridge_meta.posts import FACEBOOK, INSTAGRAM, TYPES

#: Meta's comment length limit for replies (Graph "Comments" reference: 8,000 characters on Pages; Instagram
#: comments are limited to 2,200 like captions).
REPLY_MAX = {FACEBOOK: 8000, INSTAGRAM: 2200}


@hookimpl
def shopbridge_webhook_challenge(channel: ChannelContext, request: InboundRequest) -> WebhookResponse | None:
    if channel.type not in TYPES or request.method != "GET" or request.args.get("hub.mode") != "subscribe":
        return None
    expected = channel.setting("verify_token")
    given = request.args.get("hub.verify_token") or ""
    if not expected or not hmac.compare_digest(given.encode(), str(expected).encode()):
        return WebhookResponse(status=403, body="The verify token does not match this channel's settings.")
    return WebhookResponse(status=200, body=request.args.get("hub.challenge", ""))


def signature(body: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends for ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify(request: InboundRequest, app_secret: str | None) -> None:
    """Raise :class:`WebhookSignatureError` unless the body was signed with the app secret."""
    if not app_secret:
        raise WebhookSignatureError("The channel has no app secret, so Meta's webhooks cannot be verified.")
    given = request.header("X-Hub-Signature-256") or ""
    if not hmac.compare_digest(given.encode(), signature(request.body, app_secret).encode()):
        raise WebhookSignatureError("X-Hub-Signature-256 does not match the body signed with the app secret.")


@hookimpl
def shopbridge_parse_webhook(channel: ChannelContext, request: InboundRequest) -> list[InboundEvent] | None:
    if channel.type not in TYPES:
        return None
    verify(request, channel.setting("app_secret"))
    try:
        payload = request.json()
    except ValueError:
        return []
    if not isinstance(payload, dict):
        return []
    if channel.type == FACEBOOK and payload.get("object") == "page":
        return _page_events(channel, payload)
    if channel.type == INSTAGRAM and payload.get("object") == "instagram":
        return _instagram_events(channel, payload)
    return []


def _when(value: Any) -> datetime | None:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)
        except ValueError:
            return None
    return None


def _changes(payload: dict[str, Any], owner_id: str | None):
    for entry in payload.get("entry") or []:
        if owner_id and str(entry.get("id")) != str(owner_id):
            continue  # an event for another Page/account of the same app
        for change in entry.get("changes") or []:
            value = change.get("value")
            if isinstance(value, dict):
                yield entry, change.get("field"), value


def _page_events(channel: ChannelContext, payload: dict[str, Any]) -> list[InboundEvent]:
    page_id = channel.setting("page_id")
    events = []
    for entry, field, value in _changes(payload, page_id):
        if field != "feed" or value.get("item") != "comment" or value.get("verb") != "add":
            continue
        author = value.get("from") or {}
        if not value.get("comment_id") or str(author.get("id")) == str(page_id):
            continue  # our own replies come back as comments too: never answer ourselves
        events.append(InboundEvent(
            kind=EventKind.comment, external_id=str(value["comment_id"]), author_id=str(author.get("id") or ""),
            author_name=str(author.get("name") or ""), text=str(value.get("message") or ""),
            post_remote_id=str(value.get("post_id") or "") or None,
            occurred_at=_when(value.get("created_time")) or _when(entry.get("time")), payload=value))
    return events


def _instagram_events(channel: ChannelContext, payload: dict[str, Any]) -> list[InboundEvent]:
    ig_user = channel.setting("ig_user_id")
    events = []
    for entry, field, value in _changes(payload, ig_user):
        author = value.get("from") or {}
        if field == "comments" and value.get("id") and str(author.get("id")) != str(ig_user):
            events.append(InboundEvent(
                kind=EventKind.comment, external_id=str(value["id"]), author_id=str(author.get("id") or ""),
                author_name=str(author.get("username") or ""), text=str(value.get("text") or ""),
                post_remote_id=str((value.get("media") or {}).get("id") or "") or None,
                occurred_at=_when(entry.get("time")), payload=value))
        elif field == "mentions" and value.get("comment_id"):
            events.append(InboundEvent(
                kind=EventKind.mention, external_id=f"mention-{value['comment_id']}", author_id="",
                post_remote_id=str(value.get("media_id") or "") or None, occurred_at=_when(entry.get("time")),
                payload=value))
    return events


@hookimpl
def shopbridge_reply(channel: ChannelContext, event: InboundEvent, reply: Reply) -> PublishResult | None:
    if channel.type not in TYPES:
        return None
    text = reply.text.strip()
    if reply.link_url and reply.link_url not in text:
        text = f"{text} {reply.link_url}".strip()
    text = text[: REPLY_MAX[channel.type]]
    # Instagram: POST /{ig-comment-id}/replies; Facebook: POST /{comment-id}/comments (a reply in the thread).
    edge = "replies" if channel.type == INSTAGRAM else "comments"
    answer = call(channel, "POST", f"/{event.external_id}/{edge}", form={"message": text},
                  dry_run_response={"id": f"dry-run-reply-{event.external_id}"})
    return PublishResult(remote_id=str(answer.get("id")), raw=answer)
