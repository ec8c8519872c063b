"""The durable queue with a real worker: the SQLite queue by default, a consumer thread in `serve`, and
`shopbridge worker` as its own process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import select

from shopbridge import jobs


@pytest.fixture
def app_config(tmp_path):
    return {"PLUGINS": ["fake_platform"], "QUEUE_URL": ""}  # the default: SQLite queue in DATA_DIR


def _wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _compose_and_submit(app, db_session, product, channel):
    from shopbridge.posts import service

    with app.app_context():
        post = service.create_post(db_session, service.PostInput(title="Linen", caption="{title}",
                                                                 product_ids=[product.id],
                                                                 channel_ids=[channel.id]))
        service.submit(db_session, post)
        db_session.commit()
    return post


def test_the_default_queue_is_sqlite_in_the_data_directory(app):
    from huey import SqliteHuey

    huey = jobs.queue(app).huey
    assert isinstance(huey, SqliteHuey) and not huey.immediate
    assert Path(huey.storage.filename) == Path(app.config["DATA_DIR"]) / "jobs.db"
    assert type(jobs.make_huey({"QUEUE_URL": "redis://127.0.0.1:6379/0", "DATA_DIR": "/tmp"})).__name__ == \
        "PriorityRedisHuey"
    with pytest.raises(ValueError):
        jobs.make_huey({"QUEUE_URL": "amqp://nope", "DATA_DIR": "/tmp"})


def test_a_worker_thread_alongside_the_server_publishes_queued_posts(app, db_session, fakegram, fake_links,
                                                                     product_factory, channel_factory):
    from shopbridge.posts.models import PostTarget, TargetStatus

    product = product_factory(title="Linen shirt", slug="linen-shirt")
    channel = channel_factory("fakegram", {"account_id": "1", "access_token": "good-token"}, dry_run=False).channel
    _compose_and_submit(app, db_session, product, channel)
    target = db_session.exec(select(PostTarget)).one()
    assert target.status == TargetStatus.queued and not fakegram.posts  # waiting in the durable queue

    consumer = jobs.start_embedded_worker(app, workers=1)
    try:
        def published():
            db_session.expire_all()
            return db_session.get(PostTarget, target.id).status == TargetStatus.published
        assert _wait_for(published)
    finally:
        consumer.stop(graceful=True)
    assert len(fakegram.posts) == 1


def test_shopbridge_worker_runs_as_its_own_process_and_stops_on_sigterm(app, db_session, fake_links,
                                                                        product_factory, channel_factory):
    from shopbridge.channels.models import OutboxEntry

    product = product_factory(title="Linen shirt", slug="linen-shirt")
    channel = channel_factory("fakegram", {"account_id": "1"}, dry_run=True).channel  # no token: dry run
    _compose_and_submit(app, db_session, product, channel)
    env = {**os.environ, "SHOPBRIDGE_DATA_DIR": app.config["DATA_DIR"],
           "DATABASE_URL": app.config["DATABASE_URL"], "SHOPBRIDGE_PLUGINS": '["fake_platform"]',
           "SHOPBRIDGE_ENCRYPTION_KEYS": "test-encryption-key", "SHOPBRIDGE_SECRET_KEY": "test-secret-key",
           "PYTHONPATH": str(Path(__file__).parent / "plugins")}
    worker = subprocess.Popen([str(Path(sys.executable).parent / "shopbridge"), "worker", "-w", "1"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def recorded():
            db_session.expire_all()
            return db_session.exec(select(OutboxEntry)).first() is not None
        assert _wait_for(recorded, 30), "the worker never published the queued post"
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=20)
    assert worker.returncode is not None
    assert db_session.exec(select(OutboxEntry)).one().url == "https://api.fakegram.test/v1/posts"


@pytest.fixture
def redis_url(tmp_path):
    """A real redis-server on loopback, for the scale-out queue."""
    import shutil
    import socket

    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    assert _wait_for(lambda: _pings(client), 10)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(10)


def _pings(client) -> bool:
    import redis

    try:
        return client.ping()
    except redis.ConnectionError:
        return False


def test_a_redis_queue_publishes_with_a_worker(redis_url, tmp_path, db_session, fakegram, fake_links,
                                               product_factory, channel_factory, app):
    from huey import PriorityRedisHuey

    from shopbridge.posts.models import PostTarget, TargetStatus

    app.extensions[jobs.EXTENSION] = jobs.Queue(app, jobs.make_huey({"QUEUE_URL": redis_url}))
    assert isinstance(jobs.queue(app).huey, PriorityRedisHuey)
    product = product_factory(title="Linen shirt", slug="linen-shirt")
    channel = channel_factory("fakegram", {"account_id": "1", "access_token": "good-token"}, dry_run=False).channel
    _compose_and_submit(app, db_session, product, channel)
    target = db_session.exec(select(PostTarget)).one()
    assert jobs.queue(app).huey.pending_count() == 1 and target.status == TargetStatus.queued
    consumer = jobs.start_embedded_worker(app, workers=1)
    try:
        def published():
            db_session.expire_all()
            return db_session.get(PostTarget, target.id).status == TargetStatus.published
        assert _wait_for(published)
    finally:
        consumer.stop(graceful=True)
    assert len(fakegram.posts) == 1
