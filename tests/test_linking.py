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


def test_the_adapter_creates_one_link_per_post_and_channel(app, monkeypatch):
    created = []

    def create_link(session, **kwargs):
        created.append(kwargs)
        return types.SimpleNamespace(code="abc123", url="https://shop.test/l/abc123")

    fake = types.ModuleType("shopbridge.links")
    fake.service = types.SimpleNamespace(create_link=create_link)
    monkeypatch.setitem(sys.modules, "shopbridge.links", fake)
    channel = types.SimpleNamespace(type="pinterest", name="Pinterest main")
    post = types.SimpleNamespace(id=7)
    with app.app_context():
        url = linking.tracked_link(None, post=post, channel=channel, product="P", user=None)
        linking.tracked_link(None, post=None, channel=channel, product="P", user=None)
    assert url == "https://shop.test/l/abc123"
    assert created[0] == {"product": "P", "variant": None, "destination": "product", "channel": "pinterest",
                          "campaign": "post-7", "placement": "Pinterest main", "expires_at": None, "post_id": 7,
                          "user": None}
    assert created[1]["post_id"] is None and created[1]["campaign"] == "replies"
