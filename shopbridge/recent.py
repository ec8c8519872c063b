"""Things every storefront page reads and that rarely change, reused by a process for a couple of seconds.

Why: a product page used to read the shop's name and language, the navigation's categories and the product's
scan-to-buy link from the database on every view — four of its seven queries, for values that change a few times
a day. A shop whose post goes viral gets thousands of views a minute of the same page.

Staleness is bounded and small. Values are kept per app for ``READ_CACHE_SECONDS`` (default 2; 0 turns this
off). A change committed through the ORM by *this* process to a watched table (settings, categories, products,
buy links) drops every remembered value at once, so whoever changes a setting sees it on their next page; other
worker processes see it within the two seconds.

Only plain values are remembered (strings, tuples), never ORM objects, which belong to one session.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from itertools import chain
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

EXTENSION = "shopbridge.recent"
#: Tables whose change (through the ORM, in this process) forgets everything remembered.
WATCHED = frozenset({"setting", "category", "product", "variant", "buy_link"})
T = TypeVar("T")
_generation = 0


class _Store:
    def __init__(self) -> None:
        self.values: dict[Hashable, tuple[float, Any]] = {}
        self.generation = _generation


def remembered(app: Flask, key: Hashable, load: Callable[[], T]) -> T:
    """``load()``'s value for ``key``, read at most once every ``READ_CACHE_SECONDS`` by this process."""
    seconds = float(app.config.get("READ_CACHE_SECONDS", 2))
    if seconds <= 0:
        return load()
    store = app.extensions.get(EXTENSION)
    if store is None or store.generation != _generation:
        store = app.extensions[EXTENSION] = _Store()
    now = time.monotonic()
    found = store.values.get(key)
    if found is not None and found[0] > now:
        return found[1]
    value = load()
    if len(store.values) > 10_000:  # many products viewed: start again rather than grow without bound
        store.values.clear()
    store.values[key] = (now + seconds, value)
    return value


def forget() -> None:
    """Drop everything remembered, in every app of this process."""
    global _generation
    _generation += 1


@event.listens_for(Session, "after_flush")
def _note_watched_changes(session: Session, _context) -> None:
    for obj in chain(session.new, session.dirty, session.deleted):
        if getattr(obj, "__tablename__", None) in WATCHED:
            session.info["shopbridge.recent.changed"] = True
            forget()  # at once (this request's later reads), and again at commit (below)
            return


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    # Forgetting at flush alone would let a read between the flush and the commit remember the old value.
    if session.info.pop("shopbridge.recent.changed", False):
        forget()
