"""A real uvicorn server running ``create_app`` in a background thread, on a free loopback port,
with one demo token per role. Shared by the dashboard, missions, replays and browser tests."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from api.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(
    cond: Callable[[], Any], timeout_s: float = 10.0, interval_s: float = 0.05, what: str = "condition"
) -> Any:
    """Poll ``cond`` until it returns something truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = cond()
        if last:
            return last
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what} (last: {last!r})")


class _Server(uvicorn.Server):
    loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, sockets: Any = None) -> None:
        self.loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def install_signal_handlers(self) -> None:  # not the main thread
        pass


class LiveServer:
    def __init__(
        self,
        state_dir: Path,
        *,
        configure: Callable[[Any], None] | None = None,
        options: dict[str, Any] | None = None,
        **settings: Any,
    ) -> None:
        from api.app import ServiceOptions, create_app

        self.port = free_port()
        self.settings = Settings(state_dir=state_dir, port=self.port, demo_tokens=True, **settings)
        opts = {"heartbeat_s": 1.0, "sqlite_synchronous": "NORMAL", **(options or {})}
        self.app = create_app(self.settings, options=ServiceOptions(**opts))
        if configure is not None:
            configure(self.app)
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = _Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        )
        self._thread = threading.Thread(target=self._server.run, name=f"uvicorn-{self.port}", daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        wait_for(lambda: self._server.started, 30.0, what="uvicorn to start")
        self.tokens: dict[str, str] = dict(self.app.state.demo_tokens)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(15)

    def call(self, coro: Coroutine[Any, Any, Any], timeout_s: float = 10.0) -> Any:
        """Run a coroutine on the server's event loop (e.g. ``app.state.alerts.ingest(event)``)."""
        assert self._server.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._server.loop).result(timeout_s)

    def client(self, role: str | None, **kw: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30.0, **kw)

    def post_alert(self, **fields: Any) -> dict[str, Any]:
        """``POST /alerts`` as an external detector: a critical launch at Wissant, now, unless
        ``fields`` say otherwise; returns the stored alert."""
        body = {
            "event_id": f"test:{time.time_ns()}",
            "kind": "launch",
            "severity": "critical",
            "timestamp_s": time.time(),
            "position": {"lat": 50.8875, "lon": 1.6605},
            "position_error_m": 10.0,
            "confidence": 0.9,
            "source": "drone-1",
            **fields,
        }
        with self.client("detector") as c:
            r = c.post("/alerts", json=body)
        assert r.status_code in (200, 201), r.text
        return dict(r.json())
