"""Webhooks (against a local HTTP receiver: signatures, retries with backoff, receipts on the
alert), escalation of unacknowledged alerts, and Cursor-on-Target over UDP."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import websockets

from api.cot import CotConfigError, parse_cot_url
from api.domain import ResolutionReason
from api.webhooks import verify_signature
from shorewatch.types import EventKind
from tests.api.conftest import Running, StartServer, make_event, wait_for
from tests.api.test_push import recv_alerts, recv_json


class Receiver:
    """A patrol unit's webhook endpoint: answers each POST with the next scripted status."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                with outer.lock:
                    outer.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    n = len(outer.requests)
                status = outer.statuses[min(n - 1, len(outer.statuses) - 1)]
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def count(self) -> int:
        with self.lock:
            return len(self.requests)


@pytest.fixture
def receiver_factory() -> Iterator[Any]:
    made: list[Receiver] = []

    def make(statuses: list[int]) -> Receiver:
        r = Receiver(statuses)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


async def _register(running: Running, url: str, unit: str = "patrol-wissant") -> str:
    async with running.client("admin") as c:
        r = await c.post("/webhooks", json={"unit": unit, "url": url})
        assert r.status_code == 201, r.text
        return str(r.json()["secret"])


async def test_webhook_retries_with_backoff_then_delivers_signed(
    running: Running, receiver_factory: Any
) -> None:
    rx = receiver_factory([503, 500, 200])
    secret = await _register(running, rx.url)
    alert = await running.service.ingest(make_event(1))
    await wait_for(lambda: rx.count() >= 3, 10, "three delivery attempts")

    async def receipts() -> list[dict[str, Any]]:
        async with running.client("patrol") as c:
            return (await c.get(f"/alerts/{alert.id}")).json()["deliveries"]  # type: ignore[no-any-return]

    async def three_receipts() -> bool:
        return len(await receipts()) == 3

    await wait_for(three_receipts, 10, "three receipts")
    got = await receipts()
    assert [(d["attempt"], d["ok"], d["status_code"]) for d in got] == [
        (1, False, 503),
        (2, False, 500),
        (3, True, 200),
    ]
    assert all(d["unit"] == "patrol-wissant" and d["seq"] == alert.seq for d in got)
    for i, (headers, body) in enumerate(rx.requests):
        ts = headers["x-shorewatch-timestamp"]
        expected = (
            "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        )
        assert headers["x-shorewatch-signature"] == expected
        assert verify_signature(secret, ts, body, headers["x-shorewatch-signature"])
        assert not verify_signature("wrong-secret", ts, body, headers["x-shorewatch-signature"])
        assert headers["x-shorewatch-attempt"] == str(i + 1)
        msg = json.loads(body)
        assert msg["type"] == "alert" and msg["alert"]["id"] == alert.id and msg["seq"] == alert.seq
    assert rx.count() == 3  # no more attempts after success


async def test_webhook_4xx_is_final_and_unreachable_is_retried(
    running: Running, receiver_factory: Any
) -> None:
    refusing = receiver_factory([401])
    await _register(running, refusing.url, "p-refuse")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    await _register(running, f"http://127.0.0.1:{dead_port}/hook", "p-dead")
    alert = await running.service.ingest(make_event(1))

    async def done() -> bool:
        a = await running.app.state.store.get_alert(alert.id)
        return len([d for d in a.deliveries if d.unit == "p-dead"]) == 5

    await wait_for(done, 15, "five attempts to the dead receiver")
    a = await running.app.state.store.get_alert(alert.id)
    refused = [d for d in a.deliveries if d.unit == "p-refuse"]
    assert [(d.attempt, d.ok, d.status_code) for d in refused] == [(1, False, 401)]
    dead = [d for d in a.deliveries if d.unit == "p-dead"]
    assert all(not d.ok and d.status_code is None and d.error for d in dead)
    assert refusing.count() == 1


async def test_replay_alerts_are_not_sent_to_webhooks(running: Running, receiver_factory: Any) -> None:
    rx = receiver_factory([200])
    await _register(running, rx.url)
    await running.service.ingest(make_event(1), replay_id="replay-1")
    live = await running.service.ingest(make_event(2))
    await wait_for(lambda: rx.count() >= 1 and running.app.state.webhooks.pending == 0, 10)
    assert [json.loads(b)["alert"]["id"] for _, b in rx.requests] == [live.id]


async def test_a_rescue_centres_webhook_gets_only_the_safety_of_life_lane(
    running: Running, receiver_factory: Any
) -> None:
    """CROSS Gris-Nez registers for people in the water only; the enforcement patrol gets every
    alert. Kinds are listed back, and an unknown kind is refused with what was expected."""
    rescue, patrol = receiver_factory([200]), receiver_factory([200])
    async with running.client("admin") as c:
        r = await c.post(
            "/webhooks", json={"unit": "cross-gris-nez", "url": rescue.url, "kinds": ["person_in_water"]}
        )
        assert r.status_code == 201 and r.json()["kinds"] == ["person_in_water"], r.text
        bad = await c.post("/webhooks", json={"unit": "x", "url": rescue.url, "kinds": ["submarine"]})
        assert bad.status_code == 422 and "person_in_water" in bad.text
    await _register(running, patrol.url, "patrol-wissant")
    launch = await running.service.ingest(make_event(1))
    piw = await running.service.ingest(
        make_event(2, event_id="drone-1:person_in_water:2", kind=EventKind.PERSON_IN_WATER, people_count=1)
    )
    await wait_for(lambda: patrol.count() >= 2 and running.app.state.webhooks.pending == 0, 10)
    assert sorted(json.loads(b)["alert"]["id"] for _, b in patrol.requests) == [launch.id, piw.id]
    assert [json.loads(b)["alert"]["id"] for _, b in rescue.requests] == [piw.id]
    async with running.client("admin") as c:
        hooks = (await c.get("/webhooks")).json()["data"]
    assert {h["unit"]: h["kinds"] for h in hooks} == {
        "cross-gris-nez": ["person_in_water"],
        "patrol-wissant": [],
    }


async def test_unacknowledged_alert_is_escalated_and_renotified(
    start_server: StartServer, receiver_factory: Any
) -> None:
    running = await start_server(escalate_after_s=0.3)
    rx = receiver_factory([200])
    await _register(running, rx.url)
    async with websockets.connect(
        f"{running.ws_url}/ws/alerts", additional_headers=running.auth("patrol")
    ) as ws:
        await recv_json(ws)
        late = await running.service.ingest(make_event(1))
        handled = await running.service.ingest(make_event(2))
        await running.service.acknowledge(handled.id, actor="test")
        msgs = await recv_alerts(ws, 4, timeout_s=5)  # created, created, acknowledged, escalated
    assert [m["change"] for m in msgs] == ["created", "created", "acknowledged", "escalated"]
    esc = msgs[-1]["alert"]
    assert esc["id"] == late.id and esc["escalated"] is True and esc["status"] == "new"
    assert (await running.app.state.store.get_alert(handled.id)).escalated is False
    journal = await running.app.state.store.journal(late.id)
    assert journal[-1].actor == "system" and journal[-1].action.value == "escalated"
    await wait_for(
        lambda: any(json.loads(b)["change"] == "escalated" for _, b in list(rx.requests)),
        10,
        "escalation webhook",
    )
    assert len(await running.service.escalate_due()) == 0  # only once


async def test_cot_over_udp(start_server: StartServer) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    port = sock.getsockname()[1]
    try:
        running = await start_server(cot_url=f"udp://127.0.0.1:{port}")
        await running.service.ingest(make_event(1), replay_id="replay-x")  # never sent
        ellipse = (
            ("error_across_m", "4"),
            ("error_along_m", "15"),
            ("line_of_sight_deg", "287"),
            ("length_m", "9"),
        )
        alert = await running.service.ingest(make_event(2, people_count=41, details=ellipse))
        loop = asyncio.get_running_loop()
        data = await asyncio.wait_for(loop.sock_recv(sock, 65536), 5)
    finally:
        sock.close()
    assert data.startswith(b"<?xml")
    ev = ET.fromstring(data.split(b"?>", 1)[1])
    assert (
        ev.tag == "event" and ev.get("uid") == f"shorewatch.alert.{alert.id}" and ev.get("type") == "a-u-S-X"
    )
    point = ev.find("point")
    assert point is not None
    assert float(point.get("lat", "0")) == pytest.approx(alert.lat_deg) and point.get("ce") == "12.0"
    remarks = ev.findtext("detail/remarks") or ""
    assert "41 people" in remarks
    assert "+- 15 m along the drone's line of sight (287 deg), +- 4 m across" in remarks, remarks
    assert "boat about 9 m long" in remarks, remarks
    own = ev.find("detail/shorewatch")
    assert own is not None and (own.get("error_along_m"), own.get("line_of_sight_deg")) == ("15", "287")


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("udp://127.0.0.1:6969", True),
        ("tcp://tak.local:8087", True),
        ("http://127.0.0.1:6969", False),
        ("udp://127.0.0.1", False),
        ("127.0.0.1:6969", False),
    ],
)
def test_parse_cot_url(url: str, ok: bool) -> None:
    if ok:
        assert parse_cot_url(url)[2] > 0
    else:
        with pytest.raises(CotConfigError, match="udp://host:port"):
            parse_cot_url(url)


async def test_rapid_revisions_are_coalesced_for_webhooks(
    start_server: StartServer, receiver_factory: Any
) -> None:
    """A tracker updating an alert every frame must not flood patrol units: created goes at once,
    then at most one revision per interval (the latest), and lifecycle changes at once."""
    running = await start_server(webhook_update_interval_s=0.5)
    rx = receiver_factory([200])
    await _register(running, rx.url)
    svc = running.service
    alert = await svc.ingest(make_event(1))
    for rev in range(1, 11):
        await svc.ingest(make_event(1, revision=rev, people_count=30 + rev))

    def bodies() -> list[dict[str, Any]]:
        with rx.lock:
            return [json.loads(b) for _, b in rx.requests]

    await wait_for(lambda: any(m["change"] == "updated" for m in bodies()), 5, "the held-back revision")
    await svc.acknowledge(alert.id, actor="test")
    await wait_for(lambda: len(bodies()) >= 3 and running.app.state.webhooks.pending == 0, 5)
    got = bodies()
    assert [m["change"] for m in got if m["change"] != "updated"] == ["created", "acknowledged"]
    updates = [m for m in got if m["change"] == "updated"]
    assert len(updates) == 1 and updates[0]["alert"]["people_count"] == 40  # the latest revision


async def test_cot_over_tcp(start_server: StartServer) -> None:
    received: asyncio.Queue[bytes] = asyncio.Queue()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buf = b""
        while chunk := await reader.read(65536):
            buf += chunk
            while b"</event>" in buf:
                doc, buf = buf.split(b"</event>", 1)
                await received.put(doc + b"</event>")
        writer.close()

    tak = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = tak.sockets[0].getsockname()[1]
    try:
        running = await start_server(cot_url=f"tcp://127.0.0.1:{port}")
        a = await running.service.ingest(make_event(1, kind=EventKind.PERSON_IN_WATER))
        await running.service.resolve(a.id, ResolutionReason.HANDED_TO_RESCUE, actor="test")
        docs = [await asyncio.wait_for(received.get(), 5) for _ in range(2)]
    finally:
        tak.close()
    events = [ET.fromstring(d.split(b"?>", 1)[1]) for d in docs]
    assert [e.get("uid") for e in events] == [f"shorewatch.alert.{a.id}"] * 2
    assert events[0].get("type") == "b-r-f-h-c"  # person in water
    assert events[1].get("stale") == events[1].get("time")  # resolved: removed from the TAK map
