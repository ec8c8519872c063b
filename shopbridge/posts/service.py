"""Shoppable posts: compose, approve, schedule, publish, edit, cancel and delete (the only writer of posts).

A post is written once for one or more products and sent to one or more channels; each channel is a
:class:`PostTarget` with its own tracked buy link, rendered text, attempts and the platform's answer. The
publishing itself happens in jobs (:mod:`shopbridge.posts.publishing`), enqueued after the transaction commits.

States: draft → awaiting_approval (when the owner requires approval of staff/agency posts) → scheduled →
publishing → published | failed, plus cancelled. The post's state summarises its targets'.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlmodel import Session, select

from shopbridge import audit, jobs, plugins
from shopbridge import settings as shop_settings
from shopbridge.accounts.models import Role, User
from shopbridge.catalogue.models import Image, Product, ProductStatus
from shopbridge.channels import service as channels
from shopbridge.channels.models import Channel
from shopbridge.channels.products import product_info
from shopbridge.channels.types import Capability, PostContent
from shopbridge.db import utcnow
from shopbridge.posts import linking
from shopbridge.posts.models import Post, PostStatus, PostTarget, TargetStatus

REQUIRE_APPROVAL = "posts.require_approval"
PREVIEW_LINK = "https://example.com/l/preview"  # stands in for the tracked link until the post is submitted
PLACEHOLDERS = ("title", "price", "link", "brand", "url", "description", "products", "shop")
OPEN_TARGETS = (TargetStatus.pending, TargetStatus.queued, TargetStatus.retrying, TargetStatus.publishing)


class PostError(ValueError):
    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass
class PostInput:
    title: str
    caption: str
    product_ids: list[int]
    channel_ids: list[int]
    hashtags: list[str] = field(default_factory=list)
    image_id: int | None = None
    scheduled_at: datetime | None = None
    options: dict[int, dict[str, Any]] = field(default_factory=dict)  # channel id → per-channel options


def parse_hashtags(raw: str | Iterable[str]) -> list[str]:
    words = re.split(r"[\s,]+", raw) if isinstance(raw, str) else list(raw)
    seen: list[str] = []
    for word in words:
        tag = word.strip().lstrip("#")
        if tag and re.fullmatch(r"\w+", tag) and tag not in seen:
            seen.append(tag)
    return seen


def approval_required(session: Session, app: Flask | None = None) -> bool:
    return bool(shop_settings.get(session, REQUIRE_APPROVAL, False, app=app))


def set_approval_required(session: Session, value: bool, user: User | None = None,
                          app: Flask | None = None) -> None:
    shop_settings.put(session, REQUIRE_APPROVAL, bool(value), app=app)
    audit.record(session, user, "posts.require_approval", None, {"value": bool(value)})


def publishable_channels(session: Session, app: Flask | None = None) -> list[Channel]:
    return [c for c in channels.list_channels(session)
            if c.enabled and channels.can(c, Capability.publish_posts, app)]


def products_of(session: Session, post: Post) -> list[Product]:
    found = {p.id: p for p in session.exec(select(Product).where(Product.id.in_(post.product_ids or [0])))}
    return [found[i] for i in post.product_ids if i in found]


def fill_caption(template: str, products: list[Product], link_url: str, app: Flask | None = None) -> str:
    """The caption template with ``{title}``, ``{price}``, ``{link}`` … filled from the (first) product.

    Unknown placeholders are left as they are, so a stray brace never breaks a post.
    """
    app = app or current_app._get_current_object()
    first = products[0] if products else None
    variant = first.cheapest_variant if first else None
    values = {
        "title": first.title if first else "",
        "brand": first.brand if first else "",
        "description": first.description if first else "",
        "price": variant.price.format(app.config.get("DEFAULT_LOCALE", "en")) if variant else "",
        "link": link_url,
        "url": link_url,
        "products": ", ".join(p.title for p in products),
        "shop": str(app.config.get("SHOP_NAME", "")),
    }
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), template or "")


def validate(session: Session, data: PostInput, app: Flask | None = None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not (data.title or "").strip():
        errors["title"] = "Give the post a title (it is shown where platforms have one, e.g. a pin)."
    if not data.product_ids:
        errors["product_ids"] = "Choose at least one product."
    products = list(session.exec(select(Product).where(Product.id.in_(data.product_ids or [0]))))
    if len(products) != len(set(data.product_ids)):
        errors["product_ids"] = "One of the chosen products does not exist."
    elif any(p.status != ProductStatus.active for p in products):
        errors["product_ids"] = "Only active products can be posted; publish the product first."
    allowed = {c.id for c in publishable_channels(session, app)}
    if not data.channel_ids:
        errors["channel_ids"] = "Choose at least one channel."
    elif not set(data.channel_ids) <= allowed:
        errors["channel_ids"] = "One of the chosen channels cannot publish posts (or is switched off)."
    if data.image_id is not None:
        image = session.get(Image, data.image_id)
        if image is None or image.product_id not in set(data.product_ids):
            errors["image_id"] = "Choose one of the chosen products' images."
    if len(data.caption or "") > 5000:
        errors["caption"] = "Keep the caption under 5000 characters."
    return errors


def create_post(session: Session, data: PostInput, user: User | None = None, app: Flask | None = None) -> Post:
    errors = validate(session, data, app)
    if errors:
        raise PostError(errors)
    post = Post(title=data.title.strip(), caption=data.caption or "", hashtags=parse_hashtags(data.hashtags),
                product_ids=list(dict.fromkeys(data.product_ids)), image_id=data.image_id,
                scheduled_at=data.scheduled_at, created_by_id=getattr(user, "id", None))
    session.add(post)
    session.flush()
    for channel_id in dict.fromkeys(data.channel_ids):
        session.add(PostTarget(post_id=post.id, channel_id=channel_id, options=data.options.get(channel_id, {}),
                               idempotency_key=f"sb-post-{post.id}-{channel_id}-{secrets.token_hex(6)}"))
    session.flush()
    session.refresh(post)
    audit.record(session, user, "post.create", post, {"title": post.title, "channels": data.channel_ids,
                                                      "products": post.product_ids})
    return post


def edit_post(session: Session, post: Post, *, title: str | None = None, caption: str | None = None,
              hashtags: Iterable[str] | str | None = None, user: User | None = None,
              app: Flask | None = None) -> list[PostTarget]:
    """Change a post's words; published targets get the change through ``shopbridge_update_post``.

    Returns the targets an update job was queued for (platforms that cannot edit keep the old text; the
    target's last error says so).
    """
    before = {"title": post.title, "caption": post.caption, "hashtags": list(post.hashtags)}
    if title is not None:
        if not title.strip():
            raise PostError({"title": "Give the post a title."})
        post.title = title.strip()
    if caption is not None:
        post.caption = caption
    if hashtags is not None:
        post.hashtags = parse_hashtags(hashtags)
    after = {"title": post.title, "caption": post.caption, "hashtags": list(post.hashtags)}
    changes = audit.diff(before, after)
    if not changes:
        return []
    post.updated_at = utcnow()
    session.add(post)
    audit.record(session, user, "post.edit", post, changes)
    updated = []
    for target in post.targets:
        if target.status == TargetStatus.published and target.remote_id:
            jobs.enqueue_after_commit(session, "posts.update", target.id, app=app)
            updated.append(target)
        elif target.status in (TargetStatus.pending, TargetStatus.queued, TargetStatus.retrying):
            target.text = ""  # rendered again right before publishing
            session.add(target)
    return updated


def _ensure_links(session: Session, post: Post, user: User | None, app: Flask | None) -> None:
    products = products_of(session, post)
    if not products:
        raise PostError({"product_ids": "The post's products no longer exist."})
    for target in post.targets:
        if target.link_url:
            continue
        channel = session.get(Channel, target.channel_id)
        try:
            target.link_url = linking.tracked_link(session, post=post, channel=channel, product=products[0],
                                                   user=user)
        except linking.LinkingUnavailable as exc:
            raise PostError({"links": str(exc)}) from exc
        session.add(target)


def submit(session: Session, post: Post, user: User | None = None, app: Flask | None = None) -> Post:
    """Send a draft on its way: to approval, or to its schedule, or straight to publishing."""
    if post.status not in (PostStatus.draft, PostStatus.failed, PostStatus.cancelled):
        raise PostError({"status": "Only a draft can be submitted."})
    needs_approval = approval_required(session, app) and user is not None and user.role != Role.owner
    if needs_approval:
        post.status = PostStatus.awaiting_approval
        post.updated_at = utcnow()
        session.add(post)
        audit.record(session, user, "post.submit", post, {"status": post.status})
        return post
    return _release(session, post, user, app)


def approve(session: Session, post: Post, user: User, app: Flask | None = None) -> Post:
    if user.role != Role.owner:
        raise PostError({"status": "Only the shop owner approves posts."})
    if post.status != PostStatus.awaiting_approval:
        raise PostError({"status": "This post is not waiting for approval."})
    post.approved_by_id = user.id
    return _release(session, post, user, app)


def _release(session: Session, post: Post, user: User | None, app: Flask | None) -> Post:
    _ensure_links(session, post, user, app)
    when = post.scheduled_at if post.scheduled_at and post.scheduled_at > jobs.now(app) else None
    for target in post.targets:
        if target.status in (TargetStatus.pending, TargetStatus.cancelled, TargetStatus.failed):
            target.status = TargetStatus.queued
            target.next_attempt_at = when
            session.add(target)
            jobs.enqueue_after_commit(session, "posts.publish", target.id, app=app, eta=when)
    refresh_status(post)
    session.add(post)
    audit.record(session, user, "post.release", post, {"status": post.status, "scheduled_at": when})
    return post


def refresh_status(post: Post, now: datetime | None = None) -> PostStatus:
    """The post's state from its targets' (awaiting approval and draft are the post's own)."""
    if post.status in (PostStatus.draft, PostStatus.awaiting_approval) and all(
            t.status == TargetStatus.pending for t in post.targets):
        return post.status
    statuses = [t.status for t in post.targets]
    now = now or utcnow()
    if statuses and all(s in (TargetStatus.cancelled, TargetStatus.deleted) for s in statuses):
        post.status = PostStatus.cancelled
    elif any(s in (TargetStatus.publishing, TargetStatus.retrying) for s in statuses):
        post.status = PostStatus.publishing
    elif any(s == TargetStatus.queued for s in statuses):
        post.status = (PostStatus.scheduled if post.scheduled_at and post.scheduled_at > now
                       else PostStatus.publishing)
    elif any(s in (TargetStatus.failed, TargetStatus.needs_check) for s in statuses):
        post.status = PostStatus.failed
    elif any(s == TargetStatus.published for s in statuses):
        post.status = PostStatus.published
    post.updated_at = utcnow()
    return post.status


def cancel(session: Session, post: Post, user: User | None = None) -> Post:
    """Stop what has not gone out yet; what is published stays (delete it to remove it from platforms)."""
    for target in post.targets:
        if target.status in (TargetStatus.pending, TargetStatus.queued, TargetStatus.retrying,
                             TargetStatus.failed):
            target.status = TargetStatus.cancelled
            session.add(target)
    if post.status in (PostStatus.draft, PostStatus.awaiting_approval):
        post.status = PostStatus.cancelled
    else:
        refresh_status(post)
    session.add(post)
    audit.record(session, user, "post.cancel", post, {"status": post.status})
    return post


def retry(session: Session, target: PostTarget, user: User | None = None, app: Flask | None = None) -> None:
    """Try a failed target again (a person decided to, so the attempt count starts over)."""
    if target.status not in (TargetStatus.failed, TargetStatus.cancelled):
        raise PostError({"status": "Only a failed or cancelled channel can be retried."})
    target.status = TargetStatus.queued
    target.attempts = 0
    target.next_attempt_at = None
    session.add(target)
    post = target.post
    post.scheduled_at = None if post.scheduled_at and post.scheduled_at < jobs.now(app) else post.scheduled_at
    _ensure_links(session, post, user, app)
    refresh_status(post)
    session.add(post)
    audit.record(session, user, "post.retry", target, {"channel_id": target.channel_id})
    jobs.enqueue_after_commit(session, "posts.publish", target.id, app=app)


def resolve_unknown(session: Session, target: PostTarget, *, published: bool, remote_url: str = "",
                    user: User | None = None, app: Flask | None = None) -> None:
    """A person checked the platform after an attempt whose outcome was unknown.

    ``published=True``: it is there (we record it, with its address if given); ``False``: it is not, so it is
    published again.
    """
    if target.status != TargetStatus.needs_check:
        raise PostError({"status": "This channel is not waiting for a check."})
    target.attempt_started_at = None
    if published:
        target.status = TargetStatus.published
        target.remote_url = remote_url.strip() or target.remote_url
        target.remote_id = target.remote_id or f"confirmed:{target.idempotency_key}"
        target.published_at = utcnow()
        target.last_error = ""
    else:
        target.status = TargetStatus.queued
        target.attempts = 0
    session.add(target)
    refresh_status(target.post)
    session.add(target.post)
    audit.record(session, user, "post.confirm", target, {"published": published, "remote_url": remote_url})
    if not published:
        jobs.enqueue_after_commit(session, "posts.publish", target.id, app=app)


def parse_options(text: str) -> dict[str, str]:
    """``key=value`` lines (e.g. ``board=Summer``) as a dict; raises :class:`PostError` on a malformed line."""
    options: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][\w.-]{0,59}", key.strip()):
            raise PostError({"options": f"Line {number}: write key=value, e.g. board=Summer."})
        options[key.strip()] = value.strip()
    return options


@dataclass
class ChannelOptions:
    """The compose form's per-channel choices: the plugin's options, or a note why a text field stands in."""

    channel: Channel
    options: list[Any] = field(default_factory=list)  # shopbridge.channels.PostOption
    note: str | None = None  # set when the plugin could not list its choices: offer ``key=value`` text instead


def channel_options(session: Session, channel: Channel, app: Flask | None = None) -> ChannelOptions:
    """Ask ``channel``'s plugin for its per-post choices (``shopbridge_post_options``), never failing the form.

    A platform error (the API is down, the token expired) becomes a note shown next to a ``key=value`` field.
    """
    from shopbridge.channels.errors import PlatformError

    app = app or current_app._get_current_object()
    ctx = channels.context_for(session, channel, app=app, label="compose form")
    ctx.http.recorder = None  # listing choices is not something to keep in the outbox
    try:
        found = plugins.call("shopbridge_post_options", app=app, channel=ctx)
    except PlatformError as exc:
        return ChannelOptions(channel, note=exc.message)
    return ChannelOptions(channel, options=[o for o in (found or []) if o.choices])


def chosen_options(offered: ChannelOptions, form: Mapping[str, str]) -> dict[str, str]:
    """The values picked for one channel in the compose form: selects checked against what was offered, else
    the fallback ``key=value`` text (raises :class:`PostError` when a value was not offered)."""
    prefix = f"option-{offered.channel.id}-"
    chosen: dict[str, str] = {}
    for option in offered.options:
        value = (form.get(prefix + option.name) or "").strip()
        if not value:
            continue
        if value not in {v for v, _label in option.choices}:
            raise PostError({"channel_ids": f"{offered.channel.name}: choose a {option.label.lower()} from the list."})
        chosen[option.name] = value
    text = form.get(f"options-{offered.channel.id}") or ""
    return {**parse_options(text), **chosen} if text.strip() else chosen


def set_target_options(session: Session, target: PostTarget, options: dict[str, Any],
                       user: User | None = None) -> None:
    """Per-channel choices (a Pinterest board, a Telegram chat …) handed to the plugin as ``content.options``."""
    if target.status not in (TargetStatus.pending, TargetStatus.queued, TargetStatus.failed,
                             TargetStatus.cancelled):
        raise PostError({"options": "Options can only change before the post goes out on this channel."})
    audit.record(session, user, "post.options", target, audit.diff(dict(target.options or {}), dict(options)))
    target.options = dict(options)
    session.add(target)


def delete_post(session: Session, post: Post, user: User | None = None, app: Flask | None = None) -> None:
    """Cancel what is pending and remove published copies from platforms (where the platform allows)."""
    for target in post.targets:
        if target.status == TargetStatus.published and target.remote_id:
            jobs.enqueue_after_commit(session, "posts.delete", target.id, app=app)
        elif target.status in (*OPEN_TARGETS, TargetStatus.failed, TargetStatus.needs_check):
            if target.status != TargetStatus.publishing:
                target.status = TargetStatus.cancelled
                session.add(target)
    post.status = PostStatus.cancelled
    session.add(post)
    audit.record(session, user, "post.delete", post, {})


# --- What a platform gets ----------------------------------------------------------------------------------------


def render_text(ctx, post: Post, products: list[Product], link_url: str, app: Flask | None = None) -> str:
    """The post's text for one channel, as its plugin renders it (``shopbridge_render_post_text``)."""
    app = app or current_app._get_current_object()
    infos = [product_info(p, app=app) for p in products]
    mapping: Mapping[str, Any] = {
        "caption": fill_caption(post.caption, products, link_url, app),
        "hashtags": list(post.hashtags),
        "title": post.title,
        "products": infos,
    }
    text = plugins.call("shopbridge_render_post_text", app=app, channel=ctx, post=mapping, link_url=link_url)
    if text is None:  # every implementation failed: fall back to shopbridge's own rendering
        from shopbridge.channels.builtin import render_text as builtin_render

        ctype = channels.channel_type(ctx.type, app)
        text = builtin_render(mapping["caption"], post.hashtags, link_url, ctype.caption_limit if ctype else None)
    return text


def content_for(session: Session, ctx, target: PostTarget, app: Flask | None = None) -> PostContent:
    app = app or current_app._get_current_object()
    post = target.post
    products = products_of(session, post)
    image = session.get(Image, post.image_id) if post.image_id else None
    infos = tuple(product_info(p, image if image and image.product_id == p.id else None, app) for p in products)
    text = target.text or render_text(ctx, post, products, target.link_url, app)
    first = infos[0] if infos else None
    return PostContent(
        post_id=post.id,
        title=post.title,
        text=text,
        link_url=target.link_url,
        image_url=(first.image_url if first else None),
        image_alt=(first.image_alt if first else post.title),
        products=infos,
        hashtags=tuple(post.hashtags),
        idempotency_key=target.idempotency_key,
        options=dict(target.options or {}),
    )


@dataclass(frozen=True)
class Preview:
    channel: Channel
    text: str
    image_url: str | None
    link_url: str
    limit: int | None
    error: str | None = None


def preview(session: Session, post: Post, channel: Channel, app: Flask | None = None) -> Preview:
    """What ``channel``'s platform will show for ``post``: rendered text, image and link (nothing is sent)."""
    app = app or current_app._get_current_object()
    target = next((t for t in post.targets if t.channel_id == channel.id), None)
    link = (target.link_url if target and target.link_url else PREVIEW_LINK)
    products = products_of(session, post)
    ctype = channels.channel_type(channel.type, app)
    image = session.get(Image, post.image_id) if post.image_id else (products[0].main_image if products else None)
    from shopbridge.channels.products import image_link

    ctx = channels.context_for(session, channel, app=app, dry_run=True, label="preview")
    ctx.http.recorder = None  # a preview records nothing
    try:
        text = render_text(ctx, post, products, link, app)
    except Exception as exc:  # noqa: BLE001 - a broken renderer shows as a message on the preview
        return Preview(channel, "", None, link, None, error=str(exc))
    return Preview(channel, text, image_link(image, app), link, ctype.caption_limit if ctype else None)


def list_posts(session: Session, status: str | None = None, limit: int = 200) -> list[Post]:
    query = select(Post).order_by(Post.created_at.desc()).limit(limit)
    if status:
        query = query.where(Post.status == status)
    return list(session.exec(query))
