"""Products and variants (filled in by the API work; a listing so the app boots)."""

from __future__ import annotations

from flask_smorest import Blueprint

from shopbridge import db
from shopbridge.access import CATALOGUE_VIEW, requires
from shopbridge.catalogue import service

blp = Blueprint("products", __name__, url_prefix="/api/v1/products", description="The shop's catalogue")


@blp.route("")
@requires(CATALOGUE_VIEW)
def list_products():
    page = service.search_products(db.session())
    return {"items": [{"id": p.id, "slug": p.slug, "title": p.title} for p in page.items], "total": page.total}
