"""The owner picks the payment provider and shipping rates; Stripe keys are stored encrypted and never shown;
a shop with a Stripe key never silently takes "payments" through the sandbox."""

from __future__ import annotations

from sqlmodel import Session

from shopbridge.accounts.models import Setting
from shopbridge.checkout import pricing
from shopbridge.db import engine
from shopbridge.payments import active_identifier


def _active(app):
    with app.app_context(), Session(engine(app)) as s:
        return active_identifier(s)


def test_sandbox_by_default_and_stripe_once_a_key_is_configured(app):
    assert _active(app) == "sandbox"
    app.config["STRIPE_SECRET_KEY"] = "sk_live_from_env"
    assert _active(app) == "stripe"


def test_owner_saves_payment_settings_secrets_encrypted(app, client, auth):
    auth.login("owner")
    token = auth.csrf("/admin/orders/settings")
    response = client.post("/admin/orders/settings", data={
        "csrf_token": token, "provider": "stripe", "stripe_secret_key": "sk_test_owner_secret_123",
        "stripe_webhook_secret": "whsec_owner_456", "allow_promotion_codes": "y",
        "shipping_rates": "IT 4.50\nch 12,00\n"})
    assert response.status_code == 303
    assert _active(app) == "stripe"
    with app.app_context(), Session(engine(app)) as s:
        stored = s.get(Setting, "stripe.secret_key")
        assert stored.is_secret and "sk_test_owner_secret_123" not in str(stored.value)
        assert pricing.shipping_rates(s) == {"IT": 450, "CH": 1200}
    page = client.get("/admin/orders/settings").get_data(as_text=True)
    assert "sk_test_owner_secret_123" not in page and "whsec_owner_456" not in page
    # Saving again with the secret fields empty keeps the keys.
    client.post("/admin/orders/settings", data={"csrf_token": token, "provider": "sandbox",
                                                "shipping_rates": "IT 4.50"})
    with app.app_context(), Session(engine(app)) as s:
        from shopbridge import settings

        assert settings.get(s, "stripe.secret_key", app=app) == "sk_test_owner_secret_123"
    assert _active(app) == "sandbox"  # the owner's explicit choice wins over the stored key


def test_bad_shipping_rates_change_nothing(app, client, auth):
    auth.login("owner")
    token = auth.csrf("/admin/orders/settings")
    response = client.post("/admin/orders/settings", data={"csrf_token": token, "provider": "sandbox",
                                                           "shipping_rates": "Italy five"})
    assert response.status_code == 200 and "two-letter country code" in response.get_data(as_text=True)
    with app.app_context(), Session(engine(app)) as s:
        assert pricing.shipping_rates(s) == pricing.DEFAULT_SHIPPING_RATES


def test_only_the_owner_manages_payments(app, client, auth):
    auth.login("staff")
    assert client.get("/admin/orders/settings").status_code == 403
    assert client.get("/admin/orders/").status_code == 200


def test_confirmation_mail_is_readable_in_the_outbox(app, client, auth, product_factory):
    import re

    from shopbridge.testing import csrf_token_from

    product = product_factory(title="Tea", slug="tea",
                              variants=[{"sku": "TEA-1", "price_minor": 800, "currency": "EUR", "stock": 4}])
    html = client.get("/p/tea").get_data(as_text=True)
    pay_url = client.post("/checkout/buy", data={
        "csrf_token": csrf_token_from(html), "variant_id": product.variants[0].id, "quantity": 1,
        "nonce": re.search(r'name="nonce" value="([^"]+)"', html).group(1)}).headers["Location"]
    client.post(pay_url, data={"csrf_token": csrf_token_from(client.get(pay_url).get_data(as_text=True)),
                               "action": "pay", "email": "tea@example.com"})
    auth.login("owner")
    outbox = client.get("/admin/mail/").get_data(as_text=True)
    assert "tea@example.com" in outbox
    message_url = re.search(r'href="(/admin/mail/\d+)"', outbox).group(1)
    body = client.get(message_url).get_data(as_text=True)
    assert "1 × Tea" in body and "/order/" in body
