"""The admin shell's own pages: dashboard, shop settings and the audit log."""

from __future__ import annotations

from babel import Locale
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import func, or_, select

from shopbridge import db
from shopbridge.access import AUDIT_VIEW, SELF, SETTINGS_MANAGE, requires
from shopbridge.accounts.models import AuditEntry
from shopbridge.admin import bp, shop_settings
from shopbridge.admin.forms import SettingsForm
from shopbridge.admin.menu import items_for
from shopbridge.catalogue.forms import COMMON_CURRENCIES, SelectChoice
from shopbridge.catalogue.models import Product, ProductStatus, Variant
from shopbridge.catalogue.service import Page


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


@bp.route("/settings", methods=["GET", "POST"])
@requires(SETTINGS_MANAGE)
def settings():
    session = db.session()
    languages = list(current_app.config["LANGUAGES"])
    current = {key: shop_settings.effective(session, key) for key in shop_settings.SHOP_SETTINGS}
    form = SettingsForm(data=current) if request.method == "GET" else SettingsForm()
    form.default_locale.choices = [SelectChoice(code, Locale.parse(code).get_display_name(code).capitalize())
                                   for code in languages]
    if form.validate_on_submit():
        try:
            changes = shop_settings.update(session, form.data, current_user, languages=languages)
        except shop_settings.SettingsError as exc:
            session.rollback()
            for name, message in exc.errors.items():
                getattr(form, name).errors.append(message)
        else:
            session.commit()
            flash(_("Settings saved.") if changes else _("Nothing changed."))
            return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form, currencies=COMMON_CURRENCIES), \
        400 if form.errors else 200


AUDIT_PAGE_SIZE = 50


@bp.get("/audit")
@requires(AUDIT_VIEW)
def audit_log():
    session = db.session()
    actor = request.args.get("actor", "").strip()[:254]
    action = request.args.get("action", "").strip()[:64]
    page = max(1, request.args.get("page", 1, type=int) or 1)
    query = select(AuditEntry)
    if actor:
        query = query.where(func.lower(AuditEntry.actor) == actor.lower())
    if action:
        # "product" matches every product.* action; "product.update" matches exactly that.
        query = query.where(or_(AuditEntry.action == action, AuditEntry.action.startswith(action + ".")))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    entries = session.exec(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                           .offset((page - 1) * AUDIT_PAGE_SIZE).limit(AUDIT_PAGE_SIZE)).all()
    actions = session.exec(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    actors = session.exec(select(AuditEntry.actor).distinct().order_by(AuditEntry.actor)).all()
    result = Page(items=list(entries), total=total, page=page, per_page=AUDIT_PAGE_SIZE)
    filters = {k: v for k, v in {"actor": actor, "action": action}.items() if v}
    return render_template("admin/audit.html", page=result, filters=filters, actor=actor, action=action,
                           actions=actions, actors=actors)
