"""The fake is only worth something if it refuses what Pinterest refuses: each rule is checked here."""

from __future__ import annotations

import httpx
import pytest

from shopbridge_pinterest.fake import FakePinterest


@pytest.fixture
def strict():
    fake = FakePinterest().start()
    yield fake
    fake.stop()


def send(fake: FakePinterest, method: str, path: str, body) -> httpx.Response:
    return httpx.request(method, fake.url + path, json=body, headers={"Authorization": f"Bearer {fake.access_token}"})


GOOD_PIN = {"board_id": "549755885175", "title": "Shirt", "link": "https://shop.example/l/1",
            "media_source": {"source_type": "image_url", "url": "https://shop.example/a.jpg"}}


@pytest.mark.parametrize("change, complaint", [
    ({"title": "x" * 101}, "body.title is longer than 100 characters"),
    ({"description": "x" * 801}, "body.description is longer than 800 characters"),
    ({"alt_text": "x" * 501}, "body.alt_text is longer than 500 characters"),
    ({"board_id": "my-board"}, "body.board_id does not match"),
    ({"board_id": None}, "body.board_id may not be null"),
    ({"media_source": {"source_type": "image_url"}}, "body.media_source.url is required"),
    ({"media_source": {"source_type": "picture", "url": "x"}}, "body.media_source.source_type must be one of"),
    ({"image_url": "https://shop.example/a.jpg"}, "body.image_url is not a known field"),
])
def test_pins_pinterest_would_refuse_are_refused_and_recorded(strict, change, complaint):
    response = send(strict, "POST", "/pins", {**GOOD_PIN, **change})
    assert response.status_code == 400 and response.json()["code"] == 1
    assert complaint in strict.violations[0]


def test_a_pin_without_board_or_media_is_refused(strict):
    assert send(strict, "POST", "/pins", {"title": "Shirt"}).status_code == 400
    assert strict.violations == ["body.board_id is required; body.media_source is required"]


@pytest.mark.parametrize("body, complaint", [
    ({"country": "IT", "language": "it", "operation": "UPSERT", "items": []}, "needs at least 1 items"),
    ({"country": "Italy", "language": "it", "operation": "UPSERT",
      "items": [{"item_id": "a", "attributes": {}}]}, "body.country does not match"),
    ({"country": "IT", "language": "italian", "operation": "UPSERT",
      "items": [{"item_id": "a", "attributes": {}}]}, "body.language must be one of"),
    ({"country": "IT", "language": "it", "operation": "MERGE", "items": [{"item_id": "a"}]},
     "body.operation must be one of"),
    ({"country": "IT", "language": "it", "operation": "UPSERT",
      "items": [{"item_id": "a", "attributes": {"price": 49}}]}, "body.items[0].attributes.price must be of type string"),
    ({"language": "it", "operation": "DELETE", "items": [{"item_id": "a"}]}, "body.country is required"),
])
def test_catalogue_batches_pinterest_would_refuse_are_refused(strict, body, complaint):
    assert send(strict, "POST", "/catalogs/items/batch", body).status_code == 400
    assert complaint in strict.violations[0]


def test_a_batch_over_1000_items_is_refused(strict):
    items = [{"item_id": str(n)} for n in range(1001)]
    send(strict, "POST", "/catalogs/items/batch", {"country": "IT", "language": "it", "operation": "DELETE",
                                                   "items": items})
    assert "has more than 1000 items" in strict.violations[0]


def test_unknown_operations_and_missing_tokens_are_refused(strict):
    assert send(strict, "POST", "/pins/123/comments", {}).status_code == 404
    assert httpx.post(strict.url + "/pins", json=GOOD_PIN).status_code == 401
    assert len(strict.violations) == 2
