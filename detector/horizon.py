"""Levelling the camera on the sea's horizon: the gimbal's pitch measured from the picture.

Where a boat is placed depends on how far below the horizontal the camera looks at it, and
near the horizon on little else: from 45 m a boat 3 deg below the horizon is 860 m out, and
with the gimbal's pitch reported 1 deg too low it is placed 640 m out. Gimbals report their
pitch to 0.5-2 deg (the IMU's bias, the mount's own tilt, a camera re-seated after a crash);
the horizon, where the picture shows it, says the true pitch to a few hundredths of a degree.

``find_horizon(frame)`` looks for the horizon as a straight edge across the picture within
``search_deg`` of where the reported pose puts it: each of ``strips`` vertical strips of a
reduced picture is averaged into one column, its strongest colour steps are candidates, and the
line through the most strips (RANSAC over pairs, within ``max_roll_deg`` of level) is refined
by least squares. The line is then turned into the camera's pitch and roll by fitting the pose
whose rays along the line lie ``sea_horizon_dip_deg`` below the horizontal (the earth's curve:
0.2 deg at 45 m). A line is refused (None) where too few strips agree (land, cliffs or a ship
hide the sea's horizon, the camera looks down past it, haze hides it), where its points
scatter, or where its strips do not span ``min_span`` of the width.

``HorizonLevel`` applies it to a stream: the offset between the measured and the reported
pitch is kept over ``window_s`` (its median, so a cloud bank taken once for the horizon does
not move the map), a frame's own measurement is used when it agrees with that median, and the
frame's telemetry is returned with the measured pitch and ``Telemetry.pitch_accuracy_deg`` set,
which narrows every position's stated error along the line of sight
(``detector.georef``). Without a horizon for ``hold_s`` the telemetry is returned as it came.
Yaw is not corrected: the horizon says nothing of the heading.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from shorewatch.camera import CameraPose, level_camera_row, sea_horizon_dip_deg
from shorewatch.types import CameraIntrinsics, Frame, Telemetry

FloatArray = npt.NDArray[np.float64]


class HorizonConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = Field(
        True, description="level the camera's pitch on the sea's horizon where the picture shows it"
    )
    search_deg: float = Field(
        3.0,
        gt=0,
        le=15,
        description="how far (pitch) from where the reported pose puts the horizon it is looked for",
    )
    max_roll_deg: float = Field(
        3.0, ge=0, le=15, description="the most the horizon may lean (a stabilised gimbal: ~0)"
    )
    strips: int = Field(
        32, ge=8, le=128, description="vertical strips the picture is cut into, one point of the line each"
    )
    work_width_px: int = Field(
        640, ge=160, le=4096, description="the picture is reduced to this width to be searched"
    )
    min_step: float = Field(
        12.0,
        gt=0,
        le=255,
        description="the least colour step across the horizon (sum of B, G, R, grey levels)",
    )
    min_sharpness: float = Field(
        0.5,
        gt=0,
        le=1,
        description="an edge's step across one row over its step across 8 (haze fades the sea into the sky "
        "without an edge; the steepest row of such a fade is not the horizon)",
    )
    min_strips: float = Field(
        0.5, gt=0, le=1, description="the share of the strips that must lie on the line for it to be believed"
    )
    lowest_share: float = Field(
        0.7,
        gt=0,
        le=1,
        description="of the lines through at least this share of the best line's strips, the lowest is the "
        "sea's horizon (land on the horizon stands on it)",
    )
    min_span: float = Field(
        0.6, gt=0, le=1, description="the share of the picture's width those strips must span"
    )
    inlier_px: float = Field(
        1.0,
        gt=0,
        le=10,
        description="a strip's edge lies on the line within this many reduced-picture pixels",
    )
    max_rms_deg: float = Field(
        0.08, gt=0, le=2, description="refused where the line's points scatter more than this"
    )
    min_sigma_deg: float = Field(
        0.08,
        gt=0,
        le=2,
        description="the least pitch error stated for a levelled frame (refraction over cold water moves the horizon)",
    )
    window_s: float = Field(
        20.0, gt=0, le=600, description="the pitch offsets of the last this many seconds are pooled"
    )
    hold_s: float = Field(
        60.0, ge=0, le=3600, description="a pooled offset is still applied this long after the last horizon"
    )
    agree_deg: float = Field(
        0.3, gt=0, le=5, description="a frame's own horizon is used when within this of the pooled offset"
    )
    min_pool: int = Field(
        3, ge=1, le=100, description="horizons needed before a pooled offset is applied on its own"
    )


@dataclass(frozen=True, slots=True)
class HorizonFix:
    """The horizon found in one picture and the camera attitude it implies."""

    pitch_deg: float  # the camera's pitch that puts the horizon where it was seen
    roll_deg: float  # its roll (positive: right side down)
    row_px: float  # the horizon's row at the picture's centre column, full resolution
    slope: float  # rows per column
    strips: int  # strips on the line
    rms_deg: float  # scatter of those strips about the fitted pose
    sigma_deg: float  # one-sigma error of ``pitch_deg``


def _elevations(
    u: FloatArray, v: FloatArray, pitch_deg: float, roll_deg: float, intr: CameraIntrinsics
) -> FloatArray:
    """Elevation (radians, above the horizontal) of the rays through pixels (u, v) of a camera at
    ``pitch_deg`` and ``roll_deg`` (yaw does not change an elevation)."""
    rot = CameraPose(0.0, 0.0, 0.0, 0.0, pitch_deg, roll_deg).rotation()
    d = (
        np.stack([(u - intr.cx_px) / intr.fx_px, (v - intr.cy_px) / intr.fy_px, np.ones_like(u)], axis=1)
        @ rot.T
    )
    return np.asarray(np.arcsin(d[:, 2] / np.linalg.norm(d, axis=1)), dtype=np.float64)


def fit_attitude(
    u: npt.ArrayLike,
    v: npt.ArrayLike,
    intr: CameraIntrinsics,
    dip_deg: float,
    pitch0_deg: float,
    roll0_deg: float = 0.0,
) -> tuple[float, float, float]:
    """The camera pitch and roll (degrees) that put pixels (u, v) on the horizon ``dip_deg`` below
    the horizontal (Gauss-Newton from ``pitch0_deg``, ``roll0_deg``), and the points' RMS miss in
    degrees of elevation."""
    uu, vv = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
    target = -math.radians(dip_deg)
    p, r = pitch0_deg, roll0_deg
    h = 1e-3
    for _ in range(8):
        res = _elevations(uu, vv, p, r, intr) - target
        jp = (_elevations(uu, vv, p + h, r, intr) - target - res) / h
        jr = (_elevations(uu, vv, p, r + h, intr) - target - res) / h
        jac = np.stack([jp, jr], axis=1)
        step, *_ = np.linalg.lstsq(jac, -res, rcond=None)
        p, r = p + float(step[0]), r + float(step[1])
        if abs(step[0]) < 1e-6 and abs(step[1]) < 1e-6:
            break
    res = _elevations(uu, vv, p, r, intr) - target
    return p, r, math.degrees(float(np.sqrt(np.mean(res**2))))


SHARP_SPAN = 4  # rows (reduced picture) each side over which an edge's sharpness is judged


def _strip_candidates(
    img: npt.NDArray[np.uint8], top: int, bottom: int, strips: int, min_step: float, min_sharpness: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per strip, up to three rows (sub-pixel, in ``img``'s rows ``top``..``bottom``) where the
    strip's mean colour steps most, at least ``min_step``, and sharply: the step across the row
    at least ``min_sharpness`` of the change over ``SHARP_SPAN`` rows each side (1 for a clean
    edge, 1 / ``SHARP_SPAN`` for an even fade, as haze fades the sea into the sky): (strip index,
    row, step)."""
    h, w = img.shape[:2]
    top, bottom = max(top, 1), min(bottom, h - 2)
    if bottom - top < 3:
        z = np.zeros(0)
        return z, z, z
    reach = SHARP_SPAN
    r0, r1 = max(top - 1 - reach, 0), min(bottom + 2 + reach, h)
    edges = np.linspace(0, w, strips + 1).astype(int)
    band = img[r0:r1].astype(np.float32)
    cols = np.stack([band[:, a:b].mean(axis=1) for a, b in itertools.pairwise(edges)], axis=0)
    cols = cv2.GaussianBlur(cols, (1, 3), 0.8)  # (strips, rows, 3): smoothed along rows only
    n = r1 - r0
    rows_img = np.arange(top, bottom + 1)
    i = rows_img - r0  # index into cols
    # the step at a row: from the row above to the row below, summed over the colour channels
    step = np.abs(cols[:, i + 1] - cols[:, i - 1]).sum(axis=2) / 2.0  # (strips, rows)
    wide = np.abs(cols[:, np.minimum(i + reach, n - 1)] - cols[:, np.maximum(i - reach, 0)]).sum(axis=2) / 2.0
    sharp = step / np.maximum(wide, 1e-6)
    ks, rows, vals = [], [], []
    for k in range(strips):
        st = step[k]
        peaks = (
            np.flatnonzero(
                (st[1:-1] >= st[:-2])
                & (st[1:-1] > st[2:])
                & (st[1:-1] >= min_step)
                & (sharp[k, 1:-1] >= min_sharpness)
            )
            + 1
        )
        for j in peaks[np.argsort(st[peaks])[::-1][:3]]:
            a, b, c = st[j - 1], st[j], st[j + 1]
            den = a - 2 * b + c
            off = 0.5 * (a - c) / den if den < 0 else 0.0
            ks.append(k)
            rows.append(top + j + off)
            vals.append(b)
    return np.asarray(ks, float), np.asarray(rows, float), np.asarray(vals, float)


def find_horizon(
    image: npt.NDArray[np.uint8],
    intr: CameraIntrinsics,
    pitch_deg: float,
    height_m: float,
    config: HorizonConfig | None = None,
) -> HorizonFix | None:
    """The sea's horizon in ``image`` (BGR) taken by a camera ``height_m`` above the sea that
    reports ``pitch_deg`` (roll 0), or None where no straight edge near the expected row is seen
    across enough of the picture (see the module)."""
    c = config or HorizonConfig()
    h_img, w_img = image.shape[:2]
    if w_img < 2 * c.strips or h_img < 16:
        return None  # too small a picture to tell a straight edge
    scale = min(1.0, c.work_width_px / w_img)
    dip = sea_horizon_dip_deg(height_m)
    # rows (full resolution) where the horizon can lie: the reported pitch +- search, the lean at the edges
    lo_a, hi_a = pitch_deg + dip - c.search_deg, pitch_deg + dip + c.search_deg
    if lo_a <= -89.0 or hi_a >= 89.0:
        return None
    row_lo = level_camera_row(intr, pitch_deg, -dip + c.search_deg)
    row_hi = level_camera_row(intr, pitch_deg, -dip - c.search_deg)
    lean = 0.5 * w_img * math.tan(math.radians(c.max_roll_deg))
    row_lo, row_hi = row_lo - lean, row_hi + lean
    if row_hi < 0 or row_lo > h_img - 1:
        return None  # the horizon cannot be in the picture
    small: npt.NDArray[np.uint8] = (
        image
        if scale >= 1.0
        else np.asarray(
            cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), dtype=np.uint8
        )
    )
    sw = small.shape[1]
    top, bottom = math.floor(max(row_lo, 0) * scale), math.ceil(min(row_hi, h_img - 1) * scale)
    ks, rows, vals = _strip_candidates(small, top, bottom, c.strips, c.min_step, c.min_sharpness)
    if len(ks) < 2:
        return None
    edges = np.linspace(0, sw, c.strips + 1).astype(int)
    xs = (edges[ks.astype(int)] + edges[ks.astype(int) + 1] - 1) / 2.0  # each strip's centre column
    max_slope = math.tan(math.radians(c.max_roll_deg)) + 1e-9
    # RANSAC over every pair of candidates from different strips: the line through most strips
    i, j = np.triu_indices(len(ks), 1)
    keep = ks[i] != ks[j]
    i, j = i[keep], j[keep]
    if len(i) == 0:
        return None
    slope = (rows[j] - rows[i]) / (xs[j] - xs[i])
    keep = np.abs(slope) <= max_slope
    i, j, slope = i[keep], j[keep], slope[keep]
    if len(i) == 0:
        return None
    if len(i) > 4000:
        pick = np.random.default_rng(0).choice(len(i), 4000, replace=False)
        i, j, slope = i[pick], j[pick], slope[pick]
    icpt = rows[i] - slope * xs[i]
    miss = np.abs(rows[None, :] - (icpt[:, None] + slope[:, None] * xs[None, :]))  # (lines, candidates)
    on = miss <= c.inlier_px
    # one point per strip: count strips, not candidates; ties go to the stronger edge
    strip_hit = np.zeros((len(i), c.strips), dtype=bool)
    for k in range(c.strips):
        strip_hit[:, k] = on[:, ks == k].any(axis=1)
    score = strip_hit.sum(axis=1) + 1e-3 * (on * vals[None, :]).sum(axis=1) / max(float(vals.max()), 1e-9)
    best = int(np.argmax(score))
    # land on the horizon (a far shore, a headland's tree line) stands on the sea's horizon: of the
    # lines nearly as well supported as the best, the sea's is the lowest
    support = strip_hit.sum(axis=1)
    near_best = np.flatnonzero(
        (support >= max(3, math.ceil(c.min_strips * c.strips))) & (support >= c.lowest_share * support[best])
    )
    if len(near_best) > 1:
        mid = icpt[near_best] + slope[near_best] * ((sw - 1) / 2.0)
        lowest = near_best[mid >= mid.max() - c.inlier_px]
        best = int(lowest[np.argmax(score[lowest])])
    # the inliers: per strip, the candidate nearest the best line
    sel: list[int] = []
    for strip in np.flatnonzero(strip_hit[best]):
        idx = np.flatnonzero((ks == strip) & on[best])
        sel.append(int(idx[np.argmin(miss[best, idx])]))
    n_on = len(sel)
    if n_on < max(3, math.ceil(c.min_strips * c.strips)):
        return None
    span = (ks[sel].max() - ks[sel].min() + 1) / c.strips
    if span < c.min_span:
        return None
    # back to full resolution (pixel centres: x_full = (x_small + 0.5) / scale - 0.5)
    u = (xs[sel] + 0.5) / scale - 0.5
    v = (rows[sel] + 0.5) / scale - 0.5
    pitch, roll, rms = fit_attitude(u, v, intr, dip, pitch_deg)
    if rms > c.max_rms_deg or abs(roll) > c.max_roll_deg or abs(pitch - pitch_deg) > c.search_deg:
        return None
    a, b = np.polyfit(u - intr.cx_px, v, 1)
    sigma = max(c.min_sigma_deg, rms / math.sqrt(n_on))
    return HorizonFix(pitch, roll, float(b), float(a), n_on, rms, sigma)


class HorizonLevel:
    """Levels one camera stream's pitch on the horizon (see the module). Not thread-safe: one per
    stream, called in frame order."""

    def __init__(self, config: HorizonConfig | None = None, *, surface_m: float = 0.0) -> None:
        self.config = config or HorizonConfig()
        self.surface_m = surface_m
        self._offsets: deque[tuple[float, float]] = deque()  # (time s, measured - reported pitch deg)
        self._dissent: list[tuple[float, float]] = []  # fixes in a row that disagree with the pool

    def reset(self) -> None:
        self._offsets.clear()
        self._dissent.clear()

    def _pooled_offset_deg(self, t_s: float) -> float | None:
        """The median offset of the horizons seen in the last ``window_s`` (or, up to ``hold_s``
        after the last one, of the last window seen); None when there is none to trust. Called
        after ``level`` dropped the offsets too old for ``t_s`` or from its future."""
        c = self.config
        if not self._offsets or t_s - self._offsets[-1][0] > c.hold_s:
            return None
        last = self._offsets[-1][0]
        recent = [o for t, o in self._offsets if last - t <= c.window_s]
        return float(np.median(recent)) if len(recent) >= c.min_pool else None

    def level(self, frame: Frame, surface_m: float | None = None) -> Frame:
        """``frame`` with its telemetry's pitch measured on the horizon where it can be (see the
        module); the frame itself when it has no pose, levelling is off, or nothing is known."""
        c = self.config
        tel, intr = frame.telemetry, frame.intrinsics
        if not c.enabled or tel is None or intr is None:
            return frame
        t = frame.timestamp_s
        while self._offsets and (
            t - self._offsets[0][0] > c.window_s + c.hold_s or t < self._offsets[0][0] - c.window_s
        ):
            self._offsets.popleft()  # old, or time went backwards (a replay restarted)
        surface = self.surface_m if surface_m is None else surface_m
        fix = find_horizon(frame.image, intr, tel.gimbal_pitch_deg, tel.alt_m - surface, c)
        pooled = self._pooled_offset_deg(t)
        if fix is not None:
            offset = fix.pitch_deg - tel.gimbal_pitch_deg
            if pooled is None or abs(offset - pooled) <= c.agree_deg:
                self._dissent.clear()
                self._offsets.append((t, offset))
                if pooled is not None or len(self._offsets) >= c.min_pool:
                    return self._levelled(frame, tel, fix.pitch_deg, fix.sigma_deg)
                return frame
            # a horizon away from the pool: one is a cloud bank; 2 x min_pool in a row that agree
            # with each other mean the pool itself was wrong (or the gimbal was re-seated)
            self._dissent.append((t, offset))
            if len(self._dissent) >= 2 * c.min_pool:
                if float(np.ptp([o for _, o in self._dissent])) <= 2 * c.agree_deg:
                    self._offsets = deque(self._dissent)
                    self._dissent.clear()
                    return self._levelled(frame, tel, fix.pitch_deg, fix.sigma_deg)
                self._dissent.pop(0)
        if pooled is None:
            return frame
        spread = self._spread_deg()
        return self._levelled(frame, tel, tel.gimbal_pitch_deg + pooled, max(c.min_sigma_deg, spread))

    def _spread_deg(self) -> float:
        """One-sigma spread of the pooled offsets (the frame's own jitter is not measured)."""
        offs = np.array([o for _, o in self._offsets])
        if len(offs) < 2:
            return self.config.min_sigma_deg
        return float(1.4826 * np.median(np.abs(offs - np.median(offs))))

    def _levelled(self, frame: Frame, tel: Telemetry, pitch_deg: float, sigma_deg: float) -> Frame:
        new_tel = dataclasses.replace(tel, gimbal_pitch_deg=pitch_deg, pitch_accuracy_deg=sigma_deg)
        return dataclasses.replace(frame, telemetry=new_tel)
