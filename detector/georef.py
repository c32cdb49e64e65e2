"""Pixel -> lat/lon: the ray through a detection's ground-contact pixel, from the camera pose in
the frame's telemetry, intersected with the sea's surface (``shorewatch.camera``, the same
model the simulator renders with), with an uncertainty in metres.

The surface is a horizontal plane at ``surface_m`` above mean sea level: 0 by default, the tide's
height over mean sea level when the tide is known (``Site.sea_surface_m``; the Channel's sea
stands up to 4 m above or below its mean, and a ray 22 deg below the horizon meets a plane 3 m
lower about 7 m further out). Objects on the sand above the water's edge stand a little higher
than the sea they are measured against and are placed slightly seaward (h / tan(depression)).

The pose: the camera sits at the drone's position and altitude above mean sea level
(``Telemetry.alt_m``), looks along ``camera_yaw_deg`` (heading + gimbal yaw) at
``gimbal_pitch_deg``, roll 0 (a stabilised gimbal).

The uncertainty (one sigma, metres) adds in quadrature: GNSS position error (the receiver's own
estimate where the telemetry carries one, ``Telemetry.gnss_accuracy_m``, else
``position_sigma_m``: a fix that degrades under a cliff or in a jammed area widens every alert's
stated error with it); attitude error
``attitude_sigma_deg`` along the ray (d(ground range)/d(depression) = h / sin^2; the pitch's own
``Telemetry.pitch_accuracy_deg`` where it was measured on the horizon, ``detector.horizon``) and
across it (ground range x yaw error); altitude error (ground range / h per metre); and the ground size of
``pixel_sigma_px`` pixels of box jitter. It grows fast as the ray flattens towards the horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from detector.errors import GeorefError
from shorewatch.camera import CameraPose, pixel_rays, pixels_to_ground
from shorewatch.geo import LocalFrame
from shorewatch.types import CameraIntrinsics, Frame, Telemetry

FloatArray = npt.NDArray[np.float64]


class GeorefConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    position_sigma_m: float = Field(
        2.5,
        ge=0,
        le=100,
        description="GNSS horizontal error, one sigma, where the telemetry does not report the receiver's own",
    )
    min_position_sigma_m: float = Field(
        0.5,
        ge=0,
        le=100,
        description=(
            "the least GNSS error believed from a receiver's own estimate (the autopilot's "
            "position blends it with the IMU and lags it; an RTK fix's centimetres are not the "
            "drone's camera position to centimetres)"
        ),
    )
    altitude_sigma_m: float = Field(
        2.0, ge=0, le=100, description="altitude (above sea level) error, one sigma"
    )
    attitude_sigma_deg: float = Field(1.0, ge=0, le=20, description="gimbal pitch/yaw error, one sigma")
    pixel_sigma_px: float = Field(2.0, ge=0, le=50, description="box position jitter, one sigma")
    max_range_m: float = Field(5000.0, gt=0, le=50_000, description="points further than this are rejected")
    tide_sigma_m: float = Field(
        0.3,
        ge=0,
        le=5,
        description="error of a known tide height (table interpolation, storm surge), one sigma; "
        "while the tide is unknown the spread of the site's tidal range is used",
    )


def pose_from_telemetry(tel: Telemetry, frame: LocalFrame) -> CameraPose:
    east, north = frame.to_local(tel.lat_deg, tel.lon_deg)
    return CameraPose(east, north, tel.alt_m, tel.camera_yaw_deg, tel.gimbal_pitch_deg, 0.0)


def pose_for_frame(frame: Frame) -> CameraPose | None:
    """The camera pose relative to a frame centred under the drone, or None without telemetry/intrinsics."""
    tel = frame.telemetry
    if tel is None or frame.intrinsics is None:
        return None
    return CameraPose(0.0, 0.0, tel.alt_m, tel.camera_yaw_deg, tel.gimbal_pitch_deg, 0.0)


# A boat's length from its box: what a patrol is told ("about 9 m") and what tells a dinghy from
# the buoy dismissed at its place. Checked against the simulator's hulls in
# ``bench/bench_boat_length.py`` (see BENCHMARKS.md).
BOX_BLUR_PX = 2.0  # a detector's box runs about a pixel past the hull on each side (blur, wake)
ASSUMED_FREEBOARD_M = 0.6  # hull above the water (an inflatable 0.55 m, a RIB 0.7 m)
MIN_FORESHORTENED_DEPRESSION_DEG = 10.0  # below this a box's height is freeboard and masts, not length


def boat_length_m(
    xyxy: npt.ArrayLike, slant_m: npt.ArrayLike, sin_depression: npt.ArrayLike, intr: CameraIntrinsics
) -> FloatArray:
    """Each boat box's length on the water (m): the longer of its width across the line of sight
    (box width at the slant range) and, where the camera looks down at least
    ``MIN_FORESHORTENED_DEPRESSION_DEG``, its extent along it (box height less the freeboard,
    divided by the sine of the depression). A hull at any heading shows its length on one of the
    two within its beam. Masts and superstructure lengthen the second on steep views of
    sailboats and ships; near the horizon only the width is used (a hull bow-on reads as its beam)."""
    b = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    slant = np.asarray(slant_m, dtype=np.float64)
    sin_dep = np.clip(np.asarray(sin_depression, dtype=np.float64), 1e-6, 1.0)
    across = np.maximum(b[:, 2] - b[:, 0] - BOX_BLUR_PX, 1.0) / intr.fx_px * slant
    tall = np.maximum(
        b[:, 3] - b[:, 1] - BOX_BLUR_PX, 1.0
    ) / intr.fy_px * slant - ASSUMED_FREEBOARD_M * np.sqrt(1 - sin_dep**2)
    along = np.where(
        sin_dep >= math.sin(math.radians(MIN_FORESHORTENED_DEPRESSION_DEG)),
        np.maximum(tall, 0.0) / sin_dep,
        0.0,
    )
    return np.maximum(across, along)


def anchor_pixels(xyxy: npt.ArrayLike, pitch_deg: float, flat: npt.ArrayLike | bool = False) -> FloatArray:
    """Where each box touches the ground. An upright object (a person) stands on its box's bottom
    centre in an oblique view; a flat one (a hull, ``flat``) covers its box, so its middle is
    halfway between the box centre and the bottom. Both slide to the box centre as the view turns
    to nadir (a nadir view sees objects from above)."""
    b = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    cx = (b[:, 0] + b[:, 2]) / 2
    cy = (b[:, 1] + b[:, 3]) / 2
    half_h = (b[:, 3] - b[:, 1]) / 2
    k = math.cos(math.radians(pitch_deg))  # 1 at the horizon, 0 at nadir
    k_obj = np.where(np.broadcast_to(np.asarray(flat, dtype=bool), cx.shape), 0.5 * k, k)
    return np.stack([cx, cy + k_obj * half_h], axis=1)


@dataclass(frozen=True, slots=True)
class GroundPoints:
    """Per detection: local east/north (m, in the georeferencer's frame), lat/lon, 1-sigma error,
    whether the ray hit the sea's surface within range, and ``bias_m``: the part of the error that
    the sea's height shares across a frame (one sigma; it moves every object alike and does not
    make a track move, so the event rules keep it apart from ``error_m``)."""

    east_m: FloatArray
    north_m: FloatArray
    lat_deg: FloatArray
    lon_deg: FloatArray
    error_m: FloatArray
    ok: npt.NDArray[np.bool_]
    bias_m: FloatArray
    along_m: FloatArray  # the error ellipse (one sigma): along the line of sight, bias included
    across_m: FloatArray  # across it
    bearing_deg: FloatArray  # the line of sight's bearing from the drone, clockwise from north


class Georeferencer:
    def __init__(self, local_frame: LocalFrame, config: GeorefConfig | None = None) -> None:
        self.frame = local_frame
        self.config = config or GeorefConfig()

    def pose(self, tel: Telemetry) -> CameraPose:
        return pose_from_telemetry(tel, self.frame)

    def position_sigma_for(self, tel: Telemetry) -> float:
        """The GNSS error to state for a frame: the receiver's own estimate when the telemetry
        carries one (at least ``min_position_sigma_m``), else ``position_sigma_m``."""
        c = self.config
        if tel.gnss_accuracy_m is None:
            return c.position_sigma_m
        return max(tel.gnss_accuracy_m, c.min_position_sigma_m)

    def position_axis_sigma_for(self, tel: Telemetry) -> float:
        """The GNSS error on each horizontal axis, for the error ellipse: ``position_sigma_m`` is
        already per axis; a receiver's own accuracy (GPS_RAW_INT ``h_acc``, u-blox ``hAcc``) is a
        radial figure, sqrt(2) x the per-axis sigma of a round error."""
        sigma = self.position_sigma_for(tel)
        return sigma if tel.gnss_accuracy_m is None else sigma / math.sqrt(2.0)

    def pitch_sigma_for(self, tel: Telemetry) -> float:
        """The camera pitch's error to state (degrees, one sigma): the measured pitch's own
        (``Telemetry.pitch_accuracy_deg``, levelled on the horizon) where the frame has one, else
        ``attitude_sigma_deg``."""
        acc = tel.pitch_accuracy_deg
        return self.config.attitude_sigma_deg if acc is None else acc

    def locate_pixels(
        self, frame: Frame, pixels: npt.ArrayLike, surface_m: float = 0.0, surface_sigma_m: float = 0.0
    ) -> GroundPoints:
        """``surface_m``: the height of the sea's surface above mean sea level (see the module);
        ``surface_sigma_m``: how uncertain that height is (one sigma), reported as ``bias_m``."""
        if frame.telemetry is None or frame.intrinsics is None:
            raise GeorefError(
                f"frame {frame.source_id}#{frame.index} has no telemetry/intrinsics; georeferencing needs the camera pose"
            )
        tel, intr = frame.telemetry, frame.intrinsics
        px = np.atleast_2d(np.asarray(pixels, dtype=np.float64)).reshape(-1, 2)
        n = len(px)
        if n == 0:
            z = np.zeros(0)
            return GroundPoints(z, z, z, z, z, np.zeros(0, dtype=bool), z, z, z, z)
        pose = self.pose(tel)
        ground, hit = pixels_to_ground(px, pose, intr, ground_z_m=surface_m)
        rays = pixel_rays(px, pose, intr)
        h = max(pose.up_m - surface_m, 0.1)
        sin_dep = np.clip(-rays[:, 2], 1e-6, 1.0)  # sine of the ray's depression below horizontal
        tan_dep = sin_dep / np.sqrt(np.clip(1 - sin_dep**2, 1e-12, 1.0))
        rng = h / tan_dep
        c = self.config
        gnss = self.position_sigma_for(tel)
        sig = math.radians(c.attitude_sigma_deg)
        along = h / sin_dep**2 * math.radians(self.pitch_sigma_for(tel))
        across = rng * sig
        alt = rng / h * c.altitude_sigma_m
        gsd = (h / sin_dep) / intr.fy_px / sin_dep  # ground metres per image row at that ray
        pix = gsd * c.pixel_sigma_px
        err = np.sqrt(gnss**2 + along**2 + across**2 + alt**2 + pix**2)
        dist = np.hypot(ground[:, 0] - pose.east_m, ground[:, 1] - pose.north_m)
        ok = hit & np.isfinite(dist) & (dist <= c.max_range_m)
        east = np.where(ok, ground[:, 0], np.nan)
        north = np.where(ok, ground[:, 1], np.nan)
        lat = np.full(n, np.nan)
        lon = np.full(n, np.nan)
        if ok.any():
            la, lo = self.frame.to_geo_many(east[ok], north[ok])
            lat[ok], lon[ok] = la, lo
        bias = np.where(ok, rng / h * surface_sigma_m, 0.0)  # as an altitude error: range / h per metre
        # the ellipse: attitude (pitch), altitude, the sea's height and box jitter along rows all
        # move a point along the line of sight; yaw and jitter along columns move it across
        pix_across = (h / sin_dep) / intr.fx_px * c.pixel_sigma_px
        gnss_axis = self.position_axis_sigma_for(tel)
        along_e = np.sqrt(gnss_axis**2 + along**2 + alt**2 + pix**2 + bias**2)
        across_e = np.sqrt(gnss_axis**2 + across**2 + pix_across**2)
        bearing = np.degrees(np.arctan2(rays[:, 0], rays[:, 1])) % 360.0
        inf = np.full(n, np.inf)
        return GroundPoints(
            east,
            north,
            lat,
            lon,
            np.where(ok, err, np.inf),
            ok,
            bias,
            np.where(ok, along_e, inf),
            np.where(ok, across_e, inf),
            np.where(ok, bearing, np.nan),
        )

    def locate(
        self,
        frame: Frame,
        xyxy: npt.ArrayLike,
        class_id: npt.ArrayLike | None = None,
        surface_m: float = 0.0,
        surface_sigma_m: float = 0.0,
    ) -> GroundPoints:
        """Each box's ground point (see ``anchor_pixels``; boats, class 0, are flat) on the sea's surface."""
        if frame.telemetry is None:
            raise GeorefError(f"frame {frame.source_id}#{frame.index} has no telemetry")
        flat = False if class_id is None else np.asarray(class_id) == 0
        return self.locate_pixels(
            frame, anchor_pixels(xyxy, frame.telemetry.gimbal_pitch_deg, flat), surface_m, surface_sigma_m
        )
