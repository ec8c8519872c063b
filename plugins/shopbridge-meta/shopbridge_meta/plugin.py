"""Facebook Page and Instagram channels: shoppable posts, catalogue, comments, checkout and conversions.

One plugin module declares both channel types because they share the Graph API, the app, the catalogue and the
webhook. The verbs live in small modules and are gathered here, where pluggy finds them:

- :mod:`shopbridge_meta.posts` — Page photo posts, Instagram's container → publish flow, captions;
- :mod:`shopbridge_meta.catalogue` — ``items_batch`` and ``check_batch_request_status``;
- :mod:`shopbridge_meta.webhooks` — ``hub.challenge``, ``X-Hub-Signature-256``, comments, replies;
- :mod:`shopbridge_meta.conversions` — Purchase events to the Conversions API;
- :mod:`shopbridge_meta.checkout` — the checkout URL Meta shops send shoppers to.
"""

from __future__ import annotations

from shopbridge import hookimpl
from shopbridge.channels import Capability, ChannelType, SettingField
from shopbridge_meta.catalogue import BATCH_SIZE, shopbridge_sync_catalogue
from shopbridge_meta.checkout import shopbridge_register_blueprints
from shopbridge_meta.conversions import shopbridge_order_event
from shopbridge_meta.graph import DEFAULT_GRAPH_URL, DEFAULT_VERSION
from shopbridge_meta.posts import (
    FACEBOOK,
    FACEBOOK_CAPTION_MAX,
    INSTAGRAM,
    INSTAGRAM_CAPTION_MAX,
    shopbridge_delete_post,
    shopbridge_find_post,
    shopbridge_publish_post,
    shopbridge_render_post_text,
    shopbridge_test_connection,
    shopbridge_update_post,
)
from shopbridge_meta.webhooks import shopbridge_parse_webhook, shopbridge_reply, shopbridge_webhook_challenge

__all__ = [
    "shopbridge_channel_types", "shopbridge_delete_post", "shopbridge_find_post", "shopbridge_order_event", "shopbridge_parse_webhook",
    "shopbridge_publish_post", "shopbridge_register_blueprints", "shopbridge_render_post_text", "shopbridge_reply",
    "shopbridge_sync_catalogue", "shopbridge_test_connection", "shopbridge_update_post",
    "shopbridge_webhook_challenge",
]

_TOKEN_HELP = ("A long-lived Page access token (Graph API Explorer or your app's Facebook Login, then "
               "GET /me/accounts); it carries the permissions listed in docs/plugins/meta.md.")

_SHARED = (
    SettingField("app_secret", "App secret", "secret",
                 help="Your Meta app's secret (App settings > Basic): signs webhooks and API calls."),
    SettingField("verify_token", "Webhook verify token", "secret", required=False,
                 help="Any random text; paste the same into the app's Webhooks settings."),
    SettingField("catalog_id", "Catalogue id", "string", required=False, pattern=r"^\d+$",
                 help="Commerce Manager > Catalogue > Settings; products are synced into it."),
    SettingField("pixel_id", "Pixel (dataset) id", "string", required=False, pattern=r"^\d+$",
                 help="Events Manager; with a Conversions API token, paid orders are reported as Purchase."),
    SettingField("capi_token", "Conversions API token", "secret", required=False,
                 help="Events Manager > your pixel > Settings > Generate access token."),
    SettingField("graph_version", "Graph API version", "string", default=DEFAULT_VERSION, pattern=r"^v\d+\.\d+$"),
    SettingField("graph_url", "Graph API URL", "url", required=False, default=DEFAULT_GRAPH_URL,
                 help="Leave as is; tests point it at a local stand-in."),
)


@hookimpl
def shopbridge_channel_types() -> list[ChannelType]:
    catalogue_and_comments = {Capability.sync_catalogue, Capability.listening}
    return [
        ChannelType(
            name=FACEBOOK, label="Facebook Page",
            settings=(SettingField("page_id", "Page id", pattern=r"^\d+$",
                                   help="Your Page > About > Page transparency, or GET /me/accounts."),
                      SettingField("access_token", "Page access token", "secret", help=_TOKEN_HELP), *_SHARED),
            capabilities=frozenset({Capability.publish_posts, Capability.update_posts, Capability.delete_posts,
                                    *catalogue_and_comments}),
            caption_limit=FACEBOOK_CAPTION_MAX, catalogue_batch_size=BATCH_SIZE,
            description="Photo posts on your Facebook Page with a buy link; comments become conversations.",
        ),
        ChannelType(
            name=INSTAGRAM, label="Instagram",
            settings=(SettingField("ig_user_id", "Instagram professional account id", pattern=r"^\d+$",
                                   help="GET /{page-id}?fields=instagram_business_account"),
                      SettingField("access_token", "Page access token", "secret", help=_TOKEN_HELP),
                      SettingField("page_id", "Facebook Page id", required=False, pattern=r"^\d+$",
                                   help="The Page your Instagram account is linked to."),
                      *_SHARED),
            capabilities=frozenset({Capability.publish_posts, Capability.delete_posts, *catalogue_and_comments}),
            caption_limit=INSTAGRAM_CAPTION_MAX, catalogue_batch_size=BATCH_SIZE,
            description="Feed posts on your Instagram professional account, with product tags from your catalogue.",
        ),
    ]
