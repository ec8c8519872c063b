"""Fixtures for the buy-link stories: a shop with a two-variant shirt and links made through the service."""

from __future__ import annotations

import pytest


@pytest.fixture
def shirt(db_session):
    from shopbridge.testing import make_product

    return make_product(db_session, title="Linen shirt", slug="linen-shirt", variants=[
        {"sku": "LIN-S", "price_minor": 4900, "currency": "EUR", "stock": 3, "options": {"size": "S"}},
        {"sku": "LIN-M", "price_minor": 4900, "currency": "EUR", "stock": 0, "options": {"size": "M"}},
    ])


@pytest.fixture
def make_link(db_session, shirt):
    """``make_link(channel="instagram", ...)`` creates a link through the service and commits it."""
    from shopbridge.links import service

    def make(**kwargs):
        kwargs.setdefault("product", shirt)
        kwargs.setdefault("destination", "product")
        link = service.create_link(db_session, **kwargs)
        db_session.commit()
        return link

    return make
