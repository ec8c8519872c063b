"""``/admin/mail``: the outbox, where development mail can be read (and production mail's delivery checked)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from sqlmodel import select

from shopbridge import db
from shopbridge.access import SETTINGS_MANAGE, requires
from shopbridge.mail.models import OutboxMessage

bp = Blueprint("mail", __name__, url_prefix="/admin/mail")


@bp.get("/")
@requires(SETTINGS_MANAGE)
def outbox():
    messages = db.session().exec(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(100)).all()
    return render_template("mail/outbox.html", messages=messages)


@bp.get("/<int:message_id>")
@requires(SETTINGS_MANAGE)
def message(message_id: int):
    found = db.session().get(OutboxMessage, message_id) or abort(404)
    return render_template("mail/message.html", message=found)
