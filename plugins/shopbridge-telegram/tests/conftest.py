"""Fixtures for the Telegram plugin's tests: the fake Bot API on 127.0.0.1 (fails the test on any request that
breaks the Bot API reference), a channel pointing at it, the shop, and a bot that delivers updates."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# pytest runs with --import-mode=importlib, which does not put test folders on sys.path; the fake server and the
# kit are modules of their own so they stay readable, so make this folder importable (names unique per plugin).
sys.path.insert(0, str(Path(__file__).parent))
from fake_bot_api import FakeBotAPI  # noqa: E402
from telegram_testkit import TOKEN, Bot, FakeShop, Updates, make_channel  # noqa: E402


@pytest.fixture
def telegram_api():
    """The fake Bot API; any request that breaks the Bot API reference fails the test at teardown."""
    with FakeBotAPI(TOKEN) as fake:
        yield fake
        assert fake.violations == [], "requests broke the Bot API reference:\n" + "\n".join(fake.violations)


@pytest.fixture
def plugin_manager():
    """shopbridge's plugin manager, loading the plugin through its ``shopbridge.plugins`` entry point."""
    from shopbridge.plugins import get_plugin_manager

    return get_plugin_manager(allow=["telegram"])


@pytest.fixture
def hooks(plugin_manager):
    return plugin_manager.hook


@pytest.fixture
def channel(telegram_api):
    return make_channel(telegram_api.base_url)


@pytest.fixture
def shop() -> FakeShop:
    shop = FakeShop()
    shop.add(1, "red-mug", "Red mug", 1500, stock=3)
    shop.add(2, "blue-bowl", "Blue bowl <large> & deep", 2400, category="bowls",
             variants=[("Small", 2400, 2), ("Large", 3200, 1), ("Huge", 4000, 0)])
    return shop


@pytest.fixture
def updates() -> Updates:
    return Updates()


@pytest.fixture
def bot(hooks, channel, shop) -> Bot:
    return Bot(hooks, channel, shop)

