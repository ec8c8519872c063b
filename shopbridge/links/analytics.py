"""Attribution figures for buy links: clicks, scans, unique visitors, device and in-app browser splits.

One module computes them for the admin pages, the CSV export and the JSON API, so the three always agree.
All figures count people, not bots: link-preview fetchers and crawlers are reported only as ``bots``.

Unique visitors are counted per day (the visitor hash changes every day, by design), so a visitor on two days
counts twice over a range: the figure is the sum of daily uniques, the only honest number without tracking
people across days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from shopbridge.catalogue.models import Product
from shopbridge.db import utcnow
from shopbridge.links.models import BuyLink, Hit, HitKind

DEVICES = ("android", "ios", "desktop", "other")
MAX_DAYS = 366
GROUPS = {
    "link": (BuyLink.code,),
    "product": (Product.title,),
    "channel": (BuyLink.channel,),
    "campaign": (BuyLink.campaign,),
    "device": (Hit.device,),
    "in_app": (Hit.in_app,),
}


class AnalyticsError(ValueError):
    """A filter the report cannot use (e.g. a range that ends before it starts)."""


@dataclass
class Filters:
    start: date
    end: date
    product_id: int | None = None
    link_id: int | None = None
    channel: str | None = None
    campaign: str | None = None

    @classmethod
    def last_days(cls, days: int = 30, **kwargs: Any) -> Filters:
        end = utcnow().date()
        return cls(start=end - timedelta(days=days - 1), end=end, **kwargs)

    def check(self) -> Filters:
        if self.end < self.start:
            raise AnalyticsError("the end date is before the start date")
        if (self.end - self.start).days + 1 > MAX_DAYS:
            raise AnalyticsError(f"choose a range of at most {MAX_DAYS} days")
        return self

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def _where(filters: Filters) -> list[Any]:
    clauses: list[Any] = [Hit.day >= filters.start, Hit.day <= filters.end]
    if filters.product_id is not None:
        clauses.append(BuyLink.product_id == filters.product_id)
    if filters.link_id is not None:
        clauses.append(Hit.link_id == filters.link_id)
    if filters.channel:
        clauses.append(BuyLink.channel == filters.channel)
    if filters.campaign:
        clauses.append(BuyLink.campaign == filters.campaign)
    return clauses


#: A visit that counts: a person (not a bot) who reached a live link. Bots and visits after a link ended are
#: counted apart.
_COUNTED = sa.and_(Hit.is_bot.is_(False), Hit.ended.is_(False))


def _human(kind: str) -> Any:
    return sa.func.sum(sa.case((sa.and_(Hit.kind == kind, _COUNTED), 1), else_=0))


def _grouped(session: Session, filters: Filters, keys: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Clicks, scans, bots and (summed daily) unique visitors per value of ``keys``."""
    per_day = (
        sa.select(*[k.label(f"k{i}") for i, k in enumerate(keys)], Hit.day,
                  _human(HitKind.click).label("clicks"), _human(HitKind.scan).label("scans"),
                  sa.func.sum(sa.case((Hit.is_bot.is_(True), 1), else_=0)).label("bots"),
                  sa.func.sum(sa.case((sa.and_(Hit.ended.is_(True), Hit.is_bot.is_(False)), 1),
                                      else_=0)).label("ended"),
                  sa.func.count(sa.distinct(sa.case((_COUNTED, Hit.visitor)))).label("visitors"))
        .select_from(Hit)
        .join(BuyLink, BuyLink.id == Hit.link_id)
        .join(Product, Product.id == BuyLink.product_id)
        .where(*_where(filters))
        .group_by(*keys, Hit.day)
        .subquery()
    )
    key_columns = [per_day.c[f"k{i}"] for i in range(len(keys))]
    query = (
        sa.select(*key_columns, sa.func.sum(per_day.c.clicks), sa.func.sum(per_day.c.scans),
                  sa.func.sum(per_day.c.bots), sa.func.sum(per_day.c.visitors), sa.func.sum(per_day.c.ended))
        .group_by(*key_columns)
    )
    rows = []
    for row in session.execute(query):
        *key_values, clicks, scans, bots, visitors, ended = row
        rows.append({"key": key_values[0] if len(key_values) == 1 else tuple(key_values),
                     "clicks": int(clicks or 0), "scans": int(scans or 0), "bots": int(bots or 0),
                     "visitors": int(visitors or 0), "ended": int(ended or 0)})
    rows.sort(key=lambda r: (-(r["clicks"] + r["scans"]), str(r["key"])))
    return rows


#: Breakdowns an order can be attributed to: orders remember their buy link, not the visit's device.
CONVERSION_GROUPS = ("link", "product", "channel", "campaign")


def _conversions(session: Session, filters: Filters, keys: tuple[Any, ...]) -> dict[Any, dict[str, Any]]:
    """Paid orders and net revenue (per currency) per value of ``keys``, paid within the period.

    Orders carry the code of the buy link the shopper arrived through (``Order.link_code``), so they join the
    same link, product, channel and campaign columns as the visits do.
    """
    try:
        from shopbridge.checkout.models import Order
    except ImportError:  # a shop without checkout has visits but no orders
        return {}
    collected = sa.func.coalesce(Order.paid_minor, Order.total_minor) - Order.refunded_minor
    clauses = [Order.paid_at >= datetime.combine(filters.start, time.min, UTC),
               Order.paid_at < datetime.combine(filters.end + timedelta(days=1), time.min, UTC)]
    if filters.product_id is not None:
        clauses.append(BuyLink.product_id == filters.product_id)
    if filters.link_id is not None:
        clauses.append(BuyLink.id == filters.link_id)
    if filters.channel:
        clauses.append(BuyLink.channel == filters.channel)
    if filters.campaign:
        clauses.append(BuyLink.campaign == filters.campaign)
    query = (
        sa.select(*keys, Order.currency, sa.func.count(Order.id), sa.func.sum(collected))
        .select_from(Order)
        .join(BuyLink, BuyLink.code == Order.link_code)
        .join(Product, Product.id == BuyLink.product_id)
        .where(*clauses)
        .group_by(*keys, Order.currency)
    )
    found: dict[Any, dict[str, Any]] = {}
    for row in session.execute(query):
        *key_values, currency, count, revenue = row
        key = key_values[0] if len(key_values) == 1 else tuple(key_values)
        entry = found.setdefault(key, {"orders": 0, "revenue": {}})
        entry["orders"] += int(count)
        entry["revenue"][currency] = entry["revenue"].get(currency, 0) + int(revenue or 0)
    return found


def _with_conversions(rows: list[dict[str, Any]], conversions: dict[Any, dict[str, Any]]) -> list[dict[str, Any]]:
    seen = set()
    for row in rows:
        row.update(conversions.get(row["key"], {"orders": 0, "revenue": {}}))
        seen.add(row["key"])
    # An order whose visit fell before the period still belongs to the period it was paid in.
    rows.extend({"key": key, "clicks": 0, "scans": 0, "bots": 0, "visitors": 0, **figures}
                for key, figures in conversions.items() if key not in seen)
    return rows


def _split_by_day(session: Session, filters: Filters, column: Any) -> dict[date, dict[str, int]]:
    query = (
        sa.select(Hit.day, column, sa.func.count())
        .select_from(Hit)
        .join(BuyLink, BuyLink.id == Hit.link_id)
        .join(Product, Product.id == BuyLink.product_id)
        .where(*_where(filters), _COUNTED)
        .group_by(Hit.day, column)
    )
    found: dict[date, dict[str, int]] = {}
    for day, key, count in session.execute(query):
        found.setdefault(day, {})[key or "none"] = int(count)
    return found


@dataclass
class Report:
    filters: Filters
    totals: dict[str, int]
    daily: list[dict[str, Any]]
    by: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.filters.start.isoformat(),
            "end": self.filters.end.isoformat(),
            "totals": self.totals,
            "daily": [{**d, "day": d["day"].isoformat()} for d in self.daily],
            **{f"by_{name}": [{**r, "key": r["key"] if r["key"] is not None else "none"} for r in rows]
               for name, rows in self.by.items()},
        }


def report(session: Session, filters: Filters, groups: tuple[str, ...] = tuple(GROUPS)) -> Report:
    """Everything the analytics page shows for ``filters``: totals, a daily series and breakdowns."""
    filters.check()
    per_day = {r["key"]: r for r in _grouped(session, filters, (Hit.day,))}
    devices = _split_by_day(session, filters, Hit.device)
    in_app = _split_by_day(session, filters, Hit.in_app)
    daily = []
    for day in filters.days:
        row = per_day.get(day, {"clicks": 0, "scans": 0, "bots": 0, "visitors": 0, "ended": 0})
        daily.append({"day": day, "clicks": row["clicks"], "scans": row["scans"], "bots": row["bots"],
                      "visitors": row["visitors"], "ended": row["ended"],
                      "devices": {d: devices.get(day, {}).get(d, 0) for d in DEVICES},
                      "in_app": {k: v for k, v in sorted(in_app.get(day, {}).items()) if k != "none"}})
    totals = {name: sum(d[name] for d in daily) for name in ("clicks", "scans", "bots", "visitors", "ended")}
    by = {name: _grouped(session, filters, GROUPS[name]) for name in groups}
    for name in groups:
        if name in CONVERSION_GROUPS:
            by[name] = _with_conversions(by[name], _conversions(session, filters, GROUPS[name]))
    totals["orders"] = sum(c["orders"] for c in _conversions(session, filters, GROUPS["link"]).values())
    return Report(filters=filters, totals=totals, daily=daily, by=by)


def link_totals(session: Session, link_ids: list[int]) -> dict[int, dict[str, int]]:
    """All-time clicks and scans per link, for the links list."""
    if not link_ids:
        return {}
    query = (
        sa.select(Hit.link_id, _human(HitKind.click), _human(HitKind.scan))
        .where(Hit.link_id.in_(link_ids))
        .group_by(Hit.link_id)
    )
    return {link_id: {"clicks": int(c or 0), "scans": int(s or 0)} for link_id, c, s in session.execute(query)}
