"""Shoppable posts end to end against the Fakegram fake server: compose, publish, retries, crashes, archives."""

from __future__ import annotations

import pytest
from sqlmodel import select

from shopbridge import jobs
from shopbridge.channels.models import JobRecord, OutboxEntry
from shopbridge.posts import service
from shopbridge.posts.models import Post, PostStatus, PostTarget, TargetStatus


@pytest.fixture
def shop(app, db_session, fakegram, fake_links, product_factory, channel_factory):
    product = product_factory(title="Linen shirt", slug="linen-shirt")
    live = channel_factory("fakegram", {"account_id": "42", "access_token": "good-token"}, dry_run=False,
                           name="Fakegram main").channel
    return product, live


def _compose(app, db_session, product, channels, **extra):
    with app.app_context():
        post = service.create_post(db_session, service.PostInput(
            title="Summer linen", caption="{title} for {price}. Buy: {link}", product_ids=[product.id],
            channel_ids=[c.id for c in channels], hashtags=["linen", "summer"], **extra))
        db_session.commit()
    return post


def _submit(app, db_session, post, user=None):
    with app.app_context():
        post = db_session.get(Post, post.id)
        service.submit(db_session, post, user)
        db_session.commit()
    db_session.expire_all()
    return db_session.get(Post, post.id)


def test_a_post_is_published_once_with_its_own_tracked_link(app, db_session, shop, fakegram, fake_links):
    product, channel = shop
    post = _submit(app, db_session, _compose(app, db_session, product, [channel]))

    assert post.status == PostStatus.published
    target = post.targets[0]
    assert target.status == TargetStatus.published and target.attempts == 1
    assert len(fakegram.posts) == 1
    remote = fakegram.posts[target.remote_id]
    assert remote["link"] == "https://shop.test/l/0001" == target.link_url
    assert fake_links == [{"post": post.id, "channel": "Fakegram main", "product": "linen-shirt"}]
    assert "Linen shirt for €49.00" in remote["text"] and "#linen #summer" in remote["text"]
    assert remote["key"] == target.idempotency_key
    assert target.remote_url == f"https://fakegram.test/p/{target.remote_id}"


def test_a_dry_run_channel_records_the_request_in_the_outbox(app, db_session, fakegram, fake_links,
                                                             product_factory, channel_factory):
    product = product_factory(title="Linen shirt", slug="linen-shirt")
    dry = channel_factory("fakegram", {"account_id": "42", "access_token": "good-token"}, dry_run=True).channel
    post = _submit(app, db_session, _compose(app, db_session, product, [dry]))

    assert post.status == PostStatus.published and not fakegram.requests
    entry = db_session.exec(select(OutboxEntry)).one()
    assert entry.method == "POST" and entry.url == "https://api.fakegram.test/v1/posts"
    assert entry.headers["Authorization"] == "***"  # the token never reaches the outbox
    assert "good-token" not in str(entry.headers) + str(entry.body)
    assert entry.body["link"] == post.targets[0].link_url


def test_a_rate_limit_is_retried_after_the_platforms_retry_after(app, db_session, shop, fakegram, fake_clock):
    product, channel = shop
    fakegram.fail_next(429, headers={"Retry-After": "600"})
    post = _submit(app, db_session, _compose(app, db_session, product, [channel]))
    target = post.targets[0]
    assert target.status == TargetStatus.retrying and post.status == PostStatus.publishing
    wait = (target.next_attempt_at - fake_clock.now).total_seconds()
    assert 600 <= wait < 700  # never sooner than the platform asked
    assert "rate limiting" in target.last_error

    fake_clock.advance(seconds=300)
    assert fake_clock.run_due() == 0  # not yet
    fake_clock.advance(seconds=wait)
    assert fake_clock.run_due() == 1
    db_session.expire_all()
    target = db_session.get(PostTarget, target.id)
    assert target.status == TargetStatus.published and target.attempts == 2
    assert len(fakegram.posts) == 1


@pytest.mark.parametrize("failure", [500, "timeout"])
def test_transient_failures_back_off_then_give_up_visibly(app, db_session, shop, fakegram, fake_clock, failure):
    app.config["JOB_MAX_ATTEMPTS"] = 3
    product, channel = shop
    fakegram.fail_next(failure, times=3)
    post = _submit(app, db_session, _compose(app, db_session, product, [channel]))
    delays = []
    for _ in range(2):
        target = db_session.get(PostTarget, post.targets[0].id)
        assert target.status == TargetStatus.retrying
        delays.append((target.next_attempt_at - fake_clock.now).total_seconds())
        fake_clock.advance(seconds=delays[-1] + 1)
        fake_clock.run_due()
        db_session.expire_all()
    assert 15 <= delays[0] <= 30 and 30 <= delays[1] <= 60  # exponential, with jitter
    target = db_session.get(PostTarget, post.targets[0].id)
    assert target.status == TargetStatus.failed and target.attempts == 3
    assert target.last_error.startswith("Gave up after 3 attempts")
    assert db_session.get(Post, post.id).status == PostStatus.failed
    record = db_session.exec(select(JobRecord).where(JobRecord.ref == f"target:{target.id}")).one()
    assert record.status == "failed" and "Gave up" in record.last_error
    assert not fakegram.posts


@pytest.mark.parametrize("status, words", [(400, "Fakegram said: text is required"),
                                           (401, "reconnect the channel")])
def test_permanent_errors_fail_at_once(app, db_session, shop, fakegram, status, words):
    product, channel = shop
    fakegram.fail_next(status, body={"error": {"message": "text is required"}})
    post = _submit(app, db_session, _compose(app, db_session, product, [channel]))
    target = post.targets[0]
    assert target.status == TargetStatus.failed and target.attempts == 1
    assert words in target.last_error
    assert len(fakegram.requests) == 1


class WorkerCrash(BaseException):
    """The worker process dies (power cut, OOM kill) — not an exception any code handles."""


def _crash_then_restart(app, db_session, post, fake_clock):
    with pytest.raises(WorkerCrash):
        _submit(app, db_session, post)
    db_session.close()  # the crashed "process" is gone; the restarted one starts with fresh state
    target = db_session.exec(select(PostTarget).where(PostTarget.post_id == post.id)).one()
    assert target.status == TargetStatus.publishing and target.attempt_started_at is not None
    fake_clock.advance(seconds=app.config["PUBLISH_STALE_SECONDS"] + 1)
    fake_clock.tick()  # the restarted worker's sweeper finds the abandoned attempt
    db_session.expire_all()
    return db_session.get(PostTarget, target.id)


def test_a_crash_after_the_platform_published_never_posts_twice_when_the_post_can_be_found(
        app, db_session, shop, fakegram, fake_clock, monkeypatch):
    product, channel = shop
    fakegram.honour_idempotency = False  # only the lookup protects us here
    _crash_after_remote_success_on_pm(app, monkeypatch)
    post = _compose(app, db_session, product, [channel])
    target = _crash_then_restart(app, db_session, post, fake_clock)
    assert len(fakegram.posts) == 1
    assert target.status == TargetStatus.published
    assert target.remote_id == next(iter(fakegram.posts))


def test_a_crash_on_a_platform_that_cannot_be_asked_stops_and_asks_a_person(
        app, db_session, fakegram, fake_links, product_factory, channel_factory, fake_clock, monkeypatch, auth,
        client):
    product = product_factory(title="Linen shirt", slug="linen-shirt")
    channel = channel_factory("blindgram", {"access_token": "good-token"}, dry_run=False).channel
    _crash_after_remote_success_on_pm(app, monkeypatch)
    post = _compose(app, db_session, product, [channel])
    target = _crash_then_restart(app, db_session, post, fake_clock)
    assert len(fakegram.posts) == 1
    assert target.status == TargetStatus.needs_check
    assert "may already be published" in target.last_error

    auth.login("owner")
    page = client.get(f"/admin/posts/{post.id}").get_data(as_text=True)
    assert "It is published" in page and "may already be published" in page
    client.post(f"/admin/posts/{post.id}/targets/{target.id}/confirm",
                data={"csrf_token": auth.csrf(f"/admin/posts/{post.id}"), "published": "yes",
                      "remote_url": "https://blindgram.test/p/1"})
    db_session.expire_all()
    target = db_session.get(PostTarget, target.id)
    assert target.status == TargetStatus.published and target.remote_url == "https://blindgram.test/p/1"
    assert db_session.get(Post, post.id).status == PostStatus.published
    assert len(fakegram.posts) == 1


def _crash_after_remote_success_on_pm(app, monkeypatch):
    """Make the registered plugin's publish crash the worker right after the platform accepted the post."""
    import fake_platform

    from shopbridge.plugins import manager

    impl = next(i for i in manager(app).hook.shopbridge_publish_post.get_hookimpls()
                if i.plugin is fake_platform)
    real = impl.function
    calls = {"n": 0}

    def publish_then_die(channel, content):
        result = real(channel=channel, content=content)
        calls["n"] += 1
        if calls["n"] == 1:
            raise WorkerCrash()
        return result

    monkeypatch.setattr(impl, "function", publish_then_die)
    return calls


def test_an_archived_product_fails_the_post_with_a_clear_message(app, db_session, shop, fakegram):
    from shopbridge.catalogue.service import archive_product

    product, channel = shop
    post = _compose(app, db_session, product, [channel])
    with app.app_context():
        archive_product(db_session, product)
        db_session.commit()
    post = _submit(app, db_session, post)
    target = post.targets[0]
    assert target.status == TargetStatus.failed
    assert "“Linen shirt” was archived" in target.last_error
    assert not fakegram.posts


def test_a_scheduled_post_waits_for_its_time(app, db_session, shop, fakegram, fake_clock):
    from datetime import timedelta

    product, channel = shop
    when = fake_clock.now + timedelta(hours=2)
    post = _submit(app, db_session, _compose(app, db_session, product, [channel], scheduled_at=when))
    assert post.status == PostStatus.scheduled and not fakegram.posts
    fake_clock.advance(hours=1)
    fake_clock.run_due()
    fake_clock.tick()
    assert not fakegram.posts
    fake_clock.advance(hours=1, seconds=1)
    fake_clock.run_due()
    db_session.expire_all()
    assert db_session.get(Post, post.id).status == PostStatus.published
    assert len(fakegram.posts) == 1


def test_staff_posts_wait_for_the_owners_approval(app, db_session, shop, fakegram, users):
    product, channel = shop
    with app.app_context():
        service.set_approval_required(db_session, True)
        db_session.commit()
    post = _submit(app, db_session, _compose(app, db_session, product, [channel]), users["staff"])
    assert post.status == PostStatus.awaiting_approval and not fakegram.posts
    with app.app_context():
        with pytest.raises(service.PostError):
            service.approve(db_session, post, users["staff"])
        service.approve(db_session, db_session.get(Post, post.id), users["owner"])
        db_session.commit()
    db_session.expire_all()
    assert db_session.get(Post, post.id).status == PostStatus.published
    assert len(fakegram.posts) == 1


def test_edits_and_deletes_reach_the_platform(app, db_session, shop, fakegram):
    product, channel = shop
    post = _submit(app, db_session, _compose(app, db_session, product, [channel]))
    remote_id = post.targets[0].remote_id
    with app.app_context():
        service.edit_post(db_session, db_session.get(Post, post.id), caption="Now 20% off: {title}")
        db_session.commit()
    assert fakegram.posts[remote_id]["text"].startswith("Now 20% off: Linen shirt")
    with app.app_context():
        service.delete_post(db_session, db_session.get(Post, post.id))
        db_session.commit()
    assert remote_id not in fakegram.posts
    db_session.expire_all()
    assert db_session.get(PostTarget, post.targets[0].id).status == TargetStatus.deleted


def test_backoff_grows_and_honours_retry_after():
    import random

    rng = random.Random(1)
    first = [jobs.backoff_delay(1, rng=rng) for _ in range(50)]
    third = [jobs.backoff_delay(3, rng=rng) for _ in range(50)]
    assert all(15 <= d <= 30 for d in first) and all(60 <= d <= 120 for d in third)
    assert len(set(first)) > 40  # jitter spreads them
    assert jobs.backoff_delay(1, retry_after=900) == 900
