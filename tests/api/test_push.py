"""Live push over WebSocket and SSE against a real uvicorn server: auth, ordering, resume with
``?after=SEQ`` (exactly the missed alerts, in order, once), heartbeats, updates, replays."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from api.bus import BusMessage, InProcessBus
from tests.api.conftest import Running, make_event, wait_for


async def recv_json(ws: Any, timeout_s: float = 5.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout_s))  # type: ignore[no-any-return]


async def recv_alerts(ws: Any, n: int, timeout_s: float = 5.0) -> list[dict[str, Any]]:
    """The next ``n`` alert messages (heartbeats skipped)."""
    out: list[dict[str, Any]] = []
    while len(out) < n:
        msg = await recv_json(ws, timeout_s)
        assert "seq" in msg
        if msg["type"] == "alert":
            out.append(msg)
    return out


async def alerts_within(ws: Any, seconds: float) -> list[dict[str, Any]]:
    """Every alert message received in the next ``seconds``."""
    out = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        try:
            msg = await recv_json(ws, left)
        except TimeoutError:
            break
        if msg["type"] == "alert":
            out.append(msg)
    return out


async def test_ws_receives_live_alert_with_seq(running: Running) -> None:
    async with websockets.connect(
        f"{running.ws_url}/ws/alerts", additional_headers=running.auth("patrol")
    ) as ws:
        hello = await recv_json(ws)
        assert hello["type"] == "hello" and hello["seq"] == 0
        alert = await running.service.ingest(make_event(1, snapshot_jpeg=b"\xff\xd8\xff\xe0fake"))
        (msg,) = await recv_alerts(ws, 1)
        assert msg["change"] == "created"
        assert msg["seq"] == alert.seq == msg["alert"]["seq"]
        a = msg["alert"]
        assert a["kind"] == "launch" and a["status"] == "new" and a["people_count"] == 30
        assert a["position"] == {"lat": pytest.approx(50.8863), "lon": pytest.approx(1.6571)}
        assert a["snapshot_url"] == f"/alerts/{alert.id}/snapshot.jpg"
        assert a["track"] == [{"t": 1_795_934_390.0, "lat": 50.8862, "lon": 1.6571}]


@pytest.mark.parametrize(
    ("how", "role", "code"),
    [
        ("none", None, 4401),
        ("header", "bogus", 4401),
        ("query", "bogus", 4401),
        ("header", "trainer", 4403),
        ("header", "detector", 4403),
        ("query", "pilot", None),
        ("header", "admin", None),
    ],
)
async def test_ws_auth(running: Running, how: str, role: str | None, code: int | None) -> None:
    token = running.tokens.get(role or "", "not-a-token") if role else None
    url = f"{running.ws_url}/ws/alerts"
    headers = {}
    if how == "header":
        headers = {"Authorization": f"Bearer {token}"}
    elif how == "query":
        url += f"?token={token}"
    async with websockets.connect(url, additional_headers=headers) as ws:
        if code is None:
            assert (await recv_json(ws))["type"] == "hello"
        else:
            with pytest.raises(ConnectionClosed) as exc:
                await recv_json(ws)
            assert exc.value.rcvd is not None and exc.value.rcvd.code == code


async def test_ws_bad_after_is_refused(running: Running) -> None:
    async with websockets.connect(
        f"{running.ws_url}/ws/alerts?after=abc", additional_headers=running.auth("patrol")
    ) as ws:
        with pytest.raises(ConnectionClosed) as exc:
            await recv_json(ws)
        assert exc.value.rcvd is not None and exc.value.rcvd.code == 4400
        assert "after" in exc.value.rcvd.reason


async def test_resume_after_disconnect_delivers_exactly_the_missed_alerts_in_order(running: Running) -> None:
    svc = running.service
    url = f"{running.ws_url}/ws/alerts"
    async with websockets.connect(url, additional_headers=running.auth("patrol")) as ws:
        await recv_json(ws)
        for i in range(3):
            await svc.ingest(make_event(i))
        first = await recv_alerts(ws, 3)
    last_seq = first[-1]["seq"]
    # while disconnected: 4 new alerts, one update of an already-seen alert, one replay alert
    missed = [await svc.ingest(make_event(10 + i)) for i in range(4)]
    updated = await svc.ingest(make_event(0, revision=1, people_count=45))
    await svc.ingest(make_event(99), replay_id="replay-1")
    async with websockets.connect(f"{url}?after={last_seq}", additional_headers=running.auth("patrol")) as ws:
        hello = await recv_json(ws)
        assert hello == {"type": "hello", "seq": last_seq, "server_time_s": hello["server_time_s"]}
        got = await recv_alerts(ws, 5)
        assert [m["alert"]["id"] for m in got] == [a.id for a in missed] + [updated.id]
        assert [m["seq"] for m in got] == sorted(m["seq"] for m in got)
        assert got[-1]["change"] == "updated" and got[-1]["alert"]["people_count"] == 45
        assert got[-1]["alert"]["revision"] == 1
        # then live, with nothing replayed twice: the next message is the next new alert
        live = await svc.ingest(make_event(20))
        (nxt,) = await recv_alerts(ws, 1)
        assert nxt["alert"]["id"] == live.id and nxt["seq"] > got[-1]["seq"]


async def test_resume_race_live_during_replay_no_duplicates(running: Running) -> None:
    """Alerts ingested while a client is replaying arrive once each, in seq order."""
    svc = running.service
    for i in range(30):
        await svc.ingest(make_event(i))

    async def produce() -> None:
        for i in range(30, 60):
            await svc.ingest(make_event(i))

    async with websockets.connect(
        f"{running.ws_url}/ws/alerts?after=0", additional_headers=running.auth("patrol")
    ) as ws:
        producer = asyncio.create_task(produce())
        got = await recv_alerts(ws, 60)
        await producer
        assert await alerts_within(ws, 1.0) == []  # nothing more: no duplicates
    seqs = [m["seq"] for m in got]
    assert seqs == sorted(set(seqs))
    assert len({m["alert"]["event_id"] for m in got}) == 60


async def test_heartbeat_carries_cursor(start_server: Any) -> None:
    running: Running = await start_server(heartbeat_s=0.2)
    alert = await running.service.ingest(make_event(1))
    async with websockets.connect(
        f"{running.ws_url}/ws/alerts?after=0", additional_headers=running.auth("patrol")
    ) as ws:
        assert (await recv_json(ws))["type"] == "hello"
        assert (await recv_json(ws))["type"] == "alert"
        hb = await recv_json(ws, 2.0)
        assert hb["type"] == "heartbeat" and hb["seq"] == alert.seq


async def test_lifecycle_changes_are_pushed(running: Running) -> None:
    alert = await running.service.ingest(make_event(1))
    async with (
        websockets.connect(f"{running.ws_url}/ws/alerts", additional_headers=running.auth("pilot")) as ws,
        running.client("patrol") as http,
    ):
        await recv_json(ws)
        assert (await http.post(f"/alerts/{alert.id}/acknowledge")).status_code == 200
        assert (
            await http.post(f"/alerts/{alert.id}/assign", json={"unit": "patrol-wissant"})
        ).status_code == 200
        r = await http.post(f"/alerts/{alert.id}/resolve", json={"reason": "handed_to_rescue"})
        assert r.status_code == 200
        msgs = await recv_alerts(ws, 3)
    assert [m["change"] for m in msgs] == ["acknowledged", "assigned", "resolved"]
    assert msgs[-1]["alert"]["resolution"] == "handed_to_rescue"
    assert msgs[1]["alert"]["assigned_to"] == "patrol-wissant"


async def test_replay_alerts_are_never_pushed(running: Running) -> None:
    async with websockets.connect(
        f"{running.ws_url}/ws/alerts", additional_headers=running.auth("patrol")
    ) as ws:
        await recv_json(ws)
        await running.service.ingest(make_event(1), replay_id="clip-7")
        live = await running.service.ingest(make_event(2))
        (msg,) = await recv_alerts(ws, 1)
        assert msg["alert"]["id"] == live.id


async def _sse_events(
    resp: httpx.Response, n: int, kinds: tuple[str, ...] = ("alert",)
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    event: dict[str, str] = {}
    async for line in resp.aiter_lines():
        if line == "":
            if event.get("event") in kinds:
                data = json.loads(event["data"])
                assert int(event["id"]) == data["seq"]
                out.append(data)
                if len(out) == n:
                    return out
            event = {}
            continue
        key, _, value = line.partition(":")
        event[key] = value.lstrip(" ")
    return out


async def test_sse_live_and_resume_with_last_event_id(running: Running) -> None:
    svc = running.service
    async with running.client("patrol") as http:
        async with http.stream("GET", "/alerts/stream") as resp:
            assert resp.status_code == 200
            assert resp.headers["content-type"].startswith("text/event-stream")
            a1 = await svc.ingest(make_event(1))
            (m1,) = await asyncio.wait_for(_sse_events(resp, 1), 5)
            assert m1["alert"]["id"] == a1.id
        missed = [await svc.ingest(make_event(i)) for i in (2, 3)]
        async with http.stream("GET", "/alerts/stream", headers={"Last-Event-ID": str(m1["seq"])}) as resp:
            got = await asyncio.wait_for(_sse_events(resp, 2), 5)
        assert [m["alert"]["id"] for m in got] == [a.id for a in missed]
        async with http.stream("GET", f"/alerts/stream?after={m1['seq']}") as resp:
            got = await asyncio.wait_for(_sse_events(resp, 2), 5)
        assert [m["alert"]["id"] for m in got] == [a.id for a in missed]


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("trainer", 403), ("detector", 403)])
async def test_sse_auth(running: Running, role: str | None, status: int) -> None:
    async with running.client(role) as http:
        r = await http.get("/alerts/stream")
        assert r.status_code == status


async def test_sse_token_in_query_for_eventsource(running: Running) -> None:
    async with (
        running.client() as http,
        http.stream("GET", f"/alerts/stream?token={running.tokens['patrol']}") as resp,
    ):
        assert resp.status_code == 200
        (hello,) = await asyncio.wait_for(_sse_events(resp, 1, kinds=("hello",)), 5)
        assert hello["type"] == "hello"


async def test_slow_client_does_not_delay_others(start_server: Any) -> None:
    """A client that never reads falls behind; the others still get every alert promptly."""
    running: Running = await start_server(push_queue_size=8)
    svc = running.service
    auth = running.auth("patrol")
    async with (
        websockets.connect(f"{running.ws_url}/ws/alerts", additional_headers=auth, max_queue=1) as slow,
        websockets.connect(f"{running.ws_url}/ws/alerts", additional_headers=auth) as fast,
    ):
        await recv_json(slow)
        await recv_json(fast)
        # large payloads fill the slow client's socket buffers quickly
        details = tuple((f"k{i}", "x" * 500) for i in range(30))
        for i in range(200):
            await svc.ingest(make_event(i, details=details))
        got = await recv_alerts(fast, 200, timeout_s=10)
        assert [m["alert"]["event_id"] for m in got] == [f"drone-1:launch:{i}" for i in range(200)]
        # the slow one, when it finally reads, still gets every alert (catching up from the store)
        seen: set[str] = set()
        while len(seen) < 200:
            m = await recv_json(slow, 10)
            if m["type"] == "alert":
                seen.add(m["alert"]["event_id"])
        assert len(seen) == 200


async def test_feed_that_fell_behind_catches_up_from_the_store(running: Running) -> None:
    """Deterministic: a feed that is not read while 50 alerts arrive overflows its queue of 4,
    then delivers every alert once, in seq order, from the store."""
    svc = running.service
    feed = svc.feed(None, queue_size=4, heartbeat_s=30)
    seq, kind, _ = await feed.__anext__()
    assert kind == "hello"
    made = [await svc.ingest(make_event(i)) for i in range(50)]
    assert running.app.state.bus.dropped_subscribers == 1
    got: list[tuple[int, int]] = []
    while len(got) < 50:
        seq, kind, text = await asyncio.wait_for(feed.__anext__(), 5)
        assert kind == "alert"
        got.append((seq, json.loads(text)["alert"]["id"]))
    await feed.aclose()
    assert [s for s, _ in got] == sorted(s for s, _ in got)
    assert [i for _, i in got] == [a.id for a in made]


def test_bus_overflow_cuts_off_only_the_slow_subscriber() -> None:
    async def scenario() -> None:
        bus = InProcessBus()
        slow = bus.subscribe("alerts", maxsize=2)
        fast = bus.subscribe("alerts", maxsize=100)
        for i in range(1, 6):
            bus.publish(BusMessage(i, "alerts", str(i)))
        assert [(await fast.get()).seq for _ in range(5)] == [1, 2, 3, 4, 5]
        assert [(await slow.get()).seq for _ in range(2)] == [1, 2]
        assert slow.overflowed and bus.dropped_subscribers == 1
        from api.bus import SubscriberOverflow

        with pytest.raises(SubscriberOverflow):
            await slow.get()
        assert bus.subscriber_count == 1

    asyncio.run(scenario())


async def test_ws_client_count_returns_to_zero(running: Running) -> None:
    async with websockets.connect(
        f"{running.ws_url}/ws/alerts", additional_headers=running.auth("patrol")
    ) as ws:
        await recv_json(ws)
        assert running.app.state.bus.subscriber_count == 1
    await wait_for(lambda: running.app.state.bus.subscriber_count == 0, 5, "subscription to close")


async def test_sse_client_leaving_frees_its_subscription(running: Running) -> None:
    async with running.client("patrol") as http, http.stream("GET", "/alerts/stream") as resp:
        await asyncio.wait_for(_sse_events(resp, 1, kinds=("hello",)), 5)
        assert running.app.state.bus.subscriber_count == 1
    await wait_for(lambda: running.app.state.bus.subscriber_count == 0, 5, "SSE subscription to close")


async def test_closing_the_bus_ends_every_feed(running: Running) -> None:
    """What stopping the service does: open feeds end instead of hanging until a timeout."""
    feeds = [running.service.feed(None, heartbeat_s=30) for _ in range(3)]
    for f in feeds:
        assert (await f.__anext__())[1] == "hello"
    await running.app.state.bus.close()
    for f in feeds:
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(f.__anext__(), 5)
    late = running.service.feed(None, heartbeat_s=30)  # a client arriving while stopping
    assert (await late.__anext__())[1] == "hello"
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(late.__anext__(), 5)


async def test_ws_is_closed_with_1012_when_the_service_stops(running: Running) -> None:
    from api.app import request_shutdown

    async with websockets.connect(
        f"{running.ws_url}/ws/alerts", additional_headers=running.auth("patrol")
    ) as ws:
        await recv_json(ws)
        request_shutdown(running.app)
        with pytest.raises(ConnectionClosed) as exc:
            await recv_json(ws)
    assert exc.value.rcvd is not None and exc.value.rcvd.code == 1012
