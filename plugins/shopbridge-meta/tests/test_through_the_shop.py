"""The whole way through the shop: Meta verifies the webhook, a shopper comments "price?", the shop answers.

Runs once the plugin framework (webhook route, keyword rules, ``channel_factory``) is part of shopbridge; until
then it is skipped.
"""

from __future__ import annotations

import pytest

pytest.importorskip("shopbridge.channels.inbound", reason="needs the plugin framework (feat/channels)")


@pytest.fixture
def tracked_links(monkeypatch):
    from shopbridge.posts import linking

    made = []

    def tracked_link(session, *, post, channel, product, user=None):
        made.append(product.slug)
        return f"https://shop.example/l/ig{len(made)}"

    monkeypatch.setattr(linking, "tracked_link", tracked_link)
    return made


def instagram_comment(ig_user_id: str, text: str = "price?"):
    return {"object": "instagram", "entry": [{"id": ig_user_id, "time": 1767225900, "changes": [{
        "field": "comments", "value": {"from": {"id": "17841400000000999", "username": "jane.doe"},
                                       "media": {"id": "17900000000000001", "media_product_type": "FEED"},
                                       "id": "17865799348089039", "text": text}}]}]}


def test_comment_to_buy_on_instagram(app, client, db_session, graph, product_factory, channel_factory,
                                     signed_webhook, tracked_links):
    from shopbridge.channels.inbound import add_rule

    mug = product_factory(title="Red mug", slug="red-mug")
    made = channel_factory("instagram", {
        "ig_user_id": graph.ig_user_id, "access_token": graph.access_token, "app_secret": graph.app_secret,
        "verify_token": "verify-me-please", "graph_url": graph.url, "graph_version": "v25.0"},
        dry_run=False, name="Instagram")
    url = made.context.webhook_url.replace("http://localhost:5000", "").replace("http://localhost", "")
    with app.app_context():
        add_rule(db_session, keyword="price", reply_text="It's here: {link}", product_id=mug.id,
                 channel_id=made.channel.id)
        db_session.commit()
    graph.add_comment("17865799348089039", on="instagram")

    # Meta checks the subscription first.
    check = client.get(url, query_string={"hub.mode": "subscribe", "hub.verify_token": "verify-me-please",
                                          "hub.challenge": "1158201444"})
    assert (check.status_code, check.get_data(as_text=True)) == (200, "1158201444")

    body, headers = signed_webhook.meta(instagram_comment(graph.ig_user_id), graph.app_secret)
    answer = client.post(url, data=body, headers=headers)
    assert answer.status_code == 200 and answer.get_json() == {"received": 1, "new": 1}
    assert graph.replies == [{"id": graph.replies[0]["id"], "on": "17865799348089039",
                              "message": "It's here: https://shop.example/l/ig1"}]

    # The same delivery again changes nothing; a forged one is refused.
    assert client.post(url, data=body, headers=headers).get_json() == {"received": 1, "new": 0}
    forged_body, forged_headers = signed_webhook.meta(instagram_comment(graph.ig_user_id, "free?"), "guess")
    assert client.post(url, data=forged_body, headers=forged_headers).status_code == 403
    assert len(graph.replies) == 1
