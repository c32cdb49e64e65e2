"""MAVLink 2 over TCP for one ``SimVehicle``, speaking like ArduCopter.

One ``MavlinkServer`` per vehicle listens on its port; any number of clients (dronekit, a GCS,
pymavlink scripts) may connect. It does no threading of its own: ``flight.sim.sitl`` runs one
selector loop for the whole fleet and calls ``on_accept`` / ``on_readable`` / ``on_writable`` /
``tick``.

What it answers, as ArduCopter does: HEARTBEAT (quadrotor, ARDUPILOTMEGA), the parameter
protocol, COMMAND_LONG / COMMAND_INT (arm/disarm with pre-arm refusals, modes, takeoff, RTL,
LAND, speed, home, ROI, mount/gimbal, message intervals, AUTOPILOT_VERSION, reboot), SET_MODE,
SET_POSITION_TARGET_GLOBAL_INT / _LOCAL_NED, guided MISSION_ITEM(_INT) with current=2, the
mission protocol (upload, download, clear, set current; out-of-order and retried requests) and
streams at REQUEST_DATA_STREAM / SET_MESSAGE_INTERVAL rates counted in sim time.

Exceptions: ``LinkError(SimError)`` when a port cannot be bound.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import math
import selectors
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from flight.sim.clock import SimClock
from flight.sim.vehicle import (
    AMSL_FRAMES,
    CMD_NAMES,
    GLOBAL_FRAMES,
    NAV_COMMANDS,
    P_INT8,
    P_INT16,
    P_INT32,
    P_REAL32,
    MissionItem,
    Mode,
    SimError,
    SimVehicle,
)

logger = logging.getLogger(__name__)

ML = mavlink2

MAX_MISSION_ITEMS = 700
"""Largest mission accepted (ArduCopter's limit depends on the board's storage)."""

MAX_OUTBUF_BYTES = 2_000_000
UPLOAD_RETRY_WALL_S = 0.5
UPLOAD_GIVEUP_WALL_S = 8.0

# extra mission commands accepted (stored, executed as no-ops: no camera/servo hardware here)
ACCEPTED_NOOP_COMMANDS = frozenset(
    {
        112,
        114,
        181,
        183,
        184,
        189,
        203,
        204,
        206,
        214,
        1001,
        2000,
        2001,
        2500,
        2501,
        3000,
    }
)
KNOWN_MISSION_COMMANDS = frozenset(NAV_COMMANDS) | frozenset(CMD_NAMES) | ACCEPTED_NOOP_COMMANDS
KNOWN_FRAMES = frozenset({0, 1, 2, 3, 5, 6, 10, 11})

MAV_RESULT_ACCEPTED = 0
MAV_RESULT_TEMPORARILY_REJECTED = 1
MAV_RESULT_DENIED = 2
MAV_RESULT_UNSUPPORTED = 3
MAV_RESULT_FAILED = 4

MISSION_ACCEPTED = 0
MISSION_ERROR = 1
MISSION_UNSUPPORTED_FRAME = 2
MISSION_UNSUPPORTED = 3
MISSION_NO_SPACE = 4
MISSION_INVALID_PARAM5_X = 10
MISSION_INVALID_PARAM6_Y = 11
MISSION_INVALID_SEQUENCE = 13
MISSION_OPERATION_CANCELLED = 15

# stream groups (MAV_DATA_STREAM) -> message names, as ArduPilot groups them
STREAM_GROUPS: dict[int, tuple[str, ...]] = {
    1: ("RAW_IMU", "SCALED_PRESSURE"),
    2: (
        "SYS_STATUS",
        "POWER_STATUS",
        "MEMINFO",
        "MISSION_CURRENT",
        "GPS_RAW_INT",
        "NAV_CONTROLLER_OUTPUT",
        "FENCE_STATUS",
    ),
    3: ("RC_CHANNELS", "SERVO_OUTPUT_RAW"),
    6: ("GLOBAL_POSITION_INT", "LOCAL_POSITION_NED"),
    10: ("ATTITUDE",),
    11: ("VFR_HUD",),
    12: (
        "AHRS",
        "SYSTEM_TIME",
        "WIND",
        "EKF_STATUS_REPORT",
        "VIBRATION",
        "BATTERY_STATUS",
        "MOUNT_STATUS",
        "GIMBAL_DEVICE_ATTITUDE_STATUS",
        "POSITION_TARGET_GLOBAL_INT",
    ),
}
GROUP_PARAM = {
    1: "MAV1_RAW_SENS",
    2: "MAV1_EXT_STAT",
    3: "MAV1_RC_CHAN",
    6: "MAV1_POSITION",
    10: "MAV1_EXTRA1",
    11: "MAV1_EXTRA2",
    12: "MAV1_EXTRA3",
}
STREAMABLE = {name for names in STREAM_GROUPS.values() for name in names} | {"HEARTBEAT", "HOME_POSITION"}
MSG_ID_TO_NAME: dict[int, str] = {}
for _name in STREAMABLE | {"AUTOPILOT_VERSION", "MISSION_CURRENT", "EXTENDED_SYS_STATE"}:
    _cls = getattr(ML, f"MAVLink_{_name.lower()}_message", None)
    if _cls is not None:
        MSG_ID_TO_NAME[_cls.id] = _name


# What ArduPilot's AP_Mission keeps of a DO command (mavlink_int_to_mission_cmd), hence what a
# read-back returns: DO_MOUNT_CONTROL keeps pitch/roll/yaw (param1-3), not param7 (the mount
# mode); DO_CHANGE_SPEED keeps param1-3. Their x/y/z come back as 0.
_STORED_PARAMS = {178: 3, 205: 3}


def _as_stored(
    command: int, p1: float, p2: float, p3: float, p4: float, x: float, y: float, z: float
) -> tuple[float, float, float, float, float, float, float]:
    keep = _STORED_PARAMS.get(command)
    if keep is None:
        return p1, p2, p3, p4, x, y, z
    ps = [p1, p2, p3, p4]
    return (*(v if k < keep else 0.0 for k, v in enumerate(ps)), 0.0, 0.0, 0.0)  # type: ignore[return-value]


class LinkError(SimError):
    """A simulator port could not be opened."""


class _Sink:
    """A file-like the pymavlink packer writes to (we take the bytes ourselves)."""

    def write(self, data: bytes) -> None:  # pragma: no cover - unused, pack() is called directly
        pass


@dataclass(eq=False)
class Client:
    sock: socket.socket
    addr: Any
    parser: Any
    outbuf: bytearray = field(default_factory=bytearray)
    interval_s: dict[str, float] = field(default_factory=dict)  # sim seconds; absent/0 = off
    next_due: dict[str, float] = field(default_factory=dict)
    last_wall: dict[str, float] = field(default_factory=dict)
    param_queue: deque[int] = field(default_factory=deque)
    warned_mission_request: bool = False
    closed: bool = False


@dataclass
class _Upload:
    client: Client
    count: int
    items: list[MissionItem | None]
    expected: int = 0
    last_progress_wall: float = 0.0
    last_request_wall: float = 0.0
    src: tuple[int, int] = (255, 0)


class MavlinkServer:
    """Serves one vehicle on ``host:port``. Not thread-safe: driven by the fleet loop."""

    def __init__(
        self,
        vehicle: SimVehicle,
        port: int,
        clock: SimClock,
        *,
        host: str = "127.0.0.1",
        max_stream_wall_hz: float = 50.0,
        on_reboot: Callable[[], None] | None = None,
    ) -> None:
        self.vehicle = vehicle
        self.host = host
        self.port = port
        self.clock = clock
        self.max_stream_wall_hz = max_stream_wall_hz
        self.on_reboot = on_reboot
        self.clients: list[Client] = []
        self.listener: socket.socket | None = None
        self.selector: selectors.BaseSelector | None = None
        self.mav = ML.MAVLink(_Sink(), srcSystem=vehicle.sysid, srcComponent=1)
        self._upload: _Upload | None = None
        self._last_home_sent_s = -1e9
        self._msg_cache: dict[str, bytes] = {}
        self.stats = {"rx_msgs": 0, "rx_bad": 0, "tx_msgs": 0}

    # ------------------------------------------------------------------ sockets
    def listen(self, selector: selectors.BaseSelector) -> None:
        self.selector = selector
        if self.listener is not None:
            return
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((self.host, self.port))
        except OSError as exc:
            s.close()
            raise LinkError(f"cannot listen on tcp:{self.host}:{self.port}: {exc.strerror or exc}") from exc
        s.listen(8)
        s.setblocking(False)
        self.listener = s
        selector.register(s, selectors.EVENT_READ, ("accept", self, None))
        logger.info("[%s] MAVLink on tcp:%s:%d", self.vehicle.vehicle_id, self.host, self.port)

    def close_listener(self) -> None:
        if self.listener is not None:
            if self.selector is not None:
                with contextlib.suppress(KeyError, ValueError):
                    self.selector.unregister(self.listener)
            self.listener.close()
            self.listener = None

    def close(self) -> None:
        self.close_listener()
        for c in list(self.clients):
            self.drop(c)

    def on_accept(self) -> None:
        if self.listener is None:
            return
        try:
            sock, addr = self.listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return
        if self.vehicle.link_cut:
            sock.close()
            return
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        parser = ML.MAVLink(_Sink(), srcSystem=self.vehicle.sysid, srcComponent=1)
        parser.robust_parsing = True
        c = Client(sock, addr, parser)
        self._default_rates(c)
        self.clients.append(c)
        assert self.selector is not None
        self.selector.register(sock, selectors.EVENT_READ, ("conn", self, c))
        logger.info("[%s] client %s connected", self.vehicle.vehicle_id, addr)

    def drop(self, c: Client) -> None:
        if c.closed:
            return
        c.closed = True
        if self.selector is not None:
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(c.sock)
        with contextlib.suppress(OSError):
            c.sock.close()
        if c in self.clients:
            self.clients.remove(c)
        if self._upload is not None and self._upload.client is c:
            self._upload = None
        logger.info("[%s] client %s disconnected", self.vehicle.vehicle_id, c.addr)

    def on_readable(self, c: Client) -> None:
        try:
            data = c.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.drop(c)
            return
        if not data:
            self.drop(c)
            return
        try:
            msgs = c.parser.parse_buffer(data) or []
        except Exception as exc:  # pymavlink raises assorted errors on hostile input
            logger.debug("parser error from %s: %s", c.addr, exc)
            self.stats["rx_bad"] += 1
            c.parser = ML.MAVLink(_Sink(), srcSystem=self.vehicle.sysid, srcComponent=1)
            c.parser.robust_parsing = True
            msgs = []
        for m in msgs:
            if c.closed:
                return
            try:
                self.handle(c, m)
            except Exception:  # never let one bad message take the vehicle down
                logger.exception("[%s] error handling %s", self.vehicle.vehicle_id, m.get_type())
        # answer at once (the mission protocol is request/response)
        for cl in list(self.clients):
            if cl.outbuf:
                self._flush(cl)

    def on_writable(self, c: Client) -> None:
        self._flush(c)

    def _flush(self, c: Client) -> None:
        if c.closed or not c.outbuf:
            return
        try:
            n = c.sock.send(c.outbuf)
            del c.outbuf[:n]
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):
                self.drop(c)
                return
        if self.selector is None or c.closed:
            return
        want = selectors.EVENT_READ | (selectors.EVENT_WRITE if c.outbuf else 0)
        try:
            if self.selector.get_key(c.sock).events != want:
                self.selector.modify(c.sock, want, ("conn", self, c))
        except (KeyError, ValueError):
            pass

    # ------------------------------------------------------------------ sending
    def _pack(self, msg: Any) -> bytes:
        self.stats["tx_msgs"] += 1
        return bytes(msg.pack(self.mav))

    def send(self, c: Client, msg: Any) -> None:
        if c.closed:
            return
        c.outbuf += self._pack(msg)
        if len(c.outbuf) > MAX_OUTBUF_BYTES:
            logger.warning("[%s] client %s not reading; dropped", self.vehicle.vehicle_id, c.addr)
            self.drop(c)

    def broadcast(self, msg: Any) -> None:
        data = self._pack(msg)
        for c in list(self.clients):
            c.outbuf += data

    def statustext(self, severity: int, text: str, c: Client | None = None) -> None:
        raw = text.encode("ascii", "replace")
        if len(raw) <= 50:
            chunks = [raw]
            msg_id = 0
        else:
            chunks = [raw[i : i + 50] for i in range(0, len(raw), 50)]
            self._text_id = getattr(self, "_text_id", 0) % 65535 + 1
            msg_id = self._text_id
        for i, ch in enumerate(chunks):
            m = ML.MAVLink_statustext_message(severity, ch, msg_id, i)
            if c is None:
                self.broadcast(m)
            else:
                self.send(c, m)

    # ------------------------------------------------------------------ streams
    def _default_rates(self, c: Client) -> None:
        v = self.vehicle
        c.interval_s["HEARTBEAT"] = 1.0
        for group, pname in GROUP_PARAM.items():
            hz = v.params.get(pname, 0.0)
            for name in STREAM_GROUPS[group]:
                c.interval_s[name] = 1.0 / hz if hz > 0 else 0.0

    def _set_group_rate(self, c: Client, stream_id: int, hz: float) -> None:
        groups = list(STREAM_GROUPS) if stream_id == 0 else [stream_id] if stream_id in STREAM_GROUPS else []
        for g in groups:
            for name in STREAM_GROUPS[g]:
                c.interval_s[name] = 1.0 / hz if hz > 0 else 0.0
                c.next_due.pop(name, None)

    def tick(self, now_wall: float) -> None:
        """Send what is due: link state changes, queued texts, streams. Call after physics."""
        v = self.vehicle
        if v.want_link_cut is not None:
            cut = v.want_link_cut
            v.want_link_cut = None
            if cut:
                logger.info("[%s] link cut", v.vehicle_id)
                self.close()
            elif self.listener is None and self.selector is not None:
                try:
                    self.listen(self.selector)
                    logger.info("[%s] link restored", v.vehicle_id)
                except LinkError as exc:
                    logger.warning("[%s] could not restore link: %s", v.vehicle_id, exc)
        if v.link_cut:
            # while cut, nothing goes out; queued texts are lost as they would be on a dead radio
            v.outbox.statustexts.clear()
            v.outbox.reached.clear()
            return
        if not self.clients:
            v.outbox.statustexts.clear()
            v.outbox.reached.clear()
            v.outbox.home_changed = False
            return
        ob = v.outbox
        while ob.statustexts:
            sev, text = ob.statustexts.popleft()
            self.statustext(sev, text)
        while ob.reached:
            self.broadcast(ML.MAVLink_mission_item_reached_message(ob.reached.popleft()))
        t = v.sim_time_s
        if ob.home_changed or (v.home_set and t - self._last_home_sent_s > 5.0):
            ob.home_changed = False
            if v.home_set:
                self._last_home_sent_s = t
                self.broadcast(self._build("HOME_POSITION"))
        self._msg_cache.clear()
        # the wall-rate cap tolerates tick jitter (a tick is 20 ms; a message is sent at most once a tick)
        min_wall = 0.75 / self.max_stream_wall_hz if self.max_stream_wall_hz > 0 else 0.0
        for c in list(self.clients):
            self._upload_retry(c, now_wall)
            if c.param_queue:
                for _ in range(min(len(c.param_queue), 60)):
                    self._send_param(c, c.param_queue.popleft())
            for name, iv in c.interval_s.items():
                if iv <= 0:
                    continue
                due = c.next_due.get(name, 0.0)
                if t + 1e-9 < due or now_wall - c.last_wall.get(name, 0.0) < min_wall:
                    continue
                c.next_due[name] = max(due + iv, t) if t - due < iv else t + iv
                c.last_wall[name] = now_wall
                data = self._msg_cache.get(name)
                if data is None:
                    msg = self._build(name)
                    if msg is None:
                        continue
                    data = self._pack(msg)
                    self._msg_cache[name] = data
                c.outbuf += data
            if len(c.outbuf) > MAX_OUTBUF_BYTES:
                self.drop(c)
                continue
            self._flush(c)

    # ------------------------------------------------------------------ message builders
    def _heartbeat(self) -> Any:
        v = self.vehicle
        base = ML.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED | ML.MAV_MODE_FLAG_STABILIZE_ENABLED
        if v.mode in (Mode.AUTO, Mode.GUIDED, Mode.LOITER, Mode.RTL, Mode.LAND, Mode.BRAKE, Mode.SMART_RTL):
            base |= ML.MAV_MODE_FLAG_GUIDED_ENABLED
        if v.armed:
            base |= ML.MAV_MODE_FLAG_SAFETY_ARMED
        if v.sim_time_s < v.cfg.ekf_ready_s:
            status = ML.MAV_STATE_STANDBY if v.sim_time_s > 0.5 else ML.MAV_STATE_BOOT
        elif v.batt_failsafe or v.gcs_failsafe or v.ekf_failsafe:
            status = ML.MAV_STATE_CRITICAL
        else:
            status = ML.MAV_STATE_ACTIVE if v.armed else ML.MAV_STATE_STANDBY
        return ML.MAVLink_heartbeat_message(
            ML.MAV_TYPE_QUADROTOR, ML.MAV_AUTOPILOT_ARDUPILOTMEGA, base, int(v.mode), status, 3
        )

    def _build(self, name: str) -> Any:
        v = self.vehicle
        t = v.sim_time_s
        tms = int(t * 1000) & 0xFFFFFFFF
        tus = int(t * 1e6)
        if name == "HEARTBEAT":
            return self._heartbeat()
        e, n, u = v.estimated_local()
        lat, lon = v.local_to_geo(e, n)
        alt_amsl = u + v.origin_alt_m
        rel = alt_amsl - v.home_alt_amsl
        ve, vn, vu = v.vel
        gs = math.hypot(ve, vn)
        hdg = v.yaw_deg % 360.0
        if name == "GLOBAL_POSITION_INT":
            return ML.MAVLink_global_position_int_message(
                tms,
                int(lat * 1e7),
                int(lon * 1e7),
                int(alt_amsl * 1000),
                int(rel * 1000),
                int(vn * 100),
                int(ve * 100),
                int(-vu * 100),
                int(hdg * 100) % 36000,
            )
        if name == "LOCAL_POSITION_NED":
            return ML.MAVLink_local_position_ned_message(tms, n, e, -u, vn, ve, -vu)
        if name == "GPS_RAW_INT":
            fix = v.gps_fix_type
            ge, gn, gu = v.gps_local()
            glat, glon = v.local_to_geo(ge, gn)
            ok = fix >= 3
            cog = int((math.degrees(math.atan2(ve, vn)) % 360) * 100) if gs > 0.2 else 0
            return ML.MAVLink_gps_raw_int_message(
                tus,
                fix,
                int(glat * 1e7) if ok else 0,
                int(glon * 1e7) if ok else 0,
                int((gu + v.origin_alt_m) * 1000) if ok else 0,
                121 if ok else 9999,
                200 if ok else 9999,
                int(gs * 100),
                cog,
                v.satellites,
                0,
                round(v.gnss_accuracy_m * 1000),
                500,
                200,
                0,
                0,
            )
        if name == "ATTITUDE":
            return ML.MAVLink_attitude_message(
                tms,
                math.radians(v.roll_deg),
                math.radians(v.pitch_deg),
                math.radians(_wrap_pi_deg(hdg)),
                0.0,
                0.0,
                math.radians(v.yaw_rate_dps),
            )
        if name == "VFR_HUD":
            thr = 0 if not v.armed else (10 if v.landed else int(min(100, 38 + 10 * max(vu, 0))))
            we, wn, _ = v.wind_vector()
            air = math.hypot(ve - we, vn - wn)
            return ML.MAVLink_vfr_hud_message(air, gs, int(hdg) % 360, thr, alt_amsl, vu)
        if name == "SYS_STATUS":
            present = 0x0160FC2F | ML.MAV_SYS_STATUS_SENSOR_BATTERY | ML.MAV_SYS_STATUS_GEOFENCE
            enabled = present if v.params["FENCE_ENABLE"] else present & ~ML.MAV_SYS_STATUS_GEOFENCE
            health = present
            if v.gps_fix_type < 3:
                health &= ~ML.MAV_SYS_STATUS_SENSOR_GPS
            if v.batt_failsafe:
                health &= ~ML.MAV_SYS_STATUS_SENSOR_BATTERY
            if v.fence_breached:
                health &= ~ML.MAV_SYS_STATUS_GEOFENCE
            if v.prearm_failure() is None:
                present |= ML.MAV_SYS_STATUS_PREARM_CHECK
                enabled |= ML.MAV_SYS_STATUS_PREARM_CHECK
                health |= ML.MAV_SYS_STATUS_PREARM_CHECK
            b = v.battery
            return ML.MAVLink_sys_status_message(
                present,
                enabled,
                health,
                200,
                int(b.voltage_v * 1000),
                int(b.current_a * 100),
                round(b.soc * 100),
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
            )
        if name == "BATTERY_STATUS":
            b = v.battery
            cells = [int(b.voltage_v / b.cells * 1000)] * b.cells + [65535] * (10 - b.cells)
            return ML.MAVLink_battery_status_message(
                0,
                ML.MAV_BATTERY_FUNCTION_ALL,
                ML.MAV_BATTERY_TYPE_LIPO,
                32767,
                cells,
                int(b.current_a * 100),
                int(b.consumed_mah),
                -1,
                round(b.soc * 100),
                0,
                0,
                [0, 0, 0, 0],
                0,
                0,
            )
        if name == "HOME_POSITION":
            hl = v.home_location()
            if hl is None:
                return None
            return ML.MAVLink_home_position_message(
                int(hl[0] * 1e7),
                int(hl[1] * 1e7),
                int(hl[2] * 1000),
                v.home_n,
                v.home_e,
                -(hl[2] - v.origin_alt_m),
                [1.0, 0.0, 0.0, 0.0],
                0.0,
                0.0,
                0.0,
                tus,
            )
        if name == "EKF_STATUS_REPORT":
            good = v.ekf_position_ok
            return ML.MAVLink_ekf_status_report_message(
                v.ekf_flags(), 0.02 if good else 0.9, 0.03 if good else 1.2, 0.02, 0.03, 0.0, 0.0
            )
        if name == "MISSION_CURRENT":
            total = max(len(v.mission) - 1, 0)
            state = 1 if total == 0 else (5 if v.mission_done else 3 if v.mode == Mode.AUTO else 4)
            return ML.MAVLink_mission_current_message(v.mission_current, total, state, 0)
        if name == "MOUNT_STATUS":
            return ML.MAVLink_mount_status_message(
                0, 0, int(v.gimbal_pitch_deg * 100), 0, int(v.gimbal_yaw_deg * 100), 2
            )
        if name == "GIMBAL_DEVICE_ATTITUDE_STATUS":
            q = _euler_to_quat(0.0, math.radians(v.gimbal_pitch_deg), math.radians(v.gimbal_yaw_deg))
            return ML.MAVLink_gimbal_device_attitude_status_message(
                0, 0, tms, 32 | 64 * 0, q, 0.0, 0.0, 0.0, 0, 0.0, 0.0, 1
            )
        if name == "NAV_CONTROLLER_OUTPUT":
            tgt = v._target
            if tgt is not None:
                de, dn = tgt[0] - v.pos[0], tgt[1] - v.pos[1]
                brg = int(math.degrees(math.atan2(de, dn))) % 360
                dist = int(min(math.hypot(de, dn), 65535))
                alt_err = tgt[2] - v.pos[2]
            else:
                brg, dist, alt_err = int(hdg), 0, 0.0
            return ML.MAVLink_nav_controller_output_message(
                v.roll_deg,
                v.pitch_deg,
                brg if brg <= 180 else brg - 360,
                brg if brg <= 180 else brg - 360,
                dist,
                alt_err,
                0.0,
                0.0,
            )
        if name == "FENCE_STATUS":
            return ML.MAVLink_fence_status_message(
                1 if v.fence_breached else 0,
                v.fence_breach_count & 0xFFFF,
                3 if v.fence_breached & 1 else 2 if v.fence_breached else 0,
                tms,
                0,
            )
        if name == "WIND":
            we, wn, wu = v.wind_vector()
            spd = math.hypot(we, wn)
            direction = (math.degrees(math.atan2(-we, -wn))) % 360  # where it comes from
            return ML.MAVLink_wind_message(direction, spd, wu)
        if name == "SYSTEM_TIME":
            return ML.MAVLink_system_time_message(int((time.time()) * 1e6), tms)
        if name == "POWER_STATUS":
            return ML.MAVLink_power_status_message(5000, 5000, 0)
        if name == "MEMINFO":
            return ML.MAVLink_meminfo_message(0, 65535, 131072)
        if name == "AHRS":
            return ML.MAVLink_ahrs_message(0.0, 0.0, 0.0, 0.0, 0.0, 0.01, 0.01)
        if name == "VIBRATION":
            return ML.MAVLink_vibration_message(tus, 0.5, 0.5, 0.5, 0, 0, 0)
        if name == "RAW_IMU":
            return ML.MAVLink_raw_imu_message(tus, 0, 0, -1000, 0, 0, 0, 200, 0, 400, 0, 0)
        if name == "SCALED_PRESSURE":
            press = 1013.25 * (1 - 2.25577e-5 * alt_amsl) ** 5.25588
            return ML.MAVLink_scaled_pressure_message(tms, press, 0.0, 2000, 0)
        if name == "RC_CHANNELS":
            chans = [1500, 1500, 1000 if not v.armed else 1500, 1500] + [1000] * 14
            return ML.MAVLink_rc_channels_message(tms, 8, *chans, 255)
        if name == "SERVO_OUTPUT_RAW":
            pwm = 1000 if not v.armed else (1100 if v.landed else 1550)
            return ML.MAVLink_servo_output_raw_message(tus & 0xFFFFFFFF, 0, *([pwm] * 4 + [0] * 12))
        if name == "POSITION_TARGET_GLOBAL_INT":
            tgt = v._target
            if tgt is None or v.mode not in (Mode.GUIDED, Mode.AUTO):
                return None
            tlat, tlon = v.local_to_geo(tgt[0], tgt[1])
            return ML.MAVLink_position_target_global_int_message(
                tms,
                ML.MAV_FRAME_GLOBAL_INT,
                0xFF8,
                int(tlat * 1e7),
                int(tlon * 1e7),
                tgt[2] + v.origin_alt_m,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
            )
        if name == "EXTENDED_SYS_STATE":
            return ML.MAVLink_extended_sys_state_message(0, 1 if v.landed else 2)
        if name == "AUTOPILOT_VERSION":
            caps = (
                ML.MAV_PROTOCOL_CAPABILITY_MISSION_FLOAT
                | ML.MAV_PROTOCOL_CAPABILITY_PARAM_FLOAT
                | ML.MAV_PROTOCOL_CAPABILITY_MISSION_INT
                | ML.MAV_PROTOCOL_CAPABILITY_COMMAND_INT
                | ML.MAV_PROTOCOL_CAPABILITY_SET_POSITION_TARGET_GLOBAL_INT
                | ML.MAV_PROTOCOL_CAPABILITY_SET_POSITION_TARGET_LOCAL_NED
                | ML.MAV_PROTOCOL_CAPABILITY_MAVLINK2
                | ML.MAV_PROTOCOL_CAPABILITY_MISSION_FENCE
                | ML.MAV_PROTOCOL_CAPABILITY_MISSION_RALLY
            )
            version = (4 << 24) | (7 << 16) | (0 << 8) | 0  # 4.7.0-dev (FIRMWARE_VERSION_TYPE_DEV=0)
            return ML.MAVLink_autopilot_version_message(
                caps,
                version,
                0,
                0,
                0,
                b"shorewat"[:8],
                b"\0" * 8,
                b"\0" * 8,
                0x1209,
                0x5740 + 0,
                v.sysid,
                [0] * 18,
            )
        return None

    # ------------------------------------------------------------------ dispatch
    def handle(self, c: Client, m: Any) -> None:
        typ = m.get_type()
        if typ == "BAD_DATA":
            self.stats["rx_bad"] += 1
            return
        self.stats["rx_msgs"] += 1
        v = self.vehicle
        ts = getattr(m, "target_system", None)
        if ts is not None and ts not in (0, v.sysid):
            return
        fn = getattr(self, f"_on_{typ.lower()}", None)
        if fn is None:
            return  # ArduPilot ignores messages it does not handle
        with v.lock:
            fn(c, m)

    def _on_heartbeat(self, c: Client, m: Any) -> None:
        v = self.vehicle
        if m.get_srcSystem() == int(v.params["MAV_GCS_SYSID"]):
            v.last_gcs_heartbeat_s = v.sim_time_s

    # params
    def _send_param(self, c: Client, idx: int) -> None:
        v = self.vehicle
        if not (0 <= idx < len(v.param_names)):
            return
        name = v.param_names[idx]
        self.send(
            c,
            ML.MAVLink_param_value_message(
                name.encode(), v.params[name], v.param_types[name], len(v.param_names), idx
            ),
        )

    def _on_param_request_list(self, c: Client, m: Any) -> None:
        c.param_queue = deque(range(len(self.vehicle.param_names)))

    def _on_param_request_read(self, c: Client, m: Any) -> None:
        v = self.vehicle
        if m.param_index >= 0:
            self._send_param(c, m.param_index)
            return
        name = _param_id(m.param_id)
        if name in v.params:
            self._send_param(c, v.param_names.index(name))

    def _on_param_set(self, c: Client, m: Any) -> None:
        v = self.vehicle
        name = _param_id(m.param_id)
        if name not in v.params:
            return
        if not v._set_param(name, float(m.param_value)):
            return
        idx = v.param_names.index(name)
        # ArduPilot broadcasts the new value to every GCS
        for cl in list(self.clients):
            self._send_param(cl, idx)
        if name.startswith("MAV1_"):
            for g, pname in GROUP_PARAM.items():
                if pname == name:
                    for cl in self.clients:
                        self._set_group_rate(cl, g, v.params[name])

    # streams
    def _on_request_data_stream(self, c: Client, m: Any) -> None:
        rate = m.req_message_rate if m.start_stop else 0
        self._set_group_rate(c, m.req_stream_id, float(min(rate, 50)))

    def _on_set_mode(self, c: Client, m: Any) -> None:
        ok = False
        if m.base_mode & ML.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED:
            ok, _ = self.vehicle.set_mode(m.custom_mode)
        # ArduPilot acks SET_MODE with the message id (11) in the command field
        self.send(
            c,
            ML.MAVLink_command_ack_message(
                11,
                MAV_RESULT_ACCEPTED if ok else MAV_RESULT_FAILED,
                0,
                0,
                m.get_srcSystem(),
                m.get_srcComponent(),
            ),
        )

    def _on_timesync(self, c: Client, m: Any) -> None:
        if m.tc1 == 0:
            self.send(c, ML.MAVLink_timesync_message(int(self.vehicle.sim_time_s * 1e9), m.ts1))

    # commands
    def _ack(self, c: Client, m: Any, command: int, result: int) -> None:
        self.send(
            c, ML.MAVLink_command_ack_message(command, result, 0, 0, m.get_srcSystem(), m.get_srcComponent())
        )

    def _on_command_long(self, c: Client, m: Any) -> None:
        params = [m.param1, m.param2, m.param3, m.param4, m.param5, m.param6, m.param7]
        res = self._command(c, m.command, params, frame=None)
        if res is not None:
            self._ack(c, m, m.command, res)

    def _on_command_int(self, c: Client, m: Any) -> None:
        x, y = m.x, m.y
        if m.frame in GLOBAL_FRAMES:
            px, py = x / 1e7, y / 1e7
        else:
            px, py = float(x), float(y)
        params = [m.param1, m.param2, m.param3, m.param4, px, py, m.z]
        res = self._command(c, m.command, params, frame=m.frame)
        if res is not None:
            self._ack(c, m, m.command, res)

    def _command(self, c: Client, cmd: int, p: list[float], frame: int | None) -> int | None:
        v = self.vehicle
        if cmd in (
            ML.MAV_CMD_REQUEST_MESSAGE,
            ML.MAV_CMD_SET_MESSAGE_INTERVAL,
            ML.MAV_CMD_GET_MESSAGE_INTERVAL,
        ):
            return self._command_messages(c, cmd, p)
        if any(math.isnan(x) for x in p[:4]):
            return MAV_RESULT_FAILED
        if cmd == ML.MAV_CMD_COMPONENT_ARM_DISARM:
            if p[0] == 1:
                ok, _ = v.arm(force=int(p[1]) == 2989)
                return MAV_RESULT_ACCEPTED if ok else MAV_RESULT_FAILED
            if p[0] == 0:
                ok = v.disarm("GCS", force=int(p[1]) == 21196)
                if not ok:
                    v.say("Disarm: not landed", 3)
                return MAV_RESULT_ACCEPTED if ok else MAV_RESULT_FAILED
            return MAV_RESULT_DENIED
        if cmd == ML.MAV_CMD_NAV_TAKEOFF:
            if v.mode == Mode.GUIDED and not v.armed:
                return MAV_RESULT_FAILED
            return MAV_RESULT_ACCEPTED if v.takeoff(p[6]) else MAV_RESULT_FAILED
        if cmd == ML.MAV_CMD_DO_SET_MODE:
            if not int(p[0]) & ML.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED:
                return MAV_RESULT_UNSUPPORTED
            try:
                Mode(int(p[1]))
            except ValueError:
                return MAV_RESULT_FAILED
            ok, _ = v.set_mode(int(p[1]))
            return MAV_RESULT_ACCEPTED if ok else MAV_RESULT_FAILED
        if cmd == ML.MAV_CMD_NAV_RETURN_TO_LAUNCH:
            ok, _ = v.set_mode(Mode.RTL)
            return MAV_RESULT_ACCEPTED if ok else MAV_RESULT_FAILED
        if cmd == ML.MAV_CMD_NAV_LAND:
            ok, _ = v.set_mode(Mode.LAND)
            return MAV_RESULT_ACCEPTED if ok else MAV_RESULT_FAILED
        if cmd == ML.MAV_CMD_DO_CHANGE_SPEED:
            return MAV_RESULT_ACCEPTED if v.set_speed(p[1]) else MAV_RESULT_FAILED
        if cmd == ML.MAV_CMD_DO_SET_HOME:
            if p[0] == 1:
                ok = v.set_home_here()
            else:
                if not (-90 <= p[4] <= 90 and -180 <= p[5] <= 180) or math.isnan(p[6]):
                    return MAV_RESULT_FAILED
                ok = v.set_home(p[4], p[5], p[6])
            return MAV_RESULT_ACCEPTED if ok else MAV_RESULT_FAILED
        if cmd == ML.MAV_CMD_DO_REPOSITION:
            if v.mode != Mode.GUIDED:
                # ArduCopter switches to GUIDED for a reposition if it can
                ok, _ = v.set_mode(Mode.GUIDED)
                if not ok:
                    return MAV_RESULT_FAILED
            if p[0] > 0:
                v.set_speed(p[0])
            fr = frame if frame is not None else ML.MAV_FRAME_GLOBAL
            return MAV_RESULT_ACCEPTED if v.guided_goto(p[4], p[5], p[6], fr) else MAV_RESULT_FAILED
        if cmd in (ML.MAV_CMD_DO_SET_ROI, ML.MAV_CMD_DO_SET_ROI_LOCATION):
            alt = p[6]
            if frame is None or frame not in AMSL_FRAMES:
                alt = alt + v.home_alt_amsl
            return MAV_RESULT_ACCEPTED if v.set_roi(p[4], p[5], alt) else MAV_RESULT_FAILED
        if cmd == ML.MAV_CMD_DO_SET_ROI_NONE:
            v.set_roi(None, None)
            return MAV_RESULT_ACCEPTED
        if cmd == ML.MAV_CMD_DO_MOUNT_CONTROL:
            return MAV_RESULT_ACCEPTED if v.set_gimbal(p[0], p[2]) else MAV_RESULT_FAILED
        if cmd == ML.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW:
            flags = int(p[4]) if not math.isnan(p[4]) else 0
            ok = v.set_gimbal(p[0], p[1], earth_frame_yaw=bool(flags & ML.GIMBAL_MANAGER_FLAGS_YAW_LOCK))
            return MAV_RESULT_ACCEPTED if ok else MAV_RESULT_FAILED
        if cmd in (ML.MAV_CMD_DO_MOUNT_CONFIGURE, ML.MAV_CMD_DO_GIMBAL_MANAGER_CONFIGURE):
            return MAV_RESULT_ACCEPTED
        if cmd == ML.MAV_CMD_CONDITION_YAW:
            if v.mode not in (Mode.GUIDED, Mode.AUTO) or not v.armed:
                return MAV_RESULT_FAILED
            if not (0 <= p[0] <= 360 or p[3]):
                return MAV_RESULT_DENIED
            return MAV_RESULT_ACCEPTED if v.set_yaw(p[0], bool(p[3]), int(p[2]) or 1) else MAV_RESULT_FAILED
        if cmd == ML.MAV_CMD_MISSION_START:
            if not v.armed:
                return MAV_RESULT_FAILED
            first = int(p[0])
            if first > 0:
                v.mission_current = min(first, len(v.mission) - 1)
            ok, _ = v.set_mode(Mode.AUTO)
            return MAV_RESULT_ACCEPTED if ok else MAV_RESULT_FAILED
        if cmd == ML.MAV_CMD_DO_SET_MISSION_CURRENT:
            return MAV_RESULT_ACCEPTED if v.set_mission_current(int(p[0])) else MAV_RESULT_FAILED
        if cmd == ML.MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES:
            self.send(c, self._build("AUTOPILOT_VERSION"))
            return MAV_RESULT_ACCEPTED
        if cmd == ML.MAV_CMD_GET_HOME_POSITION:
            msg = self._build("HOME_POSITION")
            if msg is None:
                return MAV_RESULT_FAILED
            self.send(c, msg)
            return MAV_RESULT_ACCEPTED
        if cmd == ML.MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN:
            if int(p[0]) not in (1, 3):
                return MAV_RESULT_UNSUPPORTED
            if v.armed:
                return MAV_RESULT_FAILED
            self._ack_now(c, cmd, MAV_RESULT_ACCEPTED)
            v.reboot()
            self.mav.srcSystem = v.sysid
            self._last_home_sent_s = -1e9
            for cl in self.clients:
                cl.next_due.clear()
            if self.on_reboot is not None:
                self.on_reboot()
            return None
        if cmd == ML.MAV_CMD_DO_FENCE_ENABLE:
            if int(p[0]) not in (0, 1):
                return MAV_RESULT_DENIED
            v._set_param("FENCE_ENABLE", float(int(p[0])))
            return MAV_RESULT_ACCEPTED
        if cmd == ML.MAV_CMD_DO_JUMP:
            return MAV_RESULT_UNSUPPORTED
        return MAV_RESULT_UNSUPPORTED

    def _ack_now(self, c: Client, cmd: int, result: int) -> None:
        self.send(c, ML.MAVLink_command_ack_message(cmd, result, 0, 0, 255, 0))
        self._flush(c)

    def _command_messages(self, c: Client, cmd: int, p: list[float]) -> int:
        if any(math.isnan(x) for x in p[:2]):
            return MAV_RESULT_FAILED
        msg_id = int(p[0])
        name = MSG_ID_TO_NAME.get(msg_id)
        if cmd == ML.MAV_CMD_REQUEST_MESSAGE:
            if name is None:
                return MAV_RESULT_UNSUPPORTED
            msg = self._build(name)
            if msg is None:
                return MAV_RESULT_FAILED
            self.send(c, msg)
            return MAV_RESULT_ACCEPTED
        if cmd == ML.MAV_CMD_GET_MESSAGE_INTERVAL:
            if name is None:
                self.send(c, ML.MAVLink_message_interval_message(msg_id, 0))
                return MAV_RESULT_ACCEPTED
            iv = c.interval_s.get(name, 0.0)
            self.send(c, ML.MAVLink_message_interval_message(msg_id, int(iv * 1e6) if iv > 0 else -1))
            return MAV_RESULT_ACCEPTED
        # SET_MESSAGE_INTERVAL: param2 = interval us; 0 = default, -1 = disable
        if name is None or name not in STREAMABLE:
            return MAV_RESULT_UNSUPPORTED
        us = p[1]
        if us == -1:
            c.interval_s[name] = 0.0
        elif us == 0:
            dflt = Client(c.sock, c.addr, None)
            self._default_rates(dflt)
            c.interval_s[name] = dflt.interval_s.get(name, 0.0)
        elif us < 0:
            return MAV_RESULT_DENIED
        else:
            c.interval_s[name] = max(us / 1e6, 0.001)
        c.next_due.pop(name, None)
        return MAV_RESULT_ACCEPTED

    # guided targets
    def _on_set_position_target_global_int(self, c: Client, m: Any) -> None:
        v = self.vehicle
        mask = m.type_mask
        pos_ignored = mask & 0b111 == 0b111
        vel_ignored = mask & 0b111000 == 0b111000
        if not pos_ignored:
            v.guided_goto(m.lat_int / 1e7, m.lon_int / 1e7, m.alt, m.coordinate_frame)
        elif not vel_ignored:
            v.guided_velocity(m.vy, m.vx, -m.vz)
        if not mask & 0x400 and not math.isnan(m.yaw):
            v.set_yaw(math.degrees(m.yaw))

    def _on_set_position_target_local_ned(self, c: Client, m: Any) -> None:
        v = self.vehicle
        mask = m.type_mask
        pos_ignored = mask & 0b111 == 0b111
        vel_ignored = mask & 0b111000 == 0b111000
        fr = m.coordinate_frame
        h = math.radians(v.yaw_deg)
        if fr in (ML.MAV_FRAME_BODY_NED, ML.MAV_FRAME_BODY_OFFSET_NED, ML.MAV_FRAME_BODY_FRD):

            def rot(fx: float, fy: float) -> tuple[float, float]:
                return fx * math.sin(h) + fy * math.cos(h), fx * math.cos(h) - fy * math.sin(h)
        else:

            def rot(fx: float, fy: float) -> tuple[float, float]:
                return fy, fx

        if not pos_ignored:
            de, dn = rot(m.x, m.y)
            if fr in (ML.MAV_FRAME_LOCAL_OFFSET_NED, ML.MAV_FRAME_BODY_OFFSET_NED, ML.MAV_FRAME_BODY_NED):
                v.guided_goto_local(v.pos[0] + de, v.pos[1] + dn, v.pos[2] - m.z)
            else:
                v.guided_goto_local(de, dn, -m.z)
        elif not vel_ignored:
            ve, vn = rot(m.vx, m.vy)
            v.guided_velocity(ve, vn, -m.vz)

    # mission protocol
    def _mission_ack(self, c: Client, m: Any, result: int, mission_type: int = 0) -> None:
        self.send(
            c, ML.MAVLink_mission_ack_message(m.get_srcSystem(), m.get_srcComponent(), result, mission_type)
        )

    def _on_mission_request_list(self, c: Client, m: Any) -> None:
        mt = getattr(m, "mission_type", 0)
        count = len(self.vehicle.mission) if mt == 0 else 0
        self.send(c, ML.MAVLink_mission_count_message(m.get_srcSystem(), m.get_srcComponent(), count, mt))

    def _on_mission_request(self, c: Client, m: Any) -> None:
        if getattr(m, "mission_type", 0) == 0 and not c.warned_mission_request:
            c.warned_mission_request = True
            self.statustext(6, "got MISSION_REQUEST; use MISSION_REQUEST_INT!", c)
        self._send_item(c, m, as_int=False)

    def _on_mission_request_int(self, c: Client, m: Any) -> None:
        self._send_item(c, m, as_int=True)

    def _send_item(self, c: Client, m: Any, as_int: bool) -> None:
        v = self.vehicle
        mt = getattr(m, "mission_type", 0)
        if mt != 0 or not (0 <= m.seq < len(v.mission)):
            self._mission_ack(c, m, MISSION_INVALID_SEQUENCE, mt)
            return
        it = v.mission[m.seq]
        cur = 1 if m.seq == v.mission_current else 0
        ts, tc = m.get_srcSystem(), m.get_srcComponent()
        if as_int:
            glob = it.frame in GLOBAL_FRAMES
            x: float = round(it.x * 1e7) if glob else int(it.x)
            y: float = round(it.y * 1e7) if glob else int(it.y)
            msg_cls: Any = ML.MAVLink_mission_item_int_message
        else:
            x, y, msg_cls = it.x, it.y, ML.MAVLink_mission_item_message
        self.send(
            c,
            msg_cls(
                ts,
                tc,
                it.seq,
                it.frame,
                it.command,
                cur,
                it.autocontinue,
                it.param1,
                it.param2,
                it.param3,
                it.param4,
                x,
                y,
                it.z,
                0,
            ),
        )

    def _on_mission_clear_all(self, c: Client, m: Any) -> None:
        mt = getattr(m, "mission_type", 0)
        if mt == 0:
            if self._upload is not None:
                self._upload = None
            self.vehicle.clear_mission()
        self._mission_ack(c, m, MISSION_ACCEPTED, mt)

    def _on_mission_count(self, c: Client, m: Any) -> None:
        mt = getattr(m, "mission_type", 0)
        if mt != 0:
            # fences/rally points are not simulated (the circle/alt fence comes from FENCE_* params)
            self._mission_ack(c, m, MISSION_UNSUPPORTED, mt)
            return
        if m.count > MAX_MISSION_ITEMS:
            self._mission_ack(c, m, MISSION_NO_SPACE, mt)
            return
        if m.count == 0:
            self.vehicle.clear_mission()
            self._mission_ack(c, m, MISSION_ACCEPTED, mt)
            return
        if self._upload is not None and self._upload.client is not c:
            # ArduPilot refuses a second concurrent upload
            self._mission_ack(c, m, MISSION_DENIED_BUSY, mt)
            return
        now = time.monotonic()
        self._upload = _Upload(
            c, m.count, [None] * m.count, 0, now, now, (m.get_srcSystem(), m.get_srcComponent())
        )
        self._request_next(self._upload)

    def _request_next(self, up: _Upload) -> None:
        up.last_request_wall = time.monotonic()
        self.send(up.client, ML.MAVLink_mission_request_message(up.src[0], up.src[1], up.expected, 0))

    def _upload_retry(self, c: Client, now_wall: float) -> None:
        up = self._upload
        if up is None or up.client is not c:
            return
        if now_wall - up.last_progress_wall > UPLOAD_GIVEUP_WALL_S:
            self._upload = None
            self.send(c, ML.MAVLink_mission_ack_message(up.src[0], up.src[1], MISSION_OPERATION_CANCELLED, 0))
            self.statustext(4, "Mission upload timeout", c)
            return
        if now_wall - up.last_request_wall > UPLOAD_RETRY_WALL_S:
            self._request_next(up)

    def _on_mission_item(self, c: Client, m: Any) -> None:
        self._receive_item(c, m, lat=m.x, lon=m.y)

    def _on_mission_item_int(self, c: Client, m: Any) -> None:
        glob = m.frame in GLOBAL_FRAMES
        self._receive_item(c, m, lat=m.x / 1e7 if glob else float(m.x), lon=m.y / 1e7 if glob else float(m.y))

    def _receive_item(self, c: Client, m: Any, lat: float, lon: float) -> None:
        v = self.vehicle
        mt = getattr(m, "mission_type", 0)
        if m.current in (2, 3) and mt == 0:
            self._guided_item(c, m, lat, lon)
            return
        up = self._upload
        if up is None or up.client is not c or mt != 0:
            self._mission_ack(c, m, MISSION_ERROR, mt)
            return
        if m.seq != up.expected:
            # a retried or early item: ask again for the one we need
            if m.seq < up.expected:
                self._request_next(up)
            else:
                self._request_next(up)
            return
        err = self._validate_item(m, lat, lon)
        if err is not None:
            self._upload = None
            self._mission_ack(c, m, err, mt)
            return
        p1, p2, p3, p4, x, y, z = _as_stored(m.command, m.param1, m.param2, m.param3, m.param4, lat, lon, m.z)
        up.items[m.seq] = MissionItem(m.seq, m.frame, m.command, 0, m.autocontinue, p1, p2, p3, p4, x, y, z)
        up.expected += 1
        up.last_progress_wall = time.monotonic()
        if up.expected >= up.count:
            self._upload = None
            v.set_mission([it for it in up.items if it is not None])
            self._mission_ack(c, m, MISSION_ACCEPTED, mt)
        else:
            self._request_next(up)

    @staticmethod
    def _validate_item(m: Any, lat: float, lon: float) -> int | None:
        if m.seq == 0:
            return None  # home: ArduPilot keeps its own
        if m.frame not in KNOWN_FRAMES:
            return MISSION_UNSUPPORTED_FRAME
        if m.command not in KNOWN_MISSION_COMMANDS:
            return MISSION_UNSUPPORTED
        for i, val in enumerate((m.param1, m.param2, m.param3, m.param4)):
            if math.isinf(val):
                return 6 + i  # MAV_MISSION_INVALID_PARAM1..4
        if m.frame in GLOBAL_FRAMES and (m.command in NAV_COMMANDS or m.command in (195, 201)):
            if math.isnan(lat) or not -90 <= lat <= 90:
                return MISSION_INVALID_PARAM5_X
            if math.isnan(lon) or not -180 <= lon <= 180:
                return MISSION_INVALID_PARAM6_Y
        if math.isnan(m.z) or math.isinf(m.z) or abs(m.z) > 100_000:
            return 12  # MAV_MISSION_INVALID_PARAM7
        return None

    def _guided_item(self, c: Client, m: Any, lat: float, lon: float) -> None:
        v = self.vehicle
        if v.mode != Mode.GUIDED or not v.armed:
            self._mission_ack(c, m, MISSION_ERROR)
            return
        if m.current == 3:  # altitude change only
            keep = v._target or v.pos
            ok = v.guided_goto_local(keep[0], keep[1], v.alt_to_u(m.frame, m.z))
        else:
            ok = v.guided_goto(lat, lon, m.z, m.frame)
        self._mission_ack(c, m, MISSION_ACCEPTED if ok else MISSION_ERROR)

    def _on_mission_set_current(self, c: Client, m: Any) -> None:
        if self.vehicle.set_mission_current(m.seq):
            self.broadcast(self._build("MISSION_CURRENT"))
        else:
            self._mission_ack(c, m, MISSION_INVALID_SEQUENCE)

    def _on_mission_write_partial_list(self, c: Client, m: Any) -> None:
        self._mission_ack(c, m, MISSION_UNSUPPORTED, getattr(m, "mission_type", 0))

    def _on_mission_ack(self, c: Client, m: Any) -> None:
        pass  # the end of a download

    # gimbal messages
    def _on_gimbal_manager_set_pitchyaw(self, c: Client, m: Any) -> None:
        if math.isnan(m.pitch) or math.isnan(m.yaw):
            return
        self.vehicle.set_gimbal(
            math.degrees(m.pitch),
            math.degrees(m.yaw),
            earth_frame_yaw=bool(m.flags & ML.GIMBAL_MANAGER_FLAGS_YAW_LOCK),
        )

    def _on_mount_control(self, c: Client, m: Any) -> None:
        self.vehicle.set_gimbal(m.input_a / 100.0, m.input_c / 100.0)

    def _on_mount_configure(self, c: Client, m: Any) -> None:
        pass  # accepted; the simulated mount is always in MAVLink targeting


MISSION_DENIED_BUSY = 14  # MAV_MISSION_DENIED


def _param_id(raw: Any) -> str:
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    return str(raw).split("\x00", 1)[0].strip()


def _wrap_pi_deg(deg: float) -> float:
    return (deg + 180.0) % 360.0 - 180.0


def _euler_to_quat(roll: float, pitch: float, yaw: float) -> list[float]:
    cr, sr = math.cos(roll / 2), math.sin(roll / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    return [
        cr * cp * cy + sr * sp * sy,
        sr * cp * cy - cr * sp * sy,
        cr * sp * cy + sr * cp * sy,
        cr * cp * sy - sr * sp * cy,
    ]


_ = (P_INT8, P_INT16, P_INT32, P_REAL32)
