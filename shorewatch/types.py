"""The types that cross each boundary of the pipeline (see DESIGN.md, "The flow").

vehicle -> camera, detector : Telemetry
camera  -> detector         : Frame (carries Telemetry and CameraIntrinsics)
detector -> tracker         : supervision.Detections (not defined here)
events  -> api              : Event
simulator -> evaluation     : GroundTruthObject

All are frozen; build a new value instead of mutating one.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

CLASS_NAMES: tuple[str, ...] = ("boat", "person")
"""Detector class ids, in order: 0 = boat, 1 = person (same as real-dev's data.yaml)."""


class TypeValidationError(ValueError):
    """A value type was built with a field out of its valid range."""


def _check_range(name: str, value: float, lo: float, hi: float) -> None:
    if not (lo <= value <= hi) or math.isnan(value):
        raise TypeValidationError(f"{name} must be in [{lo}, {hi}], got {value!r}")


@dataclass(frozen=True, slots=True)
class Telemetry:
    """One pose/state sample of a vehicle.

    Altitudes: ``alt_m`` is above mean sea level (the detector's ground plane is sea level),
    ``rel_alt_m`` above the home position. Angles in degrees; heading clockwise from true north.
    ``gimbal_pitch_deg``: 0 = horizon, -90 = straight down. ``gimbal_yaw_deg`` is relative to
    the vehicle's heading.
    """

    timestamp_s: float
    lat_deg: float
    lon_deg: float
    alt_m: float
    heading_deg: float
    gimbal_pitch_deg: float = -90.0
    gimbal_yaw_deg: float = 0.0
    rel_alt_m: float = 0.0
    roll_deg: float = 0.0
    pitch_deg: float = 0.0
    ground_speed_mps: float = 0.0
    climb_mps: float = 0.0
    battery_pct: float = 100.0
    battery_v: float = 0.0
    mode: str = "UNKNOWN"
    armed: bool = False
    vehicle_id: str = "drone-1"
    gps_fix: int = 3
    satellites: int = 10
    # the GNSS receiver's own estimate of its horizontal error, metres (MAVLink GPS_RAW_INT
    # ``h_acc``); None where it reports none
    gnss_accuracy_m: float | None = None
    # one-sigma error of ``gimbal_pitch_deg`` where it was measured rather than reported (levelled
    # on the sea's horizon, ``detector.horizon``); None: the gimbal's own report
    pitch_accuracy_deg: float | None = None

    def __post_init__(self) -> None:
        _check_range("lat_deg", self.lat_deg, -90.0, 90.0)
        _check_range("lon_deg", self.lon_deg, -180.0, 180.0)
        _check_range("gimbal_pitch_deg", self.gimbal_pitch_deg, -180.0, 180.0)
        if self.gnss_accuracy_m is not None:
            _check_range("gnss_accuracy_m", self.gnss_accuracy_m, 0.0, 10_000.0)
        if self.pitch_accuracy_deg is not None:
            _check_range("pitch_accuracy_deg", self.pitch_accuracy_deg, 0.0, 90.0)

    @property
    def camera_yaw_deg(self) -> float:
        """Where the camera looks, clockwise from north."""
        return (self.heading_deg + self.gimbal_yaw_deg) % 360.0


@dataclass(frozen=True, slots=True)
class CameraIntrinsics:
    """A distortion-free pinhole camera. Build one from a field of view with ``from_hfov``."""

    width_px: int
    height_px: int
    fx_px: float
    fy_px: float
    cx_px: float
    cy_px: float

    def __post_init__(self) -> None:
        if self.width_px <= 0 or self.height_px <= 0:
            raise TypeValidationError(f"image size must be positive, got {self.width_px}x{self.height_px}")
        if self.fx_px <= 0 or self.fy_px <= 0:
            raise TypeValidationError(f"focal lengths must be positive, got {self.fx_px}, {self.fy_px}")

    @classmethod
    def from_hfov(cls, width_px: int, height_px: int, hfov_deg: float) -> CameraIntrinsics:
        if not (1.0 <= hfov_deg <= 170.0):
            raise TypeValidationError(f"hfov_deg must be in [1, 170], got {hfov_deg}")
        fx = (width_px / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)
        return cls(width_px, height_px, fx, fx, width_px / 2.0, height_px / 2.0)

    @property
    def hfov_deg(self) -> float:
        return math.degrees(2.0 * math.atan(self.width_px / (2.0 * self.fx_px)))

    @property
    def vfov_deg(self) -> float:
        return math.degrees(2.0 * math.atan(self.height_px / (2.0 * self.fy_px)))

    def scaled(self, width_px: int, height_px: int) -> CameraIntrinsics:
        """The same lens seen through an image resized to ``width_px`` x ``height_px``."""
        sx, sy = width_px / self.width_px, height_px / self.height_px
        return CameraIntrinsics(
            width_px, height_px, self.fx_px * sx, self.fy_px * sy, self.cx_px * sx, self.cy_px * sy
        )


DEFAULT_INTRINSICS = CameraIntrinsics.from_hfov(1280, 720, 84.0)
"""A typical small-drone 4K camera's field of view, at the simulator's 1280x720 output size."""


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """A camera image (BGR, uint8, HxWx3) and what is known about how it was taken."""

    image: npt.NDArray[np.uint8]
    timestamp_s: float
    source_id: str
    index: int
    telemetry: Telemetry | None = None
    intrinsics: CameraIntrinsics | None = None

    def __post_init__(self) -> None:
        img = self.image
        if not isinstance(img, np.ndarray) or img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            got = getattr(img, "shape", type(img).__name__), getattr(img, "dtype", None)
            raise TypeValidationError(f"Frame.image must be a HxWx3 uint8 BGR array, got {got}")
        if self.intrinsics is not None and (
            self.intrinsics.width_px != img.shape[1] or self.intrinsics.height_px != img.shape[0]
        ):
            raise TypeValidationError(
                f"intrinsics are for {self.intrinsics.width_px}x{self.intrinsics.height_px} "
                f"but the image is {img.shape[1]}x{img.shape[0]}"
            )


@dataclass(frozen=True, slots=True)
class GroundTruthObject:
    """What the simulator knows about one visible object in one frame."""

    object_id: int
    class_name: str  # "boat" | "person"
    xyxy: tuple[float, float, float, float]  # pixels, clipped to the image
    lat_deg: float
    lon_deg: float
    occlusion: float = 0.0  # fraction hidden (0..1)
    kind: str = ""  # finer type: inflatable, fishing, yacht, rib, ferry, walker, migrant, swimmer...
    in_water: bool = False

    @property
    def class_id(self) -> int:
        return CLASS_NAMES.index(self.class_name)


class EventKind(enum.StrEnum):
    LAUNCH = "launch"
    BOAT_AT_SEA = "boat_at_sea"
    GATHERING = "gathering"
    PERSON_IN_WATER = "person_in_water"


class Severity(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"  # safety of life: person in water, launch


ERROR_ELLIPSE_DETAILS = ("error_along_m", "error_across_m", "line_of_sight_deg")
"""The ``Event.details`` keys of a position's error ellipse (one sigma, metres along and across the
drone's line of sight, and that line's bearing in degrees), when the producer knows it."""

CAMERA_ALT_DETAIL = "camera_alt_m"
"""The ``Event.details`` key of the camera's altitude above mean sea level when the event was
raised (whole metres), when the producer knows it."""

BOAT_LENGTH_DETAIL = "length_m"
"""The ``Event.details`` key of a boat's length on the water estimated from its picture (whole
metres), when the producer knows it."""


def detail_number(details: tuple[tuple[str, str], ...], key: str) -> float | None:
    """The finite number an event's (or alert's) ``details`` give under ``key``; None if the key
    is missing or its value is not a finite number (details come from external detectors too)."""
    for k, v in details:
        if k == key:
            try:
                x = float(v)
            except ValueError:
                return None
            return x if math.isfinite(x) else None
    return None


@dataclass(frozen=True, slots=True)
class TrackPoint:
    timestamp_s: float
    lat_deg: float
    lon_deg: float


@dataclass(frozen=True, slots=True)
class Event:
    """Something a patrol should know about. ``event_id`` is stable across updates of the same
    episode (one object, one event, updated as it develops); ``revision`` counts the updates."""

    event_id: str
    kind: EventKind
    severity: Severity
    timestamp_s: float
    lat_deg: float
    lon_deg: float
    position_error_m: float
    confidence: float
    source: str
    people_count: int = 0
    heading_deg: float | None = None
    speed_mps: float | None = None
    revision: int = 0
    first_seen_s: float = 0.0
    track: tuple[TrackPoint, ...] = ()
    snapshot_jpeg: bytes | None = field(default=None, repr=False)
    details: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        _check_range("lat_deg", self.lat_deg, -90.0, 90.0)
        _check_range("lon_deg", self.lon_deg, -180.0, 180.0)
        _check_range("confidence", self.confidence, 0.0, 1.0)
        if self.position_error_m < 0:
            raise TypeValidationError(f"position_error_m must be >= 0, got {self.position_error_m}")
