"""Connecting channels in the admin, their webhooks, the outbox, plugin errors, and the demo's channels."""

from __future__ import annotations

import json

from sqlmodel import select

from shopbridge.channels.models import Channel, ChannelEvent, OutboxEntry, PluginError
from shopbridge.testing import csrf_token_from


def _connect(client, data, type_name="fakegram"):
    page = client.get(f"/admin/channels/new/{type_name}")
    return client.post(f"/admin/channels/new/{type_name}",
                       data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), **data})


def test_the_owner_connects_a_channel_and_its_token_is_encrypted_and_never_shown_again(app, client, auth,
                                                                                         db_session, fakegram):
    auth.login("owner")
    response = _connect(client, {"name": "Fakegram main", "s_account_id": "42", "s_access_token": "good-token",
                                 "s_style": "inline", "enabled": "y"})
    assert response.status_code == 302
    channel = db_session.exec(select(Channel)).one()
    assert channel.settings == {"account_id": "42", "style": "inline"}
    assert "good-token" not in (channel.secrets or "") and channel.secret_names == ["access_token"]
    assert not channel.dry_run

    page = client.get(f"/admin/channels/{channel.id}").get_data(as_text=True)
    assert "good-token" not in page and "leave blank to keep it" in page
    assert f"/webhooks/channels/{channel.key}" in page and len(channel.key) >= 32

    # Saving again with the secret left blank keeps it; "Test connection" reaches the platform with it.
    client.post(f"/admin/channels/{channel.id}", data={
        "csrf_token": csrf_token_from(page), "name": "Fakegram shop", "s_account_id": "42", "s_access_token": "",
        "s_style": "inline", "enabled": "y"})
    check = client.post(f"/admin/channels/{channel.id}/test", data={"csrf_token": csrf_token_from(page)},
                        follow_redirects=True).get_data(as_text=True)
    assert "Connected as @acme_shop" in check and "Fakegram shop" in check
    assert fakegram.requests[-1].headers["Authorization"] == "Bearer good-token"


def test_invalid_settings_are_refused_with_a_message_per_field_and_nothing_is_saved(client, auth, db_session):
    auth.login("owner")
    response = _connect(client, {"name": "Bad", "s_account_id": "not-a-number", "s_style": "inline"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This value does not have the expected format." in page
    assert db_session.exec(select(Channel)).first() is None


def test_a_channel_without_its_token_can_only_run_in_dry_run(app, client, auth, db_session, fakegram):
    from shopbridge.channels import service

    auth.login("owner")
    _connect(client, {"name": "No token", "s_account_id": "42", "s_style": "inline", "enabled": "y"})
    channel = db_session.exec(select(Channel)).one()
    assert channel.dry_run is False
    with app.app_context():
        assert service.effective_dry_run(channel)
    page = client.get("/admin/channels/").get_data(as_text=True)
    assert "dry run" in page and "missing: Access token" in page
    csrf = auth.csrf("/admin/channels/")
    result = client.post(f"/admin/channels/{channel.id}/test", data={"csrf_token": csrf}, follow_redirects=True)
    assert "dry run: nothing was sent" in result.get_data(as_text=True)
    assert not fakegram.requests
    assert db_session.exec(select(OutboxEntry)).one().url == "https://api.fakegram.test/v1/me"


def test_only_the_owner_manages_channels(client, auth):
    auth.login("staff")
    assert client.get("/admin/channels/").status_code == 403
    assert client.get("/admin/channels/new/fakegram").status_code == 403
    assert client.get("/admin/outbox/").status_code == 403
    assert client.get("/admin/inbox/").status_code == 200  # staff answer customers
    assert client.get("/admin/posts/").status_code == 200


def test_a_webhook_with_a_bad_signature_is_refused_and_nothing_is_stored(client, db_session, channel_factory,
                                                                         signed_webhook):
    made = channel_factory("fakegram", {"account_id": "1", "access_token": "good-token", "app_secret": "right"})
    payload = {"events": [{"kind": "comment", "id": "c1", "from": "u1", "text": "hi"}]}
    body, headers = signed_webhook.meta(payload, "wrong")
    response = client.post(f"/webhooks/channels/{made.channel.key}", data=body, headers=headers)
    assert response.status_code == 403
    assert db_session.exec(select(ChannelEvent)).first() is None
    assert client.post("/webhooks/channels/not-a-key", data=body, headers=headers).status_code == 404

    body, headers = signed_webhook.meta(payload, "right")
    first = client.post(f"/webhooks/channels/{made.channel.key}", data=body, headers=headers)
    replay = client.post(f"/webhooks/channels/{made.channel.key}", data=body, headers=headers)
    assert first.json == {"received": 1, "new": 1} and replay.json == {"received": 1, "new": 0}
    assert len(db_session.exec(select(ChannelEvent)).all()) == 1


def test_a_plugin_hook_that_raises_breaks_nothing_and_is_shown_to_the_owner(app, client, auth, monkeypatch):
    import fake_platform

    from shopbridge.plugins import manager

    impl = next(i for i in manager(app).hook.shopbridge_admin_menu.get_hookimpls() if i.plugin is fake_platform)

    def broken():
        raise RuntimeError("menu service unavailable")

    monkeypatch.setattr(impl, "function", broken)
    auth.login("owner")
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200 and ">Posts</a>" in dashboard.get_data(as_text=True)
    page = client.get("/admin/channels/").get_data(as_text=True)
    assert "fake_platform" in page and "RuntimeError: menu service unavailable" in page
    with app.app_context():
        from shopbridge.db import session_scope

        with session_scope(app) as session:
            error = session.exec(select(PluginError)).first()
            assert error.plugin == "fake_platform" and error.hook == "shopbridge_admin_menu"
    assert "shopbridge_admin_menu" in client.get("/admin/channels/plugin-errors").get_data(as_text=True)


def test_a_crashing_publish_hook_fails_the_post_with_the_plugins_name(app, db_session, fake_links, monkeypatch,
                                                                      product_factory, channel_factory):
    import fake_platform

    from shopbridge.plugins import manager
    from shopbridge.posts import service
    from shopbridge.posts.models import PostTarget, TargetStatus

    impl = next(i for i in manager(app).hook.shopbridge_publish_post.get_hookimpls() if i.plugin is fake_platform)
    monkeypatch.setattr(impl, "function", lambda channel, content: {}["missing"])
    product = product_factory(title="Linen shirt", slug="linen-shirt")
    channel = channel_factory("fakegram", {"account_id": "1", "access_token": "good-token"}).channel
    with app.app_context():
        post = service.create_post(db_session, service.PostInput(title="x", caption="{title}",
                                                                 product_ids=[product.id],
                                                                 channel_ids=[channel.id]))
        service.submit(db_session, post)
        db_session.commit()
    target = db_session.exec(select(PostTarget)).one()
    db_session.refresh(target)
    assert target.status == TargetStatus.failed
    assert "The plugin 'fake_platform' failed in shopbridge_publish_post: KeyError" in target.last_error


def test_the_outbox_is_shown_and_exported_as_json_lines(app, client, auth, db_session, channel_factory, runner):
    from shopbridge.cli import main

    made = channel_factory("fakegram", {"account_id": "1", "access_token": "tok-secret-1"}, dry_run=True)
    made.context.http.request("POST", "https://api.fakegram.test/v1/posts?access_token=tok-secret-1",
                              json_body={"text": "hello", "token": "tok-secret-1"})
    db_session.commit()
    auth.login("owner")
    page = client.get("/admin/outbox/").get_data(as_text=True)
    assert "https://api.fakegram.test/v1/posts?access_token=***" in page and "tok-secret-1" not in page
    download = client.get("/admin/outbox/export.jsonl").get_data(as_text=True)
    line = json.loads(download.splitlines()[0])
    assert line["method"] == "POST" and line["body"] == {"text": "hello", "token": "***"}
    cli_lines = runner.invoke(main, ["outbox", "export"]).output.splitlines()
    assert json.loads(cli_lines[0])["url"].endswith("access_token=***")


def test_the_demo_shop_has_one_dry_run_channel_per_installed_type(app, db_session):
    from shopbridge.channels import service
    from shopbridge.demo import load_demo

    load_demo(app)
    rows = db_session.exec(select(Channel)).all()
    with app.app_context():
        types = set(service.channel_types(app))
        assert {c.type for c in rows} == types and len(rows) == len(types)
        assert all(service.effective_dry_run(c) for c in rows)


def test_channel_and_post_commands(app, runner, fakegram, fake_links, product_factory, channel_factory):
    from shopbridge.cli import main

    product_factory(title="Linen shirt", slug="linen-shirt")
    channel_factory("fakegram", {"account_id": "1", "access_token": "good-token"}, dry_run=False, name="Main")
    listing = runner.invoke(main, ["channel", "list"]).output
    assert "Main\tfakegram\tenabled" in listing and "publish_posts" in listing
    bad = runner.invoke(main, ["post", "publish", "--product", "nope", "--channel", "Main"])
    assert bad.exit_code != 0 and "No product with slug 'nope'" in bad.output
    later = runner.invoke(main, ["post", "publish", "--product", "linen-shirt", "--channel", "Main",
                                 "--at", "2099-01-01 09:00", "--option", "board=summer"])
    assert later.exit_code == 0 and "scheduled" in later.output and not fakegram.posts
    now = runner.invoke(main, ["post", "publish", "--product", "linen-shirt", "--channel", "Main",
                               "--option", "board=summer"])
    assert "published" in now.output
    assert next(iter(fakegram.posts.values()))["board"] == "summer"
    posts = runner.invoke(main, ["post", "list"]).output
    assert "scheduled" in posts and "published" in posts
