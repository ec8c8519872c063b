"""The demo shop that `make run` loads: enough products to show off every storefront feature, loaded once."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import func, select

from shopbridge.catalogue.models import Category, Image, Product, ProductStatus, Variant
from shopbridge.catalogue.service import gtin_is_valid
from shopbridge.demo import DEMO_USERS, load_demo


def test_the_demo_shop_loads_once_with_a_full_catalogue_and_real_images(app, client, db_session, parse):
    assert load_demo(app) is True
    assert load_demo(app) is False  # the second run leaves everything as it was

    products = db_session.exec(select(Product)).all()
    assert len(products) >= 12
    assert len({p.slug for p in products}) == len(products)
    assert all(p.status == ProductStatus.active for p in products)
    assert all(p.brand and len(p.description) > 60 for p in products)
    assert db_session.exec(select(func.count()).select_from(Image)).one() >= len(products)

    categories = db_session.exec(select(Category)).all()
    assert len(categories) >= 4
    assert all(any(p.category_id == c.id for p in products) for c in categories)

    variants = db_session.exec(select(Variant)).all()
    by_size_and_colour = [p for p in products if any({"size", "colour"} <= set(v.options) for v in p.variants)]
    assert len(by_size_and_colour) >= 3
    sold_out_products = [p for p in products if not p.in_stock]
    assert len(sold_out_products) >= 1
    partly_sold_out = [p for p in products if p.in_stock and any(v.stock == 0 for v in p.variants)]
    assert len(partly_sold_out) >= 3
    assert len({p.id for p in products if any(v.compare_at is not None for v in p.variants)}) >= 2
    gtins = [v.gtin for v in variants if v.gtin]
    assert len(gtins) >= 5 and all(gtin_is_valid(g) for g in gtins)

    # Every image and its generated sizes are on disk and served to shoppers.
    upload_dir = Path(app.config["UPLOAD_DIR"])
    for image in db_session.exec(select(Image)).all():
        assert (upload_dir / image.path).is_file()
        assert image.sizes and image.width >= 1200
        stem = image.path.rsplit(".", 1)[0]
        for size in image.sizes:
            assert (upload_dir / f"{stem}-{size}.jpg").is_file()
    first = products[0].main_image
    response = client.get(f"/media/{first.path}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"

    # And the shop a newcomer opens shows them.
    home = client.get("/").get_data(as_text=True)
    assert all(f"/c/{c.slug}" in home for c in categories)
    for product in products:
        assert client.get(f"/p/{product.slug}").status_code == 200

    # The logins `shopbridge serve` prints work.
    for email, password, _role in DEMO_USERS:
        token = parse(client.get("/admin/login")).xpath("//input[@name='csrf_token']/@value")[0]
        response = client.post("/admin/login", data={"email": email, "password": password, "csrf_token": token})
        assert response.status_code == 302, email
        assert "/admin/login" not in response.headers["Location"]
        token = parse(client.get("/admin/")).xpath("//input[@name='csrf_token']/@value")[0]
        client.post("/admin/logout", data={"csrf_token": token})


def test_demo_images_are_drawn_the_same_every_time():
    from shopbridge.demo.illustrations import SHAPES, colour, render

    for kind in SHAPES:
        assert render(kind, colour("Sage"), size=240) == render(kind, colour("Sage"), size=240)
    assert render("mug", colour("Sage"), size=240) != render("mug", colour("Navy"), size=240)
