"""``/api/v1/products``: list, read, create, change and archive products.

Reads need the ``catalogue.view`` permission (owner, staff, agency); writes need ``catalogue.edit`` (owner,
staff). Every write goes through :mod:`shopbridge.catalogue.service`, so the API accepts and refuses exactly
what the admin does, and every change lands in the audit log under the token owner's name.

Design choices, explained to clients in ``docs/api.md``:

- **PATCH, no PUT.** A product carries variants that orders, buy links and channel listings point at; a full
  replacement that silently dropped a variant the client forgot would break them. PATCH changes the
  product-level fields that are sent and nothing else; variants change through their own endpoints.
- **Archive is ``POST /products/{id}/archive``, not DELETE.** Archiving hides a product from the shop but
  keeps it (and its order history) readable and reversible (PATCH ``status`` back to ``active``); a DELETE
  would promise it is gone.
- **Pagination by page number over a stable order** (``id`` by default), with ``Link`` headers, so a client
  can walk every product without skipping or repeating any while others are being edited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import request, url_for
from sqlalchemy.orm import selectinload
from sqlmodel import select

from shopbridge import db
from shopbridge.access import CATALOGUE_EDIT, CATALOGUE_VIEW, actor, requires
from shopbridge.api import Blueprint
from shopbridge.api.common import (
    commit_write,
    load_product,
    problem_responses,
    product_out,
)
from shopbridge.api.schemas import (
    ProductCreateSchema,
    ProductPageSchema,
    ProductPatchSchema,
    ProductQuerySchema,
    ProductSchema,
)
from shopbridge.catalogue import service
from shopbridge.catalogue.models import Product, ProductStatus
from shopbridge.catalogue.service import ProductInput, VariantInput

blp = Blueprint("products", __name__, url_prefix="/api/v1/products", description="Products of the catalogue.")

LINK_HEADER = {"Link": {"description": "RFC 8288 links to the `first`, `prev`, `next` and `last` pages.",
                        "schema": {"type": "string"}}}


def _aware(moment: datetime) -> datetime:
    """``updated_since`` as an aware UTC datetime; a moment without an offset is taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 lies before datetime.min in UTC
        return datetime.min.replace(tzinfo=UTC) if moment.year < 2 else datetime.max.replace(tzinfo=UTC)


def _page_links(page: service.Page) -> str:
    args = request.args.to_dict(flat=True)

    def link(number: int, rel: str) -> str:
        return f'<{url_for(request.endpoint, **{**args, "page": number}, _external=True)}>; rel="{rel}"'

    links = [link(1, "first")]
    if page.has_prev:
        links.append(link(min(page.page - 1, page.pages), "prev"))
    if page.has_next:
        links.append(link(page.page + 1, "next"))
    links.append(link(page.pages, "last"))
    return ", ".join(links)


@blp.route("", methods=["GET"])
@requires(CATALOGUE_VIEW)
@blp.arguments(ProductQuerySchema, location="query", as_kwargs=True)
@blp.response(200, ProductPageSchema, headers=LINK_HEADER)
@problem_responses(401, 422)
def list_products(**query: Any):
    """List products

    Products matching the filters, one page at a time, in a stable order (by `id` unless `sort` says
    otherwise). The body carries `pagination` (page, per_page, total, pages); the `Link` header names the
    first, previous, next and last pages. For incremental sync, pass the time of your last sync as
    `updated_since` and sort by `updated_at`.
    """
    session = db.session()
    updated_since = query.get("updated_since")
    page = service.search_products(
        session,
        q=query.get("q"),
        status=query.get("status"),
        category=query.get("category"),
        stock=query.get("stock"),
        updated_since=_aware(updated_since) if updated_since else None,
        page=query["page"],
        per_page=query["per_page"],
        order=query["sort"],
    )
    ids = [p.id for p in page.items]
    if ids:  # load variants, images and categories of the whole page in three queries, not three per product
        session.exec(select(Product).where(Product.id.in_(ids)).options(
            selectinload(Product.variants), selectinload(Product.images), selectinload(Product.category))).all()
    body = {
        "items": [product_out(p) for p in page.items],
        "pagination": {"page": page.page, "per_page": page.per_page, "total": page.total, "pages": page.pages},
    }
    return body, 200, {"Link": _page_links(page)}


@blp.route("", methods=["POST"])
@requires(CATALOGUE_EDIT)
@blp.arguments(ProductCreateSchema)
@blp.response(201, ProductSchema)
@problem_responses(400, 401, 403, 409, 415, 422)
def create_product(data: dict[str, Any]):
    """Create a product

    Creates a product with at least one variant. The `slug` is made from the title when omitted. New products
    are `draft` (not shown in the shop) unless `status` says `active`. A duplicate SKU or slug, a negative
    price or an unknown currency is refused with 422 and field-level `errors`; nothing is saved.
    """
    session = db.session()
    product_input = ProductInput(
        title=data["title"],
        slug=data.get("slug"),
        description=data.get("description") or "",
        brand=data.get("brand") or "",
        category=data.get("category"),
        status=data["status"],
        variants=[VariantInput(**v) for v in data["variants"]],
    )
    product = commit_write(session, lambda: service.create_product(session, product_input, actor()))
    return product_out(product), 201, {"Location": url_for("products.get_product", product_id=product.id)}


@blp.route("/<int:product_id>", methods=["GET"])
@requires(CATALOGUE_VIEW)
@blp.response(200, ProductSchema)
@problem_responses(401, 404)
def get_product(product_id: int):
    """Get a product

    One product with its variants and images, by id.
    """
    return product_out(load_product(product_id))


@blp.route("/by-slug/<slug>", methods=["GET"])
@requires(CATALOGUE_VIEW)
@blp.response(200, ProductSchema)
@problem_responses(401, 404)
def get_product_by_slug(slug: str):
    """Get a product by slug

    One product by the slug in its storefront URL (`/p/<slug>`): handy when all you have is a link.
    """
    product = service.get_by_slug(db.session(), slug) if service.SLUG_RE.match(slug) else None
    if product is None:
        from flask_smorest import abort

        abort(404, message=f"No product has the slug “{slug}”.")
    return product_out(product)


@blp.route("/<int:product_id>", methods=["PATCH"])
@requires(CATALOGUE_EDIT)
@blp.arguments(ProductPatchSchema)
@blp.response(200, ProductSchema)
@problem_responses(400, 401, 403, 404, 409, 415, 422)
def update_product(changes: dict[str, Any], product_id: int):
    """Change a product

    Changes the product-level fields that are sent (title, slug, description, brand, category, status) and
    leaves every other field as it is. Variants change through `/api/v1/variants/{id}`. Sending `status:
    active` brings an archived product back.
    """
    session = db.session()
    product = load_product(product_id)
    product_input = service.input_from_product(product)
    for name, value in changes.items():
        setattr(product_input, name, value)
    commit_write(session, lambda: service.update_product(session, product, product_input, actor()))
    return product_out(product)


@blp.route("/<int:product_id>/archive", methods=["POST"])
@requires(CATALOGUE_EDIT)
@blp.response(200, ProductSchema)
@problem_responses(401, 403, 404)
def archive_product(product_id: int):
    """Archive a product

    Hides the product from the shop while keeping it readable here. Archiving an
    archived product changes nothing. PATCH `status` to `active` or `draft` to bring it back.
    """
    session = db.session()
    product = load_product(product_id)
    if product.status != ProductStatus.archived:
        service.archive_product(session, product, actor())
        session.commit()
    return product_out(product)
