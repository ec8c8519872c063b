"""Creating checkouts is rate-limited per client: a script cannot reserve the whole stock."""

from __future__ import annotations

import pytest

from shopbridge.testing import csrf_token_from


@pytest.fixture
def app_config(app_config):
    return {**app_config, "RATELIMIT_ENABLED": True, "CHECKOUT_RATE_LIMIT": "2 per minute"}


def test_checkout_creation_is_rate_limited(app, client, product_factory):
    from shopbridge.extensions import limiter

    limiter.reset()
    product = product_factory(title="Mug", slug="mug",
                              variants=[{"sku": "MUG-1", "price_minor": 1200, "currency": "EUR", "stock": 50}])
    token = csrf_token_from(client.get("/p/mug").get_data(as_text=True))
    codes = [client.post("/checkout/buy", data={"csrf_token": token, "variant_id": product.variants[0].id,
                                                "quantity": 1, "nonce": f"n{i}"}).status_code for i in range(3)]
    assert codes == [303, 303, 429]
    assert client.get("/p/mug").status_code == 200  # browsing is not limited
