"""Alert service throughput and push latency: alerts/s ingested (in process and over HTTP), and
push latency p50/p99 from ``POST /alerts`` to 1,000 WebSocket clients on loopback.

Writes its section of BENCHMARKS.md (``<!-- bench:api -->``). Bounded: about a minute.

Method:
- ingest: median of 3 rounds of ``AlertService.ingest`` of N distinct events into a ``SqliteStore`` on a temp file
  (WAL), with ``synchronous=FULL`` (the service default: fsync at each commit) and ``NORMAL``;
  reference: bare ``INSERT`` + ``COMMIT`` of a row of the same size with the same pragma, in the
  same run (the ceiling the store could reach).
- HTTP: ``POST /alerts`` from 8 concurrent httpx clients to ``shorewatch serve`` in its own
  process (FULL).
- push: the server process above; C WebSocket clients (one asyncio process, separate from the
  server) connect to ``/ws/alerts``; the bench POSTs K alerts, one every ``interval`` s, each
  carrying its send time; latency = receive time at a client - send time (same clock), over
  every (alert, client) pair. Reference: the same with 1 client, same run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._common import write_section  # noqa: E402

SECTION = "api"


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))]


def make_event(i: int, *, t_send: float | None = None) -> Any:
    from shorewatch.types import Event, EventKind, Severity, TrackPoint

    return Event(
        event_id=f"bench:{i}",
        kind=EventKind.LAUNCH,
        severity=Severity.CRITICAL,
        timestamp_s=1_795_934_400.0 + i,
        lat_deg=50.8862,
        lon_deg=1.6571,
        position_error_m=12.0,
        confidence=0.9,
        source="drone-1",
        people_count=30,
        heading_deg=310.0,
        speed_mps=1.5,
        track=tuple(TrackPoint(1_795_934_390.0 + k, 50.8862, 1.6571) for k in range(10)),
    )


async def bench_ingest(n: int, synchronous: str, rounds: int = 3) -> tuple[float, float]:
    """Median over ``rounds`` of (alerts/s through AlertService.ingest, bare sqlite insert+commit/s),
    the two measured alternately so that disk contention from other work hits both alike."""
    from api.alerts import AlertService
    from api.bus import InProcessBus
    from api.store import SqliteStore

    service_rates, raw_rates = [], []
    body = "x" * 900
    with tempfile.TemporaryDirectory() as d:
        store = SqliteStore(Path(d) / "a.db", synchronous=synchronous)
        svc = AlertService(store, InProcessBus(), escalate_after_s=3600)
        conn = sqlite3.connect(Path(d) / "raw.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, event_id TEXT UNIQUE, body TEXT)")
        for r in range(rounds):
            events = [make_event(r * n + i) for i in range(n)]
            t0 = time.perf_counter()
            for ev in events:
                await svc.ingest(ev)
            service_rates.append(n / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            for i in range(n):
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO t(event_id, body) VALUES (?, ?)", (f"e{r * n + i}", body))
                conn.execute("COMMIT")
            raw_rates.append(n / (time.perf_counter() - t0))
        conn.close()
        await store.close()
    return statistics.median(service_rates), statistics.median(raw_rates)


SERVER = """
import sys, uvicorn
from api.app import ServiceOptions, create_app
from api.settings import Settings
app = create_app(Settings(state_dir=sys.argv[1]), options=ServiceOptions(heartbeat_s=30.0))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", ws_ping_interval=None, ws_per_message_deflate=False, backlog=4096)
"""


async def start_server(state: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    import socket

    import httpx

    from api.auth import create_user
    from api.domain import Role
    from api.store import SqliteStore

    store = SqliteStore(state / "shorewatch.db")
    tokens = {}
    for role in (Role.DETECTOR, Role.PATROL):
        _, tokens[role.value] = await create_user(store, f"bench-{role.value}", role)
    await store.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(state), str(port)], cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(trust_env=False) as c:
        while True:
            try:
                if (await c.get(f"{url}/health", timeout=1)).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server did not start")
            await asyncio.sleep(0.1)
    return proc, url, tokens


def alert_body(i: int, tag: str) -> dict[str, Any]:
    return {
        "event_id": f"{tag}:{i}",
        "kind": "launch",
        "severity": "critical",
        "timestamp_s": time.time(),
        "position": {"lat": 50.8862, "lon": 1.6571},
        "position_error_m": 12.0,
        "confidence": 0.9,
        "source": "bench",
        "people_count": 30,
        "details": {"t_send": repr(time.time())},
    }


async def bench_http(url: str, token: str, n: int, concurrency: int = 8) -> float:
    import httpx

    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, trust_env=False
    ) as c:
        counter = iter(range(n))

        async def worker() -> None:
            for i in counter:
                r = await c.post("/alerts", json=alert_body(i, "http"), timeout=30)
                r.raise_for_status()

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return n / (time.perf_counter() - t0)


async def bench_push(
    url: str, tokens: dict[str, str], clients: int, alerts: int, interval_s: float, tag: str
) -> dict[str, Any]:
    import httpx
    import websockets

    ws_url = url.replace("http://", "ws://") + "/ws/alerts"
    headers = {"Authorization": f"Bearer {tokens['patrol']}"}
    latencies: list[float] = []
    per_alert_last: dict[str, float] = {}
    done = asyncio.Event()
    received = 0
    expected = clients * alerts
    conns: list[Any] = []
    sem = asyncio.Semaphore(50)

    async def connect() -> Any:
        async with sem:
            ws = await websockets.connect(ws_url, additional_headers=headers, max_size=2**22, open_timeout=60)
            json.loads(await ws.recv())  # hello
            return ws

    t0 = time.perf_counter()
    conns = list(await asyncio.gather(*(connect() for _ in range(clients))))
    connect_s = time.perf_counter() - t0

    async def reader(ws: Any) -> None:
        nonlocal received
        while True:
            raw = await ws.recv()
            now = time.time()
            msg = json.loads(raw)
            if msg["type"] != "alert" or not msg["alert"]["event_id"].startswith(tag):
                continue
            t_send = float(msg["alert"]["details"]["t_send"])
            latencies.append(now - t_send)
            eid = msg["alert"]["event_id"]
            per_alert_last[eid] = max(per_alert_last.get(eid, 0.0), now - t_send)
            received += 1
            if received >= expected:
                done.set()

    readers = [asyncio.create_task(reader(ws)) for ws in conns]
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {tokens['detector']}"}, trust_env=False
    ) as c:
        for i in range(alerts):
            r = await c.post("/alerts", json=alert_body(i, tag), timeout=30)
            r.raise_for_status()
            await asyncio.sleep(interval_s)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), 60)
    for t in readers:
        t.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    await asyncio.gather(*(ws.close() for ws in conns), return_exceptions=True)
    return {
        "clients": clients,
        "alerts": alerts,
        "delivered": received,
        "expected": expected,
        "connect_s": connect_s,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": 1000 * pct(latencies, 99) if latencies else float("nan"),
        "max_ms": 1000 * max(latencies) if latencies else float("nan"),
        "all_clients_p50_ms": 1000 * statistics.median(per_alert_last.values())
        if per_alert_last
        else float("nan"),
    }


async def run(args: argparse.Namespace) -> str:
    rows_ingest = []
    for sync in ("FULL", "NORMAL"):
        rate, raw = await bench_ingest(args.ingest, sync)
        rows_ingest.append((sync, rate, raw))
        print(f"ingest synchronous={sync}: {rate:,.0f} alerts/s (bare sqlite {raw:,.0f}/s)", flush=True)
    with tempfile.TemporaryDirectory() as d:
        proc, url, tokens = await start_server(Path(d))
        try:
            http_rate = await bench_http(url, tokens["detector"], args.http)
            print(f"HTTP POST /alerts: {http_rate:,.0f} alerts/s", flush=True)
            one = await bench_push(url, tokens, 1, args.alerts, args.interval, "one")
            print(f"push to 1 client: {one}", flush=True)
            many = await bench_push(url, tokens, args.clients, args.alerts, args.interval, "many")
            print(f"push to {args.clients} clients: {many}", flush=True)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
    ratio = many["p50_ms"] / one["p50_ms"] if one["p50_ms"] else float("nan")
    lines = [
        "## Alert service: ingest and push (`bench/bench_api_push.py`)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs (shared with other work), Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}. One run; latencies over every "
        "(alert, client) pair.",
        "",
        "Method: ingest = median of 3 rounds of `AlertService.ingest` of distinct events into `SqliteStore` on a temp file (WAL), "
        "store then publish, no subscribers; reference = bare `INSERT`+`COMMIT` of a same-size row with the "
        "same pragma, measured alternately with it in the same run. HTTP = `POST /alerts` from 8 concurrent clients to the server in its "
        "own process. Push = the server process (uvicorn as `shorewatch serve` runs it, without per-message deflate); WebSocket clients in a second process (one asyncio loop) "
        f"connected to `/ws/alerts`; {args.alerts} alerts POSTed one every {args.interval} s, each carrying "
        "its send time; latency = client receive time - POST send time (includes HTTP, validation, the "
        "fsynced commit, fan-out and the client's own JSON decoding). Reference: the same with 1 client.",
        "",
        "| ingest path | alerts/s | bare SQLite commits/s | ratio |",
        "| --- | ---: | ---: | ---: |",
    ]
    for sync, rate, raw in rows_ingest:
        lines.append(f"| in process, synchronous={sync} | {rate:,.0f} | {raw:,.0f} | {rate / raw:.2f} |")
    lines.append(f"| HTTP `POST /alerts`, synchronous=FULL | {http_rate:,.0f} | | |")
    lines += [
        "",
        "With `synchronous=FULL` (the default) every alert waits for an fsync, so the rate follows the "
        "disk's fsync latency, which on this shared machine varies several-fold from run to run (other "
        "jobs write to the same disk); the ratio compares the two in alternating rounds of the same run.",
    ]
    lines += [
        "",
        "| push | clients | delivered | p50 ms | p99 ms | max ms | time to reach all clients, p50 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in (("reference", one), ("fan-out", many)):
        lines.append(
            f"| {name} | {r['clients']} | {r['delivered']}/{r['expected']} | {r['p50_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {r['max_ms']:.1f} | {r['all_clients_p50_ms']:.1f} |"
        )
    lines += [
        "",
        f"p50 with {args.clients} clients is {ratio:.1f}x the single-client p50. "
        f"Connecting {args.clients} clients took {many['connect_s']:.1f} s.",
    ]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--ingest", type=int, default=600, help="events per round (3 rounds) for the in-process ingest test"
    )
    ap.add_argument("--http", type=int, default=500, help="alerts POSTed for the HTTP ingest test")
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--alerts", type=int, default=30)
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between pushed alerts")
    ap.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = ap.parse_args()
    text = asyncio.run(run(args))
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
        print("BENCHMARKS.md updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
