"""A shop pastes its feed URLs into Meta, Pinterest and Google; the platforms read the catalogue from them."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest

from shopbridge.db import session_scope
from shopbridge.feeds import feed_token

G = "{http://base.google.com/ns/1.0}"

META_REQUIRED = {"id", "title", "description", "availability", "condition", "price", "link", "image_link", "brand"}
PINTEREST_REQUIRED = {"id", "title", "description", "link", "image_link", "price", "availability"}


def _add_image(app, product):
    from PIL import Image

    from shopbridge.catalogue.images import add_image

    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), (30, 90, 160)).save(buffer, "JPEG")
    with session_scope(app) as session:
        add_image(app.config["UPLOAD_DIR"], session.merge(product), buffer.getvalue(), sizes=[200],
                  max_bytes=10**7)


@pytest.fixture
def catalogue(app, product_factory, db_session):
    shirt = product_factory(title="Linen shirt", slug="linen-shirt", variants=[
        {"sku": "LS-S", "price_minor": 4900, "currency": "EUR", "stock": 3, "options": {"size": "S", "colour": "Blue"},
         "gtin": "4006381333931"},
        {"sku": "LS-M", "price_minor": 4900, "compare_at_minor": 5900, "currency": "EUR", "stock": 0,
         "options": {"size": "M", "colour": "Blue"}},
    ])
    _add_image(app, shirt)
    product_factory(title="Old mug", slug="old-mug", status="archived",
                    variants=[{"sku": "MUG-1", "price_minor": 1200, "currency": "EUR", "stock": 9}])
    product_factory(title="No picture yet", slug="no-picture",
                    variants=[{"sku": "NP-1", "price_minor": 900, "currency": "EUR", "stock": 2}])
    db_session.refresh(shirt)
    return shirt


@pytest.fixture
def token(app):
    with session_scope(app) as session:
        return feed_token(session, app)


def test_feeds_need_the_shops_token(client, catalogue, token):
    assert client.get("/feeds/meta.csv").status_code == 404
    assert client.get("/feeds/meta.csv?token=wrong").status_code == 404
    assert client.get("/feeds/nope.csv?token=" + token).status_code == 404
    assert client.get("/feeds/meta.csv?token=" + token).status_code == 200


def _rows(response):
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_meta_feed_lists_every_active_variant_with_required_fields(client, catalogue, token):
    response = client.get("/feeds/meta.csv?token=" + token)
    assert response.is_streamed
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = _rows(response)
    # The archived mug and the product without a picture are left out.
    assert [r["id"] for r in rows] == [f"sb-v{v.id}" for v in catalogue.variants]
    for row in rows:
        assert META_REQUIRED <= {k for k, v in row.items() if v}, row
        assert row["link"].startswith("http://localhost/p/linen-shirt?variant=")
        assert row["item_group_id"] == f"sb-p{catalogue.id}"
        assert row["image_link"].startswith("http://localhost/media/products/")
    small, medium = rows
    assert (small["price"], small["availability"], small["gtin"], small["size"], small["color"]) == (
        "49.00 EUR", "in stock", "4006381333931", "S", "Blue")
    # A compare-at price is the regular price, the current price the sale price.
    assert (medium["price"], medium["sale_price"], medium["availability"]) == ("59.00 EUR", "49.00 EUR",
                                                                                "out of stock")


def test_pinterest_feed_has_pinterests_required_columns(client, catalogue, token):
    rows = _rows(client.get("/feeds/pinterest.csv?token=" + token))
    assert len(rows) == 2
    for row in rows:
        assert PINTEREST_REQUIRED <= {k for k, v in row.items() if v}, row


def test_google_feed_is_rss_with_the_merchant_namespace(client, catalogue, token):
    response = client.get("/feeds/google.xml?token=" + token)
    assert response.headers["Content-Type"].startswith("application/rss+xml")
    root = ET.fromstring(response.get_data())
    items = root.findall("./channel/item")
    assert len(items) == 2
    first = {child.tag.replace(G, "g:"): child.text for child in items[0]}
    assert first["g:id"] == f"sb-v{catalogue.variants[0].id}"
    assert first["g:availability"] == "in_stock"
    assert first["g:price"] == "49.00 EUR"
    assert first["g:gtin"] == "4006381333931"
    second = {child.tag.replace(G, "g:"): child.text for child in items[1]}
    # No GTIN: Google wants identifier_exists=no and an MPN instead.
    assert second["g:identifier_exists"] == "no" and second["g:mpn"] == "LS-M"


def test_the_owner_can_rotate_the_feed_address(auth, client, catalogue, token):
    auth.login("owner")
    page = client.get("/admin/feeds").get_data(as_text=True)
    assert token in page
    client.post("/admin/feeds", data={"csrf_token": auth.csrf("/admin/feeds")})
    assert client.get("/feeds/meta.csv?token=" + token).status_code == 404
    assert token not in client.get("/admin/feeds").get_data(as_text=True)


def test_staff_and_agency_cannot_see_feed_addresses(auth, client):
    auth.login("agency")
    assert client.get("/admin/feeds").status_code == 403
