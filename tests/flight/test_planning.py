"""Mission geometry: corridor patrols, surveys, sectors, legs; properties checked with hypothesis."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon

from flight.errors import PlanError
from flight.planning import (
    CMD_DO_MOUNT_CONTROL,
    CMD_NAV_RETURN_TO_LAUNCH,
    CMD_NAV_TAKEOFF,
    CMD_NAV_WAYPOINT,
    BatteryModel,
    GeoPoint,
    area_survey,
    best_depression,
    coast_segment,
    corridor_patrol,
    fleet_corridor,
    footprint,
    nadir_width_m,
    split_area,
    split_legs,
    split_sectors,
    survey_lanes,
)
from flight.routing import CLEARANCE_M
from flight.validation import validate_plan
from shorewatch.site import load_site

SITE = load_site()
COAST_M = SITE.waterline_local.length
LAUNCH = [GeoPoint(p.lat_deg, p.lon_deg) for p in SITE.launch_points]


def _route_local(plan):
    """The patrol route: the plan's waypoints less the transits from and back to home."""
    pts = [SITE.frame.to_local(it.lat_deg, it.lon_deg) for it in plan.items if it.command == CMD_NAV_WAYPOINT]
    pre, post = plan.transit_wps
    pts = pts[pre : len(pts) - post]
    return LineString(pts) if len(pts) > 1 else Point(pts[0])


ZONES = [SITE.to_local(a.geometry) for a in SITE.no_fly]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.floats(0, COAST_M - 2500),
    length=st.floats(1500, 5000),
    standoff=st.floats(30, 400),
    alt=st.floats(20, 120),
    laps=st.integers(1, 3),
)
def test_corridor_route_stays_in_the_corridor_seaward_and_inside_the_fence(
    start, length, standoff, alt, laps
):
    end = min(start + length, COAST_M)
    plan = corridor_patrol(SITE, start_m=start, end_m=end, standoff_m=standoff, altitude_m=alt, laps=laps)
    seg = coast_segment(SITE, start, end)
    route = _route_local(plan)
    # every point of the route is within the standoff (+ simplification tolerance) of the coast segment
    tol = 15.0
    assert seg.hausdorff_distance(seg) == 0
    for x, y in route.coords:
        d = seg.distance(Point(x, y))
        # off the standoff only where it goes around a no-fly zone, and then just clear of it
        near_zone = min(z.distance(Point(x, y)) for z in ZONES)
        assert d <= standoff + tol or near_zone <= CLEARANCE_M + tol, (d, standoff, near_zone)
        # at sea: never over land by more than the tolerance
        assert SITE.land_local.distance(Point(x, y)) >= 0
        assert not SITE.land_local.buffer(-tol).contains(Point(x, y))
    # no leg of the route (nor of the way out and back) comes closer to a no-fly zone than the clearance
    flown = LineString([SITE.frame.to_local(p.lat_deg, p.lon_deg) for p in plan.nav_points()])
    assert min(z.distance(route) for z in ZONES) >= CLEARANCE_M - 1.0
    assert not any(flown.intersects(z) for z in ZONES)
    # altitude within limits, takeoff first, RTL last
    assert plan.items[0].command == CMD_NAV_TAKEOFF and plan.items[-1].command == CMD_NAV_RETURN_TO_LAUNCH
    assert all(
        it.alt_m == pytest.approx(alt)
        for it in plan.items
        if it.command in (CMD_NAV_WAYPOINT, CMD_NAV_TAKEOFF)
    )
    # the whole route lies inside the site's geofence
    fence = SITE.to_local(SITE.geofence)
    assert fence.buffer(1.0).covers(route)
    # laps: the route is flown `laps` times
    lap_len = sum(1 for it in plan.items if it.command == CMD_NAV_WAYPOINT)
    assert lap_len >= laps + 1
    assert plan.stats.length_m >= laps * seg.length * 0.8


@pytest.mark.parametrize("standoff", [100.0, 200.0, 300.0])
def test_camera_footprint_covers_beach_and_surf(standoff: float) -> None:
    plan = corridor_patrol(
        SITE,
        start_m=14000,
        end_m=18000,
        standoff_m=standoff,
        altitude_m=80,
        beach_width_m=120,
        surf_width_m=60,
    )
    assert -89 < plan.gimbal_pitch_deg < -10  # looking sideways and down at the band
    assert plan.stats.coverage_pct is not None and plan.stats.coverage_pct > 90
    yaws = [it.param3 for it in plan.items if it.command == CMD_DO_MOUNT_CONTROL]
    assert abs(yaws[0]) == 90


def test_turnarounds_flip_the_camera_and_hold() -> None:
    plan = corridor_patrol(SITE, start_m=14000, end_m=16000, laps=3, turn_hold_s=3)
    yaws = [it.param3 for it in plan.items if it.command == CMD_DO_MOUNT_CONTROL]
    assert yaws == [yaws[0], -yaws[0], yaws[0]]
    holds = [it.param1 for it in plan.items if it.command == CMD_NAV_WAYPOINT and it.param1 > 0]
    assert holds == [3, 3]


@pytest.mark.parametrize(
    ("alt", "depression", "near", "far"),
    [
        (80.0, 90.0, -40.6, 40.6),
        (100.0, 45.0, 100 / math.tan(math.radians(45 + 26.85)), 100 / math.tan(math.radians(45 - 26.85))),
    ],
)
def test_footprint_geometry(alt, depression, near, far) -> None:
    fp = footprint(alt, depression)
    assert fp.near_m == pytest.approx(near, rel=0.02)
    assert fp.far_m == pytest.approx(far, rel=0.02)


def test_footprint_reaching_the_horizon_is_unbounded() -> None:
    assert math.isinf(footprint(50, 20).far_m)
    d, cov = best_depression(80, 20, 180)
    fp = footprint(80, d)
    assert cov == pytest.approx(1.0) and fp.near_m <= 20.01 and fp.far_m >= 180
    assert best_depression(80, 20, 220)[1] < 1.0  # too wide a band for one view at 80 m


rect = st.builds(
    lambda w, h, ang: affinity.rotate(Polygon([(0, 0), (w, 0), (w, h), (0, h)]), ang, origin=(0, 0)),
    st.floats(50, 800),
    st.floats(50, 800),
    st.floats(0, 180),
)


@settings(max_examples=40, deadline=None)
@given(area=rect, spacing=st.floats(20, 150), angle=st.one_of(st.none(), st.floats(0, 180)))
def test_survey_lanes_cover_the_polygon(area, spacing, angle):
    lanes = survey_lanes(area, spacing, angle)
    swath = Polygon()
    from shapely.ops import unary_union

    swath = unary_union([ln.buffer(spacing / 2 + 0.01, cap_style="flat") for ln in lanes])
    assert area.difference(swath).area <= 1e-3 * area.area + 1.0
    # lanes are spaced `spacing` apart and alternate direction (boustrophedon)
    for a, b in itertools.pairwise(lanes):
        (ax0, ay0), (ax1, ay1) = a.coords
        (bx0, by0), (bx1, by1) = b.coords
        if a.length > 1 and b.length > 1:
            assert (ax1 - ax0) * (bx1 - bx0) + (ay1 - ay0) * (by1 - by0) < 0


def test_survey_of_a_beach_spacing_from_footprint_and_overlap() -> None:
    beach = next(b for b in SITE.beaches if "Wissant" in b.name)
    p30 = area_survey(SITE, beach.geometry, altitude_m=60, overlap=0.3)
    p60 = area_survey(SITE, beach.geometry, altitude_m=60, overlap=0.6)
    assert p30.stats.coverage_pct > 99 and p60.stats.coverage_pct > 99
    assert p60.stats.length_m > p30.stats.length_m
    assert nadir_width_m(60) == pytest.approx(2 * 60 * math.tan(math.radians(42)))
    assert p30.gimbal_pitch_deg == -90


def test_sectors_split_the_coast_evenly_and_fleet_gets_one_each() -> None:
    secs = split_sectors(12000, 3, 5000)
    assert secs == [(5000, 9000), (9000, 13000), (13000, 17000)]
    plans = fleet_corridor(SITE, 2, start_m=12000, end_m=20000)
    assert [p.drone_id for p in plans] == ["drone-1", "drone-2"]
    assert [p.sector for p in plans] == [0, 1]
    r0, r1 = _route_local(plans[0]), _route_local(plans[1])
    assert r0.distance(r1) < 50  # contiguous sectors
    assert abs(r0.length - r1.length) < 0.2 * r0.length


def test_split_area_in_equal_strips() -> None:
    sq = Polygon([(0, 0), (300, 0), (300, 100), (0, 100)])
    parts = split_area(sq, 3)
    assert [round(p.area) for p in parts] == [10000, 10000, 10000]


def test_legs_fit_the_battery_and_cover_the_route() -> None:
    bat = BatteryModel(endurance_s=1200, reserve_pct=25)
    plan = corridor_patrol(SITE, start_m=8000, end_m=20000, battery=bat)
    assert validate_plan(plan, SITE, battery=bat)  # too long as one flight
    legs = split_legs(plan, bat, launch_points=LAUNCH)
    assert len(legs) >= 2
    for leg in legs:
        assert leg.stats.duration_s <= bat.usable_s + 1e-6
    # consecutive legs join up: the last waypoint of one is the first of the next
    for a, b in itertools.pairwise(legs):
        wa = [it for it in a.items if it.command == CMD_NAV_WAYPOINT][-1]
        wb = next(it for it in b.items if it.command == CMD_NAV_WAYPOINT)
        assert (wa.lat_deg, wa.lon_deg) == pytest.approx((wb.lat_deg, wb.lon_deg), abs=1e-7)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start_m": 5000, "end_m": 4000}, "start_m < end_m"),
        ({"end_m": COAST_M + 5000}, "start_m < end_m"),
        ({"altitude_m": -5}, "altitude_m must be > 0"),
        ({"speed_mps": 90}, "speed_mps"),
        ({"laps": 0}, "laps must be >= 1"),
        ({"beach_width_m": 0, "surf_width_m": 0}, "positive sum"),
    ],
)
def test_bad_corridor_inputs_are_refused(kwargs, message) -> None:
    with pytest.raises(PlanError, match=message):
        corridor_patrol(SITE, **kwargs)


def test_unreachable_leg_is_refused() -> None:
    plan = corridor_patrol(SITE, start_m=0, end_m=3000, home=GeoPoint(50.75, 1.62))
    with pytest.raises(PlanError, match="cannot be reached"):
        split_legs(plan, BatteryModel(endurance_s=300))
