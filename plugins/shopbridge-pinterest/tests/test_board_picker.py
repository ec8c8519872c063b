"""The compose form offers the Pinterest account's boards as a select, the channel's default board chosen."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from shopbridge.db import engine
from shopbridge.posts.models import PostTarget
from shopbridge.testing import csrf_token_from


def _pinterest(channel_factory, pinterest, **overrides):
    settings = {"access_token": pinterest.access_token, "board_id": pinterest.boards[0]["id"],
                "api_url": pinterest.url, "catalog_country": "IT", "catalog_language": "it", **overrides}
    return channel_factory("pinterest", settings, dry_run=False, name="Pinterest").channel


def test_the_owner_picks_a_board_from_the_list(app, auth, client, pinterest, product_factory, channel_factory):
    shirt = product_factory(title="Linen shirt", slug="linen-shirt")
    channel = _pinterest(channel_factory, pinterest)
    auth.login("owner")

    page = client.get("/admin/posts/new").get_data(as_text=True)
    select_html = re.search(rf'<select id="option-{channel.id}-board_id".*?</select>', page, re.S).group(0)
    assert "Summer shirts" in select_html and "Linen" in select_html
    # The channel's default board is preselected.
    assert re.search(rf'<option value="{pinterest.boards[0]["id"]}" selected>Summer shirts', select_html)
    assert f'name="options-{channel.id}"' not in page  # no hand-typed ids while the list works

    sent = client.post("/admin/posts/new", data={
        "csrf_token": csrf_token_from(page), "title": "Summer linen", "product_ids": [shirt.id],
        "channel_ids": [channel.id], "caption": "{title}", f"option-{channel.id}-board_id": pinterest.boards[1]["id"]})
    assert sent.status_code == 302
    with Session(engine(app)) as s:
        (target,) = s.exec(select(PostTarget)).all()
    assert target.options == {"board_id": pinterest.boards[1]["id"]}

    # On the post's page the board can still change before it goes out, from the same list.
    detail = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert re.search(rf'<option value="{pinterest.boards[1]["id"]}" selected>Linen', detail)
    changed = client.post(f"/admin/posts/{target.post_id}/targets/{target.id}/options", data={
        "csrf_token": csrf_token_from(detail), f"option-{channel.id}-board_id": pinterest.boards[0]["id"],
        "options": "note=summer"})
    assert changed.status_code == 302
    with Session(engine(app)) as s:
        assert s.get(PostTarget, target.id).options == {"board_id": pinterest.boards[0]["id"], "note": "summer"}

    # A board that is not the account's is refused (a tampered form), and nothing is saved.
    refused = client.post("/admin/posts/new", data={
        "csrf_token": csrf_token_from(page), "title": "Other", "product_ids": [shirt.id],
        "channel_ids": [channel.id], f"option-{channel.id}-board_id": "123"})
    assert refused.status_code == 200 and "Pinterest: choose a board from the list." in refused.get_data(as_text=True)
    with Session(engine(app)) as s:
        assert len(s.exec(select(PostTarget)).all()) == 1


def test_when_boards_cannot_be_listed_the_form_falls_back_to_typing_the_id(app, auth, client, pinterest,
                                                                           product_factory, channel_factory):
    shirt = product_factory(title="Linen shirt", slug="linen-shirt")
    channel = _pinterest(channel_factory, pinterest)
    auth.login("owner")
    pinterest.fail_next("GET", "/v5/boards", 503, {"code": 8, "message": "Service unavailable"})

    page = client.get("/admin/posts/new").get_data(as_text=True)
    assert f'id="option-{channel.id}-board_id"' not in page
    assert "The choices could not be listed:" in page and f'name="options-{channel.id}"' in page

    pinterest.fail_next("GET", "/v5/boards", 503, {"code": 8, "message": "Service unavailable"})
    sent = client.post("/admin/posts/new", data={
        "csrf_token": csrf_token_from(page), "title": "Summer linen", "product_ids": [shirt.id],
        "channel_ids": [channel.id], f"options-{channel.id}": f"board_id={pinterest.boards[1]['id']}"})
    assert sent.status_code == 302
    with Session(engine(app)) as s:
        (target,) = s.exec(select(PostTarget)).all()
    assert target.options == {"board_id": pinterest.boards[1]["id"]}
