"""QGroundControl .plan export/import, GeoJSON route, and plan validation rules."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from shapely.geometry import Polygon

from flight.errors import PlanFormatError, PlanValidationError
from flight.planning import CMD_NAV_WAYPOINT, BatteryModel, GeoPoint, MissionItem, corridor_patrol
from flight.qgc import load_plan, plan_from_qgc, route_geojson, save_plan
from flight.validation import check_area, check_plan, validate_plan
from shorewatch.site import load_site

SITE = load_site()
PLAN = corridor_patrol(SITE, start_m=14000, end_m=17000, altitude_m=70, laps=2)


def test_plan_round_trips_through_a_qgc_file(tmp_path: Path) -> None:
    path = save_plan(PLAN, tmp_path / "m.plan")
    doc = json.loads(path.read_text())
    assert doc["fileType"] == "Plan" and doc["mission"]["version"] == 2
    assert doc["mission"]["plannedHomePosition"][:2] == [PLAN.home.lat_deg, PLAN.home.lon_deg]
    assert doc["mission"]["items"][0]["command"] == 22 and doc["mission"]["items"][0]["Altitude"] == 70
    assert doc["geoFence"]["polygons"][0]["inclusion"] is True
    assert any(not p["inclusion"] for p in doc["geoFence"]["polygons"])  # no-fly zones as exclusions
    assert len(doc["rallyPoints"]["points"]) == len(SITE.launch_points)
    back = load_plan(path)
    assert back.items == PLAN.items
    assert back.home == PLAN.home
    assert back.stats.length_m == pytest.approx(PLAN.stats.length_m)
    assert back.geofence is not None and back.geofence.equals_exact(PLAN.geofence, 1e-9)
    assert validate_plan(back, SITE) == validate_plan(PLAN, SITE)


def test_route_geojson_has_the_route_and_waypoints() -> None:
    fc = route_geojson(PLAN)
    route = fc["features"][0]
    assert route["geometry"]["type"] == "LineString"
    assert route["geometry"]["coordinates"][0][:2] == [PLAN.home.lon_deg, PLAN.home.lat_deg]
    wps = [f for f in fc["features"] if f["properties"]["role"] == "waypoint"]
    assert len(wps) == sum(1 for it in PLAN.items if it.command == CMD_NAV_WAYPOINT)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"fileType": "Mission"}, "fileType"),
        ({"fileType": "Plan"}, 'no "mission"'),
        ({"fileType": "Plan", "mission": {"items": []}}, "plannedHomePosition"),
        (
            {
                "fileType": "Plan",
                "mission": {"plannedHomePosition": [50, 1, 0], "items": [{"type": "ComplexItem"}]},
            },
            "only SimpleItem",
        ),
        (
            {
                "fileType": "Plan",
                "mission": {
                    "plannedHomePosition": [50, 1, 0],
                    "items": [{"type": "SimpleItem", "command": 16, "params": [0, 0]}],
                },
            },
            "7 numbers",
        ),
        ({"fileType": "Plan", "mission": {"plannedHomePosition": ["x", 1], "items": []}}, "not numeric"),
    ],
)
def test_malformed_plans_are_refused(doc, message) -> None:
    with pytest.raises(PlanFormatError, match=message):
        plan_from_qgc(doc)


def test_plan_file_errors(tmp_path: Path) -> None:
    with pytest.raises(PlanFormatError, match="not found"):
        load_plan(tmp_path / "none.plan")
    bad = tmp_path / "bad.plan"
    bad.write_text("{oops")
    with pytest.raises(PlanFormatError, match="not valid JSON"):
        load_plan(bad)


def _with_wp(lat: float, lon: float, alt: float = 70.0):
    items = list(PLAN.items)
    i = next(k for k, it in enumerate(items) if it.command == CMD_NAV_WAYPOINT)
    items.insert(i + 1, MissionItem(CMD_NAV_WAYPOINT, lat_deg=lat, lon_deg=lon, alt_m=alt))
    return replace(PLAN, items=tuple(items))


CROSS = next(z for z in SITE.no_fly if "CROSS" in z.name).geometry.centroid


@pytest.mark.parametrize(
    ("plan", "code", "message"),
    [
        (replace(PLAN, items=()), "empty", "no items"),
        (_with_wp(95.0, 1.6), "coordinate_out_of_range", "out of range"),
        (_with_wp(50.9, float("nan")), "coordinate_out_of_range", "NaN"),
        (_with_wp(50.88, 1.63, alt=121.0), "altitude_above_ceiling", "above the 120 m ceiling"),
        (_with_wp(50.88, 1.63, alt=2.0), "altitude_too_low", "below the 5 m minimum"),
        (_with_wp(51.2, 1.2), "outside_geofence", "outside the geofence"),
        (_with_wp(CROSS.y, CROSS.x), "enters_no_fly_zone", "CROSS Gris-Nez"),
    ],
)
def test_each_rule_names_the_problem(plan, code, message) -> None:
    problems = validate_plan(plan, SITE)
    hits = [p for p in problems if str(p.code) == code]
    assert hits, problems
    assert message in hits[0].message
    with pytest.raises(PlanValidationError, match=code):
        check_plan(plan, SITE)


def test_battery_rule_and_a_clean_plan() -> None:
    short = corridor_patrol(SITE, start_m=14000, end_m=15000, altitude_m=60)
    assert validate_plan(short, SITE) == []
    probs = validate_plan(short, SITE, battery=BatteryModel(endurance_s=200))
    assert [str(p.code) for p in probs] == ["exceeds_battery"]
    assert "reserve" in probs[0].message


@pytest.mark.parametrize(
    ("poly", "message"),
    [
        (Polygon([(1.6, 50.8), (1.7, 50.9), (1.7, 50.8), (1.6, 50.9)]), "Self-intersection"),
        (Polygon([(1.6, 50.8), (1.7, 50.8), (1.7, 95.0)]), "out of range"),
    ],
)
def test_invalid_areas_are_refused(poly, message) -> None:
    with pytest.raises(PlanValidationError, match=message):
        check_area(poly)


def test_ceiling_follows_the_site_and_the_argument() -> None:
    plan = corridor_patrol(SITE, start_m=14000, end_m=15000, altitude_m=100, home=GeoPoint(50.885, 1.664))
    assert validate_plan(plan, SITE) == []
    assert [str(p.code) for p in validate_plan(plan, SITE, ceiling_m=90)] == ["altitude_above_ceiling"]
