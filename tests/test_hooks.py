"""The plugin contract: every hook is documented, the reference is current, and every hook is exercised."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from shopbridge import docs_hooks, hookspecs


def test_every_hookspec_has_a_docstring_and_is_in_the_generated_reference():
    reference = docs_hooks.OUTPUT.read_text()
    for fn in docs_hooks.hook_functions():
        assert fn.__doc__ and len(fn.__doc__.strip()) > 40, f"{fn.__name__} needs a docstring"
        assert f"## `{fn.__name__}(" in reference
    assert reference == docs_hooks.render(), "docs/plugins/hooks.md is stale: python -m shopbridge.docs_hooks"


def test_the_reference_check_command_detects_a_stale_file(tmp_path, monkeypatch):
    monkeypatch.setattr(docs_hooks, "OUTPUT", tmp_path / "hooks.md")
    assert docs_hooks.main(["--check"]) == 1
    assert docs_hooks.main([]) == 0
    assert docs_hooks.main(["--check"]) == 0


@pytest.fixture
def calls():
    import fake_platform

    fake_platform.CALLS.clear()
    fake_platform.INBOUND.clear()
    fake_platform.ORDERS.clear()
    return fake_platform.CALLS


def test_every_hook_is_exercised_through_the_shops_own_paths(
        calls, app, client, auth, db_session, fakegram, fake_links, product_factory, channel_factory,
        signed_webhook, fake_clock, monkeypatch, tmp_path):
    from shopbridge import cli
    from shopbridge.channels import inbound, sync
    from shopbridge.channels import service as channels
    from shopbridge.channels.models import ChannelEvent, KeywordRule
    from shopbridge.posts import service as posts
    from shopbridge.posts.models import Post, PostTarget

    # App start and admin pages: blueprints, menu.
    assert calls["shopbridge_register_blueprints"] == 1
    assert client.get("/fakegram/hello").get_data(as_text=True) == "hello from fakegram"
    auth.login("owner")
    assert ">Fakegram</a>" in client.get("/admin/").get_data(as_text=True)

    # The command line collects plugin commands when it builds its app.
    monkeypatch.setenv("SHOPBRIDGE_DATA_DIR", str(tmp_path / "cli"))
    monkeypatch.setenv("SHOPBRIDGE_PLUGINS", '["fake_platform"]')
    assert "fakegram-hello" in cli._create_app().cli.commands

    # Connect, test, publish (with a plugin-rendered text), edit, find after a crash, delete.
    product = product_factory(title="Linen shirt", slug="linen-shirt")
    made = channel_factory("fakegram", {"account_id": "7", "access_token": "good-token", "app_secret": "s3cret",
                                        "style": "bio"}, dry_run=False, name="Fakegram")
    with app.app_context():
        assert channels.test_connection(db_session, made.channel).detail == "Connected as @acme_shop"
        post = posts.create_post(db_session, posts.PostInput(title="Linen", caption="{title}!",
                                                             product_ids=[product.id],
                                                             channel_ids=[made.channel.id]))
        posts.submit(db_session, post)
        db_session.commit()
    db_session.expire_all()
    target = db_session.exec(select(PostTarget)).one()
    assert target.text == "Linen shirt! (link in bio)"
    with app.app_context():
        posts.edit_post(db_session, db_session.get(Post, post.id), caption="{title}, now on sale")
        db_session.commit()
        from shopbridge.posts.publishing import publish_target
        target = db_session.get(PostTarget, target.id)
        target.status = "publishing"  # as if a worker died mid-attempt
        db_session.add(target)
        db_session.commit()
        assert publish_target(app, target.id, True) == "published"  # found by its idempotency key
        db_session.expire_all()
        posts.delete_post(db_session, db_session.get(Post, post.id))
        db_session.commit()
    assert not fakegram.posts

    # Catalogue sync.
    with app.app_context():
        sync.full_resync(db_session, made.channel)
        db_session.commit()

    # Webhooks: the subscription check, then a signed comment that triggers a keyword reply.
    key = made.channel.key
    answer = client.get(f"/webhooks/channels/{key}?hub.mode=subscribe&hub.challenge=12345")
    assert answer.get_data(as_text=True) == "12345"
    db_session.add(KeywordRule(keyword="BUY", product_id=product.id, reply_text="Here: {link}"))
    db_session.commit()
    body, headers = signed_webhook.meta({"events": [{"kind": "comment", "id": "c1", "from": "u1",
                                                     "text": "BUY please"}]}, "s3cret")
    assert client.post(f"/webhooks/channels/{key}", data=body, headers=headers).status_code == 200
    assert db_session.exec(select(ChannelEvent)).one().processed_at is not None
    assert fakegram.replies[0]["text"].startswith("Here: https://shop.test/l/")

    # Order events (the checkout calls this).
    with app.app_context():
        inbound.order_event(db_session, {"id": 9, "status": "paid"}, "paid")
        db_session.commit()

    # Every hook the test plugin implements was called through the shop's own code paths. (A full test run also
    # checks that every hook specification, including other features' hooks, was called by some test.)
    import fake_platform

    implemented = {name for name in dir(fake_platform) if name.startswith("shopbridge_")}
    assert implemented >= {"shopbridge_publish_post", "shopbridge_parse_webhook", "shopbridge_find_post"}
    assert implemented <= set(dir(hookspecs))
    missing = sorted(name for name in implemented if not calls[name])
    assert not missing, f"hooks never called: {missing}; called: {json.dumps(sorted(calls))}"
