"""Fixtures for the storefront tests: a stand-in for checkout's buy endpoint, HTML parsing, real pictures.

pytest runs in importlib mode (plugins may have test modules of the same name), so test modules cannot
import helpers from each other; they get them as fixtures from here.
"""

from __future__ import annotations

import copy
import re

import pytest
from flask import Blueprint, request
from lxml import html as lxml_html

from shopbridge.access import public

# A T-shirt in two sizes and two colours: one combination sold out, two running low, one on sale.
T_SHIRT_VARIANTS = [
    {"sku": "TEE-S-SAGE", "price_minor": 2900, "currency": "EUR", "stock": 10, "options": {"size": "S", "colour": "Sage"}},
    {"sku": "TEE-L-SAGE", "price_minor": 2900, "currency": "EUR", "stock": 0, "options": {"size": "L", "colour": "Sage"}},
    {"sku": "TEE-S-NAVY", "price_minor": 3100, "currency": "EUR", "stock": 4, "options": {"size": "S", "colour": "Navy"}},
    {"sku": "TEE-L-NAVY", "price_minor": 3300, "compare_at_minor": 3900, "currency": "EUR", "stock": 2,
     "options": {"size": "L", "colour": "Navy"}},
]


@pytest.fixture
def tee_variants() -> list[dict]:
    return copy.deepcopy(T_SHIRT_VARIANTS)


@pytest.fixture
def fake_checkout(app) -> None:
    """Register ``checkout.buy_now`` the way the checkout feature will: it echoes what the form posted.

    The storefront points its Buy button at that endpoint only when it exists, so this also proves the
    switch from "Checkout coming soon" to a working button needs no storefront change. Use it before the
    app's first request, as a real blueprint would be registered.
    """
    bp = Blueprint("checkout", __name__)

    @bp.post("/buy")
    @public
    def buy_now():
        return f"variant={request.form.get('variant_id')} quantity={request.form.get('quantity')}"

    app.register_blueprint(bp)


def _parse(response_or_text):
    text = response_or_text if isinstance(response_or_text, str) else response_or_text.get_data(as_text=True)
    return lxml_html.fromstring(text)


def _text_of(doc, xpath: str) -> str:
    """The text of the first element matching ``xpath``, with layout whitespace collapsed."""
    found = doc.xpath(xpath)
    assert found, f"nothing matches {xpath!r}"
    # Only layout whitespace: the no-break space in "19,99\xa0€" is part of the formatted price.
    return re.sub(r"[ \t\r\n]+", " ", found[0].text_content()).strip()


@pytest.fixture
def parse():
    """``parse(response)``: the page as an lxml document, for XPath queries."""
    return _parse


@pytest.fixture
def text_of():
    """``text_of(doc, xpath)``: the whitespace-normalised text of the first match."""
    return _text_of


@pytest.fixture
def add_picture(app, db_session):
    """``add_picture(product, colour)``: store a real drawn image (with its sizes) for ``product``."""
    from shopbridge.catalogue import images
    from shopbridge.catalogue.models import Product
    from shopbridge.demo.illustrations import colour, render

    def add(product, colour_name: str = "Sage", kind: str = "tshirt"):
        product = db_session.get(Product, product.id)
        data = render(kind, colour(colour_name), size=1400)
        images.add_image(app.config["UPLOAD_DIR"], product, data, sizes=app.config["IMAGE_SIZES"],
                         max_bytes=app.config["MAX_UPLOAD_BYTES"], alt=f"{product.title} in {colour_name}")
        db_session.commit()
        return product

    return add
