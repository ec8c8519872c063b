"""Buy links: the only code that creates, changes and resolves them, and records their hits.

Views, the JSON API, the CLI and (later) publishing plugins all go through these functions, so every rule —
codes that cannot be guessed, no links to archived products, checkout links that name a variant — is checked
in one place, and every change lands in the audit log. Nothing here touches Flask's request globals.

The redirect path (:func:`resolve` and :func:`record_hit`) is hot: it reads one row with a single indexed
join and writes one narrow row, with SQL Core statements rather than ORM objects, because a poster in a busy
station produces bursts of scans and the shopper is waiting on a phone connection.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

import sqlalchemy as sa
from sqlmodel import Session, select

from shopbridge import audit
from shopbridge.accounts.models import User
from shopbridge.catalogue.models import Product, ProductStatus, Variant
from shopbridge.catalogue.service import CatalogueError, FieldError
from shopbridge.db import utcnow
from shopbridge.links.models import BuyLink, Destination, Hit, HitKind
from shopbridge.links.useragents import classify

#: No look-alikes (0/o, 1/l/i) and lower case only, so a code read aloud or typed from a poster survives.
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
#: 31⁸ ≈ 8.5 × 10¹¹ codes: at a million links a guess still misses 850 000 times out of 850 001.
CODE_LENGTH = 8
CODE_RE = re.compile(f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
CHANNEL_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
DEFAULT_CHANNEL = "shop"

#: Channel → ``utm_medium`` for clicks; scans are always ``qr``. Anything unknown is a ``referral``.
MEDIUM_BY_CHANNEL = {
    "instagram": "social", "facebook": "social", "pinterest": "social", "tiktok": "social", "x": "social",
    "twitter": "social", "linkedin": "social", "snapchat": "social", "youtube": "social", "threads": "social",
    "whatsapp": "messaging", "telegram": "messaging", "messenger": "messaging", "wechat": "messaging",
    "line": "messaging", "sms": "messaging",
    "email": "email", "newsletter": "email",
    "print": "print", "poster": "print", "flyer": "print", "label": "print", "packaging": "print",
    DEFAULT_CHANNEL: "shop",
}


#: Bumped by every change made through this module; per-process caches of resolved links compare it, so a
#: change is seen at once by the process that made it (other processes within the cache's short TTL).
_generation = 0


def generation() -> int:
    return _generation


def _changed() -> None:
    global _generation
    _generation += 1


class LinkError(CatalogueError):
    """Input the link service refuses; ``errors`` lists every problem with the field it belongs to."""


def new_code(session: Session) -> str:
    """A fresh random code from a CSPRNG, checked for uniqueness (a clash is astronomically rare; retry)."""
    for _ in range(10):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.exec(select(BuyLink.id).where(BuyLink.code == code)).first() is None:
            return code
    raise RuntimeError("could not find a free link code in 10 tries")  # pragma: no cover


def medium_for(channel: str, kind: str) -> str:
    if kind == HitKind.scan:
        return "qr"
    return MEDIUM_BY_CHANNEL.get(channel, "referral")


def _clean_channel(value: str | None, errors: list[FieldError]) -> str:
    channel = (value or "").strip().lower() or DEFAULT_CHANNEL
    if not CHANNEL_RE.match(channel):
        errors.append(FieldError("channel", "use lower-case letters, digits, '.', '-' or '_' (at most 40), "
                                            "e.g. instagram, whatsapp, poster"))
    return channel


def _clean_text(value: str | None, name: str, limit: int, errors: list[FieldError]) -> str:
    text = " ".join((value or "").split())
    if len(text) > limit:
        errors.append(FieldError(name, f"is longer than {limit} characters"))
    return text


def _check_target(session: Session, product: Product, variant: Variant | None, destination: str,
                  errors: list[FieldError]) -> Variant | None:
    if product.status == ProductStatus.archived:
        errors.append(FieldError("product", f"“{product.title}” is archived; restore it before linking to it"))
    if variant is not None and variant.product_id != product.id:
        errors.append(FieldError("variant", "is not a variant of this product"))
    if destination not in {d.value for d in Destination}:
        errors.append(FieldError("destination", "must be product or checkout"))
    elif destination == Destination.checkout and variant is None:
        if len(product.variants) == 1:
            return product.variants[0]  # nothing to choose: "scan to buy" the only variant
        errors.append(FieldError("variant", "choose the variant a “scan to buy” link puts in the basket"))
    return variant


def _check_expiry(expires_at: datetime | None, errors: list[FieldError], *, is_new: bool) -> datetime | None:
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    if is_new and expires_at <= utcnow():
        errors.append(FieldError("expires_at", "is in the past"))
    return expires_at


def _snapshot(link: BuyLink) -> dict:
    return {"code": link.code, "product_id": link.product_id, "variant_id": link.variant_id,
            "destination": link.destination, "channel": link.channel, "campaign": link.campaign,
            "placement": link.placement, "expires_at": link.expires_at, "enabled": link.enabled,
            "post_id": link.post_id}


def create_link(session: Session, *, product: Product, variant: Variant | None = None,
                destination: str = Destination.product.value, channel: str = DEFAULT_CHANNEL,
                campaign: str = "", placement: str = "", expires_at: datetime | None = None,
                post_id: int | None = None, user: User | None = None, is_default: bool = False) -> BuyLink:
    """Make a tracked link to ``product`` (or one ``variant`` of it) and return it (flushed, not committed)."""
    errors: list[FieldError] = []
    variant = _check_target(session, product, variant, destination, errors)
    link = BuyLink(
        code="",
        product_id=product.id,
        variant_id=variant.id if variant is not None else None,
        destination=destination,
        channel=_clean_channel(channel, errors),
        campaign=_clean_text(campaign, "campaign", 80, errors),
        placement=_clean_text(placement, "placement", 120, errors),
        expires_at=_check_expiry(expires_at, errors, is_new=True),
        post_id=post_id,
        is_default=is_default,
        created_by=getattr(user, "id", None),
    )
    if errors:
        raise LinkError(errors)
    link.code = new_code(session)
    session.add(link)
    session.flush()
    audit.record(session, user, "link.create", link, {"after": _snapshot(link)})
    _changed()
    return link


def update_link(session: Session, link: BuyLink, *, user: User | None = None, **changes) -> BuyLink:
    """Change a link's destination, attribution or expiry; the code (printed on posters) never changes.

    ``changes`` may hold ``variant``, ``destination``, ``channel``, ``campaign``, ``placement``, ``expires_at``
    and ``enabled``; fields left out keep their value. Every change bumps ``version``.
    """
    allowed = {"variant", "destination", "channel", "campaign", "placement", "expires_at", "enabled"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"update_link got unknown fields {sorted(unknown)}")
    errors: list[FieldError] = []
    product = session.get(Product, link.product_id)
    variant = changes["variant"] if "variant" in changes else (
        session.get(Variant, link.variant_id) if link.variant_id else None)
    destination = changes.get("destination", link.destination)
    variant = _check_target(session, product, variant, destination, errors)
    before = _snapshot(link)
    channel = _clean_channel(changes["channel"], errors) if "channel" in changes else link.channel
    campaign = _clean_text(changes["campaign"], "campaign", 80, errors) if "campaign" in changes else link.campaign
    placement = (_clean_text(changes["placement"], "placement", 120, errors) if "placement" in changes
                 else link.placement)
    expires_at = (_check_expiry(changes["expires_at"], errors, is_new=changes["expires_at"] != link.expires_at)
                  if "expires_at" in changes else link.expires_at)
    if errors:
        raise LinkError(errors)
    link.variant_id = variant.id if variant is not None else None
    link.destination, link.channel, link.campaign, link.placement = destination, channel, campaign, placement
    link.expires_at = expires_at
    if "enabled" in changes:
        link.enabled = bool(changes["enabled"])
    after = _snapshot(link)
    if after != before:
        link.version += 1
        link.updated_at = utcnow()
        session.add(link)
        session.flush()
        audit.record(session, user, "link.update", link, audit.diff(before, after))
        _changed()
    return link


def set_enabled(session: Session, link: BuyLink, enabled: bool, user: User | None = None) -> BuyLink:
    """Disable a link (its QR codes then lead to a friendly “no longer available” page) or enable it again."""
    if link.enabled == enabled:
        return link
    link.enabled = enabled
    link.version += 1
    link.updated_at = utcnow()
    session.add(link)
    session.flush()
    audit.record(session, user, "link.enable" if enabled else "link.disable", link, {"enabled": [not enabled, enabled]})
    _changed()
    return link


def default_link(session: Session, product: Product, variant: Variant | None = None,
                 user: User | None = None) -> BuyLink:
    """The shop's own link for ``product`` (or ``variant``), made the first time someone asks for it.

    Used by the storefront's “scan to buy” QR code, label sheets and posters. Refused for archived products
    (:class:`LinkError`), like any other link.
    """
    query = select(BuyLink).where(BuyLink.is_default.is_(True), BuyLink.product_id == product.id)
    query = query.where(BuyLink.variant_id == variant.id if variant is not None else BuyLink.variant_id.is_(None))
    found = session.exec(query.order_by(BuyLink.id)).first()
    if found is not None:
        return found
    return create_link(session, product=product, variant=variant, destination=Destination.product.value,
                       channel=DEFAULT_CHANNEL, user=user, is_default=True)


def get_by_code(session: Session, code: str) -> BuyLink | None:
    return session.exec(select(BuyLink).where(BuyLink.code == code)).first() if CODE_RE.match(code or "") else None


# --- the hot path -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    """What the redirect needs to know about a code, read in one query."""

    link_id: int
    code: str
    product_slug: str
    product_status: str
    variant_id: int | None
    destination: str
    channel: str
    campaign: str
    placement: str
    enabled: bool
    expires_at: datetime | None
    version: int

    @property
    def product_available(self) -> bool:
        return self.product_status == ProductStatus.active

    def is_live(self, now: datetime | None = None) -> bool:
        expired = self.expires_at is not None and _aware(self.expires_at) <= (now or utcnow())
        return self.enabled and not expired


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


_RESOLVE = (
    sa.select(BuyLink.id, BuyLink.code, Product.slug, Product.status, BuyLink.variant_id, BuyLink.destination,
              BuyLink.channel, BuyLink.campaign, BuyLink.placement, BuyLink.enabled, BuyLink.expires_at,
              BuyLink.version)
    .join(Product, Product.id == BuyLink.product_id)
    .where(BuyLink.code == sa.bindparam("code"))
)


def resolve(session: Session | sa.Connection, code: str) -> Resolved | None:
    """The link behind ``code`` with its product's slug and status, or ``None`` for an unknown code.

    Takes a session or a plain connection (the redirect uses the latter: less work per request). Codes that
    cannot have been issued (wrong length or letters) are refused before the database is asked.
    """
    if not CODE_RE.match(code or ""):
        return None
    row = session.execute(_RESOLVE, {"code": code}).first()
    return Resolved(*row) if row is not None else None


@lru_cache(maxsize=16)
def daily_salt(secret_key: str, day: date) -> bytes:
    """The salt for ``day``: derived from the secret key and the date, never stored.

    Because the salt of a past day cannot be recomputed without the secret key, and a visitor's hash differs
    from one day to the next, hashes cannot be joined across days or reversed by trying every IPv4 address
    unless one also holds the key.
    """
    return hmac.new(secret_key.encode(), f"visitor-salt:{day.isoformat()}".encode(), hashlib.sha256).digest()


def visitor_hash(secret_key: str, day: date, ip: str | None, user_agent: str | None) -> str:
    message = f"{ip or ''}\n{user_agent or ''}".encode()
    return hmac.new(daily_salt(secret_key, day), message, hashlib.sha256).hexdigest()[:32]


def referrer_host(referrer: str | None) -> str | None:
    """Only the host of the referring page: the path may carry personal data (search terms, message ids)."""
    if not referrer:
        return None
    from urllib.parse import urlsplit

    try:
        host = urlsplit(referrer).hostname
    except ValueError:
        return None
    return host[:120] if host else None


_HIT_INSERT = sa.insert(Hit.__table__)


def hit_values(*, link_id: int, kind: str, user_agent: str | None, referrer: str | None, ip: str | None,
               secret_key: str, now: datetime | None = None, ended: bool = False) -> dict:
    """The row recorded for one visit: the raw IP address and User-Agent never leave this function."""
    now = now or utcnow()
    agent = classify(user_agent)
    day = now.astimezone(UTC).date()
    return {
        "at": now, "day": day, "link_id": link_id, "kind": kind, "device": agent.device, "in_app": agent.in_app,
        "referrer_host": referrer_host(referrer), "is_bot": agent.is_bot, "bot_name": agent.bot,
        "visitor": visitor_hash(secret_key, day, ip, user_agent), "ended": ended,
    }


def record_hit(session: Session | sa.Connection, values: dict) -> None:
    """Insert one hit (from :func:`hit_values`) through ``session`` or a connection; the caller commits.

    A single-row Core insert: no ORM identity map, no RETURNING, one index on (link, day) to maintain. The
    redirect normally spools hits instead (:mod:`shopbridge.links.spool`); this is the direct way.
    """
    session.execute(_HIT_INSERT, values)
