"""Products reach the Meta catalogue with Meta's complaints in plain words; paid orders reach the pixel once."""

from __future__ import annotations

import hashlib
import time

from shopbridge.money import Money
from shopbridge_meta import catalogue, conversions


def test_a_batch_upserts_items_in_metas_product_data_shape(graph, make_channel, catalogue_item):
    items = [catalogue_item(11), catalogue_item(12, sale_price=Money(1200, "EUR"), gtin="4006381333931")]

    result = catalogue.shopbridge_sync_catalogue(channel=make_channel(), items=items)

    assert result.accepted == ("sb-v11", "sb-v12") and result.errors == ()
    assert graph.catalogue["sb-v11"] == {
        "id": "sb-v11", "title": "Red mug", "description": "A red mug.", "availability": "in stock",
        "condition": "new", "price": "15.00 EUR", "link": "https://shop.example/p/red-mug", "brand": "Acme",
        "item_group_id": "sb-p7", "quantity_to_sell_on_facebook": 5,
        "image_link": "https://shop.example/media/mug.jpg", "color": "Red"}
    assert graph.catalogue["sb-v12"]["sale_price"] == "12.00 EUR"
    sent = graph.requests_to("POST", f"/{graph.catalog_id}/items_batch")[0].params
    assert (sent["item_type"], sent["allow_upsert"]) == ("PRODUCT_ITEM", "true")


def test_per_item_errors_come_back_in_plain_words(graph, make_channel, catalogue_item):
    graph.reject_item("sb-v12", "The image_link could not be downloaded (HTTP 404)")
    items = [catalogue_item(11), catalogue_item(12), catalogue_item(13, image_link=None)]

    result = catalogue.shopbridge_sync_catalogue(channel=make_channel("instagram"), items=items)

    assert result.accepted == ("sb-v11",)
    messages = {e.item_id: (e.field, e.message) for e in result.errors}
    assert messages["sb-v12"] == ("image_link", "Meta did not accept this item (the main image): The image_link "
                                                "could not be downloaded (HTTP 404).")
    assert messages["sb-v13"][0] == "image_link" and "Required fields are missing: image_link" in messages["sb-v13"][1]
    assert set(graph.catalogue) == {"sb-v11"}


def test_deleted_variants_are_deleted_from_the_catalogue(graph, make_channel, catalogue_item):
    channel = make_channel()
    catalogue.shopbridge_sync_catalogue(channel=channel, items=[catalogue_item(11), catalogue_item(12)])
    result = catalogue.shopbridge_sync_catalogue(channel=channel, items=[catalogue_item(12, deleted=True)])
    assert result.accepted == ("sb-v12",) and set(graph.catalogue) == {"sb-v11"}


def test_a_purchase_event_uses_the_order_id_so_the_browser_pixel_dedupes(graph, make_channel):
    channel = make_channel(pixel_id=graph.pixel_id, capi_token=graph.capi_token)
    order = {"id": 1042, "status": "paid", "total": Money(4500, "EUR"), "email": "  Jane.Doe@Example.com ",
             "lines": [{"variant_id": 11, "quantity": 2}, {"variant_id": 12, "quantity": 1}],
             "link_code": "fb42", "channel": None, "channels": [channel, make_channel("instagram",
                                                                                  pixel_id=graph.pixel_id,
                                                                                  capi_token=graph.capi_token)],
             "client_user_agent": "Mozilla/5.0 (iPhone)", "event_source_url": "https://shop.example/checkout"}

    conversions.shopbridge_order_event(order=order, event="paid")
    conversions.shopbridge_order_event(order=order, event="refunded")  # only "paid" is a Purchase

    assert len(graph.events) == 1  # one pixel: told once, although two channels share it
    event = graph.events[0]
    assert abs(event.pop("event_time") - time.time()) < 60
    assert event == {
        "event_name": "Purchase", "event_id": "1042", "action_source": "website",
        "event_source_url": "https://shop.example/checkout",
        "user_data": {"em": [hashlib.sha256(b"jane.doe@example.com").hexdigest()],
                      "client_user_agent": "Mozilla/5.0 (iPhone)"},
        "custom_data": {"currency": "EUR", "value": 45.0, "order_id": "1042", "content_type": "product",
                        "contents": [{"id": "sb-v11", "quantity": 2}, {"id": "sb-v12", "quantity": 1}]},
    }
    request = graph.requests_to("POST", f"/{graph.pixel_id}/events")[0]
    assert request.headers["Authorization"] == f"Bearer {graph.capi_token}"
    assert "jane" not in str(request.json).lower()


def test_an_order_without_a_browser_is_not_reported_as_a_website_event(graph, make_channel):
    channel = make_channel(pixel_id=graph.pixel_id, capi_token=graph.capi_token)
    conversions.send_purchase(channel, {"id": 7, "total": Money(990, "EUR"), "email": "a@b.example", "lines": []})
    assert graph.events[0]["action_source"] == "system_generated"


def test_channels_without_a_pixel_send_nothing(graph, make_channel):
    order = {"id": 1, "total": Money(100, "EUR"), "channels": [make_channel()]}
    conversions.shopbridge_order_event(order=order, event="paid")
    assert graph.received == []
