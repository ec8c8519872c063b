"""A poster sells: the scan, the paid order and its revenue all show against the poster's link and channel."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from shopbridge.testing import csrf_token_from


def _scan_and_pay(client, link_code: str, product) -> None:
    landed = client.get(f"/q/{link_code}")  # the shopper scans the poster's QR code
    page = client.get(urlsplit(landed.headers["Location"]).path).get_data(as_text=True)
    bought = client.post("/checkout/buy", data={
        "csrf_token": csrf_token_from(page), "nonce": re.search(r'name="nonce" value="([^"]+)"', page).group(1),
        "variant_id": product.variants[0].id, "quantity": 1})
    pay_url = bought.headers["Location"]
    pay_page = client.get(pay_url).get_data(as_text=True)
    client.post(pay_url, data={"csrf_token": csrf_token_from(pay_page), "action": "pay",
                               "email": "ada@example.com"})


def test_paid_orders_and_revenue_show_against_the_link_and_channel(app, client, auth, make_link, shirt):
    poster = make_link(channel="poster", campaign="summer", placement="Cadorna")
    instagram = make_link(channel="instagram", campaign="summer")
    _scan_and_pay(app.test_client(), poster.code, shirt)
    app.test_client().get(f"/b/{instagram.code}")  # a visit that buys nothing

    auth.login("agency")  # agencies read analytics, never orders themselves
    report = client.get("/api/v1/analytics/links", headers={"Authorization": f"Bearer {auth.token('agency')}"})
    figures = report.get_json()
    assert figures["totals"]["orders"] == 1
    by_channel = {row["key"]: row for row in figures["by_channel"]}
    # 49.00 for the shirt plus 5.00 shipping to Italy, collected through the poster.
    assert (by_channel["poster"]["orders"], by_channel["poster"]["revenue"]) == (1, {"EUR": 5400})
    assert (by_channel["instagram"]["orders"], by_channel["instagram"]["revenue"]) == (0, {})
    by_link = {row["key"]: row for row in figures["by_link"]}
    assert by_link[poster.code]["orders"] == 1 and by_link[poster.code]["scans"] == 1

    page = client.get("/admin/analytics/").get_data(as_text=True)
    assert "€54.00" in page and "paid orders" in page


def test_plugins_hear_about_the_order_once_it_is_created_and_paid(app, make_link, shirt):
    import fake_platform  # tests/plugins: records every order event it is told about

    fake_platform.ORDERS.clear()
    poster = make_link(channel="poster")
    _scan_and_pay(app.test_client(), poster.code, shirt)
    events = [event for _order_id, event in fake_platform.ORDERS]
    assert events == ["created", "paid"]
