"""What Pinterest, Facebook, WhatsApp, Telegram and search engines read from a product page.

The page is parsed by extruct, a real structured-data extractor (the kind crawlers use), not by our own code:
if a tag is malformed or in the wrong place, extruct will not find it and the test fails.
"""

from __future__ import annotations

import extruct
import pytest
from PIL import Image

BASE = "https://shop.example"


@pytest.fixture
def app_config(app_config):
    # Absolute URLs come from BASE_URL, the shop's public address, whatever host the request used.
    app_config["BASE_URL"] = BASE
    app_config["SHOP_NAME"] = "Bottega Demo"
    return app_config


@pytest.fixture
def tee(product_factory, add_picture):
    product = product_factory(
        title="Organic cotton T-shirt", slug="organic-tee", brand="Ortica", category="Shirts",
        description="A heavyweight tee in organic cotton.\n\nGarment-dyed, relaxed fit.",
        variants=[
            {"sku": "TEE-S-SAGE", "price_minor": 2900, "compare_at_minor": 3500, "currency": "EUR", "stock": 6,
             "options": {"size": "S", "colour": "Sage"}, "gtin": "8012345670000"},
            {"sku": "TEE-M-SAGE", "price_minor": 2900, "currency": "EUR", "stock": 0,
             "options": {"size": "M", "colour": "Sage"}},
            {"sku": "TEE-S-NAVY", "price_minor": 3100, "currency": "EUR", "stock": 3,
             "options": {"size": "S", "colour": "Navy"}},
        ],
    )
    return add_picture(product, "Sage")


def extract(client, url: str) -> tuple[dict[str, list[str]], dict, str]:
    html = client.get(url).get_data(as_text=True)
    data = extruct.extract(html, base_url=BASE + url, syntaxes=["opengraph", "json-ld"])
    (og_item,) = data["opengraph"]
    og: dict[str, list[str]] = {}
    for prop, value in og_item["properties"]:
        og.setdefault(prop, []).append(value)
    products = [item for item in data["json-ld"] if item.get("@type") == "Product"]
    assert len(products) == 1
    return og, products[0], html


def test_open_graph_has_everything_pinterest_and_facebook_read(client, tee):
    og, _, _ = extract(client, "/p/organic-tee")

    assert og["og:type"] == ["product"]
    assert og["og:title"] == ["Organic cotton T-shirt"]
    assert og["og:description"] == ["A heavyweight tee in organic cotton. Garment-dyed, relaxed fit."]
    assert og["og:url"] == [f"{BASE}/p/organic-tee"]
    assert og["og:site_name"] == ["Bottega Demo"]
    # Facebook's product object and Pinterest's Product Pins: price as a plain decimal, ISO currency.
    assert og["product:price:amount"] == ["29.00"]
    assert og["product:price:currency"] == ["EUR"]
    assert og["product:availability"] == ["in stock"]
    assert og["og:price:amount"] == ["29.00"]
    assert og["og:price:currency"] == ["EUR"]
    assert og["og:availability"] == ["instock"]
    assert og["og:price:standard_amount"] == ["35.00"]
    assert og["product:brand"] == ["Ortica"]


def test_og_image_is_absolute_sized_and_really_served(client, tee):
    og, _, _ = extract(client, "/p/organic-tee")
    (image_url,) = og["og:image"]
    assert image_url.startswith(f"{BASE}/media/products/")
    width, height = int(og["og:image:width"][0]), int(og["og:image:height"][0])
    assert og["og:image:alt"] == ["Organic cotton T-shirt in Sage"]

    served = client.get(image_url.removeprefix(BASE))
    assert served.status_code == 200
    assert served.mimetype == "image/jpeg"
    from io import BytesIO

    with Image.open(BytesIO(served.data)) as picture:
        assert picture.size == (width, height)
    assert width >= 1200  # the size every platform shows as a large preview


def test_twitter_card_and_canonical_link(client, tee, parse):
    _, _, html = extract(client, "/p/organic-tee?variant=" + str(tee.variants[2].id))
    page = parse(html)

    def meta(name):
        return page.xpath(f"//meta[@name='{name}']/@content")

    assert meta("twitter:card") == ["summary_large_image"]
    assert meta("twitter:title") == ["Organic cotton T-shirt"]
    assert meta("twitter:image")[0].startswith(f"{BASE}/media/")
    # One canonical page per product, whichever variant the link preselected.
    assert page.xpath("//link[@rel='canonical']/@href") == [f"{BASE}/p/organic-tee"]


def test_a_variant_link_unfurls_with_that_variants_price(client, tee):
    navy = tee.variants[2]
    og, _, _ = extract(client, f"/p/organic-tee?variant={navy.id}")
    assert og["og:url"] == [f"{BASE}/p/organic-tee?variant={navy.id}"]
    assert og["og:price:amount"] == ["31.00"]
    assert og["product:price:amount"] == ["31.00"]


def test_json_ld_product_has_one_offer_per_variant(client, tee):
    _, product, _ = extract(client, "/p/organic-tee")
    assert product["@context"] == "https://schema.org"
    assert product["name"] == "Organic cotton T-shirt"
    assert product["brand"] == {"@type": "Brand", "name": "Ortica"}
    assert product["url"] == f"{BASE}/p/organic-tee"
    assert product["description"].startswith("A heavyweight tee")
    assert product["category"] == "Shirts"
    assert len(product["image"]) == 1 and product["image"][0].startswith(f"{BASE}/media/products/")

    offers = {offer["sku"]: offer for offer in product["offers"]}
    assert set(offers) == {"TEE-S-SAGE", "TEE-M-SAGE", "TEE-S-NAVY"}
    for variant in tee.variants:
        offer = offers[variant.sku]
        assert offer["@type"] == "Offer"
        assert offer["priceCurrency"] == "EUR"
        assert offer["url"] == f"{BASE}/p/organic-tee?variant={variant.id}"
        assert offer["itemCondition"] == "https://schema.org/NewCondition"
    assert offers["TEE-S-SAGE"]["price"] == "29.00"
    assert offers["TEE-S-NAVY"]["price"] == "31.00"
    assert offers["TEE-S-SAGE"]["availability"] == "https://schema.org/InStock"
    assert offers["TEE-M-SAGE"]["availability"] == "https://schema.org/OutOfStock"
    assert offers["TEE-S-SAGE"]["gtin"] == "8012345670000"
    assert "gtin" not in offers["TEE-S-NAVY"]
    assert offers["TEE-S-SAGE"]["priceSpecification"]["price"] == "35.00"


def test_a_sold_out_product_says_so_everywhere(client, product_factory):
    product_factory(title="Oxford shirt", slug="oxford", variants=[
        {"sku": "OX-M", "price_minor": 7900, "currency": "EUR", "stock": 0}])
    og, product, _ = extract(client, "/p/oxford")
    assert og["product:availability"] == ["out of stock"]
    assert og["og:availability"] == ["out of stock"]
    assert [o["availability"] for o in product["offers"]] == ["https://schema.org/OutOfStock"]
    assert product["sku"] == "OX-M"


def test_home_and_categories_have_canonical_links_and_website_cards(client, tee, parse):
    for url in ("/", "/c/shirts"):
        page = parse(client.get(url))
        assert page.xpath("//link[@rel='canonical']/@href") == [BASE + url.rstrip("/") + ("/" if url == "/" else "")]
        assert page.xpath("//meta[@property='og:type']/@content") == ["website"]
        assert page.xpath("//meta[@property='og:image']/@content")[0].startswith(f"{BASE}/media/")
