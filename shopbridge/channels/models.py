"""Channel tables: connected channels, their outbox, inbound events, catalogue sync state, jobs and plugin errors."""

# No `from __future__ import annotations` here: SQLModel resolves relationship types at class creation.
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from shopbridge.db import UTCDateTime, utcnow


class Channel(SQLModel, table=True):
    """A configured instance of a plugin's channel type (e.g. "Instagram – main account").

    ``settings`` holds the plain settings; ``secrets`` the secret ones as one Fernet token of a JSON object, so
    the database never sees a token in clear. ``key`` is the unguessable part of the channel's webhook URL.
    """

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True, index=True)
    type: str = Field(max_length=60, index=True)
    key: str = Field(max_length=64, unique=True, index=True)
    enabled: bool = True
    dry_run: bool = True
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    secrets: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    secret_names: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    last_check_ok: bool | None = None
    last_check_detail: str = Field(default="", max_length=1000)
    last_check_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OutboxEntry(SQLModel, table=True):
    """One request a dry-run channel would have sent: exactly what, with secrets masked."""

    __tablename__ = "outbox_entry"

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int | None = Field(default=None, foreign_key="channel.id", index=True)
    method: str = Field(max_length=10)
    url: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    headers: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    body: Any = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))
    context: str = Field(default="", max_length=200)  # e.g. "post 12", "catalogue sync"
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class PluginError(SQLModel, table=True):
    """A plugin hook that raised: kept so the admin can show which plugin failed, where and when."""

    __tablename__ = "plugin_error"

    id: int | None = Field(default=None, primary_key=True)
    plugin: str = Field(max_length=200, index=True)
    hook: str = Field(max_length=100)
    message: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class JobRecord(SQLModel, table=True):
    """What a background job did: attempts, its last error, and whether it gave up (shown in the admin)."""

    __tablename__ = "job_record"
    __table_args__ = (sa.UniqueConstraint("kind", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True)  # "publish", "sync", "inbound", "update", "delete"
    ref: str = Field(max_length=80)  # what it works on, e.g. "target:12"
    status: str = Field(default="queued", max_length=20, index=True)  # queued|running|retrying|done|failed
    attempts: int = 0
    last_error: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class ChannelEvent(SQLModel, table=True):
    """A normalised inbound event (comment, message, mention …); unique per channel and platform id."""

    __tablename__ = "channel_event"
    __table_args__ = (sa.UniqueConstraint("channel_id", "external_id"),
                      # "when did this customer last write?" (WhatsApp's and Messenger's 24-hour windows)
                      sa.Index("ix_channel_event_channel_author", "channel_id", "author_id", "occurred_at"))

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channel.id", index=True)
    external_id: str = Field(max_length=200)
    kind: str = Field(max_length=20, index=True)
    author_id: str = Field(max_length=200)
    author_name: str = Field(default="", max_length=200)
    text: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    post_remote_id: str | None = Field(default=None, max_length=200, index=True)
    post_id: int | None = Field(default=None, index=True)  # our post, when the remote id is one of ours
    thread_id: str | None = Field(default=None, max_length=200)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    # A cart sent from a platform catalogue (kind "order"): [[catalogue item id, quantity], ...]
    order_lines: list[Any] = Field(default_factory=list,
                                   sa_column=sa.Column(sa.JSON, nullable=False, server_default="[]"))
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class KeywordRule(SQLModel, table=True):
    """Comment-to-buy: when an inbound comment or message contains ``keyword``, reply with a tracked link."""

    __tablename__ = "keyword_rule"

    id: int | None = Field(default=None, primary_key=True)
    keyword: str = Field(max_length=100)
    product_id: int | None = Field(default=None, foreign_key="product.id")  # None: the commented post's product
    reply_text: str = Field(default="Here is your link: {link}", max_length=500)
    channel_id: int | None = Field(default=None, foreign_key="channel.id")  # None: every channel
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AutoReply(SQLModel, table=True):
    """A keyword reply that was sent (or claimed): at most one per person and post (or conversation)."""

    __tablename__ = "auto_reply"
    __table_args__ = (sa.UniqueConstraint("channel_id", "author_id", "post_key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channel.id")
    author_id: str = Field(max_length=200)
    post_key: str = Field(max_length=200)
    event_id: int = Field(foreign_key="channel_event.id")
    rule_id: int | None = Field(default=None, foreign_key="keyword_rule.id")
    status: str = Field(default="sent", max_length=20)
    detail: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PendingSync(SQLModel, table=True):
    """A product changed and must be sent to a channel's catalogue once the burst of edits settles."""

    __tablename__ = "pending_sync"
    __table_args__ = (sa.UniqueConstraint("channel_id", "product_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channel.id", index=True)
    product_id: int = Field(index=True)
    due_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class SyncStatus(SQLModel, table=True):
    """Where one catalogue item (a variant) stands on one channel, with the platform's complaint if any."""

    __tablename__ = "sync_status"
    __table_args__ = (sa.UniqueConstraint("channel_id", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channel.id", index=True)
    item_id: str = Field(max_length=60)
    product_id: int = Field(index=True)
    variant_id: int | None = None
    status: str = Field(default="pending", max_length=20)  # pending|synced|error|deleted
    message: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
