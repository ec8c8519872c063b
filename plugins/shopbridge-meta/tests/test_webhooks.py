"""Meta tells the shop about comments; the shop answers (comment-to-buy)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shopbridge.channels import EventKind, InboundEvent, InboundRequest, Reply, WebhookSignatureError
from shopbridge_meta import webhooks


def page_comment(page_id: str, *, author_id: str = "7001234567890123", message: str = "How much is the red mug?"):
    """A Page ``feed`` change for a new comment, shaped like Meta's Webhooks reference (Page > feed)."""
    return {"object": "page", "entry": [{"id": page_id, "time": 1767225800, "changes": [{"field": "feed", "value": {
        "from": {"id": author_id, "name": "Jane Doe"},
        "post": {"status_type": "added_photos", "is_published": True, "updated_time": "2026-01-01T00:03:20+0000",
                 "permalink_url": f"https://www.facebook.com/{page_id}/posts/pfbid0abc", "promotion_status": "inactive",
                 "id": f"{page_id}_987654321"},
        "message": message, "post_id": f"{page_id}_987654321", "comment_id": "987654321_1122334455",
        "created_time": 1767225800, "item": "comment", "parent_id": f"{page_id}_987654321", "verb": "add"}}]}]}


def instagram_comment(ig_user_id: str, *, author_id: str = "17841400000000999"):
    """An Instagram ``comments`` change, shaped like Meta's Instagram webhooks reference."""
    return {"object": "instagram", "entry": [{"id": ig_user_id, "time": 1767225900, "changes": [{
        "field": "comments", "value": {"from": {"id": author_id, "username": "jane.doe"},
                                       "media": {"id": "17900000000000001", "media_product_type": "FEED"},
                                       "id": "17865799348089039", "text": "Price?"}}]}]}


def challenge(**args) -> InboundRequest:
    return InboundRequest(method="GET", path="/webhooks/meta", headers={}, args=args, body=b"")


def test_the_subscription_check_echoes_the_challenge_when_the_verify_token_matches(make_channel):
    channel = make_channel()
    answer = webhooks.shopbridge_webhook_challenge(channel=channel, request=challenge(
        **{"hub.mode": "subscribe", "hub.verify_token": "verify-me-please", "hub.challenge": "1158201444"}))
    assert (answer.status, answer.body) == (200, "1158201444")

    wrong = webhooks.shopbridge_webhook_challenge(channel=channel, request=challenge(
        **{"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"}))
    assert wrong.status == 403 and "1158201444" not in wrong.body

    assert webhooks.shopbridge_webhook_challenge(channel=channel, request=challenge()) is None


def test_a_page_comment_becomes_a_comment_event(graph, make_channel, webhook):
    events = webhooks.shopbridge_parse_webhook(channel=make_channel(), request=webhook(page_comment(graph.page_id)))

    assert events == [InboundEvent(
        kind=EventKind.comment, external_id="987654321_1122334455", author_id="7001234567890123",
        author_name="Jane Doe", text="How much is the red mug?", post_remote_id=f"{graph.page_id}_987654321",
        occurred_at=datetime(2026, 1, 1, 0, 3, 20, tzinfo=UTC), payload=events[0].payload)]


def test_an_instagram_comment_becomes_a_comment_event(graph, make_channel, webhook):
    events = webhooks.shopbridge_parse_webhook(channel=make_channel("instagram"),
                                               request=webhook(instagram_comment(graph.ig_user_id)))
    assert [(e.kind, e.external_id, e.author_name, e.text, e.post_remote_id) for e in events] == [
        (EventKind.comment, "17865799348089039", "jane.doe", "Price?", "17900000000000001")]


def test_the_shops_own_replies_and_other_accounts_events_are_ignored(graph, make_channel, webhook):
    facebook, instagram = make_channel(), make_channel("instagram")
    assert webhooks.shopbridge_parse_webhook(
        channel=facebook, request=webhook(page_comment(graph.page_id, author_id=graph.page_id))) == []
    assert webhooks.shopbridge_parse_webhook(channel=facebook, request=webhook(page_comment("555"))) == []
    assert webhooks.shopbridge_parse_webhook(
        channel=instagram, request=webhook(instagram_comment(graph.ig_user_id, author_id=graph.ig_user_id))) == []
    # A Page event is not an Instagram channel's business, and the other way round.
    assert webhooks.shopbridge_parse_webhook(channel=instagram, request=webhook(page_comment(graph.page_id))) == []


@pytest.mark.parametrize("how", ["wrong secret", "unsigned", "tampered"])
def test_a_webhook_without_a_valid_signature_is_refused(graph, make_channel, webhook, how):
    if how == "wrong secret":
        request = webhook(page_comment(graph.page_id), secret="not-the-app-secret")
    elif how == "unsigned":
        request = webhook(page_comment(graph.page_id), signed=False)
    else:
        good = webhook(page_comment(graph.page_id))
        request = InboundRequest(method="POST", path=good.path, headers=good.headers, args={},
                                 body=good.body.replace(b"red mug", b"free mug"))
    with pytest.raises(WebhookSignatureError):
        webhooks.shopbridge_parse_webhook(channel=make_channel(), request=request)


def test_a_channel_without_the_app_secret_cannot_accept_webhooks(graph, make_channel, webhook):
    with pytest.raises(WebhookSignatureError, match="no app secret"):
        webhooks.shopbridge_parse_webhook(channel=make_channel(app_secret=""), request=webhook(page_comment("1")))


def test_replying_to_a_facebook_comment_with_the_buy_link(graph, make_channel, webhook):
    channel = make_channel()
    event = webhooks.shopbridge_parse_webhook(channel=channel, request=webhook(page_comment(graph.page_id)))[0]
    graph.add_comment(event.external_id, on="facebook")

    result = webhooks.shopbridge_reply(channel=channel, event=event,
                                       reply=Reply(text="It's €15 — buy it here:", link_url="https://shop.example/l/c1"))

    assert graph.replies == [{"id": result.remote_id, "on": "987654321_1122334455",
                              "message": "It's €15 — buy it here: https://shop.example/l/c1"}]
    assert graph.requests_to("POST", "/987654321_1122334455/comments")


def test_replying_to_an_instagram_comment(graph, make_channel, webhook):
    channel = make_channel("instagram")
    event = webhooks.shopbridge_parse_webhook(channel=channel,
                                              request=webhook(instagram_comment(graph.ig_user_id)))[0]
    graph.add_comment(event.external_id, on="instagram")

    webhooks.shopbridge_reply(channel=channel, event=event, reply=Reply(text="€15! Link in our bio."))

    assert graph.replies[0]["message"] == "€15! Link in our bio."
    assert graph.requests_to("POST", "/17865799348089039/replies")
