"""A thin Telegram Bot API client over the channel's :class:`~shopbridge.channels.PlatformHTTP`.

Every call is ``POST {api_base_url}/bot{token}/{method}`` with a JSON body (core.telegram.org/bots/api
"Making requests"). The token sits in the URL path, so it must be one of the channel's secrets: the outbox and
every log show ``/bot***/sendPhoto``. Telegram answers ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": ..., "description": ...}``; the latter becomes a :class:`PlatformError` a shop
owner can act on.
"""

from __future__ import annotations

import html
import re
import time
from typing import Any

from shopbridge.channels import AuthError, ChannelContext, PlatformError, RateLimited

DEFAULT_API_BASE = "https://api.telegram.org"

#: Telegram's own limits (core.telegram.org/bots/api: sendPhoto.caption 0-1024, sendMessage.text 1-4096
#: characters "after entities parsing"; sendInvoice.title 1-32, description 1-255; callback_data 1-64 bytes).
CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
INVOICE_TITLE_LIMIT = 32
INVOICE_DESCRIPTION_LIMIT = 255
CALLBACK_DATA_LIMIT = 64
#: Deep-link ``/start`` parameters: up to 64 characters of A-Z, a-z, 0-9, _ and - (core.telegram.org/bots/features#deep-linking).
START_PARAMETER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class TelegramAPI:
    """Calls Bot API methods for one channel."""

    def __init__(self, channel: ChannelContext):
        self.channel = channel
        self.token = str(channel.setting("bot_token", ""))
        self.base = str(channel.setting("api_base_url", DEFAULT_API_BASE)).rstrip("/")

    def call(self, method: str, params: dict[str, Any] | None = None, *, dry_run_result: Any = True) -> Any:
        """Call ``method`` and return its ``result``; raise a :class:`PlatformError` if Telegram refused."""
        if not self.token:
            raise AuthError("The Telegram bot token is missing: create a bot with @BotFather and paste its token.")
        response = self.channel.http.request(
            "POST", f"{self.base}/bot{self.token}/{method}", json_body=params or {},
            dry_run_response={"ok": True, "result": dry_run_result},
        )
        try:
            data = response.json()
        except ValueError:
            raise PlatformError(f"Telegram answered {method} with something that is not JSON "
                                f"(HTTP {response.status_code}).", status=response.status_code,
                                transient=True) from None
        if isinstance(data, dict) and data.get("ok") is True:
            return data.get("result")
        raise _error(method, data if isinstance(data, dict) else {}, response.status_code)

    # --- helpers for the messages we send ---------------------------------------------------------------

    def message_result(self, chat_id: Any, **fields: Any) -> dict[str, Any]:
        """What Telegram returns for a sent message, used as the dry-run answer so the normal path runs."""
        chat_type = "channel" if str(chat_id).startswith(("@", "-100")) else "private"
        return {"message_id": int(time.time() * 1000) % 2_000_000_000, "date": int(time.time()),
                "chat": {"id": chat_id if isinstance(chat_id, int) else -1000000000000, "type": chat_type},
                **fields}


def _error(method: str, data: dict[str, Any], status: int) -> PlatformError:
    code = data.get("error_code", status)
    description = str(data.get("description") or f"HTTP {status}")
    parameters = data.get("parameters") or {}
    if code == 429:
        return RateLimited(f"Telegram asks us to slow down ({description}).",
                           retry_after=parameters.get("retry_after"), code=str(code))
    if code in (401, 404) and "method not found" not in description.lower():
        # Telegram answers 401 Unauthorized for a revoked token and 404 Not Found for a malformed one.
        return AuthError("Telegram does not accept the bot token (it may have been revoked in @BotFather). "
                         "Paste the current token in the channel settings.", status=code, code=str(code))
    if code == 403:
        return PlatformError(f"Telegram refused: {description}. If this is the shop's channel, add the bot as an "
                             "administrator allowed to post messages.", status=code, code=str(code))
    if "chat not found" in description.lower():
        return PlatformError("Telegram cannot find that chat. Check the channel id (e.g. @mychannel or "
                             "-100…) and that the bot is a member.", status=code, code=str(code))
    return PlatformError(f"Telegram refused {method}: {description}", status=code, code=str(code),
                         transient=isinstance(code, int) and code >= 500)


# --- text for Telegram's HTML parse mode ------------------------------------------------------------------

def escape(text: str) -> str:
    """Escape text for ``parse_mode=HTML``: Telegram requires ``<``, ``>`` and ``&`` as entities."""
    return html.escape(text, quote=False)


def trim(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters on a word boundary, with an ellipsis when cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def html_caption(*, title: str = "", lines: tuple[str, ...] = (), body: str = "", limit: int = CAPTION_LIMIT) -> str:
    """Build an HTML caption (bold title, plain lines, then the body) whose *visible* text fits ``limit``.

    Telegram counts the limit after entity parsing, so the budget is spent on the text, then escaped; the body is
    what gets shortened.
    """
    head_plain = "\n".join([t for t in (title, *lines) if t])
    budget = limit - len(head_plain) - (2 if head_plain and body else 0)
    body = trim(body, budget) if budget > 0 else ""
    if len(head_plain) > limit:
        title = trim(title, max(1, limit - sum(len(line) + 1 for line in lines)))
    parts = [f"<b>{escape(title)}</b>"] if title else []
    parts += [escape(line) for line in lines if line]
    head = "\n".join(parts)
    return f"{head}\n\n{escape(body)}" if head and body else head or escape(body)


def url_button(text: str, url: str) -> dict[str, str]:
    return {"text": text, "url": url}


def callback_button(text: str, data: str) -> dict[str, str]:
    if len(data.encode()) > CALLBACK_DATA_LIMIT:
        raise ValueError(f"callback data {data!r} is longer than Telegram's 64 bytes")
    return {"text": text, "callback_data": data}


def keyboard(*rows: list[dict[str, str]]) -> dict[str, Any]:
    return {"inline_keyboard": [list(row) for row in rows if row]}


def start_link(bot_username: str, code: str) -> str:
    """``https://t.me/<bot>?start=<code>``: opens the bot on a product (QR codes on packaging, posters…).

    :raises ValueError: if ``code`` is not a valid deep-link parameter (64 characters of ``[A-Za-z0-9_-]``).
    """
    if not START_PARAMETER.match(code):
        raise ValueError(f"{code!r} cannot be a Telegram start parameter: use up to 64 letters, digits, _ or -")
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}"
