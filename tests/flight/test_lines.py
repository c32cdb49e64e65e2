"""A patrol along a line drawn elsewhere (``flight.lines``, ``flight.planning.line_patrol``): KML
and GeoJSON read alike, bad files refused with the reason, the route follows the line around
no-fly zones, the camera keeps to the side asked for."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from shapely.geometry import LineString, Point

from flight.errors import PlanError
from flight.lines import load_line
from flight.planning import (
    CMD_DO_MOUNT_CONTROL,
    CMD_NAV_WAYPOINT,
    BatteryModel,
    line_patrol,
    split_legs,
)
from flight.validation import validate_plan
from shorewatch.site import load_site

SITE = load_site()
CLIFF = [(1.7120, 50.9270), (1.7050, 50.9240), (1.6980, 50.9220), (1.6900, 50.9190)]  # Cap Blanc-Nez


def kml(coords: list[tuple[float, float]], tag: str = "LineString") -> str:
    text = " ".join(f"{lon},{lat},0" for lon, lat in coords)
    return (
        '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark>'
        f"<{tag}><coordinates>{text}</coordinates></{tag}></Placemark></Document></kml>"
    )


def test_kml_and_geojson_give_the_same_line(tmp_path: Path) -> None:
    (tmp_path / "a.kml").write_text(kml(CLIFF))
    feature = {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": CLIFF}}
    (tmp_path / "b.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    multi = {"type": "MultiLineString", "coordinates": [CLIFF[:2], CLIFF]}  # the longest part
    (tmp_path / "c.json").write_text(json.dumps(multi))
    lines = [load_line(tmp_path / f) for f in ("a.kml", "b.geojson", "c.json")]
    assert all(list(line.coords) == CLIFF for line in lines)


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("point.kml", kml(CLIFF[:1], "Point"), "no <LineString>"),
        (
            "one.geojson",
            json.dumps({"type": "LineString", "coordinates": [CLIFF[0], CLIFF[0]]}),
            "two distinct",
        ),
        ("broken.kml", "<kml><Document>", "not readable KML"),
        ("broken.geojson", "{", "not readable JSON"),
        (
            "poly.geojson",
            json.dumps({"type": "Polygon", "coordinates": [[*CLIFF, CLIFF[0]]]}),
            "no LineString",
        ),
        ("text.kml", kml([(1.7, 50.9)]).replace("1.7,50.9,0", "east,north"), "not a number"),
        ("route.gpx", "<gpx/>", "expected a .kml, .geojson or .json"),
    ],
)
def test_bad_route_files_are_refused_with_the_reason(
    tmp_path: Path, name: str, content: str, says: str
) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(PlanError, match=says):
        load_line(tmp_path / name)
    with pytest.raises(PlanError, match="not found"):
        load_line(tmp_path / "missing.kml")


def _waypoints(plan) -> list[tuple[float, float]]:  # type: ignore[no-untyped-def]
    return [(it.lon_deg, it.lat_deg) for it in plan.items if it.command == CMD_NAV_WAYPOINT]


def _yaws(plan) -> list[float]:  # type: ignore[no-untyped-def]
    return [it.param3 for it in plan.items if it.command == CMD_DO_MOUNT_CONTROL]


def test_the_patrol_follows_the_line_and_keeps_the_camera_on_the_side_asked_for() -> None:
    line = LineString(CLIFF)
    plan = line_patrol(SITE, line, altitude_m=60, laps=2, look="left", depression_deg=40)
    assert plan.kind == "line" and validate_plan(plan, SITE) == []
    local = SITE.to_local(line)
    far = max(local.distance(SITE.to_local(Point(p))) for p in _waypoints(plan)[plan.transit_wps[0] :])
    assert far < 10.0  # every patrol waypoint on the drawn line
    assert plan.gimbal_pitch_deg == -40.0
    # home (Escalles) is nearer the east end, where the drawing starts: flown as drawn, the line's
    # left is the drone's left (-90), and the camera swings over on the way back to keep that side
    home = SITE.frame.to_local(plan.home.lat_deg, plan.home.lon_deg)
    assert math.dist(home, local.coords[0]) < math.dist(home, local.coords[-1])
    assert _yaws(plan) == [-90.0, 90.0]
    # drawn the other way round it is still flown from the nearer end: the same side is watched
    back = line_patrol(SITE, LineString(CLIFF[::-1]), altitude_m=60, laps=2, look="right", depression_deg=40)
    assert _yaws(back) == [-90.0, 90.0] and _waypoints(back) == _waypoints(plan)
    down = line_patrol(SITE, line, look="down")
    assert down.gimbal_pitch_deg == -90.0 and _yaws(down) == [0.0]


def test_a_line_across_a_no_fly_zone_is_flown_around_it() -> None:
    zone = next(a for a in SITE.no_fly if a.name.startswith("CROSS"))
    c = zone.geometry.centroid
    line = LineString([(c.x - 0.01, c.y - 0.004), (c.x + 0.01, c.y + 0.004)])
    assert line.intersects(zone.geometry)
    plan = line_patrol(SITE, line, altitude_m=50)
    assert validate_plan(plan, SITE) == []
    path = LineString(_waypoints(plan))
    assert not path.intersects(zone.geometry)
    legs = split_legs(plan, BatteryModel())
    assert legs and all(validate_plan(leg, SITE) == [] for leg in legs)


@pytest.mark.parametrize(
    ("kw", "says"),
    [
        (dict(look="up"), "look must be one of"),
        (dict(depression_deg=2.0), "depression_deg"),
        (dict(laps=0), "laps"),
        (dict(altitude_m=-5.0), "altitude"),
        (dict(line=LineString([(lat, lon) for lon, lat in CLIFF])), "lon before lat"),
    ],
)
def test_bad_line_settings_are_refused(kw: dict, says: str) -> None:
    with pytest.raises(PlanError, match=says):
        line_patrol(SITE, **({"line": LineString(CLIFF)} | kw))
    with pytest.raises(PlanError, match="at least 10 m"):
        line_patrol(SITE, LineString([CLIFF[0], (CLIFF[0][0] + 1e-5, CLIFF[0][1])]))
    assert math.isfinite(line_patrol(SITE, LineString(CLIFF)).stats.duration_s)
