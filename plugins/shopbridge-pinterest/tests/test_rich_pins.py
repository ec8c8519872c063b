"""A pinned product page carries what Pinterest reads for Product (Rich) Pins.

Pinterest's "Product Pins" guide (developers.pinterest.com/docs/web-features/product-rich-pins/) accepts Open
Graph or Schema.org markup. Required with Open Graph: ``og:title``, ``og:price:amount`` and ``og:price:currency``
(``product:price:*`` is read too); recommended: ``og:description``, ``og:url``, ``og:site_name``,
``og:availability``. With Schema.org: a ``Product`` with ``name`` and ``offers`` holding ``price`` and
``priceCurrency`` (``availability`` recommended).
"""

from __future__ import annotations


def _first(og: dict[str, list[str]], *names: str) -> str | None:
    return next((og[n][0] for n in names if og.get(n)), None)


def test_a_product_page_has_the_metadata_pinterest_needs_for_product_pins(client, product_factory):
    import extruct

    product_factory(title="Linen shirt", slug="linen-shirt",
                    variants=[{"sku": "SHIRT-1", "price_minor": 4900, "currency": "EUR", "stock": 5}])
    page = client.get("/p/linen-shirt")
    assert page.status_code == 200
    data = extruct.extract(page.get_data(as_text=True), base_url="http://localhost/p/linen-shirt",
                           syntaxes=["opengraph", "json-ld"], uniform=False)

    og: dict[str, list[str]] = {}
    for block in data["opengraph"]:
        for key, value in block.get("properties", []):
            og.setdefault(key, []).append(value)
    products = [item for item in data["json-ld"] if item.get("@type") == "Product"]

    open_graph_ok = bool(og.get("og:title")) and _first(og, "og:price:amount", "product:price:amount") == "49.00" \
        and _first(og, "og:price:currency", "product:price:currency") == "EUR"
    offers = products[0].get("offers") if products else None
    offer = (offers[0] if isinstance(offers, list) else offers) or {}
    schema_ok = bool(products and products[0].get("name") == "Linen shirt"
                     and str(offer.get("price")) in ("49.00", "49", "49.0") and offer.get("priceCurrency") == "EUR")
    assert open_graph_ok or schema_ok
    # Recommended: availability, so the pin can say "in stock".
    assert _first(og, "og:availability", "product:availability") or offer.get("availability")
