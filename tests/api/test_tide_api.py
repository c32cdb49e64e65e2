"""``/tide`` against the running service: what the patrols see, what a pilot reports, and the
events of the live streams following it."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import shapely

from api.routes.streams import stream_manager
from shorewatch.site import load_site
from tests.api.conftest import Running, StartServer

SITE = load_site()


async def test_the_tide_is_unknown_until_reported_then_moves_the_water_edge(
    start_server: StartServer,
) -> None:
    srv = await start_server()
    async with srv.client("patrol") as patrol, srv.client("pilot") as pilot:
        r = await patrol.get("/tide")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["known"] is False and body["source"] == "unknown" and body["water_edge"] is None
        assert body["waterline_height_m"] == 7.5 and body["low_water_height_m"] == 1.0
        assert body["mean_sea_level_m"] == 4.4 and body["sea_surface_m"] == 0.0

        assert (await patrol.put("/tide", json={"height_m": 1.0})).status_code == 403
        assert (await pilot.put("/tide", json={"height_m": 99})).status_code == 422
        assert (await pilot.put("/tide", json={"metres": 1.0})).status_code == 422
        assert (await pilot.put("/tide", json={"height_m": 1.0, "valid_for_min": 0})).status_code == 422

        r = await pilot.put("/tide", json={"height_m": 1.0, "valid_for_min": 30})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["known"] and body["source"] == "observed" and body["height_m"] == 1.0
        assert body["observed"]["by"] == "test-pilot"
        assert body["observed"]["until_s"] - body["observed"]["at_s"] == pytest.approx(1800)
        assert body["drying_fraction"] == 1.0 and 400 <= body["max_shift_m"] <= 460
        assert body["sea_surface_m"] == pytest.approx(-3.4)  # 1.0 m above the datum, 4.4 below the mean

        # the edge the patrols see lies hundreds of metres off Wissant's mapped waterline
        edge = SITE.to_local(shapely.LineString(body["water_edge"]["coordinates"]))
        lp = SITE.launch_point("Wissant")
        e, n = SITE.frame.to_local(lp.lat_deg, lp.lon_deg)
        on_map = SITE.waterline_local.interpolate(SITE.waterline_local.project(shapely.Point(e, n)))
        assert 300 <= edge.distance(on_map) <= 500

        # the live streams' events use it: a pipeline the service makes for a new stream
        pipe = stream_manager(srv.app)._factory()
        assert pipe.events.tide(time.time()) == 1.0

        assert (await pilot.delete("/tide")).status_code == 204
        body = (await patrol.get("/tide")).json()
        assert body["known"] is False and body["observed"] is None
        assert pipe.events.tide(time.time()) is None


async def test_a_tide_table_gives_the_height_the_trend_and_the_next_turns(
    start_server: StartServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = time.time()
    h = 6 * 3600 + 12 * 60
    rows = [(now - h / 2 + k * h, 7.0 if k % 2 == 0 else 1.0) for k in range(4)]
    csv = tmp_path / "tides.csv"
    csv.write_text(
        "time,height_m\n" + "".join(f"{datetime.fromtimestamp(t, UTC).isoformat()},{v}\n" for t, v in rows)
    )
    monkeypatch.setenv("SHOREWATCH_TIDE_TABLE", str(csv))
    srv = await start_server()
    async with srv.client("patrol") as patrol:
        body = (await patrol.get("/tide")).json()
    assert body["source"] == "table" and body["height_m"] == pytest.approx(4.0, abs=0.2)  # half tide, falling
    assert body["rising"] is False
    assert [t["kind"] for t in body["next"]] == ["low", "high"]
    assert body["next"][0]["time_s"] == pytest.approx(rows[1][0], abs=1)
    assert body["table"]["source"] == str(csv)
    assert body["water_edge"] is not None


async def test_a_bad_tide_table_is_reported_and_the_service_goes_on(
    start_server: StartServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv = tmp_path / "tides.csv"
    csv.write_text("2026-12-01 05:00,7.0\n2026-12-01 11:12,1.0\n")  # local times, no offset
    monkeypatch.setenv("SHOREWATCH_TIDE_TABLE", str(csv))
    srv = await start_server()
    async with srv.client("patrol") as patrol, srv.client("pilot") as pilot:
        body = (await patrol.get("/tide")).json()
        assert body["known"] is False and "no UTC offset" in body["problem"]
        assert (await patrol.get("/coverage")).status_code == 200  # the streams' side is up
        assert (await pilot.put("/tide", json={"height_m": 3.0})).json()["source"] == "observed"


async def test_a_reported_height_outlives_a_restart_while_it_is_valid(start_server: StartServer) -> None:
    """The service restarted at dawn must not forget the height a pilot reported an hour ago:
    low-tide walkers would be "in the water" again until someone noticed."""
    srv = await start_server()
    async with srv.client("pilot") as pilot:
        assert (await pilot.put("/tide", json={"height_m": 1.4, "valid_for_min": 90})).status_code == 200
    kept = srv.settings.state_dir / "tide_report.json"
    assert kept.exists()
    again = await start_server(state_dir=srv.settings.state_dir, users=False)
    again = Running(again.app, again.url, srv.tokens, again.settings)  # the same users' database
    async with again.client("patrol") as patrol, again.client("pilot") as pilot:
        body = (await patrol.get("/tide")).json()
        assert body["source"] == "observed" and body["height_m"] == 1.4
        assert body["observed"]["by"] == "test-pilot"
        assert stream_manager(again.app)._factory().events.tide(time.time()) == 1.4
        assert (await pilot.delete("/tide")).status_code == 204
    assert not kept.exists()
    third = await start_server(state_dir=srv.settings.state_dir, users=False)
    assert stream_manager(third.app).tide.now() == (None, "unknown")
