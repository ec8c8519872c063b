"""Composing posts in the admin: previews per channel, the default text rendering, approval by the owner."""

from __future__ import annotations

from sqlmodel import select

from shopbridge.channels.builtin import render_text, trim_words
from shopbridge.posts.models import Post, PostStatus, PostTarget
from shopbridge.testing import csrf_token_from


def test_the_default_text_keeps_the_link_and_cuts_on_a_word_boundary():
    link = "https://shop.test/l/abcd"
    text = render_text("A light linen shirt for hot summer days, cut loose and washed soft", ["linen", "#summer"],
                       link, 60)
    assert len(text) <= 60 and text.endswith(link)
    assert "#linen" not in text  # hashtags go before the caption is cut
    caption = text.split("\n\n")[0]
    assert caption.endswith("…") and "A light linen shirt for hot summer days, cut loose".startswith(
        caption[:-1])
    assert render_text("Buy it: https://x.test/l/1", ["a"], "https://x.test/l/1", None) == \
        "Buy it: https://x.test/l/1\n\n#a"
    assert trim_words("one two three", 9) == "one two…"
    assert render_text("short", ["linen", "linen", "bad tag!"], link, None) == f"short\n\n#linen #badtag\n\n{link}"


def test_compose_preview_and_publish_from_the_admin(app, client, auth, db_session, fakegram, fake_links,
                                                    product_factory, channel_factory):
    product = product_factory(title="Linen shirt", slug="linen-shirt")
    live = channel_factory("fakegram", {"account_id": "1", "access_token": "good-token"}, dry_run=False,
                           name="Fakegram live").channel
    bio = channel_factory("fakegram", {"account_id": "2", "access_token": "good-token", "style": "bio"},
                          dry_run=False, name="Fakegram bio").channel
    auth.login("agency")
    form = client.get("/admin/posts/new?product=linen-shirt").get_data(as_text=True)
    assert "Fakegram live" in form and 'value="Linen shirt"' in form
    response = client.post("/admin/posts/new", data={
        "csrf_token": csrf_token_from(form), "title": "Linen", "product_ids": [str(product.id)],
        "channel_ids": [str(live.id), str(bio.id)], "caption": "{title} for {price}", "hashtags": "linen summer"})
    assert response.status_code == 302
    post = db_session.exec(select(Post)).one()
    page = client.get(f"/admin/posts/{post.id}").get_data(as_text=True)
    assert "Linen shirt for €49.00\n\n#linen #summer\n\nhttps://example.com/l/preview" in page
    assert "Linen shirt for €49.00 (link in bio)" in page  # each platform's own rendering
    assert "/ 120 characters" in page
    assert not fakegram.posts and not fake_links  # a preview sends nothing and creates no link

    live_target = next(t for t in post.targets if t.channel_id == live.id)
    bad = client.post(f"/admin/posts/{post.id}/targets/{live_target.id}/options",
                      data={"csrf_token": csrf_token_from(page), "options": "no equals sign"}, follow_redirects=True)
    assert "Line 1: write key=value" in bad.get_data(as_text=True)
    client.post(f"/admin/posts/{post.id}/targets/{live_target.id}/options",
                data={"csrf_token": csrf_token_from(page), "options": "board=Summer\n"})
    client.post(f"/admin/posts/{post.id}/submit", data={"csrf_token": csrf_token_from(page)})
    db_session.expire_all()
    assert db_session.get(Post, post.id).status == PostStatus.published
    assert len(fakegram.posts) == 2
    assert [p.get("board") for p in fakegram.posts.values()].count("Summer") == 1  # only on that channel
    assert {link["channel"] for link in fake_links} == {"Fakegram live", "Fakegram bio"}  # one link each
    links = {t.link_url for t in db_session.exec(select(PostTarget))}
    assert len(links) == 2
    assert "View on the platform" in client.get(f"/admin/posts/{post.id}").get_data(as_text=True)


def test_the_owner_requires_approval_and_approves_in_the_admin(app, client, auth, users, db_session, fakegram,
                                                               fake_links, product_factory, channel_factory):
    product = product_factory(title="Linen shirt", slug="linen-shirt")
    channel = channel_factory("fakegram", {"account_id": "1", "access_token": "good-token"}, dry_run=False).channel
    auth.login("owner")
    page = client.get("/admin/posts/").get_data(as_text=True)
    client.post("/admin/posts/approval", data={"csrf_token": csrf_token_from(page), "require_approval": "y"})
    auth.logout()

    auth.login("staff")
    form = client.get("/admin/posts/new").get_data(as_text=True)
    client.post("/admin/posts/new", data={"csrf_token": csrf_token_from(form), "title": "Linen",
                                          "product_ids": [str(product.id)], "channel_ids": [str(channel.id)],
                                          "caption": "{title}"})
    post = db_session.exec(select(Post)).one()
    detail = client.get(f"/admin/posts/{post.id}").get_data(as_text=True)
    client.post(f"/admin/posts/{post.id}/submit", data={"csrf_token": csrf_token_from(detail)})
    db_session.expire_all()
    assert db_session.get(Post, post.id).status == PostStatus.awaiting_approval
    detail = client.get(f"/admin/posts/{post.id}").get_data(as_text=True)
    assert "Waiting for the owner’s approval." in detail and not fakegram.posts
    auth.logout()

    auth.login("owner")
    detail = client.get(f"/admin/posts/{post.id}").get_data(as_text=True)
    assert ">Approve<" in detail
    client.post(f"/admin/posts/{post.id}/approve", data={"csrf_token": csrf_token_from(detail)})
    db_session.expire_all()
    assert db_session.get(Post, post.id).status == PostStatus.published and len(fakegram.posts) == 1


def test_a_post_for_an_archived_product_cannot_be_composed(client, auth, db_session, product_factory,
                                                          channel_factory):
    product = product_factory(title="Old hat", slug="old-hat", status="archived")
    channel = channel_factory("fakegram", {"account_id": "1", "access_token": "good-token"}).channel
    auth.login("owner")
    form = client.get("/admin/posts/new").get_data(as_text=True)
    assert "Old hat" not in form
    response = client.post("/admin/posts/new", data={"csrf_token": csrf_token_from(form), "title": "x",
                                                     "product_ids": [str(product.id)],
                                                     "channel_ids": [str(channel.id)]})
    assert response.status_code == 200 and db_session.exec(select(Post)).first() is None
