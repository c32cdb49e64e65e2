"""The /alerts routes against a running server: create, update, list with filters, snapshot,
lifecycle, journal, and bad input (always a clear 4xx, never a 500)."""

from __future__ import annotations

import base64
import copy
import time
from typing import Any

import httpx
import pytest

from tests.api.conftest import TINY_JPEG, Running, make_event
from tests.api.test_auth import ALERT_BODY


async def test_post_creates_then_updates_then_is_idempotent(running: Running) -> None:
    async with running.client("detector") as c:
        r1 = await c.post("/alerts", json=ALERT_BODY)
        assert r1.status_code == 201
        a = r1.json()
        assert a["status"] == "new" and a["kind"] == "boat_at_sea" and a["source"] == "thermal-3"
        assert a["created_at"].endswith("Z") or a["created_at"].endswith("+00:00")
        assert a["snapshot_url"] == f"/alerts/{a['id']}/snapshot.jpg"
        r2 = await c.post("/alerts", json={**ALERT_BODY, "revision": 1, "people_count": 12})
        assert r2.status_code == 200
        b = r2.json()
        assert b["id"] == a["id"] and b["revision"] == 1 and b["people_count"] == 12 and b["seq"] > a["seq"]
        r3 = await c.post("/alerts", json={**ALERT_BODY, "revision": 1, "people_count": 99})  # a retry
        assert r3.status_code == 200 and r3.json()["people_count"] == 12 and r3.json()["seq"] == b["seq"]
    async with running.client("patrol") as c:
        snap = await c.get(a["snapshot_url"])
        assert snap.status_code == 200 and snap.headers["content-type"] == "image/jpeg"
        assert snap.content == TINY_JPEG
        listed = (await c.get("/alerts")).json()
        assert listed["count"] == 1


async def test_get_one_and_journal(running: Running) -> None:
    alert = await running.service.ingest(make_event(1))
    async with running.client("patrol") as c:
        got = (await c.get(f"/alerts/{alert.id}")).json()
        assert (
            got["event_id"] == alert.event_id and got["position_error_m"] == 12.0 and got["deliveries"] == []
        )
        assert (await c.get(f"/alerts/{alert.id}/snapshot.jpg")).status_code == 404  # no snapshot
        assert (await c.post(f"/alerts/{alert.id}/acknowledge", json={"note": "on it"})).status_code == 200
        j = (await c.get(f"/alerts/{alert.id}/journal")).json()
    assert [e["action"] for e in j["data"]] == ["created", "acknowledged"]
    assert j["data"][1]["actor"] == "test-patrol" and "on it" in j["data"][1]["detail"]


@pytest.mark.parametrize(
    ("steps", "final_status", "error_step"),
    [
        (
            [("acknowledge", None), ("assign", {"unit": "p2"}), ("resolve", {"reason": "stopped"})],
            "resolved",
            None,
        ),
        ([("resolve", {"reason": "false_alarm"})], "resolved", None),
        ([("assign", {"unit": "p2"})], "new", 0),  # must acknowledge first
        ([("acknowledge", None), ("acknowledge", None)], "acknowledged", 1),
        ([("resolve", {"reason": "stopped"}), ("acknowledge", None)], "resolved", 1),
        ([("acknowledge", None), ("assign", {"unit": "a"}), ("assign", {"unit": "b"})], "assigned", None),
    ],
)
async def test_lifecycle(
    running: Running,
    steps: list[tuple[str, dict[str, Any] | None]],
    final_status: str,
    error_step: int | None,
) -> None:
    alert = await running.service.ingest(make_event(1))
    async with running.client("patrol") as c:
        for i, (action, body) in enumerate(steps):
            r = await c.post(f"/alerts/{alert.id}/{action}", json=body)
            if i == error_step:
                assert r.status_code == 409, r.text
                assert "cannot move an alert" in r.json()["detail"]
            else:
                assert r.status_code == 200, r.text
        assert (await c.get(f"/alerts/{alert.id}")).json()["status"] == final_status


async def test_list_filters_over_http(running: Running) -> None:
    svc = running.service
    from shorewatch.types import EventKind, Severity

    await svc.ingest(make_event(1))
    await svc.ingest(
        make_event(2, kind=EventKind.PERSON_IN_WATER, source="drone-2", lat_deg=51.2, lon_deg=2.1)
    )
    await svc.ingest(make_event(3, kind=EventKind.BOAT_AT_SEA, severity=Severity.WARNING))
    await svc.ingest(make_event(4), replay_id="replay-9")
    cases: list[tuple[dict[str, Any], int]] = [
        ({}, 3),
        ({"kind": "launch"}, 1),
        ({"kind": ["launch", "boat_at_sea"]}, 2),
        ({"status": "new"}, 3),
        ({"status": "resolved"}, 0),
        ({"source": "drone-2"}, 1),
        ({"min_lat": 51.0, "min_lon": 2.0, "max_lat": 51.5, "max_lon": 2.5}, 1),
        ({"since_s": 1_795_934_401.5}, 2),
        ({"since_s": 1_795_934_401.5, "until_s": 1_795_934_402.5}, 1),
        ({"replay_id": "replay-9"}, 1),
        ({"limit": 2}, 3),
        ({"offset": 2, "limit": 2}, 3),
    ]
    async with running.client("pilot") as c:
        for params, count in cases:
            r = await c.get("/alerts", params=params)
            assert r.status_code == 200, (params, r.text)
            body = r.json()
            assert body["count"] == count, params
            assert all(a["replay_id"] == params.get("replay_id") for a in body["data"])
        page = (await c.get("/alerts", params={"limit": 2})).json()["data"]
        assert [a["detected_at_s"] for a in page] == sorted((a["detected_at_s"] for a in page), reverse=True)
    async with running.client("trainer") as c:
        r = await c.get("/alerts")
        assert r.status_code == 403 and "replay_id" in r.json()["detail"]
        assert (await c.get("/alerts", params={"replay_id": "replay-9"})).json()["count"] == 1


def _big_body() -> dict[str, Any]:
    return {**ALERT_BODY, "event_id": "x" * 2_200_000}


BAD_POSTS: list[tuple[str, Any, int, str]] = [
    ("malformed json", b'{"event_id": "x", ', 422, "JSON"),
    ("not an object", b"[1, 2, 3]", 422, "invalid request"),
    ("missing field", {k: v for k, v in ALERT_BODY.items() if k != "kind"}, 422, "kind"),
    ("wrong type", {**ALERT_BODY, "confidence": "very"}, 422, "confidence"),
    ("unknown kind", {**ALERT_BODY, "kind": "submarine"}, 422, "kind"),
    ("lat out of range", {**ALERT_BODY, "position": {"lat": 91, "lon": 0}}, 422, "lat"),
    ("negative error", {**ALERT_BODY, "position_error_m": -1}, 422, "position_error_m"),
    ("nan", b'{"event_id":"x","kind":"launch","severity":"info","timestamp_s":NaN}', 422, "invalid request"),
    ("unknown field", {**ALERT_BODY, "colour": "red"}, 422, "colour"),
    ("not base64", {**ALERT_BODY, "snapshot_jpeg_b64": "@@@"}, 422, "base64"),
    ("not a jpeg", {**ALERT_BODY, "snapshot_jpeg_b64": base64.b64encode(b"GIF89a...").decode()}, 422, "JPEG"),
    ("empty event_id", {**ALERT_BODY, "event_id": ""}, 422, "event_id"),
    ("oversized", "BIG", 413, "too large"),
]


@pytest.mark.parametrize(("case", "body", "status", "fragment"), BAD_POSTS, ids=[c[0] for c in BAD_POSTS])
async def test_bad_alert_posts(running: Running, case: str, body: Any, status: int, fragment: str) -> None:
    async with running.client("detector") as c:
        if body == "BIG":
            r = await c.post("/alerts", json=_big_body())
        elif isinstance(body, bytes):
            r = await c.post("/alerts", content=body, headers={"content-type": "application/json"})
        else:
            r = await c.post("/alerts", json=copy.deepcopy(body))
    assert r.status_code == status, r.text
    assert fragment.lower() in str(r.json()["detail"]).lower()


async def test_oversized_chunked_body_is_refused(running: Running) -> None:
    async def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 100_000

    async with running.client("detector") as c:
        r = await c.post("/alerts", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "too large" in r.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/alerts/999", None, 404),
        ("GET", "/alerts/999/snapshot.jpg", None, 404),
        ("GET", "/alerts/999/journal", None, 404),
        ("POST", "/alerts/999/acknowledge", None, 404),
        ("POST", "/alerts/999/resolve", {"reason": "stopped"}, 404),
        ("GET", "/alerts/abc", None, 422),
        ("GET", "/alerts/0", None, 422),
        ("GET", "/alerts/99999999999999999999999", None, 422),
        ("POST", "/alerts/1/resolve", {"reason": "bored"}, 422),
        ("POST", "/alerts/1/resolve", None, 422),
        ("POST", "/alerts/1/assign", {"unit": ""}, 422),
        ("GET", "/alerts?limit=0", None, 422),
        ("GET", "/alerts?limit=abc", None, 422),
        ("GET", "/alerts?min_lat=50", None, 422),
        ("GET", "/alerts?min_lat=51&min_lon=1&max_lat=50&max_lon=2", None, 422),
        ("GET", "/alerts?since_s=10&until_s=5", None, 422),
        ("GET", "/alerts?since_s=nan", None, 422),
        ("GET", "/alerts?status=lost", None, 422),
        ("DELETE", "/alerts/1", None, 405),
        ("GET", "/nowhere", None, 404),
    ],
)
async def test_bad_requests_get_clear_4xx(
    running: Running, method: str, path: str, body: dict[str, Any] | None, status: int
) -> None:
    await running.service.ingest(make_event(1))
    async with running.client("admin") as c:
        r = await c.request(method, path, json=body)
    assert r.status_code == status, r.text
    assert r.json()["detail"]


async def test_metrics_and_health(running: Running) -> None:
    await running.service.ingest(make_event(1, timestamp_s=time.time() - 1.5))  # a frame 1.5 s ago
    await running.service.ingest(make_event(2))  # a clip's own clock: no age
    async with running.client("admin") as c:
        m = await c.get("/metrics")
        h = await c.get("/health")
    assert m.status_code == 200 and m.headers["content-type"].startswith("text/plain")
    assert 'shorewatch_alerts_ingested_total{kind="launch",outcome="created"} 2.0' in m.text
    # the frame-to-alert age: one alert, between 1 and 2 s
    assert 'shorewatch_alert_age_seconds_count{kind="launch"} 1.0' in m.text
    assert 'shorewatch_alert_age_seconds_bucket{kind="launch",le="1.0"} 0.0' in m.text
    assert 'shorewatch_alert_age_seconds_bucket{kind="launch",le="2.0"} 1.0' in m.text
    assert h.json()["last_seq"] >= 1


def test_openapi_has_examples() -> None:
    from api.app import create_app
    from api.settings import Settings

    schema = create_app(Settings()).openapi()
    comps = schema["components"]["schemas"]
    assert comps["AlertPublic"]["examples"][0]["kind"] == "launch"
    assert comps["AlertIn"]["examples"]
    assert "bearer" in str(schema["components"]["securitySchemes"]).lower()
    _ = httpx


async def test_docs_are_served_without_a_cdn(running: Running) -> None:
    import re

    async with running.client() as c:
        page = await c.get("/docs")
        assert page.status_code == 200
        urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert urls and all(u.startswith("/") for u in urls), urls
        for u in urls:
            assert (await c.get(u)).status_code == 200, u
