"""People who run the shop, their API tokens, and the audit log of what they changed."""

# No `from __future__ import annotations` here: SQLModel resolves relationship types at class creation.
import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from shopbridge.db import UTCDateTime, utcnow


class Role(enum.StrEnum):
    owner = "owner"
    staff = "staff"
    agency = "agency"


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(default="", max_length=120)
    password_hash: str = Field(max_length=255)
    role: Role = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    locale: str | None = Field(default=None, max_length=10)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    # flask-login's user protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(max_length=80)
    # The first characters, shown in the admin so a person can tell their tokens apart; never enough to use.
    prefix: str = Field(max_length=12)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    # Kept as text too, so the log still says who when a user is later deleted.
    actor: str = Field(max_length=254)
    action: str = Field(max_length=64, index=True)  # e.g. "product.update"
    object_type: str = Field(default="", max_length=40)
    object_id: str = Field(default="", max_length=64)
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))


class Setting(SQLModel, table=True):
    """Shop settings editable in the admin; secret values are stored encrypted (see settings.py)."""

    key: str = Field(primary_key=True, max_length=80)
    value: Any = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))
    is_secret: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
