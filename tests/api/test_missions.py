"""Missions against the running app and the simulator over real TCP MAVLink: drones and their
live telemetry, plan + preview, launch, pause, resume, recall; bad plans refused clearly."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import pytest
from shapely.geometry import Point
from websockets.sync.client import connect as ws_connect

from shorewatch.site import DroneConfig, load_site
from tests.browser.live import LiveServer, free_port, wait_for

SPEEDUP = 40.0
PATROL = {
    "start": "Sangatte",
    "end": "Escalles (Cap Blanc-Nez)",
    "alt_m": 40,
    "speed_mps": 12,
    "offset_m": 100,
}


@pytest.fixture(scope="module")
def fleet() -> Iterator[object]:
    from flight.sim.sitl import SimFleet

    port = free_port()
    with SimFleet(instances=1, speedup=SPEEDUP, base_port=port, site=load_site()) as f:
        yield f


@pytest.fixture(scope="module")
def server(fleet: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    drones = [DroneConfig(id="drone-1", connection=c) for c in fleet.connection_strings]  # type: ignore[attr-defined]
    with LiveServer(
        tmp_path_factory.mktemp("state"), configure=lambda app: setattr(app.state, "mission_drones", drones)
    ) as s:
        yield s


def drone(c: object, drone_id: str = "drone-1") -> dict:
    return {d["id"]: d for d in c.get("/drones").json()["data"]}[drone_id]  # type: ignore[attr-defined]


def test_drone_connects_and_streams_telemetry(server: LiveServer) -> None:
    with server.client("pilot") as c:
        d = wait_for(
            lambda: (x := drone(c))["link_ok"] and x["telemetry"] and x, 60, what="drone-1 to connect"
        )
        site = load_site()
        lp = site.launch_points[0]
        t = d["telemetry"]
        assert math.dist((t["lat_deg"], t["lon_deg"]), (lp.lat_deg, lp.lon_deg)) < 1e-3
        assert t["armed"] is False and 0 < t["battery_pct"] <= 100
    url = server.url.replace("http", "ws") + f"/ws/telemetry?token={server.tokens['patrol']}"
    with ws_connect(url, open_timeout=10) as ws:
        msgs = [json.loads(ws.recv(timeout=10)) for _ in range(3)]
    assert any(m["type"] == "drone" and m["drone"]["id"] == "drone-1" for m in msgs)


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"start": "Sangatte", "end": "Atlantis"}, 422, "no launch point or beach named 'Atlantis'"),
        ({"start": "Sangatte", "end": "Sangatte"}, 422, "need at least 200 m"),
        ({"start": "Sangatte", "end": "Wissant", "alt_m": 300}, 422, "ceiling"),
        ({"start": "Sangatte", "end": "Wissant", "drones": 2}, 422, "drones must be between 1 and 1"),
        ({"start": "Sangatte", "end": "Wissant", "alt_m": 5}, 422, "alt_m"),
        ({"start": "Sangatte"}, 422, "end"),
        (
            {"start": "16.4 km", "end": "99 km"},
            422,
            "'99 km' is past the end of the waterline; expected 0 to 36.38 km",
        ),
        ({"start": "16.4 km", "end": "16.5 km"}, 422, "need at least 200 m"),
        ({"start": "-3 km", "end": "16.5 km"}, 422, "no launch point or beach named '-3 km'"),
    ],
)
def test_bad_plans_are_refused(server: LiveServer, body: dict, status: int, says: str) -> None:
    with server.client("pilot") as c:
        r = c.post("/missions/plan", json=body)
    assert r.status_code == status, r.text
    assert says in r.text


def test_a_stretch_given_in_km_along_the_waterline_is_planned_over_that_stretch(server: LiveServer) -> None:
    """What the pilot's "plan a patrol over this gap" sends: the gap's ends as GET /coverage gives them."""
    from flight.planning import position_along_coast

    site = load_site()
    lp = site.launch_points[0]  # the drone's home: a stretch near it, so the battery allows it
    a0 = position_along_coast(site, lp.lat_deg, lp.lon_deg) + 300
    start, end = f"{a0 / 1000:.2f} km", f"{(a0 + 1200) / 1000:.2f} km"
    with server.client("pilot") as c:
        r = c.post("/missions/plan", json={"start": start, "end": end, "alt_m": 40, "offset_m": 60})
    assert r.status_code == 200, r.text
    wps = [w for route in r.json()["routes"] for w in route["waypoints"][1:-1]]  # not take-off, RTL
    along = [position_along_coast(site, w["lat_deg"], w["lon_deg"]) for w in wps]
    # the route covers that stretch, end to end, and goes no further than from home to it
    home = a0 - 300
    assert home - 200 < min(along) <= a0 + 50 and a0 + 1150 <= max(along) < a0 + 1400, along
    # how long a stretch goes unseen if the patrol is flown again and again, battery swaps between
    rv = r.json()["revisit"]
    duration_s = r.json()["routes"][0]["duration_s"]
    assert rv["swap_s"] == 300.0 and rv["never_seen_pct"] == 0.0
    assert duration_s <= rv["worst_s"] <= duration_s + 300.0, (rv, duration_s)
    assert a0 / 1000 <= rv["worst_at_km"] <= (a0 + 1200) / 1000
    assert "every stretch seen again within" in rv["summary"]


def test_at_low_tide_the_patrol_follows_the_water_edge(server: LiveServer) -> None:
    from flight.planning import position_along_coast

    site = load_site()
    lp = site.launch_points[0]  # Sangatte, on a beach that dries 350 m at low water
    a0 = position_along_coast(site, lp.lat_deg, lp.lon_deg) + 300
    body = {
        "start": f"{a0 / 1000:.2f} km",
        "end": f"{(a0 + 1200) / 1000:.2f} km",
        "alt_m": 40,
        "offset_m": 60,
    }
    wl = site.waterline_local

    def offshore(r: object) -> float:
        wps = [w for route in r.json()["routes"] for w in route["waypoints"][1:-1]]  # type: ignore[attr-defined]
        return sorted(wl.distance(site.to_local(Point(w["lon_deg"], w["lat_deg"]))) for w in wps)[
            len(wps) // 2
        ]

    with server.client("pilot") as c:
        high = c.post("/missions/plan", json=body)
        assert high.status_code == 200, high.text
        assert not any("tide" in w for w in high.json()["warnings"])
        try:
            assert c.put("/tide", json={"height_m": 1.0}).status_code == 200
            low = c.post("/missions/plan", json=body)
        finally:
            c.delete("/tide")
    assert low.status_code == 200, low.text
    drying = float(site.water_edge_shift_m(*site.frame.to_local(lp.lat_deg, lp.lon_deg), 1.0)[0])
    assert drying > 250
    # the median waypoint: 60 m off the mapped waterline at high water, 60 m off the low-tide edge now
    assert offshore(high) == pytest.approx(60, abs=20)
    assert offshore(low) == pytest.approx(60 + drying, abs=60)
    assert any("tide 1.0 m: offshore counted from the water's edge" in w for w in low.json()["warnings"])


@pytest.mark.parametrize(
    ("role", "method", "path", "status"),
    [
        (None, "GET", "/drones", 401),
        ("trainer", "GET", "/drones", 403),
        ("patrol", "GET", "/drones", 200),
        ("patrol", "POST", "/missions/plan", 403),
        ("patrol", "GET", "/missions", 403),
        ("pilot", "GET", "/missions", 200),
        ("pilot", "GET", "/missions/mission-nope", 404),
        ("pilot", "POST", "/missions/mission-nope/recall", 404),
        ("pilot", "POST", "/missions/mission-nope/explode", 404),
    ],
)
def test_mission_routes_roles_and_unknowns(
    server: LiveServer, role: str | None, method: str, path: str, status: int
) -> None:
    with server.client(role) as c:
        r = c.request(
            method, path, json={"start": "Sangatte", "end": "Wissant"} if method == "POST" else None
        )
    assert r.status_code == status, r.text


def test_plan_launch_pause_resume_recall(server: LiveServer, fleet: object) -> None:
    with server.client("pilot") as c:
        wait_for(lambda: drone(c)["link_ok"] and drone(c)["telemetry"], 60, what="drone-1 to connect")
        r = c.post(
            "/missions/plan",
            json=PATROL,
        )
        assert r.status_code == 200, r.text
        plan = r.json()
        (route,) = plan["routes"]
        assert route["drone_id"] == "drone-1" and len(route["waypoints"]) >= 3 and route["length_m"] > 1000
        assert c.post("/missions", json={"plan_id": "plan-nope"}).status_code == 404

        r = c.post("/missions", json={"plan_id": plan["plan_id"]})
        assert r.status_code == 201, r.text
        mid = r.json()["id"]
        start = drone(c)["telemetry"]
        wait_for(
            lambda: c.get(f"/missions/{mid}").json()["status"] == "flying", 90, what="the mission to fly"
        )
        assert c.post("/missions", json={"plan_id": plan["plan_id"]}).status_code == 409  # drone busy

        def moved() -> bool:
            t = drone(c)["telemetry"]
            return (
                t["armed"]
                and t["rel_alt_m"] > 20
                and math.dist((t["lat_deg"], t["lon_deg"]), (start["lat_deg"], start["lon_deg"])) > 0.002
            )

        wait_for(moved, 90, what="the drone to climb and fly along the route")

        r = c.post(f"/missions/{mid}/pause")
        assert r.status_code == 200 and r.json()["status"] == "paused", r.text
        wait_for(lambda: drone(c)["telemetry"]["mode"] == "LOITER", 30, what="LOITER after pause")
        assert c.post(f"/missions/{mid}/pause").json()["status"] == "paused"
        r = c.post(f"/missions/{mid}/resume")
        assert r.status_code == 200 and r.json()["status"] == "flying", r.text
        wait_for(lambda: drone(c)["telemetry"]["mode"] == "AUTO", 30, what="AUTO after resume")

        r = c.post(f"/missions/{mid}/recall")
        assert r.status_code == 200 and r.json()["status"] == "returning", r.text
        assert any("recalled" in n for n in r.json()["notes"])
        wait_for(lambda: drone(c)["telemetry"]["mode"] == "RTL", 30, what="RTL after recall")
        m = wait_for(
            lambda: (x := c.get(f"/missions/{mid}").json())["status"] == "completed" and x,
            120,
            what="the recalled drone to land",
        )
        assert m["notes"]
        assert drone(c)["telemetry"]["armed"] is False and drone(c)["mission_id"] is None
        assert c.post(f"/missions/{mid}/recall").status_code == 409  # nothing left to recall


def _patrol_in_auto(c: object) -> tuple[str, dict]:
    """Launch drone-1 on a patrol from Sangatte; return the mission id and its telemetry once the
    patrol flies in AUTO (the take-off before it is GUIDED)."""
    plan = c.post(  # type: ignore[attr-defined]
        "/missions/plan",
        json=PATROL,
    ).json()
    mid = c.post("/missions", json={"plan_id": plan["plan_id"]}).json()["id"]  # type: ignore[attr-defined]
    wait_for(
        lambda: (
            c.get(f"/missions/{mid}").json()["status"] == "flying"  # type: ignore[attr-defined]
            and drone(c)["telemetry"]["mode"] == "AUTO"
        ),
        90,
        what="the patrol to fly in AUTO",
    )
    return mid, drone(c)["telemetry"]


def test_a_pilot_sends_the_drone_to_orbit_a_point_then_it_resumes_its_patrol(
    server: LiveServer, fleet: object
) -> None:
    from shorewatch.geo import bearing_deg, distance_m, offset

    with server.client("pilot") as c:
        wait_for(lambda: drone(c)["link_ok"] and drone(c)["telemetry"], 60, what="drone-1 to connect")
        # refused with the reason: outside the geofence; nobody airborne yet
        r = c.post("/drones/investigate", json={"lat_deg": 51.5, "lon_deg": 2.5})
        assert r.status_code == 422 and "outside the site's geofence" in r.text, r.text
        r = c.post("/drones/investigate", json={"lat_deg": 50.9300, "lon_deg": 1.7400})
        assert r.status_code == 409 and "no drone is airborne" in r.text, r.text
        assert c.post("/drones/investigate", json={"lat_deg": 50.93}).status_code == 422
        # 30 m outside the rescue centre's no-fly zone: a 60 m orbit would cross it
        site = load_site()
        zone = site.no_fly[0]
        z = site.to_local(zone.geometry)  # a disc round the centre, in metres
        from shapely.geometry import Point

        p = Point(z.bounds[0] - 30, z.centroid.y)  # 30 m west of its westmost point
        assert 20 < z.distance(p) < 40
        lat, lon = site.frame.to_geo(p.x, p.y)
        r = c.post("/drones/investigate", json={"lat_deg": lat, "lon_deg": lon, "radius_m": 60})
        assert r.status_code == 422 and f"enters no-fly zone {zone.name!r}" in r.text, r.text
        # inside the geofence, but 30 m from its edge: a 60 m orbit would cross it
        fence = site.to_local(site.geofence)
        v, ctr = Point(fence.exterior.coords[0]), fence.centroid
        k = 30 / v.distance(ctr)
        q = Point(v.x + (ctr.x - v.x) * k, v.y + (ctr.y - v.y) * k)
        assert fence.contains(q) and fence.exterior.distance(q) < 60
        lat, lon = site.frame.to_geo(q.x, q.y)
        r = c.post("/drones/investigate", json={"lat_deg": lat, "lon_deg": lon, "radius_m": 60})
        assert r.status_code == 422 and "crosses the site's geofence" in r.text, r.text
        mid, t = _patrol_in_auto(c)
        target = offset(t["lat_deg"], t["lon_deg"], 315.0, 150.0)  # 150 m out to sea (north-west)
        r = c.post(
            "/drones/investigate",
            json={"lat_deg": target[0], "lon_deg": target[1], "radius_m": 50, "alert_id": 7},
        )
        assert r.status_code == 202, r.text
        assert r.json()["id"] == "drone-1" and "alert #7" in r.json()["investigating"]
        r = c.post(
            "/drones/investigate", json={"lat_deg": target[0], "lon_deg": target[1], "drone_id": "drone-1"}
        )
        assert r.status_code == 409 and "already orbiting" in r.text, r.text
        # it circles the point: GUIDED, 50 m from it, seen from several sides
        bearings = set()

        def circling() -> bool:
            tt = drone(c)["telemetry"]
            if tt["mode"] == "GUIDED" and abs(distance_m(tt["lat_deg"], tt["lon_deg"], *target) - 50) < 15:
                bearings.add(round(bearing_deg(*target, tt["lat_deg"], tt["lon_deg"]) / 90) % 4)
            return len(bearings) >= 3

        wait_for(circling, 90, what="the drone to circle the point")
        # then back to the patrol where it stopped
        d = wait_for(
            lambda: (x := drone(c))["investigating"] is None and x["telemetry"]["mode"] == "AUTO" and x,
            120,
            what="the drone to resume its patrol",
        )
        assert d["mission_id"] == mid
        notes = c.get(f"/missions/{mid}").json()["notes"]
        assert any("orbiting alert #7" in n for n in notes) and any("orbit done" in n for n in notes), notes
        assert any("patrol resumed" in n for n in notes), notes
        assert c.get(f"/missions/{mid}").json()["status"] == "flying"
        c.post(f"/missions/{mid}/recall")
        wait_for(
            lambda: c.get(f"/missions/{mid}").json()["status"] == "completed", 120, what="the drone to land"
        )


def test_a_recall_during_an_orbit_wins(server: LiveServer, fleet: object) -> None:
    from shorewatch.geo import offset

    with server.client("pilot") as c:
        wait_for(lambda: (t := drone(c)["telemetry"]) and not t["armed"], 120, what="drone-1 on the ground")
        mid, t = _patrol_in_auto(c)
        target = offset(t["lat_deg"], t["lon_deg"], 315.0, 150.0)
        r = c.post("/drones/investigate", json={"lat_deg": target[0], "lon_deg": target[1], "laps": 3})
        assert r.status_code == 202, r.text
        wait_for(lambda: drone(c)["telemetry"]["mode"] == "GUIDED", 30, what="GUIDED for the orbit")
        r = c.post(f"/missions/{mid}/recall")
        assert r.status_code == 200, r.text
        wait_for(lambda: drone(c)["investigating"] is None, 30, what="the orbit to be cancelled")
        wait_for(lambda: drone(c)["telemetry"]["mode"] == "RTL", 30, what="RTL after the recall")
        m = wait_for(
            lambda: (x := c.get(f"/missions/{mid}").json())["status"] == "completed" and x,
            120,
            what="the recalled drone to land",
        )
        assert any("orbit cancelled by the pilot" in n for n in m["notes"]), m["notes"]
        assert not any("patrol resumed" in n or "holding over" in n for n in m["notes"]), m["notes"]


def test_link_loss_is_shown_and_recovers(server: LiveServer, fleet: object) -> None:
    vehicle = fleet.vehicles[0]  # type: ignore[attr-defined]
    with server.client("patrol") as c:
        wait_for(lambda: drone(c)["link_ok"], 60, what="drone-1 to connect")
        vehicle.cut_link()
        try:
            d = wait_for(
                lambda: (x := drone(c))["state"] == "link_lost" and x, 30, what="the link loss to show"
            )
            assert d["link_ok"] is False
        finally:
            vehicle.restore_link()
        wait_for(lambda: drone(c)["link_ok"], 60, what="the link to come back")
