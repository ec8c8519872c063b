"""The worker reconciles pending orders every five minutes, so a missed webhook never leaves an order wrong."""

from __future__ import annotations

from datetime import UTC, datetime

from shopbridge import jobs
from shopbridge.checkout import reconcile


def test_the_worker_reconciles_every_five_minutes(app, monkeypatch):
    assert reconcile.reconcile_periodically in jobs._PERIODIC
    asked = []
    monkeypatch.setattr(reconcile, "reconcile_pending",
                        lambda app, min_age: asked.append(min_age) or reconcile.ReconcileReport())
    for minute in (9, 10, 11, 15):
        monkeypatch.setattr(reconcile, "utcnow", lambda m=minute: datetime(2026, 11, 23, 12, m, tzinfo=UTC))
        reconcile.reconcile_periodically(app)
    assert asked == [reconcile.RECONCILE_AFTER, reconcile.RECONCILE_AFTER]  # at :10 and :15 only
