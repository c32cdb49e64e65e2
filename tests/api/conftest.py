"""Fixtures for the alert service: a real uvicorn server on a free loopback port, in the test's
own event loop (so tests can also call ``app.state.alerts.ingest`` like the pipeline does), with
one user per role."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from api.alerts import AlertService
from api.app import ServiceOptions, create_app
from api.auth import create_user
from api.domain import Role
from api.settings import Settings
from shorewatch.types import Event, EventKind, Severity, TrackPoint

WISSANT = (50.8862, 1.6571)
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f"
    "141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101"
    "011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403"
    "050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a1617"
    "18191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a83"
    "8485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7"
    "d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9"
)


def make_event(n: int = 1, **kw: Any) -> Event:
    base: dict[str, Any] = dict(
        event_id=f"drone-1:launch:{n}",
        kind=EventKind.LAUNCH,
        severity=Severity.CRITICAL,
        timestamp_s=1_795_934_400.0 + n,
        lat_deg=WISSANT[0] + n * 1e-4,
        lon_deg=WISSANT[1],
        position_error_m=12.0,
        confidence=0.9,
        source="drone-1",
        people_count=30,
        heading_deg=310.0,
        speed_mps=1.5,
        track=(TrackPoint(1_795_934_390.0, WISSANT[0], WISSANT[1]),),
    )
    base.update(kw)
    return Event(**base)


def boat_at_sea(event_id: str, near: tuple[float, float], at_m: float = 0.0, **kw: Any) -> Event:
    """A slow boat_at_sea ``at_m`` metres north-east of ``near`` (lat, lon), ``make_event``'s other
    fields unless ``kw`` says otherwise."""
    from shorewatch.geo import offset

    lat, lon = offset(*near, 45.0, at_m)
    fields: dict[str, Any] = dict(
        event_id=event_id,
        kind=EventKind.BOAT_AT_SEA,
        severity=Severity.WARNING,
        lat_deg=lat,
        lon_deg=lon,
        position_error_m=5.0,
        people_count=0,
        speed_mps=0.2,
        revision=1,
        track=(TrackPoint(1_795_934_400.0, lat, lon),),
    )
    return make_event(**(fields | kw))


async def wait_for(
    cond: Callable[[], Awaitable[bool] | bool], timeout_s: float = 5.0, what: str = ""
) -> None:
    """Await ``cond`` becoming true (polling), or fail the test."""
    deadline = time.monotonic() + timeout_s
    while True:
        r = cond()
        if asyncio.iscoroutine(r) or isinstance(r, Awaitable):
            r = await r  # type: ignore[misc]
        if r:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what or cond}")
        await asyncio.sleep(0.01)


@dataclass
class Running:
    app: FastAPI
    url: str
    tokens: dict[str, str]
    settings: Settings

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://")

    @property
    def service(self) -> AlertService:
        return self.app.state.alerts  # type: ignore[no-any-return]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def client(self, role: str | None = None) -> httpx.AsyncClient:
        headers = self.auth(role) if role else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=10.0, trust_env=False)


@asynccontextmanager
async def default_executor_blocked(hold_s: float = 40.0) -> AsyncIterator[None]:
    """Hold every thread of the running loop's default executor, as unanswered DNS lookups of
    webhook hosts do offline (5 s each), until the block exits or ``hold_s`` has passed (so that
    code still waiting on that executor fails its test instead of hanging it)."""
    gate = threading.Event()
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + hold_s

    def hold() -> None:
        gate.wait(max(0.0, deadline - time.monotonic()))

    held = [loop.run_in_executor(None, hold) for _ in range(64)]  # a pool holds <= 32
    try:
        yield
    finally:
        gate.set()
        await asyncio.gather(*held)


def free_socket() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    return s


StartServer = Callable[..., Awaitable[Running]]


@pytest.fixture
async def start_server(tmp_path: Path) -> AsyncIterator[StartServer]:
    """``await start_server(escalate_after_s=..., **ServiceOptions fields)`` -> ``Running``."""
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def start(
        *,
        state_dir: Path | None = None,
        escalate_after_s: float = 3600.0,
        cot_url: str | None = None,
        users: bool = True,
        **options: Any,
    ) -> Running:
        settings = Settings(
            state_dir=state_dir or tmp_path / f"state{len(servers)}",
            escalate_after_s=escalate_after_s,
            cot_url=cot_url,
        )
        opts: dict[str, Any] = dict(
            heartbeat_s=1.0, webhook_backoff_s=0.05, auth_max_failures=1000, sqlite_synchronous="NORMAL"
        )
        opts.update(options)
        app = create_app(settings, options=ServiceOptions(**opts))
        sock = free_socket()
        port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on", ws_ping_interval=None)
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        servers.append((server, task))
        await wait_for(lambda: server.started or task.done(), 10.0, "uvicorn to start")
        if task.done():
            task.result()
        tokens = {}
        if users:
            for role in Role:
                _, tokens[role.value] = await create_user(app.state.store, f"test-{role.value}", role)
        return Running(app, f"http://127.0.0.1:{port}", tokens, settings)

    yield start
    for server, _ in servers:
        server.should_exit = True
    for server, task in servers:
        try:
            await asyncio.wait_for(task, 10.0)
        except TimeoutError:
            server.force_exit = True
            task.cancel()


@pytest.fixture
async def running(start_server: StartServer) -> Running:
    return await start_server()
