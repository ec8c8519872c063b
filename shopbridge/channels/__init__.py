"""The public surface for platform plugins: value types, errors, the channel context and its HTTP client.

A plugin imports from here (and ``shopbridge.hookimpl``), never from shopbridge's internals.
"""

from shopbridge.channels.context import ChannelContext
from shopbridge.channels.errors import AuthError, PlatformError, RateLimited, WebhookSignatureError
from shopbridge.channels.http import PlatformHTTP, RecordedRequest
from shopbridge.channels.types import (
    Capability,
    CatalogueItem,
    ChannelType,
    ConnectionCheck,
    EventKind,
    InboundEvent,
    InboundRequest,
    ItemError,
    PostContent,
    PostOption,
    ProductInfo,
    PublishResult,
    Reply,
    SettingField,
    SyncResult,
    WebhookResponse,
)

__all__ = [
    "AuthError", "Capability", "CatalogueItem", "ChannelContext", "ChannelType", "ConnectionCheck", "EventKind",
    "InboundEvent", "InboundRequest", "ItemError", "PlatformError", "PlatformHTTP", "PostContent", "PostOption",
    "ProductInfo", "PublishResult", "RateLimited", "RecordedRequest", "Reply", "SettingField", "SyncResult",
    "WebhookResponse", "WebhookSignatureError",
]
