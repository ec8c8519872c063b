from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlmodel import func, select

from shopbridge import db
from shopbridge.access import SELF, requires
from shopbridge.admin import bp
from shopbridge.admin.menu import items_for
from shopbridge.catalogue.models import Product, ProductStatus, Variant


@bp.app_context_processor
def admin_menu():
    def menu():
        return items_for(current_user) if current_user.is_authenticated else []

    return {"admin_menu": menu}


@bp.get("/")
@requires(SELF)
def dashboard():
    session = db.session()
    counts = {
        status.value: session.exec(select(func.count()).select_from(Product).where(Product.status == status)).one()
        for status in ProductStatus
    }
    out_of_stock = session.exec(
        select(func.count()).select_from(Product).where(
            Product.status == ProductStatus.active,
            Product.id.not_in(select(Variant.product_id).where(Variant.stock > 0)),
        )
    ).one()
    return render_template("admin/dashboard.html", counts=counts, out_of_stock=out_of_stock)
