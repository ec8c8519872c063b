"""A shop pins its products: publish, edit and delete pins on a Pinterest that checks every request."""

from __future__ import annotations

import base64

import pytest

from shopbridge.channels import AuthError, PlatformError, RateLimited
from shopbridge.plugins import get_plugin_manager


@pytest.fixture
def hook():
    """shopbridge's own plugin manager, with this plugin loaded from its entry point like in a shop."""
    return get_plugin_manager().hook


def test_publishing_a_post_creates_a_pin_on_the_default_board_with_the_tracked_link(pinterest, make_channel,
                                                                                     post, hook):
    result = hook.shopbridge_publish_post(channel=make_channel(), content=post())

    pin = pinterest.pins[result.remote_id]
    assert pin["board_id"] == pinterest.boards[0]["id"]
    assert pin["link"] == "https://shop.example/l/pin42"
    assert pin["title"] == "Linen shirt"
    assert pin["description"] == "Cool linen for hot days. #linen"
    assert pin["alt_text"] == "A white linen shirt"
    assert pin["media_source"] == {"source_type": "image_url", "url": "https://shop.example/media/shirt.jpg"}
    assert result.url == f"https://www.pinterest.com/pin/{result.remote_id}/"


def test_long_texts_are_trimmed_to_pinterests_limits_on_a_word_boundary(pinterest, make_channel, post, hook):
    words = "breezy " * 200
    result = hook.shopbridge_publish_post(
        channel=make_channel(), content=post(title="Linen " * 30, text=words, image_alt="white " * 150))

    pin = pinterest.pins[result.remote_id]
    assert len(pin["title"]) <= 100 and pin["title"].endswith("…")
    assert len(pin["description"]) <= 800 and pin["description"].endswith("breezy…")
    assert len(pin["alt_text"]) <= 500


def test_the_post_can_choose_another_board(pinterest, make_channel, post, hook):
    other = pinterest.boards[1]["id"]
    result = hook.shopbridge_publish_post(channel=make_channel(), content=post(options={"board_id": other}))
    assert pinterest.pins[result.remote_id]["board_id"] == other


def test_a_post_without_a_board_or_image_is_refused_before_calling_pinterest(pinterest, make_channel, post, hook):
    with pytest.raises(PlatformError, match="Choose a Pinterest board"):
        hook.shopbridge_publish_post(channel=make_channel(board_id=""), content=post())
    with pytest.raises(PlatformError, match="needs an image"):
        hook.shopbridge_publish_post(channel=make_channel(), content=post(image_url=None))
    assert pinterest.received == []


def test_editing_and_deleting_a_pin(pinterest, make_channel, post, hook):
    channel = make_channel()
    pin_id = hook.shopbridge_publish_post(channel=channel, content=post()).remote_id

    updated = hook.shopbridge_update_post(channel=channel, content=post(title="Linen shirt, now 20% off",
                                                                      link_url="https://shop.example/l/pin42b"),
                                          remote_id=pin_id)
    assert updated.remote_id == pin_id
    assert pinterest.pins[pin_id]["title"] == "Linen shirt, now 20% off"
    assert pinterest.pins[pin_id]["link"] == "https://shop.example/l/pin42b"

    assert hook.shopbridge_delete_post(channel=channel, remote_id=pin_id) is True
    assert pin_id not in pinterest.pins
    # Deleting again (a retried job) is still a success: the pin is gone, as the shop wanted.
    assert hook.shopbridge_delete_post(channel=channel, remote_id=pin_id) is True


def test_a_rate_limit_is_reported_with_pinterests_retry_after_for_the_job_layer(pinterest, make_channel, post,
                                                                                hook):
    pinterest.fail_next("POST", "/v5/pins", 429, headers={"Retry-After": "30"})
    channel = make_channel()

    with pytest.raises(RateLimited) as caught:
        hook.shopbridge_publish_post(channel=channel, content=post())
    assert caught.value.retry_after == 30
    assert caught.value.transient and "Pinterest" in caught.value.message
    assert pinterest.pins == {}

    # The job layer retries later; then the pin is created once.
    hook.shopbridge_publish_post(channel=channel, content=post())
    assert len(pinterest.pins) == 1


def test_an_expired_token_is_refreshed_saved_and_the_request_retried(pinterest, make_channel, post, hook):
    saved: list[dict] = []
    outbox = []
    channel = make_channel(saved=saved, recorder=outbox.append)
    old_access, old_refresh = pinterest.access_token, pinterest.refresh_token
    pinterest.expire_token()

    result = hook.shopbridge_publish_post(channel=channel, content=post())

    assert result.remote_id in pinterest.pins
    assert saved == [{"access_token": pinterest.access_token, "refresh_token": pinterest.refresh_token}]
    assert channel.settings["access_token"] == pinterest.access_token != old_access
    refresh = pinterest.requests_to("POST", "/v5/oauth/token")[0]
    assert refresh.body == {"grant_type": "refresh_token", "refresh_token": old_refresh}
    assert refresh.headers["Authorization"] == "Basic " + base64.b64encode(b"1500123:app-secret-1").decode()
    assert [r.path for r in pinterest.received] == ["/v5/pins", "/v5/oauth/token", "/v5/pins"]
    # Old and new tokens alike are masked wherever requests are recorded.
    assert channel.http.secrets[-2:] == (pinterest.access_token, pinterest.refresh_token)
    assert not any(token in repr(outbox) for token in (old_access, old_refresh, pinterest.access_token))


def test_a_failed_refresh_asks_the_owner_to_reconnect(pinterest, make_channel, post, hook):
    saved: list[dict] = []
    channel = make_channel(saved=saved)
    pinterest.expire_token()
    pinterest.revoke_refresh_token()

    with pytest.raises(AuthError, match="Reconnect your Pinterest account") as caught:
        hook.shopbridge_publish_post(channel=channel, content=post())
    assert not caught.value.transient
    assert saved == [] and pinterest.pins == {}


def test_an_expired_token_without_refresh_credentials_says_what_is_missing(pinterest, make_channel, post, hook):
    pinterest.expire_token()
    with pytest.raises(AuthError, match="refresh token, app id and app secret"):
        hook.shopbridge_publish_post(channel=make_channel(refresh_token=""), content=post())
    assert pinterest.requests_to("POST", "/v5/oauth/token") == []


def test_test_connection_lists_the_boards_for_the_compose_form(pinterest, make_channel, hook):
    from shopbridge_pinterest import list_boards

    check = hook.shopbridge_test_connection(channel=make_channel())
    assert check.ok
    assert "@acme_shop" in check.detail and "Summer shirts (549755885175)" in check.detail
    assert list_boards(make_channel()) == [
        {"id": "549755885175", "name": "Summer shirts", "privacy": "PUBLIC"},
        {"id": "549755885176", "name": "Linen", "privacy": "PUBLIC"},
    ]

    wrong = hook.shopbridge_test_connection(channel=make_channel(board_id="123"))
    assert not wrong.ok and "default board 123 is not one of them" in wrong.detail

    pinterest.expire_token()
    broken = hook.shopbridge_test_connection(channel=make_channel(refresh_token=""))
    assert not broken.ok and "Reconnect" in broken.detail


def test_other_channel_types_are_left_to_their_own_plugins(make_channel, post):
    from shopbridge_pinterest import plugin

    other = make_channel()
    other.type = "telegram"
    assert plugin.shopbridge_publish_post(channel=other, content=post()) is None
    assert plugin.shopbridge_delete_post(channel=other, remote_id="1") is None
    assert plugin.shopbridge_sync_catalogue(channel=other, items=[]) is None
    assert plugin.shopbridge_test_connection(channel=other) is None


def test_a_pin_an_interrupted_attempt_created_is_found_by_its_tracked_link(pinterest, make_channel, post):
    from shopbridge_pinterest import plugin

    channel = make_channel()
    assert plugin.shopbridge_find_post(channel=channel, content=post()) is False  # never published
    published = plugin.shopbridge_publish_post(channel=channel, content=post())
    plugin.shopbridge_publish_post(channel=channel, content=post(post_id=43, link_url="https://shop.example/l/pin43"))

    found = plugin.shopbridge_find_post(channel=channel, content=post())

    assert found.remote_id == published.remote_id
    assert len(pinterest.pins) == 2  # looking never creates anything
