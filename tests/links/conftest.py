"""Fixtures for the buy-link stories: a shop with a two-variant shirt and links made through the service."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# linkhelpers.py sits beside these tests; importlib import mode does not put this folder on sys.path.
sys.path.insert(0, str(Path(__file__).parent))


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
