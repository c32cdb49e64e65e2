"""Georeferencing: a ground point seen by the camera comes back to where it was, in lat/lon, with
an uncertainty that behaves like the geometry says it should."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detector.errors import GeorefError
from detector.georef import Georeferencer, anchor_pixels, boat_length_m, pose_from_telemetry
from shorewatch.camera import project
from shorewatch.geo import LocalFrame, distance_m
from shorewatch.types import DEFAULT_INTRINSICS, Frame, Telemetry

FRAME = LocalFrame(50.88, 1.66)
IMG = np.zeros((720, 1280, 3), np.uint8)


def _frame(tel: Telemetry) -> Frame:
    return Frame(IMG, tel.timestamp_s, "t", 0, tel, DEFAULT_INTRINSICS)


@settings(max_examples=150, deadline=None)
@given(
    e=st.floats(-3000, 3000),
    n=st.floats(-3000, 3000),
    alt=st.floats(15, 200),
    heading=st.floats(0, 359.9),
    pitch=st.floats(-90, -15),
    u=st.floats(20, 1260),
    v=st.floats(300, 700),
    surface=st.floats(-4.5, 4.5),
)
def test_georef_inverts_the_camera_model(
    e: float, n: float, alt: float, heading: float, pitch: float, u: float, v: float, surface: float
) -> None:
    """With the sea's surface anywhere a Channel tide puts it (``surface_m`` above mean sea level)."""
    lat, lon = FRAME.to_geo(e, n)
    tel = Telemetry(
        timestamp_s=0, lat_deg=lat, lon_deg=lon, alt_m=alt, heading_deg=heading, gimbal_pitch_deg=pitch
    )
    g = Georeferencer(FRAME)
    pts = g.locate_pixels(_frame(tel), [[u, v]], surface_m=surface)
    if not pts.ok[0]:
        return  # this pixel looks above the horizon or beyond range
    pose = pose_from_telemetry(tel, FRAME)
    px, ok = project([[pts.east_m[0], pts.north_m[0], surface]], pose, DEFAULT_INTRINSICS)
    assert ok[0]
    assert px[0] == pytest.approx([u, v], abs=1e-3)
    e2, n2 = FRAME.to_local(pts.lat_deg[0], pts.lon_deg[0])
    assert math.hypot(e2 - pts.east_m[0], n2 - pts.north_m[0]) < 1e-3


@pytest.mark.parametrize(
    ("alt_m", "pitch_deg", "target_east_m", "target_north_m"),
    [
        (60.0, -35.0, 0.0, 85.7),  # looking north at -35 deg from 60 m: the image centre is 85.7 m ahead
        (100.0, -90.0, 0.0, 0.0),  # nadir: straight below
        (40.0, -20.0, 0.0, 109.9),
    ],
)
def test_known_poses_land_where_the_trigonometry_says(
    alt_m: float, pitch_deg: float, target_east_m: float, target_north_m: float
) -> None:
    tel = Telemetry(
        timestamp_s=0, lat_deg=50.88, lon_deg=1.66, alt_m=alt_m, heading_deg=0.0, gimbal_pitch_deg=pitch_deg
    )
    g = Georeferencer(FRAME)
    pts = g.locate_pixels(_frame(tel), [[DEFAULT_INTRINSICS.cx_px, DEFAULT_INTRINSICS.cy_px]])
    e, n = FRAME.to_local(50.88, 1.66)
    assert pts.ok[0]
    assert pts.east_m[0] - e == pytest.approx(target_east_m, abs=0.1)
    assert pts.north_m[0] - n == pytest.approx(target_north_m, abs=0.1)
    expected_lat_lon = FRAME.to_geo(e + target_east_m, n + target_north_m)
    assert distance_m(pts.lat_deg[0], pts.lon_deg[0], *expected_lat_lon) < 0.1


def test_uncertainty_grows_towards_the_horizon_and_with_altitude_error() -> None:
    tel = Telemetry(timestamp_s=0, lat_deg=50.88, lon_deg=1.66, alt_m=60, heading_deg=0, gimbal_pitch_deg=-20)
    g = Georeferencer(FRAME)
    rows = [[640, 700], [640, 500], [640, 300]]
    err = g.locate_pixels(_frame(tel), rows).error_m
    assert err[0] < err[1] < err[2]
    assert err[0] >= g.config.position_sigma_m
    nadir = Telemetry(
        timestamp_s=0, lat_deg=50.88, lon_deg=1.66, alt_m=60, heading_deg=0, gimbal_pitch_deg=-90
    )
    assert g.locate_pixels(_frame(nadir), [[640, 360]]).error_m[0] < 5.0


@pytest.mark.parametrize(("reported_m", "used_m"), [(None, 2.5), (8.0, 8.0), (0.02, 0.5)])
def test_the_receivers_own_accuracy_sets_the_gnss_part_of_the_error(
    reported_m: float | None, used_m: float
) -> None:
    """A fix that degrades (the drone reports it in GPS_RAW_INT h_acc) widens every stated error
    by exactly that much, in quadrature; none reported: ``position_sigma_m``; an RTK fix's
    centimetres: at least ``min_position_sigma_m``."""
    kw = dict(timestamp_s=0, lat_deg=50.88, lon_deg=1.66, alt_m=60, heading_deg=0, gimbal_pitch_deg=-30)
    g = Georeferencer(FRAME)
    rows = [[640, 700], [640, 400], [200, 300]]
    base = g.locate_pixels(_frame(Telemetry(**kw)), rows)
    pts = g.locate_pixels(_frame(Telemetry(**kw, gnss_accuracy_m=reported_m)), rows)
    extra = used_m**2 - g.config.position_sigma_m**2
    assert pts.error_m**2 - base.error_m**2 == pytest.approx([extra] * 3, abs=1e-6)
    # the ellipse is per axis: a receiver's accuracy is radial, sqrt(2) x each axis's sigma
    per_axis = used_m**2 / (1 if reported_m is None else 2) - g.config.position_sigma_m**2
    assert pts.along_m**2 - base.along_m**2 == pytest.approx([per_axis] * 3, abs=1e-6)
    assert pts.across_m**2 - base.across_m**2 == pytest.approx([per_axis] * 3, abs=1e-6)
    assert list(pts.east_m) == list(base.east_m)  # where it is placed does not change


def test_a_negative_or_nan_gnss_accuracy_is_refused() -> None:
    from shorewatch.types import TypeValidationError

    for bad in (-1.0, math.nan):
        with pytest.raises(TypeValidationError, match="gnss_accuracy_m"):
            Telemetry(
                timestamp_s=0, lat_deg=50.88, lon_deg=1.66, alt_m=60, heading_deg=0, gnss_accuracy_m=bad
            )


def test_sky_pixels_are_not_placed() -> None:
    tel = Telemetry(timestamp_s=0, lat_deg=50.88, lon_deg=1.66, alt_m=60, heading_deg=0, gimbal_pitch_deg=-5)
    pts = Georeferencer(FRAME).locate_pixels(_frame(tel), [[640, 10], [640, 710]])
    assert list(pts.ok) == [False, True]
    assert math.isnan(pts.lat_deg[0]) and math.isinf(pts.error_m[0])


def test_a_frame_without_telemetry_is_refused() -> None:
    with pytest.raises(GeorefError, match="telemetry"):
        Georeferencer(FRAME).locate(Frame(IMG, 0.0, "cam", 3), [[0, 0, 10, 10]])


@pytest.mark.parametrize(("pitch", "expected_v"), [(-90.0, 110.0), (0.0, 120.0), (-60.0, 115.0)])
def test_anchor_slides_from_box_bottom_to_centre(pitch: float, expected_v: float) -> None:
    a = anchor_pixels([[10, 100, 30, 120]], pitch)
    assert a[0] == pytest.approx([20.0, expected_v], abs=1e-6)


def test_at_low_tide_objects_are_placed_on_the_lowered_sea() -> None:
    """The rendered low-tide launch (tide 1.5 m above chart datum: the sea 2.9 m under its mean
    level): the simulator's truth boxes, georeferenced on the sea's surface at that tide, land
    where the objects are; on the mean-sea-level plane they would land several metres seaward
    (the camera at -22 deg from 45 m)."""
    from flight.sim.render import frames_of
    from flight.sim.scenario import TelemetryError, load_scenario
    from shorewatch.site import load_site

    sc = load_scenario("low_tide_launch_wissant")
    site = load_site(sc.site)
    surface = site.sea_surface_m(sc.tide_m)
    assert surface == pytest.approx(1.5 - 4.4)
    exact = TelemetryError.none()  # the geometry alone: the drone reports its true pose
    frame, truth = next(iter(frames_of(sc, seconds=0.1, start_s=100.0, seed=11, telemetry_error=exact)))
    near = [o for o in truth if o.xyxy[3] > 250]  # not the fishing boat 1 km out (a speck)
    assert {o.class_name for o in near} == {"boat", "person"}
    xyxy = np.array([o.xyxy for o in near])
    cls = np.array([o.class_id for o in near])
    true_en = np.array([site.frame.to_local(o.lat_deg, o.lon_deg) for o in near])
    g = Georeferencer(site.frame)
    on_sea = g.locate(frame, xyxy, cls, surface_m=surface)
    on_msl = g.locate(frame, xyxy, cls)
    err_sea = np.hypot(on_sea.east_m - true_en[:, 0], on_sea.north_m - true_en[:, 1])
    err_msl = np.hypot(on_msl.east_m - true_en[:, 0], on_msl.north_m - true_en[:, 1])
    assert np.median(err_sea) < 1.0, err_sea
    assert np.median(err_msl) > 5.0, err_msl


def test_the_error_ellipse_is_long_along_the_line_of_sight_and_round_straight_down() -> None:
    """Seen obliquely, pitch and altitude errors move a point along the drone's line of sight and
    only yaw moves it across: the ellipse is elongated along the bearing the camera looks at; seen
    straight down it is nearly round. The sea's height uncertainty lengthens it along only."""
    lat, lon = FRAME.to_geo(0.0, 0.0)
    centre = [[DEFAULT_INTRINSICS.cx_px, DEFAULT_INTRINSICS.cy_px]]
    tel = Telemetry(timestamp_s=0, lat_deg=lat, lon_deg=lon, alt_m=45, heading_deg=90, gimbal_pitch_deg=-22)
    g = Georeferencer(FRAME)
    p = g.locate_pixels(_frame(tel), centre)
    assert p.bearing_deg[0] == pytest.approx(90.0, abs=0.01)
    assert p.along_m[0] > 2 * p.across_m[0] > 0
    assert p.across_m[0] >= 2.5  # never below the GNSS error
    assert p.along_m[0] < p.error_m[0] and p.across_m[0] < p.error_m[0]
    wide = g.locate_pixels(_frame(tel), centre, surface_sigma_m=2.3)
    assert wide.across_m[0] == pytest.approx(p.across_m[0])
    assert wide.along_m[0] == pytest.approx(math.hypot(p.along_m[0], wide.bias_m[0]))
    down = dataclasses.replace(tel, gimbal_pitch_deg=-90.0)
    q = g.locate_pixels(_frame(down), centre)
    assert q.along_m[0] == pytest.approx(q.across_m[0], rel=0.15)
    left = g.locate_pixels(_frame(tel), [[10.0, DEFAULT_INTRINSICS.cy_px]])
    assert 40 < left.bearing_deg[0] < 60  # 42 deg left of the camera's axis (an 84 deg lens)


@settings(max_examples=200, deadline=None)
@given(
    length=st.floats(4.0, 15.0),
    heading=st.floats(0.0, 360.0),
    alt=st.floats(30.0, 120.0),
    pitch=st.floats(-90.0, -20.0),
)
def test_a_boats_length_is_read_from_its_box_at_any_heading(
    length: float, heading: float, alt: float, pitch: float
) -> None:
    """A hull (beam 0.3 x its length, 0.6 m freeboard) on the sea where the camera looks, boxed as
    a detector boxes it (a pixel of blur each side): its length is read to within -20/+25 % at any
    heading, from nadir to 20 degrees below the horizon."""
    tel = Telemetry(
        timestamp_s=0, lat_deg=50.88, lon_deg=1.66, alt_m=alt, heading_deg=0, gimbal_pitch_deg=pitch
    )
    pose = pose_from_telemetry(tel, FRAME)
    g = Georeferencer(FRAME).locate_pixels(
        _frame(tel), [[DEFAULT_INTRINSICS.cx_px, DEFAULT_INTRINSICS.cy_px]]
    )
    c = np.array([g.east_m[0], g.north_m[0]])
    h = math.radians(heading)
    fwd, side = np.array([math.sin(h), math.cos(h)]), np.array([math.cos(h), -math.sin(h)])
    foot = [c + fwd * a * length / 2 + side * b * 0.15 * length for a in (-1, 1) for b in (-1, 1)]
    corners = [[*p, z] for p in foot for z in (0.0, 0.6)]
    px, _ = project(corners, pose, DEFAULT_INTRINSICS)
    box = [px[:, 0].min() - 1, px[:, 1].min() - 1, px[:, 0].max() + 1, px[:, 1].max() + 1]
    slant = math.hypot(math.hypot(*(c - [pose.east_m, pose.north_m])), alt)
    est = boat_length_m([box], [slant], [alt / slant], DEFAULT_INTRINSICS)[0]
    assert 0.8 * length <= est <= 1.25 * length, (est, length)
