"""Checkout creation latency: "Buy now" through a live server with Stripe (the fake, over HTTP) vs the sandbox.

Two gunicorn servers of the full shop (same worker count), each on its own migrated SQLite database with one
product in ample stock: one with ``PAYMENT_PROVIDER=stripe`` pointed at :class:`~shopbridge.testing_stripe.FakeStripe`
(a real HTTP server that checks every Checkout Session request against the Stripe SDK's own parameter types),
the baseline with the built-in sandbox provider, which makes no HTTP call. A shopper's client fetches the product
page once for its CSRF token and cookie, then posts ``N`` buy-now forms (each with a new form nonce, so each
makes a new order), alternating between the two servers request by request so machine noise hits both alike.
Latency is measured per POST, up to the 303 to the payment page (not following it). Every Stripe order must
have created one Checkout Session on the fake.
"""

from __future__ import annotations

import os
import re
import secrets
import statistics
import time
from pathlib import Path

from bench._servers import WORKERS, Servers

REQUESTS = int(os.environ.get("BENCH_CHECKOUTS", "300"))
SLUG = "bench-shirt"


def _prepare(data_dir: Path) -> None:
    from shopbridge import migrate
    from shopbridge.app import create_app
    from shopbridge.db import engine, session_scope
    from shopbridge.testing import make_product

    app = create_app({"DATA_DIR": str(data_dir)})
    migrate.upgrade(engine(app))
    with session_scope(app) as session:
        make_product(session, title="Bench shirt", slug=SLUG, variants=[
            {"sku": "BENCH-M", "price_minor": 4900, "currency": "EUR", "stock": 1_000_000, "options": {"size": "M"}},
            {"sku": "BENCH-L", "price_minor": 4900, "currency": "EUR", "stock": 1_000_000, "options": {"size": "L"}}])
    engine(app).dispose()


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


class Shopper:
    """One browser: the product page's cookie and CSRF token, then buy-now posts with fresh form nonces."""

    def __init__(self, base: str):
        import httpx

        self.base = base
        self.client = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
        page = self.client.get(f"/p/{SLUG}").text
        self.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        self.variant = re.search(r'name="variant_id" value="(\d+)"', page).group(1)
        self.action = re.search(r'class="buy-form[^"]*" action="([^"]+)"', page).group(1)

    def buy(self) -> tuple[float, str]:
        form = {"csrf_token": self.csrf, "nonce": secrets.token_urlsafe(12), "variant_id": self.variant,
                "quantity": "1"}
        started = time.perf_counter()
        response = self.client.post(self.action, data=form, headers={"Referer": f"{self.base}/p/{SLUG}"})
        elapsed = time.perf_counter() - started
        if response.status_code != 303:
            raise RuntimeError(f"buy now answered {response.status_code}: {response.text[:500]}")
        return elapsed, response.headers["location"]


def run(results: dict) -> bool:
    from shopbridge.testing_stripe import FakeStripe

    fake = FakeStripe().start()
    try:
        with Servers() as servers:
            urls = {}
            for name in ("sandbox", "stripe"):
                data_dir = servers.work / name
                _prepare(data_dir)
                env = {"SHOPBRIDGE_DATA_DIR": str(data_dir), "SHOPBRIDGE_RATELIMIT_ENABLED": "false",
                       "SHOPBRIDGE_PAYMENT_PROVIDER": name}
                if name == "stripe":
                    env |= {"STRIPE_SECRET_KEY": fake.api_key, "STRIPE_WEBHOOK_SECRET": fake.webhook_secret,
                            "STRIPE_API_BASE": fake.url}
                urls[name] = servers.start("shopbridge.app:create_app()", env, name)
            shoppers = {name: Shopper(url) for name, url in urls.items()}
            for shopper in shoppers.values():  # warm-up: every worker's first order, SDK imports, connections
                for _ in range(WORKERS * 3):
                    shopper.buy()
            sessions_before = len(fake.sessions)
            latencies: dict[str, list[float]] = {name: [] for name in shoppers}
            places = {}
            for _ in range(REQUESTS):
                for name, shopper in shoppers.items():
                    elapsed, places[name] = shopper.buy()
                    latencies[name].append(elapsed)
            sessions_made = len(fake.sessions) - sessions_before
    finally:
        fake.stop()

    figures = {name: {"p50_ms": round(statistics.median(v) * 1000, 1), "p95_ms": round(_percentile(v, 95) * 1000, 1),
                      "mean_ms": round(statistics.fmean(v) * 1000, 1), "requests": len(v)}
               for name, v in latencies.items()}
    ratio = figures["stripe"]["p50_ms"] / figures["sandbox"]["p50_ms"]
    every_session = sessions_made == REQUESTS
    results["checkout"] = {
        "workers": WORKERS, "requests_each": REQUESTS, "figures": figures, "ratio_p50_stripe_to_sandbox": round(ratio, 2),
        "stripe_sessions_created": sessions_made, "stripe_redirect_host": places["stripe"].split("/")[2],
        "load_average_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    for name, figure in figures.items():
        print(f"  {name:8} p50 {figure['p50_ms']:6.1f} ms  p95 {figure['p95_ms']:6.1f} ms  mean {figure['mean_ms']:6.1f} ms"
              f"  ({figure['requests']} buy-now posts)")
    print(f"  Stripe (fake, over HTTP) / sandbox at p50: {ratio:.2f}x")
    print(f"  Checkout Sessions created on the fake: {sessions_made} for {REQUESTS} Stripe orders: "
          f"{'ok' if every_session else 'MISMATCH'}; Stripe orders redirect to {places['stripe'].split('?')[0]}")
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return every_session
