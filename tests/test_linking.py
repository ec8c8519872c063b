"""The one adapter between posts and buy links: a clear error without the links feature, its API with it."""

from __future__ import annotations

import sys
import types

import pytest

from shopbridge.posts import linking


def test_without_the_links_feature_the_adapter_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "shopbridge.links", None)  # "not installed"
    with pytest.raises(linking.LinkingUnavailable, match="Buy links are not available"):
        linking.tracked_link(None, post=None, channel=types.SimpleNamespace(type="x", name="X"), product=None)


def test_each_post_gets_its_own_working_link_per_channel(app, client, db_session, product_factory):
    from urllib.parse import parse_qs, urlsplit

    from sqlmodel import select

    from shopbridge.links.models import BuyLink

    product = product_factory(title="Linen shirt", slug="linen-shirt")
    pinterest = types.SimpleNamespace(type="pinterest", name="Pinterest main")
    telegram = types.SimpleNamespace(type="telegram", name="Telegram channel")
    post = types.SimpleNamespace(id=7)
    with app.test_request_context("/"):
        on_pinterest = linking.tracked_link(db_session, post=post, channel=pinterest, product=product)
        on_telegram = linking.tracked_link(db_session, post=post, channel=telegram, product=product)
        in_a_reply = linking.tracked_link(db_session, post=None, channel=telegram, product=product)
    db_session.commit()
    assert len({on_pinterest, on_telegram, in_a_reply}) == 3
    assert urlsplit(on_pinterest).path.startswith("/b/")

    # A shopper taps the pin: they land on the product, attributed to the post on Pinterest.
    landed = client.get(urlsplit(on_pinterest).path)
    assert landed.status_code in (301, 302, 303, 307)
    target = urlsplit(landed.headers["Location"])
    assert target.path == "/p/linen-shirt"
    query = parse_qs(target.query)
    assert query["utm_source"] == ["pinterest"] and query["utm_campaign"] == ["post-7"]
    links = db_session.exec(select(BuyLink).order_by(BuyLink.id)).all()
    assert [(link.channel, link.post_id) for link in links][-3:] == [("pinterest", 7), ("telegram", 7),
                                                                     ("telegram", None)]
