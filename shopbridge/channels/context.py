"""What a plugin's hook receives as ``channel``: one connected channel, ready to use."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shopbridge.channels.http import PlatformHTTP


@dataclass
class ChannelContext:
    """A configured channel: its type, decrypted settings, an HTTP client, and a way to save new tokens.

    ``settings`` holds plain values, secrets included (decrypted for this call only; never log them). When a
    plugin refreshes an access token it calls :meth:`renew` (or, for values no other worker competes for,
    ``save_settings({...})``) so the new value is encrypted and kept. ``dry_run`` is true when requests are
    recorded in the outbox instead of sent.
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
    #: Set by the shop (see :func:`shopbridge.channels.service.context_for`): runs :meth:`renew` under the stored
    #: channel's row lock. Plugin tests that build a context by hand get the plain in-process behaviour.
    renewer: Callable[..., dict[str, Any]] | None = None

    def setting(self, name: str, default: Any = None) -> Any:
        value = self.settings.get(name)
        return default if value in (None, "") else value

    def renew(self, stale: Mapping[str, Any], fetch: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
        """Renew credentials once, however many workers notice at the same time that they expired.

        ``stale`` holds the values that stopped working (e.g. ``{"access_token": old}``); ``fetch(settings)``
        asks the platform for new ones and returns the changes to keep (e.g. a new access and refresh token).
        With the shop's database behind the context, this runs under a lock on the stored channel: the first
        worker calls ``fetch`` and commits the new values at once (they survive even if the caller's own work is
        rolled back); a worker that waited finds them changed, skips ``fetch`` and uses them. That matters for
        platforms whose refresh tokens are single-use (Pinterest's continuous refresh): two refreshes with the
        same token would disconnect the channel.

        :returns: the values now in force (``self.settings`` is updated too).
        """
        if self.renewer is not None:
            current = self.renewer(stale, fetch)
        else:
            current = fetch(dict(self.settings))
            self.save_settings(current)
        self.settings.update(current)
        # New secrets must be masked in recorded requests like the old ones.
        self.http.secrets = tuple(self.http.secrets) + tuple(v for v in current.values() if isinstance(v, str) and v)
        return current
