"""Jobs queued in a transaction go out when it commits - not when one of its savepoints is released."""

from __future__ import annotations

from sqlmodel import Session

from shopbridge import jobs
from shopbridge.db import engine


def test_jobs_wait_for_the_outer_commit_and_survive_a_rolled_back_savepoint(app, monkeypatch):
    sent = []
    monkeypatch.setattr(jobs.Queue, "enqueue", lambda self, name, *args, **kw: sent.append((name, args)))
    with Session(engine(app)) as session:
        with session.begin_nested():
            jobs.enqueue_after_commit(session, "demo.job", 1, app=app)
        with session.begin_nested():  # releasing this savepoint must not send job 1 early
            jobs.enqueue_after_commit(session, "demo.job", 2, app=app)
        try:
            with session.begin_nested():  # e.g. a replayed event refused by a unique constraint
                raise ValueError("refused")
        except ValueError:
            pass
        assert sent == []
        session.commit()
    assert sent == [("demo.job", (1,)), ("demo.job", (2,))]


def test_jobs_of_a_rolled_back_transaction_are_dropped(app, monkeypatch):
    sent = []
    monkeypatch.setattr(jobs.Queue, "enqueue", lambda self, name, *args, **kw: sent.append((name, args)))
    with Session(engine(app)) as session:
        jobs.enqueue_after_commit(session, "demo.job", 1, app=app)
        session.rollback()
        session.commit()
    assert sent == []
