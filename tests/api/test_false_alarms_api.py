"""A patrol officer's "false alarm" holds back the next alert for the same thing at the same place,
end to end: the real service on a real SQLite file, the officer's HTTP call, a WebSocket client
and a notifier standing for the patrols' channels (webhooks, CoT); and the memory survives a
restart of the service."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import websockets

from api.domain import Alert, ChangeKind
from shorewatch.types import EventKind
from tests.api.conftest import StartServer, boat_at_sea, make_event

SPOT = (50.8900, 1.6400)


class Recorder:
    """Stands for the patrols' channels: every (alert id, change) it was told about."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, ChangeKind]] = []

    def notify(self, alert: Alert, change: ChangeKind, message_json: str) -> None:
        self.seen.append((alert.id, change))


def boat(eid: str, at_m: float, revision: int = 1, **kw: Any) -> Any:
    return boat_at_sea(eid, SPOT, at_m, revision=revision, **({"position_error_m": 6.0} | kw))


async def next_alert(ws: Any, timeout_s: float = 5.0) -> dict[str, Any]:
    async with asyncio.timeout(timeout_s):  # heartbeats keep coming: bound the whole wait
        while True:
            msg = json.loads(await ws.recv())
            if msg["type"] == "alert":
                return msg  # type: ignore[no-any-return]


async def test_a_dismissed_boat_is_not_alerted_again_until_it_moves(
    start_server: StartServer, tmp_path: Path
) -> None:
    channels = Recorder()
    running = await start_server(state_dir=tmp_path / "state", extra_notifiers=(channels,))
    svc = running.service
    async with (
        running.client("patrol") as patrol,
        websockets.connect(f"{running.ws_url}/ws/alerts", additional_headers=running.auth("patrol")) as ws,
    ):
        assert json.loads(await asyncio.wait_for(ws.recv(), 5.0))["type"] == "hello"  # subscribed
        first = await svc.ingest(boat("drone-1:boat_at_sea:1", at_m=0))
        assert (await next_alert(ws))["change"] == "created"
        r = await patrol.post(
            f"/alerts/{first.id}/resolve", json={"reason": "false_alarm", "note": "mooring buoy"}
        )
        assert r.status_code == 200, r.text
        assert (await next_alert(ws))["change"] == "resolved"

        # the next pass: a new track of the same buoy, 12 m off
        repeat = await svc.ingest(boat("drone-1:boat_at_sea:2", at_m=12))
        msg = await next_alert(ws)
        assert msg["change"] == "resolved"  # never pushed as a new alert
        a = msg["alert"]
        assert (a["id"], a["status"], a["resolution"]) == (repeat.id, "resolved", "false_alarm")
        assert a["details"]["held_as_repeat_of"] == f"#{first.id}"
        r = await patrol.get(f"/alerts/{repeat.id}/journal")
        entries = r.json()["data"]
        assert [(e["action"], e["actor"]) for e in entries] == [
            ("created", "pipeline"),
            ("resolved", "pipeline"),
        ]
        assert f"repeats false alarm #{first.id}" in entries[-1]["detail"]
        assert all(alert_id != repeat.id for alert_id, _ in channels.seen)

        # it stays put: its revisions update the held alert, quietly
        await svc.ingest(boat("drone-1:boat_at_sea:2", at_m=14, revision=2))
        upd = await next_alert(ws)
        assert (upd["change"], upd["alert"]["id"], upd["alert"]["status"]) == (
            "updated",
            repeat.id,
            "resolved",
        )

        # it leaves: a new alert, announced everywhere, saying where it came from
        released = await svc.ingest(boat("drone-1:boat_at_sea:2", at_m=120, revision=3, speed_mps=0.5))
        msg = await next_alert(ws)
        assert (msg["change"], msg["alert"]["id"], msg["alert"]["status"]) == ("created", released.id, "new")
        assert msg["alert"]["details"]["released_from_hold"] == f"#{repeat.id}"
        assert (released.id, ChangeKind.CREATED) in channels.seen

        # person in water is never held back, even where a false alarm was
        piw = await svc.ingest(
            make_event(
                event_id="drone-1:person_in_water:3",
                kind=EventKind.PERSON_IN_WATER,
                lat_deg=first.lat_deg,
                lon_deg=first.lon_deg,
            )
        )
        assert (await next_alert(ws))["change"] == "created" and piw.status.value == "new"

    # after a restart the service still remembers the dismissal
    again = await start_server(state_dir=tmp_path / "state", users=False)
    held = await again.service.ingest(boat("drone-2:boat_at_sea:1", at_m=8))
    assert (held.status.value, dict(held.details)["held_as_repeat_of"]) == ("resolved", f"#{first.id}")
    # and the released boat, back at the dismissed place and slow, keeps its announced alert
    back = await again.service.ingest(boat("drone-1:boat_at_sea:2", at_m=15, revision=4))
    assert (back.id, back.status.value) == (released.id, "new")


async def test_external_detectors_see_a_held_alert_as_created_and_resolved(start_server: StartServer) -> None:
    running = await start_server()
    async with running.client("detector") as det, running.client("patrol") as patrol:
        body = {
            "event_id": "ext:1",
            "kind": "gathering",
            "severity": "warning",
            "timestamp_s": 1_795_934_400.0,
            "position": {"lat": SPOT[0], "lon": SPOT[1]},
            "position_error_m": 8.0,
            "confidence": 0.7,
            "source": "tower-cam",
            "people_count": 12,
        }
        r = await det.post("/alerts", json=body)
        assert r.status_code == 201, r.text
        r = await patrol.post(f"/alerts/{r.json()['id']}/resolve", json={"reason": "false_alarm"})
        assert r.status_code == 200
        r = await det.post("/alerts", json={**body, "event_id": "ext:2", "people_count": 14})
        assert r.status_code == 201 and r.json()["status"] == "resolved", r.text
        r = await det.post("/alerts", json={**body, "event_id": "ext:3", "people_count": 40})
        assert r.status_code == 201 and r.json()["status"] == "new", r.text


async def test_a_verdict_given_by_mistake_is_withdrawn(start_server: StartServer, tmp_path: Path) -> None:
    """``GET /false-alarms`` lists what holds repeats back; ``DELETE /false-alarms/{id}`` withdraws
    a verdict (journalled): the next repeat is alerted, the held one is released, and a restart
    does not bring the verdict back."""
    running = await start_server(state_dir=tmp_path / "state")
    svc = running.service
    async with running.client("patrol") as patrol, running.client("pilot") as pilot:
        first = await svc.ingest(boat("drone-1:boat_at_sea:1", at_m=0))
        other = await svc.ingest(boat("drone-1:boat_at_sea:9", at_m=900))
        r = await patrol.post(f"/alerts/{first.id}/resolve", json={"reason": "false_alarm"})
        assert r.status_code == 200
        r = await pilot.get("/false-alarms")
        assert r.status_code == 200, r.text
        (row,) = r.json()["data"]
        assert (row["alert_id"], row["kind"], row["radius_m"]) == (first.id, "boat_at_sea", 30.0)
        held = await svc.ingest(boat("drone-1:boat_at_sea:2", at_m=10))
        assert held.status.value == "resolved"

        # who may, and what may be withdrawn
        assert (await pilot.delete(f"/false-alarms/{first.id}")).status_code == 403
        assert (await patrol.delete(f"/false-alarms/{other.id}")).status_code == 409  # still new
        assert (await patrol.delete("/false-alarms/999")).status_code == 404
        assert (await patrol.delete("/false-alarms/0")).status_code == 422
        r = await patrol.delete(f"/false-alarms/{first.id}")
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["last_change"]) == ("resolved", "false_alarm_withdrawn")
        again = await patrol.delete(f"/false-alarms/{first.id}")
        assert again.status_code == 409 and "already withdrawn" in again.text
        journal = (await patrol.get(f"/alerts/{first.id}/journal")).json()["data"]
        assert (journal[-1]["action"], journal[-1]["actor"]) == ("false_alarm_withdrawn", "test-patrol")
        assert (await pilot.get("/false-alarms")).json()["count"] == 0

        repeat = await svc.ingest(boat("drone-1:boat_at_sea:3", at_m=5))
        assert repeat.status.value == "new"
        released = await svc.ingest(boat("drone-1:boat_at_sea:2", at_m=10, revision=2))
        assert released.status.value == "new" and released.id != held.id
        assert dict(released.details)["release_reason"] == f"false alarm #{first.id} was withdrawn"

    again_up = await start_server(state_dir=tmp_path / "state", users=False)
    later = await again_up.service.ingest(boat("drone-2:boat_at_sea:1", at_m=8))
    assert later.status.value == "new"


async def test_an_open_alert_drifting_past_a_dismissed_place_keeps_being_announced(
    start_server: StartServer, tmp_path: Path
) -> None:
    channels = Recorder()
    running = await start_server(state_dir=tmp_path / "state", extra_notifiers=(channels,))
    async with running.client("patrol") as patrol:
        buoy = await running.service.ingest(boat("drone-1:boat_at_sea:1", at_m=0))
        await patrol.post(f"/alerts/{buoy.id}/resolve", json={"reason": "false_alarm"})
        boat_far = await running.service.ingest(boat("drone-1:boat_at_sea:5", at_m=400))
        near = await running.service.ingest(boat("drone-1:boat_at_sea:5", at_m=10, revision=2))
        assert (near.id, near.status.value) == (boat_far.id, "new")
        assert "held_as_repeat_of" not in dict(near.details)
        assert (near.id, ChangeKind.UPDATED) in channels.seen
    # the same after a restart, when the service has forgotten which alerts it let through
    again = await start_server(state_dir=tmp_path / "state", users=False)
    later = await again.service.ingest(boat("drone-1:boat_at_sea:5", at_m=12, revision=3))
    assert (later.id, later.status.value) == (boat_far.id, "new")
    assert "held_as_repeat_of" not in dict(later.details)
