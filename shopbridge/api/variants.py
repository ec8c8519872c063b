"""Variants: ``/api/v1/products/{id}/variants`` (list, add) and ``/api/v1/variants/{id}`` (read, change).

A variant is what is actually sold: a SKU with options (size, colour), a price in minor units, a currency and
a stock count. Stock updates are a PATCH of ``stock`` alone. Every change goes through the catalogue service
and is re-validated together with the rest of the product (one currency per product, SKUs unique shop-wide).
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from shopbridge import db
from shopbridge.access import CATALOGUE_EDIT, CATALOGUE_VIEW, actor, requires
from shopbridge.api import Blueprint
from shopbridge.api.common import (
    catalogue_problem,
    commit_write,
    load_product,
    load_variant,
    problem_responses,
    variant_out,
)
from shopbridge.api.schemas import (
    StockAdjustmentSchema,
    VariantInSchema,
    VariantListSchema,
    VariantPatchSchema,
    VariantSchema,
)
from shopbridge.catalogue import service
from shopbridge.catalogue.service import CatalogueError, VariantInput

blp = Blueprint("variants", __name__, url_prefix="/api/v1", description="Variants: SKU, price and stock.")


@blp.route("/products/<int:product_id>/variants", methods=["GET"])
@requires(CATALOGUE_VIEW)
@blp.response(200, VariantListSchema)
@problem_responses(401, 404)
def list_variants(product_id: int):
    """List a product's variants

    Every variant of the product, in the order the shop shows them.
    """
    return {"items": [variant_out(v) for v in load_product(product_id).variants]}


@blp.route("/products/<int:product_id>/variants", methods=["POST"])
@requires(CATALOGUE_EDIT)
@blp.arguments(VariantInSchema)
@blp.response(201, VariantSchema)
@problem_responses(400, 401, 403, 404, 409, 415, 422)
def create_variant(data: dict[str, Any], product_id: int):
    """Add a variant

    Adds a variant to the product. Its SKU must be unused across the shop and its currency the same as the
    product's other variants.
    """
    session = db.session()
    product = load_product(product_id)
    variant = commit_write(session, lambda: service.add_variant(session, product, VariantInput(**data), actor()))
    return variant_out(variant), 201, {"Location": url_for("variants.get_variant", variant_id=variant.id)}


@blp.route("/variants/<int:variant_id>", methods=["GET"])
@requires(CATALOGUE_VIEW)
@blp.response(200, VariantSchema)
@problem_responses(401, 404)
def get_variant(variant_id: int):
    """Get a variant

    One variant by id, with its product's id.
    """
    return variant_out(load_variant(variant_id))


@blp.route("/variants/<int:variant_id>", methods=["PATCH"])
@requires(CATALOGUE_EDIT)
@blp.arguments(VariantPatchSchema)
@blp.response(200, VariantSchema)
@problem_responses(400, 401, 403, 404, 409, 415, 422)
def update_variant(changes: dict[str, Any], variant_id: int):
    """Change a variant

    Changes the fields that are sent and keeps the others: `{"stock": 7}` sets the stock to 7,
    `{"price_minor": 2499}` the price to 24.99. `compare_at_minor: null` removes the “was” price.
    """
    session = db.session()
    variant = load_variant(variant_id)
    variant = commit_write(session, lambda: service.update_variant(session, variant, changes, actor()))
    return variant_out(variant)


@blp.route("/variants/<int:variant_id>/stock-adjustments", methods=["POST"])
@requires(CATALOGUE_EDIT)
@blp.arguments(StockAdjustmentSchema)
@blp.response(200, VariantSchema)
@problem_responses(400, 401, 403, 404, 409, 415, 422)
def adjust_stock(data: dict[str, Any], variant_id: int):
    """Adjust a variant's stock

    Adds `delta` units to the stock (negative to take some away), atomically: unlike a PATCH of `stock`, an
    adjustment never overwrites a sale or another adjustment made at the same moment. Use it for deliveries
    (`{"delta": 24}`) and losses (`{"delta": -1, "reason": "damaged"}`). An adjustment that would take the
    stock below zero is refused with 409 and changes nothing.
    """
    session = db.session()
    variant = load_variant(variant_id)
    try:
        service.adjust_stock(session, variant, data["delta"], actor(), reason=data["reason"])
        session.commit()
    except CatalogueError as exc:
        session.rollback()
        return catalogue_problem(exc)
    return variant_out(variant)
