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


def chat_link(session: Session, *, channel: Any, product: Any, medium: str = "chat",
              user: Any = None) -> tuple[str, str]:
    """The channel's own tracked link to ``product`` for conversations: ``(code, absolute URL)``.

    A chat bot shows the same product many times; one link per (channel, product, medium) is reused rather than
    a new one per message, so the links admin stays readable and every visit and order made through the
    conversation counts for the channel (its code is the order's ``link_code``).
    """
    from sqlmodel import select

    try:
        from shopbridge.links import service as links_service
        from shopbridge.links.models import BuyLink
    except ImportError as exc:
        raise LinkingUnavailable("Buy links are not available in this installation (shopbridge.links is "
                                 "missing), so chats cannot get tracked links.") from exc
    from shopbridge.channels.service import absolute_url

    campaign = (medium or "chat").strip().lower()[:80] or "chat"
    link = session.exec(select(BuyLink).where(
        BuyLink.product_id == product.id, BuyLink.variant_id.is_(None),  # type: ignore[union-attr]
        BuyLink.post_id.is_(None), BuyLink.channel == channel.type,  # type: ignore[union-attr]
        BuyLink.campaign == campaign, BuyLink.placement == channel.name[:120],
        BuyLink.enabled == True, BuyLink.expires_at.is_(None),  # noqa: E712  # type: ignore[union-attr]
    ).order_by(BuyLink.id)).first()
    if link is None:
        link = links_service.create_link(session, product=product, variant=None, destination="product",
                                         channel=channel.type, campaign=campaign, placement=channel.name[:120],
                                         expires_at=None, post_id=None, user=user)
    return link.code, absolute_url("shortlinks.click", code=link.code)
