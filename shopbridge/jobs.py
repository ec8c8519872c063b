"""Durable background jobs on huey: publishing, catalogue sync, inbound webhooks and scheduled posts.

The queue comes from ``QUEUE_URL``:

- empty (the default): a SQLite queue at ``DATA_DIR/jobs.db`` — durable, nothing to install;
- ``redis://…``: a Redis queue (with priorities), for several workers;
- ``immediate``: jobs run synchronously when enqueued (tests); jobs scheduled for later wait in memory until
  :func:`run_due` runs them, which is how the tests' fake clock moves time.

Each app builds its own :class:`huey.Huey` and registers the job functions on it; a job receives the app as its
first argument (the worker builds the app with the factory, never a module-global app). Jobs are enqueued
*after* the transaction that made them necessary commits (:func:`enqueue_after_commit`), so a worker never
looks for a row that is not there yet, and a rolled-back change never sends anything.

Retries are ours, not huey's, because only we know what the platform said: :func:`backoff_delay` gives an
exponential delay with jitter that never undercuts a platform's ``Retry-After``; a job records attempts and its
last error in :class:`~shopbridge.channels.models.JobRecord`, and one that gives up stays visible in the admin.
"""

from __future__ import annotations

import importlib
import logging
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, PriorityRedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

EXTENSION = "shopbridge.jobs"
CLOCK = "shopbridge.clock"

#: Modules whose ``@job`` functions are registered on every app's queue.
JOB_MODULES = ("shopbridge.posts.publishing", "shopbridge.channels.sync", "shopbridge.channels.inbound")

_REGISTRY: dict[str, Callable[..., Any]] = {}
_PERIODIC: list[Callable[[Flask], Any]] = []

log = logging.getLogger(__name__)


def job(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare ``fn(app, *args)`` as a background job called ``name``."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        _REGISTRY[name] = fn
        return fn

    return decorate


def every_minute(fn: Callable[[Flask], Any]) -> Callable[[Flask], Any]:
    """Run ``fn(app)`` from the worker once a minute (the sweeper that catches anything a lost job missed)."""
    _PERIODIC.append(fn)
    return fn


def make_huey(config: dict[str, Any], name: str = "shopbridge") -> Huey:
    url = str(config.get("QUEUE_URL") or "")
    if url == "immediate":
        return Huey(name, immediate=True, results=False, utc=True)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return PriorityRedisHuey(name, url=url, results=False, utc=True)
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
    elif url:
        raise ValueError(f"QUEUE_URL must be empty, 'immediate', redis://… or sqlite:///…, not {url!r}")
    else:
        path = str(Path(config["DATA_DIR"]) / "jobs.db")
    return SqliteHuey(name, filename=path, results=False, utc=True)


class Queue:
    """An app's queue: the huey instance and its registered tasks."""

    def __init__(self, app: Flask, huey: Huey):
        self.app = app
        self.huey = huey
        self.tasks: dict[str, Any] = {}
        for name, fn in _REGISTRY.items():
            self.tasks[name] = huey.task(name=name)(self._bind(fn))
        for fn in _PERIODIC:
            huey.periodic_task(crontab(minute="*"), name=f"periodic.{fn.__module__}.{fn.__name__}")(self._bind(fn))

    def _bind(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        app = self.app

        def run(*args: Any) -> Any:
            with app.app_context():
                return fn(app, *args)

        run.__name__ = fn.__name__
        return run

    def enqueue(self, name: str, *args: Any, delay: float | None = None, eta: datetime | None = None) -> None:
        task = self.tasks[name]
        if delay is None and eta is None:
            task(*args)
            return
        if eta is None:
            eta = now(self.app) + timedelta(seconds=max(0.0, float(delay or 0)))
        # huey compares naive UTC timestamps (utc=True); the fake clock's "now" decides when tests run them.
        task.schedule(args=args, eta=eta.astimezone(UTC).replace(tzinfo=None))


def init_app(app: Flask) -> Queue:
    for module in JOB_MODULES:
        importlib.import_module(module)
    queue = Queue(app, make_huey(app.config))
    app.extensions[EXTENSION] = queue
    return queue


def queue(app: Flask | None = None) -> Queue:
    return (app or current_app).extensions[EXTENSION]


def now(app: Flask | None = None) -> datetime:
    """The time jobs go by: the real UTC time, or the tests' fake clock."""
    try:
        clock = (app or current_app).extensions.get(CLOCK)
    except RuntimeError:
        clock = None
    return clock() if clock is not None else datetime.now(UTC)


def enqueue(name: str, *args: Any, app: Flask | None = None, delay: float | None = None,
            eta: datetime | None = None) -> None:
    queue(app).enqueue(name, *args, delay=delay, eta=eta)


def enqueue_after_commit(session: OrmSession, name: str, *args: Any, app: Flask | None = None,
                         delay: float | None = None, eta: datetime | None = None) -> None:
    """Enqueue a job once ``session`` commits (dropped if it rolls back)."""
    app = app or current_app._get_current_object()
    session.connection()  # ties the job to this transaction, begun now if nothing else began it
    session.info.setdefault(EXTENSION, []).append((app, name, args, delay, eta))


# Releasing or rolling back a SAVEPOINT (``begin_nested``) fires after_commit/after_rollback as well, while the
# outer transaction - and the rows a job will read - is still open. So these two only note the outcome, and
# the jobs are sent (or dropped) when the outermost transaction ends.
_OUTCOME = "shopbridge.jobs.outcome"


@event.listens_for(OrmSession, "after_commit")
def _note_commit(session: OrmSession) -> None:
    session.info[_OUTCOME] = "commit"


@event.listens_for(OrmSession, "after_rollback")
def _note_rollback(session: OrmSession) -> None:
    session.info[_OUTCOME] = "rollback"


@event.listens_for(OrmSession, "after_transaction_end")
def _send_or_drop(session: OrmSession, transaction) -> None:
    outcome = session.info.pop(_OUTCOME, None)
    if transaction.nested or transaction.parent is not None:
        return
    pending = session.info.pop(EXTENSION, None)
    if outcome != "commit":
        return
    for app, name, args, delay, eta in pending or ():
        queue(app).enqueue(name, *args, delay=delay, eta=eta)


def run_due(app: Flask, until: datetime | None = None) -> int:
    """Run every scheduled job whose time has come by ``until`` (default: :func:`now`); returns how many.

    The worker's scheduler does this on its own; tests call it after moving the fake clock.
    """
    huey = queue(app).huey
    ran = 0
    for _ in range(1000):  # jobs may schedule jobs; a bound keeps a buggy loop from hanging a test
        moment = (until or now(app)).astimezone(UTC).replace(tzinfo=None)
        due = huey.read_schedule(moment)
        if not due:
            break
        for task in due:
            task.eta = None
            huey.execute(task)
            ran += 1
    return ran


def run_periodic(app: Flask) -> None:
    """What the worker runs every minute; callable directly (tests, ``shopbridge worker --once``)."""
    for fn in _PERIODIC:
        try:
            fn(app)
        except Exception:  # noqa: BLE001 - one sweeper's failure must not stop the others
            log.exception("periodic job %s failed", fn.__name__)


# --- Retries ----------------------------------------------------------------------------------------------------


def backoff_delay(attempt: int, *, retry_after: float | None = None, base: float = 30.0, cap: float = 3600.0,
                  rng: random.Random | None = None) -> float:
    """Seconds to wait before attempt ``attempt + 1``: exponential with "equal jitter", at least ``retry_after``.

    Jitter spreads the retries of many jobs that failed together (a platform outage) so they do not return as
    one burst; a platform's ``Retry-After`` is a floor, never shortened.
    """
    exp = min(cap, base * (2 ** max(0, attempt - 1)))
    delay = exp / 2 + (rng or random).uniform(0, exp / 2)
    if retry_after is not None:
        delay = max(delay, float(retry_after))
    return delay


def record(session, kind: str, ref: str, status: str, *, error: str | None = None, attempt: bool = False,
           next_attempt_at: datetime | None = None):
    """Create or update the :class:`JobRecord` for ``(kind, ref)``."""
    from sqlmodel import select

    from shopbridge.channels.models import JobRecord

    row = session.exec(select(JobRecord).where(JobRecord.kind == kind, JobRecord.ref == ref)).first()
    if row is None:
        row = JobRecord(kind=kind, ref=ref)
    row.status = status
    if attempt:
        row.attempts += 1
    if error is not None:
        row.last_error = error
    row.next_attempt_at = next_attempt_at
    row.updated_at = now()
    session.add(row)
    return row


# --- Running a worker -------------------------------------------------------------------------------------------


class _EmbeddedConsumer(Consumer):
    """A consumer that runs in threads of another program (the dev server) and leaves its signals alone."""

    def _set_signal_handlers(self) -> None:  # the host program owns SIGINT/SIGTERM
        pass


def consumer(app: Flask, *, workers: int = 2, embedded: bool = False) -> Consumer:
    huey = queue(app).huey
    cls = _EmbeddedConsumer if embedded else Consumer
    return cls(huey, workers=workers, worker_type="thread", periodic=True, check_worker_health=not embedded)


def start_embedded_worker(app: Flask, workers: int = 2) -> Consumer | None:
    """Start a consumer in daemon threads of this process (``shopbridge serve``); it dies with the server.

    Immediate-mode queues need no worker; returns ``None`` for them.
    """
    if queue(app).huey.immediate:
        return None
    running = consumer(app, workers=workers, embedded=True)
    running.start()
    import atexit

    def stop_at_exit() -> None:
        if not running.stop_flag.is_set():  # already stopped by the server's own shutdown
            running.stop(graceful=False)

    atexit.register(stop_at_exit)
    log.info("background worker started in thread %s", threading.current_thread().name)
    return running
