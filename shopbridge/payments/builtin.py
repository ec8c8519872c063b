"""The built-in payment providers, registered through the same hook a third-party plugin uses."""

from __future__ import annotations

import pluggy

from shopbridge.payments.sandbox import SandboxProvider
from shopbridge.payments.stripe_provider import StripeProvider

hookimpl = pluggy.HookimplMarker("shopbridge")


@hookimpl
def shopbridge_payment_providers():
    return [SandboxProvider, StripeProvider]
