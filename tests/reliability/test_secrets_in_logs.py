"""Channel and payment secrets saved in the admin never reach the logs nor any page or export: the owner
connects a live and a dry-run channel and saves Stripe keys, posts go out (live, dry run, and against a failing
platform), and every secret value is looked for in the captured logs (DEBUG and up) and on every page that shows
what was sent."""

from __future__ import annotations

import logging

from sqlmodel import select

from shopbridge.channels.models import Channel
from shopbridge.posts import service
from shopbridge.posts.models import PostTarget, TargetStatus
from shopbridge.testing import csrf_token_from

LIVE_TOKEN = "good-token"  # the only token the fake platform accepts
SECRETS = {
    "live channel token": LIVE_TOKEN,
    "live channel app secret": "appsecret-7f3a9c2e41",
    "dry-run channel token": "dryrun-token-5b8d2c7a",
    "Stripe secret key": "sk_test_51SecretKeySavedInAdmin9x",
    "Stripe webhook secret": "whsec_SavedInAdmin0c4e8a",
}


def _connect(client, name: str, data: dict, dry_run: bool) -> None:
    page = client.get("/admin/channels/new/fakegram").get_data(as_text=True)
    form = {"csrf_token": csrf_token_from(page), "name": name, "s_account_id": "42", "s_style": "inline",
            "enabled": "y", **data}
    if dry_run:
        form["dry_run"] = "y"
    assert client.post("/admin/channels/new/fakegram", data=form).status_code == 302


def _publish(app, db_session, product, channels) -> list[PostTarget]:
    with app.app_context():
        post = service.create_post(db_session, service.PostInput(title="Linen", caption="{title}",
                                                                 product_ids=[product.id],
                                                                 channel_ids=[c.id for c in channels]))
        service.submit(db_session, post)  # the test queue runs the publish jobs at once
        db_session.commit()
    db_session.expire_all()
    return db_session.exec(select(PostTarget).where(PostTarget.post_id == post.id)).all()


def test_channel_and_payment_secrets_never_reach_logs_pages_or_exports(app, client, auth, db_session, fakegram,
                                                                         fake_links, product_factory, caplog):
    caplog.set_level(logging.DEBUG)
    auth.login("owner")
    _connect(client, "Live", {"s_access_token": LIVE_TOKEN, "s_app_secret": SECRETS["live channel app secret"]},
             dry_run=False)
    _connect(client, "Rehearsal", {"s_access_token": SECRETS["dry-run channel token"]}, dry_run=True)
    token = auth.csrf("/admin/orders/settings")
    assert client.post("/admin/orders/settings", data={
        "csrf_token": token, "provider": "sandbox", "stripe_secret_key": SECRETS["Stripe secret key"],
        "stripe_webhook_secret": SECRETS["Stripe webhook secret"], "shipping_rates": "IT 4.50"}).status_code == 303
    live, rehearsal = sorted(db_session.exec(select(Channel)).all(), key=lambda c: c.name)
    product = product_factory(title="Linen shirt", slug="linen-shirt")

    # Live and dry run.
    first = _publish(app, db_session, product, [live, rehearsal])
    assert {t.status for t in first} == {TargetStatus.published}
    assert len(fakegram.posts) == 1
    # A failing platform (a server error, then a refused token), and the owner's connection test.
    fakegram.fail_next(500, body={"error": {"message": "internal error"}})
    (failing,) = _publish(app, db_session, product, [live])
    assert failing.status == TargetStatus.retrying
    fakegram.fail_next(401, body={"error": {"message": "Invalid OAuth access token."}})
    (refused,) = _publish(app, db_session, product, [live])
    assert refused.status == TargetStatus.failed
    csrf = auth.csrf("/admin/channels/")
    for channel in (live, rehearsal):
        client.post(f"/admin/channels/{channel.id}/test", data={"csrf_token": csrf})
    assert all(r.headers["Authorization"] == f"Bearer {LIVE_TOKEN}" for r in fakegram.requests)  # really used

    pages = {path: client.get(path) for path in [
        "/admin/outbox/", "/admin/outbox/export.jsonl", "/admin/channels/", f"/admin/channels/{live.id}",
        f"/admin/channels/{rehearsal.id}", "/admin/orders/settings", "/admin/posts/",
        *(f"/admin/posts/{t.post_id}" for t in (first[0], failing, refused))]}
    assert {path: r.status_code for path, r in pages.items()} == dict.fromkeys(pages, 200)
    assert "Rehearsal" in pages["/admin/outbox/"].get_data(as_text=True)  # the dry run's request is shown
    logs = caplog.text
    # The logs were captured: the platform calls, the failing ones included, are in them.
    assert "POST https://api.fakegram.test/v1/posts" in logs and "401 Unauthorized" in logs
    for what, secret in SECRETS.items():
        assert secret not in logs, f"the {what} is in the logs"
        for path, response in pages.items():
            assert secret not in response.get_data(as_text=True), f"the {what} is shown on {path}"
