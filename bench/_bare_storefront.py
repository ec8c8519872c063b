"""The storefront baseline: the same product page template, rendered from objects in memory, no database.

The app is made by ``create_app`` (same Jinja environment, filters, request cycle and middleware as the shop), so
the only difference from ``/p/<slug>`` is what the database and the services add. The product is read once at
import, with everything the page shows, and detached from its session: a plain in-memory object graph. Every
database hook the page template reaches (the shop name, the navigation, the scan-to-buy link) is answered from
memory, and any statement the engine would run after start-up raises, so the baseline provably never touches it.
"""

from __future__ import annotations

import os

from flask import current_app, render_template, url_for
from sqlalchemy import event
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from shopbridge import i18n, web
from shopbridge.access import public
from shopbridge.app import create_app
from shopbridge.catalogue.models import Product
from shopbridge.catalogue.service import categories_in_use
from shopbridge.db import engine
from shopbridge.links import service as links
from shopbridge.links.views import qr_url
from shopbridge.storefront import picker, seo
from shopbridge.storefront.views import BUY_ENDPOINT, CART_ENDPOINT

SLUG = os.environ.get("BENCH_PRODUCT_SLUG", "organic-cotton-t-shirt")

app = create_app()
_engine = engine(app)
with app.test_request_context("/"), Session(_engine) as _session:
    PRODUCT = _session.exec(select(Product).where(Product.slug == SLUG).options(
        selectinload(Product.variants), selectinload(Product.images), selectinload(Product.category))).one()
    CATEGORIES = categories_in_use(_session)
    SHOP_NAME = web._shop_name()
    DEFAULT_LOCALE = i18n._default_locale()
    _link = links.default_link(_session, PRODUCT)
    QR_SRC = qr_url(_link, size=256)
    _session.expunge_all()  # from here on, plain objects: touching an unloaded attribute would raise
_engine.dispose()


@event.listens_for(_engine, "before_cursor_execute")
def _no_database(*args) -> None:
    raise RuntimeError("the baseline must not touch the database")


# Shop settings the request cycle reads on every page: the layout's shop name, the locale negotiation's default.
web._shop_name = lambda: SHOP_NAME
i18n._default_locale = lambda: DEFAULT_LOCALE


@public
def product_page(slug: str):
    # The same per-request view work as storefront.views.product, minus the lookups.
    choice = picker.build(PRODUCT, None)
    meta = seo.product_meta(PRODUCT, choice.selected, variant_in_url=False,
                            picture=choice.images[0] if choice.images else None)
    buy_action = url_for(BUY_ENDPOINT) if BUY_ENDPOINT in current_app.view_functions else None
    cart_action = url_for(CART_ENDPOINT) if buy_action and CART_ENDPOINT in current_app.view_functions else None
    return render_template("storefront/product.html", product=PRODUCT, picker=choice, meta=meta,
                           buy_action=buy_action, cart_action=cart_action,
                           nav_categories=lambda: CATEGORIES, scan_to_buy_qr=lambda product: QR_SRC)


app.add_url_rule("/bare/p/<slug>", "bench_bare_product", product_page)
