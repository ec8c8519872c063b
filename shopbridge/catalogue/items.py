"""Catalogue items as platforms see them: one per variant, with a stable id and absolute URLs.

Feeds (``/feeds/...``) and catalogue sync to platforms both start here, so a product looks the same
everywhere. Items are produced by a generator that reads variants in keyset-paginated chunks: memory stays
flat whether the shop sells 10 products or 100,000.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy.orm import aliased
from sqlmodel import Session, func, select

from shopbridge.catalogue.models import Category, Image, Product, ProductStatus, Variant
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
    """One ORM variant as a catalogue item (for a handful of changed variants; feeds use :func:`iter_items`)."""
    return _item(
        variant_id=variant.id, product_id=product.id, title=product.title, variant_count=len(product.variants),
        label=variant.label, description=product.description, link=product_url(product, variant),
        images=[image_url(i) for i in product.images], price_minor=variant.price_minor,
        compare_at_minor=variant.compare_at_minor, currency=variant.currency, stock=variant.stock,
        active=product.status == ProductStatus.active, brand=product.brand, gtin=variant.gtin, sku=variant.sku,
        options=dict(variant.options), category=product.category.name if product.category else None,
    )


def _item(*, variant_id: int, product_id: int, title: str, variant_count: int, label: str, description: str,
          link: str, images: list[str], price_minor: int, compare_at_minor: int | None, currency: str, stock: int,
          active: bool, brand: str, gtin: str | None, sku: str, options: dict, category: str | None) -> CatalogueItem:
    price = Money(price_minor, currency)
    # A "compare at" price makes the regular price the struck-through one and ours the sale price.
    if compare_at_minor and compare_at_minor > price_minor:
        price, sale_price = Money(compare_at_minor, currency), price
    else:
        sale_price = None
    return CatalogueItem(
        item_id=item_id(variant_id),
        group_id=group_id(product_id),
        title=title if variant_count == 1 else f"{title} – {label}",
        description=description or title,
        link=link,
        image_link=images[0] if images else None,
        additional_image_links=tuple(images[1:10]),
        price=price,
        sale_price=sale_price,
        availability="in stock" if stock > 0 and active else "out of stock",
        quantity=stock,
        brand=brand,
        gtin=gtin,
        sku=sku,
        options=options,
        category=category,
        deleted=not active,
    )


def iter_items(session: Session, *, product_url: Callable[[str, int, bool], str],
               image_url: Callable[[str], str], active_only: bool = True,
               variant_ids: list[int] | None = None) -> Iterator[CatalogueItem]:
    """Every variant as a :class:`CatalogueItem`, in id order, read ``CHUNK`` variants at a time.

    Reads plain rows, not ORM objects: a feed of 100,000 variants has no use for an identity map, and building
    ORM instances was most of its cost. ``product_url(slug, variant_id, has_several_variants)`` and
    ``image_url(path)`` turn stored values into absolute URLs.
    """
    siblings = aliased(Variant)
    # Correlated on the indexed product_id: a GROUP BY over all variants would run again for every chunk.
    variant_count = select(func.count()).where(siblings.product_id == Product.id).scalar_subquery()
    last_id = 0
    while True:
        query = (
            select(Variant.id, Variant.product_id, Variant.sku, Variant.options, Variant.price_minor,
                   Variant.compare_at_minor, Variant.currency, Variant.stock, Variant.gtin, Product.slug,
                   Product.title, Product.description, Product.brand, Product.status, Category.name,
                   variant_count)
            .join(Product, Product.id == Variant.product_id)
            .outerjoin(Category, Category.id == Product.category_id)
            .where(Variant.id > last_id)
            .order_by(Variant.id)
            .limit(CHUNK)
        )
        # No status filter in SQL: with one, planners may walk the (unselective) status index and sort every
        # chunk, which made large feeds quadratic. Walking the primary key and skipping rows here is linear.
        if variant_ids is not None:
            query = query.where(Variant.id.in_(variant_ids))
        rows = session.exec(query).all()
        if not rows:
            return
        images: dict[int, list[str]] = {}
        product_ids = {row[1] for row in rows}
        for pid, path in session.exec(select(Image.product_id, Image.path).where(Image.product_id.in_(product_ids))
                                      .order_by(Image.product_id, Image.position, Image.id)):
            images.setdefault(pid, []).append(image_url(path))
        for (vid, pid, sku, options, price_minor, compare_minor, currency, stock, gtin, slug, title, description,
             brand, status, category, count) in rows:
            if active_only and status != ProductStatus.active:
                continue
            options = options or {}
            yield _item(
                variant_id=vid, product_id=pid, title=title, variant_count=count,
                label=" / ".join(str(v) for v in options.values()) or "Default", description=description,
                link=product_url(slug, vid, count > 1), images=images.get(pid, []), price_minor=price_minor,
                compare_at_minor=compare_minor, currency=currency, stock=stock,
                active=status == ProductStatus.active, brand=brand, gtin=gtin, sku=sku, options=dict(options),
                category=category,
            )
        last_id = rows[-1][0]


def price_text(money: Money) -> str:
    """``"19.99 EUR"``: the price format Meta, Pinterest and Google feeds all accept."""
    return f"{money.plain()} {money.currency}"
