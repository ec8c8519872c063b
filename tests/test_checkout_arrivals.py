"""Carts that arrive from a channel (``shopbridge.checkout.arrivals``): the contract plugins use for platforms
that build the cart themselves and send the shopper to our checkout."""

from __future__ import annotations

import re
import time

import pytest
from sqlmodel import Session, select

from shopbridge.checkout import arrivals
from shopbridge.checkout.models import Order
from shopbridge.db import engine
from shopbridge.links import attribution
from shopbridge.links.models import BuyLink
from shopbridge.testing import csrf_token_from


def _receive(app, client, lines, **kwargs):
    """What a plugin's view does, run in a request so the shopper's session cookie is written."""
    with app.test_request_context():
        from flask import session as store

        from shopbridge import db

        arrival = arrivals.receive(db.session(), store, lines=lines, **kwargs)
        db.session().commit()
        saved = dict(store)
    with client.session_transaction() as session:
        session.update(saved)
    return arrival


def _checkout(client, email="ada@example.com"):
    page = client.get("/checkout").get_data(as_text=True)
    return client.post("/checkout", data={"csrf_token": csrf_token_from(page), "email": email, "country": "IT",
                                          "nonce": re.search(r'name="nonce" value="([^"]+)"', page).group(1)})


def _orders(app):
    with Session(engine(app)) as s:
        return s.exec(select(Order).order_by(Order.id)).all()


def _link(app, code):
    with Session(engine(app)) as s:
        return s.exec(select(BuyLink).where(BuyLink.code == code)).one()


def test_a_channel_cart_wins_over_an_older_buy_link_and_survives_a_cancelled_payment(app, client, product_factory):
    mug = product_factory(title="Mug", slug="mug", variants=[{"sku": "M", "price_minor": 1200, "currency": "EUR", "stock": 4}])
    # The shopper followed a poster's link last week.
    client.set_cookie(attribution.COOKIE, attribution.value(app.config["SECRET_KEY"], "poster1",
                                                            int(time.time()) - 7 * 86400))

    arrival = _receive(app, client, [(mug.variants[0].id, 2)], channel_type="Instagram", coupon="  WELCOME ")
    assert arrival.coupon == "WELCOME" and arrival.placement == "instagram"  # no connected channel: the type
    link = _link(app, arrival.link_code)
    assert (link.channel, link.campaign, link.product_id) == ("instagram", "channel-cart", mug.id)

    # The shop has no code WELCOME: the checkout says so and the cart still works at full price.
    assert "The discount code “WELCOME” is not valid in this shop." in client.get("/checkout").get_data(as_text=True)
    first = _checkout(client)
    assert first.status_code == 303
    # The shopper goes back from the payment page: the items return to the cart, still credited to Instagram.
    cancelled = _orders(app)[0]
    client.get(f"/checkout/cancelled/{cancelled.token}")
    _checkout(client, email="ada2@example.com")
    orders = _orders(app)
    assert [o.link_code for o in orders] == [arrival.link_code, arrival.link_code]


def test_a_new_cart_started_in_the_shop_is_not_credited_to_the_old_channel_cart(app, client, product_factory):
    mug = product_factory(title="Mug", slug="mug", variants=[{"sku": "M", "price_minor": 1200, "currency": "EUR", "stock": 9}])
    _receive(app, client, [(mug.variants[0].id, 1)], channel_type="facebook_page")
    assert _checkout(client).status_code == 303  # the order empties the cart

    page = client.get("/p/mug").get_data(as_text=True)
    client.post("/cart/add", data={"csrf_token": csrf_token_from(page), "variant_id": mug.variants[0].id,
                                   "quantity": 1})
    _checkout(client, email="later@example.com")
    first, second = _orders(app)
    assert first.link_code and second.link_code is None


def test_only_sellable_lines_are_received_and_an_empty_arrival_changes_nothing(app, client, product_factory):
    mug = product_factory(title="Mug", slug="mug", variants=[{"sku": "M", "price_minor": 1200, "currency": "EUR", "stock": 9}])
    old = product_factory(title="Old", slug="old", status="archived")
    with client.session_transaction() as session:
        session["cart"] = {str(mug.variants[0].id): 1}

    assert _receive(app, client, [(old.variants[0].id, 1), (999999, 1)], channel_type="instagram") is None
    with client.session_transaction() as session:
        assert session["cart"] == {str(mug.variants[0].id): 1} and arrivals.ORIGIN_KEY not in session

    arrival = _receive(app, client, [(mug.variants[0].id, 50), (old.variants[0].id, 1)], channel_type="instagram")
    with client.session_transaction() as session:
        assert session["cart"] == {str(mug.variants[0].id): 20}  # the checkout's per-line maximum
        assert arrivals.current(session) == arrival
        # Attribution lapses with the buy-link window.
        assert arrivals.current(session, now=arrival.at + 31 * 86400) is None

    # A plugin that names no real channel type is told so, rather than making a link nobody can filter by.
    with pytest.raises(ValueError):
        _receive(app, client, [(mug.variants[0].id, 1)], channel_type="Instagram shop!")
