"""Storefront views: what a shopper (or a link-preview crawler) sees on the shop's own domain."""

from __future__ import annotations

from typing import NamedTuple

from flask import Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload, selectinload
from sqlmodel import select

from shopbridge import db, recent
from shopbridge.access import public
from shopbridge.catalogue import service
from shopbridge.catalogue.models import Category, Product, ProductStatus, Variant
from shopbridge.storefront import bp, picker, seo

FEATURED = 8
# A product card shows the price, stock and main image: load them with the products, not one query per card.
_CARD_LOADS = (selectinload(Product.variants), selectinload(Product.images))
_PAGE_LOADS = (joinedload(Product.category), selectinload(Product.variants), selectinload(Product.images))
BUY_ENDPOINT = "checkout.buy_now"
CART_ENDPOINT = "checkout.cart_add"


def _page_number() -> int:
    page = request.args.get("page", 1, type=int) or 1
    return max(1, page)


@bp.get("/")
@public
def home():
    session = db.session()
    # "Featured": the newest active products, those a shopper can buy first.
    newest = session.exec(
        select(Product).where(Product.status == ProductStatus.active)
        .options(*_CARD_LOADS)
        .order_by(Product.updated_at.desc(), Product.id.desc()).limit(FEATURED * 3)
    ).all()
    featured = sorted(newest, key=lambda p: not p.in_stock)[:FEATURED]
    categories = service.categories_in_use(session)
    covers = {c.id: _cover(session, c) for c in categories}
    image = featured[0].main_image if featured else None
    meta = seo.listing_meta(
        current_app.config["SHOP_NAME"],
        _("Shop %(shop)s: new arrivals and every category, delivered to your door.",
          shop=current_app.config["SHOP_NAME"]),
        "storefront.home", image,
    )
    return render_template("storefront/home.html", products=featured, categories=categories, covers=covers,
                           meta=meta)


def _cover(session, category: Category) -> Product | None:
    """The product whose picture stands for a category on the home page: the newest active one with an image."""
    candidates = session.exec(
        select(Product).where(Product.category_id == category.id, Product.status == ProductStatus.active)
        .options(selectinload(Product.images))
        .order_by(Product.updated_at.desc(), Product.id.desc()).limit(5)
    ).all()
    return next((p for p in candidates if p.images), candidates[0] if candidates else None)


@bp.get("/c/<slug>")
@public
def category(slug: str):
    session = db.session()
    current = next((c for c in service.categories_in_use(session) if c.slug == slug), None)
    if current is None:
        abort(404)
    per_page = int(current_app.config["PRODUCTS_PER_PAGE"])
    page = service.search_products(session, status=ProductStatus.active.value, category=slug, page=_page_number(),
                                   per_page=per_page, order="title")
    if page.page > page.pages:
        abort(404)
    first = next((p.main_image for p in page.items if p.main_image), None)
    values = {"slug": slug} if page.page == 1 else {"slug": slug, "page": page.page}
    meta = seo.listing_meta(
        f"{current.name} · {current_app.config['SHOP_NAME']}",
        _("%(category)s at %(shop)s: %(count)d products.", category=current.name,
          shop=current_app.config["SHOP_NAME"], count=page.total),
        "storefront.category", first, **values,
    )
    return render_template("storefront/category.html", category=current, page=page, products=page.items,
                           meta=meta)


@bp.get("/p/<slug>")
@public
def product(slug: str):
    # Everything the page shows in three statements (category joined, variants and images selected in), instead
    # of the product plus one lazy load each.
    item = db.session().exec(select(Product).where(Product.slug == slug).options(*_PAGE_LOADS)).first()
    if item is None or item.status != ProductStatus.active or not item.variants:
        abort(404)
    requested = request.args.get("variant", type=int)
    choice = picker.build(item, requested)
    variant_in_url = requested is not None and choice.selected is not None and choice.selected.id == requested
    meta = seo.product_meta(item, choice.selected, variant_in_url=variant_in_url,
                            picture=choice.images[0] if choice.images else None)
    # Checkout lives in its own blueprint; until it is installed the button says so instead of failing.
    buy_action = url_for(BUY_ENDPOINT) if BUY_ENDPOINT in current_app.view_functions else None
    cart_action = url_for(CART_ENDPOINT) if buy_action and CART_ENDPOINT in current_app.view_functions else None
    return render_template("storefront/product.html", product=item, picker=choice, meta=meta,
                           buy_action=buy_action, cart_action=cart_action)


@bp.get("/sitemap.xml")
@public
def sitemap():
    entries = seo.sitemap_entries(db.session())
    body = render_template("storefront/sitemap.xml", entries=entries)
    return Response(body, mimetype="application/xml")


@bp.get("/robots.txt")
@public
def robots():
    lines = [
        "User-agent: *",
        "Disallow: /admin",
        "Disallow: /api",
        "",
        f"Sitemap: {seo.external_url('storefront.sitemap')}",
        "",
    ]
    return Response("\n".join(lines), mimetype="text/plain")


@bp.app_context_processor
def storefront_helpers():
    from shopbridge.media import image_url, srcset

    return {
        "nav_categories": _nav_categories,
        "media_url": image_url,
        "media_srcset": srcset,
        "price_range": price_range,
        "lang_url": lang_url,
        "language_choices": language_choices,
    }


def language_choices() -> list[tuple[str, str]]:
    """The shop's languages, each named in itself ("English", "Italiano"), for the footer's switch."""
    from babel import Locale

    return [(code, Locale.parse(code).get_display_name(code).capitalize()) for code in current_app.config["LANGUAGES"]]


class NavCategory(NamedTuple):
    slug: str
    name: str


def _nav_categories() -> tuple[NavCategory, ...]:
    def load() -> tuple[NavCategory, ...]:
        return tuple(NavCategory(c.slug, c.name) for c in service.categories_in_use(db.session()))

    # Error pages use this layout too; a 500 caused by the database must still render.
    try:
        return recent.remembered(current_app._get_current_object(), "nav_categories", load)
    except SQLAlchemyError:
        db.session().rollback()  # else the page's next query fails on the broken transaction (a 500, not a 503)
        return ()


def lang_url(code: str) -> str:
    """This page in another language: the same query string (``?variant=`` and all) plus ``lang``."""
    from urllib.parse import urlencode

    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"] + [("lang", code)]
    return "?" + urlencode(args)


def price_range(product: Product) -> tuple[Variant | None, bool]:
    """The variant whose price a product card shows, and whether other variants cost more ("from €29")."""
    cheapest = product.cheapest_variant
    varies = len({v.price_minor for v in product.variants}) > 1
    return cheapest, varies
