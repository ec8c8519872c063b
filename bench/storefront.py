"""The storefront product page vs a bare page rendering the same template without the database.

Subject: ``GET /p/<slug>`` of the full shopbridge app, for the demo catalogue's organic T-shirt (12 variants by
size and colour, 3 images, a category, a scan-to-buy QR link), on a migrated SQLite database in a temp dir.
Baseline: ``bench._bare_storefront``, an app made by the same ``create_app`` whose route renders
``storefront/product.html`` from the same product held in memory (detached objects), doing the same per-request
view work (variant picker, page metadata) but no query. Both run on gunicorn with the same worker count and are
loaded by ``wrk``, alternating in rounds; the ratio is the median of the per-round ratios. Target ≥ 0.5×.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.links import CONNECTIONS, DURATION, ROUNDS, WORKERS, _combine, _free_port, _gunicorn, load

TARGET = 0.5
SLUG = "organic-cotton-t-shirt"


def _prepare(data_dir: Path) -> int:
    """The demo catalogue in a migrated database; returns how many statements one page view runs."""
    from sqlalchemy import event

    from shopbridge import migrate
    from shopbridge.app import create_app
    from shopbridge.db import engine, session_scope
    from shopbridge.demo.catalogue import load_catalogue

    app = create_app({"DATA_DIR": str(data_dir), "RATELIMIT_ENABLED": False})
    migrate.upgrade(engine(app))
    with session_scope(app) as session:
        load_catalogue(app, session)
    client = app.test_client()
    assert client.get(f"/p/{SLUG}").status_code == 200  # the first view also makes the scan-to-buy link
    client.get(f"/p/{SLUG}")  # … and the second remembers what every page reads (shopbridge.recent)
    statements: list[str] = []
    event.listen(engine(app), "before_cursor_execute", lambda *a: statements.append(a[2]))
    client.get(f"/p/{SLUG}")
    engine(app).dispose()
    return len(statements)


_CPU_PROBE = """
import os, sys, time
kind, slug = sys.argv[1], sys.argv[2]
if kind == "bare":
    from bench._bare_storefront import app
    url = f"/bare/p/{slug}"
else:
    from shopbridge.app import create_app
    app, url = create_app(), f"/p/{slug}"
client = app.test_client()
assert client.get(url).status_code == 200
best = float("inf")
for _ in range(5):
    started = time.process_time()
    for _ in range(100):
        client.get(url)
    best = min(best, (time.process_time() - started) / 100)
print(best * 1000)
"""


def _cpu_ms(kind: str, env: dict[str, str]) -> float:
    """CPU per page in a process of its own (test client, best of 5 × 100): a figure wrk's noise cannot move."""
    out = subprocess.run([sys.executable, "-c", _CPU_PROBE, kind, SLUG], env={**os.environ, **env}, check=True,
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent).stdout
    return float(out.strip().splitlines()[-1])


def run(results: dict) -> bool:
    work = Path(tempfile.mkdtemp(prefix="shopbridge-bench-"))
    processes: list[subprocess.Popen] = []
    try:
        data_dir = work / "data"
        queries = _prepare(data_dir)
        env = {"SHOPBRIDGE_DATA_DIR": str(data_dir), "SHOPBRIDGE_RATELIMIT_ENABLED": "false",
               "BENCH_PRODUCT_SLUG": SLUG}
        shop_port, bare_port = _free_port(), _free_port()
        processes.append(_gunicorn("shopbridge.app:create_app()", env, shop_port, work / "shop.log"))
        processes.append(_gunicorn("bench._bare_storefront:app", env, bare_port, work / "bare.log"))
        urls = {"bare_page": f"http://127.0.0.1:{bare_port}/bare/p/{SLUG}",
                "product_page": f"http://127.0.0.1:{shop_port}/p/{SLUG}"}
        for url in urls.values():  # warm-up: connections, compiled templates, lazy imports in every worker
            if shutil.which("wrk"):
                subprocess.run(["wrk", "-t", "1", "-c", str(WORKERS * 2), "-d", "2s", url], capture_output=True)
        rounds = [{name: load(url) for name, url in urls.items()} for _ in range(ROUNDS)]
        for process in processes:
            process.terminate()
        cpu = {"bare_page": _cpu_ms("bare", env), "product_page": _cpu_ms("shop", env)}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)

    figures = {name: _combine([r[name] for r in rounds]) for name in rounds[0]}
    per_round = [r["product_page"]["rps"] / r["bare_page"]["rps"] for r in rounds]
    ratio = statistics.median(per_round)
    errors = sum(f["non_2xx_3xx"] + f["socket_errors"] for f in figures.values())
    results["storefront"] = {
        "workers": WORKERS, "connections": CONNECTIONS, "duration_s": DURATION, "rounds": ROUNDS,
        "product": SLUG, "queries_per_page": queries, "figures": figures, "ratio": round(ratio, 3),
        "ratio_per_round": [round(x, 3) for x in per_round],
        "cpu_ms_per_page": {k: round(v, 2) for k, v in cpu.items()},
        "cpu_ratio": round(cpu["bare_page"] / cpu["product_page"], 3), "target": TARGET, "errors": errors,
        "load_average_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    for name, figure in figures.items():
        print(f"  {name:13} {figure['rps']:8.0f} req/s  p99 {figure['p99']}  "
              f"errors {figure['non_2xx_3xx'] + figure['socket_errors']}")
    ok = ratio >= TARGET and errors == 0
    print(f"  ratio {ratio:.2f}x  (target ≥ {TARGET}x, median of {', '.join(f'{x:.2f}' for x in per_round)})  "
          f"{'ok' if ratio >= TARGET else 'BELOW TARGET'}")
    print(f"  CPU per page in-process: bare {cpu['bare_page']:.2f} ms, product page {cpu['product_page']:.2f} ms "
          f"-> {cpu['bare_page'] / cpu['product_page']:.2f}x (not disturbed by the load generator or neighbours)")
    print(f"  {queries} SQL statements per product page; errors {errors}")
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return ok
