"""Webhooks: each live alert change is POSTed to every patrol unit's registered URL (a webhook
registered with ``kinds`` gets only alerts of those kinds: a rescue centre's safety-of-life lane).

Each request carries the push message as its JSON body and these headers::

    X-Shorewatch-Timestamp: <epoch seconds>
    X-Shorewatch-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
    X-Shorewatch-Seq: <seq>
    X-Shorewatch-Attempt: <1, 2, ...>

Content revisions of an alert (``change == "updated"``) are sent at most once per
``update_interval_s`` (10 s) per alert, the latest revision at the end of the interval; every
other change (created, acknowledged, assigned, resolved, escalated) is sent at once.

A delivery is retried with exponential backoff (``backoff_s * 2**(attempt-1)``, capped) on a
connection error, a timeout, 408, 429 or 5xx, up to ``max_attempts``; any other 4xx is final (the
receiver refuses it). Every attempt is stored as a receipt and shown on the alert. Pending
retries are not resumed after a restart.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Coroutine
from typing import Any

import httpx

from api.domain import Alert, ChangeKind, Delivery, Webhook
from api.metrics import Metrics
from api.store import Store

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    tolerance_s: float = 300.0,
    now_s: float | None = None,
) -> bool:
    """What a receiver does: constant-time compare, and refuse stale timestamps (replays)."""
    try:
        ts = float(timestamp)
    except ValueError:
        return False
    now = time.time() if now_s is None else now_s
    if abs(now - ts) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookDispatcher:
    """A ``Notifier`` (see ``api.alerts``) that delivers to webhooks in background tasks."""

    def __init__(
        self,
        store: Store,
        metrics: Metrics,
        *,
        max_attempts: int = 5,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        timeout_s: float = 5.0,
        max_concurrency: int = 32,
        update_interval_s: float = 10.0,
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.timeout_s = timeout_s
        self._sem = asyncio.Semaphore(max_concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None
        self.update_interval_s = update_interval_s
        self._last_sent: dict[int, float] = {}  # alert id -> monotonic time of its last webhook
        self._pending: dict[int, tuple[Alert, bytes]] = {}  # held-back latest revision per alert

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self.timeout_s, trust_env=False, follow_redirects=False)

    async def stop(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def notify(self, alert: Alert, change: ChangeKind, message_json: str) -> None:
        """Send every lifecycle change at once; content revisions (``updated``, which a tracker
        may emit every frame) at most once per ``update_interval_s`` per alert, the latest one
        being sent at the end of the interval."""
        if self._client is None:
            return
        body = message_json.encode()
        now = time.monotonic()
        if change is ChangeKind.UPDATED:
            last = self._last_sent.get(alert.id)
            if last is not None and now - last < self.update_interval_s:
                if alert.id not in self._pending:
                    self._spawn(self._flush_later(alert.id, last + self.update_interval_s - now))
                self._pending[alert.id] = (alert, body)
                return
        self._pending.pop(alert.id, None)  # superseded by this newer message
        self._send_now(alert, body, now)

    def _send_now(self, alert: Alert, body: bytes, now: float) -> None:
        self._last_sent[alert.id] = now
        if len(self._last_sent) > 10_000:  # forget the oldest alerts
            self._last_sent.pop(next(iter(self._last_sent)))
        self._spawn(self._fan_out(alert, body))

    async def _flush_later(self, alert_id: int, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        held = self._pending.pop(alert_id, None)
        if held is not None:
            self._send_now(held[0], held[1], time.monotonic())

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fan_out(self, alert: Alert, body: bytes) -> None:
        for hook in await self.store.list_webhooks():
            if hook.wants(alert):
                self._spawn(self.deliver(hook, alert, body))

    async def deliver(self, hook: Webhook, alert: Alert, body: bytes) -> bool:
        """Deliver ``body`` to ``hook``, retrying; returns whether it was accepted."""
        assert self._client is not None
        for attempt in range(1, self.max_attempts + 1):
            status: int | None = None
            error: str | None = None
            ts = str(int(time.time()))
            async with self._sem:
                try:
                    resp = await self._client.post(
                        hook.url,
                        content=body,
                        headers={
                            "content-type": "application/json",
                            "x-shorewatch-timestamp": ts,
                            "x-shorewatch-signature": sign(hook.secret, ts, body),
                            "x-shorewatch-seq": str(alert.seq),
                            "x-shorewatch-attempt": str(attempt),
                            "user-agent": "shorewatch-webhook/1",
                        },
                    )
                    status = resp.status_code
                    if not 200 <= status < 300:
                        error = f"HTTP {status}"
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__
            ok = error is None
            self.metrics.webhook_attempts.labels("ok" if ok else "failed").inc()
            try:
                await self.store.add_delivery(
                    Delivery(
                        alert.id, alert.seq, hook.unit, hook.url, attempt, ok, status, error, time.time()
                    )
                )
            except Exception:
                logger.exception("could not store the delivery receipt for alert %d", alert.id)
            if ok:
                return True
            final = status is not None and status not in RETRY_STATUSES
            if final or attempt == self.max_attempts:
                logger.warning(
                    "webhook %s (%s) gave up on alert %d seq %d after %d attempt(s): %s",
                    hook.unit,
                    hook.url,
                    alert.id,
                    alert.seq,
                    attempt,
                    error,
                )
                return False
            await asyncio.sleep(min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1)))
        return False
