"""SimCamera: renders what the drone's camera sees, with ground truth.

It uses ``shorewatch.camera`` (the same pinhole model the detector georeferences with):

1. the ground (the plane z = 0) is drawn by warping world-fixed rasters into the image with the
   plane's homography: the site's signed distance to the waterline (coloured through a lookup
   table of sea, surf, wet and dry sand, dunes and land use) and tiling detail textures (waves,
   sand grain, foam);
2. the sky is painted above the horizon (gradient, clouds), haze is added by distance;
3. objects (boats, people, dogs, vehicles, chairs, buoys, houses, trees) are drawn as projected
   3-D primitives (prisms, boxes, billboards), far to near; their ground-truth boxes are the
   extents of exactly those projected primitives, clipped to the image;
4. light (dawn, midday, overcast), sun glint, sensor noise, blur and JPEG come last.

Errors::

    RenderError (ValueError)   telemetry the camera cannot render (e.g. camera below sea level).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from typing import Any, cast

import cv2
import numpy as np
import numpy.typing as npt

from flight.sim.world import World, WorldObject
from shorewatch.camera import CameraPose, level_camera_row, project, sea_horizon_dip_deg
from shorewatch.types import DEFAULT_INTRINSICS, CameraIntrinsics, Frame, GroundTruthObject, Telemetry

logger = logging.getLogger(__name__)

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]


def _u8(a: Any) -> U8:
    """OpenCV's stubs return a generic array; ours are uint8 images."""
    return cast(U8, a)


def _f32(a: Any) -> F32:
    return cast(F32, a)


class RenderError(ValueError):
    """The camera cannot render this pose."""


# ----------------------------------------------------------------------------------------------
# Look: every appearance parameter, so the synthetic data generator can randomise all of them.


@dataclass(frozen=True, slots=True)
class Look:
    sun_elev_deg: float = 45.0
    sun_az_deg: float = 180.0
    light_bgr: tuple[float, float, float] = (1.0, 1.0, 1.0)  # colour gain of the light
    brightness: float = 1.0
    contrast: float = 1.0
    shadows: float = 0.55  # shadow darkness factor (1 = none)
    sky_zenith_bgr: tuple[int, int, int] = (200, 150, 95)
    sky_horizon_bgr: tuple[int, int, int] = (225, 210, 195)
    clouds: float = 0.4  # cloud cover 0..1
    cloud_bgr: tuple[int, int, int] = (240, 240, 240)
    sea_deep_bgr: tuple[int, int, int] = (105, 100, 70)
    sea_shallow_bgr: tuple[int, int, int] = (120, 130, 105)
    sea_far_bgr: tuple[int, int, int] = (150, 145, 130)
    sand_wet_bgr: tuple[int, int, int] = (125, 145, 160)
    sand_dry_bgr: tuple[int, int, int] = (165, 195, 215)
    dune_bgr: tuple[int, int, int] = (110, 150, 150)
    sea_state: float = 2.0  # 0..6
    surf_width_m: float = 50.0
    wet_width_m: float = 35.0
    beach_width_m: float = 160.0
    haze_km: float = 12.0  # visibility scale (smaller = hazier)
    haze_bgr: tuple[int, int, int] = (215, 205, 195)
    glint: float = 0.6
    noise_sigma: float = 2.0
    blur_px: float = 0.0
    motion_blur_px: float = 0.0
    jpeg_quality: int = 0  # 0 = no JPEG round trip
    far_shore: float = 0.0  # 0 = none; else height (px) of a tree/building line on the horizon
    footprints: float = 0.3

    @classmethod
    def for_conditions(cls, time_of_day_h: float, weather: str, sea_state: float) -> Look:
        """A plausible look for a time of day (local solar time) on the Channel in summer."""
        elev = 62.0 * math.sin(math.pi * (time_of_day_h - 5.2) / 14.0)
        az = 90.0 + (time_of_day_h - 6.0) * 15.0
        look = cls(sun_elev_deg=max(elev, -2.0), sun_az_deg=az % 360, sea_state=sea_state)
        if elev < 25:  # dawn / dusk
            warm = max(0.0, 1.0 - elev / 25.0)
            look = replace(
                look,
                light_bgr=(1.0 - 0.3 * warm, 1.0 - 0.1 * warm, 1.0 + 0.05 * warm),
                brightness=0.55 + 0.45 * (1 - warm),
                sky_zenith_bgr=(150, 110, 90),
                sky_horizon_bgr=(150, 175, 230),
                haze_bgr=(160, 165, 190),
                shadows=0.7,
                glint=0.8,
            )
        if weather == "overcast":
            look = replace(
                look,
                shadows=0.92,
                clouds=1.0,
                cloud_bgr=(190, 188, 185),
                sky_zenith_bgr=(175, 170, 165),
                sky_horizon_bgr=(200, 198, 195),
                haze_bgr=(185, 183, 180),
                brightness=look.brightness * 0.85,
                contrast=0.85,
                glint=0.1,
                sea_deep_bgr=(110, 110, 95),
                sea_far_bgr=(160, 158, 152),
            )
        elif weather == "hazy":
            look = replace(look, haze_km=3.0, contrast=0.9, clouds=0.2)
        return look


def sun_vector(look: Look) -> npt.NDArray[np.float64]:
    """Unit vector towards the sun (east, north, up)."""
    el, az = math.radians(max(look.sun_elev_deg, 1.0)), math.radians(look.sun_az_deg)
    return np.array([math.sin(az) * math.cos(el), math.cos(az) * math.cos(el), math.sin(el)])


# ----------------------------------------------------------------------------------------------
# Textures


def _tileable_noise(size: int, cells: int, rng: np.random.Generator, octaves: int = 4) -> F32:
    """Tileable value noise in [0, 1], ``size`` x ``size``."""
    acc = np.zeros((size, size), np.float32)
    amp, tot = 1.0, 0.0
    c = cells
    for _ in range(octaves):
        g = rng.random((c, c)).astype(np.float32)
        g = np.vstack([g, g[:1]])
        g = np.hstack([g, g[:, :1]])
        up = cv2.resize(g, (size + size // c, size + size // c), interpolation=cv2.INTER_CUBIC)
        acc += amp * up[:size, :size]
        tot += amp
        amp *= 0.5
        c = min(c * 2, size // 2)
    acc /= tot
    acc -= acc.min()
    acc /= max(float(acc.max()), 1e-6)
    return acc


@dataclass
class _Textures:
    fine: U8  # (S, S, 3): ch0 sand grain/ripples, ch1 small waves, ch2 foam noise  (fine scale)
    fine1: U8  # (S, S): sand grain, ripples and small waves in one channel
    mid: U8  # (S, S, 3): ch0 sand patches, ch1 swell, ch2 shoreline wobble        (mid scale)
    clouds: F32
    fine_m: float = 12.0  # metres per tile
    mid_m: float = 400.0


def _make_textures(seed: int, size: int = 512) -> _Textures:
    rng = np.random.default_rng(seed + 101)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / size
    ripple = 0.5 + 0.5 * np.sin(2 * math.pi * (xs * 24 + 3 * _tileable_noise(size, 4, rng, 2)))
    grain = _tileable_noise(size, 128, rng, 2)
    sand = 0.55 * grain + 0.45 * ripple
    waves = _tileable_noise(size, 32, rng, 3)
    waves = 0.5 + 0.5 * np.sin(2 * math.pi * (ys * 16 + 1.5 * waves))
    waves = 0.6 * waves + 0.4 * _tileable_noise(size, 64, rng, 2)
    foam = _tileable_noise(size, 64, rng, 3)
    fine = np.stack([sand, waves, foam], axis=2)
    patches = _tileable_noise(size, 8, rng, 4)
    swell = 0.5 + 0.5 * np.sin(2 * math.pi * (ys * 20 + 2 * _tileable_noise(size, 6, rng, 2)))
    swell = 0.5 * swell + 0.5 * _tileable_noise(size, 24, rng, 3)
    wobble = _tileable_noise(size, 12, rng, 3)
    mid = np.stack([patches, swell, wobble], axis=2)
    clouds = _tileable_noise(1024, 6, rng, 5)
    fine1 = 0.5 * sand + 0.5 * waves
    fine1 = (fine1 - fine1.mean()) / max(float(fine1.std()), 1e-6) * 0.17 + 0.5
    return _Textures(
        (fine * 255).astype(np.uint8),
        np.clip(fine1 * 255, 0, 255).astype(np.uint8),
        (mid * 255).astype(np.uint8),
        clouds,
    )


# ----------------------------------------------------------------------------------------------
# Colour lookup along the signed distance to the waterline

LUT_MIN_M, LUT_MAX_M, LUT_N = -600.0, 900.0, 1500


def _smooth(x: npt.NDArray[np.float64], a: float, b: float) -> npt.NDArray[np.float64]:
    t = np.clip((x - a) / (b - a), 0, 1)
    return t * t * (3 - 2 * t)


def _make_luts(look: Look, t_s: float) -> tuple[F32, F32]:
    """(1, N, 3) colour and (1, N, 3) aux (foam, land-use weight, water weight) over d."""
    d = np.linspace(LUT_MIN_M, LUT_MAX_M, LUT_N)
    sea_deep = np.array(look.sea_deep_bgr, float)
    sea_sh = np.array(look.sea_shallow_bgr, float)
    wet = np.array(look.sand_wet_bgr, float)
    dry = np.array(look.sand_dry_bgr, float)
    dune = np.array(look.dune_bgr, float)
    w_deep = _smooth(-d, 20, 350)[:, None]
    col = sea_sh * (1 - w_deep) + sea_deep * w_deep
    # beach
    land = d >= 0
    w_dry = _smooth(d, look.wet_width_m * 0.6, look.wet_width_m * 1.3)[:, None]
    sand = wet * (1 - w_dry) + dry * w_dry
    w_dune = _smooth(d, look.beach_width_m, look.beach_width_m + 60)[:, None]
    sand = sand * (1 - w_dune) + dune * w_dune
    col = np.where(land[:, None], sand, col)
    # a thin dark wet band at the water's edge
    edge = np.exp(-(((d - 1.5) / 2.5) ** 2))[:, None]
    col = col * (1 - 0.25 * edge)
    # surf foam: bands moving shoreward
    sw = look.surf_width_m * (0.3 + 0.25 * look.sea_state)
    phase = (d + 2.0 * t_s) / (6.0 + 2.0 * look.sea_state)
    bands = np.clip(np.sin(2 * math.pi * phase), 0, 1) ** 3
    foam = np.where(d < 0, bands * np.exp(d / max(sw, 1.0)), 0.0)
    foam += np.exp(-(((d + 0.5) / 1.8) ** 2)) * 0.9  # swash line
    foam *= min(1.0, 0.25 + 0.3 * look.sea_state)
    landuse_w = _smooth(d, look.beach_width_m + 120, look.beach_width_m + 260)
    water_w = 1 - _smooth(d, -1.0, 1.0)
    foam = np.clip(foam * 1.3, 0, 1)
    col = col + (245 - col) * foam[:, None]
    aux = np.stack([foam, landuse_w, water_w], axis=1)
    return col[None].astype(np.float32), aux[None].astype(np.float32)


# ----------------------------------------------------------------------------------------------
# Object shapes (boat coordinates: x forward, y starboard, z up; metres)

HULL_COLOURS: dict[str, list[tuple[int, int, int]]] = {
    "inflatable": [(60, 60, 62), (40, 40, 40), (95, 95, 98), (70, 72, 80), (30, 30, 34), (120, 120, 120)],
    "rib": [(50, 50, 50), (40, 40, 160), (90, 90, 90), (30, 90, 200)],
    "motorboat": [(235, 235, 235), (220, 225, 230), (200, 120, 40), (240, 240, 240)],
    "fishing": [(40, 40, 160), (160, 90, 30), (230, 230, 230), (30, 110, 40), (40, 40, 40), (30, 60, 170)],
    "yacht": [(240, 240, 240), (230, 232, 235), (80, 50, 20), (220, 220, 220)],
    "sailboat": [(245, 245, 245), (235, 235, 235), (120, 60, 20), (200, 200, 200)],
    "ferry": [(235, 235, 235), (120, 60, 20), (30, 30, 150)],
    "tanker": [(30, 30, 160), (40, 40, 40), (100, 60, 20), (30, 60, 120)],
    "kayak": [(0, 140, 255), (0, 200, 255), (40, 40, 200), (200, 120, 30)],
    "windsurf": [(240, 240, 240), (0, 200, 255), (200, 200, 200)],
}
CLOTHES = [
    (30, 30, 30),
    (50, 45, 40),
    (80, 60, 40),
    (40, 40, 90),
    (120, 110, 100),
    (30, 30, 60),
    (20, 20, 20),
    (60, 70, 60),
    (150, 150, 150),
    (200, 200, 200),
    (40, 90, 160),
    (160, 60, 40),
]
LIFEJACKET = [(0, 110, 250), (0, 90, 230), (20, 140, 255)]
SKIN = [(140, 170, 210), (90, 120, 160), (60, 80, 110), (110, 140, 190)]
HAIR = [(20, 20, 25), (30, 40, 60), (25, 25, 25)]


def _hull_outline(length: float, beam: float, kind: str) -> npt.NDArray[np.float64]:
    L2, B2 = length / 2, beam / 2
    if kind in ("inflatable", "rib", "kayak"):
        ang = np.linspace(-math.pi / 2, math.pi / 2, 7)
        bow = np.stack([L2 - B2 + B2 * np.cos(ang), B2 * np.sin(ang)], axis=1)
        return np.vstack([bow, [[-L2, B2], [-L2, -B2]]])[[*range(3, 7), 7, 8, *range(0, 3)]]
    if kind in ("ferry", "tanker"):
        return np.array([[L2, 0], [L2 * 0.8, B2], [-L2, B2], [-L2, -B2], [L2 * 0.8, -B2]])
    return np.array(
        [
            [L2, 0],
            [L2 * 0.45, B2],
            [-L2 * 0.2, B2],
            [-L2, B2 * 0.85],
            [-L2, -B2 * 0.85],
            [-L2 * 0.2, -B2],
            [L2 * 0.45, -B2],
        ]
    )


def _to_world(
    pts_xy: npt.NDArray[np.float64], o: WorldObject, z: float | npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    h = math.radians(o.heading_deg)
    fwd = np.array([math.sin(h), math.cos(h)])
    stb = np.array([math.cos(h), -math.sin(h)])
    xy = (
        o.east_m + pts_xy[:, :1] * fwd[0] + pts_xy[:, 1:2] * stb[0],
        o.north_m + pts_xy[:, :1] * fwd[1] + pts_xy[:, 1:2] * stb[1],
    )
    zz = np.broadcast_to(np.asarray(z, float), (len(pts_xy),))
    return np.column_stack([xy[0][:, 0], xy[1][:, 0], zz])


def _box_corners(cx: float, cy: float, lx: float, ly: float) -> npt.NDArray[np.float64]:
    return np.array(
        [
            [cx + lx / 2, cy + ly / 2],
            [cx + lx / 2, cy - ly / 2],
            [cx - lx / 2, cy - ly / 2],
            [cx - lx / 2, cy + ly / 2],
        ]
    )


def _shade(c: tuple[int, int, int], f: float) -> tuple[int, int, int]:
    return (int(min(255, c[0] * f)), int(min(255, c[1] * f)), int(min(255, c[2] * f)))


@dataclass
class _Canvas:
    img: U8
    ids: npt.NDArray[np.uint16]
    pose: CameraPose
    intr: CameraIntrinsics
    look: Look
    aa: int = cv2.LINE_AA
    # per drawn object: list of polygons (Nx2 pixel arrays) that make up its silhouette
    extents: dict[int, list[npt.NDArray[np.float64]]] = field(default_factory=dict)
    erase: bool = False
    occluders: list[tuple[float, float, float, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # the same maths as shorewatch.camera.project, with the rotation computed once per frame
        self._R = self.pose.rotation()
        self._c = self.pose.position
        self._fwd = self._R[:, 2].copy()
        lk = self.look
        self.sun = (
            None
            if (lk.shadows >= 0.95 or lk.sun_elev_deg < 2)
            else sun_vector(replace(lk, sun_elev_deg=max(lk.sun_elev_deg, 25.0)))
        )

    def proj(self, pts: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], bool]:
        pc = (np.atleast_2d(pts) - self._c) @ self._R
        z = pc[:, 2]
        if not bool((z > 1e-6).all()):
            return np.zeros((len(pc), 2)), False
        i = self.intr
        return np.stack([i.fx_px * pc[:, 0] / z + i.cx_px, i.fy_px * pc[:, 1] / z + i.cy_px], axis=1), True

    def depth(self, p: npt.NDArray[np.float64]) -> float:
        return float((p - self._c) @ self._fwd)

    def poly(
        self, oid: int, pts_px: npt.NDArray[np.float64], colour: tuple[int, int, int], *, record: bool = True
    ) -> None:
        if not np.isfinite(pts_px).all():
            return  # a degenerate shape: nothing sensible to draw
        # a point just in front of the lens projects millions of pixels out: past int32 once in
        # OpenCV's fixed point (1/16 px), where the cast wraps and the polygon scribbles the frame
        p = np.round(np.clip(pts_px, -1e6, 1e6) * 16).astype(np.int32)
        cv2.fillPoly(self.img, [p], colour, self.aa, shift=4)
        if record and oid:
            cv2.fillPoly(self.ids, [p], oid, cv2.LINE_8, shift=4)
            self.extents.setdefault(oid, []).append(pts_px)
        elif self.erase:  # an unlabelled thing (car, chair, house...) hides what is behind it
            cv2.fillPoly(self.ids, [p], 0, cv2.LINE_8, shift=4)
            self.occluders.append((*pts_px.min(axis=0), *pts_px.max(axis=0)))

    def hull_fill(
        self, oid: int, pts_px: npt.NDArray[np.float64], colour: tuple[int, int, int], *, record: bool = True
    ) -> None:
        hull = cv2.convexHull(pts_px.astype(np.float32)).reshape(-1, 2).astype(np.float64)
        self.poly(oid, hull, colour, record=record)

    def circle(
        self,
        oid: int,
        centre: npt.NDArray[np.float64],
        radius: float,
        colour: tuple[int, int, int],
        *,
        record: bool = True,
    ) -> None:
        r = max(radius, 0.5)
        ang = np.linspace(0, 2 * math.pi, 12, endpoint=False)
        pts = centre[None, :] + r * np.stack([np.cos(ang), np.sin(ang)], axis=1)
        self.poly(oid, pts, colour, record=record)

    def line(
        self,
        oid: int,
        a: npt.NDArray[np.float64],
        b: npt.NDArray[np.float64],
        colour: tuple[int, int, int],
        width_px: float,
    ) -> None:
        w = max(width_px, 0.8) / 2
        d = b - a
        n = np.array([-d[1], d[0]]) / max(float(np.hypot(*d)), 1e-6) * w
        self.poly(oid, np.array([a + n, b + n, b - n, a - n]), colour)

    def ground_colour(self, px: npt.NDArray[np.float64]) -> tuple[int, int, int]:
        h, w = self.img.shape[:2]
        u = int(np.clip(px[0], 0, w - 1))
        v = int(np.clip(px[1], 0, h - 1))
        b, g, r = self.img[v, u]
        return int(b), int(g), int(r)

    def shadow(self, pts_world_top: npt.NDArray[np.float64], base_world: npt.NDArray[np.float64]) -> None:
        """Cast the shadow of points (z > 0) onto z = 0 as a darkened polygon (with the base)."""
        if self.sun is None:
            return
        s = self.sun
        k = pts_world_top[:, 2:3] / s[2]
        shadow = pts_world_top[:, :2] - k * s[None, :2]
        pts = np.vstack([np.column_stack([shadow, np.zeros(len(shadow))]), base_world])
        px, ok = self.proj(pts)
        if not ok:
            return
        c = self.ground_colour(px[-1])
        self.hull_fill(0, px, _shade(c, self.look.shadows), record=False)


_ANG8 = np.linspace(0, 2 * math.pi, 8, endpoint=False)
_C8, _S8 = np.cos(_ANG8), np.sin(_ANG8)


def _draw_person(cv: _Canvas, o: WorldObject, base_z: float = 0.0) -> None:
    if o.kind not in ("swimmer", "sunbather"):
        return _draw_figure(cv, o, base_z)
    rng = np.random.default_rng(o.style)
    base = np.array([o.east_m, o.north_m, base_z])
    if o.kind == "swimmer":
        head = base + np.array([0, 0, 0.12])
        ring = _to_world(
            np.array(
                [
                    [math.cos(a) * 0.45, math.sin(a) * 0.45]
                    for a in np.linspace(0, 2 * math.pi, 10, endpoint=False)
                ]
            ),
            o,
            0.0,
        )
        px, ok = cv.proj(np.vstack([ring, head[None]]))
        if not ok:
            return
        cv.poly(0, px[:-1], (235, 235, 230), record=False)  # splash
        shoulders = _to_world(
            np.array(
                [
                    [0.12 * math.cos(a), 0.24 * math.sin(a)]
                    for a in np.linspace(0, 2 * math.pi, 8, endpoint=False)
                ]
            ),
            o,
            0.02,
        )
        sp, _ = cv.proj(shoulders)
        cv.hull_fill(o.object_id, sp, CLOTHES[int(rng.integers(len(CLOTHES)))])
        r_px = cv.intr.fx_px * 0.12 / max(cv.depth(head), 0.1)
        cv.circle(o.object_id, px[-1], r_px, HAIR[int(rng.integers(len(HAIR)))])
        return
    if o.kind == "sunbather":  # lying on the sand: a flat figure and a head
        body = np.array(
            [[0.75 * math.cos(a), 0.2 * math.sin(a)] for a in np.linspace(0, 2 * math.pi, 10, endpoint=False)]
        )
        pts = np.vstack([_to_world(body, o, 0.05), _to_world(body * 0.8, o, 0.22)])
        head = _to_world(np.array([[0.88, 0.0]]), o, 0.12)[0]
        px, ok = cv.proj(np.vstack([pts, head[None]]))
        if not ok:
            return
        skin = SKIN[int(rng.integers(len(SKIN)))]
        cv.hull_fill(
            o.object_id, px[:-1], skin if rng.random() < 0.5 else CLOTHES[int(rng.integers(len(CLOTHES)))]
        )
        r_px = cv.intr.fx_px * 0.11 / max(cv.depth(head), 0.1)
        cv.circle(o.object_id, px[-1], r_px, HAIR[int(rng.integers(len(HAIR)))])
        return


def _draw_figure(cv: _Canvas, o: WorldObject, base_z: float) -> None:
    """A standing (or seated) figure: feet, hips ring, shoulders ring, head; one projection for
    the figure and its shadow."""
    h = o.height_m
    hw = 0.12 if not o.in_boat else 0.13
    yaw = math.radians(cv.pose.yaw_deg)
    rx, ry = math.cos(yaw) * hw, -math.sin(yaw) * hw
    hh = math.radians(o.heading_deg)
    fx_, fy_ = math.sin(hh), math.cos(hh)
    sx_, sy_ = math.cos(hh), -math.sin(hh)
    ring_e = o.east_m + 0.13 * _C8 * fx_ + 0.23 * _S8 * sx_
    ring_n = o.north_m + 0.13 * _C8 * fy_ + 0.23 * _S8 * sy_
    z_hip, z_sh, z_head = base_z + h * 0.48, base_z + h * 0.8, base_z + h * (0.93 if not o.in_boat else 0.9)
    pts = np.empty((19, 3))
    pts[0] = (o.east_m + rx, o.north_m + ry, base_z)
    pts[1] = (o.east_m - rx, o.north_m - ry, base_z)
    pts[2:10, 0], pts[2:10, 1], pts[2:10, 2] = ring_e, ring_n, z_hip
    pts[10:18, 0], pts[10:18, 1], pts[10:18, 2] = ring_e, ring_n, z_sh
    pts[18] = (o.east_m, o.north_m, z_head)
    sun = cv.sun
    cast_shadow = not o.in_boat and not o.in_water and sun is not None
    if cast_shadow and sun is not None:
        top = pts[10:19]
        k = top[:, 2:3] / sun[2]
        sh = np.column_stack([top[:, :2] - k * sun[None, :2], np.zeros(9)])
        allp = np.vstack([pts, sh])
    else:
        allp = pts
    px, ok = cv.proj(allp)
    if not ok:
        return
    if cast_shadow:
        c = cv.ground_colour(px[0])
        cv.hull_fill(0, np.vstack([px[19:], px[:2]]), _shade(c, cv.look.shadows), record=False)
    st = o.style
    jacket = o.kind in ("migrant", "passenger") and (st % 10) < 6
    top_c = LIFEJACKET[(st >> 4) % len(LIFEJACKET)] if jacket else CLOTHES[(st >> 4) % len(CLOTHES)]
    legs = CLOTHES[(st >> 9) % len(CLOTHES)]
    if not o.in_boat:
        cv.hull_fill(o.object_id, px[:10], _shade(legs, 0.8))
    cv.hull_fill(o.object_id, px[2:18], top_c)
    r_px = cv.intr.fx_px * 0.11 / max(cv.depth(pts[18]), 0.1)
    head_c = HAIR[(st >> 13) % len(HAIR)] if (st >> 16) % 10 < 6 else SKIN[(st >> 13) % len(SKIN)]
    cv.circle(o.object_id, px[18], r_px, head_c)


def _depth(pose: CameraPose, p: npt.NDArray[np.float64]) -> float:
    return float((p - pose.position) @ pose.rotation()[:, 2])


def _draw_boat(cv: _Canvas, o: WorldObject, t_s: float) -> None:
    rng = np.random.default_rng(o.style)
    kind = o.kind
    L, B, fb = o.length_m, o.beam_m, o.height_m
    outline = _hull_outline(L, B, kind if kind != "bundle" else "inflatable")
    base_col = HULL_COLOURS.get(kind, HULL_COLOURS["inflatable"])
    hull_c = base_col[int(rng.integers(len(base_col)))]
    # wake and bow wave (not part of the box)
    if o.in_water and o.speed_mps > 0.4:
        k = min(1.0, o.speed_mps / 8.0)
        wl = L * (1.0 + 2.0 * k) + 4 * k
        # turbulent strip behind the stern, widening slowly and fading out
        gc0 = None
        for _j, (f0, f1, mix) in enumerate(((0.0, 0.35, 0.7), (0.35, 0.7, 0.4), (0.7, 1.0, 0.18))):
            w0, w1 = B * (0.4 + 0.4 * k * f0), B * (0.4 + 0.4 * k * f1)
            strip = np.array(
                [
                    [-L / 2 - wl * f0, w0],
                    [-L / 2 - wl * f1, w1],
                    [-L / 2 - wl * f1, -w1],
                    [-L / 2 - wl * f0, -w0],
                ]
            )
            wpx, ok = cv.proj(_to_world(strip, o, 0.0))
            if not ok:
                break
            gc = cv.ground_colour(wpx[1]) if gc0 is None else gc0
            gc0 = gc
            m = mix * (0.5 + 0.5 * k)
            cv.poly(0, wpx, tuple(int(c * (1 - m) + 235 * m) for c in gc), record=False)  # type: ignore[arg-type]
        if gc0 is not None:
            gc = gc0
            arm = wl * 0.6
            # Kelvin arms: two thin foam lines at about 10 degrees
            arm = wl * 0.8
            for sgn in (1, -1):
                pts = np.array([[L * 0.3, sgn * B * 0.5], [L * 0.3 - arm, sgn * (B * 0.5 + arm * 0.18)]])
                apx, ok2 = cv.proj(_to_world(pts, o, 0.0))
                if ok2 and k > 0.25:
                    cv.line(
                        0,
                        apx[0],
                        apx[1],
                        (int(gc[0] * 0.7 + 70), int(gc[1] * 0.7 + 70), int(gc[2] * 0.7 + 70)),
                        max(0.8, cv.intr.fx_px * 0.15 / max(cv.depth(_to_world(pts[:1], o, 0.0)[0]), 0.1)),
                    )
        bow = np.array([[L / 2 + 0.2, 0], [L * 0.2, B * 0.62], [L * 0.2, -B * 0.62]])
        bpx, ok = cv.proj(_to_world(bow, o, 0.0))
        if ok:
            cv.poly(0, bpx, (230, 232, 235), record=False)
    bottom = _to_world(outline, o, 0.0)
    top = _to_world(outline, o, fb)
    if not o.in_water:
        cv.shadow(top, bottom)
    px, ok = cv.proj(np.vstack([bottom, top]))
    if not ok:
        return
    n = len(outline)
    oid = o.object_id
    if kind in ("inflatable", "bundle"):
        cv.hull_fill(oid, px, _shade(hull_c, 0.75))
        cv.poly(oid, px[n:], hull_c)
        floor = _to_world(outline * np.array([0.8, 0.62]), o, fb * 0.35)
        fpx, _ = cv.proj(floor)
        cv.poly(oid, fpx, _shade(hull_c, 0.55) if rng.random() < 0.5 else (70, 80, 90))
        # people aboard who are not separate objects: dark heads and orange jackets
        return
    if kind == "kayak":
        cv.hull_fill(oid, px, hull_c)
        return
    if kind == "windsurf":  # a board and a colourful sail (tilted), labelled as a boat
        cv.hull_fill(oid, px, hull_c)
        tilt = rng.uniform(-0.25, 0.25)
        m0 = _to_world(np.array([[0.2, 0.0]]), o, fb)[0]
        top = _to_world(np.array([[0.0, tilt * 4.0]]), o, fb + 4.3)[0]
        clew = _to_world(np.array([[-1.8, tilt * 1.5 + rng.uniform(-0.4, 0.4)]]), o, fb + 1.6)[0]
        sp, ok3 = cv.proj(np.vstack([m0, top, clew]))
        if ok3:
            sail = [(0, 0, 230), (0, 200, 255), (200, 60, 20), (240, 240, 240), (30, 220, 30), (180, 0, 180)]
            cv.poly(oid, sp, sail[int(rng.integers(len(sail)))])
        return
    cv.hull_fill(oid, px, _shade(hull_c, 0.8))
    deck_c = (200, 205, 210) if kind not in ("rib",) else (60, 60, 60)
    if kind == "rib":
        cv.poly(oid, px[n:], hull_c)
        inner = _to_world(outline * np.array([0.8, 0.6]), o, fb * 0.6)
        ipx, _ = cv.proj(inner)
        cv.poly(oid, ipx, (150, 150, 150))
        cons = _to_world(_box_corners(-L * 0.05, 0, L * 0.15, B * 0.35), o, fb + 0.7)
        cpx, _ = cv.proj(
            np.vstack([_to_world(_box_corners(-L * 0.05, 0, L * 0.15, B * 0.35), o, fb * 0.6), cons])
        )
        cv.hull_fill(oid, cpx, (210, 210, 210))
        return
    cv.poly(oid, px[n:], deck_c if rng.random() < 0.6 else _shade(hull_c, 1.1))
    # superstructure
    if kind in ("fishing", "motorboat", "yacht", "ferry", "tanker"):
        if kind == "fishing":
            cx, lx, ly, hz = L * 0.15, L * 0.28, B * 0.7, 2.3
        elif kind == "motorboat":
            cx, lx, ly, hz = L * 0.05, L * 0.35, B * 0.75, 1.1
        elif kind == "yacht":
            cx, lx, ly, hz = L * 0.0, L * 0.35, B * 0.6, 0.8
        elif kind == "ferry":
            cx, lx, ly, hz = -L * 0.05, L * 0.6, B * 0.9, 14.0
        else:
            cx, lx, ly, hz = -L * 0.4, L * 0.12, B * 0.9, 14.0
        foot = _box_corners(cx, 0, lx, ly)
        c3 = np.vstack([_to_world(foot, o, fb), _to_world(foot, o, fb + hz)])
        cpx, ok2 = cv.proj(c3)
        if ok2:
            cab_c = (235, 235, 235) if rng.random() < 0.75 else (60, 60, 60)
            cv.hull_fill(oid, cpx, _shade(cab_c, 0.8))
            cv.poly(oid, cpx[4:], cab_c)
            # windows band
            if hz > 1.0:
                wb = np.vstack(
                    [_to_world(foot * 1.001, o, fb + hz * 0.6), _to_world(foot * 1.001, o, fb + hz * 0.8)]
                )
                wpx, _ = cv.proj(wb)
                side = wpx[[0, 1, 5, 4]]
                cv.poly(oid, side, (60, 50, 40))
        if kind == "fishing":
            m0 = _to_world(np.array([[L * 0.3, 0]]), o, fb)[0]
            m1 = m0 + np.array([0, 0, 6.0])
            mp, ok3 = cv.proj(np.vstack([m0, m1]))
            if ok3:
                cv.line(oid, mp[0], mp[1], (40, 40, 40), cv.intr.fx_px * 0.15 / max(cv.depth(m0), 0.1))
        if kind == "ferry" and rng.random() < 0.8:
            f0 = _to_world(np.array([[-L * 0.15, 0]]), o, fb + hz)[0]
            fp, ok3 = cv.proj(np.vstack([f0, f0 + np.array([0.0, 0.0, 8.0])]))
            if ok3:
                cv.line(oid, fp[0], fp[1], (40, 40, 160), cv.intr.fx_px * 4.0 / max(cv.depth(f0), 0.1))
    if kind in ("sailboat", "yacht"):
        mast_h = L * (1.35 if kind == "sailboat" else 1.25)
        m0 = _to_world(np.array([[L * 0.12, 0]]), o, fb)[0]
        m1 = m0 + np.array([0, 0, mast_h])
        boom = _to_world(np.array([[-L * 0.3, rng.uniform(-0.3, 0.3) * B]]), o, fb + 1.0)[0]
        bow = _to_world(np.array([[L * 0.48, 0]]), o, fb)[0]
        sp, ok3 = cv.proj(np.vstack([m0, m1, boom, bow, m0 + np.array([0.0, 0.0, 1.0])]))
        if ok3:
            sails_up = rng.random() < (0.8 if o.speed_mps > 0.3 else 0.15)
            sail_c = (245, 245, 245) if rng.random() < 0.85 else (200, 210, 230)
            if sails_up:
                cv.poly(oid, sp[[1, 4, 2]], sail_c)
                cv.poly(oid, sp[[1, 3, 0]], _shade(sail_c, 0.92))
            cv.line(
                oid, sp[0], sp[1], (180, 180, 180), max(1.0, cv.intr.fx_px * 0.12 / max(cv.depth(m0), 0.1))
            )


def _draw_misc(cv: _Canvas, o: WorldObject) -> None:
    rng = np.random.default_rng(o.style)
    k = o.kind
    if k == "dog":
        body = _to_world(
            np.array(
                [
                    [0.4 * math.cos(a), 0.14 * math.sin(a)]
                    for a in np.linspace(0, 2 * math.pi, 8, endpoint=False)
                ]
            ),
            o,
            0.45,
        )
        px, ok = cv.proj(np.vstack([body, _to_world(body[:, :2] * 0 + [[0.0, 0.0]], o, 0.0)[:1]]))
        if ok:
            cv.shadow(body, body * [1, 1, 0])
            cv.hull_fill(
                0,
                px,
                [(30, 30, 30), (40, 80, 120), (200, 200, 200), (20, 60, 110)][int(rng.integers(4))],
                record=False,
            )
    elif k == "vehicle":
        foot = _box_corners(0, 0, o.length_m, o.beam_m)
        c3 = np.vstack([_to_world(foot, o, 0.3), _to_world(foot * [0.55, 0.9], o, o.height_m)])
        px, ok = cv.proj(c3)
        if ok:
            cv.shadow(c3[4:], c3[:4] * [1, 1, 0])
            c = [(230, 230, 230), (40, 40, 40), (40, 40, 170), (150, 100, 50), (160, 160, 160)][
                int(rng.integers(5))
            ]
            cv.hull_fill(0, px, _shade(c, 0.8), record=False)
            cv.poly(0, px[4:], c, record=False)
    elif k == "chair":  # German "Strandkorb"-like beach chair or a deck chair
        foot = _box_corners(0, 0, 1.2, 0.9)
        c3 = np.vstack([_to_world(foot, o, 0.0), _to_world(foot, o, 1.5)])
        px, ok = cv.proj(c3)
        if ok:
            cv.shadow(c3[4:], c3[:4])
            c = [(240, 240, 240), (200, 120, 40), (40, 40, 200), (60, 160, 60)][int(rng.integers(4))]
            cv.hull_fill(0, px, (235, 235, 235), record=False)
            cv.poly(0, px[4:], c, record=False)
    elif k == "umbrella":
        ang = np.linspace(0, 2 * math.pi, 10, endpoint=False)
        disc = _to_world(np.stack([1.0 * np.cos(ang), 1.0 * np.sin(ang)], axis=1), o, 2.0)
        pole = _to_world(np.zeros((1, 2)), o, 0.0)
        px, ok = cv.proj(np.vstack([disc, pole]))
        if ok:
            cv.shadow(disc, pole)
            cv.line(0, px[-1], px[:-1].mean(axis=0), (200, 200, 200), 1.0)
            c = [(40, 40, 220), (240, 240, 240), (0, 160, 250), (160, 60, 20), (60, 200, 220)][
                int(rng.integers(5))
            ]
            cv.poly(0, px[:-1], c, record=False)
    elif k == "pier":  # a jetty / harbour wall: a long low box (length_m x beam_m x height_m)
        foot = _box_corners(0, 0, o.length_m, o.beam_m)
        c3 = np.vstack([_to_world(foot, o, 0.0), _to_world(foot, o, o.height_m)])
        px, ok = cv.proj(c3)
        if ok:
            c = [(150, 150, 150), (120, 125, 130), (90, 110, 130), (170, 170, 165)][int(rng.integers(4))]
            cv.hull_fill(0, px, _shade(c, 0.7), record=False)
            cv.poly(0, px[4:], c, record=False)
    elif k in ("road", "path"):  # a flat strip on the ground (length_m x beam_m)
        px, ok = cv.proj(_to_world(_box_corners(0, 0, o.length_m, o.beam_m), o, 0.0))
        if ok:
            c = [(95, 95, 100), (120, 120, 125), (150, 160, 170), (70, 72, 75)][int(rng.integers(4))]
            cv.poly(0, px, c, record=False)
    elif k in ("house", "tree"):
        _draw_structure(
            cv, (k, o.east_m, o.north_m, o.length_m, o.beam_m, o.height_m, o.heading_deg, o.style)
        )
    elif k == "towel":
        px, ok = cv.proj(_to_world(_box_corners(0, 0, 1.8, 0.9), o, 0.0))
        if ok:
            cv.poly(
                0,
                px,
                [(200, 80, 40), (40, 200, 240), (240, 240, 240), (60, 60, 200)][int(rng.integers(4))],
                record=False,
            )
    elif k == "buoy":
        ring = _to_world(
            np.array(
                [
                    [0.35 * math.cos(a), 0.35 * math.sin(a)]
                    for a in np.linspace(0, 2 * math.pi, 8, endpoint=False)
                ]
            ),
            o,
            0.0,
        )
        px, ok = cv.proj(np.vstack([ring, ring + np.array([0.0, 0.0, 1.0])]))
        if ok:
            c = [(30, 30, 220), (30, 200, 240), (40, 140, 40), (20, 100, 255)][int(rng.integers(4))]
            cv.hull_fill(0, px, c, record=False)
    elif k == "rock":
        ang = np.sort(rng.uniform(0, 2 * math.pi, 7))
        r = rng.uniform(0.3, 1.2)
        base = _to_world(
            np.stack(
                [r * np.cos(ang) * rng.uniform(0.6, 1.2, 7), r * np.sin(ang) * rng.uniform(0.6, 1.2, 7)],
                axis=1,
            ),
            o,
            0.0,
        )
        px, ok = cv.proj(np.vstack([base, base * [1, 1, 0] + [0, 0, r * 0.4]]))
        if ok:
            cv.hull_fill(
                0, px, [(50, 55, 55), (70, 75, 80), (40, 45, 40)][int(rng.integers(3))], record=False
            )


def _draw_structure(cv: _Canvas, s: tuple[str, float, float, float, float, float, float, int]) -> None:
    kind, e, n, sx, sy, h, yaw, style = s
    rng = np.random.default_rng(style)
    o = WorldObject(0, "", kind, e, n, yaw)
    if kind == "house":
        foot = _box_corners(0, 0, sx, sy)
        walls = np.vstack([_to_world(foot, o, 0.0), _to_world(foot, o, h)])
        ridge = _to_world(np.array([[sx / 2, 0], [-sx / 2, 0]]), o, h + sy * 0.45)
        px, ok = cv.proj(np.vstack([walls, ridge]))
        if not ok:
            return
        cv.shadow(np.vstack([walls[4:], ridge]), walls[:4])
        wall_c = [(235, 235, 235), (60, 80, 150), (200, 210, 220), (90, 110, 160)][int(rng.integers(4))]
        roof_c = [(40, 50, 130), (60, 60, 65), (50, 70, 160), (90, 90, 90)][int(rng.integers(4))]
        cv.hull_fill(0, px[:8], _shade(wall_c, 0.85), record=False)
        cv.poly(0, px[[4, 5, 9, 8]], roof_c, record=False)
        cv.poly(0, px[[6, 7, 8, 9]], _shade(roof_c, 0.8), record=False)
    else:
        c = np.array([[e, n, h * 0.65]])
        base = np.array([[e, n, 0.0]])
        px, ok = cv.proj(np.vstack([c, base]))
        if not ok:
            return
        d = max(cv.depth(c[0]), 0.1)
        r_px = cv.intr.fx_px * sx / d
        cv.line(0, px[1], px[0], (40, 50, 60), max(1.0, cv.intr.fx_px * 0.3 / d))
        g = [(40, 80, 50), (30, 65, 40), (50, 95, 70), (35, 75, 60)][int(rng.integers(4))]
        cv.circle(0, px[0], r_px, g, record=False)
        cv.circle(0, px[0] + [-r_px * 0.3, -r_px * 0.3], r_px * 0.55, _shade(g, 1.25), record=False)


# ----------------------------------------------------------------------------------------------
# The camera


class SimCamera:
    """Renders the world from a drone's telemetry. ``render`` does not advance the world: call
    ``world.step_to(t)`` first, or pass ``scenario_time_s``."""

    def __init__(
        self,
        world: World,
        intrinsics: CameraIntrinsics = DEFAULT_INTRINSICS,
        seed: int = 0,
        look: Look | None = None,
        *,
        ground_scale: float = 0.5,
        effects: bool = True,
    ) -> None:
        self.world = world
        self.intr = intrinsics
        self.seed = seed
        sc = world.scenario
        self.look = look or Look.for_conditions(sc.time_of_day_h, sc.weather, sc.sea_state)
        self.ground_scale = ground_scale
        self.effects = effects
        self._tex = _make_textures(seed)
        self._index = 0
        self.source_id = f"sim:{sc.name}"
        self.extra_objects: list[WorldObject] = []
        self.draw_structures = True

    def pose(self, tel: Telemetry) -> CameraPose:
        """The camera over the world's flat ground, which lies at the sea's surface: at a tide the
        camera is ``alt_m - world.surface_m`` above it (telemetry altitudes are above mean sea level)."""
        up = tel.alt_m - self.world.surface_m
        if up <= 0.2:
            raise RenderError(
                f"camera altitude must be above the sea's surface (> 0.2 m), got {tel.alt_m} m "
                f"above mean sea level with the sea at {self.world.surface_m:+.1f} m"
            )
        e, n = self.world.site.frame.to_local(tel.lat_deg, tel.lon_deg)
        return CameraPose(e, n, up, tel.camera_yaw_deg, tel.gimbal_pitch_deg, 0.0)

    # -- ground ----------------------------------------------------------------------------------
    def _ground(self, pose: CameraPose, look: Look, t_s: float, horizon_v: float) -> tuple[U8, F32]:
        W, H = self.intr.width_px, self.intr.height_px
        gs = self.ground_scale
        w2, h2 = max(8, int(W * gs)), max(8, int(H * gs))
        intr2 = self.intr.scaled(w2, h2)
        K = np.array([[intr2.fx_px, 0, intr2.cx_px], [0, intr2.fy_px, intr2.cy_px], [0, 0, 1]])
        Rt = pose.rotation().T
        c = pose.position
        M = K @ np.column_stack([Rt[:, 0], Rt[:, 1], -Rt @ c])  # world (e, n, 1) -> image
        ter = self.world.terrain
        Mt = M @ np.linalg.inv(ter.raster_from_world())
        d = cv2.warpPerspective(
            ter.sdist, Mt, (w2, h2), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        if ter.base_sdist is not None:
            # low tide: the beach above the mapped waterline dries, the sand the sea left is wet
            # (a dark band at the water's edge, as at high water), the sea starts at the new edge
            d0 = cv2.warpPerspective(
                ter.base_sdist, Mt, (w2, h2), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            )
            dry = look.wet_width_m * 1.3
            d = np.where(d0 >= 0, d0 + dry, np.where(d >= 0, np.minimum(d, dry * 0.9), d)).astype(np.float32)
        landuse = cv2.warpPerspective(
            ter.landuse, Mt, (w2, h2), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        tex = self._tex

        def tex_warp(
            img: U8,
            tile_m: float,
            size: int,
            kk: F32 | None = None,
            out_wh: tuple[int, int] = (w2, h2),
            Mi: npt.NDArray[np.float64] = M,
        ) -> U8:
            s = size / tile_m
            ox = math.floor(c[0] / tile_m) * tile_m
            oy = math.floor(c[1] / tile_m) * tile_m
            T = np.array([[s, 0, -ox * s], [0, -s, oy * s], [0, 0, 1]])
            return _u8(
                cv2.warpPerspective(
                    img, Mi @ np.linalg.inv(T), out_wh, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP
                )
            )

        midu = tex_warp(tex.mid, tex.mid_m, tex.mid.shape[0])
        wob = midu[..., 2].astype(np.float32)
        d = d + (wob - 127.5) * (14.0 / 255.0)
        col_lut, aux_lut = _make_luts(look, t_s)
        mapx = ((d - LUT_MIN_M) * ((LUT_N - 1) / (LUT_MAX_M - LUT_MIN_M))).astype(np.float32)
        mapy = np.zeros_like(mapx)
        col = cv2.remap(
            np.clip(col_lut, 0, 255).astype(np.uint8),
            mapx,
            mapy,
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        aux = cv2.remap(aux_lut, mapx, mapy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if float(d.max()) > look.beach_width_m + 120:  # land use beyond the dunes is in view
            lw = np.ascontiguousarray(aux[..., 1])
            col = cv2.blendLinear(col, landuse, 1.0 - lw, lw)
        water = aux[..., 2:3]
        wat = np.ascontiguousarray(water[..., 0])
        # mid-scale detail (swell on water, patches on sand) as a saturating add
        sw = (midu[..., 1].astype(np.float32) - 127.5) * ((0.10 + 0.05 * look.sea_state) * 150.0 / 255.0)
        sp = (midu[..., 0].astype(np.float32) - 127.5) * (0.25 * 150.0 / 255.0)
        det = sp + wat * (sw - sp)
        cv2.add(col, cv2.merge([np.clip(det, 0, 255).astype(np.uint8)] * 3), dst=col)
        cv2.subtract(col, cv2.merge([np.clip(-det, 0, 255).astype(np.uint8)] * 3), dst=col)
        # the sea pales with distance (rows only where it matters)
        rows = np.arange(h2, dtype=np.float64) + 0.5
        dist = self._row_distance(pose, intr2, rows)
        far = (1 - np.exp(-dist / 3000.0)).astype(np.float32)
        vis = np.nonzero(far > 0.02)[0]
        if len(vis):
            r0 = int(vis[0])
            a = np.ascontiguousarray(far[r0:, None] * wat[r0:])
            sea_far = np.empty_like(col[r0:])
            sea_far[:] = np.array(look.sea_far_bgr, np.uint8)
            col[r0:] = cv2.blendLinear(col[r0:], sea_far, 1.0 - a, a)
        ground = col
        if gs != 1.0:
            ground = cv2.resize(ground, (W, H), interpolation=cv2.INTER_LINEAR)
            water_full = cv2.resize(water[..., 0], (W, H), interpolation=cv2.INTER_LINEAR)
        else:
            water_full = water[..., 0]
        return _u8(ground), _f32(water_full)

    def _row_distance(
        self, pose: CameraPose, intr: CameraIntrinsics, rows: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        R = pose.rotation()
        dc = np.stack([np.zeros_like(rows), (rows - intr.cy_px) / intr.fy_px, np.ones_like(rows)], axis=1)
        dw = dc @ R.T
        dz = dw[:, 2]
        t = np.where(dz < -1e-6, pose.up_m / np.maximum(-dz, 1e-6), 1e9)
        return np.minimum(t * np.linalg.norm(dw[:, :2], axis=1), 1e6)

    def _fine_detail(self, img: U8, pose: CameraPose, look: Look, water: F32) -> U8:
        """Full-resolution detail texture (grain, ripples, chop), faded with distance."""
        W, H = self.intr.width_px, self.intr.height_px
        intr = self.intr
        K = np.array([[intr.fx_px, 0, intr.cx_px], [0, intr.fy_px, intr.cy_px], [0, 0, 1]])
        Rt = pose.rotation().T
        c = pose.position
        M = K @ np.column_stack([Rt[:, 0], Rt[:, 1], -Rt @ c])
        tex = self._tex
        s = tex.fine.shape[0] / tex.fine_m
        ox = math.floor(c[0] / tex.fine_m) * tex.fine_m
        oy = math.floor(c[1] / tex.fine_m) * tex.fine_m
        T = np.array([[s, 0, -ox * s], [0, -s, oy * s], [0, 0, 1]])
        gsd = self._row_distance(pose, intr, np.arange(H, dtype=np.float64) + 0.5) / intr.fy_px
        fade = np.clip(1.5 - gsd / (tex.fine_m / tex.fine.shape[0]) / 4.0, 0, 1).astype(np.float32)
        vis = np.nonzero(fade > 0.02)[0]
        if len(vis) == 0:
            return img
        r0 = int(vis[0])
        # only the rows where the texture is visible: shift the homography by r0 rows
        S = np.array([[1, 0, 0], [0, 1, -r0], [0, 0, 1]], float)
        # one channel (OpenCV's 2-channel warp is much slower), applied as a saturating add
        # warped at half resolution and scaled up: 4x cheaper, and sensor noise adds the finest grain
        half = np.diag([0.5, 0.5, 1.0])
        hw, hh = (W + 1) // 2, (H - r0 + 1) // 2
        fine = cv2.warpPerspective(
            tex.fine1,
            half @ S @ M @ np.linalg.inv(T),
            (hw, hh),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_WRAP,
        )
        fine = cv2.resize(fine, (W, H - r0), interpolation=cv2.INTER_LINEAR)
        wv = water[r0:]
        k = (wv * ((0.0005 + 0.00025 * look.sea_state) * 150.0 - 0.15) + 0.15) * fade[r0:, None]
        amp = (fine.astype(np.float32) - 128.0) * k
        pos = cv2.merge([np.clip(amp, 0, 255).astype(np.uint8)] * 3)
        neg = cv2.merge([np.clip(-amp, 0, 255).astype(np.uint8)] * 3)
        out = img.copy()
        band = out[r0:]
        cv2.add(band, pos, dst=band)
        cv2.subtract(band, neg, dst=band)
        return out

    # -- sky -------------------------------------------------------------------------------------
    def _sky(self, img: U8, pose: CameraPose, look: Look, horizon_v: float) -> None:
        H, W = img.shape[:2]
        top = int(min(max(math.ceil(horizon_v), 0), H))
        if top <= 0:
            return
        # computed at half resolution and scaled up (the sky is smooth)
        th, tw = max(1, (top + 1) // 2), (W + 1) // 2
        rows = np.arange(th, dtype=np.float64) * (top / th)
        elev = np.degrees(np.arctan((horizon_v - rows) / self.intr.fy_px))  # approx. elevation above horizon
        w = np.clip(elev / 40.0, 0, 1) ** 0.6
        zen = np.array(look.sky_zenith_bgr, float)
        hor = np.array(look.sky_horizon_bgr, float)
        grad = hor[None] * (1 - w[:, None]) + zen[None] * w[:, None]
        sky = np.repeat(grad[:, None, :], tw, axis=1).astype(np.float32)
        if look.clouds > 0.02:
            cl = self._tex.clouds
            cw = cl.shape[1]
            shift = int(pose.yaw_deg / 360.0 * cw * 4) % cw
            scale_y = max(1, int(self.intr.fy_px / 300))
            yy = (np.clip((horizon_v - rows) / (3.0 * scale_y), 0, cl.shape[0] - 1)).astype(int)
            xx = (np.arange(tw) + shift) % cw
            cn = cl[yy][:, xx]
            thr = 1.0 - look.clouds
            a = np.clip((cn - thr) / 0.2, 0, 1) * np.clip(elev / 3.0, 0, 1)[:, None]
            cc = np.array(look.cloud_bgr, np.float32) * (0.85 + 0.15 * cn[..., None])
            sky = sky * (1 - a[..., None]) + cc * a[..., None]
        sky = _f32(cv2.resize(sky, (W, top), interpolation=cv2.INTER_LINEAR))
        img[:top] = np.clip(sky, 0, 255).astype(np.uint8)
        if look.far_shore > 0:
            self._far_shore(img, look, pose, horizon_v)

    def _far_shore(self, img: U8, look: Look, pose: CameraPose, horizon_v: float) -> None:
        """A distant shore on the horizon: a tree line with buildings, towers and cranes, hazed."""
        H, W = img.shape[:2]
        rng = np.random.default_rng(int(pose.yaw_deg * 10) + self.seed * 7 + int(look.far_shore * 100))
        hgt = look.far_shore
        xs = np.arange(W)
        prof = np.zeros(W)
        for _ in range(6):
            prof += rng.uniform(0.2, 1.0) * np.sin(xs / rng.uniform(4, 120) + rng.uniform(0, 6))
        prof = np.clip(hgt * (0.55 + 0.3 * prof / 3.0), 1, None)
        # the shore may cover only part of the horizon
        x_a = int(rng.uniform(-0.3, 0.5) * W)
        x_b = int(x_a + rng.uniform(0.5, 1.5) * W)
        hz = np.array(look.haze_bgr, float)
        haze = rng.uniform(0.35, 0.8)
        tree = (
            np.array([rng.uniform(35, 80), rng.uniform(60, 105), rng.uniform(45, 80)]) * (1 - haze)
            + hz * haze
        )
        hv = round(horizon_v)
        layer = img.copy()
        for x in range(max(x_a, 0), min(x_b, W)):
            y0 = int(hv - prof[x])
            if hv > 0 and y0 < H:
                layer[max(y0, 0) : min(hv + 1, H), x] = (tree * (0.9 + 0.2 * ((x * 7919) % 13) / 13)).astype(
                    np.uint8
                )
        for _ in range(int(rng.integers(0, 25))):
            bx = int(rng.uniform(x_a, x_b))
            bw = int(rng.uniform(2, 20) * max(hgt, 4) / 20)
            bh = int(rng.uniform(0.3, 1.2) * hgt)
            wall = np.array([rng.uniform(150, 240), rng.uniform(150, 235), rng.uniform(150, 235)])
            if rng.random() < 0.3:
                wall = np.array([60, 80, 150]) + rng.normal(0, 15, 3)
            wall = wall * (1 - haze) + hz * haze
            cv2.rectangle(layer, (bx, hv - bh), (bx + max(bw, 1), hv), tuple(int(v) for v in wall), -1)
            if rng.random() < 0.5:
                roof = np.array([50, 60, 120]) * (1 - haze) + hz * haze
                cv2.rectangle(
                    layer,
                    (bx, hv - bh - max(1, bh // 5)),
                    (bx + max(bw, 1), hv - bh),
                    tuple(int(v) for v in roof),
                    -1,
                )
        for _ in range(int(rng.integers(0, 4))):  # chimneys, masts, cranes
            bx = int(rng.uniform(x_a, x_b))
            th = int(rng.uniform(1.5, 4) * hgt)
            c = tuple(int(v) for v in (np.array([90, 90, 90]) * (1 - haze) + hz * haze))
            cv2.line(layer, (bx, hv), (bx, hv - th), c, max(1, int(hgt / 15)))
            if rng.random() < 0.4:
                cv2.line(layer, (bx, hv - th), (bx + int(rng.uniform(-1, 1) * th * 0.6), hv - th), c, 1)
        img[:] = layer

    # -- objects ---------------------------------------------------------------------------------
    def render(
        self, telemetry: Telemetry, *, scenario_time_s: float | None = None, look: Look | None = None
    ) -> tuple[Frame, list[GroundTruthObject]]:
        """Render one frame and its ground truth (boats and people whose box covers at least 4 px)."""
        if scenario_time_s is not None:
            self.world.step_to(scenario_time_s)
        look = look or self.look
        pose = self.pose(telemetry)
        W, H = self.intr.width_px, self.intr.height_px
        t_s = self.world.t_s
        horizon_v = self._horizon(pose)
        if horizon_v < H:
            img, water = self._ground(pose, look, t_s, horizon_v)
            img = self._fine_detail(img, pose, look, water)
            self._glint(img, pose, look, water, t_s)
        else:
            img = np.zeros((H, W, 3), np.uint8)
        self._sky(img, pose, look, horizon_v)
        ids = np.zeros((H, W), np.uint16)
        cv = _Canvas(img, ids, pose, self.intr, look)
        objects = list(self.world.objects) + list(self.extra_objects)
        # cull and sort far to near
        pos = np.array([[o.east_m, o.north_m, 0.5] for o in objects]) if objects else np.zeros((0, 3))
        items: list[tuple[float, int, object]] = []
        if len(pos):
            px, ok = project(pos, pose, self.intr)
            depth = (pos - pose.position) @ pose.rotation()[:, 2]
            margin = max(W, H)
            for i, o in enumerate(objects):
                if not ok[i] or depth[i] > 20000:
                    continue
                off_screen = not (-margin < px[i, 0] < W + margin and -margin < px[i, 1] < H + margin)
                if off_screen and o.length_m < 50:
                    continue
                # passengers are drawn just after (in front of) their boat
                items.append((float(depth[i]) - (0.5 if o.in_boat else 0.0), 1, o))
        if self.draw_structures:
            for s in self._structures(pose):
                items.append(
                    (float((np.array([s[1], s[2], 0.0]) - pose.position) @ pose.rotation()[:, 2]), 0, s)
                )
        items.sort(key=lambda it: -it[0])
        index_of: dict[int, WorldObject] = {}
        for _, typ, item in items:
            if typ == 0:
                cv.erase = True
                _draw_structure(cv, item)  # type: ignore[arg-type]
                cv.erase = False
                continue
            o = cast(WorldObject, item)
            assert isinstance(o, WorldObject)
            if o.class_name == "person" or o.kind in (
                "walker",
                "migrant",
                "passenger",
                "swimmer",
                "sunbather",
            ):
                _draw_person(cv, o, base_z=0.3 if o.in_boat else 0.0)
            elif o.class_name == "boat" or o.kind == "bundle":
                _draw_boat(cv, o, t_s)
            else:
                cv.erase = o.kind not in ("road", "path", "towel", "pier")
                _draw_misc(cv, o)
                cv.erase = False
            if o.labelled and o.class_name:
                index_of[o.object_id] = o
        gts = self._ground_truth(cv, index_of)
        img = self._finish(img, pose, look, horizon_v)
        self._index += 1
        frame = Frame(img, telemetry.timestamp_s, self.source_id, self._index - 1, telemetry, self.intr)
        return frame, gts

    def _structures(
        self, pose: CameraPose
    ) -> list[tuple[str, float, float, float, float, float, float, int]]:
        # only what is reasonably near the view's centre on the ground
        fwd = pose.rotation()[:, 2]
        reach = min(1500.0, pose.up_m / max(math.sin(math.radians(-pose.pitch_deg)), 0.05) * 1.5)
        reach = max(reach, 150.0)
        cx = (
            pose.east_m + fwd[0] / max(np.hypot(fwd[0], fwd[1]), 1e-6) * reach * 0.5
            if abs(pose.pitch_deg) < 89
            else pose.east_m
        )
        cy = (
            pose.north_m + fwd[1] / max(np.hypot(fwd[0], fwd[1]), 1e-6) * reach * 0.5
            if abs(pose.pitch_deg) < 89
            else pose.north_m
        )
        return self.world.structures_near(cx, cy, reach * 0.7)

    def _horizon(self, pose: CameraPose) -> float:
        """The row of the sea's visible horizon (roll is 0): the ray ``sea_horizon_dip_deg`` below
        the horizontal, as the earth's curve shows it (the flat ground beyond, 13 km and more at
        45 m, is painted as sky)."""
        row = level_camera_row(self.intr, pose.pitch_deg, -sea_horizon_dip_deg(pose.up_m))
        return float(np.clip(row, -1e9, 1e9))

    def _glint(self, img: U8, pose: CameraPose, look: Look, water: F32, t_s: float) -> None:
        if look.glint <= 0.02 or look.sun_elev_deg < 0:
            return
        s = sun_vector(look)
        refl = pose.position + 1e5 * np.array([s[0], s[1], -s[2]])
        px, ok = project(refl[None], pose, self.intr)
        if not ok[0]:
            return
        u, v = px[0]
        H, W = img.shape[:2]
        spread = self.intr.fx_px * (0.12 + 0.04 * look.sea_state)
        x0, x1 = int(max(0, u - 2.5 * spread)), int(min(W, u + 2.5 * spread))
        y0, y1 = int(max(0, v - 2.5 * spread)), int(min(H, v + 2.5 * spread))
        if x0 >= x1 or y0 >= y1:
            return
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        g = np.exp(-(((xs - u) / spread) ** 2 + ((ys - v) / (spread * 0.7)) ** 2))
        blk = img[y0:y1, x0:x1].astype(np.float32)
        sparkle = np.clip((blk.mean(axis=2) - blk.mean()) / 30.0 + 0.3, 0, 1)
        a = (look.glint * g * water[y0:y1, x0:x1] * (0.3 + 0.7 * sparkle))[..., None]
        img[y0:y1, x0:x1] = np.clip(blk + (255 - blk) * a, 0, 255).astype(np.uint8)

    def _ground_truth(self, cv: _Canvas, index_of: dict[int, WorldObject]) -> list[GroundTruthObject]:
        H, W = cv.img.shape[:2]
        out: list[GroundTruthObject] = []
        fr = self.world.site.frame
        bid = np.array(list(cv.extents.keys()), dtype=np.int64)
        bx = np.array(
            [[*np.vstack(p).min(axis=0), *np.vstack(p).max(axis=0)] for p in cv.extents.values()]
        ).reshape(-1, 4)
        if cv.occluders:
            bx = np.vstack([bx, np.array(cv.occluders)])
            bid = np.concatenate([bid, np.zeros(len(cv.occluders), np.int64)])
        for oid, polys in cv.extents.items():
            o = index_of.get(oid)
            if o is None:
                continue
            allp = np.vstack(polys)
            x0, y0 = allp.min(axis=0)
            x1, y1 = allp.max(axis=0)
            cx0, cy0, cx1, cy1 = max(x0, 0.0), max(y0, 0.0), min(x1, float(W)), min(y1, float(H))
            if cx1 - cx0 < 1 or cy1 - cy0 < 1 or (cx1 - cx0) * (cy1 - cy0) < 4:
                continue
            ix0, iy0, ix1, iy1 = int(cx0), int(cy0), math.ceil(cx1), math.ceil(cy1)
            lat, lon = fr.to_geo(o.east_m, o.north_m)
            if not np.any(
                (bx[:, 0] < x1) & (bx[:, 2] > x0) & (bx[:, 1] < y1) & (bx[:, 3] > y0) & (bid != oid)
            ):
                # nothing else drawn overlaps its box: fully visible
                out.append(
                    GroundTruthObject(
                        o.object_id,
                        o.class_name,
                        (float(cx0), float(cy0), float(cx1), float(cy1)),
                        lat,
                        lon,
                        0.0,
                        o.kind,
                        bool(o.in_water),
                    )
                )
                continue
            own = np.zeros((iy1 - iy0 + 1, ix1 - ix0 + 1), np.uint8)
            for p in polys:
                cv2.fillPoly(own, [np.round((p - [ix0, iy0]) * 16).astype(np.int32)], 1, cv2.LINE_8, shift=4)
            total = int(own.sum())
            vis = int(
                np.count_nonzero(
                    (cv.ids[iy0 : iy1 + 1, ix0 : ix1 + 1] == oid)
                    & (own[: min(iy1 + 1, H) - iy0, : min(ix1 + 1, W) - ix0] > 0)
                )
            )
            occl = 0.0 if total == 0 else max(0.0, 1.0 - vis / total)
            if total > 0 and occl > 0.95:
                continue
            out.append(
                GroundTruthObject(
                    o.object_id,
                    o.class_name,
                    (float(cx0), float(cy0), float(cx1), float(cy1)),
                    lat,
                    lon,
                    round(occl, 3),
                    o.kind,
                    bool(o.in_water),
                )
            )
        return out

    def _finish(self, img: U8, pose: CameraPose, look: Look, horizon_v: float) -> U8:
        """Haze by distance (in row bands), light colour and contrast (one lookup table), then
        (with effects) blur, noise and JPEG. Works on uint8 images with OpenCV's saturating ops."""
        H = img.shape[0]
        r0 = int(max(0, math.floor(horizon_v)))
        if r0 < H:
            rows = np.arange(r0, H, dtype=np.float64) + 0.5
            dist = self._row_distance(pose, self.intr, rows)
            hf = np.clip(1 - np.exp(-dist / (look.haze_km * 1000.0)), 0, 0.97)
            if hf.max() > 0.01:
                hz = np.array(look.haze_bgr, np.float64)
                start = 0
                n = len(hf)
                while start < n:
                    f0 = hf[start]
                    end = start + 1
                    while end < n and abs(hf[end] - f0) < 0.012 and end - start < 256:
                        end += 1
                    f = float(hf[start:end].mean())
                    if f > 0.004:
                        band = img[r0 + start : r0 + end]
                        cv2.addWeighted(band, 1 - f, band, 0.0, 0.0, dst=band)
                        cv2.add(band, np.array([*(float(v * f) for v in hz), 0.0]), dst=band)
                    start = end
        gain = np.array(look.light_bgr, np.float64) * look.brightness
        if look.contrast != 1.0 or not np.allclose(gain, 1.0):
            mean = float(img[::8, ::8].mean())
            x = np.arange(256, dtype=np.float64)
            lut = np.stack([np.clip(((x - mean) * look.contrast + mean) * g, 0, 255) for g in gain], axis=1)
            img = _u8(cv2.LUT(img, lut.astype(np.uint8).reshape(256, 1, 3)))
        if not self.effects:
            return img
        return self._sensor(img, look)

    def _noise(self, sigma: float, shape: tuple[int, int]) -> tuple[U8, U8]:
        """A cached field of Gaussian noise (as saturating positive and negative parts), larger than
        the image so that each frame can use a different window of it."""
        key = (round(sigma, 2), shape)
        if getattr(self, "_noise_key", None) != key:
            h, w = shape
            n = np.empty((h + 64, w + 64), np.float32)
            cv2.setRNGSeed(self.seed + 17)
            cv2.randn(n, np.zeros(1), np.full(1, float(sigma)))
            pos = np.clip(n, 0, 255).astype(np.uint8)
            neg = np.clip(-n, 0, 255).astype(np.uint8)
            self._noise_key = key
            self._noise_fields = (_u8(cv2.merge([pos] * 3)), _u8(cv2.merge([neg] * 3)))
        return self._noise_fields

    def _sensor(self, img: U8, look: Look) -> U8:
        rng = np.random.default_rng((self.seed * 1_000_003 + self._index) & 0xFFFFFFFF)
        H, W = img.shape[:2]
        if look.blur_px > 0.3:
            img = _u8(cv2.GaussianBlur(img, (0, 0), look.blur_px))
        if look.motion_blur_px >= 2:
            k = int(look.motion_blur_px) | 1
            ker = np.zeros((k, k), np.float32)
            ker[k // 2, :] = 1.0 / k
            rot = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), float(rng.uniform(0, 180)), 1.0)
            ker = _f32(cv2.warpAffine(ker, rot, (k, k)))
            ker /= max(float(ker.sum()), 1e-6)
            img = _u8(cv2.filter2D(img, -1, ker))
        if look.noise_sigma > 0.1:
            pos, neg = self._noise(look.noise_sigma, (H, W))
            oy, ox = int(rng.integers(0, 64)), int(rng.integers(0, 64))
            img = _u8(cv2.add(img, pos[oy : oy + H, ox : ox + W]))
            img = _u8(cv2.subtract(img, neg[oy : oy + H, ox : ox + W]))
        out = img
        if look.jpeg_quality > 0:
            ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(look.jpeg_quality)])
            if ok:
                out = _u8(cv2.imdecode(buf, cv2.IMREAD_COLOR))
        return out
