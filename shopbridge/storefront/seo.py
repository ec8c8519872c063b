"""Page metadata for link previews and search engines, built as data and rendered by the templates.

A product page carries, in its ``<head>``:

- **Open Graph** (Facebook, WhatsApp, Telegram, Pinterest): ``og:type=product``, title, description, an
  absolute ``og:image`` with its width and height (so the first share already shows a large preview), the page
  URL, the site name, and the price and availability both as ``product:*`` (Open Graph's product type, read by
  Facebook) and ``og:price:*`` / ``og:availability`` (what Pinterest's Product Pins read);
- a **Twitter card** (``summary_large_image``);
- a **canonical link**: the product URL without ``?variant=``, so search engines index one page per product;
- **schema.org JSON-LD**: a ``Product`` with brand, images, category and one ``Offer`` per variant (price,
  currency, availability, condition, SKU, GTIN and a URL that preselects that variant).

Pinterest's Product Pins accept either format and need, at the least, a title and a price with its currency
(``og:price:amount``/``og:price:currency``, or ``offers.price``/``offers.priceCurrency``); availability is
shown when present. We send both formats, complete, so any reader finds what it needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext
from sqlmodel import Session, func, select

from shopbridge.catalogue.models import Category, Image, Product, ProductStatus, Variant
from shopbridge.media import image_url
from shopbridge.web import external_url

DESCRIPTION_LENGTH = 200
OG_IMAGE_WIDTH = 1280  # large enough for every platform's big preview, small enough to fetch quickly

SCHEMA_IN_STOCK = "https://schema.org/InStock"
SCHEMA_OUT_OF_STOCK = "https://schema.org/OutOfStock"
SCHEMA_NEW = "https://schema.org/NewCondition"


@dataclass
class PageMeta:
    """Everything a page's ``<head>`` says about it besides the ``<title>``."""

    title: str
    description: str
    canonical: str
    og: list[tuple[str, str]] = field(default_factory=list)
    twitter: list[tuple[str, str]] = field(default_factory=list)
    json_ld: dict[str, Any] | None = None


def summary(text: str, limit: int = DESCRIPTION_LENGTH) -> str:
    """Plain one-paragraph text of at most ``limit`` characters, cut at a word boundary."""
    flat = re.sub(r"\s+", " ", text or "").strip()
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.-–— ")
    return cut + "…"


def _image_size(image: Image, width: int) -> tuple[int, int, int | None]:
    """The rendition width used for ``width`` and its (width, height)."""
    chosen = next((s for s in sorted(image.sizes) if s >= width), None)
    if chosen is None:
        return image.width, image.height, None
    return chosen, round(image.height * chosen / image.width), chosen


def product_url(product: Product, variant: Variant | None = None) -> str:
    if variant is None:
        return external_url("storefront.product", slug=product.slug)
    return external_url("storefront.product", slug=product.slug, variant=variant.id)


def availability(variants: list[Variant]) -> bool:
    return any(v.stock > 0 for v in variants)


def product_meta(product: Product, selected: Variant | None, *, variant_in_url: bool = False) -> PageMeta:
    """Open Graph, Twitter and JSON-LD for a product page showing ``selected``.

    ``variant_in_url`` is true when the page was opened with ``?variant=``: the shared URL (``og:url``) then
    keeps it, so a link to "the blue one in M" unfurls with that variant's price, while the canonical link
    still names the product page itself.
    """
    site = current_app.config["SHOP_NAME"]
    canonical = product_url(product)
    page_url = product_url(product, selected) if (variant_in_url and selected is not None) else canonical
    description = summary(product.description) or product.title
    variants = list(product.variants)
    in_stock = selected.stock > 0 if selected is not None else availability(variants)

    og: list[tuple[str, str]] = [
        ("og:type", "product"),
        ("og:site_name", site),
        ("og:title", product.title),
        ("og:description", description),
        ("og:url", page_url),
    ]
    twitter: list[tuple[str, str]] = [
        ("twitter:card", "summary_large_image" if product.images else "summary"),
        ("twitter:title", product.title),
        ("twitter:description", description),
    ]
    images = [external_image(img) for img in product.images]
    if product.images:
        main = product.images[0]
        width, height, _ = _image_size(main, OG_IMAGE_WIDTH)
        og += [
            ("og:image", images[0]),
            ("og:image:secure_url", images[0]) if images[0].startswith("https://") else ("og:image:url", images[0]),
            ("og:image:type", "image/jpeg" if main.sizes else main.content_type),
            ("og:image:width", str(width)),
            ("og:image:height", str(height)),
            ("og:image:alt", main.alt or product.title),
        ]
        twitter += [("twitter:image", images[0]), ("twitter:image:alt", main.alt or product.title)]
    if selected is not None:
        price = selected.price
        og += [
            ("product:price:amount", price.plain()),
            ("product:price:currency", price.currency),
            # Facebook's product type spells availability with spaces ("in stock"); Pinterest's Product Pins
            # read og:price:* and og:availability ("instock" / "out of stock").
            ("product:availability", "in stock" if in_stock else "out of stock"),
            ("product:condition", "new"),
            ("og:price:amount", price.plain()),
            ("og:price:currency", price.currency),
            ("og:availability", "instock" if in_stock else "out of stock"),
        ]
        if product.brand:
            og.append(("product:brand", product.brand))
        if selected.compare_at is not None:
            og.append(("og:price:standard_amount", selected.compare_at.plain()))
        if selected.sku:
            og.append(("product:retailer_item_id", selected.sku))
        twitter += [("twitter:label1", gettext("Price")), ("twitter:data1", f"{price.plain()} {price.currency}")]

    return PageMeta(
        title=product.title,
        description=description,
        canonical=canonical,
        og=og,
        twitter=twitter,
        json_ld=product_json_ld(product, description=description, images=images, canonical=canonical),
    )


def external_image(image: Image, width: int = OG_IMAGE_WIDTH) -> str:
    return image_url(image, width, external=True)


def product_json_ld(product: Product, *, description: str, images: list[str], canonical: str) -> dict[str, Any]:
    """A schema.org ``Product`` with one ``Offer`` per variant."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.title,
        "description": description,
        "url": canonical,
        "productID": product.slug,
    }
    if images:
        data["image"] = images
    if product.brand:
        data["brand"] = {"@type": "Brand", "name": product.brand}
    if product.category is not None:
        data["category"] = product.category.name
    variants = list(product.variants)
    if len(variants) == 1:
        data["sku"] = variants[0].sku
        if variants[0].gtin:
            data["gtin"] = variants[0].gtin
    offers = []
    for v in variants:
        offer: dict[str, Any] = {
            "@type": "Offer",
            "name": f"{product.title} – {v.label}" if v.options else product.title,
            "sku": v.sku,
            "price": v.price.plain(),
            "priceCurrency": v.currency,
            "availability": SCHEMA_IN_STOCK if v.stock > 0 else SCHEMA_OUT_OF_STOCK,
            "itemCondition": SCHEMA_NEW,
            "url": product_url(product, v),
            "seller": {"@type": "Organization", "name": current_app.config["SHOP_NAME"]},
        }
        if v.gtin:
            offer["gtin"] = v.gtin
        if v.compare_at is not None:
            # The struck-through "was" price, as Google's merchant listings read it.
            offer["priceSpecification"] = {
                "@type": "UnitPriceSpecification",
                "priceType": "https://schema.org/StrikethroughPrice",
                "price": v.compare_at.plain(),
                "priceCurrency": v.currency,
            }
        offers.append(offer)
    if offers:
        data["offers"] = offers
    return data


def listing_meta(title: str, description: str, endpoint: str, image: Image | None = None, **values: Any) -> PageMeta:
    """Open Graph and a canonical URL for the home page and category pages (``og:type=website``)."""
    canonical = external_url(endpoint, **values)
    og = [
        ("og:type", "website"),
        ("og:site_name", current_app.config["SHOP_NAME"]),
        ("og:title", title),
        ("og:description", description),
        ("og:url", canonical),
    ]
    twitter = [("twitter:card", "summary_large_image" if image else "summary"), ("twitter:title", title),
               ("twitter:description", description)]
    if image is not None:
        width, height, _ = _image_size(image, OG_IMAGE_WIDTH)
        url = external_image(image)
        og += [("og:image", url), ("og:image:width", str(width)), ("og:image:height", str(height))]
        twitter.append(("twitter:image", url))
    return PageMeta(title=title, description=description, canonical=canonical, og=og, twitter=twitter)


@dataclass(frozen=True)
class SitemapEntry:
    loc: str
    lastmod: datetime | None
    images: list[str] = field(default_factory=list)


def sitemap_entries(session: Session) -> list[SitemapEntry]:
    """Every page worth indexing: the home page, categories with active products, and active products."""
    newest = session.exec(
        select(func.max(Product.updated_at)).where(Product.status == ProductStatus.active)
    ).one()
    entries = [SitemapEntry(external_url("storefront.home"), newest)]
    per_category = session.exec(
        select(Category, func.max(Product.updated_at))
        .join(Product, Product.category_id == Category.id)
        .where(Product.status == ProductStatus.active)
        .group_by(Category.id)
        .order_by(Category.position, Category.name)
    ).all()
    entries += [SitemapEntry(external_url("storefront.category", slug=c.slug), lastmod) for c, lastmod in per_category]
    products = session.exec(
        select(Product).where(Product.status == ProductStatus.active).order_by(Product.id)
    ).all()
    entries += [
        SitemapEntry(product_url(p), p.updated_at, [external_image(img) for img in p.images[:5]]) for p in products
    ]
    return entries
