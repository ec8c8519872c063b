"""Admin pages for buy links (``/admin/links``) and their analytics (``/admin/analytics``).

Agency users may look (``analytics.view``); only the owner and staff create, change, disable or print links
(``links.manage``). Every change goes through :mod:`shopbridge.links.service`.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import BooleanField, DateTimeLocalField, SelectField, StringField
from wtforms.validators import Length, Optional

try:  # WTForms ≥ 3.3 deprecates bare (value, label) tuples
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older WTForms: a tuple with the same field names
    from collections import namedtuple

    SelectChoice = namedtuple("SelectChoice", "value label")  # type: ignore[misc]

from shopbridge import db
from shopbridge.access import ANALYTICS_VIEW, LINKS_MANAGE, requires
from shopbridge.catalogue.models import Product, ProductStatus, Variant
from shopbridge.i18n import format_money
from shopbridge.links import analytics, analytics_bp, bp, charts, printables, qr, service
from shopbridge.links.models import BuyLink, Destination, HitKind
from shopbridge.links.views import qr_url, short_url


class LinkForm(FlaskForm):
    product = SelectField(_l("Product"), coerce=int)
    variant = SelectField(_l("Variant"), coerce=int, description=_l("Leave on “any” to let the shopper choose."))
    destination = SelectField(_l("Opens"), choices=[
        SelectChoice(Destination.product.value, _l("the product page")),
        SelectChoice(Destination.checkout.value, _l("checkout for the variant (scan to buy)")),
    ])
    channel = StringField(_l("Channel"), validators=[Length(max=40)], default="instagram",
                          description=_l("Where the link is placed: instagram, whatsapp, poster …"))
    campaign = StringField(_l("Campaign"), validators=[Length(max=80)])
    placement = StringField(_l("Placement"), validators=[Length(max=120)],
                            description=_l("e.g. “poster, Cadorna station” or “bio link”"))
    expires_at = DateTimeLocalField(_l("Expires (UTC)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    enabled = BooleanField(_l("Enabled"), default=True)


def _choices(form: LinkForm, session) -> None:
    products = session.exec(
        select(Product).where(Product.status != ProductStatus.archived).order_by(Product.title)
    ).all()
    form.product.choices = [SelectChoice(p.id, p.title) for p in products]
    form.variant.choices = [SelectChoice(0, _("any variant"))] + [
        SelectChoice(v.id, f"{p.title} — {v.label} ({v.sku})") for p in products for v in p.variants
    ]


def _apply_errors(form: LinkForm, exc: service.LinkError) -> None:
    for name, message in exc.as_dict().items():
        target = getattr(form, name, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = [*target.errors, message]
        else:
            flash(f"{name}: {message}", "error")


def _link_or_404(link_id: int) -> BuyLink:
    link = db.session().get(BuyLink, link_id)
    if link is None:
        abort(404)
    return link


@bp.get("/")
@requires(ANALYTICS_VIEW)
def index():
    session = db.session()
    query = select(BuyLink, Product).join(Product, Product.id == BuyLink.product_id)
    channel = request.args.get("channel", "").strip()
    product_id = request.args.get("product", type=int)
    if channel:
        query = query.where(BuyLink.channel == channel)
    if product_id:
        query = query.where(BuyLink.product_id == product_id)
    rows = session.exec(query.order_by(BuyLink.created_at.desc(), BuyLink.id.desc()).limit(200)).all()
    totals = analytics.link_totals(session, [link.id for link, _p in rows])
    return render_template("links/index.html", rows=rows, totals=totals, channel=channel,
                           short_url=short_url, now=datetime.now(UTC))


@bp.route("/new", methods=["GET", "POST"])
@requires(LINKS_MANAGE)
def create():
    session = db.session()
    form = LinkForm()
    _choices(form, session)
    if request.method == "GET" and request.args.get("product", type=int):
        form.product.data = request.args.get("product", type=int)
    if form.validate_on_submit():
        product = session.get(Product, form.product.data)
        variant = session.get(Variant, form.variant.data) if form.variant.data else None
        try:
            link = service.create_link(
                session, product=product, variant=variant, destination=form.destination.data,
                channel=form.channel.data, campaign=form.campaign.data, placement=form.placement.data,
                expires_at=form.expires_at.data.replace(tzinfo=UTC) if form.expires_at.data else None,
                user=current_user._get_current_object())
            if not form.enabled.data:
                service.set_enabled(session, link, False, current_user._get_current_object())
            session.commit()
        except service.LinkError as exc:
            session.rollback()
            _apply_errors(form, exc)
        else:
            flash(_("Link %(code)s created.", code=link.code), "success")
            return redirect(url_for("links.detail", link_id=link.id))
    return render_template("links/form.html", form=form, link=None), 200 if not form.errors else 400


@bp.get("/<int:link_id>")
@requires(ANALYTICS_VIEW)
def detail(link_id: int):
    session = db.session()
    link = _link_or_404(link_id)
    product = session.get(Product, link.product_id)
    variant = session.get(Variant, link.variant_id) if link.variant_id else None
    report = analytics.report(session, analytics.Filters.last_days(30, link_id=link.id), groups=("device", "in_app"))
    return render_template("links/detail.html", link=link, product=product, variant=variant, report=report,
                           click_url=short_url(link), scan_url=short_url(link, HitKind.scan), qr_url=qr_url,
                           papers=list(printables.PAPER), qr_limits=qr,
                           chart=charts.line_chart([d["day"] for d in report.daily], {
                               _("clicks"): [d["clicks"] for d in report.daily],
                               _("scans"): [d["scans"] for d in report.daily]}, _("Clicks and scans per day")))


@bp.route("/<int:link_id>/edit", methods=["GET", "POST"])
@requires(LINKS_MANAGE)
def edit(link_id: int):
    session = db.session()
    link = _link_or_404(link_id)
    form = LinkForm(obj=None if request.method == "POST" else link)
    _choices(form, session)
    form.product.choices = [c for c in form.product.choices if c.value == link.product_id] or [
        SelectChoice(link.product_id, str(link.product_id))]
    if request.method == "GET":
        form.product.data = link.product_id
        form.variant.data = link.variant_id or 0
        form.expires_at.data = link.expires_at.replace(tzinfo=None) if link.expires_at else None
    if form.validate_on_submit():
        variant = session.get(Variant, form.variant.data) if form.variant.data else None
        try:
            service.update_link(
                session, link, variant=variant, destination=form.destination.data, channel=form.channel.data,
                campaign=form.campaign.data, placement=form.placement.data,
                expires_at=form.expires_at.data.replace(tzinfo=UTC) if form.expires_at.data else None,
                enabled=form.enabled.data, user=current_user._get_current_object())
            session.commit()
        except service.LinkError as exc:
            session.rollback()
            _apply_errors(form, exc)
        else:
            flash(_("Link %(code)s saved.", code=link.code), "success")
            return redirect(url_for("links.detail", link_id=link.id))
    return render_template("links/form.html", form=form, link=link), 200 if not form.errors else 400


@bp.post("/<int:link_id>/enabled")
@requires(LINKS_MANAGE)
def toggle(link_id: int):
    session = db.session()
    link = _link_or_404(link_id)
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400, description=_("The form expired; please try again."))
    enabled = request.form.get("enabled") == "1"
    service.set_enabled(session, link, enabled, current_user._get_current_object())
    session.commit()
    flash(_("Link enabled.") if enabled else _("Link disabled: it now shows a “no longer available” page."),
          "success")
    return redirect(url_for("links.detail", link_id=link.id))


# --- printables ----------------------------------------------------------------------------------------------


def _printable(session, link: BuyLink) -> printables.Printable:
    product = session.get(Product, link.product_id)
    variant = session.get(Variant, link.variant_id) if link.variant_id else product.cheapest_variant
    image_path = None
    if product.main_image is not None:
        from shopbridge.catalogue.images import rendition_path

        image = product.main_image
        width = max((w for w in image.sizes if w <= 1280), default=None)
        image_path = Path(current_app.config["UPLOAD_DIR"]) / rendition_path(image, width)
    title = product.title if link.variant_id is None else f"{product.title} — {variant.label}"
    return printables.Printable(title=title, price=format_money(variant.price) if variant else "",
                                scan_url=short_url(link, HitKind.scan), short_url=short_url(link),
                                image_path=image_path)


def _pdf(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _paper() -> str:
    paper = request.args.get("paper", "A4")
    if paper not in printables.PAPER:
        abort(400, description=_("paper must be one of %(papers)s", papers=", ".join(printables.PAPER)))
    return paper


@bp.get("/<int:link_id>/poster.pdf")
@requires(LINKS_MANAGE)
def poster(link_id: int):
    session = db.session()
    link = _link_or_404(link_id)
    paper = _paper()
    return _pdf(printables.poster(_printable(session, link), paper, _("Scan to buy")), f"poster-{link.code}-{paper}.pdf")


@bp.get("/product/<int:product_id>/poster.pdf")
@requires(LINKS_MANAGE)
def product_poster(product_id: int):
    session = db.session()
    product = session.get(Product, product_id)
    if product is None:
        abort(404)
    paper = _paper()
    try:
        link = service.default_link(session, product, user=current_user._get_current_object())
        session.commit()
    except service.LinkError as exc:
        abort(400, description=str(exc))
    return _pdf(printables.poster(_printable(session, link), paper, _("Scan to buy")), f"poster-{product.slug}.pdf")


@bp.get("/labels")
@requires(LINKS_MANAGE)
def labels_form():
    products = db.session().exec(
        select(Product).where(Product.status == ProductStatus.active).order_by(Product.title)).all()
    return render_template("links/labels.html", products=products)


@bp.get("/labels.pdf")
@requires(LINKS_MANAGE)
def labels():
    session = db.session()
    ids = request.args.getlist("product", type=int)
    if not ids:
        # Opened without a choice (a bookmark, a bare link): send the person to the form that makes one.
        flash(_("Choose at least one product for the label sheet."), "error")
        return redirect(url_for("links.labels_form"))
    products = session.exec(select(Product).where(Product.id.in_(ids)).order_by(Product.title)).all()
    items = []
    for product in products:
        try:
            link = service.default_link(session, product, user=current_user._get_current_object())
        except service.LinkError as exc:
            session.rollback()
            abort(400, description=str(exc))
        items.append(_printable(session, link))
    session.commit()
    if not items:
        abort(400, description=_("None of the chosen products exists."))
    return _pdf(printables.labels(items), "labels.pdf")


# --- analytics -----------------------------------------------------------------------------------------------


def filters_from_args(args) -> analytics.Filters:
    """Filters from a query string (``start``, ``end`` as YYYY-MM-DD, ``product``, ``link``, ``channel``,
    ``campaign``); the default is the last 30 days. Raises :class:`analytics.AnalyticsError` on bad input."""
    defaults = analytics.Filters.last_days(30)
    try:
        start = date.fromisoformat(args["start"]) if args.get("start") else defaults.start
        end = date.fromisoformat(args["end"]) if args.get("end") else defaults.end
    except ValueError:
        raise analytics.AnalyticsError("dates must look like 2026-11-23") from None

    def as_int(name: str) -> int | None:
        raw = args.get(name)
        if raw in (None, ""):
            return None
        if not str(raw).isdigit():
            raise analytics.AnalyticsError(f"{name} must be a number")
        return int(raw)

    return analytics.Filters(start=start, end=end, product_id=as_int("product"), link_id=as_int("link"),
                             channel=(args.get("channel") or "").strip() or None,
                             campaign=(args.get("campaign") or "").strip() or None).check()


@analytics_bp.get("/", endpoint="index")
@requires(ANALYTICS_VIEW)
def analytics_index():
    session = db.session()
    try:
        filters = filters_from_args(request.args)
    except analytics.AnalyticsError as exc:
        abort(400, description=str(exc))
    report = analytics.report(session, filters)
    days = [d["day"] for d in report.daily]
    line = charts.line_chart(days, {_("clicks"): [d["clicks"] for d in report.daily],
                                    _("scans"): [d["scans"] for d in report.daily],
                                    _("visitors"): [d["visitors"] for d in report.daily]},
                             _("Clicks, scans and unique visitors per day"))
    human = lambda r: r["clicks"] + r["scans"]  # noqa: E731
    device_names = {"android": "Android", "ios": "iOS", "desktop": _("Desktop"), "other": _("Other")}
    devices = charts.bar_chart([(device_names.get(r["key"], str(r["key"])), human(r)) for r in report.by["device"]],
                               _("Devices"))
    in_app = charts.bar_chart([(str(r["key"] or _("web browser")), human(r)) for r in report.by["in_app"]],
                              _("In-app browsers"))
    products = session.exec(select(Product).order_by(Product.title)).all()
    channels = sorted({c for c in session.exec(select(BuyLink.channel).distinct()).all()})
    return render_template("links/analytics.html", report=report, filters=filters, line=line, devices=devices,
                           in_app=in_app, products=products, channels=channels)


@analytics_bp.get("/export.csv")
@requires(ANALYTICS_VIEW)
def export():
    """CSV of the same figures: ``table=daily`` (default) or one of link, product, channel, campaign, device,
    in_app."""
    session = db.session()
    try:
        filters = filters_from_args(request.args)
    except analytics.AnalyticsError as exc:
        abort(400, description=str(exc))
    table = request.args.get("table", "daily")
    if table != "daily" and table not in analytics.GROUPS:
        abort(400, description=_("table must be daily or one of %(names)s", names=", ".join(analytics.GROUPS)))
    report = analytics.report(session, filters, groups=() if table == "daily" else (table,))
    out = io.StringIO()
    writer = csv.writer(out)
    if table == "daily":
        in_apps = sorted({k for d in report.daily for k in d["in_app"]})
        writer.writerow(["day", "clicks", "scans", "visitors", "bots", "ended", *analytics.DEVICES,
                         *[f"in_app_{k}" for k in in_apps]])
        for d in report.daily:
            writer.writerow([d["day"].isoformat(), d["clicks"], d["scans"], d["visitors"], d["bots"], d["ended"],
                             *[d["devices"][k] for k in analytics.DEVICES], *[d["in_app"].get(k, 0) for k in in_apps]])
    else:
        writer.writerow([table, "clicks", "scans", "visitors", "bots", "ended"])
        for r in report.by[table]:
            writer.writerow([_csv_safe(r["key"]), r["clicks"], r["scans"], r["visitors"], r["bots"], r["ended"]])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="analytics-{table}-{filters.start}-{filters.end}.csv"')
    return response


def _csv_safe(value) -> str:
    """Neutralise spreadsheet formulas in text a user typed (campaign names): a leading ``'`` keeps it text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
