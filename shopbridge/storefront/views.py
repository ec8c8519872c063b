from __future__ import annotations

from flask import abort, render_template
from sqlmodel import select

from shopbridge import db
from shopbridge.access import public
from shopbridge.catalogue import service
from shopbridge.catalogue.models import Product, ProductStatus
from shopbridge.storefront import bp


@bp.get("/")
@public
def home():
    session = db.session()
    products = session.exec(
        select(Product).where(Product.status == ProductStatus.active).order_by(Product.updated_at.desc()).limit(24)
    ).all()
    return render_template("storefront/home.html", products=products, categories=service.categories_in_use(session))


@bp.get("/p/<slug>")
@public
def product(slug: str):
    item = service.get_by_slug(db.session(), slug)
    if item is None or item.status != ProductStatus.active:
        abort(404)
    return render_template("storefront/product.html", product=item)


@bp.get("/c/<slug>")
@public
def category(slug: str):
    session = db.session()
    page = service.search_products(session, status=ProductStatus.active.value, category=slug, per_page=48,
                                   order="title")
    current = next((c for c in service.categories_in_use(session) if c.slug == slug), None)
    if current is None:
        abort(404)
    return render_template("storefront/category.html", category=current, products=page.items)


@bp.app_context_processor
def storefront_helpers():
    from shopbridge.media import image_url, srcset

    return {
        "nav_categories": lambda: service.categories_in_use(db.session()),
        "media_url": image_url,
        "media_srcset": srcset,
    }
