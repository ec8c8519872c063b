"""The one place a post gets its tracked buy link for a channel.

Buy links belong to ``shopbridge.links`` (another feature); this adapter is the only code in posts that knows
its API, so wiring or changing it touches one function. Tests replace :func:`tracked_link` with a small fake.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session


class LinkingUnavailable(RuntimeError):
    """The buy-links feature is not installed, so a post cannot get its tracked link."""


def tracked_link(session: Session, *, post: Any, channel: Any, product: Any, user: Any = None) -> str:
    """Create the post's own tracked buy link for ``channel`` and return its absolute URL.

    Each (post, channel) gets its own link, so analytics can tell which post on which channel sold. ``post`` is
    ``None`` for links sent in replies (keyword rules on comments that are not on our posts, chat bots).
    """
    try:
        from shopbridge.links import service as links_service
    except ImportError as exc:
        raise LinkingUnavailable(
            "Buy links are not available in this installation (shopbridge.links is missing), so posts "
            "cannot get tracked links."
        ) from exc
    post_id = getattr(post, "id", None)  # None: a reply in a chat or to a comment not on one of our posts
    link = links_service.create_link(
        session, product=product, variant=None, destination="product", channel=channel.type,
        campaign=f"post-{post_id}" if post_id else "replies", placement=channel.name, expires_at=None,
        post_id=post_id, user=user,
    )
    from shopbridge.channels.service import absolute_url

    return absolute_url("shortlinks.click", code=link.code)


def _reusable_link(session: Session, *, channel: str, campaign: str, placement: str, product: Any,
                   user: Any = None) -> Any:
    """The live, non-expiring product link for (channel, campaign, placement, product), made the first time.

    Chats and channel carts show the same product again and again; one reused link per place keeps the links
    admin readable, and every visit and order made through that place counts for it (``Order.link_code``).
    """
    try:
        from shopbridge.links import service as links_service
        from shopbridge.links.models import BuyLink
    except ImportError as exc:
        raise LinkingUnavailable("Buy links are not available in this installation (shopbridge.links is "
                                 "missing).") from exc
    from sqlmodel import select

    placement = placement[:120]
    link = session.exec(select(BuyLink).where(
        BuyLink.product_id == product.id, BuyLink.variant_id.is_(None),  # type: ignore[union-attr]
        BuyLink.post_id.is_(None), BuyLink.is_default.is_(False),  # type: ignore[union-attr,attr-defined]
        BuyLink.channel == channel, BuyLink.campaign == campaign, BuyLink.placement == placement,
        BuyLink.enabled == True, BuyLink.expires_at.is_(None),  # noqa: E712  # type: ignore[union-attr]
    ).order_by(BuyLink.id)).first()
    if link is None:
        link = links_service.create_link(session, product=product, variant=None, destination="product",
                                         channel=channel, campaign=campaign, placement=placement,
                                         expires_at=None, post_id=None, user=user)
    return link


def cart_link_code(session: Session, *, channel: str, placement: str, product: Any, campaign: str) -> str:
    """The code of the tracked link that carts arriving from ``channel`` (at ``placement``) are attributed to.

    One link per (channel, campaign, placement, product); the product is the cart's first, which is what
    per-product analytics show.
    """
    return _reusable_link(session, channel=channel.strip().lower(), campaign=campaign, placement=placement,
                          product=product).code


def chat_link(session: Session, *, channel: Any, product: Any, medium: str = "chat",
              user: Any = None) -> tuple[str, str]:
    """The channel's own tracked link to ``product`` for conversations: ``(code, absolute URL)``.

    One link per (channel, product, medium), reused rather than made per message.
    """
    from shopbridge.channels.service import absolute_url

    campaign = (medium or "chat").strip().lower()[:80] or "chat"
    link = _reusable_link(session, channel=channel.type, campaign=campaign, placement=channel.name,
                          product=product, user=user)
    return link.code, absolute_url("shortlinks.click", code=link.code)
