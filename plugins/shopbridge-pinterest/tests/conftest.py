"""Fixtures: a fake Pinterest on loopback that must see no invalid request, and channels pointed at it."""

from __future__ import annotations

import pytest

from shopbridge.channels import ChannelContext, PlatformHTTP
from shopbridge_pinterest.fake import FakePinterest
from shopbridge_pinterest.plugin import SETTINGS


@pytest.fixture
def pinterest():
    fake = FakePinterest().start()
    yield fake
    fake.stop()
    # Every request must be one Pinterest's reference accepts; a refused one fails the test that sent it.
    assert fake.violations == [], f"requests Pinterest would refuse: {fake.violations}"


@pytest.fixture
def make_channel(pinterest):
    """``make_channel(**settings)`` builds a Pinterest channel with working credentials for the fake."""

    def make(*, dry_run: bool = False, recorder=None, saved: list | None = None, **overrides) -> ChannelContext:
        settings = {"access_token": pinterest.access_token, "refresh_token": pinterest.refresh_token,
                    "app_id": pinterest.app_id, "app_secret": pinterest.app_secret,
                    "board_id": pinterest.boards[0]["id"], "catalog_country": "IT", "catalog_language": "it",
                    "api_url": pinterest.url, "poll_interval": 0, **overrides}
        secrets = tuple(str(settings[f.name]) for f in SETTINGS if f.secret and settings.get(f.name))
        return ChannelContext(
            id=1, name="Pinterest", type="pinterest", settings=settings,
            http=PlatformHTTP(secrets=secrets, dry_run=dry_run, recorder=recorder), dry_run=dry_run,
            shop_name="Acme", shop_url="https://shop.example",
            save_settings=(saved.append if saved is not None else (lambda changes: None)),
        )

    return make


@pytest.fixture
def post():
    """``post(**changes)``: a shoppable post about a linen shirt, as the publishing job hands it over."""
    from shopbridge.channels import PostContent, ProductInfo
    from shopbridge.money import Money

    shirt = ProductInfo(id=7, slug="linen-shirt", title="Linen shirt", description="A shirt for hot days.",
                        brand="Acme", url="https://shop.example/p/linen-shirt",
                        image_url="https://shop.example/media/shirt.jpg", image_alt="A white linen shirt",
                        price=Money(4900, "EUR"))

    def make(**changes) -> PostContent:
        values = dict(post_id=42, title="Linen shirt", text="Cool linen for hot days. #linen",
                      link_url="https://shop.example/l/pin42", image_url=shirt.image_url, image_alt=shirt.image_alt,
                      products=(shirt,), hashtags=("linen",), idempotency_key="post-42-channel-1")
        values.update(changes)
        return PostContent(**values)

    return make


@pytest.fixture
def catalogue_item():
    """``catalogue_item(variant_id, **changes)``: one variant as the framework syncs it (id ``sb-v<id>``)."""
    from shopbridge.channels import CatalogueItem
    from shopbridge.money import Money

    def make(variant_id: int = 11, **changes) -> CatalogueItem:
        values = dict(item_id=f"sb-v{variant_id}", group_id="sb-p7", title="Linen shirt (M)",
                      description="A shirt for hot days.", link="https://shop.example/p/linen-shirt?v=11",
                      image_link="https://shop.example/media/shirt.jpg", additional_image_links=(),
                      price=Money(4900, "EUR"), sale_price=None, availability="in stock", quantity=5,
                      brand="Acme", sku=f"SHIRT-{variant_id}", options={"size": "M"})
        values.update(changes)
        return CatalogueItem(**values)

    return make
