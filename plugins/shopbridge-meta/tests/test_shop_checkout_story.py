"""A shopper builds a cart in the shop's Instagram shop, lands on our checkout URL and pays (sandbox).

The order is attributed to the Instagram channel (the analytics report shows the paid order and its revenue
there), the items Instagram listed but we cannot sell are reported, and the coupon, a code the owner made in
the admin, is applied by the server and kept on the order.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from sqlmodel import Session, select

from shopbridge.checkout.models import Order, OrderStatus
from shopbridge.db import engine
from shopbridge.links.models import BuyLink
from shopbridge.testing import csrf_token_from


def checkout_url(*pairs: tuple[str, int], coupon: str | None = None, origin: str = "instagram") -> str:
    """The URL Meta opens, encoded as Meta encodes it (``%3A`` and ``%2C`` inside ``products``)."""
    url = "/meta/checkout?products=" + quote(",".join(f"{item}:{qty}" for item, qty in pairs), safe="")
    if coupon:
        url += f"&coupon={coupon}"
    return url + f"&cart_origin={origin}"


def test_an_instagram_shop_cart_is_bought_and_credited_to_instagram(app, client, auth, graph, product_factory,
                                                                     channel_factory):
    # The owner advertises SUMMER20 on Instagram and makes the same code in the shop.
    auth.login("owner")
    admin = client.get("/admin/discounts/").get_data(as_text=True)
    made = client.post("/admin/discounts/", data={"csrf_token": csrf_token_from(admin), "code": "summer20",
                                                  "kind": "percent", "percent": "20", "currency": "EUR"})
    assert made.status_code == 303
    auth.logout()
    channel_factory("instagram", {
        "ig_user_id": graph.ig_user_id, "access_token": graph.access_token, "app_secret": graph.app_secret,
        "verify_token": "verify-me-please", "graph_url": graph.url}, name="Acme on Instagram")
    mug = product_factory(title="Red mug", slug="red-mug", variants=[
        {"sku": "MUG-RED", "price_minor": 1500, "currency": "EUR", "stock": 5}]).variants[0]
    shirt = product_factory(title="Linen shirt", slug="linen-shirt", variants=[
        {"sku": "SHIRT-M", "price_minor": 4900, "currency": "EUR", "stock": 0, "options": {"size": "M"}},
        {"sku": "SHIRT-L", "price_minor": 4900, "currency": "EUR", "stock": 3, "options": {"size": "L"}}]).variants
    sold_out, shirt_l = shirt

    # Instagram's cart has two items we sell, one sold out, one we never synced, and a coupon.
    landing = client.get(checkout_url((f"sb-v{mug.id}", 2), (f"sb-v{shirt_l.id}", 1), (f"sb-v{sold_out.id}", 1),
                                      ("sb-v999999", 1), coupon="SUMMER20"))
    html = landing.get_data(as_text=True)
    assert landing.status_code == 200
    assert "Linen shirt (M) is sold out." in html and "is no longer sold here (item sb-v999999)" in html
    assert "Your discount code SUMMER20 is filled in at checkout." in html

    # The shopper continues with what could be added; the checkout applies the coupon on the server.
    checkout_link = re.search(r'href="([^"]+)">Continue to checkout', html).group(1)
    page = client.get(checkout_link)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "2 × Red mug" in text and "1 × Linen shirt (L)" in text
    assert "Discount SUMMER20 (20%)" in text and "−€15.80" in text
    assert "€68.20" in text  # (2 × 15.00 + 49.00) × 0.8 + 5.00 shipping to IT, priced from our catalogue
    assert 'name="discount_code" value="SUMMER20"' in text

    sent = client.post("/checkout", data={
        "csrf_token": csrf_token_from(text), "nonce": re.search(r'name="nonce" value="([^"]+)"', text).group(1),
        "email": "jane@example.com", "country": "IT", "discount_code": "SUMMER20"})
    assert sent.status_code == 303
    pay_page = client.get(sent.headers["Location"])
    paid = client.post(sent.headers["Location"], data={"csrf_token": csrf_token_from(pay_page.get_data(as_text=True)),
                                                       "action": "pay"})
    assert "is confirmed" in client.get(paid.headers["Location"]).get_data(as_text=True)

    with Session(engine(app)) as s:
        (order,) = s.exec(select(Order)).all()
        link = s.exec(select(BuyLink).where(BuyLink.code == order.link_code)).one()
        timeline = {e.kind: e for e in order.events}
        assert order.status == OrderStatus.paid and order.total_minor == 6820
        assert (order.discount_code, order.discount_minor) == ("SUMMER20", 1580)
        assert (link.channel, link.campaign, link.placement) == ("instagram", "channel-cart", "Acme on Instagram")
        assert "Its discount code SUMMER20 was applied." in timeline["channel_cart"].message
        assert timeline["channel_cart"].data["coupon_applied"] is True and "discount" in timeline

    # The owner's analytics credit Instagram with the order and its revenue.
    report = client.get("/api/v1/analytics/links", headers={"Authorization": f"Bearer {auth.token('owner')}"})
    by_channel = {row["key"]: row for row in report.get_json()["by_channel"]}
    assert by_channel["instagram"]["orders"] == 1 and by_channel["instagram"]["revenue"] == {"EUR": 6820}
    assert report.get_json()["totals"]["orders"] == 1

    # A second cart from the same channel reuses its tracked link instead of making one per visit.
    client.get(checkout_url((f"sb-v{mug.id}", 1)))
    with Session(engine(app)) as s:
        assert len(s.exec(select(BuyLink).where(BuyLink.campaign == "channel-cart")).all()) == 1
