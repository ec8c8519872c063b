"""Pinterest for shopbridge.

The hook implementations live in :mod:`shopbridge_pinterest.plugin` (the ``shopbridge.plugins`` entry point);
:mod:`shopbridge_pinterest.fake` is a local stand-in for Pinterest's API v5 that judges every request by the
published OpenAPI document, for tests and for trying the plugin without a Pinterest account.
"""

from shopbridge_pinterest.plugin import batch_status, list_boards, register_feed

__all__ = ["batch_status", "list_boards", "register_feed"]
