"""Catalogue items as platforms see them: one per variant, with a stable id and absolute URLs.

Feeds (``/feeds/...``) and catalogue sync to platforms both start here, so a product looks the same
everywhere. Items are produced by a generator that reads variants in keyset-paginated chunks: memory stays
flat whether the shop sells 10 products or 100,000.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from shopbridge.catalogue.models import Product, ProductStatus, Variant
from shopbridge.channels.types import CatalogueItem
from shopbridge.money import Money

CHUNK = 500


def item_id(variant_id: int) -> str:
    """The platform item id of a variant: never the SKU or slug, which a shop may change."""
    return f"sb-v{variant_id}"


def group_id(product_id: int) -> str:
    return f"sb-p{product_id}"


def variant_id_from_item(item: str) -> int | None:
    """The variant id in an item id such as ``sb-v42`` (``None`` if it is not one of ours)."""
    if item.startswith("sb-v") and item[4:].isdigit():
        return int(item[4:])
    return None


def to_item(variant: Variant, product: Product, *, product_url: Callable[[Product, Variant], str],
            image_url: Callable[[object], str]) -> CatalogueItem:
    images = list(product.images)
    compare_at = variant.compare_at
    # A "compare at" price makes the regular price the struck-through one and ours the sale price.
    price, sale_price = (compare_at, variant.price) if compare_at else (variant.price, None)
    return CatalogueItem(
        item_id=item_id(variant.id),
        group_id=group_id(product.id),
        title=product.title if len(product.variants) == 1 else f"{product.title} – {variant.label}",
        description=product.description or product.title,
        link=product_url(product, variant),
        image_link=image_url(images[0]) if images else None,
        additional_image_links=tuple(image_url(i) for i in images[1:10]),
        price=price,
        sale_price=sale_price,
        availability="in stock" if variant.stock > 0 and product.status == ProductStatus.active else "out of stock",
        quantity=variant.stock,
        brand=product.brand,
        gtin=variant.gtin,
        sku=variant.sku,
        options=dict(variant.options),
        category=product.category.name if product.category else None,
        deleted=product.status != ProductStatus.active,
    )


def iter_items(session: Session, *, product_url: Callable[[Product, Variant], str],
               image_url: Callable[[object], str], active_only: bool = True,
               variant_ids: list[int] | None = None) -> Iterator[CatalogueItem]:
    """Every variant as a :class:`CatalogueItem`, in id order, read ``CHUNK`` variants at a time."""
    last_id = 0
    while True:
        query = (
            select(Variant)
            .join(Product)
            .where(Variant.id > last_id)
            .order_by(Variant.id)
            .limit(CHUNK)
            .options(selectinload(Variant.product).selectinload(Product.images),
                     selectinload(Variant.product).selectinload(Product.category),
                     selectinload(Variant.product).selectinload(Product.variants))
        )
        if active_only:
            query = query.where(Product.status == ProductStatus.active)
        if variant_ids is not None:
            query = query.where(Variant.id.in_(variant_ids))
        chunk = session.exec(query).all()
        if not chunk:
            return
        for variant in chunk:
            yield to_item(variant, variant.product, product_url=product_url, image_url=image_url)
        last_id = chunk[-1].id
        # Forget what was read, or the identity map would grow with the catalogue.
        session.expunge_all()


def price_text(money: Money) -> str:
    """``"19.99 EUR"``: the price format Meta, Pinterest and Google feeds all accept."""
    return f"{money.plain()} {money.currency}"
