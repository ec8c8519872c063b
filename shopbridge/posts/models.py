"""Shoppable posts: one composed post, published to one or more channels (a target per channel)."""

# No `from __future__ import annotations` here: SQLModel resolves relationship types at class creation.
import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from shopbridge.db import UTCDateTime, utcnow


class PostStatus(enum.StrEnum):
    draft = "draft"
    awaiting_approval = "awaiting_approval"
    scheduled = "scheduled"
    publishing = "publishing"
    published = "published"
    failed = "failed"
    cancelled = "cancelled"


class TargetStatus(enum.StrEnum):
    pending = "pending"  # waiting for the post to be approved / its time to come
    queued = "queued"  # a job will publish it
    publishing = "publishing"  # an attempt started (the marker a crash leaves behind)
    retrying = "retrying"  # failed transiently; a job will try again
    published = "published"
    failed = "failed"
    needs_check = "needs_check"  # an attempt's outcome is unknown: a person must check the platform
    cancelled = "cancelled"
    deleted = "deleted"


class Post(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    caption: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    hashtags: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    product_ids: list[int] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    image_id: int | None = Field(default=None, foreign_key="image.id")
    status: PostStatus = Field(
        default=PostStatus.draft, sa_column=sa.Column(sa.String(24), nullable=False, index=True, server_default="draft")
    )
    scheduled_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    approved_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    targets: list["PostTarget"] = Relationship(
        back_populates="post", sa_relationship_kwargs={"order_by": "PostTarget.id", "cascade": "all, delete-orphan"}
    )


class PostTarget(SQLModel, table=True):
    """One post on one channel: its tracked link, rendered text, attempts and what the platform answered."""

    __tablename__ = "post_target"
    __table_args__ = (sa.UniqueConstraint("post_id", "channel_id"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    channel_id: int = Field(foreign_key="channel.id", index=True)
    status: TargetStatus = Field(
        default=TargetStatus.pending, sa_column=sa.Column(sa.String(20), nullable=False, server_default="pending")
    )
    options: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    link_url: str = Field(default="", max_length=500)
    text: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    idempotency_key: str = Field(max_length=64)
    attempts: int = 0
    attempt_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    remote_id: str | None = Field(default=None, max_length=200, index=True)
    remote_url: str | None = Field(default=None, max_length=500)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    post: "Post" = Relationship(back_populates="targets")
