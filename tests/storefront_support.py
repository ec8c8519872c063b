"""Helpers shared by the storefront tests: a stand-in for checkout's buy endpoint and HTML parsing."""

from __future__ import annotations

import re

from flask import Blueprint, request
from lxml import html as lxml_html

from shopbridge.access import public

T_SHIRT_VARIANTS = [
    {"sku": "TEE-S-SAGE", "price_minor": 2900, "currency": "EUR", "stock": 10, "options": {"size": "S", "colour": "Sage"}},
    {"sku": "TEE-L-SAGE", "price_minor": 2900, "currency": "EUR", "stock": 0, "options": {"size": "L", "colour": "Sage"}},
    {"sku": "TEE-S-NAVY", "price_minor": 3100, "currency": "EUR", "stock": 4, "options": {"size": "S", "colour": "Navy"}},
    {"sku": "TEE-L-NAVY", "price_minor": 3300, "compare_at_minor": 3900, "currency": "EUR", "stock": 2,
     "options": {"size": "L", "colour": "Navy"}},
]


def install_fake_checkout(app) -> None:
    """Register ``checkout.buy_now`` the way the checkout feature will: it echoes what the form posted.

    The storefront points its Buy button at that endpoint only when it exists, so this also proves the
    switch from "Checkout coming soon" to a working button needs no storefront change.
    """
    bp = Blueprint("checkout", __name__)

    @bp.post("/buy")
    @public
    def buy_now():
        return f"variant={request.form.get('variant_id')} quantity={request.form.get('quantity')}"

    app.register_blueprint(bp)


def parse(response_or_text):
    text = response_or_text if isinstance(response_or_text, str) else response_or_text.get_data(as_text=True)
    return lxml_html.fromstring(text)


def text_of(doc, xpath: str) -> str:
    """The whitespace-normalised text of the first element matching ``xpath``."""
    found = doc.xpath(xpath)
    assert found, f"nothing matches {xpath!r}"
    # Collapse layout whitespace only: the no-break space in "19,99\xa0€" is part of the formatted price.
    return re.sub(r"[ \t\r\n]+", " ", found[0].text_content()).strip()


def add_picture(app, db_session, product, colour_name: str = "Sage", kind: str = "tshirt"):
    """Give ``product`` a real stored image (drawn like the demo's), with its generated sizes."""
    from shopbridge.catalogue import images
    from shopbridge.catalogue.models import Product
    from shopbridge.demo.illustrations import colour, render

    product = db_session.get(Product, product.id)
    data = render(kind, colour(colour_name), size=1400)
    images.add_image(app.config["UPLOAD_DIR"], product, data, sizes=app.config["IMAGE_SIZES"],
                     max_bytes=app.config["MAX_UPLOAD_BYTES"], alt=f"{product.title} in {colour_name}")
    db_session.commit()
    return product


__all__ = ["install_fake_checkout", "parse", "text_of", "add_picture", "T_SHIRT_VARIANTS"]
