"""``/admin/discounts``: the owner makes discount codes and disables them (codes are never deleted: orders keep
the code they used). Changing prices is a money decision, so the pages need ``payments.manage``."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlmodel import func, select
from wtforms import DateField, IntegerField, RadioField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from shopbridge import db
from shopbridge.access import PAYMENTS_MANAGE, actor, requires
from shopbridge.catalogue.forms import SelectChoice
from shopbridge.checkout import discounts
from shopbridge.checkout.models import DiscountCode, DiscountKind, Order
from shopbridge.money import Money, MoneyError

bp = Blueprint("discounts", __name__, url_prefix="/admin/discounts")


class DiscountForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    kind = RadioField(_l("Discount"), choices=[SelectChoice(DiscountKind.percent.value,
                                                            _l("A percentage of the subtotal")),
                                               SelectChoice(DiscountKind.fixed.value,
                                                            _l("A fixed amount off the subtotal"))],
                      default=DiscountKind.percent.value)
    percent = IntegerField(_l("Percentage"), validators=[Optional(), NumberRange(min=1, max=100)])
    amount = StringField(_l("Amount (e.g. 5.00)"), validators=[Optional(), Length(max=20)])
    currency = StringField(_l("Currency"), validators=[Optional(), Length(min=3, max=3)])
    expires_on = DateField(_l("Valid until (optional; the end of that day, in the shop's time zone)"),
                           validators=[Optional()])


class EnableForm(FlaskForm):
    pass


def _end_of_day(day) -> datetime:
    zone = ZoneInfo(current_app.config.get("TIMEZONE", "UTC"))
    return datetime.combine(day, time(23, 59, 59), zone).astimezone(UTC)


@bp.route("/", methods=["GET", "POST"])
@requires(PAYMENTS_MANAGE)
def index():
    session = db.session()
    form = DiscountForm()
    if not form.currency.data:
        form.currency.data = current_app.config.get("DEFAULT_CURRENCY", "EUR")
    if form.validate_on_submit():
        try:
            amount_minor = None
            if form.kind.data == DiscountKind.fixed.value and form.amount.data:
                amount_minor = Money.parse(form.amount.data, form.currency.data.upper()).amount_minor
            code = discounts.create_code(
                session, code=form.code.data, kind=form.kind.data, percent=form.percent.data,
                amount_minor=amount_minor, currency=form.currency.data,
                expires_at=_end_of_day(form.expires_on.data) if form.expires_on.data else None, user=actor())
        except (MoneyError, ValueError, discounts.DiscountError) as exc:
            session.rollback()
            target = getattr(form, getattr(exc, "field", ""), None) or form.amount
            target.errors = [*list(target.errors), str(exc)]
        else:
            session.commit()
            flash(_("Discount code %(code)s created.", code=code.code), "success")
            return redirect(url_for("discounts.index"), 303)
    codes = discounts.list_codes(session)
    uses = dict(session.exec(select(Order.discount_code, func.count(Order.id))
                             .where(Order.paid_at.is_not(None), Order.discount_code.is_not(None))  # type: ignore[union-attr]
                             .group_by(Order.discount_code)).all())
    return render_template("discounts/index.html", form=form, codes=codes, uses=uses, toggle=EnableForm()), \
        (400 if form.errors else 200)


@bp.post("/<int:discount_id>/enabled")
@requires(PAYMENTS_MANAGE)
def set_enabled(discount_id: int):
    session = db.session()
    discount = session.get(DiscountCode, discount_id)
    if discount is None:
        abort(404)
    if EnableForm().validate_on_submit():
        enable = not discount.enabled
        discounts.set_enabled(session, discount, enable, actor())
        session.commit()
        flash(_("%(code)s can be used again.", code=discount.code) if enable else
              _("%(code)s can no longer be used.", code=discount.code), "success")
    return redirect(url_for("discounts.index"), 303)
