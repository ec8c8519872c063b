"""Buy-link hits are appended to a spool file at once and moved into the database in batches.

Why: a scan must be recorded durably without slowing the redirect, and a database commit per hit was the
biggest cost of the redirect (the commit, and on SQLite the wait for the single writer's lock across gunicorn
workers; ``docs/performance.md`` has the figures). Appending one line to a file is a single ``write(2)``.

Durability: once ``write(2)`` returns, the line is in the operating system's page cache and survives the
process being killed — the same guarantee as a SQLite commit in WAL mode with ``synchronous=NORMAL`` (our
default), which is not synced to disk at commit either. A batch reaches the database within
``LINK_SPOOL_SECONDS`` (default 1 s).

How files move, so that no hit is lost or counted twice when processes die at any moment:

- Each process appends to its own file and holds an exclusive ``flock`` on it while it writes. A file is
  created under a temporary name and renamed only once locked, so nobody sees it unlocked before its writer.
- Every ``LINK_SPOOL_SECONDS`` a background thread *rotates* (closes the file, which releases the lock, and
  starts a new one) and ingests every spool file in the directory that nobody holds a lock on: its own closed
  files, and those left behind by processes that died (the kernel released their locks).
- Ingesting a file locks it, inserts its hits *and the file's name* (table ``link_hit_batch``) in one
  transaction, and deletes the file after the commit. A process that dies between the commit and the delete
  leaves a file whose name is already recorded: the next one deletes it without inserting again.
- If the database is down, files simply wait; the next tick (or the next process, or the worker's periodic
  job) ingests them.

The directory is per host (``LINK_SPOOL_DIR``, default ``DATA_DIR/spool/hits``): with several web hosts, each
ingests its own. Set ``LINK_HIT_SPOOL = false`` to write each hit in its own transaction instead.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import logging
import os
import secrets
import socket
import threading
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from shopbridge import db, jobs
from shopbridge.links.models import BuyLink, Hit, HitBatch

log = logging.getLogger(__name__)
EXTENSION = "shopbridge.links.spool"
SUFFIX = ".hits"
_INSERT = sa.insert(Hit.__table__)
_BATCH_INSERT = sa.insert(HitBatch.__table__)


class HitSpool:
    def __init__(self, app: Flask, directory: Path, interval: float):
        self.app, self.directory, self.interval = app, directory, interval
        self._lock = threading.Lock()
        self._pid = 0
        self._fd: int | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # --- writing (the redirect) -------------------------------------------------------------------------------

    def append(self, values: dict[str, Any]) -> None:
        """Record one hit durably; raises ``OSError`` if the spool cannot be written (the caller falls back)."""
        line = (json.dumps(values, default=_iso, separators=(",", ":")) + "\n").encode()
        with self._lock:
            if self._pid != os.getpid():
                self._after_fork()
            if self._fd is None:
                self._open()
            os.write(self._fd, line)

    def _after_fork(self) -> None:
        # A forked child must never write into its parent's file, nor think it runs the parent's thread.
        self._pid, self._fd, self._thread = os.getpid(), None, None
        self._stop = threading.Event()

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stem = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(6)}"
        temporary = self.directory / f"{stem}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(temporary, self.directory / f"{stem}{SUFFIX}")
        self._fd = fd
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="hit-spool", daemon=True)
            self._thread.start()

    def _rotate(self) -> None:
        """Close this process's file (releasing its lock) so that it can be ingested. A file is only ever open
        with a hit in it: it is made by the first :meth:`append` after a rotation."""
        with self._lock:
            if self._fd is not None and self._pid == os.getpid():
                os.close(self._fd)
                self._fd = None

    # --- ingesting (background) -------------------------------------------------------------------------------

    def flush(self) -> int:
        """Move every hit written so far on this host into the database; returns how many were inserted."""
        self._rotate()
        inserted = 0
        try:
            names = sorted(p.name for p in self.directory.iterdir() if p.name.endswith(SUFFIX))
        except FileNotFoundError:
            return 0
        for name in names:
            inserted += self._ingest(self.directory / name)
        return inserted

    def _ingest(self, path: Path) -> int:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return 0  # another process ingested it a moment ago
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0  # a live writer's file, or another process is ingesting it
            if os.fstat(fd).st_nlink == 0:
                return 0  # deleted between our listing and our lock: already ingested
            with os.fdopen(os.dup(fd), "rb") as fh:
                rows = [row for row in map(_parse, fh) if row is not None]
            with db.engine(self.app).begin() as conn:
                done = conn.execute(sa.select(HitBatch.name).where(HitBatch.name == path.name)).first()
                if done is None:
                    if rows:
                        # A link deleted meanwhile cannot take its hits (foreign key); nothing else is dropped.
                        ids = {r["link_id"] for r in rows}
                        known = set(conn.scalars(sa.select(BuyLink.id).where(BuyLink.id.in_(ids))))
                        rows = [r for r in rows if r["link_id"] in known]
                    if rows:
                        conn.execute(_INSERT, rows)
                    conn.execute(_BATCH_INSERT, {"name": path.name, "hits": len(rows), "at": db.utcnow()})
            path.unlink(missing_ok=True)
            return 0 if done is not None else len(rows)
        finally:
            os.close(fd)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.flush()
            except Exception:  # the database is down, the disk is full …: the files wait for the next tick
                log.warning("could not move spooled buy-link hits into the database yet", exc_info=True)

    def stop(self) -> None:
        """Stop the background thread and leave what is spooled on disk (for the next process to ingest)."""
        self._stop.set()
        atexit.unregister(self.close)
        self._rotate()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    def close(self) -> None:
        """At process exit: ingest what this process wrote (what fails stays on disk for the next one)."""
        if self._pid != os.getpid():
            return
        self._stop.set()
        try:
            self.flush()
        except Exception:
            log.warning("spooled buy-link hits left on disk for the next process", exc_info=True)


def _iso(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot spool {type(value).__name__}")


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        row = json.loads(line)
        row["at"] = datetime.fromisoformat(row["at"])
        row["day"] = date.fromisoformat(row["day"])
        return row
    except (ValueError, KeyError, TypeError):
        # Only a line cut short by a crash mid-write can be unreadable; everything before it is kept.
        log.warning("skipped an unreadable spooled hit: %r", line[:200])
        return None


def enabled(app: Flask) -> bool:
    return bool(app.config.get("LINK_HIT_SPOOL", True))


def spool_for(app: Flask) -> HitSpool:
    # The spool outlives requests (its thread, atexit): it must hold the app itself, never ``current_app``.
    app = app._get_current_object() if hasattr(app, "_get_current_object") else app
    found = app.extensions.get(EXTENSION)
    if found is None:
        directory = Path(app.config.get("LINK_SPOOL_DIR") or Path(app.config["DATA_DIR"]) / "spool" / "hits")
        found = HitSpool(app, directory, float(app.config.get("LINK_SPOOL_SECONDS", 1.0)))
        app.extensions[EXTENSION] = found
        atexit.register(found.close)
    return found


def flush(app: Flask) -> int:
    """Ingest this host's spooled hits now (analytics pages, the worker's periodic job, tests)."""
    if not enabled(app):
        return 0
    return spool_for(app).flush()


def stop(app: Flask) -> None:
    """Stop this app's spool without ingesting (an app torn down in tests; see :meth:`HitSpool.stop`)."""
    found = app.extensions.pop(EXTENSION, None)
    if found is not None:
        found.stop()


def backlog(app: Flask) -> dict[str, float]:
    """Spool files waiting on this host and the age of the oldest, for monitoring (``/healthz``).

    A growing age while the database is reachable means nothing is moving the files: look at the logs.
    """
    directory = spool_for(app).directory
    try:
        ages = [time.time() - p.stat().st_mtime for p in directory.iterdir() if p.name.endswith(SUFFIX)]
    except FileNotFoundError:
        ages = []
    return {"files": len(ages), "oldest_seconds": round(max(ages), 1) if ages else 0.0}


@jobs.every_minute
def flush_periodically(app: Flask) -> int:
    """The worker's sweep: files left by web processes that stopped for good (a host scaled down to zero web
    workers still has its last hits moved, as long as a worker runs there)."""
    return flush(app)


def wait_until_flushed(app: Flask, timeout: float = 5.0) -> None:
    """For tests and benchmarks: ingest until no spool file is left (other processes' files included)."""
    deadline = time.monotonic() + timeout
    while True:
        flush(app)
        directory = spool_for(app).directory
        if not directory.exists() or not any(p.name.endswith(SUFFIX) for p in directory.iterdir()):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"spooled hits still waiting in {directory}")
        time.sleep(0.05)
