"""A dry-run channel records exact requests (secrets masked) and sends nothing; the plugin installs like any other."""

from __future__ import annotations

from importlib import metadata

from shopbridge_pinterest import plugin


def test_dry_run_records_the_exact_requests_with_secrets_masked_and_sends_nothing(pinterest, make_channel, post,
                                                                                  catalogue_item):
    outbox = []
    channel = make_channel(dry_run=True, recorder=outbox.append)

    result = plugin.shopbridge_publish_post(channel=channel, content=post())
    plugin.shopbridge_sync_catalogue(channel=channel, items=[catalogue_item(11)])
    plugin.shopbridge_delete_post(channel=channel, remote_id="1080000000000001")

    assert pinterest.received == []  # nothing reached Pinterest
    assert result.remote_id == "dry-run-post-42-channel-1"
    pin = outbox[0]
    assert (pin.method, pin.url) == ("POST", f"{pinterest.url}/pins")
    assert pin.headers["Authorization"] == "***"
    assert pin.body["link"] == "https://shop.example/l/pin42"
    assert pin.body["media_source"] == {"source_type": "image_url", "url": "https://shop.example/media/shirt.jpg"}
    assert [(r.method, r.url.removeprefix(pinterest.url)) for r in outbox] == [
        ("POST", "/pins"), ("POST", "/catalogs/items/batch"), ("GET", "/catalogs/items/batch/dryrunupsert"),
        ("DELETE", "/pins/1080000000000001")]
    recorded = repr(outbox)
    for secret in (pinterest.access_token, pinterest.refresh_token, pinterest.app_secret):
        assert secret not in recorded


def test_the_plugin_is_installed_through_its_entry_point():
    found = {ep.name: ep.value for ep in metadata.entry_points(group="shopbridge.plugins")}
    assert found.get("pinterest") == "shopbridge_pinterest.plugin"


def test_a_shop_lists_the_plugin_with_its_version_and_hooks(app):
    from shopbridge.plugins import describe

    row = next(r for r in describe(app) if r["name"] == "pinterest")
    assert row["distribution"] == "shopbridge-pinterest"
    assert row["version"] == metadata.version("shopbridge-pinterest")
    assert {"shopbridge_channel_types", "shopbridge_publish_post", "shopbridge_update_post",
            "shopbridge_delete_post", "shopbridge_sync_catalogue", "shopbridge_test_connection"} <= set(row["hooks"])
    types = [t for types in app.extensions["shopbridge.plugins"].hook.shopbridge_channel_types() for t in types]
    pinterest = next(t for t in types if t.name == "pinterest")
    assert {f.name for f in pinterest.settings if f.secret} == {"access_token", "refresh_token", "app_secret"}


def test_a_demo_channel_without_credentials_records_what_it_would_send(post):
    from shopbridge.channels import ChannelContext, PlatformHTTP

    outbox = []
    channel = ChannelContext(id=9, name="Demo Pinterest", type="pinterest", settings={},
                             http=PlatformHTTP(dry_run=True, recorder=outbox.append), dry_run=True)

    plugin.shopbridge_publish_post(channel=channel, content=post())

    assert outbox[0].url == "https://api.pinterest.com/v5/pins"
    assert outbox[0].body["board_id"] == "{board_id}" and outbox[0].headers["Authorization"] == "***"
