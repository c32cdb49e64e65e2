"""The service is killed (SIGKILL) mid-run and restarted: no stored alert is lost, and a client
resuming with its last seq gets every alert it missed, in order, once (issue 9)."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect as ws_connect

from tests.e2e.helpers import add_user, free_port, shorewatch_env, start_shorewatch, wait_for


def _alert(i: int) -> dict[str, Any]:
    return {
        "event_id": f"ext-cam:boat:{i}",
        "kind": "boat_at_sea",
        "severity": "warning",
        "timestamp_s": 1_800_000_000.0 + i,
        "position": {"lat": 50.90 + i * 1e-4, "lon": 1.62},
        "position_error_m": 20.0,
        "confidence": 0.8,
        "source": "ext-cam",
        "people_count": 10,
    }


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_sigkill_mid_run_loses_no_alert_and_resume_delivers_the_missed_ones(tmp_path: Path) -> None:
    port = free_port()
    env = shorewatch_env(tmp_path / "state", SHOREWATCH_PORT=str(port))
    producer = add_user(env, "ext-detector", "detector")
    patrol = add_user(env, "patrol-wissant", "patrol")
    base = f"http://127.0.0.1:{port}"
    server = start_shorewatch(["serve"], env, tmp_path / "serve.log")
    try:
        wait_for(lambda: _up(base), 60, "the service to start")

        # a patrol client reads the first alerts live, remembering the last seq it processed
        received: list[dict[str, Any]] = []
        ws = ws_connect(f"ws://127.0.0.1:{port}/ws/alerts?token={patrol}")
        hello = json.loads(ws.recv(timeout=10))
        assert hello["type"] == "hello"

        # a producer posts alerts in a thread while we kill the server under it
        acked: list[str] = []
        stop = threading.Event()

        def produce() -> None:
            with httpx.Client(headers={"Authorization": f"Bearer {producer}"}, timeout=5) as c:
                for i in range(10_000):
                    if stop.is_set():
                        return
                    try:
                        r = c.post(f"{base}/alerts", json=_alert(i))
                    except httpx.HTTPError:
                        return  # the server died under us: this one was never acknowledged
                    if r.status_code in (200, 201):
                        acked.append(_alert(i)["event_id"])

        t = threading.Thread(target=produce, daemon=True)
        t.start()
        while len(received) < 5:
            msg = json.loads(ws.recv(timeout=10))
            if msg["type"] == "alert":
                received.append(msg)
        last_seq = received[-1]["seq"]
        ws.close()  # the patrol's phone goes out of coverage
        wait_for(lambda: len(acked) >= 40, 60, "the producer to get 40 alerts acknowledged")
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        stop.set()
        t.join(10)
        acked_before_kill = list(acked)

        server = start_shorewatch(["serve"], env, tmp_path / "serve.log")
        wait_for(lambda: _up(base), 60, "the service to restart")

        # every alert acknowledged to the producer is still stored
        with httpx.Client(headers={"Authorization": f"Bearer {patrol}"}, timeout=10) as c:
            stored: set[str] = set()
            offset = 0
            while True:
                page = c.get(f"{base}/alerts", params={"limit": 200, "offset": offset}).json()
                stored |= {a["event_id"] for a in page["data"]}
                offset += len(page["data"])
                if not page["data"] or offset >= page["count"]:
                    break
        missing = set(acked_before_kill) - stored
        assert not missing, f"{len(missing)} acknowledged alerts lost after SIGKILL"

        # the patrol client resumes after its last seq: every missed alert, in order, once
        ws = ws_connect(f"ws://127.0.0.1:{port}/ws/alerts?token={patrol}&after={last_seq}")
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        resumed: list[dict[str, Any]] = []
        expected = len(stored) - len(received)
        while len(resumed) < expected:
            msg = json.loads(ws.recv(timeout=10))
            if msg["type"] == "alert":
                resumed.append(msg)
        ws.close()
        seqs = [m["seq"] for m in resumed]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        assert seqs[0] > last_seq
        got = {m["alert"]["event_id"] for m in received} | {m["alert"]["event_id"] for m in resumed}
        assert got == stored
    finally:
        server.kill()
        server.wait(10)
