"""Catalogue sync of 10k products to Pinterest (a spec-checking fake on loopback), through the real sync path.

``shopbridge sync --channel … --full`` queues every product and, with the queue in ``immediate`` mode, runs the
``catalogue.flush`` job at once: it builds each variant's catalogue item, batches them by the channel type's
``catalogue_batch_size`` and calls the Pinterest plugin, which talks real HTTP to ``FakePinterest`` (the plugin's
own fake, judging every request against Pinterest's API v5 schemas). The benchmark checks that the number of
batch uploads equals ceil(items / batch size) — each Pinterest batch is then read back once for its per-item
report — and that every item ended up ``synced``. Baseline, measured in the same run: building the same items
from the same database (eagerly loaded) without sending them, which shows what queueing, the HTTP round trips
and the per-item status bookkeeping add.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
from pathlib import Path

SIZE = int(os.environ.get("BENCH_SYNC_PRODUCTS", "10000"))
CHANNEL = "Bench Pinterest"


def run(results: dict) -> bool:
    from sqlalchemy import func
    from sqlalchemy.orm import selectinload
    from sqlmodel import select

    from bench.feeds import _populate
    from shopbridge import migrate
    from shopbridge.app import create_app
    from shopbridge.catalogue.models import Product
    from shopbridge.channels import service as channels
    from shopbridge.channels.models import SyncStatus
    from shopbridge.channels.products import catalogue_items
    from shopbridge.cli import main as shopbridge_command
    from shopbridge.db import engine, session_scope
    from shopbridge_pinterest.fake import FakePinterest
    from shopbridge_pinterest.plugin import BATCH_MAX

    work = Path(tempfile.mkdtemp(prefix="shopbridge-bench-"))
    fake = FakePinterest().start()
    try:
        app = create_app({"DATA_DIR": str(work / "data"), "QUEUE_URL": "immediate",
                          "BASE_URL": "https://shop.example"})
        migrate.upgrade(engine(app))
        _populate(engine(app), SIZE)
        with session_scope(app) as session:
            channels.create_channel(session, name=CHANNEL, type="pinterest", dry_run=False, app=app, values={
                "access_token": fake.access_token, "api_url": fake.url, "catalog_country": "IT",
                "catalog_language": "it"})
            ctype = channels.channel_type("pinterest", app)
            batch_size = min(ctype.catalogue_batch_size, BATCH_MAX)

        # Baseline: the same items built from the same rows, nothing sent.
        started = time.perf_counter()
        with session_scope(app) as session:
            query = select(Product).options(selectinload(Product.variants), selectinload(Product.images),
                                            selectinload(Product.category))
            built = sum(len(catalogue_items(p, app)) for p in session.exec(query))
        build_s = time.perf_counter() - started

        started = time.perf_counter()
        outcome = app.test_cli_runner().invoke(shopbridge_command, args=["sync", "--channel", CHANNEL, "--full"])
        sync_s = time.perf_counter() - started
        if outcome.exit_code != 0:
            raise RuntimeError(f"sync --full failed: {outcome.output}{outcome.exception!r}")
        with session_scope(app) as session:
            synced = session.exec(select(func.count()).select_from(SyncStatus)
                                  .where(SyncStatus.status == "synced")).one()
    finally:
        fake.stop()
        shutil.rmtree(work, ignore_errors=True)

    uploads = fake.requests_to("POST", "/v5/catalogs/items/batch")
    polls = [r for r in fake.received if r.method == "GET" and r.path.startswith("/v5/catalogs/items/batch/")]
    expected = math.ceil(built / batch_size)
    calls_ok = len(uploads) == expected
    all_synced = synced == built == len(fake.catalogue)
    results["sync"] = {
        "products": SIZE, "items": built, "batch_size": batch_size, "batch_uploads": len(uploads),
        "expected_uploads": expected, "status_reads": len(polls), "http_calls": len(fake.received),
        "items_synced": synced, "items_on_platform": len(fake.catalogue), "violations": len(fake.violations),
        "sync_s": round(sync_s, 2), "build_only_s": round(build_s, 2), "ratio_to_build": round(sync_s / build_s, 2),
        "items_per_s": round(built / sync_s), "load_average_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(), "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print(f"  {SIZE} products, {built} items, batch size {batch_size}")
    print(f"  batch uploads {len(uploads)} (expected ceil({built}/{batch_size}) = {expected}): "
          f"{'ok' if calls_ok else 'WRONG'}; status reads {len(polls)}; HTTP calls in all {len(fake.received)}")
    print(f"  sync --full {sync_s:.1f} s ({built / sync_s:.0f} items/s); building the items alone {build_s:.1f} s "
          f"({sync_s / build_s:.1f}x)")
    print(f"  items synced {synced}, on the platform {len(fake.catalogue)}, refused requests {len(fake.violations)}")
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return calls_ok and all_synced and not fake.violations
