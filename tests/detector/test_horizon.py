"""Levelling on the sea's horizon: the pitch (and roll) a picture's horizon implies, found in
painted and rendered pictures whatever pitch the gimbal reports, refused where there is none,
and applied to a stream so that a wrong line once does not move the map."""

from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from detector.georef import Georeferencer
from detector.horizon import HorizonConfig, HorizonLevel, find_horizon, fit_attitude
from shorewatch.camera import CameraPose, project, sea_horizon_dip_deg
from shorewatch.geo import LocalFrame
from shorewatch.types import DEFAULT_INTRINSICS, CameraIntrinsics, Frame, Telemetry

INTR = DEFAULT_INTRINSICS
SKY = (205, 185, 170)  # BGR: pale blue-grey
SEA = (95, 85, 60)  # dark blue-green


def horizon_pixels(pose: CameraPose, intr: CameraIntrinsics, dip_deg: float) -> np.ndarray:
    """Pixels of the horizon ``dip_deg`` below the horizontal across the picture."""
    yaw = np.radians(pose.yaw_deg + np.linspace(-80, 80, 400))
    d = math.radians(dip_deg)
    far = np.stack(
        [np.sin(yaw) * math.cos(d), np.cos(yaw) * math.cos(d), -math.sin(d) * np.ones_like(yaw)], 1
    )
    px, ok = project(pose.position + 1e7 * far, pose, intr)
    keep = ok & (px[:, 0] >= 0) & (px[:, 0] < intr.width_px)
    return px[keep]


def paint(
    pitch_deg: float,
    roll_deg: float,
    height_m: float,
    *,
    noise: float = 4.0,
    seed: int = 0,
    intr: CameraIntrinsics = INTR,
) -> np.ndarray:
    """A picture of sky over sea as a camera at this attitude sees it (each pixel's ray above or
    below the horizon), with sensor noise and a little texture on the water."""
    rot = CameraPose(0, 0, 0, 0, pitch_deg, roll_deg).rotation()
    v, u = np.mgrid[0 : intr.height_px, 0 : intr.width_px].astype(np.float64)
    d = np.stack([(u - intr.cx_px) / intr.fx_px, (v - intr.cy_px) / intr.fy_px, np.ones_like(u)], -1) @ rot.T
    elev = np.degrees(np.arcsin(d[..., 2] / np.linalg.norm(d, axis=-1)))
    # the share of each pixel above the horizon (a pixel spans about 1 / fy radians)
    a = np.clip(0.5 + (elev + sea_horizon_dip_deg(height_m)) / math.degrees(1.0 / intr.fy_px), 0.0, 1.0)
    img = a[..., None] * np.array(SKY, float) + (1 - a[..., None]) * np.array(SEA, float)
    rng = np.random.default_rng(seed)
    img += rng.normal(0, noise, img.shape)
    sea = a < 0.5
    img[sea] += 8 * np.sin(v[sea] * 0.9 + u[sea] * 0.05)[:, None]  # swell
    return np.clip(img, 0, 255).astype(np.uint8)


def haze_fade(row: float, rows: float) -> np.ndarray:
    """Sky over sea where haze fades one into the other over ``rows`` rows below ``row``."""
    v = np.arange(INTR.height_px, dtype=np.float64)[:, None, None]
    a = np.clip((v - row) / rows, 0.0, 1.0)
    img = (1 - a) * np.array(SKY, float) + a * np.array(SEA, float)
    img = np.broadcast_to(img, (INTR.height_px, INTR.width_px, 3)).copy()
    img += np.random.default_rng(5).normal(0, 2.0, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def frame_of(img: np.ndarray, pitch_deg: float, t_s: float = 0.0, alt_m: float = 45.0) -> Frame:
    tel = Telemetry(t_s, 50.9, 1.66, alt_m, 300.0, gimbal_pitch_deg=pitch_deg)
    return Frame(img, t_s, "cam", int(t_s * 10), tel, INTR)


@settings(max_examples=60, deadline=None)
@given(
    pitch=st.floats(-40, -2),
    roll=st.floats(-3, 3),
    height=st.floats(5, 150),
    start=st.floats(-3, 3),
)
def test_the_attitude_fitted_to_a_horizon_is_the_camera_s(
    pitch: float, roll: float, height: float, start: float
) -> None:
    dip = sea_horizon_dip_deg(height)
    px = horizon_pixels(CameraPose(0, 0, height, 123.0, pitch, roll), INTR, dip)
    assume(len(px) >= 10 and px[:, 1].min() >= 0 and px[:, 1].max() < INTR.height_px)  # across the picture
    p, r, rms = fit_attitude(px[:, 0], px[:, 1], INTR, dip, pitch + start)
    assert p == pytest.approx(pitch, abs=1e-6)
    assert r == pytest.approx(roll, abs=1e-6)
    assert rms < 1e-6


@pytest.mark.parametrize(
    ("pitch", "roll", "reported_off"),
    [
        (-22.0, 0.0, 0.0),
        (-22.0, 0.0, 2.0),
        (-22.0, 0.0, -2.5),
        (-15.0, 1.5, 1.0),
        (-8.0, -2.0, -1.0),
        (-25.0, 0.7, 0.5),
    ],
)
def test_a_painted_horizon_gives_the_true_pitch_and_roll_whatever_the_gimbal_reports(
    pitch: float, roll: float, reported_off: float
) -> None:
    img = paint(pitch, roll, 45.0)
    fix = find_horizon(img, INTR, pitch + reported_off, 45.0)
    assert fix is not None
    assert fix.pitch_deg == pytest.approx(pitch, abs=0.03)
    assert fix.roll_deg == pytest.approx(roll, abs=0.05)  # positive: the right side down, as the pose's roll
    assert fix.strips >= 28
    assert 0 < fix.sigma_deg <= 0.1


def test_the_dip_of_the_horizon_counts() -> None:
    """From 120 m the sea's horizon lies 0.32 deg below the horizontal: read as the horizontal, the
    line would put the camera 0.32 deg higher than it is."""
    img = paint(-20.0, 0.0, 120.0)
    fix = find_horizon(img, INTR, -20.0, 120.0)
    assert fix is not None and fix.pitch_deg == pytest.approx(-20.0, abs=0.03)
    flat = find_horizon(img, INTR, -20.0, 0.0)  # as if the eye were at the sea's surface
    assert flat is not None and flat.pitch_deg - fix.pitch_deg == pytest.approx(
        sea_horizon_dip_deg(120.0), abs=0.04
    )


@pytest.mark.parametrize(
    ("case", "image", "pitch"),
    [
        ("looking down past the horizon", lambda: paint(-60.0, 0.0, 45.0), -60.0),
        ("sand and sea only", lambda: paint(-22.0, 0.0, 45.0)[200:].repeat(2, axis=0)[:720], -22.0),
        ("flat grey (fog)", lambda: np.full((720, 1280, 3), 150, np.uint8), -22.0),
        ("haze: the sea fades into the sky, no edge", lambda: haze_fade(76.0, 40.0), -22.0),
        ("noise", lambda: np.random.default_rng(3).integers(0, 255, (720, 1280, 3), dtype=np.uint8), -22.0),
        ("horizon 6 deg from the reported pitch", lambda: paint(-16.0, 0.0, 45.0), -22.0),
        ("horizon leaning 8 deg", lambda: paint(-22.0, 8.0, 45.0), -22.0),
        ("a thumbnail", lambda: cv2.resize(paint(-22.0, 0.0, 45.0), (40, 22)), -22.0),
    ],
)
def test_no_horizon_is_claimed_where_there_is_none(case: str, image: object, pitch: float) -> None:
    img = image()  # type: ignore[operator]
    assert find_horizon(img, INTR, pitch, 45.0) is None, case


def test_land_across_most_of_the_horizon_is_refused_and_across_a_little_is_not() -> None:
    img = paint(-22.0, 0.0, 45.0)
    u = np.arange(1280)
    top = (45 + 12 * np.sin(u / 37.0) + 8 * np.sin(u / 11.0)).astype(int)  # a wooded hill's outline
    hidden = img.copy()
    for x in range(900):  # a cliff in front, over the left 70 % of the horizon
        hidden[top[x] :, x] = (60, 90, 70) if x % 7 else (50, 75, 60)
    assert find_horizon(hidden, INTR, -22.0, 45.0) is None
    some = img.copy()
    some[40:110, :250] = (60, 90, 70)  # a pier head on the left fifth
    fix = find_horizon(some, INTR, -22.0, 45.0)
    assert fix is not None and fix.pitch_deg == pytest.approx(-22.0, abs=0.03)


def test_a_far_shore_on_the_horizon_is_stood_on_it_not_taken_for_it() -> None:
    """A low far shore over most of the horizon: its top edge against the sky is the stronger
    line, but the sea's horizon is its foot."""
    img = paint(-22.0, 0.0, 45.0)
    fix0 = find_horizon(img, INTR, -22.0, 45.0)
    assert fix0 is not None
    row = round(fix0.row_px)
    u = np.arange(1280)
    tops = row - (8 + 1.0 * np.sin(u / 90.0)).round().astype(int)  # 7-9 px high, nearly level
    shore = img.copy()
    for x in range(1000):
        shore[tops[x] : row, x] = (70, 90, 75)  # dark woods, hazed
    fix = find_horizon(shore, INTR, -22.0, 45.0)
    assert fix is not None
    assert fix.pitch_deg == pytest.approx(-22.0, abs=0.1)  # the woods drawn to the whole pixel


def test_a_rendered_frame_is_levelled_to_the_pose_it_was_rendered_from() -> None:
    from flight.sim.camera import SimCamera
    from flight.sim.render import ScriptedFlight
    from flight.sim.scenario import load_scenario
    from flight.sim.world import World
    from shorewatch.site import load_site

    sc = load_scenario("dawn_launch_wissant")
    site = load_site(sc.site)
    world = World(site, sc, seed=11)
    cam = SimCamera(world, seed=11)
    tel = ScriptedFlight(world, sc.drone).telemetry(30.0)
    world.step_to(30.0)
    frame, _ = cam.render(tel)
    for off in (-1.5, 0.0, 1.0):
        fix = find_horizon(frame.image, INTR, tel.gimbal_pitch_deg + off, tel.alt_m - world.surface_m)
        assert fix is not None
        assert fix.pitch_deg == pytest.approx(tel.gimbal_pitch_deg, abs=0.05)
        assert abs(fix.roll_deg) < 0.1


# ----- the stream


def test_a_stream_is_levelled_after_three_horizons_and_keeps_the_offset_where_the_horizon_hides() -> None:
    true_pitch, bias = -22.0, -1.2
    lev = HorizonLevel()
    img = paint(true_pitch, 0.0, 45.0)
    out = [lev.level(frame_of(img, true_pitch + bias, t)) for t in (0.0, 0.5, 1.0, 1.5)]
    assert [f.telemetry.pitch_accuracy_deg is not None for f in out] == [False, False, True, True]  # type: ignore[union-attr]
    assert out[3].telemetry.gimbal_pitch_deg == pytest.approx(true_pitch, abs=0.03)  # type: ignore[union-attr]
    assert out[0].telemetry.gimbal_pitch_deg == true_pitch + bias  # type: ignore[union-attr]
    # the horizon goes (fog, the camera tilts down to follow a boat): the pooled offset still holds
    fog = np.full_like(img, 150)
    held = lev.level(frame_of(fog, true_pitch + bias - 10.0, 5.0))
    assert held.telemetry.gimbal_pitch_deg == pytest.approx(true_pitch - 10.0, abs=0.03)  # type: ignore[union-attr]
    # ... for hold_s, then the gimbal's own report comes back
    late = lev.level(frame_of(fog, true_pitch + bias, 1.5 + lev.config.hold_s + 1.0))
    assert late.telemetry.gimbal_pitch_deg == true_pitch + bias  # type: ignore[union-attr]
    assert late.telemetry.pitch_accuracy_deg is None  # type: ignore[union-attr]


def test_one_wrong_line_does_not_move_the_stream_but_a_lasting_change_does() -> None:
    lev = HorizonLevel()
    for t in range(5):
        lev.level(frame_of(paint(-22.0, 0.0, 45.0, seed=t), -21.0, float(t)))
    # a cloud bank 1 deg above the horizon, taken for it once: the pooled offset is used instead
    cloud = lev.level(frame_of(paint(-23.0, 0.0, 45.0), -21.0, 5.0))
    assert cloud.telemetry.gimbal_pitch_deg == pytest.approx(-22.0, abs=0.03)  # type: ignore[union-attr]
    # the camera was re-seated 1 deg lower and stays so: after 2 x min_pool frames it is believed
    pitches = [
        lev.level(frame_of(paint(-23.0, 0.0, 45.0, seed=t), -21.0, 6.0 + t)).telemetry.gimbal_pitch_deg  # type: ignore[union-attr]
        for t in range(8)
    ]
    assert pitches[0] == pytest.approx(-22.0, abs=0.03)
    assert pitches[-1] == pytest.approx(-23.0, abs=0.03)


def test_levelling_off_or_without_a_pose_returns_the_frame_itself() -> None:
    img = paint(-22.0, 0.0, 45.0)
    f = frame_of(img, -21.0)
    assert HorizonLevel(HorizonConfig(enabled=False)).level(f) is f
    bare = Frame(img, 0.0, "cam", 0)
    assert HorizonLevel().level(bare) is bare


def test_a_levelled_pitch_narrows_the_stated_error_along_the_line_of_sight_only() -> None:
    geo = Georeferencer(LocalFrame(50.9, 1.66))
    f = frame_of(paint(-22.0, 0.0, 45.0), -22.0)
    assert f.telemetry is not None
    levelled = dataclasses.replace(f, telemetry=dataclasses.replace(f.telemetry, pitch_accuracy_deg=0.08))
    px = [[640, 150]]  # far out: the pitch's share of the error is large
    a, b = geo.locate_pixels(f, px), geo.locate_pixels(levelled, px)
    assert b.east_m[0] == a.east_m[0] and b.north_m[0] == a.north_m[0]  # the same place
    assert b.along_m[0] < 0.5 * a.along_m[0]
    assert b.across_m[0] == pytest.approx(a.across_m[0])  # the heading is not measured


def test_telemetry_refuses_a_negative_pitch_accuracy() -> None:
    from shorewatch.types import TypeValidationError

    with pytest.raises(TypeValidationError, match="pitch_accuracy_deg"):
        Telemetry(0.0, 50.9, 1.66, 45.0, 0.0, pitch_accuracy_deg=-1.0)


def test_the_pipeline_places_objects_with_the_levelled_pitch() -> None:
    from api.sim_source import OracleDetector
    from detector.pipeline import DetectionPipeline
    from flight.sim.camera import SimCamera
    from flight.sim.render import ScriptedFlight
    from flight.sim.scenario import TelemetryError, load_scenario
    from flight.sim.world import World
    from shorewatch.site import load_site

    sc = load_scenario("dawn_launch_wissant")
    site = load_site(sc.site)
    world = World(site, sc, seed=12)
    cam = SimCamera(world, seed=12)
    err = TelemetryError.preset("none").model_copy(update={"pitch_sigma_deg": 1.0})
    flight = ScriptedFlight(world, sc.drone, err)
    truth: list = []
    pipe = DetectionPipeline(OracleDetector(lambda _f: truth), site)
    results = []
    for t in (20.0, 20.5, 21.0, 21.5):
        world.step_to(t)
        frame, seen = flight.frame_at(cam, t)
        truth[:] = seen
        results.append((frame, pipe.process(frame)))
    true_pitch = flight.telemetry(21.5).gimbal_pitch_deg
    frame, last = results[-1]
    assert (
        frame.telemetry is not None and abs(frame.telemetry.gimbal_pitch_deg - true_pitch) > 0.1
    )  # the bias drawn
    assert [r.levelled for _, r in results] == [False, False, True, True]
    assert last.pitch_deg == pytest.approx(true_pitch, abs=0.05)
    # and where the boats and people are placed: closer to the truth than from the reported pitch
    d = last.detections
    off = Georeferencer(site.frame).locate(frame, d.xyxy, d.class_id, surface_m=site.sea_surface_m(sc.tide_m))
    true_en = np.array([site.frame.to_local(o.lat_deg, o.lon_deg) for o in truth])

    def miss(east: np.ndarray, north: np.ndarray) -> float:  # median distance to the nearest true object
        en = np.stack([east, north], 1)
        return float(np.nanmedian(np.linalg.norm(en[:, None] - true_en[None], axis=2).min(axis=1)))

    assert len(d) >= 5
    assert miss(d.data["east_m"], d.data["north_m"]) < 0.5 * miss(off.east_m, off.north_m)


def test_a_failure_to_level_never_costs_the_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    from api.sim_source import OracleDetector
    from detector import horizon
    from detector.pipeline import DetectionPipeline
    from shorewatch.site import load_site

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("a bug in the horizon finder")

    monkeypatch.setattr(horizon, "find_horizon", broken)
    pipe = DetectionPipeline(OracleDetector(lambda _f: []), load_site())
    res = pipe.process(frame_of(paint(-22.0, 0.0, 45.0), -21.0))
    assert res.levelled is False and res.pitch_deg == -21.0
