"""Value objects at the plugin boundary: what shopbridge hands a platform plugin, and what it hands back.

They are frozen dataclasses, not dicts, so a plugin author's editor can tell them what a field is, and so the
core can change its tables without breaking plugins.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shopbridge.money import Money


class Capability(enum.StrEnum):
    """What a channel type can do; the admin only offers actions a channel's type declares."""

    publish_posts = "publish_posts"  # publish shoppable posts (pins, photo posts, channel messages)
    update_posts = "update_posts"  # edit a published post in place
    delete_posts = "delete_posts"
    sync_catalogue = "sync_catalogue"  # push product items to a platform catalogue
    listening = "listening"  # inbound comments/mentions through webhooks
    messaging = "messaging"  # inbound and outbound direct messages
    payments_in_chat = "payments_in_chat"  # the shopper pays without leaving the chat


@dataclass(frozen=True)
class SettingField:
    """One setting of a channel type, shown in the "connect a channel" form and validated on save.

    ``kind`` is one of ``"string"``, ``"secret"`` (encrypted at rest, never shown again, masked in the outbox and
    never logged), ``"integer"``, ``"boolean"``, ``"url"`` or ``"choice"`` (with ``choices``).
    """

    name: str
    label: str
    kind: str = "string"
    required: bool = True
    help: str = ""
    default: Any = None
    choices: tuple[str, ...] = ()
    pattern: str | None = None  # a regular expression the value must match, e.g. r"^\d+$" for numeric ids

    @property
    def secret(self) -> bool:
        return self.kind == "secret"


@dataclass(frozen=True)
class ChannelType:
    """A kind of channel a plugin offers, e.g. ``pinterest`` or ``telegram``.

    A shop connects any number of channels of one type (two Instagram accounts, say); each has its own settings.
    """

    name: str  # stable identifier, lower-case, e.g. "pinterest"
    label: str  # shown to people, e.g. "Pinterest"
    settings: tuple[SettingField, ...] = ()
    capabilities: frozenset[Capability] = frozenset()
    caption_limit: int | None = None  # characters the platform accepts in a post's text
    catalogue_batch_size: int | None = None  # items per catalogue batch request
    description: str = ""
    # True when the platform itself refuses a second post with the same ``PostContent.idempotency_key``: then
    # an attempt whose outcome is unknown (a crash mid-call) is simply retried with the same key.
    idempotent_publish: bool = False


@dataclass(frozen=True)
class PostOption:
    """A per-post choice a channel offers in the compose form, e.g. which Pinterest board a pin goes to.

    The chosen value reaches the plugin as ``content.options[name]``. ``choices`` are ``(value, label)`` pairs
    read from the platform (the account's boards); ``default`` is preselected (the channel's default board).
    """

    name: str  # the key in ``PostContent.options``, e.g. "board_id"
    label: str  # shown next to the select, e.g. "Board"
    choices: tuple[tuple[str, str], ...]
    default: str | None = None
    help: str = ""


@dataclass(frozen=True)
class ProductInfo:
    """A product as a platform sees it: public data only, absolute URLs, prices as :class:`Money`."""

    id: int
    slug: str
    title: str
    description: str
    brand: str
    url: str  # the storefront product page
    image_url: str | None
    image_alt: str
    price: Money
    compare_at: Money | None = None
    available: bool = True
    category: str | None = None


@dataclass(frozen=True)
class PostContent:
    """What to publish on one channel for one shoppable post.

    ``link_url`` is the post's own tracked buy link for this channel; always use it (never the bare product URL)
    so that clicks and orders are attributed to the post. ``text`` is already rendered for the platform by
    ``shopbridge_render_post_text``.
    """

    post_id: int
    title: str
    text: str
    link_url: str
    image_url: str | None
    image_alt: str
    products: tuple[ProductInfo, ...]
    hashtags: tuple[str, ...] = ()
    # Stable for all attempts to publish this post on this channel: send it where the platform supports
    # idempotency keys, so a retry after a crash never creates a second post.
    idempotency_key: str = ""
    options: dict[str, Any] = field(default_factory=dict)  # per-channel choices from the compose form (e.g. board)


@dataclass(frozen=True)
class PublishResult:
    """A post as it now exists on the platform."""

    remote_id: str
    url: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CatalogueItem:
    """One variant as a platform catalogue item. ``item_id`` never changes when SKU or slug change."""

    item_id: str
    group_id: str  # the product, so platforms group variants
    title: str
    description: str
    link: str
    image_link: str | None
    additional_image_links: tuple[str, ...]
    price: Money
    sale_price: Money | None
    availability: str  # "in stock" | "out of stock"
    quantity: int
    brand: str
    condition: str = "new"
    gtin: str | None = None
    sku: str = ""
    options: dict[str, str] = field(default_factory=dict)
    category: str | None = None
    deleted: bool = False  # archived or removed: ask the platform to remove the item


@dataclass(frozen=True)
class ItemError:
    """A platform's complaint about one catalogue item, in words a shop owner understands."""

    item_id: str
    message: str
    field: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class SyncResult:
    accepted: tuple[str, ...] = ()  # item ids the platform took
    errors: tuple[ItemError, ...] = ()
    remote_batch_id: str | None = None  # when the platform processes batches asynchronously


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    detail: str  # e.g. "Connected as @acme_shop (3 boards)" or what is wrong and how to fix it


@dataclass(frozen=True)
class InboundRequest:
    """An HTTP request a platform sent to the shop's webhook URL for a channel, as raw as it came."""

    method: str
    path: str
    headers: dict[str, str]
    args: dict[str, str]
    body: bytes

    def header(self, name: str, default: str | None = None) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), default)

    def json(self) -> Any:
        import json

        return json.loads(self.body or b"null")


@dataclass(frozen=True)
class WebhookResponse:
    """What to answer the platform, e.g. the ``hub.challenge`` echo of a subscription check."""

    status: int = 200
    body: str = ""
    content_type: str = "text/plain"


class EventKind(enum.StrEnum):
    comment = "comment"
    message = "message"
    mention = "mention"
    order = "order"  # a cart sent from a platform catalogue (e.g. a WhatsApp order message)
    postback = "postback"  # a button the shopper pressed
    payment = "payment"  # a payment completed inside the chat
    status = "status"  # delivery/read receipts and similar


@dataclass(frozen=True)
class InboundEvent:
    """A normalised inbound event: what people said or did on a platform."""

    kind: EventKind
    external_id: str  # the platform's id for this comment/message; replays with the same id are ignored
    author_id: str
    text: str = ""
    author_name: str = ""
    post_remote_id: str | None = None  # the platform post a comment belongs to
    thread_id: str | None = None  # the conversation, for replies to messages
    occurred_at: datetime | None = None
    order_lines: tuple[tuple[str, int], ...] = ()  # (catalogue item id, quantity) for kind=order
    payload: dict[str, Any] = field(default_factory=dict)  # the platform's event, for plugin-specific handling
    # The platform waits for an answer within seconds (Telegram's pre_checkout_query: 10): the shop processes
    # the event in the webhook request itself, whatever the job queue's backlog, instead of only queueing it.
    urgent: bool = False


@dataclass(frozen=True)
class Reply:
    """A reply to an inbound comment or message: text, and optionally a product card with a tracked link."""

    text: str
    link_url: str | None = None
    product: ProductInfo | None = None
