"""A shop owner, in a real browser, adds a product with a photo and a shopper opens it on a phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from pictures import png

from shopbridge.catalogue import service
from shopbridge.db import session_scope
from shopbridge.testing import PASSWORDS, make_product

DOCS_IMG = Path(__file__).resolve().parent.parent / "docs" / "img"
SHOTS = Path("/tmp/admin-shots")


def _stock_the_shop(app) -> None:
    """A few products with photos, so the list screenshot looks like a shop and not an empty table."""
    store = service.ImageStore(app.config["UPLOAD_DIR"], list(app.config["IMAGE_SIZES"]),
                               app.config["MAX_UPLOAD_BYTES"])
    catalogue = [
        ("Linen shirt", "Shirts", (52, 101, 164), [("S", 3), ("M", 0), ("L", 5)], 4900),
        ("Wool beanie", "Hats", (164, 52, 70), [("One size", 12)], 2200),
        ("Canvas tote", "Bags", (196, 160, 0), [("One size", 0)], 1800),
        ("Silk scarf", "Accessories", (117, 80, 123), [("One size", 4)], 5900),
    ]
    with session_scope(app) as session:
        for title, category, colour, sizes, price in catalogue:
            sku = title.upper().replace(" ", "-")
            product = make_product(session, title=title, category=category, variants=[
                {"sku": f"{sku}-{size.replace(' ', '')}", "price_minor": price, "currency": "EUR", "stock": stock,
                 "options": {"Size": size}} for size, stock in sizes])
            service.add_images(session, product, [service.Upload(png(900, 900, colour))], store)
            session.commit()


@pytest.mark.browser
def test_owner_creates_a_product_with_a_photo_and_a_shopper_sees_it_on_a_phone(
        app, live_server, desktop, phone, users, tmp_path):
    _stock_the_shop(app)
    photo = png(1200, 1200, (0, 90, 140))

    # The owner signs in on a laptop.
    desktop.goto(live_server.url + "/admin/login")
    desktop.fill("#email", "owner@example.com")
    desktop.fill("#password", PASSWORDS["owner"])
    desktop.get_by_role("button", name="Sign in").click()
    desktop.wait_for_url("**/admin/")

    # … opens "New product", fills it in with one variant and a photo, and saves.
    desktop.goto(live_server.url + "/admin/products/new")
    desktop.fill("#title", "Sea glass earrings")
    desktop.fill("#brand", "Riva")
    desktop.fill("#category", "Jewellery")
    desktop.select_option("#status", "active")
    desktop.fill("#description", "Hand-polished sea glass on silver hooks.")
    desktop.fill("#currency", "EUR")
    desktop.fill("#option1_name", "Colour")
    desktop.fill("#variants-0-option1", "Blue")
    desktop.fill("#variants-0-sku", "SGE-BLUE")
    desktop.fill("#variants-0-price", "24.50")
    desktop.fill("#variants-0-compare_at", "29.00")
    desktop.fill("#variants-0-stock", "3")
    desktop.set_input_files("#images", files=[{"name": "earrings.png", "mimeType": "image/png", "buffer": photo}])
    desktop.get_by_role("button", name="Create product").click()
    desktop.wait_for_url("**/admin/products/*")
    assert "Saved “Sea glass earrings”" in desktop.inner_text(".flashes")
    assert desktop.locator(".image-item img").count() == 1
    desktop.screenshot(path=str(DOCS_IMG / "admin-product-edit.png"), full_page=True)

    desktop.goto(live_server.url + "/admin/products")
    assert desktop.locator(".product-row").count() == 5
    desktop.screenshot(path=str(DOCS_IMG / "admin-products.png"), full_page=True)

    # A shopper opens the product page on a phone: title, price and photo are there.
    phone.goto(live_server.url + "/p/sea-glass-earrings")
    assert phone.locator("h1").inner_text() == "Sea glass earrings"
    assert "€24.50" in phone.locator(".price").inner_text()
    image = phone.locator("img.product-image")
    assert image.is_visible()
    assert phone.evaluate("document.querySelector('img.product-image').naturalWidth") > 0
    box = image.bounding_box()
    assert box is not None and box["width"] > 300  # fills the phone's width, not a thumbnail


@pytest.mark.browser
def test_the_products_admin_fits_a_phone(app, live_server, phone, users, tmp_path):
    _stock_the_shop(app)
    phone.goto(live_server.url + "/admin/login")
    phone.fill("#email", "staff@example.com")
    phone.fill("#password", PASSWORDS["staff"])
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_url("**/admin/")
    for path in ("/admin/products", "/admin/products/1", "/admin/products/new"):
        phone.goto(live_server.url + path)
        # Nothing sticks out sideways: the page is exactly as wide as the phone.
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, path
        phone.screenshot(path=str(SHOTS / (path.strip("/").replace("/", "-") + ".png")), full_page=True)
