"""What a plugin's hook receives as ``channel``: one connected channel, ready to use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shopbridge.channels.http import PlatformHTTP


@dataclass
class ChannelContext:
    """A configured channel: its type, decrypted settings, an HTTP client, and a way to save new tokens.

    ``settings`` holds plain values, secrets included (decrypted for this call only; never log them). When a
    plugin refreshes an access token it calls ``save_settings({"access_token": new})`` so the new value is
    encrypted and kept. ``dry_run`` is true when requests are recorded in the outbox instead of sent.
    """

    id: int
    name: str
    type: str
    settings: dict[str, Any]
    http: PlatformHTTP
    dry_run: bool = False
    webhook_url: str | None = None  # the absolute URL platforms must call for this channel's webhooks
    shop_name: str = ""
    shop_url: str = ""
    save_settings: Callable[[dict[str, Any]], None] = field(default=lambda changes: None)

    def setting(self, name: str, default: Any = None) -> Any:
        value = self.settings.get(name)
        return default if value in (None, "") else value
