"""The jobs that publish, update and delete posts on platforms — and never publish one twice.

How "never twice" holds when a worker dies at the worst moment:

1. Before calling the platform, the job *claims* the target in its own committed transaction: status
   ``publishing``, ``attempt_started_at`` set (the marker), attempts + 1. The claim is one conditional UPDATE,
   so two workers can never both claim it.
2. The platform's answer (remote id and URL, or the error) is recorded in the next transaction.
3. A crash between the two leaves the marker. Whoever finds it later (the minute sweeper, once the attempt is
   older than ``PUBLISH_STALE_SECONDS``, or a retry) does not simply publish again. It publishes again only if
   the platform makes that safe: the type declares ``idempotent_publish`` (same idempotency key, the platform
   drops the duplicate), or the plugin's ``shopbridge_find_post`` says the post is not there (or finds it, and
   we record it). Otherwise the target becomes ``needs_check``: a person is asked to look on the platform and
   confirm, in the admin, whether it went out.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from sqlmodel import select

from shopbridge import jobs, plugins
from shopbridge.catalogue.models import ProductStatus
from shopbridge.channels import service as channels
from shopbridge.channels.errors import PlatformError
from shopbridge.channels.models import Channel
from shopbridge.channels.types import Capability, PublishResult
from shopbridge.db import session_scope
from shopbridge.posts.models import Post, PostTarget, TargetStatus
from shopbridge.posts.service import content_for, products_of, refresh_status

log = logging.getLogger(__name__)

UNKNOWN_OUTCOME = ("An attempt to publish started but its outcome was never recorded (the worker stopped "
                   "mid-way). It may already be published: check the platform, then confirm below.")


def _ref(target_id: int) -> str:
    return f"target:{target_id}"


def _settings(app: Flask) -> tuple[int, float, float]:
    return (int(app.config.get("JOB_MAX_ATTEMPTS", 6)), float(app.config.get("JOB_BACKOFF_SECONDS", 30)),
            float(app.config.get("PUBLISH_STALE_SECONDS", 900)))


def _problem(session, target: PostTarget, channel: Channel | None, app: Flask) -> str | None:
    """Why this target must not be published now, in words for the shop owner; ``None`` when it may."""
    if channel is None:
        return "The channel was removed."
    if not channel.enabled:
        return f"The channel “{channel.name}” is switched off."
    if channels.channel_type(channel.type, app) is None:
        return f"The plugin for {channel.type} channels is not installed any more."
    products = products_of(session, target.post)
    if len(products) != len(target.post.product_ids):
        return "A product in this post was deleted, so it was not published."
    for product in products:
        if product.status != ProductStatus.active:
            return (f"The product “{product.title}” was {ProductStatus(product.status).value} after this post was written, so the "
                    "post was not published. Make the product active again (or remove it from the post) and retry.")
    if not target.link_url:
        return "The post has no tracked link for this channel."
    return None


def _finish(session, target: PostTarget, status: TargetStatus, error: str = "", *, app: Flask) -> None:
    target.status = status
    target.last_error = error
    target.attempt_started_at = None
    target.updated_at = jobs.now(app)
    session.add(target)
    refresh_status(target.post, jobs.now(app))
    session.add(target.post)
    job_status = {TargetStatus.published: "done", TargetStatus.retrying: "retrying"}.get(status, "failed")
    jobs.record(session, "publish", _ref(target.id), job_status, error=error,
                next_attempt_at=target.next_attempt_at if status == TargetStatus.retrying else None)


def _record_success(session, target: PostTarget, result: PublishResult, app: Flask) -> None:
    target.remote_id = str(result.remote_id)
    target.remote_url = result.url
    target.published_at = jobs.now(app)
    target.next_attempt_at = None
    _finish(session, target, TargetStatus.published, app=app)


def _claim(session, target_id: int, app: Flask) -> bool:
    """Atomically move a queued/retrying target to ``publishing`` with the attempt marker (see module doc)."""
    moment = jobs.now(app)
    result = session.execute(
        sa.update(PostTarget)
        .where(PostTarget.id == target_id,
               PostTarget.status.in_([TargetStatus.queued.value, TargetStatus.retrying.value]))
        .values(status=TargetStatus.publishing.value, attempt_started_at=moment,
                attempts=PostTarget.attempts + 1, updated_at=moment)
    )
    return result.rowcount == 1


@jobs.job("posts.publish")
def publish_target(app: Flask, target_id: int, recover: bool = False) -> str:
    """Publish one post on one channel; returns the target's status afterwards (for logs and tests)."""
    max_attempts, backoff, stale = _settings(app)
    with session_scope(app) as session:
        target = session.get(PostTarget, target_id)
        if target is None:
            return "missing"
        channel = session.get(Channel, target.channel_id)
        moment = jobs.now(app)
        if target.status == TargetStatus.publishing:
            started = target.attempt_started_at
            if not recover and started and started > moment - timedelta(seconds=stale):
                return str(target.status)  # another worker is on it right now
            return _recover(app, session, target, channel)
        if target.status not in (TargetStatus.queued, TargetStatus.retrying):
            return str(target.status)
        due = max(filter(None, [target.next_attempt_at, target.post.scheduled_at]), default=None)
        if due is not None and due > moment + timedelta(seconds=1):
            return str(target.status)  # early: its own scheduled job (or the sweeper) comes back later
        problem = _problem(session, target, channel, app)
        if problem:
            _finish(session, target, TargetStatus.failed, problem, app=app)
            return str(target.status)
        if not _claim(session, target_id, app):
            return "taken"
        jobs.record(session, "publish", _ref(target_id), "running", attempt=True)
        session.refresh(target)
        refresh_status(target.post, moment)
        session.add(target.post)
    # The marker is committed: from here on a crash leaves evidence that an attempt was under way.
    return _attempt(app, target_id, max_attempts, backoff)


def _attempt(app: Flask, target_id: int, max_attempts: int, backoff: float) -> str:
    with session_scope(app) as session:
        target = session.get(PostTarget, target_id)
        channel = session.get(Channel, target.channel_id)
        ctx = channels.context_for(session, channel, app=app, label=f"post {target.post_id}")
        content = content_for(session, ctx, target, app)
        target.text = content.text
        try:
            result = plugins.call("shopbridge_publish_post", app=app, raise_crash=True, channel=ctx, content=content)
        except PlatformError as exc:
            _failed_attempt(app, session, target, exc, max_attempts, backoff)
            return str(target.status)
        except plugins.PluginCrashed as exc:
            if ctx.http.sent and not ctx.dry_run:
                # The plugin talked to the platform before failing: the post may exist. Ask, don't guess.
                _finish(session, target, TargetStatus.needs_check, f"{exc} {UNKNOWN_OUTCOME}", app=app)
            else:
                _finish(session, target, TargetStatus.failed, str(exc), app=app)
            return str(target.status)
        if not isinstance(result, PublishResult):
            _finish(session, target, TargetStatus.failed,
                    f"No installed plugin publishes to {channel.type} channels.", app=app)
            return str(target.status)
        _record_success(session, target, result, app)
        return str(target.status)


def _failed_attempt(app, session, target: PostTarget, exc: PlatformError, max_attempts: int,
                    backoff: float) -> None:
    if exc.transient and target.attempts < max_attempts:
        delay = jobs.backoff_delay(target.attempts, retry_after=exc.retry_after, base=backoff)
        target.next_attempt_at = jobs.now(app) + timedelta(seconds=delay)
        _finish(session, target, TargetStatus.retrying,
                f"{exc.message} (attempt {target.attempts} of {max_attempts}; next try in {int(delay)} s)", app=app)
        jobs.enqueue_after_commit(session, "posts.publish", target.id, app=app, eta=target.next_attempt_at)
        return
    message = exc.message
    if exc.transient:
        message = f"Gave up after {target.attempts} attempts. Last error: {exc.message}"
    target.next_attempt_at = None
    _finish(session, target, TargetStatus.failed, message, app=app)


def _recover(app: Flask, session, target: PostTarget, channel: Channel | None) -> str:
    """An attempt started and never recorded its outcome: find out, or ask a person (never post twice)."""
    ctype = channels.channel_type(channel.type, app) if channel else None
    if ctype is not None and ctype.idempotent_publish:
        target.status = TargetStatus.retrying  # the platform drops a duplicate with the same idempotency key
        target.next_attempt_at = None
        session.add(target)
        session.flush()
        session.commit()
        return publish_target(app, target.id)
    found = None
    if channel is not None and ctype is not None:
        ctx = channels.context_for(session, channel, app=app, label=f"post {target.post_id} (check)")
        try:
            found = plugins.call("shopbridge_find_post", app=app, channel=ctx,
                                 content=content_for(session, ctx, target, app))
        except PlatformError as exc:
            log.info("could not look up post %s: %s", target.post_id, exc.message)
            found = None
    if isinstance(found, PublishResult):
        _record_success(session, target, found, app)
    elif found is False:
        target.status = TargetStatus.retrying
        target.next_attempt_at = None
        session.add(target)
        session.commit()
        return publish_target(app, target.id)
    else:
        _finish(session, target, TargetStatus.needs_check, UNKNOWN_OUTCOME, app=app)
    return str(target.status)


@jobs.job("posts.update")
def update_target(app: Flask, target_id: int) -> str:
    with session_scope(app) as session:
        target = session.get(PostTarget, target_id)
        if target is None or target.status != TargetStatus.published or not target.remote_id:
            return "skipped"
        channel = session.get(Channel, target.channel_id)
        ctx = channels.context_for(session, channel, app=app, label=f"post {target.post_id} (edit)")
        target.text = ""
        content = content_for(session, ctx, target, app)
        try:
            result = plugins.call("shopbridge_update_post", app=app, raise_crash=True, channel=ctx, content=content,
                                  remote_id=target.remote_id)
        except (PlatformError, plugins.PluginCrashed) as exc:
            target.last_error = f"The edit did not reach the platform: {getattr(exc, 'message', exc)}"
            jobs.record(session, "update", _ref(target_id), "failed", error=target.last_error, attempt=True)
            session.add(target)
            return "failed"
        if result is None:
            target.last_error = "This platform does not allow edits; the change stays in the shop only."
        else:
            target.text = content.text
            target.remote_url = result.url or target.remote_url
            target.last_error = ""
        jobs.record(session, "update", _ref(target_id), "done", error=target.last_error, attempt=True)
        session.add(target)
        return "updated" if result is not None else "unsupported"


@jobs.job("posts.delete")
def delete_target(app: Flask, target_id: int) -> str:
    with session_scope(app) as session:
        target = session.get(PostTarget, target_id)
        if target is None or not target.remote_id or target.status == TargetStatus.deleted:
            return "skipped"
        channel = session.get(Channel, target.channel_id)
        if not channels.can(channel, Capability.delete_posts, app):
            target.last_error = "This platform does not let apps delete posts; remove it there by hand."
            session.add(target)
            return "unsupported"
        ctx = channels.context_for(session, channel, app=app, label=f"post {target.post_id} (delete)")
        try:
            done = plugins.call("shopbridge_delete_post", app=app, raise_crash=True, channel=ctx,
                                remote_id=target.remote_id)
        except (PlatformError, plugins.PluginCrashed) as exc:
            target.last_error = f"Could not delete it on the platform: {getattr(exc, 'message', exc)}"
            jobs.record(session, "delete", _ref(target_id), "failed", error=target.last_error, attempt=True)
            session.add(target)
            return "failed"
        if done:
            target.status = TargetStatus.deleted
            target.last_error = ""
        jobs.record(session, "delete", _ref(target_id), "done" if done else "failed", attempt=True)
        session.add(target)
        return "deleted" if done else "failed"


@jobs.every_minute
def sweep_posts(app: Flask) -> int:
    """Catch what a lost job would miss: due scheduled/retrying targets, and attempts a crash abandoned."""
    _, _, stale = _settings(app)
    moment = jobs.now(app)
    grace = timedelta(seconds=60)
    with session_scope(app) as session:
        rows = session.exec(
            select(PostTarget).join(Post).where(
                PostTarget.status.in_([TargetStatus.queued.value, TargetStatus.retrying.value,
                                       TargetStatus.publishing.value]))
        ).all()
        picked: list[tuple[int, bool]] = []
        for target in rows:
            if target.status == TargetStatus.publishing:
                if target.attempt_started_at and target.attempt_started_at <= moment - timedelta(seconds=stale):
                    picked.append((target.id, True))
                continue
            due = max(filter(None, [target.next_attempt_at, target.post.scheduled_at]), default=None)
            if due is None or due <= moment - grace:
                picked.append((target.id, False))
    for target_id, recover in picked:
        publish_target(app, target_id, recover)
    return len(picked)
