"""A worker killed (``kill -9``) while the platform call of a publish is in flight: after a restart the post is
published exactly once, or — on a platform that can neither drop a duplicate nor be searched — it waits in
``needs_check`` for a person; either way no job is lost (see the module doc of ``shopbridge.posts.publishing``).

The platform is the Fakegram fake server (tests/plugins/fake_platform.py) served over real HTTP on loopback,
so a real ``shopbridge worker`` process talks to it. It creates the post as soon as the request arrives and then
holds the answer back, like a slow platform: the worker dies knowing nothing, while the post exists.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from servers import free_port, shop_environment
from sqlmodel import select

from shopbridge.posts import service
from shopbridge.posts.models import PostTarget, TargetStatus

PLUGINS_DIR = Path(__file__).resolve().parents[1] / "plugins"


@pytest.fixture
def app_config(tmp_path):
    return {"PLUGINS": ["fake_platform"], "QUEUE_URL": ""}  # the durable SQLite queue a worker process reads


class SlowPlatform:
    """``fake_platform.FakeServer`` behind a real HTTP server whose post creation answers only when released."""

    def __init__(self) -> None:
        import fake_platform

        self.fake = fake_platform.FakeServer()
        self.create_arrived = threading.Event()
        self.release = threading.Event()
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = httpx.Request(self.command, f"https://api.fakegram.test{self.path}",
                                        headers=dict(self.headers), content=body)
                response = platform.fake.handler(request)  # the post exists from here on
                if self.command == "POST" and request.url.path == "/v1/posts":
                    platform.create_arrived.set()
                    platform.release.wait(30)
                try:
                    self.send_response(response.status_code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(response.content)))
                    self.end_headers()
                    self.wfile.write(response.content)
                except OSError:
                    pass  # the worker that asked is dead

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def creates(self) -> int:
        return sum(1 for r in self.fake.requests if r.method == "POST" and r.url.path == "/v1/posts")

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def platform():
    server = SlowPlatform()
    yield server
    server.close()


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _start_worker(app, platform: SlowPlatform, log: Path) -> subprocess.Popen:
    env = shop_environment(app.config["DATABASE_URL"], Path(app.config["DATA_DIR"]),
                           SHOPBRIDGE_PLUGINS=json.dumps(["fake_platform"]), FAKEGRAM_API=platform.url,
                           SHOPBRIDGE_PUBLISH_STALE_SECONDS="1",
                           PYTHONPATH=os.pathsep.join(filter(None, [str(PLUGINS_DIR), os.environ.get("PYTHONPATH")])))
    return subprocess.Popen([str(Path(sys.executable).parent / "shopbridge"), "worker", "-w", "1"], env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("channel_type, settings, outcome", [
    # Searchable by idempotency key: the recovery finds the post the dead worker created and records it.
    ("fakegram", {"account_id": "1", "access_token": "good-token"}, TargetStatus.published),
    # Neither idempotent nor searchable: publishing again could post twice, so a person is asked to check.
    ("blindgram", {"access_token": "good-token"}, TargetStatus.needs_check),
])
def test_a_worker_killed_mid_publish_never_posts_twice_and_loses_no_job(
        app, db_session, product_factory, channel_factory, platform, tmp_path, channel_type, settings, outcome):
    product = product_factory(title="Linen shirt", slug="linen-shirt")
    channel = channel_factory(channel_type, settings, dry_run=False).channel
    with app.app_context():
        post = service.create_post(db_session, service.PostInput(title="Linen", caption="{title}",
                                                                 product_ids=[product.id],
                                                                 channel_ids=[channel.id]))
        service.submit(db_session, post)
        db_session.commit()
    target_id = db_session.exec(select(PostTarget)).one().id

    def target() -> PostTarget:
        db_session.expire_all()
        return db_session.get(PostTarget, target_id)

    log = tmp_path / "worker.log"
    first = _start_worker(app, platform, log)
    try:
        assert platform.create_arrived.wait(30), f"the worker never called the platform\n{log.read_text()}"
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # mid-call: the platform has the post, the worker never hears
        first.wait(10)
    platform.release.set()
    assert target().status == TargetStatus.publishing  # the attempt marker the crash left behind
    assert len(platform.fake.posts) == 1

    time.sleep(1.5)  # older than PUBLISH_STALE_SECONDS: the attempt counts as crashed
    second = _start_worker(app, platform, log)
    try:
        settled = _wait_for(lambda: target().status not in (TargetStatus.queued, TargetStatus.retrying,
                                                             TargetStatus.publishing), 30)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(20)
    final = target()
    assert settled, f"the post was left {final.status}\n{log.read_text()[-3000:]}"
    assert final.status == outcome, final.last_error
    assert platform.creates() == 1 and len(platform.fake.posts) == 1  # published exactly once, never again
    if outcome == TargetStatus.published:
        (remote,) = platform.fake.posts.values()
        assert final.remote_id == remote["id"] and final.remote_url == remote["url"]
    else:
        assert "check the platform" in final.last_error
