"""Fixtures for the WhatsApp plugin's tests: the fake Cloud API on 127.0.0.1 (any request that breaks Meta's
reference, or a free-form message outside the 24-hour window, fails the test), a channel pointing at it, the
shop, and an inbox that delivers signed webhooks the way shopbridge does."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# --import-mode=importlib keeps test folders off sys.path; the fake and the kit are modules of their own.
sys.path.insert(0, str(Path(__file__).parent))
from fake_cloud_api import FakeCloudAPI  # noqa: E402
from whatsapp_testkit import PHONE_NUMBER_ID, TOKEN, FakeShop, make_channel, signed  # noqa: E402


@pytest.fixture
def whatsapp_api():
    with FakeCloudAPI(token=TOKEN, phone_number_id=PHONE_NUMBER_ID) as fake:
        yield fake
        assert fake.violations == [], "requests broke the Cloud API reference:\n" + "\n".join(fake.violations)


@pytest.fixture
def hooks():
    """shopbridge's plugin manager (the plugin is loaded through its entry point)."""
    from shopbridge.plugins import get_plugin_manager

    return get_plugin_manager(allow=["whatsapp"]).hook


@pytest.fixture
def channel(whatsapp_api):
    return make_channel(whatsapp_api.base_url)


@pytest.fixture
def shop() -> FakeShop:
    shop = FakeShop()
    shop.add(1, "red-mug", "Red mug", 1500, [("di9ozbzfi4", "Default", 1500, 5)])
    shop.add(2, "bowl", "Serving bowl", 2500, [("nqryix03ez", "Small", 2500, 1), ("nqryix03fz", "Large", 3900, 4)])
    return shop


class Inbox:
    """Delivers a webhook like shopbridge: verify and parse, store by external id, react to new events once."""

    def __init__(self, hooks, channel, shop, fake):
        self.hooks, self.channel, self.shop, self.fake = hooks, channel, shop, fake
        self.events: dict[str, object] = {}

    def deliver(self, payload) -> list:
        events = self.hooks.shopbridge_parse_webhook(channel=self.channel, request=signed(payload))
        fresh = [e for e in events if e.external_id not in self.events]
        for event in fresh:
            self.events[event.external_id] = event
            if event.kind != "status":
                self.fake.customer_wrote(event.author_id, event.occurred_at)
            self.hooks.shopbridge_inbound_event(channel=self.channel, event=event, shop=self.shop)
        return fresh


@pytest.fixture
def inbox(hooks, channel, shop, whatsapp_api) -> Inbox:
    return Inbox(hooks, channel, shop, whatsapp_api)
