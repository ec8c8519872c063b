"""Demo catalogue (placeholder: one product until the full demo set lands)."""

from __future__ import annotations

from shopbridge.catalogue.service import ProductInput, VariantInput, create_product


def load_catalogue(app, session) -> None:
    create_product(session, ProductInput(title="Linen shirt", status="active", category="Shirts", variants=[
        VariantInput(sku="LIN-S", price_minor=4900, currency="EUR", stock=4, options={"size": "S"})]))
