"""Admin pages for shoppable posts: compose, preview per channel, approve, schedule, publish, retry, cancel."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from shopbridge import db
from shopbridge.access import PUBLISHING, SETTINGS_MANAGE, requires
from shopbridge.accounts.models import Role
from shopbridge.catalogue.models import Image, Product, ProductStatus
from shopbridge.channels.models import Channel
from shopbridge.posts import service
from shopbridge.posts.models import Post, PostStatus, PostTarget, TargetStatus

bp = Blueprint("posts", __name__, url_prefix="/admin/posts")
#: Target states whose channel options may still change (the detail page's options form).
EDITABLE_OPTIONS = (TargetStatus.pending, TargetStatus.queued, TargetStatus.failed, TargetStatus.cancelled)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ComposeForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    product_ids = SelectMultipleField(_l("Products"), coerce=int, validators=[DataRequired()])
    channel_ids = MultiCheckboxField(_l("Channels"), coerce=int)
    caption = TextAreaField(_l("Caption (placeholders: {title}, {price}, {link}, {brand}, {products})"),
                            default="{title} – {price}", validators=[Length(max=5000)])
    hashtags = StringField(_l("Hashtags (separated by spaces)"), validators=[Length(max=500)])
    scheduled_at = DateTimeLocalField(_l("Publish at (leave empty for now)"), validators=[Optional()])


class EditForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    caption = TextAreaField(_l("Caption"), validators=[Length(max=5000)])
    hashtags = StringField(_l("Hashtags"), validators=[Length(max=500)])
    image_id = SelectField(_l("Image"), coerce=int, default=0)


class ApprovalForm(FlaskForm):
    require_approval = BooleanField(_l("Posts by staff and agency users need the owner’s approval"))


def _local_to_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    zone = ZoneInfo(current_app.config.get("TIMEZONE", "UTC"))
    return value.replace(tzinfo=zone).astimezone(UTC)


def _post_or_404(post_id: int) -> Post:
    post = db.session().get(Post, post_id)
    if post is None:
        abort(404)
    return post


def _target_or_404(post: Post, target_id: int) -> PostTarget:
    target = db.session().get(PostTarget, target_id)
    if target is None or target.post_id != post.id:
        abort(404)
    return target


@bp.get("/")
@requires(PUBLISHING)
def index():
    session = db.session()
    status = request.args.get("status") or None
    if status and status not in PostStatus.__members__:
        status = None
    form = ApprovalForm(data={"require_approval": service.approval_required(session)})
    return render_template("posts/index.html", posts=service.list_posts(session, status), status=status,
                           statuses=list(PostStatus), form=form)


@bp.post("/approval")
@requires(SETTINGS_MANAGE)
def approval_setting():
    form = ApprovalForm()
    if form.validate_on_submit():
        session = db.session()
        service.set_approval_required(session, form.require_approval.data, current_user)
        session.commit()
        flash(_("Approval setting saved."), "success")
    return redirect(url_for("posts.index"))


@bp.route("/new", methods=["GET", "POST"])
@requires(PUBLISHING)
def compose():
    session = db.session()
    form = ComposeForm()
    products = session.exec(select(Product).where(Product.status == ProductStatus.active)
                            .order_by(Product.title)).all()
    channels = service.publishable_channels(session)
    form.product_ids.choices = [(p.id, p.title) for p in products]
    form.channel_ids.choices = [(c.id, c.name) for c in channels]
    # Per-channel choices read from the platforms (a Pinterest board …), or a key=value field when unavailable.
    offered = [service.channel_options(session, c) for c in channels]
    if request.method == "GET" and request.args.get("product"):
        chosen = next((p for p in products if p.slug == request.args["product"]), None)
        if chosen:
            form.product_ids.data = [chosen.id]
            form.title.data = chosen.title
    if form.validate_on_submit():
        data = service.PostInput(title=form.title.data, caption=form.caption.data or "",
                                 product_ids=form.product_ids.data, channel_ids=form.channel_ids.data or [],
                                 hashtags=service.parse_hashtags(form.hashtags.data or ""),
                                 scheduled_at=_local_to_utc(form.scheduled_at.data))
        first = session.get(Product, data.product_ids[0]) if data.product_ids else None
        data.image_id = first.main_image.id if first and first.main_image else None
        try:
            data.options = {o.channel.id: picked for o in offered if o.channel.id in data.channel_ids
                            and (picked := service.chosen_options(o, request.form))}
            post = service.create_post(session, data, current_user)
        except service.PostError as exc:
            session.rollback()
            for name, message in exc.errors.items():
                getattr(form, name, form.title).errors = [*list(getattr(form, name, form.title).errors), message]
        else:
            session.commit()
            flash(_("Draft saved. Check each channel's preview, then publish."), "success")
            return redirect(url_for("posts.detail", post_id=post.id))
    return render_template("posts/compose.html", form=form, has_channels=bool(channels),
                           offered=[o for o in offered if o.options or o.note], submitted=request.form)


@bp.route("/<int:post_id>", methods=["GET", "POST"])
@requires(PUBLISHING)
def detail(post_id: int):
    session = db.session()
    post = _post_or_404(post_id)
    products = service.products_of(session, post)
    images = session.exec(select(Image).where(Image.product_id.in_(post.product_ids or [0]))
                          .order_by(Image.product_id, Image.position)).all()
    form = EditForm(data={"title": post.title, "caption": post.caption, "hashtags": " ".join(post.hashtags),
                          "image_id": post.image_id or 0} if request.method == "GET" else None)
    form.image_id.choices = [(0, _("The product's main image")),
                             *[(i.id, f"{i.alt or i.path} ({i.width}×{i.height})") for i in images]]
    if form.validate_on_submit():
        updated = service.edit_post(session, post, title=form.title.data, caption=form.caption.data,
                                    hashtags=form.hashtags.data, user=current_user)
        post.image_id = form.image_id.data or None
        session.add(post)
        session.commit()
        flash(_("Post saved.") + (" " + _("The change is being sent to %(n)s published copies.", n=len(updated))
                                  if updated else ""), "success")
        return redirect(url_for("posts.detail", post_id=post.id))
    channels = {c.id: c for c in session.exec(select(Channel))}
    previews = [service.preview(session, post, channels[t.channel_id]) for t in post.targets
                if t.channel_id in channels]
    # The per-channel choices (a Pinterest board …) for targets whose options can still change.
    offered = {t.id: service.channel_options(session, channels[t.channel_id]) for t in post.targets
               if t.channel_id in channels and t.status in EDITABLE_OPTIONS}
    return render_template("posts/detail.html", post=post, products=products, previews=previews, form=form,
                           channels=channels, can_approve=current_user.role == Role.owner,
                           statuses=TargetStatus, offered=offered)


def _action(post_id: int, fn, message: str):
    session = db.session()
    post = _post_or_404(post_id)
    try:
        fn(session, post)
    except service.PostError as exc:
        session.rollback()
        for text in exc.errors.values():
            flash(text, "error")
    else:
        session.commit()
        flash(message, "success")
    return redirect(url_for("posts.detail", post_id=post_id))


@bp.post("/<int:post_id>/submit")
@requires(PUBLISHING)
def submit(post_id: int):
    return _action(post_id, lambda s, p: service.submit(s, p, current_user), _("Post submitted."))


@bp.post("/<int:post_id>/approve")
@requires(PUBLISHING)
def approve(post_id: int):
    return _action(post_id, lambda s, p: service.approve(s, p, current_user), _("Post approved."))


@bp.post("/<int:post_id>/cancel")
@requires(PUBLISHING)
def cancel(post_id: int):
    return _action(post_id, lambda s, p: service.cancel(s, p, current_user), _("Post cancelled."))


@bp.post("/<int:post_id>/delete")
@requires(PUBLISHING)
def delete(post_id: int):
    return _action(post_id, lambda s, p: service.delete_post(s, p, current_user),
                   _("Post deleted; published copies are being removed where the platform allows it."))


@bp.post("/<int:post_id>/targets/<int:target_id>/retry")
@requires(PUBLISHING)
def retry(post_id: int, target_id: int):
    post = _post_or_404(post_id)
    target = _target_or_404(post, target_id)
    return _action(post_id, lambda s, p: service.retry(s, target, current_user), _("Trying again."))


@bp.post("/<int:post_id>/targets/<int:target_id>/confirm")
@requires(PUBLISHING)
def confirm(post_id: int, target_id: int):
    post = _post_or_404(post_id)
    target = _target_or_404(post, target_id)
    published = request.form.get("published") == "yes"
    remote_url = request.form.get("remote_url", "")[:500]
    return _action(post_id, lambda s, p: service.resolve_unknown(s, target, published=published,
                                                                   remote_url=remote_url, user=current_user),
                   _("Recorded as published.") if published else _("It will be published again."))


@bp.post("/<int:post_id>/targets/<int:target_id>/options")
@requires(PUBLISHING)
def options(post_id: int, target_id: int):
    post = _post_or_404(post_id)
    target = _target_or_404(post, target_id)

    def change(session, _post):
        channel = session.get(Channel, target.channel_id)
        picked = service.chosen_options(service.channel_options(session, channel), request.form) if channel else {}
        typed = service.parse_options(request.form.get("options", ""))
        service.set_target_options(session, target, {**typed, **picked}, current_user)

    return _action(post_id, change, _("Channel options saved."))
