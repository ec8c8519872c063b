"""Reconciliation: ask the payment provider about every pending order, so a missed webhook never leaves an
order wrong (paid but shown pending, or stock held for a checkout that expired long ago).

Run it as ``shopbridge payments reconcile`` (cron, or the job queue every few minutes) or call
:func:`reconcile_pending` from a job. Each order is settled in its own transaction: one provider error
leaves the others unaffected, and the same transitions as the webhooks apply, so running it while webhooks
arrive is safe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlmodel import select

from shopbridge import db, jobs
from shopbridge.checkout import service
from shopbridge.checkout.models import Order, OrderStatus
from shopbridge.db import utcnow
from shopbridge.payments import PaymentError, PaymentOutcome, get_provider

log = logging.getLogger(__name__)
#: A pending order that never got a provider checkout (the process died mid-way) is cancelled after this.
ORPHAN_AFTER = timedelta(minutes=15)


@dataclass
class ReconcileReport:
    checked: int = 0
    changed: dict[str, int] = field(default_factory=dict)
    errors: int = 0

    def count(self, what: str) -> None:
        self.changed[what] = self.changed.get(what, 0) + 1


#: How often the worker reconciles, and how old a pending order must be before it is asked about: a webhook
#: normally arrives within seconds, so five minutes of silence means it was missed.
RECONCILE_EVERY_MINUTES = 5
RECONCILE_AFTER = timedelta(minutes=5)


@jobs.every_minute
def reconcile_periodically(app: Flask) -> ReconcileReport | None:
    """The worker's safety net: a missed or undeliverable webhook never leaves an order wrong for long."""
    if utcnow().minute % RECONCILE_EVERY_MINUTES:
        return None
    report = reconcile_pending(app, min_age=RECONCILE_AFTER)
    if report.checked:
        log.info("reconciled %d pending order(s): %s", report.checked, report)
    return report


def reconcile_pending(app: Flask | None = None, *, min_age: timedelta = timedelta(minutes=1)) -> ReconcileReport:
    """Bring every pending order older than ``min_age`` in line with its provider."""
    app = app or current_app._get_current_object()
    report = ReconcileReport()
    cutoff = utcnow() - min_age
    with db.session_scope(app) as session:
        ids = session.exec(select(Order.id).where(Order.status == OrderStatus.pending,
                                                  Order.created_at <= cutoff).order_by(Order.id)).all()
    for order_id in ids:
        report.checked += 1
        try:
            with app.app_context(), db.session_scope(app) as session:
                order = session.get(Order, order_id)
                if order is None or order.status != OrderStatus.pending:
                    continue
                if not order.provider_reference:
                    if order.created_at <= utcnow() - ORPHAN_AFTER:
                        service.cancel(session, order_id, reason="No payment was ever opened.", source="reconcile")
                        report.count("orphaned")
                    continue
                state = get_provider(session, order.provider, app=app).fetch_state(order.provider_reference)
                if state.outcome is PaymentOutcome.open:
                    continue
                after = service.apply_payment_state(session, order_id, state, source="reconcile")
                if after.status != OrderStatus.pending:
                    report.count(str(after.status))
        except PaymentError as exc:
            report.errors += 1
            log.warning("reconcile: order %s: %s", order_id, exc.code)
    return report


@click.group("payments")
def payments_group() -> None:
    """Payments: reconciliation with the provider."""


@payments_group.command("reconcile")
@click.option("--min-age", default=60, show_default=True, help="Only orders older than this many seconds.")
@with_appcontext
def reconcile_command(min_age: int) -> None:
    """Ask the payment provider about every pending order and apply what it says."""
    report = reconcile_pending(current_app._get_current_object(), min_age=timedelta(seconds=min_age))
    changes = ", ".join(f"{k}: {v}" for k, v in sorted(report.changed.items())) or "no changes"
    click.echo(f"Checked {report.checked} pending order(s); {changes}; {report.errors} error(s).")
    if report.errors:
        raise SystemExit(1)
