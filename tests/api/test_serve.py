"""``shorewatch serve`` as a real process: alerts acknowledged to their producer survive SIGKILL,
and a client resuming with its last seq gets exactly what it missed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import websockets

from api.auth import create_user
from api.cli import main as cli_main
from api.domain import Role
from api.store import SqliteStore
from tests.api.conftest import free_socket, wait_for
from tests.api.test_auth import ALERT_BODY
from tests.api.test_push import recv_alerts, recv_json


def _start(state: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SHOREWATCH_STATE_DIR": str(state), "SHOREWATCH_LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


async def _healthy(url: str) -> bool:
    try:
        async with httpx.AsyncClient(trust_env=False) as c:
            return (await c.get(f"{url}/health", timeout=1)).status_code == 200
    except httpx.HTTPError:
        return False


async def test_sigkill_loses_no_acknowledged_alert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    store = SqliteStore(state / "shorewatch.db")
    _, det = await create_user(store, "cam", Role.DETECTOR)
    _, pat = await create_user(store, "patrol", Role.PATROL)
    await store.close()
    with free_socket() as s:
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    proc = _start(state, port)
    try:
        await wait_for(lambda: _healthy(url), 30, "shorewatch serve to start")
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/ws/alerts", additional_headers={"Authorization": f"Bearer {pat}"}
        ) as ws:
            await recv_json(ws)
            async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {det}"}) as c:
                r = await c.post("/alerts", json={**ALERT_BODY, "event_id": "before-0"})
                assert r.status_code == 201
            (first,) = await recv_alerts(ws, 1)
        # the client is gone; more alerts, each acknowledged (201) by the server, then SIGKILL
        acked = []
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {det}"}) as c:
            for i in range(1, 21):
                r = await c.post("/alerts", json={**ALERT_BODY, "event_id": f"before-{i}"})
                assert r.status_code == 201
                acked.append(r.json()["id"])
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        proc = _start(state, port)
        await wait_for(lambda: _healthy(url), 30, "shorewatch serve to restart")
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/ws/alerts?after={first['seq']}",
            additional_headers={"Authorization": f"Bearer {pat}"},
        ) as ws:
            assert (await recv_json(ws))["type"] == "hello"
            got = await recv_alerts(ws, 20)
        assert [m["alert"]["id"] for m in got] == acked
        # a user added with the CLI while the server runs can use its token at once
        monkeypatch.setenv("SHOREWATCH_STATE_DIR", str(state))
        capsys.readouterr()
        assert await asyncio.to_thread(cli_main, ["users", "add", "late-patrol", "--role", "patrol"]) == 0
        late = capsys.readouterr().out.strip().splitlines()[-1]
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {late}"}) as c:
            assert (await c.get("/users/me")).json()["name"] == "late-patrol"
        # Ctrl-C / SIGTERM with an SSE client connected: its stream ends cleanly, no forced cancel
        async with (
            httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {pat}"}, timeout=20) as c,
            c.stream("GET", "/alerts/stream") as resp,
        ):
            lines = resp.aiter_lines()
            async for line in lines:
                if line == "event: hello":
                    break
            proc.send_signal(signal.SIGTERM)
            async for _ in lines:  # returns when the server ends the stream
                pass
        await asyncio.to_thread(proc.wait, 15)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    out = proc.stdout.read().decode() if proc.stdout else ""
    assert f"http://127.0.0.1:{port}" in out
    assert "Traceback" not in out and "graceful shutdown exceeded" not in out, out
