"""Admin pages for channels, jobs, plugin errors, the inbox and the outbox; and the public webhook endpoint."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import func, select

from shopbridge import db, plugins
from shopbridge.access import CATALOGUE_VIEW, PUBLISHING, SETTINGS_MANAGE, public, requires
from shopbridge.catalogue.models import Product, ProductStatus
from shopbridge.channels import inbound, sync
from shopbridge.channels import service as channels
from shopbridge.channels.errors import WebhookSignatureError
from shopbridge.channels.forms import RuleForm, channel_form, setting_values
from shopbridge.channels.models import (
    AutoReply,
    Channel,
    ChannelEvent,
    JobRecord,
    KeywordRule,
    OutboxEntry,
    PluginError,
)
from shopbridge.channels.types import InboundRequest, WebhookResponse
from shopbridge.extensions import csrf

bp = Blueprint("channels", __name__, url_prefix="/admin/channels")
inbox_bp = Blueprint("inbox", __name__, url_prefix="/admin/inbox")
outbox_bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")
webhooks_bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(webhooks_bp)  # platforms cannot send our CSRF token; each plugin verifies the signature instead


def _channel_or_404(channel_id: int) -> Channel:
    channel = db.session().get(Channel, channel_id)
    if channel is None:
        abort(404)
    return channel


def _recent_errors(limit: int = 10) -> list[PluginError]:
    return list(db.session().exec(select(PluginError).order_by(PluginError.created_at.desc()).limit(limit)))


@bp.get("/")
@requires(SETTINGS_MANAGE)
def index():
    session = db.session()
    rows = channels.list_channels(session)
    types = channels.channel_types()
    troubled = session.exec(select(func.count()).select_from(JobRecord).where(JobRecord.status == "failed")).one()
    return render_template(
        "channels/index.html", channels=rows, types=types, errors=_recent_errors(),
        failed_jobs=troubled, webhook_url=channels.webhook_url,
        dry=lambda c: channels.effective_dry_run(c), missing=lambda c: channels.missing_secrets(
            c, types.get(c.type)),
    )


@bp.route("/new/<type_name>", methods=["GET", "POST"])
@requires(SETTINGS_MANAGE)
def create(type_name: str):
    ctype = channels.channel_type(type_name)
    if ctype is None:
        abort(404)
    form = channel_form(ctype, formdata=request.form if request.method == "POST" else None)
    setting_errors: dict[str, str] = {}
    if form.validate_on_submit():
        session = db.session()
        try:
            channel = channels.create_channel(session, name=form.name.data, type=ctype.name,
                                              values=setting_values(form, ctype), dry_run=form.dry_run.data,
                                              enabled=form.enabled.data, user=current_user)
        except channels.ChannelError as exc:
            session.rollback()
            setting_errors = exc.errors
        else:
            session.commit()
            flash(_("Channel “%(name)s” connected.", name=channel.name), "success")
            return redirect(url_for("channels.edit", channel_id=channel.id))
    _attach_errors(form, setting_errors)
    return render_template("channels/form.html", form=form, ctype=ctype, channel=None), (
        422 if setting_errors else 200)


def _attach_errors(form, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        field = getattr(form, f"s_{name}", None) or getattr(form, name, None)
        if field is not None:
            field.errors = [*list(field.errors or []), message]
        else:
            flash(message, "error")


@bp.route("/<int:channel_id>", methods=["GET", "POST"])
@requires(SETTINGS_MANAGE)
def edit(channel_id: int):
    session = db.session()
    channel = _channel_or_404(channel_id)
    ctype = channels.channel_type(channel.type)
    if ctype is None:
        flash(_("The plugin for %(type)s channels is not installed; the channel cannot be used.",
                type=channel.type), "error")
        return redirect(url_for("channels.index"))
    form = channel_form(ctype, channel, formdata=request.form if request.method == "POST" else None)
    setting_errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            channels.update_channel(session, channel, name=form.name.data, values=setting_values(form, ctype),
                                    dry_run=form.dry_run.data, enabled=form.enabled.data, user=current_user)
        except channels.ChannelError as exc:
            session.rollback()
            setting_errors = exc.errors
        else:
            session.commit()
            flash(_("Channel saved."), "success")
            return redirect(url_for("channels.edit", channel_id=channel.id))
    _attach_errors(form, setting_errors)
    return render_template(
        "channels/form.html", form=form, ctype=ctype, channel=channel,
        webhook_url=channels.webhook_url(channel), dry=channels.effective_dry_run(channel),
        missing=channels.missing_secrets(channel, ctype),
    ), (422 if setting_errors else 200)


@bp.post("/<int:channel_id>/test")
@requires(SETTINGS_MANAGE)
def test(channel_id: int):
    session = db.session()
    channel = _channel_or_404(channel_id)
    check = channels.test_connection(session, channel, user=current_user)
    session.commit()
    flash(check.detail, "success" if check.ok else "error")
    return redirect(url_for("channels.edit", channel_id=channel.id))


@bp.post("/<int:channel_id>/resync")
@requires(SETTINGS_MANAGE)
def resync(channel_id: int):
    session = db.session()
    channel = _channel_or_404(channel_id)
    count = sync.full_resync(session, channel)
    session.commit()
    flash(_("%(count)s products queued for a full catalogue sync.", count=count), "success")
    return redirect(url_for("channels.edit", channel_id=channel.id))


@bp.get("/plugin-errors")
@requires(SETTINGS_MANAGE)
def plugin_errors():
    return render_template("channels/plugin_errors.html", errors=_recent_errors(200),
                           plugins=plugins.describe())


@bp.get("/jobs")
@requires(SETTINGS_MANAGE)
def jobs():
    from shopbridge.posts.models import PostTarget, TargetStatus

    session = db.session()
    records = session.exec(select(JobRecord).order_by(JobRecord.updated_at.desc()).limit(200)).all()
    attention = session.exec(select(PostTarget).where(PostTarget.status.in_(
        [TargetStatus.failed.value, TargetStatus.needs_check.value, TargetStatus.retrying.value]))).all()
    names = {c.id: c.name for c in channels.list_channels(session)}
    return render_template("channels/jobs.html", records=records, attention=attention, names=names)


@bp.get("/sync/<int:product_id>")
@requires(CATALOGUE_VIEW)
def product_sync(product_id: int):
    session = db.session()
    product = session.get(Product, product_id)
    if product is None:
        abort(404)
    return render_template("channels/product_sync.html", product=product,
                           report=sync.status_for_product(session, product))


# --- Inbox ------------------------------------------------------------------------------------------------------


@inbox_bp.route("/", methods=["GET", "POST"], endpoint="index")
@requires(PUBLISHING)
def inbox_index():
    session = db.session()
    form = RuleForm()
    products = session.exec(select(Product).where(Product.status == ProductStatus.active)
                            .order_by(Product.title)).all()
    all_channels = channels.list_channels(session)
    form.product_id.choices = [(0, _("The commented post's product")), *[(p.id, p.title) for p in products]]
    form.channel_id.choices = [(0, _("Every channel")), *[(c.id, c.name) for c in all_channels]]
    if form.validate_on_submit():
        try:
            inbound.add_rule(session, keyword=form.keyword.data, reply_text=form.reply_text.data,
                             product_id=form.product_id.data or None, channel_id=form.channel_id.data or None,
                             user=current_user)
        except channels.ChannelError as exc:
            session.rollback()
            for name, message in exc.errors.items():
                getattr(form, name).errors = [message]
        else:
            session.commit()
            flash(_("Keyword rule added."), "success")
            return redirect(url_for("inbox.index"))
    events = session.exec(select(ChannelEvent).order_by(ChannelEvent.occurred_at.desc()).limit(200)).all()
    replies = {r.event_id: r for r in session.exec(select(AutoReply))}
    rules = session.exec(select(KeywordRule).order_by(KeywordRule.created_at)).all()
    return render_template("channels/inbox.html", events=events, replies=replies, rules=rules, form=form,
                           products=products,
                           names={c.id: c.name for c in all_channels},
                           counts=inbound.keyword_counts(session))


@inbox_bp.post("/<int:event_id>/reply")
@requires(PUBLISHING)
def reply(event_id: int):
    session = db.session()
    row = session.get(ChannelEvent, event_id)
    if row is None:
        abort(404)
    product_id = request.form.get("product_id", type=int) or None
    try:
        outcome = inbound.reply_by_hand(session, row, request.form.get("text", ""), product_id=product_id,
                                        user=current_user, app=current_app._get_current_object())
    except channels.ChannelError as exc:
        session.rollback()
        for message in exc.errors.values():
            flash(message, "error")
    else:
        session.commit()
        flash(_(outcome), "success")
    return redirect(url_for("inbox.index"))


# --- Outbox -----------------------------------------------------------------------------------------------------


@outbox_bp.get("/", endpoint="index")
@requires(SETTINGS_MANAGE)
def outbox_index():
    session = db.session()
    entries = session.exec(select(OutboxEntry).order_by(OutboxEntry.id.desc()).limit(200)).all()
    names = {c.id: c.name for c in channels.list_channels(session)}
    return render_template("channels/outbox.html", entries=entries, names=names,
                           pretty=lambda v: json.dumps(v, indent=2, ensure_ascii=False))


def outbox_lines(session, channel_id: int | None = None):
    """The outbox as JSON lines: one object per request with ``method``, ``url``, ``headers``, ``body``."""
    query = select(OutboxEntry).order_by(OutboxEntry.id)
    if channel_id:
        query = query.where(OutboxEntry.channel_id == channel_id)
    for entry in session.exec(query):
        yield json.dumps({"method": entry.method, "url": entry.url, "headers": entry.headers, "body": entry.body,
                          "channel_id": entry.channel_id, "created_at": entry.created_at.isoformat()},
                         ensure_ascii=False) + "\n"


@outbox_bp.get("/export.jsonl")
@requires(SETTINGS_MANAGE)
def export():
    return Response(list(outbox_lines(db.session())), mimetype="application/jsonl",
                    headers={"Content-Disposition": "attachment; filename=outbox.jsonl"})


# --- Webhooks ---------------------------------------------------------------------------------------------------


@webhooks_bp.route("/channels/<channel_key>", methods=["GET", "POST"])
@public
def channel_webhook(channel_key: str):
    """A platform calls this with events for one channel; the unguessable key names the channel."""
    session = db.session()
    channel = session.exec(select(Channel).where(Channel.key == channel_key)).first()
    if channel is None or not channel.enabled:
        abort(404)
    inbound_request = InboundRequest(method=request.method, path=request.path, headers=dict(request.headers),
                                     args=request.args.to_dict(), body=request.get_data(cache=False))
    app = current_app._get_current_object()
    ctx = channels.context_for(session, channel, app=app, label="webhook")
    if request.method == "GET":
        answer = plugins.call("shopbridge_webhook_challenge", app=app, channel=ctx, request=inbound_request)
        if not isinstance(answer, WebhookResponse):
            abort(404)
        session.commit()
        return Response(answer.body, status=answer.status, content_type=answer.content_type)
    try:
        events = plugins.call("shopbridge_parse_webhook", app=app, raise_crash=True, channel=ctx,
                              request=inbound_request)
    except WebhookSignatureError:
        session.rollback()
        return Response("signature does not match", status=403, content_type="text/plain")
    except plugins.PluginCrashed:
        session.rollback()
        # 500 so the platform delivers it again once the plugin is fixed; the error is in the admin.
        return Response("could not process", status=500, content_type="text/plain")
    if events is None:
        return Response("no plugin for this channel type", status=404, content_type="text/plain")
    urgent: list[int] = []
    stored = inbound.store_events(session, channel, list(events), app, urgent=urgent)
    session.commit()
    inbound.process_now(app, urgent)  # e.g. Telegram's pre-checkout question: answered before we return
    return Response(json.dumps({"received": len(events), "new": len(stored)}), status=200,
                    content_type="application/json")
