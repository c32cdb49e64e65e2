"""The pinhole camera model shared by the simulator's renderer and the detector's georeferencing.

Conventions (one place, so the two can never disagree):

* World: a ``LocalFrame`` with x = east, y = north, z = up, metres; z = 0 is mean sea level.
* Camera: OpenCV axes, x right, y down, z forward (out of the lens).
* Pose: camera position (east, north, up) plus yaw (clockwise from north, degrees), pitch
  (0 = horizon, -90 = nadir) and roll (positive = right wing down, i.e. image rotates
  counter-clockwise), as a stabilised gimbal reports them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shorewatch.types import CameraIntrinsics

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class CameraPose:
    east_m: float
    north_m: float
    up_m: float
    yaw_deg: float
    pitch_deg: float
    roll_deg: float = 0.0

    @property
    def position(self) -> FloatArray:
        return np.array([self.east_m, self.north_m, self.up_m], dtype=np.float64)

    def rotation(self) -> FloatArray:
        """R such that a camera-frame vector v_c maps to the world as R @ v_c (columns: right, down, forward)."""
        yaw, pitch, roll = (math.radians(a) for a in (self.yaw_deg, self.pitch_deg, self.roll_deg))
        fwd = np.array([math.sin(yaw) * math.cos(pitch), math.cos(yaw) * math.cos(pitch), math.sin(pitch)])
        right = np.array([math.cos(yaw), -math.sin(yaw), 0.0])
        down = np.cross(fwd, right)
        if roll:
            c, s = math.cos(roll), math.sin(roll)
            right, down = c * right + s * down, -s * right + c * down
        return np.stack([right, down, fwd], axis=1)


def project(
    points_world: npt.ArrayLike, pose: CameraPose, intr: CameraIntrinsics
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """World points (N x 3) -> pixels (N x 2) and a mask of points in front of the camera."""
    pts = np.atleast_2d(np.asarray(points_world, dtype=np.float64))
    rot = pose.rotation()
    pc = (pts - pose.position) @ rot  # == (R^T (p - c))^T row-wise
    z = pc[:, 2]
    in_front = z > 1e-6
    zs = np.where(in_front, z, 1.0)
    u = intr.fx_px * pc[:, 0] / zs + intr.cx_px
    v = intr.fy_px * pc[:, 1] / zs + intr.cy_px
    return np.stack([u, v], axis=1), in_front


def pixel_rays(pixels: npt.ArrayLike, pose: CameraPose, intr: CameraIntrinsics) -> FloatArray:
    """Pixels (N x 2) -> unit ray directions in the world frame (N x 3)."""
    px = np.atleast_2d(np.asarray(pixels, dtype=np.float64))
    dc = np.stack(
        [(px[:, 0] - intr.cx_px) / intr.fx_px, (px[:, 1] - intr.cy_px) / intr.fy_px, np.ones(len(px))],
        axis=1,
    )
    dw = dc @ pose.rotation().T
    return np.asarray(dw / np.linalg.norm(dw, axis=1, keepdims=True), dtype=np.float64)


def pixels_to_ground(
    pixels: npt.ArrayLike, pose: CameraPose, intr: CameraIntrinsics, ground_z_m: float = 0.0
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Intersect each pixel's ray with the horizontal plane z = ``ground_z_m``.

    Returns (N x 2) east/north and a mask of rays that hit the plane in front of the camera
    (rays at or above the horizon do not)."""
    rays = pixel_rays(pixels, pose, intr)
    dz = rays[:, 2]
    hits = dz < -1e-9
    t = np.where(hits, (ground_z_m - pose.up_m) / np.where(hits, dz, -1.0), np.nan)
    hits &= t > 0
    ground = pose.position[:2] + rays[:, :2] * t[:, None]
    return ground, hits


def ground_sample_distance_m(pose: CameraPose, intr: CameraIntrinsics, pixel: tuple[float, float]) -> float:
    """Metres on the ground covered by one pixel at ``pixel`` (geometric mean of both axes);
    ``inf`` where the pixel looks at or above the horizon."""
    u, v = pixel
    pts, ok = pixels_to_ground([[u, v], [u + 1, v], [u, v + 1]], pose, intr)
    if not ok.all():
        return math.inf
    dx = float(np.linalg.norm(pts[1] - pts[0]))
    dy = float(np.linalg.norm(pts[2] - pts[0]))
    return math.sqrt(dx * dy)


DIP_DEG_PER_SQRT_M = 0.0293
"""The sea horizon's dip below the horizontal, degrees per square root of the eye's height in
metres: 1.76 arc minutes x sqrt(h), the nautical almanac's figure with standard refraction
(sqrt(2h / R) without refraction would be 1.93'). 0.20 deg at 45 m, 0.32 deg at 120 m."""


def sea_horizon_dip_deg(height_m: float) -> float:
    """How far below the horizontal the sea's horizon lies, seen from ``height_m`` above the sea
    (the earth's curve with standard refraction; 0 at or below the surface)."""
    return DIP_DEG_PER_SQRT_M * math.sqrt(max(height_m, 0.0))


def level_camera_row(intr: CameraIntrinsics, pitch_deg: float, elevation_deg: float) -> float:
    """Image row, at the centre column of a camera at ``pitch_deg`` and roll 0, of the ray
    ``elevation_deg`` above the horizontal (the optical axis is ``pitch_deg - elevation_deg``
    below it); ``-inf`` / ``inf`` where that ray is 90 deg or more above / below the axis."""
    a = pitch_deg - elevation_deg
    if a <= -90.0:
        return -math.inf
    if a >= 90.0:
        return math.inf
    return intr.cy_px + intr.fy_px * math.tan(math.radians(a))


def horizon_row(pose: CameraPose, intr: CameraIntrinsics, dip_deg: float = 0.0) -> float:
    """Image row, at the image centre column, of the ray ``dip_deg`` below the horizontal in the
    direction the camera looks (0: the flat plane's vanishing line; ``sea_horizon_dip_deg``: the
    sea's visible horizon). May lie outside the image; ``-inf`` when it is behind the camera."""
    yaw = math.radians(pose.yaw_deg)
    far = pose.position + 1e7 * np.array([math.sin(yaw), math.cos(yaw), 0.0])
    far[2] = (
        pose.up_m - 1e7 * math.tan(math.radians(dip_deg)) if dip_deg > 0 else 0.0
    )  # 0: on the sea, 10,000 km out
    px, ok = project(far[None, :], pose, intr)
    return float(px[0, 1]) if ok[0] else -math.inf
