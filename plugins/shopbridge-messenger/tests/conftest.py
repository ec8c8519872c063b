"""Fixtures for the Messenger plugin's tests: the fake Send API on 127.0.0.1 (any request that breaks Meta's
reference fails the test), a channel pointing at it, and a small shop."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# --import-mode=importlib keeps test folders off sys.path; the fake and the kit are modules of their own.
sys.path.insert(0, str(Path(__file__).parent))
from fake_send_api import FakeSendAPI  # noqa: E402
from messenger_testkit import PAGE_ID, TOKEN, FakeShop, make_channel  # noqa: E402


@pytest.fixture
def messenger_api():
    with FakeSendAPI(token=TOKEN, page_id=PAGE_ID) as fake:
        yield fake
        assert fake.violations == [], "requests broke the Send API reference:\n" + "\n".join(fake.violations)


@pytest.fixture
def hooks():
    from shopbridge.plugins import get_plugin_manager

    return get_plugin_manager(allow=["messenger"]).hook


@pytest.fixture
def channel(messenger_api):
    return make_channel(messenger_api.base_url)


@pytest.fixture
def shop() -> FakeShop:
    return FakeShop()
