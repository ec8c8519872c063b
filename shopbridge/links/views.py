"""The public side of buy links: the tracked redirect, the scan variant, QR images and the storefront snippet.

No open redirect: the ``Location`` is always built with ``url_for`` from a product slug, a variant id and the
link's attribution fields — nothing a visitor sends, and no URL stored from input, ever reaches it. It is a
path on the shop's own host.
"""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa
from flask import Response as FlaskResponse
from flask import abort, current_app, redirect, render_template, request, url_for

from shopbridge import db, recent
from shopbridge.access import public
from shopbridge.links import attribution, public_bp, qr, service, spool
from shopbridge.links.models import BuyLink, Destination, HitKind
from shopbridge.web import external_url

log = logging.getLogger(__name__)
CACHE_EXTENSION = "shopbridge.links.qr_cache"


def destination_url(link: service.Resolved, kind: str, build=None, endpoints=None) -> str:
    """The storefront path a hit on ``link`` leads to, with UTM parameters for the shop's own analytics.

    ``build(endpoint, **values)`` and ``endpoints`` default to Flask's ``url_for`` and the app's views; the WSGI
    fast path passes a URL adapter's ``build`` instead, so both paths share this one rule.
    """
    build = build or url_for
    endpoints = current_app.view_functions if endpoints is None else endpoints
    params: dict[str, str | int] = {"utm_source": link.channel, "utm_medium": service.medium_for(link.channel, kind)}
    if link.campaign:
        params["utm_campaign"] = link.campaign
    if link.placement:
        params["utm_content"] = link.placement
    if (link.destination == Destination.checkout and link.variant_id is not None
            and "checkout.start" in endpoints):
        return build("checkout.start", variant_id=link.variant_id, **params)
    if link.variant_id is not None:
        params["variant"] = link.variant_id  # the product page preselects it
    return build("storefront.product", slug=link.product_slug, **params)


def _gone(link: service.Resolved):
    product_url = url_for("storefront.product", slug=link.product_slug) if link.product_available else None
    return render_template("links/gone.html", product_url=product_url), 410


class ResolvedCache:
    """code → resolved link, kept for a few seconds per process.

    A poster produces bursts of scans of the same code; reading the link once per burst instead of once per
    scan halves the database work of the redirect. Safe because staleness is bounded and small: a change made
    through :mod:`shopbridge.links.service` clears the cache of the process that made it at once (the
    generation check), and other workers see it within ``LINK_CACHE_SECONDS`` (default 2; 0 disables the
    cache). Expiry is checked against the clock on every hit, cached or not.
    """

    def __init__(self, ttl: float, size: int = 10_000):
        self.ttl, self.size = ttl, size
        self._items: dict[str, tuple[service.Resolved, float]] = {}
        self._generation = service.generation()

    def peek(self, code: str) -> service.Resolved | None:
        """What this process last read for ``code``, however old: the fallback while the database is down."""
        found = self._items.get(code)
        return found[0] if found is not None else None

    def fresh(self, code: str) -> service.Resolved | None:
        """The cached link for ``code`` if it is recent enough to use without asking the database."""
        if self._generation != service.generation():
            self._items.clear()
            self._generation = service.generation()
        found = self._items.get(code)
        if found is not None and found[1] > time.monotonic():
            return found[0]
        return None

    def lookup(self, engine, code: str) -> service.Resolved | None:
        """The link for ``code``: from the cache while fresh, else read through a connection opened only then
        (a burst of scans or QR image requests takes no pooled connection at all)."""
        found = self.fresh(code)
        if found is not None:
            return found
        with engine.connect() as conn:
            link = service.resolve(conn, code)
        if link is not None and self.ttl > 0:
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[code] = (link, time.monotonic() + self.ttl)
        return link


def resolved_cache(app=None) -> ResolvedCache:
    app = app or current_app
    cache = app.extensions.get("shopbridge.links.resolved")
    if cache is None:
        cache = ResolvedCache(float(app.config.get("LINK_CACHE_SECONDS", 2)))
        app.extensions["shopbridge.links.resolved"] = cache
    return cache


#: Set in the WSGI environ by the fast path when it recorded the visit and hands over to the view (a link that
#: has ended): the view must not record it a second time.
RECORDED = "shopbridge.links.recorded"


def track(app, code: str, kind: str, *, user_agent: str | None, referrer: str | None, ip: str | None,
          record: bool = True) -> tuple[service.Resolved | None, bool]:
    """Resolve ``code`` and record a visit if its link is live: the one rule behind both redirect paths.

    Returns the link (``None`` if unknown) and whether it is live. Visits of a link that has ended (disabled,
    expired, product archived) are recorded too, marked ``ended``. The shopper comes first: when the database
    cannot be read (restarting, locked for too long) the link this process last knew is used, and a hit that
    cannot be recorded is logged, never a reason to fail the redirect. Raises ``SQLAlchemyError`` only when
    the database is down and this process has never seen the code.
    """
    cache = resolved_cache(app)
    try:
        link = cache.lookup(db.engine(app), code)
    except sa.exc.SQLAlchemyError:
        link = cache.peek(code)
        if link is None:
            raise
        log.exception("could not read buy link %s; using what this process last knew", code)
    live = link is not None and link.product_available and link.is_live()
    if link is not None and record:
        values = service.hit_values(link_id=link.link_id, kind=kind, user_agent=user_agent, referrer=referrer,
                                    ip=ip, secret_key=app.config["SECRET_KEY"], ended=not live)
        try:
            _record(app, values)
        except (sa.exc.SQLAlchemyError, OSError):
            log.exception("could not record a hit on buy link %s", code)
    return link, live


def _record(app, values: dict) -> None:
    if spool.enabled(app):
        try:
            spool.spool_for(app).append(values)
            return
        except OSError:
            log.warning("could not spool a buy-link hit; writing it to the database directly", exc_info=True)
    with db.engine(app).begin() as conn:
        service.record_hit(conn, values)


def _follow(code: str, kind: str):
    user_agent = request.headers.get("User-Agent")
    try:
        link, live = track(current_app, code, kind, user_agent=user_agent, referrer=request.headers.get("Referer"),
                           ip=request.remote_addr, record=not request.environ.get(RECORDED))
    except sa.exc.SQLAlchemyError:
        log.exception("could not read buy link %s", code)
        abort(503, description="The shop is briefly unavailable. Please try again in a moment.")
    if link is None:
        abort(404, description="This link does not exist. Check the address, or visit the shop.")
    if not live:
        return _gone(link)
    response = redirect(destination_url(link, kind), 302)
    response.headers["Cache-Control"] = "no-store"  # every visit must reach us to be counted
    cookie = attribution.header_for_visit(current_app, link.code, user_agent)
    if cookie is not None:  # checkout reads it to attribute the order (Order.link_code)
        response.headers.add("Set-Cookie", cookie)
    return response


@public_bp.get("/b/<code>")
@public
def click(code: str):
    """A buy link followed from a post, a chat or an e-mail."""
    return _follow(code, HitKind.click)


@public_bp.get("/q/<code>")
@public
def scan(code: str):
    """The URL QR codes carry: the same link, counted as a scan."""
    return _follow(code, HitKind.scan)


def qr_cache() -> qr.ImageCache:
    cache = current_app.extensions.get(CACHE_EXTENSION)
    if cache is None:
        from pathlib import Path

        cache = qr.ImageCache(Path(current_app.config["GENERATED_DIR"]) / "qr")
        current_app.extensions[CACHE_EXTENSION] = cache
    return cache


def qr_bytes(code: str, version: int, options: qr.QrOptions) -> tuple[str, bytes]:
    """(cache key, image) of the QR code for ``code``: from the cache, or rendered once and kept."""
    url = external_url("shortlinks.scan", code=code)
    logo, fingerprint = (qr.shop_logo(current_app.config, options.fg) if options.logo else (None, ""))
    key = qr.cache_key(url, version, options, fingerprint)
    return key, _cached_image(key, url, options, logo)


def _cached_image(key: str, url: str, options: qr.QrOptions, logo) -> bytes:
    cache = qr_cache()
    data = cache.get(key, options.fmt)
    if data is None:
        data = qr.render(url, options, logo)
        cache.put(key, options.fmt, data, persist=qr.is_standard(options))
    return data


@public_bp.get("/b/<code>/qr.<fmt>")
@public
def qr_image(code: str, fmt: str):
    """The QR code of a link as PNG or SVG; see :func:`shopbridge.links.qr.parse_options` for parameters."""
    if fmt not in qr.FORMATS or not service.CODE_RE.match(code):
        abort(404)
    try:
        options = qr.parse_options(request.args, fmt)
    except qr.QrOptionError as exc:
        abort(400, description=str(exc))
    link = resolved_cache().lookup(db.engine(), code)
    if link is None:
        abort(404, description="This link does not exist.")
    version = link.version
    # The ETag depends only on the key, which we can compute without rendering: a 304 costs no image work.
    url = external_url("shortlinks.scan", code=code)
    logo, fingerprint = qr.shop_logo(current_app.config, options.fg) if options.logo else (None, "")
    key = qr.cache_key(url, version, options, fingerprint)
    versioned = request.args.get("v") == str(version)
    # A URL that names the current version can be cached for good; otherwise revalidate every time.
    cache_control = "public, max-age=31536000, immutable" if versioned else "public, no-cache"
    if request.if_none_match.contains(key[:32]):
        response = FlaskResponse(status=304)
    else:
        try:
            data = _cached_image(key, url, options, logo)
        except qr.QrOptionError as exc:
            abort(400, description=str(exc))
        response = FlaskResponse(data, mimetype=qr.FORMATS[fmt])
    response.set_etag(key[:32])
    response.headers["Cache-Control"] = cache_control
    return response


def qr_url(link: BuyLink, **params) -> str:
    """Path of a link's QR image; includes the link version so browsers may cache it for good."""
    fmt = params.pop("fmt", "png")
    return url_for("shortlinks.qr_image", code=link.code, fmt=fmt, v=link.version, **params)


def short_url(link: BuyLink, kind: str = HitKind.click) -> str:
    return external_url("shortlinks.scan" if kind == HitKind.scan else "shortlinks.click", code=link.code)


@public_bp.app_context_processor
def scan_to_buy_helpers():
    def scan_to_buy_qr(product) -> str | None:
        """QR image URL of the product's default link (made and committed on first use; then remembered for a
        couple of seconds, like the rest of what every product page reads: :mod:`shopbridge.recent`)."""

        def load() -> str | None:
            session_db = db.session()
            try:
                link = service.default_link(session_db, product)
                session_db.commit()
            except service.LinkError:
                session_db.rollback()
                return None
            return qr_url(link, size=256)

        return recent.remembered(current_app._get_current_object(), ("scan_to_buy_qr", product.id), load)

    return {"scan_to_buy_qr": scan_to_buy_qr}
