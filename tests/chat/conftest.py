"""Chat commerce through the real shop: the Telegram, WhatsApp and Messenger plugins' own fake platform servers
(which fail a test on any request that breaks the platform's reference), channels saved in the database, and
webhooks posted to the shop's real endpoint."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The plugins' fakes and test kits are reused, not copied: make their test folders importable (the module names
# are unique per plugin).
PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
for name in ("telegram", "whatsapp", "messenger"):
    folder = str(PLUGINS / f"shopbridge-{name}" / "tests")
    if folder not in sys.path:
        sys.path.insert(0, folder)

from fake_bot_api import FakeBotAPI  # noqa: E402
from fake_cloud_api import FakeCloudAPI  # noqa: E402
from fake_send_api import FakeSendAPI  # noqa: E402


@pytest.fixture
def app_config(tmp_path):
    return {"PLUGINS_ALLOW": ["telegram", "whatsapp", "messenger"], "SHOP_NAME": "Acme"}


@pytest.fixture
def telegram_api():
    import telegram_testkit

    with FakeBotAPI(telegram_testkit.TOKEN) as fake:
        yield fake
        assert fake.violations == [], "requests broke the Bot API reference:\n" + "\n".join(fake.violations)


@pytest.fixture
def whatsapp_api():
    import whatsapp_testkit

    with FakeCloudAPI(token=whatsapp_testkit.TOKEN, phone_number_id=whatsapp_testkit.PHONE_NUMBER_ID) as fake:
        yield fake
        assert fake.violations == [], "requests broke the Cloud API reference:\n" + "\n".join(fake.violations)


@pytest.fixture
def messenger_api():
    import messenger_testkit

    with FakeSendAPI(token=messenger_testkit.TOKEN, page_id=messenger_testkit.PAGE_ID) as fake:
        yield fake
        assert fake.violations == [], "requests broke the Send API reference:\n" + "\n".join(fake.violations)


@pytest.fixture
def mugs(product_factory):
    """The shop's catalogue: a red mug (3 left) and a bowl in two sizes, in two categories."""
    red = product_factory(title="Red mug", slug="red-mug", category="Mugs", description="Glazed by hand.",
                          variants=[{"sku": "MUG-RED", "price_minor": 1500, "currency": "EUR", "stock": 3}])
    bowl = product_factory(title="Serving bowl", slug="serving-bowl", category="Bowls",
                           variants=[{"sku": "BOWL-S", "price_minor": 2400, "currency": "EUR", "stock": 2,
                                      "options": {"size": "Small"}},
                                     {"sku": "BOWL-L", "price_minor": 3200, "currency": "EUR", "stock": 1,
                                      "options": {"size": "Large"}}])
    return {"red": red, "bowl": bowl}
