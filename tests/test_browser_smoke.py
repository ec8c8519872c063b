import pytest


@pytest.mark.browser
def test_a_phone_opens_the_storefront(live_server, phone, product_factory):
    product_factory(title="Linen shirt", slug="linen-shirt")
    phone.goto(live_server.url + "/p/linen-shirt")
    assert phone.locator("h1").inner_text() == "Linen shirt"
