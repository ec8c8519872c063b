"""Feed formats: each is a generator of text chunks, written row by row, never built in memory.

- Meta (Facebook/Instagram) catalogue CSV — required: id, title, description, availability, condition, price,
  link, image_link, brand.
- Pinterest catalogue CSV — required: id, title, description, link, image_link, price, availability.
- Google Merchant Center RSS 2.0 with the ``g:`` namespace — required: id, title, description, link,
  image_link, availability, price, and brand + gtin (or ``identifier_exists`` = no).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

from shopbridge.catalogue.items import price_text
from shopbridge.channels.types import CatalogueItem

META_COLUMNS = ("id", "title", "description", "availability", "condition", "price", "sale_price", "link",
                "image_link", "additional_image_link", "brand", "gtin", "item_group_id", "size", "color",
                "quantity_to_sell_on_facebook", "product_type")
PINTEREST_COLUMNS = ("id", "item_group_id", "title", "description", "link", "image_link", "additional_image_link",
                     "price", "sale_price", "availability", "condition", "brand", "gtin", "size", "color",
                     "product_type")


def _option(item: CatalogueItem, *names: str) -> str:
    lowered = {k.lower(): v for k, v in item.options.items()}
    return next((lowered[n] for n in names if n in lowered), "")


def _csv(columns: tuple[str, ...], rows: Iterable[dict[str, str]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for i, row in enumerate(rows, 1):
        writer.writerow(row)
        if i % 200 == 0:  # a chunk every 200 rows: few syscalls, little memory
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _one_line(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


def meta_csv(items: Iterable[CatalogueItem]) -> Iterator[str]:
    def rows():
        for item in items:
            yield {
                "id": item.item_id,
                "title": item.title[:200],
                "description": _one_line(item.description, 9999),
                "availability": item.availability,
                "condition": item.condition,
                "price": price_text(item.price),
                "sale_price": price_text(item.sale_price) if item.sale_price else "",
                "link": item.link,
                "image_link": item.image_link or "",
                "additional_image_link": ",".join(item.additional_image_links),
                "brand": item.brand,
                "gtin": item.gtin or "",
                "item_group_id": item.group_id,
                "size": _option(item, "size", "taglia"),
                "color": _option(item, "colour", "color", "colore"),
                "quantity_to_sell_on_facebook": str(item.quantity),
                "product_type": item.category or "",
            }

    return _csv(META_COLUMNS, rows())


def pinterest_csv(items: Iterable[CatalogueItem]) -> Iterator[str]:
    def rows():
        for item in items:
            yield {
                "id": item.item_id,
                "item_group_id": item.group_id,
                "title": item.title[:500],
                "description": _one_line(item.description, 10000),
                "link": item.link,
                "image_link": item.image_link or "",
                "additional_image_link": ",".join(item.additional_image_links),
                "price": price_text(item.price),
                "sale_price": price_text(item.sale_price) if item.sale_price else "",
                "availability": item.availability,
                "condition": item.condition,
                "brand": item.brand,
                "gtin": item.gtin or "",
                "size": _option(item, "size", "taglia"),
                "color": _option(item, "colour", "color", "colore"),
                "product_type": item.category or "",
            }

    return _csv(PINTEREST_COLUMNS, rows())


def _g(name: str, value: str | None) -> str:
    return f"<g:{name}>{escape(value)}</g:{name}>" if value else ""


def google_rss(items: Iterable[CatalogueItem], *, title: str, link: str, description: str) -> Iterator[str]:
    yield ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">\n<channel>\n'
           f"<title>{escape(title)}</title>\n<link>{escape(link)}</link>\n"
           f"<description>{escape(description)}</description>\n")
    chunk: list[str] = []
    for item in items:
        parts = [
            _g("id", item.item_id),
            _g("item_group_id", item.group_id),
            _g("title", item.title[:150]),
            _g("description", _one_line(item.description, 5000)),
            _g("link", item.link),
            _g("image_link", item.image_link),
            *(_g("additional_image_link", u) for u in item.additional_image_links),
            _g("availability", item.availability.replace(" ", "_")),
            _g("price", price_text(item.price)),
            _g("sale_price", price_text(item.sale_price) if item.sale_price else None),
            _g("condition", item.condition),
            _g("brand", item.brand),
            _g("gtin", item.gtin),
            "" if item.gtin else _g("identifier_exists", "no"),
            _g("mpn", None if item.gtin else item.sku),
            _g("size", _option(item, "size", "taglia")),
            _g("color", _option(item, "colour", "color", "colore")),
            _g("product_type", item.category),
        ]
        chunk.append("<item>" + "".join(p for p in parts if p) + "</item>\n")
        if len(chunk) >= 200:
            yield "".join(chunk)
            chunk.clear()
    yield "".join(chunk)
    yield "</channel>\n</rss>\n"


FORMATS = {
    "meta.csv": ("text/csv; charset=utf-8", meta_csv),
    "pinterest.csv": ("text/csv; charset=utf-8", pinterest_csv),
    "google.xml": ("application/rss+xml; charset=utf-8", None),  # needs shop details, see views
}
