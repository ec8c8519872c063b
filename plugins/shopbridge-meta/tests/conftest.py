"""Fixtures: a fake Graph API on loopback that must see no invalid request, and Meta channels pointed at it."""

from __future__ import annotations

import json

import pytest

from shopbridge.channels import ChannelContext, InboundRequest, PlatformHTTP
from shopbridge_meta.fake import FakeGraph
from shopbridge_meta.plugin import shopbridge_channel_types
from shopbridge_meta.webhooks import signature

SECRET_FIELDS = {f.name for t in shopbridge_channel_types() for f in t.settings if f.secret}


@pytest.fixture
def graph():
    fake = FakeGraph().start()
    yield fake
    fake.stop()
    # Every request must be one the Graph API accepts; a refused one fails the test that sent it.
    assert fake.violations == [], f"requests Meta would refuse: {fake.violations}"


@pytest.fixture
def make_channel(graph):
    """``make_channel("instagram", **settings)``: a channel with working credentials for the fake."""

    def make(kind: str = "facebook_page", *, dry_run: bool = False, recorder=None, **overrides) -> ChannelContext:
        settings = {"page_id": graph.page_id, "access_token": graph.access_token, "app_secret": graph.app_secret,
                    "verify_token": "verify-me-please", "catalog_id": graph.catalog_id, "graph_url": graph.url,
                    "graph_version": "v25.0", "poll_interval": 0}
        if kind == "instagram":
            settings["ig_user_id"] = graph.ig_user_id
        settings.update(overrides)
        secrets = tuple(str(v) for k, v in settings.items() if k in SECRET_FIELDS and v)
        return ChannelContext(id=2 if kind == "instagram" else 1, name=kind, type=kind, settings=settings,
                              http=PlatformHTTP(secrets=secrets, dry_run=dry_run, recorder=recorder),
                              dry_run=dry_run, shop_name="Acme", shop_url="https://shop.example")

    return make


@pytest.fixture
def webhook(graph):
    """``webhook(payload, secret=None)``: a POST as Meta sends it, signed with the app secret (or ``secret``)."""

    def make(payload, *, secret: str | None = None, signed: bool = True) -> InboundRequest:
        body = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
        headers = {"Content-Type": "application/json"}
        if signed:
            headers["X-Hub-Signature-256"] = signature(body, secret or graph.app_secret)
        return InboundRequest(method="POST", path="/webhooks/meta", headers=headers, args={}, body=body)

    return make


@pytest.fixture
def post():
    from shopbridge.channels import PostContent, ProductInfo
    from shopbridge.money import Money

    mug = ProductInfo(id=7, slug="red-mug", title="Red mug", description="A red mug.", brand="Acme",
                      url="https://shop.example/p/red-mug", image_url="https://shop.example/media/mug.jpg",
                      image_alt="A red mug on a table", price=Money(1500, "EUR"))

    def make(**changes) -> PostContent:
        values = dict(post_id=42, title="Red mug", text="Our red mug is back!",
                      link_url="https://shop.example/l/fb42", image_url=mug.image_url, image_alt=mug.image_alt,
                      products=(mug,), hashtags=("mugs",), idempotency_key="post-42-channel-1")
        values.update(changes)
        return PostContent(**values)

    return make


@pytest.fixture
def catalogue_item():
    from shopbridge.channels import CatalogueItem
    from shopbridge.money import Money

    def make(variant_id: int = 11, **changes) -> CatalogueItem:
        values = dict(item_id=f"sb-v{variant_id}", group_id="sb-p7", title="Red mug",
                      description="A red mug.", link="https://shop.example/p/red-mug",
                      image_link="https://shop.example/media/mug.jpg", additional_image_links=(),
                      price=Money(1500, "EUR"), sale_price=None, availability="in stock", quantity=5, brand="Acme",
                      sku=f"MUG-{variant_id}", options={"colour": "Red"})
        values.update(changes)
        return CatalogueItem(**values)

    return make
