"""Staff manage products in the admin: create, edit, variants, photos, archive — and every refusal is clear
and changes nothing."""

from __future__ import annotations

import io
import os
import struct
import zlib

import pytest
from admin_helpers import catalogue_state, errors_for, input_value, product_form, text
from pictures import png
from PIL import Image as PILImage
from sqlmodel import Session, select

from shopbridge.accounts.models import AuditEntry
from shopbridge.catalogue import service
from shopbridge.catalogue.models import Image, Product, ProductStatus
from shopbridge.db import engine

MAX_UPLOAD = 400_000


@pytest.fixture
def app_config(app_config):
    # A small upload limit, so "too large" can be proven with a real photo of a few hundred kilobytes.
    return {**app_config, "MAX_UPLOAD_BYTES": MAX_UPLOAD}


@pytest.fixture
def staff(auth):
    auth.login("staff")
    return auth


def _product(app, slug: str) -> Product | None:
    with Session(engine(app)) as session:
        product = session.exec(select(Product).where(Product.slug == slug)).first()
        if product is not None:
            product.variants, product.images  # noqa: B018  (load before the session closes)
        return product


def _noisy_png(side: int) -> bytes:
    """Random pixels do not compress: a real image file that is large for its size."""
    buffer = io.BytesIO()
    PILImage.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def _bomb(width: int, height: int) -> bytes:
    """A tiny PNG that claims to be huge: refused from its header, before a byte of it is decoded."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + \
        chunk(b"IEND", b"")


def _upload(data: bytes, name: str):
    return (io.BytesIO(data), name)


# --- Creating ---------------------------------------------------------------------------------------------------


def test_staff_create_a_product_with_two_sizes_and_a_photo(app, client, staff):
    form = product_form(staff.csrf(), variants=[
        {"option1": "M", "sku": "LIN-M", "price": "49.00", "compare_at": "59", "stock": "5"},
        {"option1": "L", "sku": "LIN-L", "price": "52,50", "stock": "0", "gtin": "4006381333931"},
    ])
    form["images"] = [_upload(png(900, 600), "shirt.png")]
    response = client.post("/admin/products/new", data=form, content_type="multipart/form-data")

    assert response.status_code == 302
    product = _product(app, "linen-shirt")
    assert response.headers["Location"].endswith(f"/admin/products/{product.id}")
    assert product.status == ProductStatus.active
    # Prices typed as a person says them are stored in cents of the product's currency.
    assert [(v.sku, v.price_minor, v.compare_at_minor, v.stock, v.options) for v in product.variants] == [
        ("LIN-M", 4900, 5900, 5, {"Size": "M"}), ("LIN-L", 5250, None, 0, {"Size": "L"})]
    assert product.variants[1].gtin == "4006381333931"
    [image] = product.images
    assert (image.width, image.height) == (900, 600)
    assert image.sizes == [320, 640]  # renditions for phones; none wider than the original
    assert all((os.path.exists(os.path.join(app.config["UPLOAD_DIR"], p))) for p in
               [image.path, image.path.rsplit(".", 1)[0] + "-320.jpg"])

    page = text(client.get(response.headers["Location"]))
    assert "Saved “Linen shirt”." in page
    assert input_value(page, "variants-1-price") == "52.50"
    shop = client.get("/p/linen-shirt").get_data(as_text=True)
    assert "Linen shirt" in shop and "/media/" + image.path.rsplit(".", 1)[0] in shop
    with Session(engine(app)) as session:
        actions = [e.action for e in session.exec(select(AuditEntry).where(AuditEntry.actor == "staff@example.com"))]
    assert "product.create" in actions and "product.images.add" in actions


def test_a_variant_row_is_added_and_removed_without_javascript(app, client, staff):
    csrf = staff.csrf()
    typed = product_form(csrf, title="Wool beanie")
    response = client.post("/admin/products/new", data={**typed, "add_variant": "1"})
    page = text(response)
    assert response.status_code == 200
    assert input_value(page, "variants-1-sku") == ""  # a new, empty row …
    assert input_value(page, "variants-0-sku") == "LIN-M" and input_value(page, "title") == "Wool beanie"
    assert _product(app, "wool-beanie") is None  # … and nothing saved yet

    two = product_form(csrf, title="Wool beanie", variants=[{"option1": "S", "sku": "WB-S", "price": "20", "stock": "1"},
                                                            {"option1": "L", "sku": "WB-L", "price": "22", "stock": "2"}])
    page = text(client.post("/admin/products/new", data={**two, "remove_variant": "0"}))
    assert input_value(page, "variants-0-sku") == "WB-L" and input_value(page, "variants-1-sku") is None
    assert _product(app, "wool-beanie") is None

    # An empty row left over from "add a variant" is ignored when saving, not refused.
    response = client.post("/admin/products/new", data=product_form(csrf, title="Wool beanie", variants=[
        {"option1": "S", "sku": "WB-S", "price": "20", "stock": "1"}, {}]))
    assert response.status_code == 302
    assert [v.sku for v in _product(app, "wool-beanie").variants] == ["WB-S"]


# --- Editing ----------------------------------------------------------------------------------------------------


def test_editing_changes_prices_and_removes_a_variant(app, client, staff, product_factory):
    product = product_factory(title="Linen shirt", slug="linen-shirt", variants=[
        {"sku": "LIN-M", "price_minor": 4900, "currency": "EUR", "stock": 5, "options": {"Size": "M"}},
        {"sku": "LIN-L", "price_minor": 4900, "currency": "EUR", "stock": 2, "options": {"Size": "L"}}])
    keep = product.variants[1]
    page = text(client.get(f"/admin/products/{product.id}"))
    assert input_value(page, "variants-0-price") == "49.00" and input_value(page, "option1_name") == "Size"

    form = product_form(staff.csrf(), variants=[
        {"id": str(keep.id), "option1": "L", "sku": "LIN-L", "price": "45.00", "stock": "7"}])
    response = client.post(f"/admin/products/{product.id}", data=form)
    assert response.status_code == 302
    after = _product(app, "linen-shirt")
    assert [(v.id, v.sku, v.price_minor, v.stock) for v in after.variants] == [(keep.id, "LIN-L", 4500, 7)]
    with Session(engine(app)) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "product.update")).one()
    assert entry.actor == "staff@example.com" and "variants" in entry.changes


def test_archive_takes_a_product_out_of_the_shop_and_restore_brings_it_back_as_a_draft(client, staff,
                                                                                       product_factory, app):
    product = product_factory(title="Linen shirt", slug="linen-shirt")
    csrf = staff.csrf()
    assert client.post(f"/admin/products/{product.id}/archive", data={"csrf_token": csrf}).status_code == 302
    assert _product(app, "linen-shirt").status == ProductStatus.archived
    assert client.get("/p/linen-shirt").status_code == 404
    assert "Archived" in text(client.get("/admin/products?status=archived"))

    client.post(f"/admin/products/{product.id}/restore", data={"csrf_token": csrf})
    assert _product(app, "linen-shirt").status == ProductStatus.draft

    # A stale tab's second "restore" on a product that is active again does not demote it.
    with Session(engine(app)) as session:
        live = session.get(Product, product.id)
        service.set_status(session, live, ProductStatus.active)
        session.commit()
    client.post(f"/admin/products/{product.id}/restore", data={"csrf_token": csrf})
    assert _product(app, "linen-shirt").status == ProductStatus.active


def test_photos_are_reordered_and_removed(app, client, staff, product_factory):
    product = product_factory(title="Linen shirt", slug="linen-shirt")
    form = product_form(staff.csrf(), variants=[{"id": str(product.variants[0].id), "option1": "", "sku":
                                                 product.variants[0].sku, "price": "49", "stock": "5"}])
    form["images"] = [_upload(png(400, 400, (200, 0, 0)), "red.png"), _upload(png(400, 400, (0, 0, 200)), "blue.png")]
    assert client.post(f"/admin/products/{product.id}", data=form,
                       content_type="multipart/form-data").status_code == 302
    first, second = _product(app, "linen-shirt").images
    csrf = staff.csrf()

    client.post(f"/admin/products/{product.id}/images/{second.id}/move", data={"csrf_token": csrf,
                                                                              "direction": "up"})
    assert [i.id for i in _product(app, "linen-shirt").images] == [second.id, first.id]

    client.post(f"/admin/products/{product.id}/images/{first.id}/remove", data={"csrf_token": csrf})
    assert [i.id for i in _product(app, "linen-shirt").images] == [second.id]
    assert not os.path.exists(os.path.join(app.config["UPLOAD_DIR"], first.path))  # no orphan files either


# --- Refusals: the message a person reads, and nothing changed ----------------------------------------------


@pytest.mark.parametrize(("name", "data", "wrong"), [
    ("oversized", lambda: _noisy_png(500), "the limit is"),
    ("not an image", lambda: b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n", "not an image we can read"),
    ("too small", lambda: png(60, 80), "it needs at least 100 pixels a side"),
    ("too many pixels", lambda: _bomb(8000, 7000), "the image is 8000×7000 pixels; the limit is 50 megapixels"),
])
def test_a_bad_photo_is_refused_and_nothing_is_saved(app, client, staff, name, data, wrong):
    payload = data()
    assert name != "oversized" or len(payload) > MAX_UPLOAD
    before = catalogue_state(app)
    form = product_form(staff.csrf())
    form["images"] = [_upload(png(300, 300), "good.png"), _upload(payload, "holiday.jpg")]
    response = client.post("/admin/products/new", data=form, content_type="multipart/form-data")

    assert response.status_code == 400
    page = text(response)
    [message] = errors_for(page, "images")
    assert message.startswith("holiday.jpg: ") and wrong in message
    assert "Nothing was saved" in page
    assert input_value(page, "title") == "Linen shirt"  # what was typed is still there
    assert catalogue_state(app) == before  # no product, no image rows, no files (not even the good photo)


def test_a_failed_edit_keeps_the_product_as_it_was(app, client, staff, product_factory):
    product = product_factory(title="Linen shirt", slug="linen-shirt")
    before = catalogue_state(app)
    form = product_form(staff.csrf(), title="Renamed", variants=[
        {"id": str(product.variants[0].id), "sku": product.variants[0].sku, "price": "-3", "stock": "5"}])
    form["images"] = [_upload(png(300, 300), "fine.png")]
    response = client.post(f"/admin/products/{product.id}", data=form, content_type="multipart/form-data")
    assert response.status_code == 400
    assert errors_for(text(response), "variants-0-price") == ["cannot be negative"]
    assert catalogue_state(app) == before


def test_a_duplicate_sku_is_named_next_to_the_sku(app, client, staff, product_factory):
    product_factory(title="Linen shirt", slug="linen-shirt", variants=[
        {"sku": "LIN-M", "price_minor": 4900, "currency": "EUR", "stock": 5}])
    before = catalogue_state(app)
    response = client.post("/admin/products/new", data=product_form(staff.csrf(), title="Other shirt", variants=[
        {"sku": "OTH-S", "price": "10", "stock": "1"}, {"sku": "lin-m", "price": "10", "stock": "1"}]))
    assert response.status_code == 400
    page = text(response)
    assert errors_for(page, "variants-1-sku") == ["SKU “lin-m” already belongs to another product"]
    assert errors_for(page, "variants-0-sku") == []
    assert catalogue_state(app) == before


def test_a_duplicate_slug_is_named_next_to_the_web_address(app, client, staff, product_factory):
    product_factory(title="Linen shirt", slug="linen-shirt")
    before = catalogue_state(app)
    response = client.post("/admin/products/new", data=product_form(staff.csrf(), variants=[
        {"sku": "NEW-1", "price": "10", "stock": "1"}]))  # the title makes the same slug
    assert errors_for(text(response), "slug") == ["“linen-shirt” is already used by another product"]
    assert catalogue_state(app) == before


@pytest.mark.parametrize(("field", "typed", "currency", "message"), [
    ("price", "-5", "EUR", "cannot be negative"),
    ("price", "abc", "EUR", "“abc” is not an amount"),
    ("price", "19.999", "EUR", "EUR amounts have at most 2 decimals"),
    ("price", "", "EUR", "is required"),
    ("compare_at", "-1", "EUR", "cannot be negative"),
    ("stock", "-1", "EUR", "cannot be negative"),
    ("stock", "2.5", "EUR", "must be a whole number"),
    ("stock", "many", "EUR", "must be a whole number"),
])
def test_bad_prices_and_stock_are_refused_with_a_clear_message(app, client, staff, field, typed, currency, message):
    before = catalogue_state(app)
    row = {"sku": "LIN-M", "price": "49.00", "stock": "5", field: typed}
    response = client.post("/admin/products/new", data=product_form(staff.csrf(), currency=currency, variants=[row]))
    assert response.status_code == 400
    page = text(response)
    assert errors_for(page, f"variants-0-{field}") == [message]
    assert input_value(page, f"variants-0-{field}") == typed  # the person sees what they typed, to correct it
    assert catalogue_state(app) == before


def test_an_unknown_currency_is_refused(app, client, staff):
    before = catalogue_state(app)
    response = client.post("/admin/products/new", data=product_form(staff.csrf(), currency="XYZ"))
    assert response.status_code == 400
    assert errors_for(text(response), "currency") == [
        "“XYZ” is not an ISO 4217 currency code (for example EUR, USD, GBP)."]
    assert catalogue_state(app) == before


def test_a_yen_price_has_no_decimals(app, client, staff):
    response = client.post("/admin/products/new", data=product_form(staff.csrf(), currency="jpy", variants=[
        {"sku": "JP-1", "price": "1980", "stock": "1"}]))
    assert response.status_code == 302
    [variant] = _product(app, "linen-shirt").variants
    assert (variant.price_minor, variant.currency) == (1980, "JPY")


# --- Finding products -------------------------------------------------------------------------------------------


def test_the_list_searches_filters_and_pages(app, client, staff, db_session):
    from shopbridge.testing import make_product

    for n in range(30):
        make_product(db_session, title=f"Shirt {n:02d}", slug=f"shirt-{n:02d}", category="Shirts" if n % 2 else "Hats",
                     variants=[{"sku": f"SKU-{n:02d}", "price_minor": 1000 + n, "currency": "EUR",
                                "stock": 0 if n % 3 == 0 else 4}])
    first = text(client.get("/admin/products"))
    assert first.count('class="product-row"') == 25 and "Page 1 of 2" in first
    assert text(client.get("/admin/products?page=2")).count('class="product-row"') == 5

    by_sku = text(client.get("/admin/products?q=sku-07"))
    assert "Shirt 07" in by_sku and by_sku.count('class="product-row"') == 1
    sold_out = text(client.get("/admin/products?stock=out&category=shirts"))
    assert sold_out.count('class="product-row"') == 5  # 3, 9, 15, 21, 27
    assert 'href="/admin/products/export.csv?category=shirts&amp;stock=out"' in client.get(
        "/admin/products?stock=out&category=shirts").get_data(as_text=True)


def test_an_agency_sees_the_catalogue_but_cannot_change_it(client, auth, product_factory):
    product = product_factory(title="Linen shirt", slug="linen-shirt")
    auth.login("agency")
    listing = text(client.get("/admin/products"))
    assert "Linen shirt" in listing and "New product" not in listing and "Import CSV" not in listing
    assert client.get(f"/admin/products/{product.id}").status_code == 403
    assert client.get("/admin/products/export.csv").status_code == 403
    csrf = auth.csrf()
    assert client.post(f"/admin/products/{product.id}/archive", data={"csrf_token": csrf}).status_code == 403


def test_the_service_is_the_only_writer_of_images(app, product_factory, db_session):
    """The admin's image rules hold for any caller: a refused batch stores none of its files."""
    product = product_factory(title="Linen shirt", slug="linen-shirt")
    store = service.ImageStore(app.config["UPLOAD_DIR"], [320], MAX_UPLOAD)
    with pytest.raises(service.CatalogueError) as refused:
        service.add_images(db_session, product, [service.Upload(png(300, 300)), service.Upload(b"nope", "x.gif")],
                           store)
    assert refused.value.as_dict() == {"images.1": "x.gif: the file is not an image we can read (JPEG, PNG or WebP)"}
    assert db_session.exec(select(Image)).all() == []


def test_the_products_admin_speaks_italian(client, staff, product_factory):
    product_factory(title="Camicia di lino", slug="camicia", variants=[
        {"sku": "CAM-S", "price_minor": 4990, "currency": "EUR", "stock": 2, "options": {"Taglia": "S"}},
        {"sku": "CAM-M", "price_minor": 4990, "currency": "EUR", "stock": 0, "options": {"Taglia": "M"}}])
    page = text(client.get("/admin/products?lang=it"))
    assert "Nuovo prodotto" in page and "2 varianti" in page and "49,90\xa0€" in page and "2 disponibili" in page
    form = text(client.get("/admin/products/new"))  # the choice is remembered
    assert "Varianti, prezzi e scorte" in form and "Aggiungi una variante" in form


def test_a_save_racing_another_for_the_same_sku_is_refused_cleanly(app, client, staff, product_factory,
                                                                    monkeypatch):
    """Two people save at the same instant: validation passed for both, the database's unique index decides."""
    product_factory(title="Linen shirt", slug="linen-shirt", variants=[
        {"sku": "LIN-M", "price_minor": 4900, "currency": "EUR", "stock": 5}])
    before = catalogue_state(app)
    monkeypatch.setattr(service, "validate", lambda *args, **kwargs: [])  # as if checked before the other commit
    form = product_form(staff.csrf(), title="Other shirt", variants=[{"sku": "LIN-M", "price": "10", "stock": "1"}])
    form["images"] = [_upload(png(300, 300), "photo.png")]
    response = client.post("/admin/products/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 409
    page = text(response)
    assert "Someone saved a product with the same SKU or web address a moment ago." in page
    assert "<h1>New product" in page and "Archive product" not in page  # still the form for a new product
    assert catalogue_state(app) == before  # and the photo written during the attempt is gone again


def test_options_the_form_does_not_show_survive_an_edit(app, client, staff, product_factory):
    """A product given four options through the API or CSV keeps the fourth when edited in the admin."""
    options = {"Size": "M", "Colour": "Blue", "Fit": "Slim", "Sleeve": "Long"}
    product = product_factory(title="Shirt", slug="shirt", variants=[
        {"sku": "SH-1", "price_minor": 4900, "currency": "EUR", "stock": 5, "options": options}])
    page = text(client.get(f"/admin/products/{product.id}"))
    assert input_value(page, "option3_name") == "Fit"
    form = product_form(staff.csrf(), title="Shirt", option1_name="Size", option2_name="Colour",
                        option3_name="Fit", variants=[{"id": str(product.variants[0].id), "option1": "L",
                                                       "option2": "Blue", "option3": "Slim", "sku": "SH-1",
                                                       "price": "49", "stock": "5"}])
    assert client.post(f"/admin/products/{product.id}", data=form).status_code == 302
    assert _product(app, "shirt").variants[0].options == {"Size": "L", "Colour": "Blue", "Fit": "Slim",
                                                          "Sleeve": "Long"}
