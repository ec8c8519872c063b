"""Posters and label sheets: real PDFs whose QR codes decode to links that scan to the product."""

from __future__ import annotations

import io

import pytest
from linkhelpers import IPHONE_SAFARI, decode, hits, path_of
from PIL import Image


def _pdf(response):
    from pypdf import PdfReader

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return PdfReader(io.BytesIO(response.data))


def _qr_images(page) -> list[bytes]:
    found = []
    for image in page.images:
        picture = Image.open(io.BytesIO(image.data))
        if picture.width == picture.height:  # QR codes are square; the product photo here is not
            out = io.BytesIO()
            picture.convert("RGB").save(out, "PNG")
            found.append(out.getvalue())
    return found


@pytest.fixture
def photographed_shirt(app, db_session, shirt):
    """The shirt with a product photo, stored the way the admin stores uploads."""
    from shopbridge.catalogue.images import add_image

    photo = io.BytesIO()
    Image.new("RGB", (800, 600), (70, 130, 180)).save(photo, "JPEG")
    add_image(app.config["UPLOAD_DIR"], shirt, photo.getvalue(), sizes=app.config["IMAGE_SIZES"],
              max_bytes=app.config["MAX_UPLOAD_BYTES"])
    db_session.commit()
    return shirt


@pytest.mark.parametrize("paper,size", [("A4", (595, 842)), ("A5", (420, 595)), ("Letter", (612, 792))])
def test_a_poster_prints_the_product_and_a_working_qr_code(auth, client, app, photographed_shirt, make_link,
                                                          paper, size):
    link = make_link(channel="poster", placement="Cadorna station")
    auth.login("staff")
    reader = _pdf(client.get(f"/admin/links/{link.id}/poster.pdf?paper={paper}"))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == size
    text = page.extract_text()
    assert "Linen shirt" in text and "49.00" in text and f"/b/{link.code}" in text and "Scan to buy" in text
    assert len(page.images) == 2  # the photo and the QR code
    [code_png] = _qr_images(page)
    url = decode(code_png)
    assert url.endswith(f"/q/{link.code}")
    response = app.test_client().get(path_of(url), headers={"User-Agent": IPHONE_SAFARI})
    assert response.headers["Location"].startswith("/p/linen-shirt")
    assert hits(app)[-1]["kind"] == "scan"


def test_a_product_poster_uses_the_default_link(auth, client, shirt):
    auth.login("owner")
    reader = _pdf(client.get(f"/admin/links/product/{shirt.id}/poster.pdf?paper=A5"))
    [code_png] = _qr_images(reader.pages[0])
    assert "/q/" in decode(code_png)
    assert client.get(f"/admin/links/product/{shirt.id}/poster.pdf?paper=B0").status_code == 400


def test_a_label_sheet_holds_24_labels_a_page(auth, client, db_session, app):
    from shopbridge.testing import make_product

    products = [make_product(db_session, title=f"Mug no. {i}", slug=f"mug-{i}",
                             variants=[{"sku": f"MUG-{i}", "price_minor": 1200 + i, "currency": "EUR", "stock": 1}])
                for i in range(26)]
    auth.login("staff")
    query = "&".join(f"product={p.id}" for p in products)
    reader = _pdf(client.get(f"/admin/links/labels.pdf?{query}"))
    assert len(reader.pages) == 2
    first, second = (_qr_images(p) for p in reader.pages)
    assert len(first) == 24 and len(second) == 2
    assert "Mug no. 0" in reader.pages[0].extract_text()
    # Every label's code is a distinct, working link.
    urls = {decode(png) for png in first[:3] + second}
    assert len(urls) == 5
    for url in urls:
        assert app.test_client().get(path_of(url)).status_code == 302


def test_labels_need_products(auth, client, shirt, db_session):
    from shopbridge.catalogue.service import archive_product

    auth.login("staff")
    bare = client.get("/admin/links/labels.pdf")
    assert bare.status_code == 302 and bare.headers["Location"].endswith("/admin/links/labels")
    archive_product(db_session, shirt)
    db_session.commit()
    refused = client.get(f"/admin/links/labels.pdf?product={shirt.id}")
    assert refused.status_code == 400 and "archived" in refused.get_data(as_text=True)
