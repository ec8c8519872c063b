"""A shopper browses the storefront: home, categories, product pages, sitemap and robots.txt."""

from __future__ import annotations

from xml.etree import ElementTree

NBSP = "\xa0"


def variant_ids(product) -> dict[str, int]:
    return {v.sku: v.id for v in product.variants}


def test_prices_are_formatted_for_the_shoppers_language(client, product_factory, parse, text_of):
    product_factory(title="Linen shirt", slug="linen-shirt", variants=[
        {"sku": "LIN-1", "price_minor": 1999, "compare_at_minor": 2999, "currency": "EUR", "stock": 8}])

    english = parse(client.get("/p/linen-shirt"))
    assert text_of(english, "//*[@data-price-now]") == "€19.99"
    assert text_of(english, "//*[@data-price]//s") == "was €29.99"

    italian = parse(client.get("/p/linen-shirt?lang=it"))
    assert text_of(italian, "//*[@data-price-now]") == f"19,99{NBSP}€"
    assert text_of(italian, "//*[@data-price]//s") == f"prima 29,99{NBSP}€"
    assert italian.xpath("//html/@lang") == ["it"]
    assert "Disponibile" in text_of(italian, "//*[@data-stock]")


def test_each_variant_shows_its_own_stock_state(client, product_factory, parse, text_of, tee_variants):
    product = product_factory(title="Tee", slug="tee", variants=tee_variants)
    ids = variant_ids(product)

    def stock_line(sku: str) -> str:
        return text_of(parse(client.get(f"/p/tee?variant={ids[sku]}")), "//*[@data-stock]")

    assert stock_line("TEE-S-SAGE") == "In stock"
    assert stock_line("TEE-S-NAVY") == "Only 4 left"
    assert stock_line("TEE-L-NAVY") == "Only 2 left"
    assert stock_line("TEE-L-SAGE") == "Sold out"

    page = parse(client.get("/p/tee"))
    sold_out = page.xpath(f"//input[@name='variant_id'][@value='{ids['TEE-L-SAGE']}']")[0]
    assert sold_out.get("disabled") is not None
    row = " ".join(sold_out.getparent().text_content().split())
    assert row == "L / Sage €29.00 · Sold out"


def test_a_variant_link_preselects_that_variant_and_its_price(client, product_factory, parse, text_of, tee_variants):
    product = product_factory(title="Tee", slug="tee", variants=tee_variants)
    navy_l = variant_ids(product)["TEE-L-NAVY"]

    page = parse(client.get(f"/p/tee?variant={navy_l}"))
    checked = page.xpath("//input[@name='variant_id'][@checked]/@value")
    assert checked == [str(navy_l)]
    assert text_of(page, "//*[@data-price-now]") == "€33.00"
    assert text_of(page, "//*[@data-price]//s") == "was €39.00"
    assert page.xpath("//input[@name='quantity']/@max") == ["2"]
    # The per-option groups start on the same choice, for the script to reveal.
    assert page.xpath("//input[@name='option-size'][@checked]/@value") == ["L"]
    assert page.xpath("//input[@name='option-colour'][@checked]/@value") == ["Navy"]


def test_without_a_variant_the_first_one_in_stock_is_chosen_and_bad_ids_fall_back(client, product_factory, parse):
    product = product_factory(title="Tee", slug="tee", variants=[
        {"sku": "A", "price_minor": 1000, "currency": "EUR", "stock": 0, "options": {"size": "S"}},
        {"sku": "B", "price_minor": 1200, "currency": "EUR", "stock": 3, "options": {"size": "M"}},
    ])
    other = product_factory(title="Other", slug="other")
    in_stock = str(variant_ids(product)["B"])

    for url in ("/p/tee", "/p/tee?variant=999999", "/p/tee?variant=abc", f"/p/tee?variant={other.variants[0].id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert parse(response).xpath("//input[@name='variant_id'][@checked]/@value") == [in_stock], url


def test_until_checkout_is_installed_the_buy_button_says_it_is_coming(client, product_factory, parse, tee_variants):
    product_factory(title="Tee", slug="tee", variants=tee_variants)
    page = parse(client.get("/p/tee"))
    form = page.xpath("//form[@data-variant-picker]")[0]
    assert form.get("method") == "post"
    assert form.get("action") is None
    button = form.xpath(".//button")[0]
    assert button.text_content().strip() == "Checkout coming soon"
    assert button.get("disabled") is not None


def test_the_buy_form_posts_variant_and_quantity_to_checkout(app, client, product_factory, parse, tee_variants, fake_checkout):
    product = product_factory(title="Tee", slug="tee", variants=tee_variants)
    page = parse(client.get("/p/tee"))
    form = page.xpath("//form[@data-variant-picker]")[0]
    assert (form.get("method"), form.get("action")) == ("post", "/buy")
    assert form.xpath(".//input[@name='quantity'][@type='number']/@min") == ["1"]
    assert form.xpath(".//button[@type='submit']")[0].text_content().strip() == "Buy"
    navy_s = variant_ids(product)["TEE-S-NAVY"]
    token = form.xpath(".//input[@name='csrf_token']/@value")[0]
    posted = client.post("/buy", data={"csrf_token": token, "variant_id": navy_s, "quantity": 2})
    assert posted.get_data(as_text=True) == f"variant={navy_s} quantity=2"


def test_a_product_sold_out_in_every_variant_says_so(client, product_factory, parse, text_of):
    product_factory(title="Oxford shirt", slug="oxford", variants=[
        {"sku": "OX-M", "price_minor": 7900, "currency": "EUR", "stock": 0, "options": {"size": "M"}},
        {"sku": "OX-L", "price_minor": 7900, "currency": "EUR", "stock": 0, "options": {"size": "L"}},
    ])
    page = parse(client.get("/p/oxford"))
    assert text_of(page, "//*[@data-stock]") == "Sold out"
    button = page.xpath("//form[@data-variant-picker]//button")[0]
    assert button.text_content().strip() == "Sold out" and button.get("disabled") is not None
    assert "Sold out" in client.get("/").get_data(as_text=True)


def test_drafts_archived_and_unknown_products_get_a_friendly_404(client, product_factory):
    product_factory(title="Secret", slug="secret", status="draft")
    product_factory(title="Old", slug="old", status="archived")
    for url in ("/p/secret", "/p/old", "/p/never-existed", "/c/no-such-category"):
        response = client.get(url)
        assert response.status_code == 404, url
        body = response.get_data(as_text=True)
        assert "We could not find that page" in body
        assert 'href="/"' in body
        assert "noindex" in body


def test_home_shows_new_products_and_categories(client, product_factory, parse):
    product_factory(title="Linen shirt", slug="linen-shirt", category="Shirts")
    product_factory(title="Canvas tote", slug="canvas-tote", category="Bags")
    product_factory(title="Hidden", slug="hidden", category="Secrets", status="draft")

    page = parse(client.get("/"))
    titles = [t.text_content() for t in page.xpath("//*[@class='card-title']")]
    assert set(titles) == {"Linen shirt", "Canvas tote"}
    categories = page.xpath("//*[@class='category-grid']//a/@href")
    assert sorted(categories) == ["/c/bags", "/c/shirts"]
    assert page.xpath("//meta[@property='og:type']/@content") == ["website"]


def test_category_pages_paginate(app, client, product_factory, parse, text_of):
    app.config["PRODUCTS_PER_PAGE"] = 2
    for n in range(5):
        product_factory(title=f"Shirt {n}", slug=f"shirt-{n}", category="Shirts")
    product_factory(title="Tote", slug="tote", category="Bags")

    first = parse(client.get("/c/shirts"))
    assert [t.text_content() for t in first.xpath("//*[@class='card-title']")] == ["Shirt 0", "Shirt 1"]
    assert text_of(first, "//*[@class='count']") == "5 products"
    assert first.xpath("//nav[@class='pagination']//a[@rel='next']/@href") == ["/c/shirts?page=2"]
    last = parse(client.get("/c/shirts?page=3"))
    assert [t.text_content() for t in last.xpath("//*[@class='card-title']")] == ["Shirt 4"]
    assert last.xpath("//nav[@class='pagination']//a[@rel='prev']/@href") == ["/c/shirts?page=2"]
    assert last.xpath("//link[@rel='canonical']/@href") == ["http://localhost/c/shirts?page=3"]
    assert client.get("/c/shirts?page=4").status_code == 404


def test_the_language_switch_keeps_the_chosen_variant(client, product_factory, parse, tee_variants):
    product = product_factory(title="Tee", slug="tee", variants=tee_variants)
    navy = variant_ids(product)["TEE-S-NAVY"]
    page = parse(client.get(f"/p/tee?variant={navy}"))
    assert page.xpath("//nav[@class='language-switch']//a[@hreflang='it']/@href") == [f"?variant={navy}&lang=it"]
    # The choice is remembered for the rest of the visit.
    client.get("/?lang=it")
    assert "Taglia" in client.get("/p/tee").get_data(as_text=True)


def test_sitemap_lists_active_products_and_categories_with_lastmod(client, product_factory):
    shirt = product_factory(title="Linen shirt", slug="linen-shirt", category="Shirts")
    product_factory(title="Draft", slug="draft-thing", category="Drafts", status="draft")

    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ElementTree.fromstring(response.data)
    entries = {u.findtext("s:loc", namespaces=ns): u.findtext("s:lastmod", namespaces=ns)
               for u in root.findall("s:url", ns)}
    assert set(entries) == {"http://localhost/", "http://localhost/c/shirts", "http://localhost/p/linen-shirt"}
    assert entries["http://localhost/p/linen-shirt"] == shirt.updated_at.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert all(entries.values())


def test_robots_keeps_crawlers_out_of_admin_and_api_and_points_to_the_sitemap(app, client):
    app.config["BASE_URL"] = "https://shop.example"
    response = client.get("/robots.txt")
    assert response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert "Disallow: /admin" in lines
    assert "Disallow: /api" in lines
    assert "Sitemap: https://shop.example/sitemap.xml" in lines
