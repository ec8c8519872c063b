"""Products as platforms see them: :class:`ProductInfo` for posts and :class:`CatalogueItem` s for catalogues.

Built here, in one place each, from the shop's own tables, with absolute URLs on the public host.
"""

from __future__ import annotations

from flask import Flask

from shopbridge.catalogue.models import Image, Product, ProductStatus, Variant
from shopbridge.channels.service import absolute_url
from shopbridge.channels.types import CatalogueItem, ProductInfo
from shopbridge.money import Money


def item_id(variant: Variant | int) -> str:
    """A variant's catalogue id on every platform: stable across SKU and slug changes, never reused."""
    return f"sb-v{variant if isinstance(variant, int) else variant.id}"


def image_link(image: Image | None, app: Flask | None = None) -> str | None:
    if image is None:
        return None
    from shopbridge.catalogue.images import rendition_path

    width = max(image.sizes) if image.sizes else None
    return absolute_url("media.file", app, filename=rendition_path(image, width))


def product_info(product: Product, image: Image | None = None, app: Flask | None = None) -> ProductInfo:
    variant = product.cheapest_variant
    image = image or product.main_image
    return ProductInfo(
        id=product.id,
        slug=product.slug,
        title=product.title,
        description=product.description,
        brand=product.brand,
        url=absolute_url("storefront.product", app, slug=product.slug),
        image_url=image_link(image, app),
        image_alt=(image.alt if image is not None and image.alt else product.title),
        price=variant.price if variant else Money(0, "EUR"),
        compare_at=variant.compare_at if variant else None,
        available=product.is_active and product.in_stock,
        category=product.category.name if product.category else None,
    )


def catalogue_items(product: Product, app: Flask | None = None) -> list[CatalogueItem]:
    """One item per variant; archived or draft products become ``deleted`` items (removed from platforms)."""
    images = [image_link(i, app) for i in product.images]
    url = absolute_url("storefront.product", app, slug=product.slug)
    gone = product.status != ProductStatus.active
    items = []
    for variant in product.variants:
        label = variant.label
        title = product.title if label == "Default" else f"{product.title} – {label}"
        items.append(CatalogueItem(
            item_id=item_id(variant),
            group_id=f"sb-p{product.id}",
            title=title[:150],
            description=product.description or product.title,
            link=url,
            image_link=images[0] if images else None,
            additional_image_links=tuple(i for i in images[1:] if i),
            price=variant.compare_at or variant.price,
            sale_price=variant.price if variant.compare_at else None,
            availability="in stock" if variant.stock > 0 else "out of stock",
            quantity=variant.stock,
            brand=product.brand,
            gtin=variant.gtin,
            sku=variant.sku,
            options={str(k): str(v) for k, v in (variant.options or {}).items()},
            category=product.category.name if product.category else None,
            deleted=gone,
        ))
    return items
