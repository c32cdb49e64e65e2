"""Cursor-on-Target output for TAK clients (ATAK, WinTAK, iTAK, TAK Server).

Off unless ``settings.cot_url`` is set: ``udp://host:port`` (one datagram per event) or
``tcp://host:port`` (a stream of ``<event>`` documents; reconnects with backoff). Each live alert
change becomes one CoT event whose ``uid`` is stable per alert, so TAK moves the marker as the
alert is updated; a resolved alert is sent once more with ``stale`` = now, which removes it.
Messages wait in a bounded queue; when TAK is unreachable the oldest are dropped, never the push.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import urlsplit

from api.domain import Alert, AlertStatus, ChangeKind
from api.metrics import Metrics
from shorewatch.types import BOAT_LENGTH_DETAIL, ERROR_ELLIPSE_DETAILS, EventKind

logger = logging.getLogger(__name__)

COT_TYPES = {
    EventKind.LAUNCH: "a-u-S-X",  # unknown surface vessel
    EventKind.BOAT_AT_SEA: "a-u-S-X",
    EventKind.GATHERING: "a-u-G",  # unknown ground
    EventKind.PERSON_IN_WATER: "b-r-f-h-c",  # casualty
}


class CotConfigError(ValueError):
    """``cot_url`` is not ``udp://host:port`` or ``tcp://host:port``."""


def parse_cot_url(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("udp", "tcp") or not parts.hostname or not parts.port:
        raise CotConfigError(f"cot_url must look like udp://host:port or tcp://host:port, got {url!r}")
    return parts.scheme, parts.hostname, parts.port


def _iso(t_s: float) -> str:
    return datetime.fromtimestamp(t_s, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def alert_to_cot(alert: Alert, *, now_s: float | None = None, stale_after_s: float = 600.0) -> bytes:
    now = time.time() if now_s is None else now_s
    stale = now if alert.status is AlertStatus.RESOLVED else now + stale_after_s
    ev = ET.Element(
        "event",
        version="2.0",
        uid=f"shorewatch.alert.{alert.id}",
        type=COT_TYPES.get(alert.kind, "a-u-G"),
        how="m-g",
        time=_iso(now),
        start=_iso(alert.detected_at_s),
        stale=_iso(stale),
    )
    ET.SubElement(
        ev,
        "point",
        lat=f"{alert.lat_deg:.7f}",
        lon=f"{alert.lon_deg:.7f}",
        hae="0",
        ce=f"{alert.position_error_m:.1f}",
        le="9999999.0",
    )
    detail = ET.SubElement(ev, "detail")
    ET.SubElement(detail, "contact", callsign=f"{alert.kind.value} #{alert.id}")
    remarks = ET.SubElement(detail, "remarks")
    remarks.text = (
        f"{alert.kind.value} ({alert.severity.value}), {alert.people_count} people, status {alert.status.value}"
        f"{', ESCALATED' if alert.escalated else ''}; source {alert.source}; confidence {alert.confidence:.2f}"
    )
    d = dict(alert.details)
    ellipse: dict[str, str] = {k: d[k] for k in ERROR_ELLIPSE_DETAILS if k in d}
    if len(ellipse) == 3:  # ce is a circle: say how much longer the error is along the line of sight
        remarks.text += (
            f"; position +- {ellipse['error_along_m']} m along the drone's line of sight "
            f"({ellipse['line_of_sight_deg']} deg), +- {ellipse['error_across_m']} m across"
        )
    if BOAT_LENGTH_DETAIL in d:
        remarks.text += f"; boat about {d[BOAT_LENGTH_DETAIL]} m long (estimated from the picture)"
    if alert.heading_deg is not None and alert.speed_mps is not None:
        ET.SubElement(detail, "track", course=f"{alert.heading_deg:.1f}", speed=f"{alert.speed_mps:.2f}")
    own = {
        "alert_id": str(alert.id),
        "seq": str(alert.seq),
        "status": alert.status.value,
        "people_count": str(alert.people_count),
        "severity": alert.severity.value,
    }
    ET.SubElement(detail, "shorewatch", own | (ellipse if len(ellipse) == 3 else {}))
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + ET.tostring(ev)


class _Udp(asyncio.DatagramProtocol):
    pass


class CotSender:
    """A ``Notifier`` that sends CoT XML to one TAK endpoint from a background task."""

    def __init__(self, url: str, metrics: Metrics, *, queue_size: int = 1000) -> None:
        self.scheme, self.host, self.port = parse_cot_url(url)
        self.metrics = metrics
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(queue_size)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def notify(self, alert: Alert, change: ChangeKind, message_json: str) -> None:
        data = alert_to_cot(alert)
        if self._queue.full():
            self._queue.get_nowait()
            self.metrics.cot_sent.labels("dropped").inc()
        self._queue.put_nowait(data)

    async def _run(self) -> None:
        if self.scheme == "udp":
            await self._run_udp()
        else:
            await self._run_tcp()

    async def _run_udp(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(_Udp, remote_addr=(self.host, self.port))
        try:
            while True:
                data = await self._queue.get()
                transport.sendto(data)
                self.metrics.cot_sent.labels("sent").inc()
        finally:
            transport.close()

    async def _run_tcp(self) -> None:
        backoff = 0.5
        pending: bytes | None = None
        while True:
            try:
                _, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), 5.0)
            except (OSError, TimeoutError) as exc:
                logger.warning(
                    "CoT: cannot reach tcp://%s:%d (%s); retrying in %.1f s",
                    self.host,
                    self.port,
                    exc,
                    backoff,
                )
                await asyncio.sleep(backoff)
                backoff = min(30.0, backoff * 2)
                continue
            backoff = 0.5
            try:
                while True:
                    data = pending if pending is not None else await self._queue.get()
                    pending = data
                    writer.write(data)
                    await writer.drain()
                    pending = None
                    self.metrics.cot_sent.labels("sent").inc()
            except OSError as exc:
                logger.warning("CoT: connection to tcp://%s:%d lost (%s)", self.host, self.port, exc)
            finally:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
