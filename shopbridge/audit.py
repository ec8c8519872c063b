"""The audit log: every change an admin user or API client makes, with who, what and when."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from shopbridge.accounts.models import AuditEntry, User


def record(
    session: Session,
    user: User | None,
    action: str,
    obj: Any = None,
    changes: dict[str, Any] | None = None,
    *,
    actor: str | None = None,
) -> AuditEntry:
    """Add an audit entry to ``session`` (committed with the change it describes, never apart from it)."""
    entry = AuditEntry(
        user_id=getattr(user, "id", None),
        actor=actor or getattr(user, "email", None) or "system",
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=str(getattr(obj, "id", "") or getattr(obj, "key", "") or "") if obj is not None else "",
        changes=_jsonable(changes or {}),
    )
    session.add(entry)
    return entry


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field whose value changed."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}
