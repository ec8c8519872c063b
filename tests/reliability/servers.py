"""Real servers for the reliability tests: gunicorn with several workers, a throwaway PostgreSQL cluster,
and shoppers that fetch a product page (CSRF token and nonce) before pressing Buy."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from glob import glob
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "test-secret-key"
ENCRYPTION_KEYS = ["test-encryption-key"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shop_environment(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a production-like shop process sharing the test app's database and keys."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPBRIDGE_") and k != "DATABASE_URL"}
    env.update({
        "DATABASE_URL": database_url,
        "SHOPBRIDGE_DATA_DIR": str(data_dir),
        "SHOPBRIDGE_SECRET_KEY": SECRET_KEY,
        "SHOPBRIDGE_ENCRYPTION_KEYS": json.dumps(ENCRYPTION_KEYS),
        "SHOPBRIDGE_PAYMENT_PROVIDER": "sandbox",
        "SHOPBRIDGE_RATELIMIT_ENABLED": "false",
        **extra,
    })
    return env


class Gunicorn:
    """``gunicorn -w N 'shopbridge.wsgi:app'`` on a free loopback port, stopped (and reaped) on exit."""

    def __init__(self, env: dict[str, str], workers: int, log: Path, timeout: int = 30):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
                        "--timeout", str(timeout), "--graceful-timeout", "5", "shopbridge.wsgi:app"]
        self.env = env
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        self.process = subprocess.Popen(self.command, env=self.env, cwd=ROOT, stdout=self.log.open("ab"),
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise AssertionError(f"gunicorn did not come up: {self.log.read_text()[-3000:]}")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


def shopper(base_url: str, slug: str, timeout: float = 20) -> tuple[httpx.Client, dict[str, str]]:
    """A shopper with their own session who opened the product page: the Buy form's fields, ready to post."""
    client = httpx.Client(base_url=base_url, timeout=timeout)
    html = client.get(f"/p/{slug}").text
    data = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),
            "nonce": re.search(r'name="nonce" value="([^"]+)"', html).group(1),
            "variant_id": re.search(r'name="variant_id" value="(\d+)"', html).group(1), "quantity": "1"}
    return client, data


# --- a throwaway PostgreSQL cluster -----------------------------------------------------------------------------

def _pg_bin() -> Path | None:
    found = sorted(glob("/usr/lib/postgresql/*/bin"), key=lambda p: [int(x) for x in re.findall(r"\d+", p)])
    return Path(found[-1]) if found else None


class PostgresCluster:
    """A private PostgreSQL cluster in a temporary directory, so a test may restart it without disturbing the
    shared test database other xdist workers are using. Runs as ``postgres`` when the tests run as root (the
    server refuses root), like ``.ci/services.sh``."""

    def __init__(self) -> None:
        # Not under pytest's tmp_path: that lives in root's private directory, which the postgres user cannot enter.
        self.dir = Path(tempfile.mkdtemp(prefix="shopbridge-pg-"))
        self.port = free_port()
        bin_dir = _pg_bin()
        if bin_dir is None or not (bin_dir / "initdb").exists():
            pytest.skip("PostgreSQL server binaries not installed")
        self.bin = bin_dir
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/shop"

    def _run(self, *args: str, timeout: float = 60) -> None:
        done = subprocess.run([*self.as_pg, *args], timeout=timeout, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}")

    def pg_ctl(self, *args: str, timeout: float = 60) -> None:
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "pg"), "-l", str(self.dir / "pg.log"),
                  "-o", options, *args, timeout=timeout)

    def __enter__(self) -> PostgresCluster:
        if self.as_pg:
            shutil.chown(self.dir, "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.dir / "pg"), "-U", "postgres", "--auth=trust", "-E",
                  "UTF8")
        self.pg_ctl("-w", "start")
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "shop")
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.pg_ctl("-m", "immediate", "stop", timeout=30)
        except RuntimeError:
            pass  # already stopped
        shutil.rmtree(self.dir, ignore_errors=True)
