"""What the product and variant endpoints share: loading by id, turning rows into JSON, error answers."""

from __future__ import annotations

import http
from collections.abc import Callable
from typing import Any

from flask import abort as abort_with
from flask_smorest import abort
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from shopbridge import db
from shopbridge.catalogue.models import Product, Variant
from shopbridge.catalogue.service import CatalogueError
from shopbridge.problems import problem_response
from shopbridge.web import external_url

# Ids are 32-bit on every database we support (PostgreSQL's INTEGER); anything larger cannot exist, and
# asking the database would make PostgreSQL raise instead of answering "not found".
MAX_ID = 2**31 - 1


def problem_responses(*statuses: int) -> Callable[[Callable], Callable]:
    """Document the problem responses an operation can give (each refers to the shared ``Problem`` schema)."""
    from shopbridge.api import Blueprint

    def decorate(view: Callable) -> Callable:
        for status in statuses:
            view = Blueprint.alt_response(None, status, response=http.HTTPStatus(status).name)(view)
        return view

    return decorate


def load_product(product_id: int) -> Product:
    product = db.session().get(Product, product_id) if 0 < product_id <= MAX_ID else None
    if product is None:
        abort(404, message=f"No product has the id {product_id}.")
    return product


def load_variant(variant_id: int) -> Variant:
    variant = db.session().get(Variant, variant_id) if 0 < variant_id <= MAX_ID else None
    if variant is None:
        abort(404, message=f"No variant has the id {variant_id}.")
    return variant


def variant_out(variant: Variant) -> dict[str, Any]:
    return {
        "id": variant.id,
        "product_id": variant.product_id,
        "sku": variant.sku,
        "options": dict(variant.options or {}),
        "price_minor": variant.price_minor,
        "compare_at_minor": variant.compare_at_minor,
        "currency": variant.currency,
        "stock": variant.stock,
        "gtin": variant.gtin,
        "position": variant.position,
        "updated_at": variant.updated_at,
    }


def product_out(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "slug": product.slug,
        "title": product.title,
        "description": product.description,
        "brand": product.brand,
        "status": str(product.status.value if hasattr(product.status, "value") else product.status),
        "category": {"slug": product.category.slug, "name": product.category.name} if product.category else None,
        "url": external_url("storefront.product", slug=product.slug),
        "created_at": product.created_at,
        "updated_at": product.updated_at,
        "variants": [variant_out(v) for v in product.variants],
        "images": [
            {"id": i.id, "url": external_url("media.file", filename=i.path), "width": i.width,
             "height": i.height, "alt": i.alt}
            for i in product.images
        ],
    }


def catalogue_problem(exc: CatalogueError):
    """The catalogue's refusal as a problem listing every field it refused, in the order it found them.

    409 Conflict when every problem is a clash with what the shop already has (a slug or SKU in use: the
    request is fine, the state is not); 422 when anything in the request is invalid on its own.
    """
    errors = [{"field": e.field, "message": e.message} for e in exc.errors]
    if all(e.code == "conflict" for e in exc.errors):
        return problem_response(409, detail="A slug or SKU is already in use; see errors. Nothing was saved.",
                                errors=errors, type_="conflict")
    return problem_response(422, detail="Some fields are invalid; see errors. Nothing was saved.", errors=errors,
                            type_="validation-failed")


def conflict_problem():
    """409 when a unique rule was broken by a concurrent request between our check and our write."""
    return problem_response(409, type_="conflict", detail="Another request changed the same product, SKU or slug at the same "
                            "moment; nothing was saved. Fetch the current state and try again.")


def commit_write(session: Session, write: Callable[[], Any]) -> Any:
    """Run one catalogue write and commit it; a refusal rolls everything back and answers its problem.

    ``CatalogueError`` becomes :func:`catalogue_problem` (422, or 409 for clashes); an ``IntegrityError`` means a
    concurrent request won the race between our check and our write, :func:`conflict_problem`.
    """
    try:
        result = write()
        session.commit()
    except CatalogueError as exc:
        session.rollback()
        abort_with(catalogue_problem(exc))
    except IntegrityError:
        session.rollback()
        abort_with(conflict_problem())
    return result
