"""The orders admin: ``/admin/orders`` — list, search, detail with timeline, fulfil, refund, CSV export,
and the payment settings (provider, Stripe keys, shipping rates).

Staff may see and fulfil orders; refunds and payment settings move money and are the owner's alone
(``payments.manage``). The agency role sees none of it.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterator

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import or_
from sqlalchemy.orm import selectinload
from sqlmodel import func, select
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from shopbridge import audit, db, settings
from shopbridge.access import ORDERS_MANAGE, ORDERS_VIEW, PAYMENTS_MANAGE, actor, requires
from shopbridge.checkout import pricing, service
from shopbridge.checkout.models import Order, OrderStatus
from shopbridge.money import Money, MoneyError
from shopbridge.payments import PaymentError, active_identifier, available_providers

bp = Blueprint("orders", __name__, url_prefix="/admin/orders")


class FulfilForm(FlaskForm):
    tracking_number = StringField(_l("Tracking number"), validators=[Optional(), Length(max=100)])


class ReviewForm(FlaskForm):
    note = StringField(_l("What was done"), validators=[Optional(), Length(max=300)])


class RefundForm(FlaskForm):
    nonce = HiddenField()
    amount = StringField(_l("Amount to refund"), validators=[DataRequired(), Length(max=20)])
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=300)])


class PaymentSettingsForm(FlaskForm):
    provider = SelectField(_l("Payment provider"))
    stripe_secret_key = PasswordField(_l("Stripe secret key"), validators=[Optional(), Length(max=200)])
    stripe_webhook_secret = PasswordField(_l("Stripe webhook signing secret"), validators=[Optional(), Length(max=200)])
    allow_promotion_codes = BooleanField(_l("Let shoppers enter Stripe promotion codes"))
    shipping_rates = TextAreaField(_l("Shipping rates, one per line: country code and price (e.g. IT 5.00)"),
                                   validators=[DataRequired()])


def _filtered(query, args):
    status = args.get("status", "")
    if status in OrderStatus.__members__:
        query = query.where(Order.status == status)
    if args.get("review"):
        query = query.where(Order.needs_review.is_(True))  # type: ignore[attr-defined]
    term = (args.get("q") or "").strip()
    if term:
        like = f"%{term.lower()}%"
        conditions = [func.lower(Order.email).like(like), func.lower(Order.customer_name).like(like),
                      Order.link_code == term, Order.provider_reference == term, Order.payment_reference == term]
        if term.lstrip("#").isdigit():
            conditions.append(Order.id == int(term.lstrip("#")))
        query = query.where(or_(*conditions))
    return query


@bp.get("/")
@requires(ORDERS_VIEW)
def index():
    session = db.session()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    size = int(current_app.config.get("ADMIN_PAGE_SIZE", 25))
    query = _filtered(select(Order), request.args)
    total = session.exec(_filtered(select(func.count()).select_from(Order), request.args)).one()
    orders = session.exec(query.order_by(Order.id.desc()).offset((page - 1) * size).limit(size)).all()
    return render_template("orders/index.html", orders=orders, total=total, page=page,
                           pages=max((total + size - 1) // size, 1), statuses=list(OrderStatus),
                           args=request.args, provider=active_identifier(session))


@bp.get("/export.csv")
@requires(ORDERS_VIEW)
def export():
    session = db.session()
    query = _filtered(select(Order), request.args).order_by(Order.id).options(selectinload(Order.lines))

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["number", "created_at", "paid_at", "status", "email", "name", "country", "currency",
                         "subtotal", "discount_code", "discount", "shipping", "total", "paid", "refunded", "items", "link_code", "provider",
                         "payment_reference", "tracking_number", "needs_review"])
        try:
            for order in session.exec(query):
                writer.writerow([
                    order.number, order.created_at.isoformat(), order.paid_at.isoformat() if order.paid_at else "",
                    order.status, order.email or "", order.customer_name, order.shipping_country, order.currency,
                    Money(order.subtotal_minor, order.currency).plain(), order.discount_code or "",
                    Money(order.discount_minor, order.currency).plain() if order.discount_minor else "",
                    Money(order.shipping_minor, order.currency).plain(),
                    Money(order.total_minor, order.currency).plain(),
                    Money(order.paid_minor, order.currency).plain() if order.paid_minor is not None else "",
                    Money(order.refunded_minor, order.currency).plain(),
                    "; ".join(f"{x.quantity} x {x.sku}" for x in order.lines), order.link_code or "", order.provider,
                    order.payment_reference or "", order.tracking_number, "yes" if order.needs_review else "",
                ])
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        finally:
            session.close()  # end the read transaction with the last row, not when the response is collected

    # stream_with_context keeps the request (and its database session) open until the last row is sent.
    return Response(stream_with_context(rows()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=orders.csv"})


@bp.get("/<int:order_id>")
@requires(ORDERS_VIEW)
def detail(order_id: int):
    order = db.session().get(Order, order_id) or abort(404)
    refund_form = RefundForm(amount=Money(order.refundable_minor, order.currency).plain(),
                             nonce=secrets.token_urlsafe(16))
    return render_template("orders/detail.html", order=order, fulfil_form=FulfilForm(obj=order),
                           refund_form=refund_form, review_form=ReviewForm())


@bp.post("/<int:order_id>/reviewed")
@requires(ORDERS_MANAGE)
def reviewed(order_id: int):
    session = db.session()
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            service.mark_reviewed(session, order_id, note=form.note.data or "", user=actor())
        except LookupError:
            abort(404)
        session.commit()
        flash(_("Review closed."), "ok")
    return redirect(url_for("orders.detail", order_id=order_id), 303)


@bp.post("/<int:order_id>/fulfil")
@requires(ORDERS_MANAGE)
def fulfil(order_id: int):
    session = db.session()
    form = FulfilForm()
    if form.validate_on_submit():
        try:
            service.fulfil(session, order_id, tracking_number=form.tracking_number.data or "", user=actor())
            session.commit()
            flash(_("Order marked fulfilled."), "ok")
        except (service.CheckoutError, LookupError) as exc:
            session.rollback()
            flash(str(exc), "error")
    return redirect(url_for("orders.detail", order_id=order_id), 303)


@bp.post("/<int:order_id>/refund")
@requires(PAYMENTS_MANAGE)
def refund(order_id: int):
    session = db.session()
    order = session.get(Order, order_id) or abort(404)
    form = RefundForm()
    if not form.validate_on_submit():
        flash(_("Enter the amount to refund."), "error")
        return redirect(url_for("orders.detail", order_id=order_id), 303)
    try:
        amount = Money.parse(form.amount.data, order.currency).amount_minor
        nonce = (form.nonce.data or "")[:64] or None
        service.refund(session, order_id, amount, user=actor(), reason=form.reason.data or "", request_key=nonce)
        session.commit()
        flash(_("Refunded %(amount)s.", amount=Money(amount, order.currency).plain()), "ok")
    except (MoneyError, ValueError) as exc:
        session.rollback()
        flash(_("Amount: %(error)s", error=str(exc)), "error")
    except (service.CheckoutError, PaymentError) as exc:
        session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("orders.detail", order_id=order_id), 303)


@bp.post("/<int:order_id>/cancel")
@requires(ORDERS_MANAGE)
def cancel(order_id: int):
    session = db.session()
    order = session.get(Order, order_id) or abort(404)
    if order.status != OrderStatus.pending:
        flash(_("Only pending orders can be cancelled; refund a paid order instead."), "error")
        return redirect(url_for("orders.detail", order_id=order_id), 303)
    from shopbridge.payments import get_provider

    try:
        if order.provider_reference:
            get_provider(session, order.provider).cancel_checkout(order.provider_reference)
    except PaymentError as exc:
        flash(_("The payment provider would not close the checkout: %(error)s", error=str(exc)), "error")
        return redirect(url_for("orders.detail", order_id=order_id), 303)
    user = actor()
    service.cancel(session, order_id, reason="Cancelled in the admin.", source=getattr(user, "email", "admin"))
    audit.record(session, user, "order.cancel", order)
    session.commit()
    flash(_("Order cancelled; stock released."), "ok")
    return redirect(url_for("orders.detail", order_id=order_id), 303)


def _rates_text(rates: dict[str, int], currency: str) -> str:
    return "\n".join(f"{country} {Money(minor, currency).plain()}" for country, minor in sorted(rates.items()))


def _parse_rates(text: str, currency: str) -> dict[str, int]:
    rates = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or len(parts[0]) != 2 or not parts[0].isalpha():
            raise ValueError(_("Line %(n)s: write a two-letter country code and a price.", n=number))
        try:
            rates[parts[0].upper()] = Money.parse(parts[1], currency).amount_minor
        except (MoneyError, ValueError):
            raise ValueError(_("Line %(n)s: %(price)s is not a price.", n=number, price=parts[1])) from None
    if not rates:
        raise ValueError(_("Add at least one country you ship to."))
    return rates


@bp.route("/settings", methods=["GET", "POST"])
@requires(PAYMENTS_MANAGE)
def payment_settings():
    session = db.session()
    currency = current_app.config["DEFAULT_CURRENCY"]
    providers = available_providers()
    form = PaymentSettingsForm(
        provider=settings.get(session, "payments.provider") or active_identifier(session),
        allow_promotion_codes=bool(settings.get(session, "stripe.allow_promotion_codes")),
        shipping_rates=_rates_text(pricing.shipping_rates(session), currency),
    )
    form.provider.choices = [(key, cls.verbose_name) for key, cls in providers.items()]
    if form.validate_on_submit():
        try:
            rates = _parse_rates(form.shipping_rates.data, currency)
        except ValueError as exc:
            form.shipping_rates.errors = [str(exc)]
        else:
            user = actor()
            settings.put(session, "payments.provider", form.provider.data)
            settings.put(session, "stripe.allow_promotion_codes", bool(form.allow_promotion_codes.data))
            settings.put(session, pricing.SHIPPING_SETTING, rates)
            changed = {"provider": form.provider.data, "shipping_rates": rates,
                       "allow_promotion_codes": bool(form.allow_promotion_codes.data)}
            # Secrets: an empty field keeps the stored value; the audit log records only that it changed.
            for field, key in ((form.stripe_secret_key, "stripe.secret_key"),
                               (form.stripe_webhook_secret, "stripe.webhook_secret")):
                if field.data:
                    settings.put(session, key, field.data.strip(), secret=True)
                    changed[key] = "(changed)"
            audit.record(session, user, "payments.settings", None, changed)
            session.commit()
            flash(_("Payment settings saved."), "ok")
            return redirect(url_for("orders.payment_settings"), 303)
    status = {
        "active": active_identifier(session),
        "stripe_key_env": bool(current_app.config.get("STRIPE_SECRET_KEY")),
        "stripe_key_stored": bool(settings.get(session, "stripe.secret_key")),
        "webhook_secret": bool(current_app.config.get("STRIPE_WEBHOOK_SECRET")
                               or settings.get(session, "stripe.webhook_secret")),
    }
    return render_template("orders/settings.html", form=form, status=status, providers=providers,
                           webhook_url=url_for("checkout.stripe_webhook", _external=True))
