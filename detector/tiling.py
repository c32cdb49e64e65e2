"""Which parts of a frame the model looks at, and at what scale.

A *tile* is a rectangle of the source image plus a scale (model pixels per source pixel). The
model input for a tile is the rectangle resized by the scale and padded to a multiple of the
model stride; tiles with the same input shape run as one batch.

Without a pose, the plan is:

* a **native** pass: the frame at scale 1 (the resolution the model was trained at), cut into
  tiles no larger than ``max_tile_px`` with ``overlap_px`` overlap, so objects of a few pixels
  keep every pixel they have;
* a **coarse** pass: the whole frame shrunk to half size (``coarse_scale``; at least ``coarse_px``
  on its long side), for objects too large for the native tiles (a ferry filling half the frame);
* a **ship** pass, when asked for (``ships``: a ship model is loaded): the whole frame shrunk to
  ``ship_px`` (480) on its long side, for ships longer than the coarse input holds whole (a lock
  webcam's ships span the frame).

With a pose (``Frame.telemetry`` + ``Frame.intrinsics``), the ground sampling distance decides:
rows above the horizon (plus a margin for attitude error) are sky and are skipped; each band of
rows below is run at the scale (from ``scales``) that makes a ``boat_length_m`` boat about
``target_boat_px`` long, so the far field near the horizon is zoomed in and the near field
shrunk: compute goes where boats can be.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detector.errors import DetectorConfigError
from shorewatch.camera import CameraPose, ground_sample_distance_m, horizon_row, pixels_to_ground
from shorewatch.types import CameraIntrinsics

STRIDE = 32


class TilingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_tile_px: int = Field(1280, ge=64, le=4096, description="largest tile side, in model input pixels")
    overlap_px: int = Field(
        64, ge=0, le=512, description="overlap between neighbouring tiles, in source pixels"
    )
    coarse_pass: bool = Field(
        True, description="also run the whole frame shrunk to coarse_px (large objects)"
    )
    coarse_px: int = Field(640, ge=64, le=4096, description="shortest long side of the coarse pass input")
    coarse_scale: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description=(
            "the coarse pass shrinks the frame to at least this fraction (its long side is the "
            "larger of coarse_px and this fraction of the frame's), so coarse_min_px means the same "
            "object size in every frame: 1280 px frames go to 640, 1920 px to 960; 0: always coarse_px"
        ),
    )
    coarse_min_px: float = Field(
        32.0,
        ge=0,
        le=1024,
        description=(
            "coarse-pass detections shorter than this (long side, in coarse input pixels) are "
            "dropped: the native tiles see those objects at full resolution"
        ),
    )
    ship_px: int = Field(
        480,
        ge=0,
        le=4096,
        description=(
            "the ship pass (planned only when asked: BoatDetector does when a ship model is loaded) "
            "runs the whole frame shrunk so its long side is this many pixels (0: never), for ships "
            "longer than the coarse pass's input holds whole, as a lock or port webcam sees them"
        ),
    )
    ship_min_px: float = Field(
        96.0,
        ge=0,
        le=4096,
        description="ship-pass detections shorter than this (long side, in ship-pass input pixels) are dropped",
    )
    extra_scales: tuple[float, ...] = Field(
        (),
        description="without a pose, also run the whole frame at these scales (e.g. 2.0 for tiny objects; costly)",
    )
    use_pose: bool = Field(True, description="when the frame has a pose: skip sky, pick scales from the GSD")
    boat_length_m: float = Field(8.0, gt=0, le=500, description="boat length the GSD-driven scale aims at")
    target_boat_px: float = Field(
        24.0, ge=4, le=512, description="how long that boat should be in model pixels"
    )
    scales: tuple[float, ...] = Field(
        (1.0, 2.0),
        description="scales the GSD plan may choose from (below 1 loses people: the coarse pass covers large boats)",
    )
    sky_margin_deg: float = Field(
        2.0, ge=0, le=30, description="rows this far above the horizon are still run"
    )
    max_range_m: float = Field(
        2500.0,
        gt=0,
        le=100_000,
        description="rows looking further than this (ground range) are skipped like sky",
    )
    min_band_px: int = Field(96, ge=16, le=4096, description="shortest band of rows (source pixels)")


@dataclass(frozen=True, slots=True)
class Tile:
    """Source rectangle [x0, x1) x [y0, y1) run at ``scale``; ``pass_name`` for diagnostics."""

    x0: int
    y0: int
    x1: int
    y1: int
    scale: float
    pass_name: str

    @property
    def width_px(self) -> int:
        return self.x1 - self.x0

    @property
    def height_px(self) -> int:
        return self.y1 - self.y0

    @property
    def input_hw(self) -> tuple[int, int]:
        """Model input (height, width): the scaled rectangle padded up to the stride."""
        h = max(1, round(self.height_px * self.scale))
        w = max(1, round(self.width_px * self.scale))
        return (math.ceil(h / STRIDE) * STRIDE, math.ceil(w / STRIDE) * STRIDE)


def grid_1d(length: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """Cover [0, length) with windows of at most ``tile``, neighbours overlapping by at least
    ``overlap``; windows are spread evenly so no sliver is left at the end."""
    if length <= 0 or tile <= 0:
        raise DetectorConfigError(f"grid_1d needs positive length and tile, got {length}, {tile}")
    if tile >= length:
        return [(0, length)]
    overlap = min(overlap, tile - 1)
    n = math.ceil((length - overlap) / (tile - overlap))
    size = min(tile, math.ceil((length + (n - 1) * overlap) / n))
    starts = [round(i * (length - size) / (n - 1)) for i in range(n)] if n > 1 else [0]
    return [(s, min(length, s + size)) for s in starts]


def grid_tiles(
    x0: int, y0: int, x1: int, y1: int, scale: float, max_tile_px: int, overlap_px: int, pass_name: str
) -> list[Tile]:
    """Tiles covering a source rectangle at ``scale``, each at most ``max_tile_px`` model pixels."""
    src_tile = max(STRIDE, int(max_tile_px / scale))
    xs = grid_1d(x1 - x0, src_tile, overlap_px)
    ys = grid_1d(y1 - y0, src_tile, overlap_px)
    return [Tile(x0 + a, y0 + c, x0 + b, y0 + d, scale, pass_name) for (c, d) in ys for (a, b) in xs]


def _nearest_scale(want: float, scales: tuple[float, ...]) -> float:
    return min(scales, key=lambda s: abs(math.log(s / want)))


def plan_tiles(
    width_px: int,
    height_px: int,
    cfg: TilingConfig,
    pose: CameraPose | None = None,
    intr: CameraIntrinsics | None = None,
    *,
    ships: bool = False,
) -> list[Tile]:
    """The tiles to run for one frame (see the module docstring); ``ships``: add the ship pass
    (frames without a pose only: a drone over a beach looks for small boats)."""
    if width_px <= 0 or height_px <= 0:
        raise DetectorConfigError(f"frame size must be positive, got {width_px}x{height_px}")
    tiles: list[Tile] = []
    if pose is not None and intr is not None and cfg.use_pose:
        tiles.extend(_pose_bands(width_px, height_px, cfg, pose, intr))
    else:
        tiles.extend(grid_tiles(0, 0, width_px, height_px, 1.0, cfg.max_tile_px, cfg.overlap_px, "native"))
        for s in cfg.extra_scales:
            tiles.extend(
                grid_tiles(0, 0, width_px, height_px, s, cfg.max_tile_px, cfg.overlap_px, f"extra@{s:g}")
            )
    long_side = max(width_px, height_px)
    coarse_long = max(float(cfg.coarse_px), cfg.coarse_scale * long_side)
    if cfg.coarse_pass and long_side > coarse_long * 1.25:
        tiles.append(Tile(0, 0, width_px, height_px, coarse_long / long_side, "coarse"))
    if ships and pose is None and cfg.ship_px and long_side > cfg.ship_px * 1.25:
        tiles.append(Tile(0, 0, width_px, height_px, cfg.ship_px / long_side, "ship"))
    return tiles


def _pose_bands(
    width_px: int, height_px: int, cfg: TilingConfig, pose: CameraPose, intr: CameraIntrinsics
) -> list[Tile]:
    if (intr.width_px, intr.height_px) != (width_px, height_px):
        intr = intr.scaled(width_px, height_px)
    margin_px = math.tan(math.radians(cfg.sky_margin_deg)) * intr.fy_px
    top = max(0, math.floor(horizon_row(pose, intr) - margin_px))
    if top >= height_px:
        return []  # the whole frame is sky
    cx = width_px / 2.0
    # skip the far field beyond max_range_m (boats there are a few pixels and misplaced by 100s of m)
    near_rows = np.arange(top, height_px, 4, dtype=np.float64)
    ground, hit = pixels_to_ground(np.stack([np.full_like(near_rows, cx), near_rows], axis=1), pose, intr)
    rng = np.hypot(ground[:, 0] - pose.east_m, ground[:, 1] - pose.north_m)
    within = np.flatnonzero(hit & (rng <= cfg.max_range_m))
    if len(within) == 0:
        return []
    top = max(top, int(near_rows[within[0]]) - cfg.overlap_px // 2)
    # choose a scale per row, sampled every min_band_px/2 rows
    step = max(8, cfg.min_band_px // 2)
    rows = list(range(top, height_px, step))
    row_scales: list[float] = []
    for r in rows:
        gsd = ground_sample_distance_m(pose, intr, (cx, min(height_px - 1.0, r + step / 2)))
        if not math.isfinite(gsd) or gsd <= 0:
            row_scales.append(max(cfg.scales))
            continue
        boat_px = cfg.boat_length_m / gsd
        row_scales.append(_nearest_scale(cfg.target_boat_px / boat_px, cfg.scales))
    # group consecutive rows with the same scale into bands of at least min_band_px
    bands: list[tuple[int, int, float]] = []
    for r, s in zip(rows, row_scales, strict=True):
        r1 = min(height_px, r + step)
        if bands and (bands[-1][2] == s or bands[-1][1] - bands[-1][0] < cfg.min_band_px):
            a, _, s0 = bands[-1]
            bands[-1] = (a, r1, max(s0, s))
        else:
            bands.append((r, r1, s))
    if len(bands) > 1 and bands[-1][1] - bands[-1][0] < cfg.min_band_px:
        a, _, s = bands.pop()
        b0, _, s0 = bands[-1]
        bands[-1] = (b0, height_px, max(s, s0))
    tiles: list[Tile] = []
    half = cfg.overlap_px // 2
    for a, b, s in bands:
        y0, y1 = max(top, a - half), min(height_px, b + half)
        tiles.extend(grid_tiles(0, y0, width_px, y1, s, cfg.max_tile_px, cfg.overlap_px, f"band@{s:g}"))
    return tiles
