"""The HTTP client plugins use to talk to platforms: timeouts, error classification, secret masking, dry run.

Plugins never open their own connections: they call ``channel.http.request(...)`` so that

- in **dry-run** mode (a channel without credentials, or with dry run switched on) the exact request — method,
  URL, headers with secrets masked, body — is recorded in the shop's outbox instead of being sent;
- secrets are masked wherever a request is shown or recorded (URLs too: some platforms take tokens in the query);
- 429 becomes :class:`RateLimited` (honouring ``Retry-After``), 5xx and timeouts become transient
  :class:`PlatformError` s, which the job layer retries with exponential backoff. Other 4xx responses are returned
  for the plugin to interpret, because only it knows the platform's error format.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from shopbridge.channels.errors import PlatformError, RateLimited

MASK = "***"
DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)


@dataclass(frozen=True)
class RecordedRequest:
    """An outgoing request as the outbox shows it (secrets masked)."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any  # parsed JSON, a form dict, or text


def mask(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def _mask_any(value: Any, secrets: Iterable[str]) -> Any:
    secrets = list(secrets)
    if isinstance(value, str):
        return mask(value, secrets)
    if isinstance(value, dict):
        return {k: _mask_any(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_any(v, secrets) for v in value]
    return value


SENSITIVE_HEADERS = {"authorization", "proxy-authorization", "x-api-key", "cookie"}


def retry_after_seconds(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        from datetime import UTC, datetime

        return max(0.0, (parsedate_to_datetime(raw) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


_shared_lock = threading.Lock()
_shared: dict[int, httpx.Client] = {}


def shared_client() -> httpx.Client:
    """This process's connection pool for platform APIs.

    One per process (never inherited across a fork), shared by every channel and thread (``httpx.Client`` is
    thread-safe): a client costs tens of milliseconds to make (its TLS context loads the CA bundle), and a
    catalogue sync or a burst of replies to the same API reuses warm TLS connections instead of opening one per
    request.
    """
    pid = os.getpid()
    client = _shared.get(pid)
    if client is None:
        with _shared_lock:
            client = _shared.get(pid)
            if client is None:
                client = _shared[pid] = httpx.Client(timeout=DEFAULT_TIMEOUT)
    return client


@dataclass
class PlatformHTTP:
    """An HTTP client bound to one channel.

    :param secrets: the channel's secret values, masked in everything recorded.
    :param dry_run: record instead of sending.
    :param recorder: called with each :class:`RecordedRequest` (dry run: instead of sending; always in tests).
    :param transport: an ``httpx`` transport, for tests.
    """

    secrets: tuple[str, ...] = ()
    dry_run: bool = False
    recorder: Callable[[RecordedRequest], None] | None = None
    transport: httpx.BaseTransport | None = None
    timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
    user_agent: str = "shopbridge"
    sent: list[RecordedRequest] = field(default_factory=list)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        data: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        dry_run_response: Any = None,
        dry_run_status: int = 200,
    ) -> httpx.Response:
        """Send (or, in dry run, record) one request and return the platform's response.

        ``dry_run_response`` is the JSON body returned in dry-run mode: pass what the platform would answer
        (e.g. ``{"id": "dry-run"}``) so the plugin's normal code path runs unchanged.
        """
        headers = {"User-Agent": self.user_agent, **(headers or {})}
        full_url = url + (("&" if "?" in url else "?") + urlencode(params, doseq=True) if params else "")
        body: Any = json_body if json_body is not None else (data if data is not None else None)
        if files:
            body = {"fields": data or {}, "files": sorted(files)}
        record = RecordedRequest(
            method=method.upper(),
            url=mask(full_url, self.secrets),
            headers={k: (MASK if k.lower() in SENSITIVE_HEADERS else mask(v, self.secrets)) for k, v in headers.items()},
            body=_mask_any(body, self.secrets),
        )
        self.sent.append(record)
        if self.recorder is not None:
            self.recorder(record)
        if self.dry_run:
            return httpx.Response(
                dry_run_status,
                content=json.dumps(dry_run_response if dry_run_response is not None else {}).encode(),
                headers={"Content-Type": "application/json", "X-Shopbridge-Dry-Run": "1"},
                request=httpx.Request(method.upper(), full_url),
            )
        try:
            if self.transport is not None:  # tests hand in a transport of their own
                with httpx.Client(transport=self.transport, timeout=self.timeout) as client:
                    response = client.request(method.upper(), url, params=params, json=json_body, data=data,
                                              files=files, headers=headers)
            else:
                response = shared_client().request(method.upper(), url, params=params, json=json_body, data=data,
                                                   files=files, headers=headers, timeout=self.timeout)
        except httpx.TimeoutException:
            raise PlatformError("The platform did not answer in time.", transient=True) from None
        except httpx.HTTPError as exc:
            raise PlatformError(f"Could not reach the platform ({type(exc).__name__}).", transient=True) from None
        if response.status_code == 429:
            raise RateLimited(retry_after=retry_after_seconds(response))
        if response.status_code >= 500:
            raise PlatformError(f"The platform had an internal error (HTTP {response.status_code}); "
                                "we will try again.", status=response.status_code, transient=True,
                                retry_after=retry_after_seconds(response))
        return response
