"""The fake Graph API is only worth something if it refuses what Meta refuses: each rule is checked here."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from shopbridge_meta.fake import FakeGraph
from shopbridge_meta.graph import appsecret_proof


@pytest.fixture
def strict():
    fake = FakeGraph().start()
    yield fake
    fake.stop()


def send(fake: FakeGraph, method: str, path: str, *, form=None, body=None, token=None) -> httpx.Response:
    token = token or fake.access_token
    return httpx.request(method, f"{fake.url}/v25.0{path}", data=form, json=body,
                         params={"appsecret_proof": appsecret_proof(token, fake.app_secret)},
                         headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("path, form, complaint", [
    ("/{page}/photos", {"url": "https://x/a.jpg", "link": "https://x"}, "Param link is not a valid parameter"),
    ("/{page}/photos", {"url": "https://x/a.jpg", "published": "yes"}, "Param published must be a boolean"),
    ("/{ig}/media", {"image_url": "https://x/a.jpg", "caption": "x" * 2201}, "longer than 2200"),
    ("/{ig}/media", {"image_url": "https://x/a.jpg", "caption": " ".join(f"#t{n}" for n in range(31))},
     "more than 30 hashtags"),
    ("/{ig}/media", {"image_url": "https://x/a.jpg", "product_tags": '{"product_id": "1"}'},
     "must be a JSON array"),
    ("/{ig}/media_publish", {}, "The parameter creation_id is required"),
    ("/{ig}/media_publish", {"creation_id": "abc"}, "must be a non-negative integer"),
    ("/{catalog}/items_batch", {"item_type": "PRODUCT_ITEM"}, "The parameter requests is required"),
    ("/{catalog}/items_batch", {"item_type": "PRODUCT", "requests": "[]"}, "item_type must be one of"),
    ("/{catalog}/items_batch", {"item_type": "PRODUCT_ITEM", "requests": json.dumps(
        [{"method": "UPSERT", "data": {"id": "a"}}])}, "needs method"),
    ("/{catalog}/items_batch", {"item_type": "PRODUCT_ITEM", "requests": json.dumps(
        [{"method": "UPDATE", "data": {"id": "a", "availability": "available"}}])}, "availability must be one of"),
    ("/{catalog}/items_batch", {"item_type": "PRODUCT_ITEM", "requests": json.dumps(
        [{"method": "UPDATE", "data": {"id": "a", "name": "Mug"}}])}, "unknown fields ['name']"),
])
def test_requests_meta_would_refuse_are_refused_and_recorded(strict, path, form, complaint):
    path = path.format(page=strict.page_id, ig=strict.ig_user_id, catalog=strict.catalog_id)
    response = send(strict, "POST", path, form=form)
    assert response.status_code == 400 and response.json()["error"]["type"] == "OAuthException"
    assert complaint in strict.violations[0]


def test_publishing_a_container_before_it_is_finished_is_refused(strict):
    container = send(strict, "POST", f"/{strict.ig_user_id}/media", form={"image_url": "https://x/a.jpg"}).json()
    answer = send(strict, "POST", f"/{strict.ig_user_id}/media_publish", form={"creation_id": container["id"]})
    assert answer.json()["error"]["code"] == 9007
    assert "Media ID is not available" in strict.violations[0]


DROP = object()


@pytest.mark.parametrize("event, complaint", [
    ({"event_name": "Purchase", "event_time": DROP, "action_source": "website", "user_data": {}},
     "event_time is required"),
    ({"event_name": "Purchase", "event_time": 0, "action_source": "shop", "user_data": {}},
     "action_source must be one of"),
    ({"event_name": "Purchase", "event_time": "now", "action_source": "system_generated", "user_data": {},
      "custom_data": {"value": 1, "currency": "EUR"}}, "within the last 7 days"),
    ({"event_name": "Purchase", "action_source": "website", "user_data": {"em": ["jane@example.com"]},
      "event_source_url": "https://x"}, "website events need"),
    ({"event_name": "Purchase", "action_source": "system_generated", "user_data": {"em": ["jane@example.com"]}},
     "must be SHA-256 hashed"),
    ({"event_name": "Purchase", "action_source": "system_generated", "user_data": {},
      "custom_data": {"value": "45", "currency": "EUR"}}, "need custom_data.value"),
])
def test_conversion_events_meta_would_refuse_are_refused(strict, event, complaint):
    event = {k: v for k, v in {"event_time": int(time.time()), **event}.items() if v is not DROP}
    send(strict, "POST", f"/{strict.pixel_id}/events", body={"data": [event]}, token=strict.capi_token)
    assert complaint in strict.violations[0]


def test_missing_proof_wrong_token_and_unknown_edges_are_refused(strict):
    no_proof = httpx.post(f"{strict.url}/v25.0/{strict.page_id}/photos", data={"url": "https://x/a.jpg"},
                          headers={"Authorization": f"Bearer {strict.access_token}"})
    assert no_proof.json()["error"]["message"] == "Invalid appsecret_proof provided in the API argument"
    assert send(strict, "POST", f"/{strict.page_id}/photos", form={"url": "x"}, token="EAAwrong").status_code == 400
    assert send(strict, "POST", f"/{strict.page_id}/reels", form={}).status_code == 400
    assert len(strict.violations) == 3
