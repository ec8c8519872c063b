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

import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.5 Mobile/15E148 Safari/604.1")
DURATION = int(os.environ.get("BENCH_DURATION", "5"))  # seconds per load, per round
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(min(4, os.cpu_count() or 1))))
TARGETS = {"redirect": 0.7, "qr": 0.8}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gunicorn(app: str, env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--worker-class", "sync",
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--backlog", "2048", app]
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                               cwd=Path(__file__).resolve().parent.parent)
    # The master listens before its workers have imported the app, so wait for real answers, not a socket.
    deadline = time.time() + 120
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn for {app} exited: {log.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/__bench_ready__")
            conn.getresponse().read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn for {app} did not start")


def _wrk(url: str) -> dict:
    out = subprocess.run(["wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", f"{DURATION}s", "--latency",
                          "-H", f"User-Agent: {IPHONE}", url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    return {"rps": rps, "requests": total, "non_2xx_3xx": int(bad.group(1)) if bad else 0,
            "socket_errors": sum(map(int, errors.groups())) if errors else 0, "p99": p99.group(1) if p99 else None,
            "tool": "wrk"}


def _python_load(url: str) -> dict:
    """A plain keep-alive load generator for machines without wrk (slower, so absolute numbers are lower)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    stop = time.time() + DURATION
    counts = [0] * CONNECTIONS
    bad = [0] * CONNECTIONS

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        while time.time() < stop:
            try:
                conn.request("GET", path, headers={"User-Agent": IPHONE})
                response = conn.getresponse()
                response.read()
                counts[i] += 1
                bad[i] += response.status >= 400
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONNECTIONS)]
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"rps": sum(counts) / (time.time() - started), "requests": sum(counts), "non_2xx_3xx": sum(bad),
            "socket_errors": 0, "p99": None, "tool": "python"}


def _combine(runs: list[dict]) -> dict:
    total = sum(r["requests"] for r in runs)
    return {"rps": round(statistics.fmean(r["rps"] for r in runs), 1), "requests": total,
            "non_2xx_3xx": sum(r["non_2xx_3xx"] for r in runs), "socket_errors": sum(r["socket_errors"] for r in runs),
            "p99": [r["p99"] for r in runs], "tool": runs[0]["tool"]}


def load(url: str) -> dict:
    return _wrk(url) if shutil.which("wrk") else _python_load(url)


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
    work = Path(tempfile.mkdtemp(prefix="shopbridge-bench-"))
    processes: list[subprocess.Popen] = []
    try:
        data_dir = work / "data"
        setup = _prepare(data_dir)
        env = {"SHOPBRIDGE_DATA_DIR": str(data_dir), "SHOPBRIDGE_RATELIMIT_ENABLED": "false",
               "BENCH_STATIC_DIR": str(setup["static_dir"])}
        shop_port, bare_port = _free_port(), _free_port()
        processes.append(_gunicorn("shopbridge.app:create_app()", env, shop_port, work / "shop.log"))
        processes.append(_gunicorn("bench._bare:app", env, bare_port, work / "bare.log"))
        shop, bare = f"http://127.0.0.1:{shop_port}", f"http://127.0.0.1:{bare_port}"
        # Warm-up until every worker answers quickly: first database connections, caches, lazy imports.
        for url in (f"{shop}/q/{setup['code']}", f"{shop}{setup['qr_path']}", f"{bare}/q/x", f"{bare}/static/qr.png"):
            for _ in range(3):
                if shutil.which("wrk"):
                    subprocess.run(["wrk", "-t", "1", "-c", str(WORKERS * 2), "-d", "2s", url], capture_output=True)
        before = _count_hits(data_dir)
        # Alternate baseline and subject in short rounds, so a noisy neighbour on the machine hurts both alike;
        # the ratio reported is the median of the per-round ratios.
        urls = {"bare_redirect": f"{bare}/q/{setup['code']}", "tracked_redirect": f"{shop}/q/{setup['code']}",
                "static_file": f"{bare}/static/qr.png", "cached_qr": f"{shop}{setup['qr_path']}"}
        rounds = [{name: load(url) for name, url in urls.items()} for _ in range(ROUNDS)]
        recorded = _count_hits(data_dir) - before
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
