"""A local fake of the Telegram Bot API that judges every request by Telegram's published reference.

The rules below are transcribed from the Bot API reference (https://core.telegram.org/bots/api, Bot API 10.1;
the machine-readable form is github.com/PaulSonOfLars/telegram-bot-api-spec): method names, required
parameters, their types, enums and length limits. A request that breaks them gets Telegram's own error shape
(``{"ok": false, "error_code": 400, "description": "Bad Request: ..."}``) AND is recorded as a violation, which
the ``telegram_api`` fixture turns into a test failure at teardown.

The fake is stricter than Telegram in one way: unknown parameters are violations (Telegram silently ignores
them, which would hide a misspelt ``captoin``).
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
from html.parser import HTMLParser
from typing import Any

from jsonschema import Draft202012Validator
from werkzeug.wrappers import Request, Response

from shopbridge.testing_http import LoopbackServer

CHAT_ID = {"type": ["integer", "string"]}  # "Integer or String" (a username like @channel)
PARSE_MODE = {"enum": ["HTML", "MarkdownV2", "Markdown"]}  # "Formatting options"

TYPES: dict[str, Any] = {
    # https://core.telegram.org/bots/api#inlinekeyboardbutton
    "InlineKeyboardButton": {
        "type": "object", "additionalProperties": False, "required": ["text"],
        "properties": {
            "text": {"type": "string", "minLength": 1},
            "url": {"type": "string", "pattern": r"^(https?|tg)://"},  # "HTTP or tg:// URL"
            "callback_data": {"type": "string"},  # 1-64 bytes, checked below (bytes, not characters)
            "pay": {"type": "boolean"},
            "switch_inline_query": {"type": "string"},
            "copy_text": {"type": "object"},
            "web_app": {"type": "object"},
            "login_url": {"type": "object"},
            "style": {"enum": ["danger", "success", "primary"]},
        },
    },
    # https://core.telegram.org/bots/api#inlinekeyboardmarkup
    "InlineKeyboardMarkup": {
        "type": "object", "additionalProperties": False, "required": ["inline_keyboard"],
        "properties": {"inline_keyboard": {"type": "array", "items": {
            "type": "array", "items": {"$ref": "#/$defs/InlineKeyboardButton"}}}},
    },
    # https://core.telegram.org/bots/api#labeledprice: amount in the smallest units of the currency (integer)
    "LabeledPrice": {
        "type": "object", "additionalProperties": False, "required": ["label", "amount"],
        "properties": {"label": {"type": "string", "minLength": 1}, "amount": {"type": "integer"}},
    },
}


def _method(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": required, "properties": properties,
            "$defs": TYPES}


MARKUP = {"$ref": "#/$defs/InlineKeyboardMarkup"}

METHODS: dict[str, dict[str, Any]] = {
    "getMe": _method([]),  # #getme
    # #setwebhook: url required; secret_token 1-256 characters A-Z, a-z, 0-9, _ and -
    "setWebhook": _method(["url"], url={"type": "string"}, secret_token={
        "type": "string", "pattern": r"^[A-Za-z0-9_-]{1,256}$"}, max_connections={
        "type": "integer", "minimum": 1, "maximum": 100}, allowed_updates={"type": "array", "items": {
            "type": "string"}}, drop_pending_updates={"type": "boolean"}, ip_address={"type": "string"}),
    "deleteWebhook": _method([], drop_pending_updates={"type": "boolean"}),
    "getWebhookInfo": _method([]),
    # #sendmessage: text 1-4096 characters after entities parsing (length checked after parsing below)
    "sendMessage": _method(["chat_id", "text"], chat_id=CHAT_ID, text={"type": "string"}, parse_mode=PARSE_MODE,
                           reply_markup=MARKUP, disable_notification={"type": "boolean"},
                           protect_content={"type": "boolean"}, link_preview_options={"type": "object"},
                           reply_parameters={"type": "object"}),
    # #sendphoto: photo is a file_id or an HTTP URL (String); caption 0-1024 after entities parsing
    "sendPhoto": _method(["chat_id", "photo"], chat_id=CHAT_ID, photo={"type": "string", "minLength": 1},
                         caption={"type": "string"}, parse_mode=PARSE_MODE, reply_markup=MARKUP,
                         show_caption_above_media={"type": "boolean"}, has_spoiler={"type": "boolean"},
                         disable_notification={"type": "boolean"}, protect_content={"type": "boolean"}),
    # #sendinvoice: title 1-32, description 1-255, payload 1-128 bytes, currency ISO 4217, prices LabeledPrice[]
    "sendInvoice": _method(
        ["chat_id", "title", "description", "payload", "currency", "prices"], chat_id=CHAT_ID,
        title={"type": "string", "minLength": 1, "maxLength": 32},
        description={"type": "string", "minLength": 1, "maxLength": 255},
        payload={"type": "string"}, provider_token={"type": "string"},
        currency={"type": "string", "pattern": "^[A-Z]{3}$"},
        prices={"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/LabeledPrice"}},
        max_tip_amount={"type": "integer"}, suggested_tip_amounts={"type": "array", "items": {"type": "integer"}},
        start_parameter={"type": "string"}, provider_data={"type": "string"}, photo_url={"type": "string"},
        photo_size={"type": "integer"}, photo_width={"type": "integer"}, photo_height={"type": "integer"},
        need_name={"type": "boolean"}, need_phone_number={"type": "boolean"}, need_email={"type": "boolean"},
        need_shipping_address={"type": "boolean"}, send_phone_number_to_provider={"type": "boolean"},
        send_email_to_provider={"type": "boolean"}, is_flexible={"type": "boolean"},
        reply_markup=MARKUP),
    # #answercallbackquery: text 0-200 characters
    "answerCallbackQuery": _method(["callback_query_id"], callback_query_id={"type": "string"},
                                   text={"type": "string", "maxLength": 200}, show_alert={"type": "boolean"},
                                   url={"type": "string"}, cache_time={"type": "integer"}),
    # #answerprecheckoutquery: error_message required if ok is False
    "answerPreCheckoutQuery": _method(["pre_checkout_query_id", "ok"], pre_checkout_query_id={"type": "string"},
                                      ok={"type": "boolean"}, error_message={"type": "string"}),
    # #editmessagetext / #editmessagecaption / #editmessagereplymarkup
    "editMessageText": _method(["text"], chat_id=CHAT_ID, message_id={"type": "integer"},
                               inline_message_id={"type": "string"}, text={"type": "string"},
                               parse_mode=PARSE_MODE, reply_markup=MARKUP, link_preview_options={"type": "object"}),
    "editMessageCaption": _method([], chat_id=CHAT_ID, message_id={"type": "integer"},
                                  inline_message_id={"type": "string"}, caption={"type": "string"},
                                  parse_mode=PARSE_MODE, reply_markup=MARKUP),
    "editMessageReplyMarkup": _method([], chat_id=CHAT_ID, message_id={"type": "integer"},
                                      inline_message_id={"type": "string"}, reply_markup=MARKUP),
    # #deletemessage
    "deleteMessage": _method(["chat_id", "message_id"], chat_id=CHAT_ID, message_id={"type": "integer"}),
}

VALIDATORS = {name: Draft202012Validator(schema) for name, schema in METHODS.items()}
#: Tags Telegram's HTML parse mode accepts (core.telegram.org/bots/api#html-style).
HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "tg-emoji",
             "code", "pre", "blockquote"}


class _Entities(HTMLParser):
    """Parses a text the way ``parse_mode=HTML`` does; raises on what Telegram refuses."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.visible: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in HTML_TAGS:
            raise ValueError(f"can't parse entities: unsupported start tag \"{tag}\"")
        self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            raise ValueError(f"can't parse entities: unmatched end tag \"{tag}\"")

    def handle_data(self, data):
        self.visible.append(data)


def visible_text(text: str, parse_mode: str | None) -> str:
    """The text as the shopper sees it; raises ``ValueError`` like Telegram for malformed HTML."""
    if parse_mode != "HTML":
        return text
    # A bare "&" that starts no entity, or a "<" that starts no tag, is refused by Telegram.
    if re.search(r"&(?!(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", text):
        raise ValueError("can't parse entities: unescaped \"&\"")
    if re.search(r"<(?![a-z/-])", text):
        raise ValueError("can't parse entities: unescaped \"<\"")
    parser = _Entities()
    parser.feed(text)
    parser.close()
    if parser.open:
        raise ValueError(f"can't parse entities: unclosed tag \"{parser.open[-1]}\"")
    return html.unescape("".join(parser.visible))


def semantic_problems(method: str, params: dict[str, Any]) -> list[str]:
    """Rules a JSON schema cannot say: lengths after entity parsing, byte lengths, conditional fields."""
    problems = []
    mode = params.get("parse_mode")
    for field, low, high in (("text", 1, 4096), ("caption", 0, 1024)):
        if isinstance(params.get(field), str):
            try:
                length = len(visible_text(params[field], mode))
            except ValueError as exc:
                problems.append(f"{field}: {exc}")
                continue
            if not low <= length <= high:
                problems.append(f"{field}: must be {low}-{high} characters after entities parsing, got {length}")
    for row in ((params.get("reply_markup") or {}).get("inline_keyboard") or []):
        for button in row if isinstance(row, list) else []:
            if not isinstance(button, dict):
                continue
            actions = [k for k in button if k not in ("text", "style", "icon_custom_emoji_id")]
            if len(actions) != 1:  # "You must use exactly one of the optional fields" (InlineKeyboardButton)
                problems.append(f"button {button.get('text')!r}: exactly one action field, got {actions}")
            data = button.get("callback_data")
            if isinstance(data, str) and not 1 <= len(data.encode()) <= 64:
                problems.append("callback_data: must be 1-64 bytes")
    if method == "sendInvoice" and isinstance(params.get("payload"), str):
        if not 1 <= len(params["payload"].encode()) <= 128:
            problems.append("payload: must be 1-128 bytes")
    if method == "answerPreCheckoutQuery" and params.get("ok") is False and not params.get("error_message"):
        problems.append("error_message: required if ok is False")
    if method.startswith("editMessage") and not params.get("inline_message_id") and not (
            "chat_id" in params and "message_id" in params):
        problems.append("chat_id and message_id are required if inline_message_id is not specified")
    return problems


class FakeBotAPI:
    """The fake server: ``base_url`` goes in the channel's ``api_base_url`` setting."""

    def __init__(self, token: str):
        self.token = token
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.violations: list[str] = []
        self.messages: dict[tuple[str, int], dict[str, Any]] = {}
        self.webhook: dict[str, Any] = {}
        self._next_id = 100
        self._lock = threading.Lock()
        self._http = LoopbackServer(self._wsgi)
        self.base_url = self._http.url

    def __enter__(self) -> FakeBotAPI:
        self._http.start()
        return self

    def __exit__(self, *exc) -> None:
        self._http.stop()

    def called(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    def take_violations(self) -> list[str]:
        taken, self.violations = self.violations, []
        return taken

    # --- the HTTP side ------------------------------------------------------------------------------

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        status, body = self._handle(request)
        return Response(json.dumps(body), status=status, content_type="application/json")(environ, start_response)

    def _handle(self, request: Request) -> tuple[int, dict[str, Any]]:
        match = re.fullmatch(r"/bot([^/]+)/([A-Za-z]+)", request.path)
        if request.method != "POST" or not match:
            self.violations.append(f"{request.method} {request.path}: not a Bot API request")
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        token, method = match.groups()
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        if method not in METHODS:
            self.violations.append(f"{method}: no such Bot API method")
            return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        if not (request.mimetype == "application/json"):
            self.violations.append(f"{method}: body must be JSON, got {request.mimetype}")
        try:
            params = json.loads(request.get_data() or b"{}")
        except ValueError:
            self.violations.append(f"{method}: body is not JSON")
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid JSON"}
        with self._lock:
            self.calls.append((method, params))
            problems = [f"{'.'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
                        for e in VALIDATORS[method].iter_errors(params)]
            problems += semantic_problems(method, params)
            if problems:
                self.violations.extend(f"{method}: {p}" for p in problems)
                return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {problems[0]}"}
            return self._answer(method, params)

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        ok = lambda result: (200, {"ok": True, "result": result})  # noqa: E731
        if method == "getMe":
            return ok({"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Acme Shop",
                       "username": "acme_shop_bot", "can_join_groups": True})
        if method == "setWebhook":
            self.webhook = params
            return ok(True)
        if method == "getWebhookInfo":
            return ok({"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                       "pending_update_count": 0})
        if method == "sendPhoto" and "unreachable" in params["photo"]:
            # What Telegram answers when it cannot download the photo from the URL it was given.
            return 400, {"ok": False, "error_code": 400,
                         "description": "Bad Request: failed to get HTTP URL content"}
        if method in ("sendMessage", "sendPhoto", "sendInvoice"):
            self._next_id += 1
            chat = params["chat_id"]
            message = {"message_id": self._next_id, "date": int(time.time()),
                       "chat": {"id": chat if isinstance(chat, int) else -1001234567890,
                                "type": "private" if isinstance(chat, int) and chat > 0 else "channel"},
                       **{k: params[k] for k in ("text", "caption", "reply_markup") if k in params}}
            self.messages[(str(chat), self._next_id)] = {"method": method, **params}
            return ok(message)
        if method == "deleteMessage":
            if self.messages.pop((str(params["chat_id"]), params["message_id"]), None) is None:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message to delete not found"}
            return ok(True)
        if method.startswith("editMessage"):
            key = (str(params.get("chat_id")), params.get("message_id"))
            if key not in self.messages:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message to edit not found"}
            self.messages[key].update(params)
            return ok({"message_id": params["message_id"], "date": int(time.time()),
                       "chat": {"id": params["chat_id"], "type": "private"}})
        return ok(True)
