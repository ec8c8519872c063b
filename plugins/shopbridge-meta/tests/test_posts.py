"""A shop posts a product on its Facebook Page and on Instagram, against a Graph API that checks every request."""

from __future__ import annotations

import json

import pytest

from shopbridge.channels import AuthError, PlatformError, RateLimited
from shopbridge.plugins import get_plugin_manager
from shopbridge_meta import posts
from shopbridge_meta.posts import instagram_caption


@pytest.fixture
def hook():
    return get_plugin_manager().hook


def test_a_facebook_post_is_a_page_photo_with_the_tracked_link_in_its_caption(graph, make_channel, post, hook):
    result = hook.shopbridge_publish_post(channel=make_channel(), content=post())

    sent = graph.posts[result.remote_id]
    assert sent["url"] == "https://shop.example/media/mug.jpg"
    assert sent["message"] == "Our red mug is back!\n\nhttps://shop.example/l/fb42"
    assert sent["published"] == "true"
    assert result.remote_id.startswith(f"{graph.page_id}_")
    assert result.url == f"https://www.facebook.com/{result.remote_id}"
    request = graph.requests_to("POST", f"/v25.0/{graph.page_id}/photos")[0]
    assert request.headers["Authorization"] == f"Bearer {graph.access_token}"


def test_a_facebook_post_can_be_edited_and_deleted(graph, make_channel, post, hook):
    channel = make_channel()
    post_id = hook.shopbridge_publish_post(channel=channel, content=post()).remote_id

    hook.shopbridge_update_post(channel=channel, content=post(text="Back in red and blue!"), remote_id=post_id)
    assert graph.posts[post_id]["message"] == "Back in red and blue!\n\nhttps://shop.example/l/fb42"

    assert hook.shopbridge_delete_post(channel=channel, remote_id=post_id) is True
    assert post_id not in graph.posts
    assert hook.shopbridge_delete_post(channel=channel, remote_id=post_id) is True  # already gone: fine


def test_instagram_creates_a_container_waits_for_it_then_publishes(graph, make_channel, post, hook):
    graph.container_polls_until_finished = 2
    channel = make_channel("instagram", catalog_id="")
    result = hook.shopbridge_publish_post(channel=channel, content=post(text="Our red mug is back!"))

    media = graph.media[result.remote_id]
    assert media["image_url"] == "https://shop.example/media/mug.jpg"
    assert media["caption"] == "Our red mug is back!"
    container = result.raw["container_id"]
    status_reads = graph.requests_to("GET", f"/{container}")
    assert len(status_reads) == 3 and status_reads[0].params["fields"] == "status_code,status"
    order = [r.path.rsplit("/", 1)[-1] for r in graph.received]
    assert order == ["media", container, container, container, "media_publish"]
    assert graph.requests_to("POST", "/media_publish")[0].params["creation_id"] == container


def test_instagram_tags_the_products_that_are_in_the_connected_catalogue(graph, make_channel, post,
                                                                         catalogue_item, hook):
    channel = make_channel("instagram")
    hook.shopbridge_sync_catalogue(channel=channel, items=[catalogue_item(11)])

    result = hook.shopbridge_publish_post(channel=channel, content=post(options={"catalogue_item_ids": ["sb-v11"]}))

    tags = graph.media[result.remote_id]["product_tags"]
    assert tags == [{"product_id": graph.catalogue_product_ids["sb-v11"], "x": 0.5, "y": 0.3}]
    search = graph.requests_to("GET", "/catalog_product_search")[0]
    assert search.params["catalog_id"] == graph.catalog_id and search.params["q"] == "sb-v11"


def test_a_product_not_in_the_catalogue_is_posted_without_a_tag(graph, make_channel, post, hook):
    result = hook.shopbridge_publish_post(channel=make_channel("instagram"), content=post())
    assert graph.media[result.remote_id]["product_tags"] == []


def test_an_image_instagram_cannot_use_fails_the_post_with_a_reason(graph, make_channel, post, hook):
    graph.container_outcome = "ERROR"
    with pytest.raises(PlatformError, match="Instagram could not use the image") as caught:
        hook.shopbridge_publish_post(channel=make_channel("instagram"), content=post())
    assert not caught.value.transient
    assert graph.media == {} and graph.requests_to("POST", "/media_publish") == []


def test_a_container_still_processing_is_retried_later_not_published(graph, make_channel, post, hook,
                                                                     monkeypatch):
    monkeypatch.setattr(posts, "CONTAINER_POLLS", 2)
    graph.container_polls_until_finished = 5
    with pytest.raises(PlatformError, match="still processing") as caught:
        hook.shopbridge_publish_post(channel=make_channel("instagram"), content=post())
    assert caught.value.transient
    assert graph.requests_to("POST", "/media_publish") == []


def test_instagram_captions_say_link_in_bio_and_keep_to_30_hashtags_and_2200_characters(make_channel, hook):
    channel = make_channel("instagram")
    text = hook.shopbridge_render_post_text(
        channel=channel, link_url="https://shop.example/l/ig42",
        post={"caption": "Our red mug https://shop.example/p/red-mug is back " + "really " * 400,
              "hashtags": [f"tag{n}" for n in range(40)] + ["#tag1"], "title": "Red mug", "products": []})

    assert len(text) <= 2200
    assert "https://" not in text
    assert "link in our bio to shop (shop.example)" in text
    assert text.count("#") == 30
    assert "#tag0 #tag1" in text and "#tag30" not in text

    # Hashtags written in the caption count too.
    inline = instagram_caption("Mugs #one #two", [f"t{n}" for n in range(40)], "")
    assert inline.count("#") == 30
    # Facebook keeps shopbridge's default rendering (links are clickable there).
    assert posts.shopbridge_render_post_text(channel=make_channel(), post={"caption": "x", "hashtags": []},
                                             link_url="https://shop.example/l/1") is None


def test_http_429_is_reported_with_its_retry_after(graph, make_channel, post, hook):
    graph.fail_next("POST", "/photos", 429, headers={"Retry-After": "120"})
    with pytest.raises(RateLimited) as caught:
        hook.shopbridge_publish_post(channel=make_channel(), content=post())
    assert caught.value.retry_after == 120
    assert graph.posts == {}


def test_graph_throttling_codes_are_rate_limits_with_the_time_meta_suggests(graph, make_channel, post, hook):
    usage = {graph.page_id: [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 5}]}
    graph.fail_next("POST", "/photos", 400, headers={"X-Business-Use-Case-Usage": json.dumps(usage)},
                    body={"error": {"message": "(#32) Page request limit reached", "type": "OAuthException",
                                    "code": 32, "fbtrace_id": "x"}})
    with pytest.raises(RateLimited) as caught:
        hook.shopbridge_publish_post(channel=make_channel(), content=post())
    assert caught.value.retry_after == 300 and caught.value.code == "32"


def test_instagrams_daily_publishing_limit_waits_instead_of_failing(graph, make_channel, post, hook):
    graph.fail_next("POST", "/media_publish", 400, body={"error": {
        "message": "Application request limit reached", "type": "OAuthException", "code": 9,
        "error_subcode": 2207042, "fbtrace_id": "x"}})
    with pytest.raises(RateLimited, match="50 posts a day") as caught:
        hook.shopbridge_publish_post(channel=make_channel("instagram"), content=post())
    assert caught.value.retry_after == 3600 and graph.media == {}


def test_an_expired_page_token_asks_the_owner_for_a_new_one(graph, make_channel, post, hook):
    graph.expire_token()
    with pytest.raises(AuthError, match="Generate a new Page access token") as caught:
        hook.shopbridge_publish_post(channel=make_channel(), content=post())
    assert caught.value.code == "190:463" and not caught.value.transient


def test_test_connection_names_the_page_and_the_instagram_account(graph, make_channel, hook):
    assert hook.shopbridge_test_connection(channel=make_channel()).detail == (
        "Connected to the Facebook Page “Acme Shop”.")
    check = hook.shopbridge_test_connection(channel=make_channel("instagram"))
    assert check.ok and "@acme.shop" in check.detail
    graph.expire_token()
    broken = hook.shopbridge_test_connection(channel=make_channel())
    assert not broken.ok and "Generate a new Page access token" in broken.detail


def test_dry_run_records_the_exact_requests_with_secrets_masked_and_sends_nothing(graph, make_channel, post):
    outbox = []
    channel = make_channel("instagram", dry_run=True, recorder=outbox.append)

    result = posts.shopbridge_publish_post(channel=channel, content=post())

    assert graph.received == []
    assert result.remote_id == "dry-run-post-42-channel-1"
    assert [(r.method, r.url.split("?")[0].removeprefix(graph.url)) for r in outbox] == [
        ("POST", f"/v25.0/{graph.ig_user_id}/media"), ("GET", "/v25.0/17000000000000000"),
        ("POST", f"/v25.0/{graph.ig_user_id}/media_publish")]
    assert outbox[0].body["image_url"] == "https://shop.example/media/mug.jpg"
    assert outbox[0].headers["Authorization"] == "***"
    recorded = repr(outbox)
    assert graph.access_token not in recorded and graph.app_secret not in recorded


@pytest.mark.parametrize("kind", ["facebook_page", "instagram"])
def test_a_post_an_interrupted_attempt_created_is_found_before_retrying(graph, make_channel, post, kind):
    channel = make_channel(kind, catalog_id="")
    assert posts.shopbridge_find_post(channel=channel, content=post()) is False
    published = posts.shopbridge_publish_post(channel=channel, content=post())
    posts.shopbridge_publish_post(channel=channel, content=post(post_id=43, text="Blue mug!",
                                                                link_url="https://shop.example/l/fb43"))

    found = posts.shopbridge_find_post(channel=channel, content=post())

    assert found.remote_id == published.remote_id


@pytest.mark.parametrize("kind", ["facebook_page", "instagram"])
def test_a_demo_channel_without_credentials_records_what_it_would_send(post, catalogue_item, kind):
    from shopbridge.channels import ChannelContext, PlatformHTTP
    from shopbridge_meta import catalogue

    outbox = []
    channel = ChannelContext(id=9, name="Demo", type=kind, settings={}, dry_run=True,
                             http=PlatformHTTP(dry_run=True, recorder=outbox.append))

    posts.shopbridge_publish_post(channel=channel, content=post())
    catalogue.shopbridge_sync_catalogue(channel=channel, items=[catalogue_item(11)])

    first = outbox[0].url.split("?")[0]
    assert first == ("https://graph.facebook.com/v25.0/{page_id}/photos" if kind == "facebook_page"
                     else "https://graph.facebook.com/v25.0/{ig_user_id}/media")
    assert any(r.url.startswith("https://graph.facebook.com/v25.0/{catalog_id}/items_batch") for r in outbox)
