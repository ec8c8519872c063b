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


def cart_link_code(session: Session, *, channel: str, placement: str, product: Any, campaign: str) -> str:
    """The code of the tracked link that carts arriving from ``channel`` (at ``placement``) are attributed to.

    One link per (channel, campaign, placement, product), made the first time and reused after, so a busy shop
    does not grow a link per visit; the product is the cart's first, which is what per-product analytics show.
    """
    try:
        from shopbridge.links import service as links_service
        from shopbridge.links.models import BuyLink
    except ImportError as exc:
        raise LinkingUnavailable("Buy links are not available in this installation (shopbridge.links is missing).") \
            from exc
    from sqlmodel import select

    channel = channel.strip().lower()
    found = session.exec(
        select(BuyLink.code).where(BuyLink.channel == channel, BuyLink.campaign == campaign,
                                   BuyLink.placement == placement, BuyLink.product_id == product.id,
                                   BuyLink.variant_id.is_(None), BuyLink.post_id.is_(None),  # type: ignore[union-attr]
                                   BuyLink.is_default.is_(False))  # type: ignore[attr-defined]
        .order_by(BuyLink.id)
    ).first()
    if found is not None:
        return found
    link = links_service.create_link(session, product=product, variant=None, destination="product",
                                     channel=channel, campaign=campaign, placement=placement, expires_at=None)
    return link.code
