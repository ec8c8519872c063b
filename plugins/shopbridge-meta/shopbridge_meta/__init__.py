"""Facebook Pages and Instagram for shopbridge.

The hook implementations are gathered in :mod:`shopbridge_meta.plugin` (the ``shopbridge.plugins`` entry point
``meta``); :mod:`shopbridge_meta.fake` is a local Graph API that judges every request by Meta's published
reference, for tests and for trying the plugin without a Meta app.
"""

from shopbridge_meta.catalogue import batch_status
from shopbridge_meta.conversions import purchase_event, send_purchase
from shopbridge_meta.webhooks import signature

__all__ = ["batch_status", "purchase_event", "send_purchase", "signature"]
