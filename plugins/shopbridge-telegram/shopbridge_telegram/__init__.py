"""Telegram for shopbridge: product posts in a channel, a shop bot with deep links, and payment inside the chat.

The hooks below are thin: the Bot API client lives in :mod:`.api`, the bot's conversation in :mod:`.bot`, and
what the bot needs from the shop in :mod:`.shop` (a protocol shopbridge's core implements).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime
from typing import Any

from shopbridge import hookimpl
from shopbridge.channels import (
    Capability,
    ChannelContext,
    ChannelType,
    ConnectionCheck,
    EventKind,
    InboundEvent,
    InboundRequest,
    PlatformError,
    PostContent,
    PublishResult,
    Reply,
    SettingField,
    WebhookSignatureError,
)
from shopbridge_telegram import bot
from shopbridge_telegram.api import (
    CAPTION_LIMIT,
    DEFAULT_API_BASE,
    TEXT_LIMIT,
    TelegramAPI,
    escape,
    keyboard,
    trim,
    url_button,
)

TYPE = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: The updates the bot acts on; everything else is not sent to us (setWebhook allowed_updates).
ALLOWED_UPDATES = ["message", "callback_query", "pre_checkout_query"]

CHANNEL_TYPE = ChannelType(
    name=TYPE,
    label="Telegram",
    description="Post products to a Telegram channel and sell through a bot, with payment inside the chat.",
    settings=(
        SettingField("bot_token", "Bot token", kind="secret",
                     help="From @BotFather (/newbot), e.g. 123456789:AA…", pattern=r"^\d+:[A-Za-z0-9_-]{30,}$"),
        SettingField("channel_id", "Channel", required=False,
                     help="Where product posts go: @mychannel, or the numeric id -100… of a private channel. "
                          "The bot must be an administrator allowed to post.",
                     pattern=r"^(@[A-Za-z][A-Za-z0-9_]{3,}|-100\d{5,})$"),
        SettingField("webhook_secret", "Webhook secret token", kind="secret", required=False,
                     help="Telegram sends it with every update so the shop knows the update is genuine. Leave "
                          "empty: one is generated when you test the connection.",
                     pattern=r"^[A-Za-z0-9_-]{1,256}$"),
        SettingField("payment_provider_token", "Payment provider token", kind="secret", required=False,
                     help="From @BotFather → Payments (e.g. Stripe). Without it, shoppers buy on the shop's "
                          "checkout page instead of inside the chat."),
        SettingField("bot_username", "Bot username", required=False,
                     help="Filled in by “Test connection”; used for t.me deep links and QR codes."),
        SettingField("api_base_url", "Bot API base URL", kind="url", required=False, default=DEFAULT_API_BASE,
                     help="Only change this for a self-hosted Bot API server."),
    ),
    capabilities=frozenset({Capability.publish_posts, Capability.update_posts, Capability.delete_posts,
                            Capability.messaging, Capability.payments_in_chat}),
    caption_limit=CAPTION_LIMIT,
)


@hookimpl
def shopbridge_channel_types():
    return [CHANNEL_TYPE]


# --- connection -------------------------------------------------------------------------------------------

@hookimpl
def shopbridge_test_connection(channel: ChannelContext):
    if channel.type != TYPE:
        return None
    api = TelegramAPI(channel)
    me = api.call("getMe", dry_run_result={"id": 123456789, "is_bot": True, "first_name": channel.shop_name or "Shop",
                                           "username": channel.setting("bot_username") or "shop_bot"})
    username = me.get("username", "")
    changes: dict[str, Any] = {}
    if username and username != channel.setting("bot_username"):
        changes["bot_username"] = username
    detail = f"Connected as @{username}."
    if channel.webhook_url:
        secret = channel.setting("webhook_secret") or secrets.token_urlsafe(32)
        if secret != channel.setting("webhook_secret"):
            changes["webhook_secret"] = secret
        set_webhook(api, channel.webhook_url, secret)
        detail += " Updates now arrive at the shop's webhook."
    if changes:
        channel.save_settings(changes)
        channel.settings.update(changes)
    if not channel.setting("payment_provider_token"):
        detail += " No payment provider token: shoppers are sent to the shop's checkout to pay."
    return ConnectionCheck(ok=True, detail=detail)


def set_webhook(api: TelegramAPI, url: str, secret: str) -> None:
    """Point the bot's updates at ``url``; Telegram will send ``secret`` in a header with every update."""
    if not url.startswith("https://"):
        # Telegram only delivers to HTTPS addresses (setWebhook: "HTTPS URL to send updates to").
        raise PlatformError(f"Telegram only sends updates to an https:// address, and the shop's webhook is {url}. "
                            "Set BASE_URL to the shop's public https:// address, then test the connection again.")
    api.call("setWebhook", {"url": url, "secret_token": secret, "allowed_updates": ALLOWED_UPDATES,
                            "max_connections": 40})


# --- posts in the channel -----------------------------------------------------------------------------------

@hookimpl
def shopbridge_render_post_text(channel: ChannelContext, post: dict, link_url: str):
    """Caption and hashtags; the link goes in the post's button, not the text."""
    if channel.type != TYPE:
        return None
    tags = " ".join(f"#{tag.lstrip('#')}" for tag in post.get("hashtags") or [])
    caption = str(post.get("caption") or post.get("title") or "").strip()
    if not tags:
        return trim(caption, CAPTION_LIMIT)
    return trim(caption, CAPTION_LIMIT - len(tags) - 2) + "\n\n" + tags


def _post_markup(content: PostContent) -> dict[str, Any]:
    label = content.options.get("button_text") or "Buy now"
    return keyboard([url_button(str(label)[:64], content.link_url)])


@hookimpl
def shopbridge_publish_post(channel: ChannelContext, content: PostContent):
    if channel.type != TYPE:
        return None
    chat_id = _channel_chat(channel)
    api = TelegramAPI(channel)
    if content.image_url:
        caption = escape(trim(content.text, CAPTION_LIMIT))
        message = api.call("sendPhoto", {"chat_id": chat_id, "photo": content.image_url, "caption": caption,
                                         "parse_mode": "HTML", "reply_markup": _post_markup(content)},
                           dry_run_result=api.message_result(chat_id, caption=content.text))
    else:
        text = escape(trim(content.text or content.title, TEXT_LIMIT))
        message = api.call("sendMessage", {"chat_id": chat_id, "text": text, "parse_mode": "HTML",
                                           "reply_markup": _post_markup(content)},
                           dry_run_result=api.message_result(chat_id, text=content.text))
    message_id = message["message_id"]
    url = f"https://t.me/{chat_id[1:]}/{message_id}" if str(chat_id).startswith("@") else None
    return PublishResult(remote_id=f"{chat_id}:{message_id}", url=url, raw=message)


@hookimpl
def shopbridge_update_post(channel: ChannelContext, content: PostContent, remote_id: str):
    if channel.type != TYPE:
        return None
    chat_id, message_id = _split_remote_id(remote_id)
    api = TelegramAPI(channel)
    method, field, limit = (("editMessageCaption", "caption", CAPTION_LIMIT) if content.image_url
                            else ("editMessageText", "text", TEXT_LIMIT))
    try:
        api.call(method, {"chat_id": chat_id, "message_id": message_id,
                          field: escape(trim(content.text, limit)), "parse_mode": "HTML",
                          "reply_markup": _post_markup(content)})
    except PlatformError as exc:
        if "message is not modified" not in exc.message:  # the same text again is success, not failure
            raise
    return PublishResult(remote_id=remote_id)


@hookimpl
def shopbridge_delete_post(channel: ChannelContext, remote_id: str):
    if channel.type != TYPE:
        return None
    chat_id, message_id = _split_remote_id(remote_id)
    try:
        TelegramAPI(channel).call("deleteMessage", {"chat_id": chat_id, "message_id": message_id})
    except PlatformError as exc:
        lowered = exc.message.lower()
        if "message to delete not found" in lowered:
            return True  # already gone
        if "can't be deleted" in lowered:
            raise PlatformError("Telegram no longer lets the bot delete this post (bots can delete messages "
                                "only for 48 hours). Delete it in the Telegram app.", status=exc.status,
                                code=exc.code) from None
        raise
    return True


def _channel_chat(channel: ChannelContext) -> str:
    chat_id = channel.setting("channel_id")
    if not chat_id:
        raise PlatformError("This Telegram channel has no channel id: set @yourchannel (or -100…) in its settings.")
    return str(chat_id)


def _split_remote_id(remote_id: str) -> tuple[Any, int]:
    chat, _, message = remote_id.rpartition(":")
    return (int(chat) if chat.lstrip("-").isdigit() else chat), int(message)


# --- webhooks -----------------------------------------------------------------------------------------------

@hookimpl
def shopbridge_parse_webhook(channel: ChannelContext, request: InboundRequest):
    if channel.type != TYPE:
        return None
    expected = str(channel.setting("webhook_secret", ""))
    given = request.header(SECRET_HEADER) or ""
    # Constant-time comparison; with no secret configured nothing is accepted (anyone could post updates).
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise WebhookSignatureError("The Telegram secret token is missing or wrong.")
    try:
        update = request.json()
    except ValueError:
        return []
    return list(updates_to_events(update)) if isinstance(update, dict) else []


def updates_to_events(update: dict[str, Any]):
    """Turn one Telegram ``Update`` into normalised events (none for update types the shop ignores)."""
    update_id = update.get("update_id")
    if message := update.get("message"):
        sender = message.get("from") or {}
        chat = message.get("chat") or {}
        common = dict(author_id=str(sender.get("id", "")), author_name=_name(sender),
                      thread_id=str(chat.get("id", "")), occurred_at=_when(message.get("date")))
        if payment := message.get("successful_payment"):
            # Keyed by Telegram's charge id, so the same payment is never processed twice, whatever the update id.
            yield InboundEvent(kind=EventKind.payment, external_id=f"payment:{payment['telegram_payment_charge_id']}",
                               text=payment.get("invoice_payload", ""),
                               payload={"type": "successful_payment", "update": update}, **common)
        elif "text" in message or "caption" in message:
            yield InboundEvent(kind=EventKind.message, external_id=f"update:{update_id}",
                               text=message.get("text") or message.get("caption") or "",
                               payload={"type": "message", "update": update}, **common)
    elif query := update.get("callback_query"):
        sender = query.get("from") or {}
        chat = ((query.get("message") or {}).get("chat")) or {}
        yield InboundEvent(kind=EventKind.postback, external_id=f"update:{update_id}",
                           author_id=str(sender.get("id", "")), author_name=_name(sender),
                           thread_id=str(chat.get("id") or sender.get("id", "")), text=query.get("data") or "",
                           payload={"type": "callback_query", "update": update})
    elif query := update.get("pre_checkout_query"):
        sender = query.get("from") or {}
        yield InboundEvent(kind=EventKind.postback, external_id=f"update:{update_id}",
                           author_id=str(sender.get("id", "")), author_name=_name(sender),
                           thread_id=str(sender.get("id", "")), text=query.get("invoice_payload", ""),
                           payload={"type": "pre_checkout_query", "update": update},
                           urgent=True)  # Telegram gives up on the payment after 10 seconds without an answer


def _name(user: dict[str, Any]) -> str:
    return " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p) or user.get("username", "")


def _when(timestamp: Any) -> datetime | None:
    return datetime.fromtimestamp(int(timestamp), UTC) if timestamp else None


# --- conversation -----------------------------------------------------------------------------------------

@hookimpl
def shopbridge_reply(channel: ChannelContext, event: InboundEvent, reply: Reply):
    if channel.type != TYPE:
        return None
    chat_id = event.thread_id or event.author_id
    api = TelegramAPI(channel)
    if reply.product is not None and reply.link_url:
        message = bot.send_product_card(api, chat_id, reply.product, reply.link_url, intro=reply.text,
                                        can_pay=False)
    else:
        text = reply.text + (f"\n{reply.link_url}" if reply.link_url and reply.link_url not in reply.text else "")
        message = bot.send_text(api, chat_id, text)
    return PublishResult(remote_id=f"{chat_id}:{message['message_id']}", raw=message)


@hookimpl
def shopbridge_inbound_event(channel: ChannelContext, event: InboundEvent, shop):
    if channel.type != TYPE:
        return None
    bot.handle(channel, event, shop)
    return None


# --- command line -----------------------------------------------------------------------------------------

@hookimpl
def shopbridge_cli_commands():
    import click

    @click.group("telegram", help="Telegram helpers.")
    def group():
        pass

    @group.command("start-link")
    @click.argument("bot")
    @click.argument("code")
    @click.option("--qr", "qr_path", type=click.Path(dir_okay=False, writable=True),
                  help="Also write the link as a QR code (PNG) to this file.")
    def start_link_command(bot: str, code: str, qr_path: str | None):
        """Print the t.me link that opens BOT on the product CODE (slug, id or short code)."""
        from shopbridge_telegram.api import start_link

        try:
            link = start_link(bot, code)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="CODE") from None
        if qr_path:
            import qrcode

            qrcode.make(link, border=2).save(qr_path)
        click.echo(link)

    return [group]
