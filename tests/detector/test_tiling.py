"""Tile planning: full coverage with overlap, the coarse pass, and the pose-driven plan that skips
sky and zooms into the far field."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detector.errors import DetectorConfigError
from detector.tiling import STRIDE, TilingConfig, grid_1d, plan_tiles
from shorewatch.camera import CameraPose, horizon_row
from shorewatch.types import DEFAULT_INTRINSICS


@settings(max_examples=300, deadline=None)
@given(length=st.integers(1, 5000), tile=st.integers(32, 2000), overlap=st.integers(0, 300))
def test_grid_covers_everything_with_the_overlap(length: int, tile: int, overlap: int) -> None:
    wins = grid_1d(length, tile, overlap)
    assert wins[0][0] == 0 and wins[-1][1] == length
    for a, b in wins:
        assert 0 < b - a <= tile
    for (_a0, b0), (a1, _b1) in itertools.pairwise(wins):
        assert a1 <= b0  # no gap
        assert b0 - a1 >= min(overlap, tile - 1) - 1  # overlap kept (rounding: 1 px)


def test_grid_rejects_nonsense() -> None:
    with pytest.raises(DetectorConfigError):
        grid_1d(0, 100, 10)


@pytest.mark.parametrize(
    ("w", "h", "native_tiles", "coarse"),
    [
        (1280, 720, 1, True),  # one native tile (fits max_tile_px) + coarse pass
        (1920, 1080, 2, True),  # two 992-wide tiles overlapping by 64 px
        (640, 480, 1, False),  # small frame: the native pass already sees large objects
    ],
)
def test_plan_without_pose(w: int, h: int, native_tiles: int, coarse: bool) -> None:
    tiles = plan_tiles(w, h, TilingConfig())
    native = [t for t in tiles if t.pass_name == "native"]
    assert len(native) == native_tiles
    assert any(t.pass_name == "coarse" for t in tiles) is coarse
    for t in tiles:
        hh, ww = t.input_hw
        assert hh % STRIDE == 0 and ww % STRIDE == 0
        assert max(hh, ww) <= TilingConfig().max_tile_px + STRIDE


@pytest.mark.parametrize(
    ("w", "h", "cfg", "scale"),
    [
        (1280, 720, TilingConfig(), 0.5),  # 640 px
        (1920, 1080, TilingConfig(), 0.5),  # 960 px: a 32 px coarse object is 64 px in the frame
        (3840, 2160, TilingConfig(), 0.5),
        (1000, 600, TilingConfig(), 0.64),  # never below coarse_px
        (1920, 1080, TilingConfig(coarse_scale=0.0), 640 / 1920),  # the fixed 640 px of old
    ],
)
def test_coarse_pass_is_half_size_and_at_least_coarse_px(
    w: int, h: int, cfg: TilingConfig, scale: float
) -> None:
    (coarse,) = [t for t in plan_tiles(w, h, cfg) if t.pass_name == "coarse"]
    assert coarse.scale == pytest.approx(scale)
    assert (coarse.x0, coarse.y0, coarse.x1, coarse.y1) == (0, 0, w, h)


@pytest.mark.parametrize(
    ("w", "h", "ship_px", "scale"),
    [(1920, 1080, 480, 0.25), (1280, 720, 480, 0.375), (560, 315, 480, None), (1920, 1080, 0, None)],
)
def test_the_ship_pass_is_the_whole_frame_at_ship_px_when_asked_for(
    w: int, h: int, ship_px: int, scale: float | None
) -> None:
    cfg = TilingConfig(ship_px=ship_px)
    assert all(t.pass_name != "ship" for t in plan_tiles(w, h, cfg))  # not asked for
    ship = [t for t in plan_tiles(w, h, cfg, ships=True) if t.pass_name == "ship"]
    if scale is None:  # never, or the frame is hardly larger: the coarse pass already holds it
        assert ship == []
        return
    (t,) = ship
    assert t.scale == pytest.approx(scale) and (t.x0, t.y0, t.x1, t.y1) == (0, 0, w, h)


def test_a_drone_frame_with_a_pose_gets_no_ship_pass() -> None:
    pose = CameraPose(0, 0, 60, yaw_deg=0, pitch_deg=-30)
    intr = DEFAULT_INTRINSICS
    tiles = plan_tiles(intr.width_px, intr.height_px, TilingConfig(), pose, intr, ships=True)
    assert tiles and all(t.pass_name != "ship" for t in tiles)


def test_oblique_pose_skips_the_sky_and_zooms_the_far_field() -> None:
    pose = CameraPose(0, 0, 60, yaw_deg=0, pitch_deg=-12)
    intr = DEFAULT_INTRINSICS
    cfg = TilingConfig(coarse_pass=False)
    tiles = plan_tiles(intr.width_px, intr.height_px, cfg, pose, intr)
    horizon = horizon_row(pose, intr)
    assert 0 < horizon < intr.height_px
    margin = math.tan(math.radians(cfg.sky_margin_deg)) * intr.fy_px
    assert min(t.y0 for t in tiles) >= math.floor(horizon - margin) - cfg.overlap_px
    assert min(t.y0 for t in tiles) > 100  # the sky above is not run
    top = min(tiles, key=lambda t: t.y0)
    bottom = max(tiles, key=lambda t: t.y1)
    assert top.scale > bottom.scale  # far field zoomed in more than the near field
    assert max(t.scale for t in tiles) == 2.0 and min(t.scale for t in tiles) == 1.0
    assert max(t.y1 for t in tiles) == intr.height_px  # down to the bottom row


def test_nadir_pose_runs_the_whole_frame() -> None:
    pose = CameraPose(0, 0, 100, yaw_deg=0, pitch_deg=-90)
    tiles = plan_tiles(1280, 720, TilingConfig(coarse_pass=False), pose, DEFAULT_INTRINSICS)
    assert min(t.y0 for t in tiles) == 0 and max(t.y1 for t in tiles) == 720
    assert min(t.x0 for t in tiles) == 0 and max(t.x1 for t in tiles) == 1280


def test_looking_above_the_horizon_plans_nothing() -> None:
    pose = CameraPose(0, 0, 50, yaw_deg=0, pitch_deg=40)
    assert plan_tiles(1280, 720, TilingConfig(coarse_pass=False), pose, DEFAULT_INTRINSICS) == []
