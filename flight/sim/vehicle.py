"""A simulated ArduCopter: multicopter physics, flight modes, the AUTO mission executor,
failsafes and fault injection. ``flight.sim.mavlink_server`` puts it on the wire.

Everything here runs in *sim time*: ``step(dt_s)`` advances the vehicle by ``dt_s`` simulated
seconds; ``advance_to(t_s)`` steps in fixed increments up to ``t_s``. The vehicle never reads the
wall clock (except to bound the work of one ``advance_to`` call), so it is deterministic for a
given seed and command sequence.

Frames: position is local east/north/up metres around the EKF origin (where the vehicle booted),
``up`` measured from the origin's altitude (the ground is flat at that altitude). Lat/lon come from
a local ellipsoidal tangent approximation (centimetre-accurate over tens of km).

Exceptions::

    SimError                 anything the simulator refuses
    ├── SimConfigError       bad construction arguments (home, speed-up, ...)
    ├── SimCommandError      a programmatic control call that cannot be honoured
    └── LinkError            (flight.sim.mavlink_server) a MAVLink port cannot be opened

Commands refused over MAVLink are not exceptions: they are answered as ArduCopter answers them
(COMMAND_ACK / MISSION_ACK results and STATUSTEXT).
"""

from __future__ import annotations

import enum
import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shorewatch.types import Telemetry

if TYPE_CHECKING:
    from flight.sim.scenario import TelemetryError
    from flight.sim.telemetry_error import TelemetryErrorProcess

logger = logging.getLogger(__name__)


class SimError(Exception):
    """Base class of the simulator's errors."""


class SimConfigError(SimError, ValueError):
    """A simulator was constructed with an invalid argument."""


class SimCommandError(SimError):
    """A control call on a simulated vehicle cannot be honoured."""


# --------------------------------------------------------------------------------------------
# constants shared with the MAVLink server (values from the MAVLink common/ardupilotmega XML)


class Mode(enum.IntEnum):
    """ArduCopter custom modes (the subset the simulator flies)."""

    STABILIZE = 0
    ALT_HOLD = 2
    AUTO = 3
    GUIDED = 4
    LOITER = 5
    RTL = 6
    LAND = 9
    BRAKE = 17
    SMART_RTL = 21


POSITION_MODES = frozenset({Mode.AUTO, Mode.GUIDED, Mode.LOITER, Mode.RTL, Mode.BRAKE, Mode.SMART_RTL})
ARMABLE_MODES = frozenset({Mode.STABILIZE, Mode.ALT_HOLD, Mode.GUIDED, Mode.LOITER})

# MAV_CMD ids
CMD_NAV_WAYPOINT = 16
CMD_NAV_LOITER_UNLIM = 17
CMD_NAV_LOITER_TURNS = 18
CMD_NAV_LOITER_TIME = 19
CMD_NAV_RETURN_TO_LAUNCH = 20
CMD_NAV_LAND = 21
CMD_NAV_TAKEOFF = 22
CMD_NAV_SPLINE_WAYPOINT = 82
CMD_NAV_DELAY = 93
CMD_CONDITION_DELAY = 112
CMD_CONDITION_YAW = 115
CMD_DO_JUMP = 177
CMD_DO_CHANGE_SPEED = 178
CMD_DO_SET_HOME = 179
CMD_DO_SET_ROI_LOCATION = 195
CMD_DO_SET_ROI_NONE = 197
CMD_DO_SET_ROI = 201
CMD_DO_MOUNT_CONTROL = 205
CMD_DO_GIMBAL_MANAGER_PITCHYAW = 1000

NAV_COMMANDS = frozenset(
    {
        CMD_NAV_WAYPOINT,
        CMD_NAV_LOITER_UNLIM,
        CMD_NAV_LOITER_TURNS,
        CMD_NAV_LOITER_TIME,
        CMD_NAV_RETURN_TO_LAUNCH,
        CMD_NAV_LAND,
        CMD_NAV_TAKEOFF,
        CMD_NAV_SPLINE_WAYPOINT,
        CMD_NAV_DELAY,
    }
)

CMD_NAMES = {
    CMD_NAV_WAYPOINT: "WP",
    CMD_NAV_LOITER_UNLIM: "LoitUnlim",
    CMD_NAV_LOITER_TURNS: "LoitTurns",
    CMD_NAV_LOITER_TIME: "LoitTime",
    CMD_NAV_RETURN_TO_LAUNCH: "RTL",
    CMD_NAV_LAND: "Land",
    CMD_NAV_TAKEOFF: "Takeoff",
    CMD_NAV_SPLINE_WAYPOINT: "SplineWP",
    CMD_NAV_DELAY: "NavDelay",
    CMD_CONDITION_DELAY: "CondDelay",
    CMD_CONDITION_YAW: "CondYaw",
    CMD_DO_JUMP: "Jump",
    CMD_DO_CHANGE_SPEED: "ChangeSpeed",
    CMD_DO_SET_HOME: "SetHome",
    CMD_DO_SET_ROI: "SetROI",
    CMD_DO_SET_ROI_LOCATION: "SetROI",
    CMD_DO_SET_ROI_NONE: "SetROI",
    CMD_DO_MOUNT_CONTROL: "MountControl",
    CMD_DO_GIMBAL_MANAGER_PITCHYAW: "GimbalPitchYaw",
}

# MAV_FRAME ids
FRAME_GLOBAL = 0
FRAME_MISSION = 2
FRAME_GLOBAL_RELATIVE_ALT = 3
FRAME_GLOBAL_INT = 5
FRAME_GLOBAL_RELATIVE_ALT_INT = 6
FRAME_GLOBAL_TERRAIN_ALT = 10
FRAME_GLOBAL_TERRAIN_ALT_INT = 11
GLOBAL_FRAMES = frozenset({0, 3, 5, 6, 10, 11})
AMSL_FRAMES = frozenset({FRAME_GLOBAL, FRAME_GLOBAL_INT})

# MAV_SEVERITY
SEV_CRITICAL = 2
SEV_ERROR = 3
SEV_WARNING = 4
SEV_NOTICE = 5
SEV_INFO = 6

# EKF_STATUS_FLAGS
EKF_ATTITUDE = 1
EKF_VELOCITY_HORIZ = 2
EKF_VELOCITY_VERT = 4
EKF_POS_HORIZ_REL = 8
EKF_POS_HORIZ_ABS = 16
EKF_POS_VERT_ABS = 32
EKF_POS_VERT_AGL = 64
EKF_CONST_POS_MODE = 128
EKF_PRED_POS_HORIZ_REL = 256
EKF_PRED_POS_HORIZ_ABS = 512

# WGS84
_A = 6378137.0
_F = 1 / 298.257223563
_E2 = _F * (2 - _F)
GRAVITY = 9.80665

# param types (MAV_PARAM_TYPE)
P_INT8 = 2
P_INT16 = 4
P_INT32 = 6
P_REAL32 = 9


def _param_defaults(sysid: int, speedup: float) -> list[tuple[str, float, int]]:
    """(name, default, MAV_PARAM_TYPE). ArduCopter 4.7 names; SIM_* are the simulator's own."""
    return [
        ("FORMAT_VERSION", 120, P_INT16),
        ("MAV_SYSID", sysid, P_INT16),
        ("MAV_GCS_SYSID", 255, P_INT16),
        ("MAV1_RAW_SENS", 0, P_INT16),
        ("MAV1_EXT_STAT", 1, P_INT16),
        ("MAV1_RC_CHAN", 0, P_INT16),
        ("MAV1_POSITION", 1, P_INT16),
        ("MAV1_EXTRA1", 1, P_INT16),
        ("MAV1_EXTRA2", 1, P_INT16),
        ("MAV1_EXTRA3", 1, P_INT16),
        ("FRAME_CLASS", 1, P_INT8),
        ("FRAME_TYPE", 1, P_INT8),
        ("ARMING_CHECK", 1, P_INT32),
        ("DISARM_DELAY", 10, P_INT8),
        ("ANGLE_MAX", 3000, P_INT16),
        ("ATC_SLEW_YAW", 6000, P_REAL32),
        ("WPNAV_SPEED", 1000, P_REAL32),
        ("WPNAV_SPEED_UP", 250, P_REAL32),
        ("WPNAV_SPEED_DN", 150, P_REAL32),
        ("WPNAV_ACCEL", 250, P_REAL32),
        ("WPNAV_ACCEL_Z", 100, P_REAL32),
        ("WPNAV_RADIUS", 200, P_REAL32),
        ("WP_YAW_BEHAVIOR", 2, P_INT8),
        ("AUTO_OPTIONS", 0, P_INT32),
        ("MIS_RESTART", 0, P_INT8),
        ("MIS_TOTAL", 0, P_INT16),
        ("RTL_ALT", 1500, P_INT32),
        ("RTL_ALT_FINAL", 0, P_INT16),
        ("RTL_CLIMB_MIN", 0, P_INT16),
        ("RTL_SPEED", 0, P_INT16),
        ("RTL_LOIT_TIME", 5000, P_INT32),
        ("LAND_SPEED", 50, P_INT16),
        ("LAND_SPEED_HIGH", 0, P_INT16),
        ("LAND_ALT_LOW", 1000, P_INT16),
        ("PILOT_SPEED_UP", 250, P_INT16),
        ("FENCE_ENABLE", 0, P_INT8),
        ("FENCE_TYPE", 7, P_INT8),
        ("FENCE_ACTION", 1, P_INT8),
        ("FENCE_ALT_MAX", 100, P_REAL32),
        ("FENCE_RADIUS", 300, P_REAL32),
        ("FENCE_MARGIN", 2, P_REAL32),
        ("BATT_MONITOR", 4, P_INT8),
        ("BATT_CAPACITY", 10000, P_INT32),
        ("BATT_LOW_VOLT", 14.0, P_REAL32),
        ("BATT_CRT_VOLT", 13.4, P_REAL32),
        ("BATT_LOW_MAH", 2000, P_REAL32),
        ("BATT_CRT_MAH", 1000, P_REAL32),
        ("BATT_LOW_TIMER", 10, P_INT8),
        ("BATT_FS_LOW_ACT", 2, P_INT8),
        ("BATT_FS_CRT_ACT", 1, P_INT8),
        ("BATT_ARM_VOLT", 0, P_REAL32),
        ("FS_GCS_ENABLE", 0, P_INT8),
        ("FS_GCS_TIMEOUT", 5, P_REAL32),
        ("FS_EKF_ACTION", 1, P_INT8),
        ("FS_THR_ENABLE", 0, P_INT8),
        ("FS_OPTIONS", 0, P_INT32),
        ("MNT1_TYPE", 1, P_INT8),
        ("MNT1_PITCH_MIN", -90, P_INT16),
        ("MNT1_PITCH_MAX", 20, P_INT16),
        ("MNT1_YAW_MIN", -180, P_INT16),
        ("MNT1_YAW_MAX", 180, P_INT16),
        ("SIM_SPEEDUP", speedup, P_REAL32),
        ("SIM_WIND_SPD", 0, P_REAL32),
        ("SIM_WIND_DIR", 180, P_REAL32),
        ("SIM_WIND_TURB", 0, P_REAL32),
        ("SIM_GPS_DISABLE", 0, P_INT8),
        ("SIM_GPS_NOISE", 0.3, P_REAL32),
        ("SIM_BATT_DRAIN", 1, P_REAL32),
        ("SIM_LINK_CUT", 0, P_REAL32),
    ]


@dataclass(frozen=True, slots=True)
class Home:
    """Where a vehicle boots: latitude/longitude, ground altitude AMSL, initial heading."""

    lat_deg: float
    lon_deg: float
    alt_m: float = 0.0
    heading_deg: float = 0.0

    def __post_init__(self) -> None:
        if not (-90 <= self.lat_deg <= 90 and -180 <= self.lon_deg <= 180):
            raise SimConfigError(f"home lat/lon out of range: ({self.lat_deg}, {self.lon_deg})")
        if not (-500 <= self.alt_m <= 9000):
            raise SimConfigError(f"home alt_m must be in [-500, 9000], got {self.alt_m}")

    @classmethod
    def parse(cls, text: str) -> Home:
        """``LAT,LON[,ALT[,HEADING]]`` as ``sim_vehicle.py --custom-location`` takes it."""
        parts = [p.strip() for p in text.split(",")]
        if not (2 <= len(parts) <= 4):
            raise SimConfigError(f"expected LAT,LON[,ALT[,HEADING]], got {text!r}")
        try:
            vals = [float(p) for p in parts]
        except ValueError as exc:
            raise SimConfigError(f"expected numbers in LAT,LON[,ALT[,HEADING]], got {text!r}") from exc
        if any(math.isnan(v) or math.isinf(v) for v in vals):
            raise SimConfigError(f"expected finite numbers, got {text!r}")
        return cls(*vals)  # type: ignore[arg-type]


DEFAULT_HOME = Home(50.8727, 1.6603, 0.0, 0.0)
"""Wissant beach on the Opal Coast, at sea level."""


@dataclass(frozen=True, slots=True)
class VehicleConfig:
    """Simulation knobs that ArduCopter has no parameter for."""

    gps_detect_s: float = 1.0
    gps_fix_s: float = 2.0
    ekf_ready_s: float = 4.0
    dt_s: float = 0.02
    max_speed_mps: float = 20.0
    max_climb_mps: float = 5.0
    max_descent_mps: float = 3.0
    yaw_rate_dps: float = 90.0
    gimbal_rate_dps: float = 90.0
    hover_current_a: float = 18.0
    idle_current_a: float = 0.6
    cells: int = 4
    seed: int = 0
    # how far what the vehicle believes and reports is from where its camera really is (GNSS
    # wander, altitude-above-sea-level bias, compass and gimbal pitch biases; None: no error
    # beyond the EKF's own ~0.1 m). The autopilot flies its *estimate* to every target, as
    # ArduCopter does, so the reports converge on the targets and the truth is off instead.
    telemetry_error: TelemetryError | None = None

    def __post_init__(self) -> None:
        if not (0.001 <= self.dt_s <= 0.2):
            raise SimConfigError(f"dt_s must be in [0.001, 0.2], got {self.dt_s}")
        if min(self.gps_detect_s, self.gps_fix_s, self.ekf_ready_s) < 0:
            raise SimConfigError("boot delays must be >= 0")


@dataclass(frozen=True, slots=True)
class MissionItem:
    """One mission item as ArduPilot stores it. For global frames ``x``/``y`` are lat/lon degrees."""

    seq: int
    frame: int
    command: int
    current: int = 0
    autocontinue: int = 1
    param1: float = 0.0
    param2: float = 0.0
    param3: float = 0.0
    param4: float = 0.0
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0


@dataclass(slots=True)
class Outbox:
    """What the vehicle wants said on the wire; the server drains it each tick."""

    statustexts: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=200))
    reached: deque[int] = field(default_factory=lambda: deque(maxlen=200))
    home_changed: bool = False
    mission_changed: bool = False


def _wrap180(a: float) -> float:
    return (a + 180.0) % 360.0 - 180.0


def _clamp(v: float, lo: float, hi: float) -> float:
    return lo if v < lo else hi if v > hi else v


class _Battery:
    def __init__(self, capacity_mah: float, cells: int) -> None:
        self.capacity_mah = capacity_mah
        self.cells = cells
        self.consumed_mah = 0.0
        self.current_a = 0.0
        self.voltage_v = cells * 4.2

    def update(self, current_a: float, dt: float, drain_mult: float) -> None:
        self.current_a = current_a
        self.consumed_mah += current_a * dt / 3.6 * drain_mult
        soc = self.soc
        # LiPo: ~4.2 V/cell full, ~3.5 V/cell empty (linear enough here), 15 mOhm sag
        self.voltage_v = self.cells * (3.5 + 0.7 * soc) - current_a * 0.015

    @property
    def soc(self) -> float:
        return _clamp(1.0 - self.consumed_mah / max(self.capacity_mah, 1.0), 0.0, 1.0)

    @property
    def remaining_mah(self) -> float:
        return max(self.capacity_mah - self.consumed_mah, 0.0)


class SimVehicle:
    """One simulated ArduCopter. Thread-safe: every public method takes ``self.lock``."""

    def __init__(
        self,
        home: Home | None = None,
        *,
        sysid: int = 1,
        speedup: float = 1.0,
        vehicle_id: str | None = None,
        config: VehicleConfig | None = None,
        fence_polygon: Any | None = None,
    ) -> None:
        if not (1 <= sysid <= 250):
            raise SimConfigError(f"sysid must be in [1, 250], got {sysid}")
        self.lock = threading.RLock()
        self.home0 = home or DEFAULT_HOME
        self.sysid = sysid
        self.vehicle_id = vehicle_id or f"drone-{sysid}"
        self.cfg = config or VehicleConfig()
        self._fence_polygon = fence_polygon  # shapely Polygon in lon/lat, or None
        self._rng = random.Random(self.cfg.seed * 1000 + sysid)
        self.params: dict[str, float] = {}
        self.param_types: dict[str, int] = {}
        for name, val, typ in _param_defaults(sysid, speedup):
            self.params[name] = float(val)
            self.param_types[name] = typ
        self.param_names: list[str] = list(self.params)
        self.outbox = Outbox()
        self.on_param_change: list[Callable[[str, float], None]] = []
        # origin for the local frame
        lat0 = math.radians(self.home0.lat_deg)
        s = math.sin(lat0)
        w = math.sqrt(1 - _E2 * s * s)
        self._m_per_rad_lat = _A * (1 - _E2) / (w**3)
        self._m_per_rad_lon = _A / w * math.cos(lat0)
        self._reset_state()

    # ------------------------------------------------------------------ state
    def _reset_state(self) -> None:
        self.sim_time_s = 0.0
        self.pos = [0.0, 0.0, 0.0]  # e, n, u (m) from origin
        self.vel = [0.0, 0.0, 0.0]
        self.accel = [0.0, 0.0, 0.0]
        self.yaw_deg = self.home0.heading_deg % 360.0
        self.yaw_rate_dps = 0.0
        self.roll_deg = 0.0
        self.pitch_deg = 0.0
        self.armed = False
        self.mode = Mode.STABILIZE
        self.landed = True
        self.ever_flew_since_arm = False
        self._landed_since_s = 0.0
        self._armed_at_s = 0.0
        self._pose_error = self._new_pose_error()  # a reboot re-initialises the estimator
        self.home_set = False
        self.home_e = 0.0
        self.home_n = 0.0
        self.home_alt_amsl = self.origin_alt_m
        self.gps_enabled = self.params.get("SIM_GPS_DISABLE", 0.0) == 0.0
        self._gps_noise = [0.0, 0.0, 0.0]
        self._ekf_drift = [0.0, 0.0]
        self._gps_lost_since: float | None = None
        self.battery = _Battery(self.params["BATT_CAPACITY"], self.cfg.cells)
        self._batt_low_since: float | None = None
        self.batt_failsafe = 0  # 0 none, 1 low, 2 critical
        self.gcs_failsafe = False
        self.last_gcs_heartbeat_s: float | None = None
        self.fence_breached = 0  # bitmask of breach types
        self.fence_breach_count = 0
        self.ekf_failsafe = False
        self.wind_gust = [0.0, 0.0, 0.0]
        self.gimbal_pitch_deg = -90.0
        self.gimbal_yaw_deg = 0.0  # relative to vehicle heading
        self._gimbal_target = (-90.0, 0.0, False)  # pitch, yaw, yaw is earth-frame
        self.roi: tuple[float, float, float] | None = None  # e, n, u
        # guidance
        self._target: list[float] | None = None  # e, n, u
        self._target_vel: list[float] | None = None
        self._target_vel_until = 0.0
        self._target_yaw: float | None = None
        self.wp_speed_mps: float | None = None  # from DO_CHANGE_SPEED; None = WPNAV_SPEED
        self._takeoff_alt: float | None = None
        # RTL / LAND sub-state
        self._rtl_state = ""
        self._rtl_until = 0.0
        self._land_pause_until = 0.0
        # mission
        self.mission: list[MissionItem] = [self._home_item()]
        self.mission_current = 0
        self._nav: dict[str, Any] = {}
        self._jump_counts: dict[int, int] = {}
        self.mission_done = False
        self.boot_announced = 0
        self.link_cut_until: float | None = None
        self.want_link_cut: bool | None = None  # server reads and clears

    # ------------------------------------------------------------------ geometry
    def local_to_geo(self, e: float, n: float) -> tuple[float, float]:
        lat = self.home0.lat_deg + math.degrees(n / self._m_per_rad_lat)
        lon = self.home0.lon_deg + math.degrees(e / self._m_per_rad_lon)
        return lat, lon

    def geo_to_local(self, lat: float, lon: float) -> tuple[float, float]:
        n = math.radians(lat - self.home0.lat_deg) * self._m_per_rad_lat
        e = math.radians(_wrap180(lon - self.home0.lon_deg)) * self._m_per_rad_lon
        return e, n

    @property
    def origin_alt_m(self) -> float:
        """The EKF origin's altitude above mean sea level as the vehicle believes it (every
        altitude it reports or takes above sea level is relative to this): the true one plus
        ``alt_bias_m``."""
        return self.home0.alt_m + self.alt_bias_m

    @property
    def rel_alt_m(self) -> float:
        """Altitude above home."""
        return self.pos[2] + self.origin_alt_m - self.home_alt_amsl

    def _home_item(self) -> MissionItem:
        if not getattr(self, "home_set", False):
            return MissionItem(0, FRAME_GLOBAL, CMD_NAV_WAYPOINT, 0, 1, 0, 0, 0, 0, 0.0, 0.0, 0.0)
        lat, lon = self.local_to_geo(self.home_e, self.home_n)
        return MissionItem(0, FRAME_GLOBAL, CMD_NAV_WAYPOINT, 0, 1, 0, 0, 0, 0, lat, lon, self.home_alt_amsl)

    def home_location(self) -> tuple[float, float, float] | None:
        with self.lock:
            if not self.home_set:
                return None
            lat, lon = self.local_to_geo(self.home_e, self.home_n)
            return lat, lon, self.home_alt_amsl

    # ------------------------------------------------------------------ messages
    def say(self, text: str, severity: int = SEV_INFO) -> None:
        logger.debug("[%s] %s", self.vehicle_id, text)
        self.outbox.statustexts.append((severity, text[:200]))

    def p(self, name: str) -> float:
        return self.params[name]

    # ------------------------------------------------------------------ sensors / estimator
    @property
    def gps_fix_type(self) -> int:
        t = self.sim_time_s
        if not self.gps_enabled or t < self.cfg.gps_detect_s:
            return 0 if t < self.cfg.gps_detect_s else 1
        return 3 if t >= self.cfg.gps_fix_s else 1

    @property
    def satellites(self) -> int:
        return 10 if self.gps_fix_type >= 3 else 0

    @property
    def ekf_position_ok(self) -> bool:
        if self.sim_time_s < self.cfg.ekf_ready_s:
            return False
        return self._gps_lost_since is None or self.sim_time_s - self._gps_lost_since < 1.0

    def ekf_flags(self) -> int:
        f = EKF_ATTITUDE | EKF_VELOCITY_VERT | EKF_POS_VERT_ABS | EKF_POS_VERT_AGL
        if self.ekf_position_ok:
            f |= (
                EKF_VELOCITY_HORIZ
                | EKF_POS_HORIZ_REL
                | EKF_POS_HORIZ_ABS
                | EKF_PRED_POS_HORIZ_REL
                | EKF_PRED_POS_HORIZ_ABS
            )
        elif self.sim_time_s >= self.cfg.ekf_ready_s:
            f |= EKF_CONST_POS_MODE if self.landed else 0
        else:
            f |= EKF_CONST_POS_MODE
        return f

    def estimated_local(self) -> tuple[float, float, float]:
        """The EKF's position: truth + a small GPS-driven error (+ drift while GPS is lost)."""
        return (
            self.pos[0] + self._gps_noise[0] * 0.3 + self._ekf_drift[0],
            self.pos[1] + self._gps_noise[1] * 0.3 + self._ekf_drift[1],
            self.pos[2] + self._gps_noise[2] * 0.2,
        )

    def _new_pose_error(self) -> TelemetryErrorProcess | None:
        if self.cfg.telemetry_error is None:
            return None
        from flight.sim.telemetry_error import TelemetryErrorProcess
        from shorewatch.geo import LocalFrame

        return TelemetryErrorProcess(
            self.cfg.telemetry_error,
            self.cfg.seed * 1000 + self.sysid,
            LocalFrame(self.home0.lat_deg, self.home0.lon_deg),
        )

    @property
    def alt_bias_m(self) -> float:
        """What every altitude above mean sea level the vehicle reports adds to the truth (its
        EKF origin's altitude came from GNSS); heights above home are unaffected."""
        return self._pose_error.altitude_bias_m if self._pose_error is not None else 0.0

    @property
    def gnss_accuracy_m(self) -> float:
        """The receiver's estimate of its horizontal error that the vehicle reports (GPS_RAW_INT
        ``h_acc``; radial, root mean square: the per-axis sigma x sqrt(2)) of its pose error's
        GNSS wander, or of ``SIM_GPS_NOISE`` where that is larger or there is none."""
        sigma = self._pose_error.model.gnss_sigma_m if self._pose_error is not None else 0.0
        from flight.sim.telemetry_error import reported_accuracy_m

        return reported_accuracy_m(max(sigma, self.p("SIM_GPS_NOISE"), 0.01))

    def _true_pose_offsets(self) -> tuple[float, float, float, float]:
        """(east m, north m, heading deg, gimbal pitch deg) to add to the vehicle's own estimate
        to get its true pose: minus its GNSS error and compass and gimbal biases."""
        pe = self._pose_error
        if pe is None:
            return 0.0, 0.0, 0.0, 0.0
        de, dn = pe.gnss_error_m(self.sim_time_s)
        jy, jp = pe.attitude_jitter_deg()
        return -de, -dn, -pe.heading_bias_deg - jy, -pe.pitch_bias_deg - jp

    def gps_local(self) -> tuple[float, float, float]:
        return (
            self.pos[0] + self._gps_noise[0],
            self.pos[1] + self._gps_noise[1],
            self.pos[2] + self._gps_noise[2] * 1.5,
        )

    # ------------------------------------------------------------------ telemetry
    def _telemetry(self, truth: bool) -> Telemetry:
        # the vehicle's state is its own estimate of itself (what it flies and reports); the
        # truth, what its camera sees from, is off by the pose error
        e, n, u = (self.pos[0], self.pos[1], self.pos[2]) if truth else self.estimated_local()
        de, dn, dyaw, dpitch = self._true_pose_offsets() if truth else (0.0, 0.0, 0.0, 0.0)
        lat, lon = self.local_to_geo(e + de, n + dn)
        rel_alt = u + self.origin_alt_m - self.home_alt_amsl
        return Telemetry(
            timestamp_s=self.sim_time_s,
            lat_deg=lat,
            lon_deg=lon,
            alt_m=u + self.origin_alt_m - (self.alt_bias_m if truth else 0.0),
            heading_deg=(self.yaw_deg + dyaw) % 360.0,
            # the gimbal's mechanical range ends at nadir: a biased -90 report is still nadir
            gimbal_pitch_deg=max(-90.0, self.gimbal_pitch_deg + dpitch) if dpitch else self.gimbal_pitch_deg,
            gimbal_yaw_deg=self.gimbal_yaw_deg,
            rel_alt_m=rel_alt,
            roll_deg=self.roll_deg,
            pitch_deg=self.pitch_deg,
            ground_speed_mps=math.hypot(self.vel[0], self.vel[1]),
            climb_mps=self.vel[2],
            battery_pct=100.0 * self.battery.soc,
            battery_v=self.battery.voltage_v,
            mode=self.mode.name,
            armed=self.armed,
            vehicle_id=self.vehicle_id,
            gps_fix=self.gps_fix_type,
            satellites=self.satellites,
            gnss_accuracy_m=None if truth or self.gps_fix_type < 3 else self.gnss_accuracy_m,
        )

    def telemetry(self) -> Telemetry:
        """What the vehicle reports (EKF position, as on the wire), with the gimbal's attitude."""
        with self.lock:
            return self._telemetry(truth=False)

    def true_telemetry(self) -> Telemetry:
        """Ground truth pose (no estimator error): what the camera physically sees from."""
        with self.lock:
            return self._telemetry(truth=True)

    # ------------------------------------------------------------------ fault injection
    def cut_link(self, duration_s: float | None = None) -> None:
        """Drop every MAVLink client and refuse connections (for ``duration_s`` sim s, or until
        ``restore_link``)."""
        with self.lock:
            self.link_cut_until = math.inf if duration_s is None else self.sim_time_s + duration_s
            self.want_link_cut = True

    def restore_link(self) -> None:
        with self.lock:
            self.link_cut_until = None
            self.want_link_cut = False

    @property
    def link_cut(self) -> bool:
        return self.link_cut_until is not None

    def set_gps(self, ok: bool) -> None:
        with self.lock:
            self._set_param("SIM_GPS_DISABLE", 0.0 if ok else 1.0)

    def set_battery_drain(self, mult: float) -> None:
        if not (0 <= mult <= 10_000) or math.isnan(mult):
            raise SimCommandError(f"battery drain multiplier must be in [0, 10000], got {mult}")
        with self.lock:
            self._set_param("SIM_BATT_DRAIN", mult)

    def set_wind(self, speed_mps: float, dir_deg: float, turbulence_mps: float | None = None) -> None:
        """Wind blowing *from* ``dir_deg`` (meteorological convention), like SIM_WIND_DIR."""
        if not (0 <= speed_mps <= 60) or math.isnan(dir_deg):
            raise SimCommandError(f"wind speed must be in [0, 60] m/s, got {speed_mps}")
        with self.lock:
            self._set_param("SIM_WIND_SPD", speed_mps)
            self._set_param("SIM_WIND_DIR", dir_deg % 360.0)
            if turbulence_mps is not None:
                self._set_param("SIM_WIND_TURB", max(0.0, turbulence_mps))

    # ------------------------------------------------------------------ params
    def set_param(self, name: str, value: float) -> bool:
        """Set a parameter as PARAM_SET does; False if unknown or not a finite number."""
        with self.lock:
            return self._set_param(name, value)

    def _set_param(self, name: str, value: float) -> bool:
        if name not in self.params or math.isnan(value) or math.isinf(value):
            return False
        typ = self.param_types[name]
        if typ != P_REAL32:
            lim = {P_INT8: 127, P_INT16: 32767, P_INT32: 2**31 - 1}[typ]
            value = float(_clamp(round(value), -lim - 1, lim))
        if name == "SIM_SPEEDUP":
            value = _clamp(value, 0.01, 10_000)
        if name == "BATT_CAPACITY":
            value = max(value, 1.0)
            self.battery.capacity_mah = value
        if name == "SIM_GPS_DISABLE":
            self.gps_enabled = value == 0
            if not self.gps_enabled and self._gps_lost_since is None:
                self._gps_lost_since = self.sim_time_s
                self.say("GPS 1: lost fix", SEV_WARNING)
            elif self.gps_enabled and self._gps_lost_since is not None:
                self._gps_lost_since = None
                self._ekf_drift = [0.0, 0.0]
                self.say("GPS 1: detected, 3D fix", SEV_INFO)
        if name == "SIM_LINK_CUT" and value > 0:
            self.link_cut_until = self.sim_time_s + value
            self.want_link_cut = True
            value = 0.0
        self.params[name] = value
        for cb in self.on_param_change:
            cb(name, value)
        return True

    # ------------------------------------------------------------------ arming
    def prearm_failure(self) -> str | None:
        """The first pre-arm check that fails, worded as ArduCopter's STATUSTEXT, or None."""
        if int(self.p("ARMING_CHECK")) == 0:
            return None
        # AP_Arming::gps_checks runs before Copter's mandatory "Need 3D Fix" check
        if self.sim_time_s < self.cfg.gps_detect_s:
            return "PreArm: GPS 1: not healthy"
        if self.gps_fix_type < 3:
            return "PreArm: GPS 1: Bad fix"
        if not self.ekf_position_ok:
            return "PreArm: Need Position Estimate"
        if self.p("BATT_ARM_VOLT") > 0 and self.battery.voltage_v < self.p("BATT_ARM_VOLT"):
            return "PreArm: Battery 1 below minimum arming voltage"
        if self.batt_failsafe:
            return "PreArm: Battery 1 low"
        if int(self.p("FENCE_ENABLE")) and self._fence_breaches_at(self.pos[0], self.pos[1], 0.0):
            return "PreArm: Fence: vehicle outside fence"
        return None

    def arm(self, force: bool = False) -> tuple[bool, str | None]:
        """Arm as MAV_CMD_COMPONENT_ARM_DISARM does. Returns (ok, reason STATUSTEXT)."""
        with self.lock:
            if self.armed:
                return True, None
            if (
                self.mode not in ARMABLE_MODES
                and not (self.mode == Mode.AUTO and int(self.p("AUTO_OPTIONS")) & 1)
                and not force
            ):
                self.say("Arm: Mode not armable", SEV_CRITICAL)
                return False, "Arm: Mode not armable"
            if not force:
                why = self.prearm_failure()
                if why:
                    self.say(why, SEV_CRITICAL)
                    return False, why
            self.armed = True
            self._armed_at_s = self.sim_time_s
            self.ever_flew_since_arm = False
            self._landed_since_s = self.sim_time_s
            self._takeoff_alt = None
            self.mission_done = False
            if self.ekf_position_ok:
                # ArduCopter resets home to the arming position
                self._set_home_local(self.pos[0], self.pos[1], self.pos[2] + self.origin_alt_m)
            self.say("Arming motors", SEV_INFO)
            return True, None

    def disarm(self, reason: str = "", force: bool = False) -> bool:
        with self.lock:
            if not self.armed:
                return True
            if not self.landed and not force:
                return False
            self.armed = False
            self._target = None
            self._target_vel = None
            self.say("Disarming motors" + (f": {reason}" if reason else ""), SEV_INFO)
            return True

    def _set_home_local(self, e: float, n: float, alt_amsl: float) -> None:
        self.home_e, self.home_n, self.home_alt_amsl = e, n, alt_amsl
        self.home_set = True
        self.mission[0] = self._home_item()
        self.outbox.home_changed = True

    def set_home(self, lat: float, lon: float, alt_amsl: float) -> bool:
        with self.lock:
            if not self.home_set:
                return False
            e, n = self.geo_to_local(lat, lon)
            self._set_home_local(e, n, alt_amsl)
            return True

    def set_home_here(self) -> bool:
        with self.lock:
            if not self.ekf_position_ok:
                return False
            self._set_home_local(self.pos[0], self.pos[1], self.pos[2] + self.origin_alt_m)
            return True

    # ------------------------------------------------------------------ modes
    def set_mode(self, mode: int, *, reason: str = "GCS") -> tuple[bool, str | None]:
        with self.lock:
            try:
                m = Mode(mode)
            except ValueError:
                return False, None
            if m == self.mode:
                return True, None  # ArduCopter does not re-initialise the current mode
            if m in POSITION_MODES and not self.ekf_position_ok:
                txt = f"Mode change to {m.name} failed: requires position"
                self.say(txt, SEV_WARNING)
                return False, txt
            if m == Mode.AUTO and self.armed and self.landed:
                first = self._first_nav_index()
                if first is None or self.mission[first].command != CMD_NAV_TAKEOFF:
                    txt = "Mode change to AUTO failed: Auto: Missing Takeoff Cmd"
                    self.say(txt, SEV_CRITICAL)
                    return False, txt
            if m == Mode.AUTO and len(self.mission) <= 1 and self.armed:
                txt = "Mode change to AUTO failed: Auto: Missing mission"
                self.say(txt, SEV_WARNING)
                return False, txt
            self._enter_mode(m)
            return True, None

    def _enter_mode(self, m: Mode) -> None:
        prev = self.mode
        self.mode = m
        self._target_vel = None
        self._target_yaw = None
        hold = [self.pos[0], self.pos[1], self.pos[2]]
        if m in (Mode.LOITER, Mode.BRAKE, Mode.GUIDED):
            self._target = None if self.landed else self._stopping_point()
            self._takeoff_alt = None
        elif m in (Mode.RTL, Mode.SMART_RTL):
            self._rtl_state = "climb"
            self._target = None
        elif m == Mode.LAND:
            self._target = hold
            self._land_pause_until = 0.0
        elif m == Mode.AUTO:
            self._start_mission(prev)
        elif m in (Mode.STABILIZE, Mode.ALT_HOLD):
            self._target = None
        if m != prev:
            logger.debug("[%s] mode %s -> %s", self.vehicle_id, prev.name, m.name)

    def _stopping_point(self) -> list[float]:
        a = max(self.p("WPNAV_ACCEL") / 100.0, 0.5)
        vx, vy = self.vel[0], self.vel[1]
        sp = math.hypot(vx, vy)
        d = sp * sp / (2 * a)
        if sp > 0.01:
            return [self.pos[0] + vx / sp * d, self.pos[1] + vy / sp * d, self.pos[2]]
        return [self.pos[0], self.pos[1], self.pos[2]]

    # ------------------------------------------------------------------ guided
    def takeoff(self, alt_rel_m: float) -> bool:
        """GUIDED takeoff (MAV_CMD_NAV_TAKEOFF): armed, GUIDED, on the ground."""
        with self.lock:
            if math.isnan(alt_rel_m) or not (0 < alt_rel_m <= 10_000):
                return False
            if not self.armed or self.mode != Mode.GUIDED or not self.landed:
                return False
            self._takeoff_alt = alt_rel_m
            self._target = [self.pos[0], self.pos[1], self._rel_to_u(alt_rel_m)]
            return True

    def _rel_to_u(self, rel_alt: float) -> float:
        return rel_alt + self.home_alt_amsl - self.origin_alt_m

    def alt_to_u(self, frame: int, z: float) -> float:
        if frame in AMSL_FRAMES:
            return z - self.origin_alt_m
        return self._rel_to_u(z)

    def guided_goto(self, lat: float, lon: float, alt: float, frame: int = FRAME_GLOBAL_RELATIVE_ALT) -> bool:
        with self.lock:
            if self.mode != Mode.GUIDED or not self.armed:
                return False
            if not (-90 <= lat <= 90 and -180 <= lon <= 180) or any(map(math.isnan, (lat, lon, alt))):
                return False
            e, n = self.geo_to_local(lat, lon)
            if math.hypot(e, n) > 200_000:
                return False
            self._target = [e, n, self.alt_to_u(frame, alt)]
            self._target_vel = None
            self._takeoff_alt = None
            return True

    def guided_goto_local(self, e: float, n: float, u: float) -> bool:
        with self.lock:
            if self.mode != Mode.GUIDED or not self.armed or any(map(math.isnan, (e, n, u))):
                return False
            self._target = [e, n, u]
            self._target_vel = None
            self._takeoff_alt = None
            return True

    def guided_velocity(self, ve: float, vn: float, vu: float) -> bool:
        with self.lock:
            if self.mode != Mode.GUIDED or not self.armed or any(map(math.isnan, (ve, vn, vu))):
                return False
            self._target_vel = [ve, vn, vu]
            self._target_vel_until = self.sim_time_s + 3.0  # ArduCopter stops after 3 s without updates
            return True

    def set_speed(self, speed_mps: float) -> bool:
        with self.lock:
            if math.isnan(speed_mps) or speed_mps <= 0 or speed_mps > 50:
                return False
            self.wp_speed_mps = min(speed_mps, self.cfg.max_speed_mps)
            return True

    def set_yaw(self, heading_deg: float, relative: bool = False, direction: int = 0) -> bool:
        with self.lock:
            if math.isnan(heading_deg):
                return False
            h = (self.yaw_deg + heading_deg * (direction or 1)) if relative else heading_deg
            self._target_yaw = h % 360.0
            return True

    # ------------------------------------------------------------------ gimbal / ROI
    def set_gimbal(self, pitch_deg: float, yaw_deg: float, *, earth_frame_yaw: bool = False) -> bool:
        with self.lock:
            if math.isnan(pitch_deg) or math.isnan(yaw_deg):
                return False
            pitch = _clamp(pitch_deg, self.p("MNT1_PITCH_MIN"), self.p("MNT1_PITCH_MAX"))
            self._gimbal_target = (pitch, yaw_deg, earth_frame_yaw)
            self.roi = None
            return True

    def set_roi(self, lat: float | None, lon: float | None, alt_amsl: float = 0.0) -> bool:
        with self.lock:
            if lat is None or lon is None or (lat == 0 and lon == 0):
                self.roi = None
                return True
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                return False
            e, n = self.geo_to_local(lat, lon)
            self.roi = (e, n, alt_amsl - self.origin_alt_m)
            return True

    # ------------------------------------------------------------------ mission
    def set_mission(self, items: list[MissionItem]) -> None:
        """Replace the mission (item 0 is always home, whatever was sent)."""
        with self.lock:
            self.mission = [self._home_item(), *items[1:]]
            self.params["MIS_TOTAL"] = float(len(self.mission))
            self.mission_current = 0
            self._nav = {}
            self.mission_done = False
            if self.mode == Mode.AUTO:
                self._start_mission(self.mode)
            self.outbox.mission_changed = True

    def clear_mission(self) -> None:
        self.set_mission([])

    def set_mission_current(self, seq: int) -> bool:
        with self.lock:
            if not (0 <= seq < len(self.mission)):
                return False
            self.mission_current = seq
            if self.mode == Mode.AUTO:
                self._run_from(max(seq, 1))
            return True

    def _first_nav_index(self) -> int | None:
        for i, it in enumerate(self.mission[1:], start=1):
            if it.command in NAV_COMMANDS:
                return i
        return None

    def _start_mission(self, prev: Mode) -> None:
        self._jump_counts = {}
        start = self.mission_current
        if start < 1 or self.mission_done or int(self.p("MIS_RESTART")) == 1 or start >= len(self.mission):
            start = 1
        self.mission_done = False
        self._run_from(start)

    def _run_from(self, idx: int) -> None:
        """Execute DO commands from ``idx`` until a NAV command, start it."""
        guard = 0
        while idx < len(self.mission):
            guard += 1
            if guard > 10_000:
                break
            it = self.mission[idx]
            if it.command == CMD_DO_JUMP:
                target = int(it.param1)
                repeats = int(it.param2)
                done = self._jump_counts.get(idx, 0)
                if 1 <= target < len(self.mission) and (repeats < 0 or done < repeats):
                    self._jump_counts[idx] = done + 1
                    idx = target
                    continue
                idx += 1
                continue
            if it.command in NAV_COMMANDS:
                self._start_nav(idx)
                return
            self._do_command(it)
            idx += 1
        self._mission_complete()

    def _mission_complete(self) -> None:
        self.mission_done = True
        self._nav = {"cmd": None, "phase": "done"}
        self.mission_current = 0 if len(self.mission) <= 1 else len(self.mission) - 1
        if not self.landed:
            self._target = self._stopping_point()
        elif self.armed:
            self.disarm("mission complete")

    def _item_local(self, it: MissionItem, default_u: float) -> list[float]:
        if it.frame in GLOBAL_FRAMES and not (it.x == 0 and it.y == 0):
            e, n = self.geo_to_local(it.x, it.y)
        else:
            e, n = self.pos[0], self.pos[1]
        u = self.alt_to_u(it.frame, it.z) if it.z != 0 or it.frame in AMSL_FRAMES else default_u
        return [e, n, u]

    def _start_nav(self, idx: int) -> None:
        it = self.mission[idx]
        self.mission_current = idx
        self.say(f"Mission: {idx} {CMD_NAMES.get(it.command, str(it.command))}", SEV_INFO)
        self._nav = {"cmd": it.command, "idx": idx, "phase": "go", "reached": False}
        if it.command == CMD_NAV_TAKEOFF:
            alt = max(it.z, 1.0) if it.frame not in AMSL_FRAMES else it.z - self.home_alt_amsl
            target_u = self._rel_to_u(max(alt, 1.0))
            if self.rel_alt_m >= alt:
                target_u = self.pos[2]
            self._target = [self.pos[0], self.pos[1], target_u]
        elif it.command in (
            CMD_NAV_WAYPOINT,
            CMD_NAV_SPLINE_WAYPOINT,
            CMD_NAV_LOITER_TIME,
            CMD_NAV_LOITER_UNLIM,
            CMD_NAV_LOITER_TURNS,
        ):
            self._target = self._item_local(it, self.pos[2])
        elif it.command == CMD_NAV_LAND:
            t = self._item_local(it, self.pos[2])
            t[2] = self.pos[2]
            self._target = t
            self._nav["phase"] = (
                "approach" if math.hypot(t[0] - self.pos[0], t[1] - self.pos[1]) > 2 else "descend"
            )
        elif it.command == CMD_NAV_RETURN_TO_LAUNCH:
            self._rtl_state = "climb"
            self._target = None
        elif it.command == CMD_NAV_DELAY:
            self._target = self._stopping_point()
            self._nav["until"] = self.sim_time_s + max(it.param1, 0.0)
        # do commands between this nav and the next run while it flies
        j = idx + 1
        while j < len(self.mission) and self.mission[j].command not in NAV_COMMANDS:
            if self.mission[j].command != CMD_DO_JUMP:
                self._do_command(self.mission[j])
            j += 1
        self._nav["next"] = j

    def _nav_complete(self) -> None:
        idx = self._nav.get("idx", 0)
        self.outbox.reached.append(idx)
        nxt = self._nav.get("next", idx + 1)
        # a DO_JUMP right after this nav command
        if nxt - 1 > idx and self.mission[nxt - 1].command == CMD_DO_JUMP:
            self._run_from(nxt - 1)
        else:
            self._run_from(nxt)

    def _do_command(self, it: MissionItem) -> None:
        c = it.command
        if c == CMD_DO_CHANGE_SPEED:
            if it.param2 > 0:
                self.wp_speed_mps = min(it.param2, self.cfg.max_speed_mps)
        elif c in (CMD_DO_SET_ROI, CMD_DO_SET_ROI_LOCATION):
            if it.x == 0 and it.y == 0:
                self.roi = None
            else:
                e, n = self.geo_to_local(it.x, it.y)
                self.roi = (e, n, self.alt_to_u(it.frame, it.z))
        elif c == CMD_DO_SET_ROI_NONE:
            self.roi = None
        elif c == CMD_DO_MOUNT_CONTROL:
            self.set_gimbal(it.param1, it.param3)
        elif c == CMD_DO_GIMBAL_MANAGER_PITCHYAW:
            flags = int(it.x)
            self.set_gimbal(it.param1, it.param2, earth_frame_yaw=bool(flags & 16))
        elif c == CMD_CONDITION_YAW:
            self.set_yaw(it.param1, relative=bool(it.param4), direction=int(it.param3) or 1)
        elif c == CMD_DO_SET_HOME:
            if it.param1 == 1:
                self.set_home_here()
            else:
                self.set_home(it.x, it.y, it.z)

    # ------------------------------------------------------------------ simulation
    def advance_to(self, t_s: float, max_steps: int = 100_000, wall_deadline: float | None = None) -> int:
        """Step the physics in fixed ``dt_s`` increments until ``sim_time_s`` reaches ``t_s`` (or
        ``max_steps`` were taken, or the wall clock passed ``wall_deadline``)."""
        n = 0
        dt = self.cfg.dt_s
        with self.lock:
            while self.sim_time_s + dt <= t_s + 1e-9 and n < max_steps:
                self._step(dt)
                n += 1
                if wall_deadline is not None and n % 25 == 0 and time.monotonic() > wall_deadline:
                    break
        return n

    def step(self, dt_s: float) -> None:
        with self.lock:
            self._step(dt_s)

    def _step(self, dt: float) -> None:
        self.sim_time_s += dt
        t = self.sim_time_s
        self._boot_progress()
        self._sensors(dt)
        ve, vn, vu, yaw_goal = self._guidance(dt)
        self._dynamics(dt, ve, vn, vu, yaw_goal)
        self._gimbal(dt)
        self._ground_logic(t)
        self._battery(dt)
        self._failsafes(t)
        if self.link_cut_until is not None and t >= self.link_cut_until:
            self.link_cut_until = None
            self.want_link_cut = False

    def _boot_progress(self) -> None:
        t = self.sim_time_s
        if self.boot_announced == 0:
            self.boot_announced = 1
            self.say("ArduCopter V4.7.0-dev (shorewatch sim)", SEV_INFO)
            self.say("Frame: QUAD/X", SEV_INFO)
        if self.boot_announced == 1 and t >= self.cfg.gps_fix_s and self.gps_enabled:
            self.boot_announced = 2
            self.say("GPS 1: detected u-blox at 230400 baud", SEV_INFO)
        if self.boot_announced == 2 and t >= self.cfg.ekf_ready_s and self.gps_enabled:
            self.boot_announced = 3
            self.say("EKF3 IMU0 origin set", SEV_INFO)
            self.say("EKF3 IMU0 is using GPS", SEV_INFO)
            if not self.home_set:
                self._set_home_local(0.0, 0.0, self.origin_alt_m)

    def _sensors(self, dt: float) -> None:
        sigma = max(self.p("SIM_GPS_NOISE"), 0.0)
        # first-order Gauss-Markov GPS error, ~3 s correlation
        a = math.exp(-dt / 3.0)
        b = sigma * math.sqrt(1 - a * a)
        g = self._rng.gauss
        self._gps_noise[0] = a * self._gps_noise[0] + b * g(0, 1)
        self._gps_noise[1] = a * self._gps_noise[1] + b * g(0, 1)
        self._gps_noise[2] = a * self._gps_noise[2] + b * g(0, 1)
        if self._gps_lost_since is not None and not self.landed:
            self._ekf_drift[0] += g(0, 0.5) * dt + self.vel[0] * 0.02 * dt
            self._ekf_drift[1] += g(0, 0.5) * dt + self.vel[1] * 0.02 * dt
        # gusts: Ornstein-Uhlenbeck, 2 s correlation
        turb = max(self.p("SIM_WIND_TURB"), 0.0)
        a2 = math.exp(-dt / 2.0)
        b2 = turb * math.sqrt(1 - a2 * a2)
        for i in range(3):
            self.wind_gust[i] = a2 * self.wind_gust[i] + b2 * g(0, 1) * (0.3 if i == 2 else 1.0)

    def wind_vector(self) -> tuple[float, float, float]:
        spd = self.p("SIM_WIND_SPD")
        d = math.radians(self.p("SIM_WIND_DIR"))
        # wind FROM dir: it blows towards dir+180
        return (
            -spd * math.sin(d) + self.wind_gust[0],
            -spd * math.cos(d) + self.wind_gust[1],
            self.wind_gust[2],
        )

    def _cruise_speed(self) -> float:
        if self.wp_speed_mps is not None:
            return self.wp_speed_mps
        return _clamp(self.p("WPNAV_SPEED") / 100.0, 0.2, self.cfg.max_speed_mps)

    def _approach(self, target: list[float], speed: float, dt: float) -> tuple[float, float, float, float]:
        """Velocity towards ``target`` with a braking profile; returns ve, vn, vu, horizontal dist."""
        de, dn, du = target[0] - self.pos[0], target[1] - self.pos[1], target[2] - self.pos[2]
        dist = math.hypot(de, dn)
        a = max(self.p("WPNAV_ACCEL") / 100.0, 0.5)
        if dist > 0.05:
            sp = min(speed, math.sqrt(2 * a * dist) * 0.95, dist / max(dt, 1e-3))
            ve, vn = de / dist * sp, dn / dist * sp
        else:
            ve = vn = 0.0
        up = min(self.p("WPNAV_SPEED_UP") / 100.0, self.cfg.max_climb_mps)
        dnm = min(self.p("WPNAV_SPEED_DN") / 100.0, self.cfg.max_descent_mps)
        az = max(self.p("WPNAV_ACCEL_Z") / 100.0, 0.5) * 2.0
        vz_lim = math.sqrt(2 * az * abs(du)) * 0.95
        vu = _clamp(math.copysign(min(vz_lim, abs(du) / max(dt, 1e-3)), du), -dnm, up)
        return ve, vn, vu, dist

    def _land_speed(self) -> float:
        """Descent rate while landing: fast down to LAND_ALT_LOW, LAND_SPEED below it."""
        alt = self.rel_alt_m
        if alt > self.p("LAND_ALT_LOW") / 100.0:
            hi = self.p("LAND_SPEED_HIGH") or self.p("WPNAV_SPEED_DN")
            return _clamp(hi / 100.0, 0.3, self.cfg.max_descent_mps)
        return _clamp(self.p("LAND_SPEED") / 100.0, 0.3, 2.0)

    def _guidance(self, dt: float) -> tuple[float, float, float, float | None]:
        """Desired velocity (e, n, u) and yaw for the current mode."""
        if not self.armed:
            return 0.0, 0.0, 0.0, None
        m = self.mode
        speed = self._cruise_speed()
        yaw_goal: float | None = self._target_yaw
        if m in (Mode.STABILIZE, Mode.ALT_HOLD):
            if self.landed:
                return 0.0, 0.0, 0.0, yaw_goal
            we, wn, _ = self.wind_vector()
            return we, wn, 0.0, yaw_goal  # no position hold: drift with the wind
        if m == Mode.LAND or (self.ekf_failsafe and m != Mode.LAND):
            return self._land_guidance(dt)
        if m in (Mode.RTL, Mode.SMART_RTL) or (
            m == Mode.AUTO and self._nav.get("cmd") == CMD_NAV_RETURN_TO_LAUNCH
        ):
            return self._rtl_guidance(dt)
        if m == Mode.GUIDED and self._target_vel is not None:
            if self.sim_time_s > self._target_vel_until:
                self._target_vel = None
                self._target = self._stopping_point()
            else:
                ve, vn, vu = self._target_vel
                sp = math.hypot(ve, vn)
                if sp > 0.5 and yaw_goal is None:
                    yaw_goal = math.degrees(math.atan2(ve, vn))
                if self.landed and vu <= 0:
                    return 0.0, 0.0, 0.0, yaw_goal
                return ve, vn, vu, yaw_goal
        if m == Mode.AUTO:
            return self._auto_guidance(dt, speed)
        if self._target is None:
            if self.landed:
                return 0.0, 0.0, 0.0, yaw_goal
            self._target = self._stopping_point()
        if m == Mode.GUIDED and self._takeoff_alt is not None:
            ve, vn, vu, _ = self._approach(self._target, speed, dt)
            return 0.0, 0.0, vu, yaw_goal
        ve, vn, vu, dist = self._approach(self._target, speed, dt)
        if yaw_goal is None and dist > 2.0 and m == Mode.GUIDED:
            yaw_goal = math.degrees(math.atan2(ve, vn))
        return ve, vn, vu, yaw_goal

    def _land_guidance(self, dt: float) -> tuple[float, float, float, float | None]:
        if self.landed:
            return 0.0, 0.0, 0.0, None
        if self._target is None:
            self._target = [self.pos[0], self.pos[1], self.pos[2]]
        if self.ekf_position_ok:
            ve, vn, _, _ = self._approach(self._target, 2.0, dt)
        else:
            we, wn, _ = self.wind_vector()
            ve, vn = we, wn
        return ve, vn, -self._land_speed(), None

    def _rtl_guidance(self, dt: float) -> tuple[float, float, float, float | None]:
        st = self._rtl_state or "climb"
        home = [self.home_e, self.home_n, self._rel_to_u(0.0)]
        rtl_alt = max(self.p("RTL_ALT") / 100.0, 0.0)
        if st == "climb":
            dist = math.hypot(home[0] - self.pos[0], home[1] - self.pos[1])
            target_rel = max(rtl_alt, self.rel_alt_m + self.p("RTL_CLIMB_MIN") / 100.0)
            if dist < max(self.p("WPNAV_RADIUS") / 100.0, 1.0) * 2:
                target_rel = max(self.rel_alt_m, min(target_rel, self.rel_alt_m))  # near home: no climb
            self._rtl_return_u = self._rel_to_u(target_rel)
            self._rtl_state = st = "climbing"
        if st == "climbing":
            target = [self.pos[0], self.pos[1], self._rtl_return_u]
            ve, vn, vu, _ = self._approach(target, 1.0, dt)
            if abs(self.pos[2] - self._rtl_return_u) < 0.5 or (
                self.landed and self._rtl_return_u <= self.pos[2]
            ):
                self._rtl_state = "return"
            return 0.0, 0.0, vu, None
        if st == "return":
            spd = self.p("RTL_SPEED") / 100.0 or self._cruise_speed()
            target = [home[0], home[1], self._rtl_return_u]
            ve, vn, vu, dist = self._approach(target, min(spd, self.cfg.max_speed_mps), dt)
            yaw = math.degrees(math.atan2(ve, vn)) if dist > 2 else None
            if dist < max(self.p("WPNAV_RADIUS") / 100.0, 0.5) and math.hypot(self.vel[0], self.vel[1]) < 1.0:
                self._rtl_state = "loiter"
                self._rtl_until = self.sim_time_s + self.p("RTL_LOIT_TIME") / 1000.0
            return ve, vn, vu, yaw
        if st == "loiter":
            target = [home[0], home[1], self._rtl_return_u]
            ve, vn, vu, _ = self._approach(target, 2.0, dt)
            if self.sim_time_s >= self._rtl_until:
                final = self.p("RTL_ALT_FINAL") / 100.0
                self._rtl_state = "final" if final > 0 else "land"
            return ve, vn, vu, None
        if st == "final":
            target = [home[0], home[1], self._rel_to_u(self.p("RTL_ALT_FINAL") / 100.0)]
            ve, vn, vu, _ = self._approach(target, 2.0, dt)
            return ve, vn, vu, None
        # land at home
        self._target = [home[0], home[1], self.pos[2]]
        return self._land_guidance(dt)

    def _auto_guidance(self, dt: float, speed: float) -> tuple[float, float, float, float | None]:
        nav = self._nav
        cmd = nav.get("cmd")
        if cmd is None:
            if self.landed:
                return 0.0, 0.0, 0.0, None
            if self._target is None:
                self._target = self._stopping_point()
            ve, vn, vu, _ = self._approach(self._target, speed, dt)
            return ve, vn, vu, None
        idx = nav["idx"]
        it = self.mission[idx] if idx < len(self.mission) else None
        target = self._target or [self.pos[0], self.pos[1], self.pos[2]]
        radius = max(self.p("WPNAV_RADIUS") / 100.0, 0.3)
        if cmd == CMD_NAV_TAKEOFF:
            if not self.armed:
                return 0.0, 0.0, 0.0, None
            _, _, vu, _ = self._approach(target, speed, dt)
            if abs(self.pos[2] - target[2]) < 0.3:
                self._nav_complete()
            return 0.0, 0.0, vu, None
        if cmd == CMD_NAV_LAND:
            if nav["phase"] == "approach":
                ve, vn, vu, dist = self._approach(target, speed, dt)
                if dist < radius and math.hypot(self.vel[0], self.vel[1]) < 0.5:
                    nav["phase"] = "descend"
                return ve, vn, vu, self._yaw_to(ve, vn, dist)
            return self._land_guidance(dt)
        if cmd == CMD_NAV_DELAY:
            ve, vn, vu, _ = self._approach(target, speed, dt)
            if self.sim_time_s >= nav.get("until", 0):
                self._nav_complete()
            return ve, vn, vu, None
        ve, vn, vu, dist = self._approach(target, speed, dt)
        if nav["phase"] == "go" and dist < radius and abs(self.pos[2] - target[2]) < 1.0:
            nav["phase"] = "hold"
            hold = it.param1 if it is not None and cmd in (CMD_NAV_WAYPOINT, CMD_NAV_LOITER_TIME) else 0.0
            nav["until"] = self.sim_time_s + max(hold, 0.0)
            if cmd == CMD_NAV_WAYPOINT:
                self.say(f"Reached command #{idx}", SEV_INFO)
        if nav["phase"] == "hold":
            if cmd in (CMD_NAV_LOITER_UNLIM, CMD_NAV_LOITER_TURNS):
                pass  # forever
            elif self.sim_time_s >= nav["until"]:
                self._nav_complete()
        return ve, vn, vu, self._yaw_to(ve, vn, dist)

    def _yaw_to(self, ve: float, vn: float, dist: float) -> float | None:
        if self._target_yaw is not None:
            return self._target_yaw
        if int(self.p("WP_YAW_BEHAVIOR")) == 0 or dist < 2.0 or math.hypot(ve, vn) < 0.5:
            return None
        return math.degrees(math.atan2(ve, vn))

    def _dynamics(self, dt: float, ve: float, vn: float, vu: float, yaw_goal: float | None) -> None:
        if self.roi is not None and self.armed and not self.landed:
            yaw_goal = math.degrees(math.atan2(self.roi[0] - self.pos[0], self.roi[1] - self.pos[1]))
        # horizontal speed limit
        sp = math.hypot(ve, vn)
        lim = self.cfg.max_speed_mps
        if sp > lim:
            ve, vn = ve / sp * lim, vn / sp * lim
        vu = _clamp(vu, -self.cfg.max_descent_mps, self.cfg.max_climb_mps)
        a_h = max(self.p("WPNAV_ACCEL") / 100.0, 0.5) * 1.2
        a_v = max(self.p("WPNAV_ACCEL_Z") / 100.0, 0.5) * 2.5
        dve, dvn = ve - self.vel[0], vn - self.vel[1]
        dv = math.hypot(dve, dvn)
        if dv > a_h * dt:
            dve, dvn = dve / dv * a_h * dt, dvn / dv * a_h * dt
        dvu = _clamp(vu - self.vel[2], -a_v * dt, a_v * dt)
        self.accel = [dve / dt, dvn / dt, dvu / dt]
        self.vel[0] += dve
        self.vel[1] += dvn
        self.vel[2] += dvu
        # residual gust disturbance the position controller has not yet rejected
        gd = self.wind_gust
        flying = self.armed and not self.landed
        k = 0.15 if flying else 0.0
        self.pos[0] += (self.vel[0] + gd[0] * k) * dt
        self.pos[1] += (self.vel[1] + gd[1] * k) * dt
        self.pos[2] += (self.vel[2] + gd[2] * k) * dt
        if self.pos[2] < 0.0:
            self.pos[2] = 0.0
            if self.vel[2] < 0:
                self.vel[2] = 0.0
        if self.landed:
            self.vel[0] = self.vel[1] = 0.0
        # yaw
        if yaw_goal is not None and flying:
            err = _wrap180(yaw_goal - self.yaw_deg)
            max_step = self.cfg.yaw_rate_dps * dt
            step = _clamp(err, -max_step, max_step)
            self.yaw_rate_dps = step / dt
            self.yaw_deg = (self.yaw_deg + step) % 360.0
        else:
            self.yaw_rate_dps = 0.0
        # attitude: tilt to produce the acceleration and hold against air drag
        if flying:
            we, wn, _ = self.wind_vector()
            drag_e = 0.12 * (self.vel[0] - we)
            drag_n = 0.12 * (self.vel[1] - wn)
            fe, fn = self.accel[0] + drag_e, self.accel[1] + drag_n
            h = math.radians(self.yaw_deg)
            fwd = fe * math.sin(h) + fn * math.cos(h)
            right = fe * math.cos(h) - fn * math.sin(h)
            amax = math.radians(self.p("ANGLE_MAX") / 100.0)
            self.pitch_deg = math.degrees(_clamp(-math.atan2(fwd, GRAVITY), -amax, amax))
            self.roll_deg = math.degrees(_clamp(math.atan2(right, GRAVITY), -amax, amax))
        else:
            self.pitch_deg = self.roll_deg = 0.0

    def _gimbal(self, dt: float) -> None:
        if self.roi is not None:
            de, dn = self.roi[0] - self.pos[0], self.roi[1] - self.pos[1]
            du = self.roi[2] - self.pos[2]
            pitch = math.degrees(math.atan2(du, max(math.hypot(de, dn), 0.01)))
            yaw_abs = math.degrees(math.atan2(de, dn))
            tp, ty = pitch, _wrap180(yaw_abs - self.yaw_deg)
        else:
            tp, ty, earth = self._gimbal_target
            if earth:
                ty = _wrap180(ty - self.yaw_deg)
        tp = _clamp(tp, self.p("MNT1_PITCH_MIN"), self.p("MNT1_PITCH_MAX"))
        ty = _clamp(_wrap180(ty), self.p("MNT1_YAW_MIN"), self.p("MNT1_YAW_MAX"))
        r = self.cfg.gimbal_rate_dps * dt
        self.gimbal_pitch_deg += _clamp(tp - self.gimbal_pitch_deg, -r, r)
        self.gimbal_yaw_deg += _clamp(_wrap180(ty - self.gimbal_yaw_deg), -r, r)
        self.gimbal_yaw_deg = _wrap180(self.gimbal_yaw_deg)

    def _ground_logic(self, t: float) -> None:
        if not self.armed:
            self.landed = True
            self.pos[2] = max(self.pos[2], 0.0)
            if self.pos[2] > 0.0:  # disarmed in the air (forced): fall
                self.vel[2] = max(self.vel[2] - GRAVITY * self.cfg.dt_s, -20.0)
            return
        if self.landed:
            if self.pos[2] > 0.3 and self.vel[2] > 0:
                self.landed = False
                self.ever_flew_since_arm = True
                return
            # auto-disarm: after a landing ~2 s, before take-off after DISARM_DELAY
            delay = self.p("DISARM_DELAY")
            if self.ever_flew_since_arm or self._nav.get("cmd") == CMD_NAV_LAND:
                if t - self._landed_since_s >= 2.0:
                    self.disarm("landed")
                    self._after_landing()
            elif (
                delay > 0
                and t - self._landed_since_s >= delay
                and self._takeoff_alt is None
                and not (self.mode == Mode.AUTO and self._nav.get("cmd") == CMD_NAV_TAKEOFF)
            ):
                self.disarm("auto disarm")
            return
        # flying: touchdown when descending onto the ground
        if self.pos[2] <= 0.0 and self.vel[2] <= 0.0:
            self.landed = True
            self._landed_since_s = t
            self.vel = [0.0, 0.0, 0.0]
            if self.mode in (Mode.LAND, Mode.RTL, Mode.SMART_RTL, Mode.AUTO):
                self.say("Land complete", SEV_INFO)
        if (
            self._takeoff_alt is not None
            and self.mode == Mode.GUIDED
            and self._target is not None
            and abs(self.pos[2] - self._target[2]) < 0.3
        ):
            self._takeoff_alt = None

    def _after_landing(self) -> None:
        if self.mode == Mode.AUTO and self._nav.get("cmd") in (CMD_NAV_LAND, CMD_NAV_RETURN_TO_LAUNCH):
            idx = self._nav.get("idx", 0)
            self.outbox.reached.append(idx)
            self._nav = {"cmd": None, "phase": "done"}
            self.mission_done = True

    def _battery(self, dt: float) -> None:
        if self.armed and not self.landed:
            we, wn, _ = self.wind_vector()
            air = math.hypot(self.vel[0] - we, self.vel[1] - wn)
            i = self.cfg.hover_current_a * (1.0 + 0.25 * (air / 10.0) ** 2 + 0.15 * max(self.vel[2], 0.0))
        elif self.armed:
            i = 3.0
        else:
            i = self.cfg.idle_current_a
        self.battery.update(i, dt, max(self.p("SIM_BATT_DRAIN"), 0.0))

    # ------------------------------------------------------------------ failsafes
    def _failsafe_action(self, action: int, what: str) -> None:
        """ArduCopter's FailsafeAction: 0 none, 1 land, 2 RTL, 3 SmartRTL->RTL, 4 SmartRTL->land,
        5 terminate. On the ground it disarms instead."""
        if not self.armed:
            return
        if self.landed:
            self.disarm(f"{what} failsafe")
            return
        if action in (2, 3):
            if self.mode not in (Mode.RTL, Mode.LAND):
                ok, _ = self.set_mode(Mode.RTL, reason=what)
                if not ok:
                    self._enter_mode(Mode.LAND)
        elif action in (1, 4):
            if self.mode != Mode.LAND:
                self._enter_mode(Mode.LAND)
        elif action == 5:
            self.disarm(f"{what} failsafe", force=True)

    def _failsafes(self, t: float) -> None:
        # battery
        b = self.battery
        if int(self.p("BATT_MONITOR")) != 0:
            crit = (self.p("BATT_CRT_MAH") > 0 and b.remaining_mah < self.p("BATT_CRT_MAH")) or (
                self.p("BATT_CRT_VOLT") > 0 and b.voltage_v < self.p("BATT_CRT_VOLT")
            )
            low_v = self.p("BATT_LOW_VOLT") > 0 and b.voltage_v < self.p("BATT_LOW_VOLT")
            if low_v:
                if self._batt_low_since is None:
                    self._batt_low_since = t
            else:
                self._batt_low_since = None
            low = (self.p("BATT_LOW_MAH") > 0 and b.remaining_mah < self.p("BATT_LOW_MAH")) or (
                self._batt_low_since is not None and t - self._batt_low_since >= self.p("BATT_LOW_TIMER")
            )
            level = 2 if crit else 1 if low else 0
            if level > self.batt_failsafe:
                self.batt_failsafe = level
                kind = "critical" if level == 2 else "low"
                self.say(
                    f"Battery 1 is {kind} {b.voltage_v:.2f}V used {b.consumed_mah:.0f} mAh", SEV_CRITICAL
                )
                act = int(self.p("BATT_FS_CRT_ACT" if level == 2 else "BATT_FS_LOW_ACT"))
                if self.armed and act:
                    self._failsafe_action(act, "Battery")
        # GCS heartbeat loss
        fs_gcs = int(self.p("FS_GCS_ENABLE"))
        if fs_gcs and self.last_gcs_heartbeat_s is not None and self.armed:
            lost = t - self.last_gcs_heartbeat_s > max(self.p("FS_GCS_TIMEOUT"), 0.1)
            if lost and not self.gcs_failsafe:
                self.gcs_failsafe = True
                if self.landed:
                    self.say("GCS Failsafe", SEV_WARNING)
                    self.disarm("GCS failsafe")
                elif fs_gcs == 2 and self.mode == Mode.AUTO:
                    self.say("GCS Failsafe - Continuing Auto Mode", SEV_WARNING)
                else:
                    self.say("GCS Failsafe", SEV_WARNING)
                    self._failsafe_action({1: 2, 2: 2, 3: 3, 4: 4, 5: 1}.get(fs_gcs, 2), "GCS")
        if (
            self.gcs_failsafe
            and self.last_gcs_heartbeat_s is not None
            and (t - self.last_gcs_heartbeat_s <= max(self.p("FS_GCS_TIMEOUT"), 0.1))
        ):
            self.gcs_failsafe = False
            self.say("GCS Failsafe Cleared", SEV_WARNING)
        # EKF failsafe (GPS lost while flying in a position mode)
        if self._gps_lost_since is not None and t - self._gps_lost_since > 1.0:
            if self.armed and not self.landed and not self.ekf_failsafe and self.mode in POSITION_MODES:
                self.ekf_failsafe = True
                self.say("EKF Failsafe", SEV_CRITICAL)
                if int(self.p("FS_EKF_ACTION")) in (1, 3):
                    self._enter_mode(Mode.LAND)
                elif int(self.p("FS_EKF_ACTION")) == 2:
                    self._enter_mode(Mode.ALT_HOLD)
        elif self.ekf_failsafe and self._gps_lost_since is None:
            self.ekf_failsafe = False
            self.say("EKF Failsafe Cleared", SEV_WARNING)
        # geofence
        if int(self.p("FENCE_ENABLE")) and self.armed and not self.landed:
            breaches = self._fence_breaches_at(self.pos[0], self.pos[1], self.rel_alt_m)
            new = breaches & ~self.fence_breached
            if new:
                self.fence_breach_count += 1
                self.say("Fence Breached", SEV_NOTICE)
                act = int(self.p("FENCE_ACTION"))
                if act in (1, 3, 6):
                    if self.mode not in (Mode.RTL, Mode.LAND, Mode.SMART_RTL):
                        self._failsafe_action(2, "Fence")
                elif act in (2, 4, 5):
                    self._failsafe_action(1, "Fence")
            elif self.fence_breached and not breaches:
                self.say("Fence breach cleared", SEV_NOTICE)
            self.fence_breached = breaches
        elif self.fence_breached and not int(self.p("FENCE_ENABLE")):
            self.fence_breached = 0

    def _fence_breaches_at(self, e: float, n: float, rel_alt: float) -> int:
        types = int(self.p("FENCE_TYPE"))
        out = 0
        if types & 1 and rel_alt > self.p("FENCE_ALT_MAX"):
            out |= 1
        if types & 2 and math.hypot(e - self.home_e, n - self.home_n) > self.p("FENCE_RADIUS"):
            out |= 2
        if types & 4 and self._fence_polygon is not None:
            from shapely.geometry import Point

            lat, lon = self.local_to_geo(e, n)
            if not self._fence_polygon.contains(Point(lon, lat)):
                out |= 4
        return out

    # ------------------------------------------------------------------ reboot
    def reboot(self) -> bool:
        with self.lock:
            if self.armed:
                return False
            mission = self.mission[1:]
            sysid = int(self.params["MAV_SYSID"])
            if 1 <= sysid <= 250:
                self.sysid = sysid
            self._reset_state()
            self.mission = [
                self._home_item(),
                *[
                    MissionItem(
                        i + 1,
                        it.frame,
                        it.command,
                        0,
                        it.autocontinue,
                        it.param1,
                        it.param2,
                        it.param3,
                        it.param4,
                        it.x,
                        it.y,
                        it.z,
                    )
                    for i, it in enumerate(mission)
                ],
            ]
            return True
