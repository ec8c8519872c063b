"""The mail outbox: every message the shop sends, kept so development mail is readable in the admin."""

# No `from __future__ import annotations` here: SQLModel resolves types at class creation.
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from shopbridge.db import UTCDateTime, utcnow


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "mail_outbox"

    id: int | None = Field(default=None, primary_key=True)
    to: str = Field(max_length=254, index=True)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    # "outbox" (kept only here: no SMTP configured), "sent", or "failed" (with the error).
    status: str = Field(default="outbox", max_length=16, index=True)
    error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
