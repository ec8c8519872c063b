"""Tracked buy-link redirect vs a bare Flask redirect, and a cached QR image vs a static file.

Both apps run on gunicorn with the same worker count and worker class, are loaded by ``wrk`` (Debian's; a small
Python load generator stands in if it is missing) one after the other in the same run, and the ratios are
printed. Targets: tracked redirect ≥ 0.7× the bare redirect; cached QR ≥ 0.8× the static file.

The tracked redirect does all its real work: it resolves the code (a per-process cache in front of an indexed
join), classifies the User-Agent, hashes the visitor, appends the hit to the durable spool that the servers move
into SQLite (WAL mode, the embedded default) in batches, and sets the signed attribution cookie. After the run
the benchmark checks that every answered request left a row in the database.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

from bench._servers import CONNECTIONS, DURATION, ROUNDS, WORKERS, Servers, combine, load, warm_up

TARGETS = {"redirect": 0.7, "qr": 0.8}


def _prepare(data_dir: Path) -> dict:
    """A migrated shop with one product and one link, and the link's QR image already in the cache."""
    from shopbridge import migrate
    from shopbridge.app import create_app
    from shopbridge.db import engine, session_scope
    from shopbridge.links import service
    from shopbridge.testing import make_product

    app = create_app({"DATA_DIR": str(data_dir)})
    migrate.upgrade(engine(app))
    with session_scope(app) as session:
        product = make_product(session, title="Bench shirt", slug="bench-shirt")
        link = service.create_link(session, product=product, destination="product", channel="poster",
                                   campaign="bench", placement="station")
        code, version = link.code, link.version
    client = app.test_client()
    qr_path = f"/b/{code}/qr.png?size=512&v={version}"
    png = client.get(qr_path).data
    static_dir = data_dir / "static"
    static_dir.mkdir()
    (static_dir / "qr.png").write_bytes(png)  # the very same bytes, as a plain file
    engine(app).dispose()
    return {"code": code, "qr_path": qr_path, "static_dir": static_dir}


def _count_hits(data_dir: Path) -> int:
    """Hits in the database once every spooled hit has been moved there (the servers rotate their spool files
    within a second of the load stopping)."""
    import sqlite3

    from shopbridge.app import create_app
    from shopbridge.links import spool

    spool.wait_until_flushed(create_app({"DATA_DIR": str(data_dir)}), timeout=30)
    with sqlite3.connect(data_dir / "shopbridge.db") as conn:
        return conn.execute("SELECT count(*) FROM link_hit").fetchone()[0]


def run(results: dict) -> bool:
    with Servers() as servers:
        data_dir = servers.work / "data"
        setup = _prepare(data_dir)
        env = {"SHOPBRIDGE_DATA_DIR": str(data_dir), "SHOPBRIDGE_RATELIMIT_ENABLED": "false",
               "BENCH_STATIC_DIR": str(setup["static_dir"])}
        shop = servers.start("shopbridge.app:create_app()", env, "shop")
        bare = servers.start("bench._bare:app", env, "bare")
        for url in (f"{shop}/q/{setup['code']}", f"{shop}{setup['qr_path']}", f"{bare}/q/x", f"{bare}/static/qr.png"):
            for _ in range(3):
                warm_up(url)
        before = _count_hits(data_dir)
        # Alternate baseline and subject in short rounds, so a noisy neighbour on the machine hurts both alike;
        # the ratio reported is the median of the per-round ratios.
        urls = {"bare_redirect": f"{bare}/q/{setup['code']}", "tracked_redirect": f"{shop}/q/{setup['code']}",
                "static_file": f"{bare}/static/qr.png", "cached_qr": f"{shop}{setup['qr_path']}"}
        rounds = [{name: load(url) for name, url in urls.items()} for _ in range(ROUNDS)]
        recorded = _count_hits(data_dir) - before

    figures = {name: combine([r[name] for r in rounds]) for name in rounds[0]}
    per_round = {
        "redirect": [r["tracked_redirect"]["rps"] / r["bare_redirect"]["rps"] for r in rounds],
        "qr": [r["cached_qr"]["rps"] / r["static_file"]["rps"] for r in rounds],
    }
    ratios = {name: statistics.median(values) for name, values in per_round.items()}
    answered = figures["tracked_redirect"]["requests"]
    results["links"] = {
        "workers": WORKERS, "connections": CONNECTIONS, "duration_s": DURATION,
        "rounds": ROUNDS, "figures": figures, "ratios": {k: round(v, 3) for k, v in ratios.items()},
        "ratios_per_round": {k: [round(x, 3) for x in v] for k, v in per_round.items()}, "targets": TARGETS,
        "load_average_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
        "hits_recorded": recorded, "tracked_requests_answered": answered,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    for name, figure in figures.items():
        print(f"  {name:17} {figure['rps']:9.0f} req/s  p99 {figure['p99']}  "
              f"errors {figure['non_2xx_3xx'] + figure['socket_errors']}")
    ok = True
    for name, ratio in ratios.items():
        verdict = "ok" if ratio >= TARGETS[name] else "BELOW TARGET"
        ok = ok and ratio >= TARGETS[name]
        print(f"  ratio {name:9} {ratio:5.2f}x  (target ≥ {TARGETS[name]}x, median of "
              f"{', '.join(f'{x:.2f}' for x in per_round[name])})  {verdict}")
    durable = recorded >= answered
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (figures are only comparable on a quiet machine)")
    print(f"  hits recorded {recorded} for {answered} tracked requests answered: "
          f"{'every one durable' if durable else 'MISSING HITS'}")
    return ok and durable
