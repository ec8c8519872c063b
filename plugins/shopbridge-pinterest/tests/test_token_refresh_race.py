"""Two workers find the access token expired at the same moment: only one of them refreshes it.

Pinterest's refresh tokens work once (continuous refresh hands out a new one each time), so two refreshes with
the same refresh token would leave one worker with a refused refresh and, worse, could store a dead token.
"""

from __future__ import annotations

import threading

from sqlmodel import Session

from shopbridge.channels import service
from shopbridge.channels.models import Channel
from shopbridge.db import engine
from shopbridge_pinterest.plugin import list_boards


def test_concurrent_workers_refresh_an_expired_token_once(app, pinterest, channel_factory):
    stored = channel_factory("pinterest", {
        "access_token": pinterest.access_token, "refresh_token": pinterest.refresh_token,
        "app_id": pinterest.app_id, "app_secret": pinterest.app_secret, "board_id": pinterest.boards[0]["id"],
        "api_url": pinterest.url, "catalog_country": "IT", "catalog_language": "it"},
        dry_run=False, name="Pinterest").channel
    pinterest.expire_token()
    # Pinterest takes a moment to answer the refresh, long enough for the second worker to hit the 401 too.
    pinterest.refresh_delay = 0.4
    start = threading.Barrier(2)
    results: dict[str, object] = {}

    def worker(name: str) -> None:
        with app.app_context(), Session(engine(app), expire_on_commit=False) as session:
            context = service.context_for(session, session.get(Channel, stored.id), app=app, label=name)
            start.wait()
            try:
                results[name] = [b["name"] for b in list_boards(context)]
            except Exception as exc:  # noqa: BLE001 - the assertion below shows it
                results[name] = exc

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("web", "worker")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert results == {"web": ["Summer shirts", "Linen"], "worker": ["Summer shirts", "Linen"]}
    assert len(pinterest.requests_to("POST", "/v5/oauth/token")) == 1
    # Both 401s happened before the refresh finished: the loser really waited and re-read the new token.
    assert len(pinterest.requests_to("GET", "/v5/boards")) == 4
    with app.app_context(), Session(engine(app)) as session:
        saved = service.decrypted_secrets(session.get(Channel, stored.id), app)
    assert (saved["access_token"], saved["refresh_token"]) == (pinterest.access_token, pinterest.refresh_token)
