"""Example Social: a minimal third-party channel plugin (publishes a post with one JSON request)."""

from shopbridge import hookimpl
from shopbridge.channels import (
    Capability,
    ChannelType,
    ConnectionCheck,
    PlatformError,
    PublishResult,
    SettingField,
)

EXAMPLE = ChannelType(
    name="example_social",
    label="Example Social",
    settings=(SettingField("handle", "Handle", pattern=r"^@\w+$", help="Your @handle."),
              SettingField("api_key", "API key", kind="secret")),
    capabilities=frozenset({Capability.publish_posts}),
    caption_limit=80,
)


@hookimpl
def shopbridge_channel_types():
    return [EXAMPLE]


@hookimpl
def shopbridge_test_connection(channel):
    if channel.type != EXAMPLE.name:
        return None
    return ConnectionCheck(ok=True, detail=f"Ready to post as {channel.setting('handle')}")


@hookimpl
def shopbridge_publish_post(channel, content):
    if channel.type != EXAMPLE.name:
        return None
    response = channel.http.request(
        "POST", "https://api.example-social.test/statuses",
        headers={"X-Api-Key": channel.setting("api_key", ""), "Idempotency-Key": content.idempotency_key},
        json_body={"status": content.text, "media": content.image_url},
        dry_run_response={"id": "dry-run"},
    )
    if response.status_code >= 400:
        raise PlatformError(f"Example Social said HTTP {response.status_code}", status=response.status_code)
    return PublishResult(remote_id=str(response.json()["id"]))
