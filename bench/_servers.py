"""What the HTTP benchmarks share: gunicorn servers started and always stopped, and a load generator.

Every HTTP benchmark runs its subject and its baseline on gunicorn with the same worker count and worker class,
loads them with Debian's ``wrk`` (a small Python load generator stands in when it is missing) in alternating
rounds, and reports the median of the per-round ratios, so a neighbour stealing CPU hurts both sides alike.
Knobs: ``BENCH_DURATION``, ``BENCH_ROUNDS``, ``BENCH_CONNECTIONS``, ``BENCH_WORKERS``.
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn(app: str, env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
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


def combine(runs: list[dict]) -> dict:
    total = sum(r["requests"] for r in runs)
    return {"rps": round(statistics.fmean(r["rps"] for r in runs), 1), "requests": total,
            "non_2xx_3xx": sum(r["non_2xx_3xx"] for r in runs), "socket_errors": sum(r["socket_errors"] for r in runs),
            "p99": [r["p99"] for r in runs], "tool": runs[0]["tool"]}


def load(url: str) -> dict:
    return _wrk(url) if shutil.which("wrk") else _python_load(url)


def warm_up(url: str, seconds: int = 2) -> None:
    """Load ``url`` briefly so every worker has made its first connections, compiled templates, lazy imports."""
    if shutil.which("wrk"):
        subprocess.run(["wrk", "-t", "1", "-c", str(WORKERS * 2), "-d", f"{seconds}s", url], capture_output=True)


class Servers:
    """The gunicorn servers of one benchmark and its scratch directory, always stopped and removed afterwards.

    ``with Servers() as servers: url = servers.start("bench._bare:app", env, "bare")``
    """

    def __init__(self) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="shopbridge-bench-"))
        self.processes: list[subprocess.Popen] = []

    def start(self, app: str, env: dict[str, str], name: str) -> str:
        port = free_port()
        self.processes.append(gunicorn(app, env, port, self.work / f"{name}.log"))
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        """Stop gracefully (SIGTERM: workers finish their requests and run their exit handlers), then kill."""
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def __enter__(self) -> Servers:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        shutil.rmtree(self.work, ignore_errors=True)
