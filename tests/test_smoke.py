def test_a_shopper_sees_an_active_product(client, product_factory):
    product_factory(title="Linen shirt", slug="linen-shirt")
    page = client.get("/p/linen-shirt")
    assert page.status_code == 200
    assert "Linen shirt" in page.get_data(as_text=True)


def test_the_owner_signs_in_and_sees_the_dashboard(auth, client):
    response = auth.login("owner")
    assert response.status_code == 302
    assert "Dashboard" in client.get("/admin/").get_data(as_text=True)
