"""Sending mail: ``send(session, to=..., subject=..., body=...)``.

Every message is written to the outbox table in the caller's transaction, so an email and the change it
announces are committed together (a rolled-back order sends nothing). With ``MAIL_SMTP_HOST`` configured the
message is handed to the SMTP server right after that commit; without it (development, the demo) it stays in
the outbox, readable in the admin at ``/admin/mail``.

SMTP settings: ``MAIL_SMTP_HOST``, ``MAIL_SMTP_PORT`` (587), ``MAIL_SMTP_USER``, ``MAIL_SMTP_PASSWORD``,
``MAIL_SMTP_TLS`` (STARTTLS, default on) and ``MAIL_FROM``.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import Flask, current_app
from sqlalchemy import event
from sqlmodel import Session

from shopbridge.db import engine, utcnow
from shopbridge.mail.models import OutboxMessage

log = logging.getLogger(__name__)


def send(session: Session, *, to: str, subject: str, body: str, app: Flask | None = None) -> OutboxMessage:
    """Queue a plain-text message in ``session``; delivered after the transaction commits (if SMTP is set)."""
    app = app or current_app._get_current_object()
    message = OutboxMessage(to=to[:254], subject=subject[:300], body=body)
    session.add(message)
    session.flush()
    if app.config.get("MAIL_SMTP_HOST"):
        message_id = message.id
        event.listen(session, "after_commit", lambda _s: _deliver_after_commit(app, message_id), once=True)
    return message


def _deliver_after_commit(app: Flask, message_id: int | None) -> None:
    # A fresh session: the committing one is mid-commit and must not start new work.
    with Session(engine(app), expire_on_commit=False) as session:
        message = session.get(OutboxMessage, message_id)
        if message is not None:
            deliver(app, message)
            session.add(message)
            session.commit()


def deliver(app: Flask, message: OutboxMessage) -> None:
    """Hand one message to the configured SMTP server, recording success or the error (never the password)."""
    config = app.config
    email = EmailMessage()
    email["From"] = config.get("MAIL_FROM") or f"{config.get('SHOP_NAME', 'shop')} <noreply@localhost>"
    email["To"] = message.to
    email["Subject"] = message.subject
    email.set_content(message.body)
    try:
        with smtplib.SMTP(config["MAIL_SMTP_HOST"], int(config.get("MAIL_SMTP_PORT", 587)), timeout=15) as smtp:
            if config.get("MAIL_SMTP_TLS", True):
                smtp.starttls()
            if config.get("MAIL_SMTP_USER"):
                smtp.login(config["MAIL_SMTP_USER"], config.get("MAIL_SMTP_PASSWORD", ""))
            smtp.send_message(email)
    except (OSError, smtplib.SMTPException) as exc:
        message.status, message.error = "failed", type(exc).__name__ + ": " + str(exc)[:400]
        log.warning("mail to %s failed: %s", message.to, type(exc).__name__)
        return
    message.status, message.sent_at, message.error = "sent", utcnow(), ""
