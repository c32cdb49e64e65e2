"""Camera model: a ground point projects to a pixel whose ray lands back on it, over many poses."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shorewatch.camera import (
    CameraPose,
    ground_sample_distance_m,
    horizon_row,
    pixels_to_ground,
    project,
    sea_horizon_dip_deg,
)
from shorewatch.types import DEFAULT_INTRINSICS, CameraIntrinsics, TypeValidationError

INTR = DEFAULT_INTRINSICS


def test_nadir_centre_pixel_is_below_the_drone() -> None:
    pose = CameraPose(100.0, -50.0, 80.0, yaw_deg=37.0, pitch_deg=-90.0)
    g, ok = pixels_to_ground([[INTR.cx_px, INTR.cy_px]], pose, INTR)
    assert ok[0]
    assert g[0] == pytest.approx([100.0, -50.0], abs=1e-6)


def test_looking_north_the_top_of_the_image_is_further_north() -> None:
    pose = CameraPose(0.0, 0.0, 60.0, yaw_deg=0.0, pitch_deg=-45.0)
    g, ok = pixels_to_ground([[640, 100], [640, 600]], pose, INTR)
    assert ok.all()
    assert g[0, 1] > g[1, 1] > 0
    # image right is east when looking north
    g2, _ = pixels_to_ground([[1200, 360], [80, 360]], pose, INTR)
    assert g2[0, 0] > 0 > g2[1, 0]


def test_ray_above_horizon_misses_ground() -> None:
    pose = CameraPose(0, 0, 50, yaw_deg=90, pitch_deg=-5)
    row = horizon_row(pose, INTR)
    assert 0 < row < INTR.cy_px
    _, ok = pixels_to_ground([[640, row - 20], [640, row + 20]], pose, INTR)
    assert list(ok) == [False, True]


@pytest.mark.parametrize(("height_m", "dip_deg"), [(0.0, 0.0), (2.0, 0.041), (45.0, 0.197), (120.0, 0.321)])
def test_the_sea_horizon_dips_with_the_eye_s_height(height_m: float, dip_deg: float) -> None:
    """1.76 arc minutes x sqrt(height in metres), the almanac's dip with standard refraction."""
    assert sea_horizon_dip_deg(height_m) == pytest.approx(dip_deg, abs=0.001)


def test_the_sea_horizon_lies_below_the_vanishing_line_by_its_dip() -> None:
    pose = CameraPose(0, 0, 120, yaw_deg=250, pitch_deg=-20)
    dip = sea_horizon_dip_deg(120.0)
    flat, sea = horizon_row(pose, INTR), horizon_row(pose, INTR, dip)
    assert sea - flat == pytest.approx(
        INTR.fy_px * (math.tan(math.radians(20)) - math.tan(math.radians(20 - dip))), rel=0.01
    )


def test_gsd_at_nadir_matches_the_field_of_view() -> None:
    pose = CameraPose(0, 0, 100, yaw_deg=0, pitch_deg=-90)
    expected = 2 * 100 * math.tan(math.radians(42)) / 1280
    assert ground_sample_distance_m(pose, INTR, (640, 360)) == pytest.approx(expected, rel=1e-3)


@settings(max_examples=200, deadline=None)
@given(
    e=st.floats(-5000, 5000),
    n=st.floats(-5000, 5000),
    alt=st.floats(10, 400),
    yaw=st.floats(0, 360),
    pitch=st.floats(-90, -10),
    roll=st.floats(-15, 15),
    u=st.floats(0, 1279),
    v=st.floats(0, 719),
)
def test_pixel_to_ground_to_pixel_round_trip(
    e: float, n: float, alt: float, yaw: float, pitch: float, roll: float, u: float, v: float
) -> None:
    pose = CameraPose(e, n, alt, yaw, pitch, roll)
    g, ok = pixels_to_ground([[u, v]], pose, INTR)
    if not ok[0]:
        return
    px, front = project(np.array([[g[0, 0], g[0, 1], 0.0]]), pose, INTR)
    assert front[0]
    assert px[0] == pytest.approx([u, v], abs=1e-4 * max(1.0, float(np.hypot(*(g[0] - [e, n]))) / alt))


@pytest.mark.parametrize(
    ("w", "h", "hfov"),
    [(0, 720, 80), (1280, -1, 80), (1280, 720, 0.5), (1280, 720, 175)],
)
def test_bad_intrinsics_are_refused(w: int, h: int, hfov: float) -> None:
    with pytest.raises(TypeValidationError):
        CameraIntrinsics.from_hfov(w, h, hfov)
