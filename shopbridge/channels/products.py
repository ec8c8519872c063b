"""Products as platforms see them: :class:`ProductInfo` for posts and :class:`CatalogueItem` s for catalogues.

Built here, in one place each, from the shop's own tables, with absolute URLs on the public host.
"""

from __future__ import annotations

from flask import Flask

from shopbridge.catalogue.models import Image, Product, Variant
from shopbridge.channels.service import absolute_url
from shopbridge.channels.types import CatalogueItem, ProductInfo
from shopbridge.money import Money


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
    """One item per variant, exactly as the feeds build them (:mod:`shopbridge.catalogue.items`);
    archived or draft products become ``deleted`` items (removed from platforms)."""
    from shopbridge.catalogue.items import to_item

    several = len(product.variants) > 1

    def product_url(product: Product, variant: Variant) -> str:
        url = absolute_url("storefront.product", app, slug=product.slug)
        return f"{url}?variant={variant.id}" if several else url

    def image_url(image: Image) -> str:
        return absolute_url("media.file", app, filename=image.path)

    return [to_item(v, product, product_url=product_url, image_url=image_url) for v in product.variants]
