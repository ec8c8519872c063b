"""A complete platform plugin for tests ("Fakegram"), implementing every shopbridge hook, plus its fake server.

The server is an ``httpx.MockTransport`` with the behaviour of a real social platform that matters to us: posts
with ids, an ``Idempotency-Key`` header that makes a repeated create return the first post, catalogue batches
with per-item errors, and switchable failures (400/401/429/500/timeouts).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections import Counter, deque
from dataclasses import dataclass, field

import click
import httpx
from flask import Blueprint

from shopbridge import hookimpl
from shopbridge.access import public
from shopbridge.admin.menu import MenuItem
from shopbridge.channels import (
    AuthError,
    Capability,
    ChannelType,
    ConnectionCheck,
    EventKind,
    InboundEvent,
    ItemError,
    PlatformError,
    PublishResult,
    SettingField,
    SyncResult,
    WebhookResponse,
    WebhookSignatureError,
)

# A worker in another process cannot use the in-process MockTransport: tests/reliability points it at the fake
# server over real HTTP on loopback through this variable.
API = os.environ.get("FAKEGRAM_API", "https://api.fakegram.test/v1")
CALLS: Counter = Counter()  # hook name → times called, for the "every hook is exercised" test

FAKEGRAM = ChannelType(
    name="fakegram",
    label="Fakegram",
    settings=(
        SettingField("account_id", "Account id", pattern=r"^\d+$", help="The numeric id of your account."),
        SettingField("access_token", "Access token", kind="secret"),
        SettingField("app_secret", "App secret", kind="secret", required=False),
        SettingField("style", "Link style", kind="choice", choices=("inline", "bio"), default="inline"),
    ),
    capabilities=frozenset(Capability),
    caption_limit=120,
    catalogue_batch_size=2,
)
# The same platform without idempotency support and without a way to search posts.
BLINDGRAM = ChannelType(name="blindgram", label="Blindgram",
                        settings=(SettingField("access_token", "Access token", kind="secret"),),
                        capabilities=frozenset({Capability.publish_posts}), caption_limit=200)


@dataclass
class FakeServer:
    posts: dict[str, dict] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    items: dict[str, dict] = field(default_factory=dict)
    replies: list[dict] = field(default_factory=list)
    failures: deque = field(default_factory=deque)  # (status, headers, body) or "timeout", used one per request
    requests: list[httpx.Request] = field(default_factory=list)
    honour_idempotency: bool = True

    def fail_next(self, status, headers=None, body=None, times: int = 1) -> None:
        for _ in range(times):
            self.failures.append(status if status == "timeout" else (status, headers or {}, body or {}))

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.failures:
            failure = self.failures.popleft()
            if failure == "timeout":
                raise httpx.ReadTimeout("timed out", request=request)
            status, headers, body = failure
            return httpx.Response(status, headers=headers, json=body)
        if request.headers.get("Authorization") != "Bearer good-token":
            return httpx.Response(401, json={"error": {"message": "Invalid OAuth access token.", "code": 190}})
        path = request.url.path.removeprefix("/v1")
        body = json.loads(request.content or b"null")
        if path == "/me":
            return httpx.Response(200, json={"username": "acme_shop"})
        if path == "/posts" and request.method == "POST":
            key = request.headers.get("Idempotency-Key")
            if not body.get("text"):
                return httpx.Response(400, json={"error": {"message": "text is required", "code": 100}})
            if self.honour_idempotency and key and key in self.by_key:
                return httpx.Response(200, json=self.posts[self.by_key[key]])
            post_id = str(1000 + len(self.posts))
            self.posts[post_id] = {"id": post_id, "url": f"https://fakegram.test/p/{post_id}", **body,
                                   "key": key}
            if key:
                self.by_key[key] = post_id
            return httpx.Response(201, json=self.posts[post_id])
        if path == "/posts" and request.method == "GET":
            key = request.url.params.get("key")
            found = [p for p in self.posts.values() if p.get("key") == key]
            return httpx.Response(200, json={"data": found})
        if path.startswith("/posts/"):
            post_id = path.rsplit("/", 1)[1]
            if request.method == "DELETE":
                self.posts.pop(post_id, None)
                return httpx.Response(204)
            self.posts[post_id].update(body)
            return httpx.Response(200, json=self.posts[post_id])
        if path == "/catalogue/batch":
            errors = []
            for item in body["items"]:
                if item.get("delete"):
                    self.items.pop(item["id"], None)
                elif not item.get("image"):
                    errors.append({"id": item["id"], "message": "Add an image: items without one are not shown.",
                                   "field": "image"})
                else:
                    self.items[item["id"]] = item
            return httpx.Response(200, json={"errors": errors})
        if path == "/replies":
            self.replies.append(body)
            return httpx.Response(200, json={"id": f"r{len(self.replies)}"})
        return httpx.Response(404, json={"error": {"message": "no such endpoint"}})


def _raise_for(response: httpx.Response) -> None:
    if response.status_code == 401:
        raise AuthError("Fakegram refused the access token: reconnect the channel.")
    if response.status_code >= 400:
        message = response.json().get("error", {}).get("message", "unknown error")
        raise PlatformError(f"Fakegram said: {message}", status=response.status_code)


def _mine(channel) -> bool:
    return channel.type in ("fakegram", "blindgram")


def _auth(channel) -> dict:
    return {"Authorization": f"Bearer {channel.setting('access_token', '')}"}


@hookimpl
def shopbridge_channel_types():
    CALLS["shopbridge_channel_types"] += 1
    return [FAKEGRAM, BLINDGRAM]


@hookimpl
def shopbridge_test_connection(channel):
    if not _mine(channel):
        return None
    CALLS["shopbridge_test_connection"] += 1
    response = channel.http.request("GET", f"{API}/me", headers=_auth(channel),
                                    dry_run_response={"username": "dry-run"})
    _raise_for(response)
    return ConnectionCheck(ok=True, detail=f"Connected as @{response.json()['username']}")


@hookimpl
def shopbridge_render_post_text(channel, post, link_url):
    if channel.type != "fakegram" or channel.setting("style") != "bio":
        return None
    CALLS["shopbridge_render_post_text"] += 1
    return f"{post['caption']} (link in bio)"


@hookimpl
def shopbridge_publish_post(channel, content):
    if not _mine(channel):
        return None
    CALLS["shopbridge_publish_post"] += 1
    headers = _auth(channel)
    if channel.type == "fakegram":
        headers["Idempotency-Key"] = content.idempotency_key
    response = channel.http.request("POST", f"{API}/posts", headers=headers,
                                    json_body={"text": content.text, "image": content.image_url,
                                               "link": content.link_url, **content.options},
                                    dry_run_response={"id": "dry-run", "url": None})
    _raise_for(response)
    data = response.json()
    return PublishResult(remote_id=str(data["id"]), url=data.get("url"))


@hookimpl
def shopbridge_find_post(channel, content):
    if channel.type != "fakegram":
        return None
    CALLS["shopbridge_find_post"] += 1
    response = channel.http.request("GET", f"{API}/posts", params={"key": content.idempotency_key},
                                    headers=_auth(channel), dry_run_response={"data": []})
    _raise_for(response)
    found = response.json()["data"]
    return PublishResult(remote_id=found[0]["id"], url=found[0]["url"]) if found else False


@hookimpl
def shopbridge_update_post(channel, content, remote_id):
    if channel.type != "fakegram":
        return None
    CALLS["shopbridge_update_post"] += 1
    response = channel.http.request("POST", f"{API}/posts/{remote_id}", headers=_auth(channel),
                                    json_body={"text": content.text}, dry_run_response={"id": remote_id})
    _raise_for(response)
    return PublishResult(remote_id=remote_id, url=response.json().get("url"))


@hookimpl
def shopbridge_delete_post(channel, remote_id):
    if channel.type != "fakegram":
        return None
    CALLS["shopbridge_delete_post"] += 1
    _raise_for(channel.http.request("DELETE", f"{API}/posts/{remote_id}", headers=_auth(channel)))
    return True


@hookimpl
def shopbridge_sync_catalogue(channel, items):
    if channel.type != "fakegram":
        return None
    CALLS["shopbridge_sync_catalogue"] += 1
    payload = [{"id": i.item_id, "delete": True} if i.deleted else
               {"id": i.item_id, "title": i.title, "price": i.price.plain() if hasattr(i.price, "plain") else "",
                "image": i.image_link, "link": i.link} for i in items]
    response = channel.http.request("POST", f"{API}/catalogue/batch", headers=_auth(channel),
                                    json_body={"items": payload}, dry_run_response={"errors": []})
    _raise_for(response)
    errors = {e["id"]: e for e in response.json()["errors"]}
    return SyncResult(accepted=tuple(i.item_id for i in items if i.item_id not in errors),
                      errors=tuple(ItemError(item_id=e["id"], message=e["message"], field=e.get("field"))
                                   for e in errors.values()))


@hookimpl
def shopbridge_webhook_challenge(channel, request):
    if channel.type != "fakegram" or request.args.get("hub.mode") != "subscribe":
        return None
    CALLS["shopbridge_webhook_challenge"] += 1
    return WebhookResponse(body=request.args.get("hub.challenge", ""))


@hookimpl
def shopbridge_parse_webhook(channel, request):
    if channel.type != "fakegram":
        return None
    CALLS["shopbridge_parse_webhook"] += 1
    expected = "sha256=" + hmac.new(channel.setting("app_secret", "").encode(), request.body,
                                    hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.header("X-Hub-Signature-256") or ""):
        raise WebhookSignatureError("bad signature")
    return [InboundEvent(kind=EventKind(e["kind"]), external_id=e["id"], author_id=e["from"], text=e["text"],
                         author_name=e.get("name", ""), post_remote_id=e.get("post"), thread_id=e.get("thread"))
            for e in request.json()["events"]]


@hookimpl
def shopbridge_reply(channel, event, reply):
    if channel.type != "fakegram":
        return None
    CALLS["shopbridge_reply"] += 1
    response = channel.http.request("POST", f"{API}/replies", headers=_auth(channel),
                                    json_body={"to": event.external_id, "text": reply.text},
                                    dry_run_response={"id": "dry-run"})
    _raise_for(response)
    return PublishResult(remote_id=response.json()["id"])


INBOUND: list = []
ORDERS: list = []


@hookimpl
def shopbridge_inbound_event(channel, event, shop):
    if channel.type != "fakegram":
        return None
    CALLS["shopbridge_inbound_event"] += 1
    INBOUND.append((channel.name, event.external_id, shop.find_product("linen-shirt") is not None))
    if event.kind == EventKind.message and event.text == "hello":
        product = shop.find_product("linen-shirt")
        shop.reply(event, "Hi! Our bestseller:", product.id if product else None)


@hookimpl
def shopbridge_order_event(order, event):
    CALLS["shopbridge_order_event"] += 1
    ORDERS.append((order["id"], event))


fake_bp = Blueprint("fakegram", __name__, url_prefix="/fakegram")


@fake_bp.get("/hello")
@public
def hello():
    return "hello from fakegram"


@hookimpl
def shopbridge_register_blueprints(app):
    CALLS["shopbridge_register_blueprints"] += 1
    app.register_blueprint(fake_bp)


@hookimpl
def shopbridge_admin_menu():
    CALLS["shopbridge_admin_menu"] += 1
    return [MenuItem("Fakegram", "fakegram.hello", "publishing", 99)]


@click.command("fakegram-hello")
def hello_command():
    """Say hello (a plugin's CLI command)."""
    click.echo("hello from the fakegram plugin")


@hookimpl
def shopbridge_cli_commands():
    CALLS["shopbridge_cli_commands"] += 1
    return [hello_command]
