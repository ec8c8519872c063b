"""Catalogue sync (debounced, batched, stable ids, errors in plain words) and listening (inbox, keyword replies)."""

from __future__ import annotations

from sqlmodel import select

from shopbridge.channels.models import AutoReply, ChannelEvent, JobRecord, PendingSync, SyncStatus


def _add_image(app, db_session, product):
    from shopbridge.catalogue.models import Image

    db_session.add(Image(product_id=product.id, path=f"p{product.id}/a.jpg", content_type="image/jpeg",
                         width=800, height=800, sizes=[]))
    db_session.commit()


def test_product_edits_are_debounced_batched_and_reported_per_item(app, db_session, fakegram, fake_clock,
                                                                   product_factory, channel_factory, client, auth):
    from shopbridge.catalogue.service import input_from_product, update_product

    channel = channel_factory("fakegram", {"account_id": "1", "access_token": "good-token"}, dry_run=False).channel
    with app.app_context():
        shirt = product_factory(title="Linen shirt", slug="linen-shirt", variants=[
            {"sku": "LS-S", "price_minor": 4900, "currency": "EUR", "stock": 3, "options": {"size": "S"}},
            {"sku": "LS-M", "price_minor": 4900, "currency": "EUR", "stock": 0, "options": {"size": "M"}},
            {"sku": "LS-L", "price_minor": 4900, "currency": "EUR", "stock": 1, "options": {"size": "L"}}])
        _add_image(app, db_session, shirt)
        for price in (4500, 4400, 4300):  # three quick edits
            data = input_from_product(shirt)
            data.variants[0].price_minor = price
            update_product(db_session, shirt, data)
            db_session.commit()
        hat = product_factory(title="Straw hat", slug="straw-hat")  # no image: the platform refuses it
    assert db_session.exec(select(PendingSync)).all() and not fakegram.requests  # nothing sent yet

    fake_clock.advance(seconds=app.config["SYNC_DEBOUNCE_SECONDS"] + 1)
    fake_clock.run_due()
    batches = [r for r in fakegram.requests if r.url.path.endswith("/catalogue/batch")]
    assert len(batches) == 2  # 4 variants in batches of the type's catalogue_batch_size (2), sent once
    assert set(fakegram.items) == {f"sb-v{v.id}" for v in shirt.variants}
    assert fakegram.items[f"sb-v{shirt.variants[0].id}"]["price"] == "43.00"
    statuses = {s.item_id: s for s in db_session.exec(select(SyncStatus))}
    hat_item = f"sb-v{hat.variants[0].id}"
    assert statuses[hat_item].status == "error"
    assert statuses[hat_item].message == "Add an image: items without one are not shown. (image)"
    assert not db_session.exec(select(PendingSync)).all()

    auth.login("staff")
    page = client.get(f"/admin/channels/sync/{hat.id}").get_data(as_text=True)
    assert "Add an image: items without one are not shown." in page and channel.name in page

    # A new SKU and slug keep the item id, so the platform updates the item instead of duplicating it.
    with app.app_context():
        db_session.expire_all()
        shirt = db_session.get(type(shirt), shirt.id)
        data = input_from_product(shirt)
        data.slug = "linen-shirt-2026"
        data.variants[0].sku = "LS-S-NEW"
        update_product(db_session, shirt, data)
        db_session.commit()
    fake_clock.advance(seconds=app.config["SYNC_DEBOUNCE_SECONDS"] + 1)
    fake_clock.run_due()
    assert set(fakegram.items) == {f"sb-v{v.id}" for v in shirt.variants}
    assert fakegram.items[f"sb-v{shirt.variants[0].id}"]["link"].endswith(
        f"/p/linen-shirt-2026?variant={shirt.variants[0].id}")


def test_archiving_removes_items_and_a_full_resync_sends_everything(app, db_session, fakegram, runner,
                                                                    product_factory, channel_factory):
    from shopbridge.catalogue.service import archive_product
    from shopbridge.cli import main

    channel_factory("fakegram", {"account_id": "1", "access_token": "good-token"}, dry_run=False, name="Shop")
    shirt = product_factory(title="Linen shirt", slug="linen-shirt")
    _add_image(app, db_session, shirt)
    result = runner.invoke(main, ["sync", "--channel", "Shop", "--full"])
    assert result.exit_code == 0 and "1 products queued" in result.output
    assert f"sb-v{shirt.variants[0].id}" in fakegram.items
    with app.app_context():
        archive_product(db_session, shirt)
        db_session.commit()
    assert f"sb-v{shirt.variants[0].id}" in fakegram.items  # the archive waits for the debounce window …
    result = runner.invoke(main, ["sync", "--channel", "Shop"])  # … unless someone asks for it now
    assert "1 items sent" in result.output
    assert not fakegram.items
    assert db_session.exec(select(SyncStatus)).one().status == "deleted"


def test_a_platform_outage_during_sync_is_retried_with_backoff(app, db_session, fakegram, fake_clock,
                                                               product_factory, channel_factory):
    from shopbridge.channels import sync

    channel = channel_factory("fakegram", {"account_id": "1", "access_token": "good-token"}, dry_run=False).channel
    shirt = product_factory(title="Linen shirt", slug="linen-shirt")
    _add_image(app, db_session, shirt)
    fakegram.fail_next(503)
    with app.app_context():
        sync.full_resync(db_session, channel)
        db_session.commit()
    record = db_session.exec(select(JobRecord).where(JobRecord.kind == "sync")).one()
    assert record.status == "retrying" and record.next_attempt_at > fake_clock.now
    assert db_session.exec(select(SyncStatus)).one().status == "error"
    fake_clock.advance(seconds=(record.next_attempt_at - fake_clock.now).total_seconds() + 1)
    fake_clock.run_due()
    db_session.expire_all()
    assert db_session.exec(select(SyncStatus)).one().status == "synced"


def _comment(signed_webhook, client, channel, events):
    body, headers = signed_webhook.meta({"events": events}, "s3cret")
    return client.post(f"/webhooks/channels/{channel.key}", data=body, headers=headers)


def test_comment_to_buy_replies_once_per_person_and_post_with_the_posts_own_link(
        app, db_session, client, auth, fakegram, fake_links, signed_webhook, product_factory, channel_factory):
    from shopbridge.channels.inbound import add_rule
    from shopbridge.posts import service
    from shopbridge.posts.models import PostTarget

    product = product_factory(title="Linen shirt", slug="linen-shirt")
    channel = channel_factory("fakegram", {"account_id": "1", "access_token": "good-token",
                                           "app_secret": "s3cret"}, dry_run=False).channel
    with app.app_context():
        post = service.create_post(db_session, service.PostInput(title="Linen", caption="{title}",
                                                                 product_ids=[product.id],
                                                                 channel_ids=[channel.id]))
        service.submit(db_session, post)
        add_rule(db_session, keyword="BUY", reply_text="Here you go: {link}")
        db_session.commit()
    target = db_session.exec(select(PostTarget)).one()
    db_session.refresh(target)

    events = [{"kind": "comment", "id": "c1", "from": "ann", "name": "Ann", "text": "BUY! #linen",
               "post": target.remote_id},
              {"kind": "comment", "id": "c2", "from": "ann", "text": "buy buy", "post": target.remote_id},
              {"kind": "comment", "id": "c3", "from": "bob", "text": "I'm a buyer of #linen", "post": target.remote_id},
              {"kind": "comment", "id": "c4", "from": "cat", "text": "buy", "post": target.remote_id}]
    assert _comment(signed_webhook, client, channel, events).json == {"received": 4, "new": 4}
    assert [r["to"] for r in fakegram.replies] == ["c1", "c4"]  # Ann once, Bob's "buyer" is not "BUY"
    assert fakegram.replies[0]["text"] == f"Here you go: {target.link_url}"  # credited to the post
    replies = db_session.exec(select(AutoReply)).all()
    assert {(r.author_id, r.status) for r in replies} == {("ann", "sent"), ("cat", "sent")}
    stored = db_session.exec(select(ChannelEvent).where(ChannelEvent.external_id == "c1")).one()
    assert stored.post_id == post.id and stored.author_name == "Ann"

    auth.login("agency")
    inbox = client.get("/admin/inbox/").get_data(as_text=True)
    assert "BUY! #linen" in inbox and "I&#39;m a buyer of #linen" in inbox
    assert "<strong>#linen</strong>: 2" in inbox and "<strong>BUY</strong>: 3" in inbox


def test_keyword_rules_are_added_in_the_inbox_with_a_clear_message_for_bad_input(client, auth, db_session):
    from shopbridge.channels.models import KeywordRule

    auth.login("staff")
    csrf = auth.csrf("/admin/inbox/")
    bad = client.post("/admin/inbox/", data={"csrf_token": csrf, "keyword": "BUY", "reply_text": "no link here",
                                             "product_id": "0", "channel_id": "0"})
    assert "The reply must contain {link}" in bad.get_data(as_text=True)
    assert db_session.exec(select(KeywordRule)).first() is None
    good = client.post("/admin/inbox/", data={"csrf_token": csrf, "keyword": "#acme", "reply_text": "Shop: {link}",
                                              "product_id": "0", "channel_id": "0"})
    assert good.status_code == 302 and db_session.exec(select(KeywordRule)).one().keyword == "#acme"


def test_the_product_page_in_the_admin_links_to_its_sync_status_and_to_posting_it(client, auth, product_factory):
    product = product_factory(title="Linen shirt", slug="linen-shirt")
    auth.login("owner")
    page = client.get(f"/admin/products/{product.id}").get_data(as_text=True)
    assert f"/admin/channels/sync/{product.id}" in page and "/admin/posts/new?product=linen-shirt" in page
    status = client.get(f"/admin/channels/sync/{product.id}").get_data(as_text=True)
    assert "has not been sent to any catalogue channel yet" in status


def test_a_chat_plugin_answers_a_message_through_the_shop_services(app, db_session, client, fakegram, fake_links,
                                                                   signed_webhook, product_factory, channel_factory):
    import fake_platform

    fake_platform.INBOUND.clear()
    product_factory(title="Linen shirt", slug="linen-shirt")
    channel = channel_factory("fakegram", {"account_id": "1", "access_token": "good-token",
                                           "app_secret": "s3cret"}, dry_run=False).channel
    events = [{"kind": "message", "id": "m1", "from": "dan", "text": "hello", "thread": "t-dan"}]
    assert _comment(signed_webhook, client, channel, events).status_code == 200
    assert fake_platform.INBOUND == [(channel.name, "m1", True)]
    assert fakegram.replies == [{"to": "m1", "text": "Hi! Our bestseller:"}]
    assert fake_links[-1]["product"] == "linen-shirt"


def test_a_person_replies_from_the_inbox_with_a_buy_link(app, db_session, client, auth, fakegram, fake_links,
                                                         signed_webhook, product_factory, channel_factory):
    product = product_factory(title="Linen shirt", slug="linen-shirt")
    channel = channel_factory("fakegram", {"account_id": "1", "access_token": "good-token",
                                           "app_secret": "s3cret"}, dry_run=False).channel
    _comment(signed_webhook, client, channel, [{"kind": "comment", "id": "c9", "from": "eve",
                                                "text": "Do you have it in blue?"}])
    row = db_session.exec(select(ChannelEvent)).one()
    auth.login("staff")
    csrf = auth.csrf("/admin/inbox/")
    empty = client.post(f"/admin/inbox/{row.id}/reply", data={"csrf_token": csrf, "text": " "},
                        follow_redirects=True)
    assert "Write the reply first." in empty.get_data(as_text=True) and not fakegram.replies
    sent = client.post(f"/admin/inbox/{row.id}/reply", data={"csrf_token": csrf, "text": "Only sage, sorry!",
                                                             "product_id": str(product.id)}, follow_redirects=True)
    assert "Reply sent." in sent.get_data(as_text=True)
    assert fakegram.replies == [{"to": "c9", "text": "Only sage, sorry!"}]
    assert fake_links[-1] == {"post": None, "channel": channel.name, "product": "linen-shirt"}
