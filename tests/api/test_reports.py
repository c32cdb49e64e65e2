"""``GET /reports/verdicts``: what the patrols made of the alerts, per kind, beach, camera altitude,
against the real service and its SQLite file: counts by verdict, the false-alarm share of the
operators' verdicts, held repeats and withdrawn verdicts apart, response times, bad queries."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Running, boat_at_sea

WISSANT_BAY = (50.8920, 1.6500)
SANGATTE_OFF = (50.9600, 1.7500)


def boat(eid: str, near: tuple[float, float], at_m: float, beach: str, alt_m: int) -> Any:
    details = (("beach", beach), ("camera_alt_m", str(alt_m))) if beach else (("camera_alt_m", str(alt_m)),)
    return boat_at_sea(eid, near, at_m, details=details)


async def test_verdicts_per_beach_and_altitude(running: Running) -> None:
    svc = running.service
    wissant = [await svc.ingest(boat(f"d1:b:{i}", WISSANT_BAY, 200.0 * i, "Wissant", 62)) for i in range(4)]
    sangatte = [await svc.ingest(boat(f"d2:b:{i}", SANGATTE_OFF, 200.0 * i, "", 85)) for i in range(2)]
    async with running.client("patrol") as patrol, running.client("pilot") as pilot:

        async def act(alert_id: int, what: str, **body: Any) -> None:
            r = await patrol.post(f"/alerts/{alert_id}/{what}", json=body)
            assert r.status_code == 200, r.text

        await act(wissant[0].id, "resolve", reason="false_alarm")
        await act(wissant[1].id, "resolve", reason="false_alarm")
        await act(wissant[2].id, "acknowledge")
        await act(wissant[2].id, "resolve", reason="stopped")
        await act(sangatte[0].id, "resolve", reason="handed_to_rescue")
        # the pipeline holds a repeat of the first false alarm; the second verdict is withdrawn
        held = await svc.ingest(boat("d1:b:9", WISSANT_BAY, 8.0, "Wissant", 62))
        assert held.status.value == "resolved"
        assert (await patrol.delete(f"/false-alarms/{wissant[1].id}")).status_code == 200

        r = await pilot.get("/reports/verdicts", params=[("by", "kind"), ("by", "beach")])
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["by"] == ["kind", "beach"] and body["count"] == 2
        w, s = body["data"]  # largest first
        assert w["group"] == {"kind": "boat_at_sea", "beach": "Wissant"}
        assert (w["alerts"], w["open"], w["false_alarm"], w["withdrawn"], w["stopped"], w["held"]) == (
            5,
            1,
            1,
            1,
            1,
            1,
        )
        assert w["false_alarm_share"] == round(1 / 3, 3)  # of the three verdicts that stand or were withdrawn
        assert w["first_response_s_median"] is not None and w["first_response_s_median"] >= 0
        assert s["group"] == {"kind": "boat_at_sea", "beach": "(no beach)"}
        assert (s["alerts"], s["handed_to_rescue"], s["open"], s["false_alarm_share"]) == (2, 1, 1, 0.0)

        r = await patrol.get("/reports/verdicts", params={"by": "altitude", "hours": 1})
        assert {tuple(d["group"].values()): d["alerts"] for d in r.json()["data"]} == {
            ("60-80 m",): 5,
            ("80-100 m",): 2,
        }

        assert (await patrol.get("/reports/verdicts", params={"by": "weather"})).status_code == 422
        assert (await patrol.get("/reports/verdicts", params={"hours": 0})).status_code == 422
    async with running.client("trainer") as trainer:
        assert (await trainer.get("/reports/verdicts")).status_code == 403
