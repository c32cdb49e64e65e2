"""Detours around no-fly zones: shortest paths in the free space, and plans that use them."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon, box

from flight.planning import (
    CMD_NAV_WAYPOINT,
    BatteryModel,
    GeoPoint,
    corridor_patrol,
    split_legs,
)
from flight.routing import CLEARANCE_M, FENCE_MARGIN_M, FreeSpace
from flight.validation import codes, validate_plan
from shorewatch.site import load_site

SITE = load_site()
CROSS = next(a for a in SITE.no_fly if "CROSS" in a.name)
CROSS_LOCAL = SITE.to_local(CROSS.geometry)
FENCE = box(-5000, -5000, 5000, 5000)


def _length(path):
    return sum(math.dist(a, b) for a, b in itertools.pairwise(path))


coord = st.floats(-4500, 4500)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cx=st.floats(-2000, 2000),
    cy=st.floats(-2000, 2000),
    r=st.floats(50, 1200),
    ax=coord,
    ay=coord,
    bx=coord,
    by=coord,
)
def test_shortest_path_goes_round_a_zone_inside_the_fence(cx, cy, r, ax, ay, bx, by) -> None:
    zone = Point(cx, cy).buffer(r)
    fs = FreeSpace(FENCE, [zone])
    a, b = (ax, ay), (bx, by)
    path = fs.shortest_path(a, b)
    reachable = fs.contains(a) and fs.contains(b)
    if not reachable:
        assert path is None
        return
    assert path is not None
    assert path[0] == a and path[-1] == b
    line = LineString(path)
    assert line.distance(zone) >= CLEARANCE_M - 1.0  # never closer than the clearance
    assert FENCE.buffer(-FENCE_MARGIN_M + 1.0).covers(line)  # inside the fence, with its margin
    straight = math.dist(a, b)
    assert _length(path) >= straight - 1e-6
    if LineString([a, b]).distance(zone) >= CLEARANCE_M:
        assert path == [a, b]  # a clear leg is left alone
    else:
        # no longer than going half way round the grown zone plus the straight distance
        assert _length(path) <= straight + math.pi * (r + CLEARANCE_M) + 1.0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pts=st.lists(st.tuples(coord, coord), min_size=2, max_size=8))
def test_reroute_keeps_every_leg_clear_or_leaves_the_path_alone(pts) -> None:
    zones = [Point(-1000, 0).buffer(600), box(800, -1500, 1400, 1500)]
    fs = FreeSpace(FENCE, zones)
    out = fs.reroute(pts)
    if any(fs.contains(p) for p in pts) and out != [tuple(map(float, p)) for p in pts]:
        for a, b in itertools.pairwise(out):
            assert fs.clear(a, b)
        assert all(LineString(out).distance(z) >= CLEARANCE_M - 1.0 for z in zones)
        # the vertices that were clear are all still there, in order
        kept = [tuple(map(float, p)) for p in pts if fs.contains(p)]
        it = iter(out)
        assert all(any(q == k for q in it) for k in kept)
    else:
        assert all(fs.clear(a, b) for a, b in itertools.pairwise(out)) or out == [
            tuple(map(float, p)) for p in pts
        ]


@pytest.mark.parametrize(
    ("a", "b", "expect"),
    [
        ((-3000.0, 0.0), (3000.0, 0.0), "around"),  # straight through the zone
        ((-3000.0, 2000.0), (3000.0, 2000.0), "straight"),  # clear of it
        ((0.0, 0.0), (3000.0, 0.0), None),  # starts inside the zone: cannot be fixed
        ((-3000.0, 0.0), (6000.0, 0.0), None),  # ends outside the fence
    ],
)
def test_shortest_path_cases(a, b, expect) -> None:
    fs = FreeSpace(FENCE, [Point(0, 0).buffer(500)])
    path = fs.shortest_path(a, b)
    if expect is None:
        assert path is None
        assert fs.reroute([a, b]) == [a, b]  # left for validation to refuse
    elif expect == "straight":
        assert path == [a, b]
    else:
        assert path is not None and len(path) > 2
        assert LineString(path).distance(Point(0, 0)) >= 500 + CLEARANCE_M - 1


def test_a_zone_that_closes_the_fence_has_no_way_round() -> None:
    wall = box(-200, -6000, 200, 6000)  # cuts the fence in two
    fs = FreeSpace(FENCE, [wall])
    assert fs.shortest_path((-3000, 0), (3000, 0)) is None
    assert fs.reroute([(-3000, 0), (3000, 0)]) == [(-3000.0, 0.0), (3000.0, 0.0)]


def test_bad_margins_are_refused() -> None:
    with pytest.raises(ValueError, match="clearance_m"):
        FreeSpace(FENCE, [], clearance_m=-1)


# -- on the built-in site ---------------------------------------------------------------------


def _nav_local(plan):
    return LineString([SITE.frame.to_local(p.lat_deg, p.lon_deg) for p in plan.nav_points()])


def test_a_corridor_round_cap_gris_nez_goes_round_the_cross_zone() -> None:
    # 19-23.5 km: round the cape, where a 30 m standoff runs through the CROSS zone
    plan = corridor_patrol(SITE, start_m=19000, end_m=23500, standoff_m=30, altitude_m=60)
    assert "enters_no_fly_zone" not in codes(validate_plan(plan, SITE))
    flown = _nav_local(plan)
    assert flown.distance(CROSS_LOCAL) >= CLEARANCE_M - 1
    # it went round (hugging the zone), not stopped at it: the route passes within 2x clearance
    assert flown.distance(CROSS_LOCAL) <= 2 * CLEARANCE_M
    assert SITE.to_local(SITE.geofence).covers(flown)
    # and both ends of the patrol are still flown
    wps = [it for it in plan.items if it.command == CMD_NAV_WAYPOINT]
    assert len(wps) > 4


def test_the_way_home_goes_round_the_zone() -> None:
    # home south of the cape, patrol north of it: out and back cross the CROSS zone unless routed
    home = SITE.launch_point("Audinghen (Cap Gris-Nez)")
    plan = corridor_patrol(
        SITE, start_m=20000, end_m=21000, home=GeoPoint(home.lat_deg, home.lon_deg), altitude_m=60
    )
    pre, post = plan.transit_wps
    assert pre + post > 0
    wps = [it for it in plan.items if it.command == CMD_NAV_WAYPOINT]
    first = wps[0] if post else wps[pre]  # the route's end nearest home
    straight = LineString(
        [SITE.frame.to_local(home.lat_deg, home.lon_deg), SITE.frame.to_local(first.lat_deg, first.lon_deg)]
    )
    if pre:
        assert straight.intersects(CROSS_LOCAL)  # flown straight, it would cross the zone
    assert not _nav_local(plan).intersects(CROSS_LOCAL)
    assert validate_plan(plan, SITE) == []


def test_legs_route_their_own_way_out_and_back() -> None:
    bat = BatteryModel(endurance_s=1200)
    plan = corridor_patrol(SITE, start_m=16000, end_m=30000, altitude_m=60, standoff_m=30)
    legs = split_legs(plan, bat, launch_points=[GeoPoint(p.lat_deg, p.lon_deg) for p in SITE.launch_points])
    assert len(legs) >= 2
    for leg in legs:
        probs = codes(validate_plan(leg, SITE, battery=bat))
        assert "enters_no_fly_zone" not in probs and "outside_geofence" not in probs, probs


def test_what_cannot_be_fixed_is_still_refused() -> None:
    # a home inside the CROSS zone: no detour can start there
    c = CROSS.geometry.centroid
    plan = corridor_patrol(SITE, start_m=19000, end_m=20500, home=GeoPoint(c.y, c.x), altitude_m=60)
    assert "enters_no_fly_zone" in codes(validate_plan(plan, SITE))
    # and a home far outside the geofence
    far = corridor_patrol(SITE, start_m=14000, end_m=15000, home=GeoPoint(50.80, 1.80), altitude_m=60)
    assert "outside_geofence" in codes(validate_plan(far, SITE))


def test_a_hand_made_zone_across_the_corridor() -> None:
    # a zone across the whole corridor at Wissant: the patrol cannot pass, the fence is in the way
    s = 15966.0
    p = SITE.waterline_local.interpolate(s)
    wall = Polygon(box(p.x - 100, p.y - 8000, p.x + 100, p.y + 8000))
    site = SITE.model_copy(
        update={"no_fly": (*SITE.no_fly, type(SITE.no_fly[0])(name="wall", geometry=SITE.to_geo(wall)))}
    )
    plan = corridor_patrol(site, start_m=s - 1500, end_m=s + 1500, altitude_m=60)
    assert "enters_no_fly_zone" in codes(validate_plan(plan, site))
