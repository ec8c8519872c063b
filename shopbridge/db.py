"""Database engine and sessions.

One engine per app, kept in ``app.extensions["shopbridge.db"]``. Views get a request-scoped session from
:func:`session`; services, jobs and the CLI take a session as an argument and never reach for Flask globals,
so they run the same inside and outside a request.

Nothing here assumes SQLite: SQLite only gets the pragmas that make it a good embedded default (WAL, so
readers never wait for the writer; a busy timeout, so concurrent writers queue instead of failing; foreign keys
on, as every other database has them).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

EXTENSION = "shopbridge.db"

#: Every table shopbridge and its plugins define lives in this metadata; Alembic compares against it.
metadata = SQLModel.metadata


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database keeps.

    SQLite has no time zones and hands back naive datetimes; comparing those with aware ones raises. Every
    model column uses this type, so code never has to ask which database it runs on.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column; use shopbridge.db.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def make_engine(url: str, **kwargs) -> Engine:
    options: dict = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        options["connect_args"] = {"check_same_thread": False, "timeout": 30}
    options.update(kwargs)
    engine = sa.create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = make_engine(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_session)


def engine(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions[EXTENSION]


def session() -> Session:
    """The session of the current request (or app context), opened on first use."""
    if "db_session" not in g:
        g.db_session = Session(engine(), expire_on_commit=False)
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A session for work outside a request (jobs, CLI): committed on success, rolled back on error."""
    with Session(engine(app), expire_on_commit=False) as db_session:
        try:
            yield db_session
            db_session.commit()
        except BaseException:
            db_session.rollback()
            raise
