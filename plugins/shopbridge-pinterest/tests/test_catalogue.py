"""The shop's products reach Pinterest catalogs in batches, and Pinterest's complaints come back in plain words."""

from __future__ import annotations

from shopbridge.money import Money
from shopbridge_pinterest import plugin


def test_a_batch_upserts_items_with_the_required_attributes(pinterest, make_channel, catalogue_item):
    items = [catalogue_item(11), catalogue_item(12, sale_price=Money(3900, "EUR"), options={"colour": "Blue"})]

    result = plugin.shopbridge_sync_catalogue(channel=make_channel(), items=items)

    assert result.accepted == ("sb-v11", "sb-v12") and result.errors == ()
    sent = pinterest.requests_to("POST", "/v5/catalogs/items/batch")[0].body
    assert (sent["operation"], sent["country"], sent["language"]) == ("UPSERT", "IT", "it")
    assert pinterest.catalogue["sb-v11"] == {
        "title": "Linen shirt (M)", "description": "A shirt for hot days.",
        "link": "https://shop.example/p/linen-shirt?v=11", "price": "49.00 EUR", "availability": "in stock",
        "condition": "new", "item_group_id": "sb-p7", "image_link": ["https://shop.example/media/shirt.jpg"],
        "brand": "Acme", "variant_names": ["size"], "variant_values": ["M"], "size": "M",
    }
    assert pinterest.catalogue["sb-v12"]["sale_price"] == "39.00 EUR"
    assert pinterest.catalogue["sb-v12"]["color"] == "Blue"


def test_per_item_errors_are_reported_in_words_a_shop_owner_understands(pinterest, make_channel, catalogue_item):
    pinterest.reject_item("sb-v12", "image_link", "Image could not be downloaded", code=2103)
    items = [catalogue_item(11), catalogue_item(12), catalogue_item(13, image_link=None)]

    result = plugin.shopbridge_sync_catalogue(channel=make_channel(), items=items)

    assert result.accepted == ("sb-v11",)
    errors = {(e.item_id, e.field): e for e in result.errors}
    assert errors[("sb-v12", "image_link")].message == (
        "Pinterest did not accept the main image: Image could not be downloaded.")
    assert errors[("sb-v12", "image_link")].code == "2103"
    assert errors[("sb-v13", "image_link")].message == "Pinterest did not accept the main image: Required field is missing."
    assert set(pinterest.catalogue) == {"sb-v11"}


def test_deleted_variants_are_removed_in_a_delete_batch(pinterest, make_channel, catalogue_item):
    channel = make_channel()
    plugin.shopbridge_sync_catalogue(channel=channel, items=[catalogue_item(11), catalogue_item(12)])

    result = plugin.shopbridge_sync_catalogue(channel=channel, items=[catalogue_item(12, deleted=True)])

    assert result.accepted == ("sb-v12",)
    delete = pinterest.requests_to("POST", "/v5/catalogs/items/batch")[-1].body
    assert delete["operation"] == "DELETE" and delete["items"] == [{"item_id": "sb-v12"}]
    assert set(pinterest.catalogue) == {"sb-v11"}


def test_a_batch_still_processing_hands_back_its_id_for_a_later_check(pinterest, make_channel, catalogue_item):
    pinterest.batch_processing_polls = 10
    result = plugin.shopbridge_sync_catalogue(channel=make_channel(), items=[catalogue_item(11)])

    assert result.remote_batch_id and result.errors == ()
    assert len(pinterest.requests_to("GET", f"/v5/catalogs/items/batch/{result.remote_batch_id}")) == plugin.BATCH_POLLS
    pinterest.batch_processing_polls = 0


def test_large_changes_are_split_into_batches_of_at_most_1000(pinterest, make_channel, catalogue_item):
    items = [catalogue_item(n) for n in range(1, 1202)]
    result = plugin.shopbridge_sync_catalogue(channel=make_channel(), items=items)

    sizes = [len(r.body["items"]) for r in pinterest.requests_to("POST", "/v5/catalogs/items/batch")]
    assert sizes == [1000, 201]
    assert len(result.accepted) == 1201


def test_the_shops_feed_is_registered_with_pinterest_catalogs(pinterest, make_channel):
    from shopbridge_pinterest import register_feed

    channel = make_channel(feed_url="https://shop.example/feeds/pinterest.csv?token=feedtoken123")
    feed_id = register_feed(channel, currency="EUR")

    feed = pinterest.feeds[0]
    assert feed["id"] == feed_id
    assert feed["location"] == "https://shop.example/feeds/pinterest.csv?token=feedtoken123"
    assert (feed["format"], feed["default_country"], feed["default_locale"], feed["default_currency"]) == (
        "CSV", "IT", "it", "EUR")
