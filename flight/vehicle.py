"""Flight control of one ArduPilot vehicle over MAVLink, through dronekit, for asyncio callers.

This is the only module that imports ``dronekit``. dronekit is blocking and waits forever by
default; every call here runs in a worker thread with a timeout, and every wait is for a
condition the vehicle reports (COMMAND_ACK, HEARTBEAT mode/armed, MISSION_ACK, position).

``Drone`` life cycle::

    d = Drone("tcp:127.0.0.1:5760", drone_id="drone-1")
    await d.connect()                       # retries until a heartbeat + parameters
    await d.start_mission(plan, site=site)  # validate, preflight, upload+verify, arm, takeoff, AUTO
    async for t in d.telemetry(): ...       # shorewatch.types.Telemetry, >= 4 Hz
    await d.wait_mission_done()             # returns when landed, raises MissionAborted
    await d.close()

Link loss: when heartbeats stop (or the vehicle closes the TCP connection) ``status.link``
turns ``lost`` and the drone keeps reconnecting in the background; a ``link_lost`` /
``link_restored`` ``MissionEvent`` marks each change. A mode change to RTL/LAND/SMART_RTL that
this code did not ask for while a mission runs (battery, fence or GCS failsafe) marks the
mission ``aborted`` with the vehicle's STATUSTEXT as the reason.

Errors are those of ``flight.errors`` (``CommandRejected``, ``CommandTimeout``,
``PreflightFailed``, ``MissionUploadError``, ``MissionAborted``, ``LinkLostError``...).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import errno
import functools
import logging
import math
import socket
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import dronekit
from pymavlink import mavutil

from flight.errors import (
    CommandRejected,
    CommandTimeout,
    ConnectError,
    LinkLostError,
    MissionAborted,
    MissionUploadError,
    PreflightFailed,
    VehicleError,
)
from flight.planning import CMD_NAV_TAKEOFF, NAV_WITH_POSITION, MissionItem, MissionPlan
from shorewatch.geo import distance_m, offset
from shorewatch.site import Site
from shorewatch.types import Telemetry

logger = logging.getLogger(__name__)

T = TypeVar("T")
mavlink = mavutil.mavlink

ACK_RESULTS = {
    0: "ACCEPTED",
    1: "TEMPORARILY_REJECTED",
    2: "DENIED",
    3: "UNSUPPORTED",
    4: "FAILED",
    5: "IN_PROGRESS",
    6: "CANCELLED",
}
# Mission item params ArduPilot stores and reads back unchanged, by command (index 0 = param1):
# DO_MOUNT_CONTROL pitch and yaw, DO_CHANGE_SPEED the speed.
READBACK_PARAMS: dict[int, tuple[int, ...]] = {205: (0, 2), 178: (1,)}
FAILSAFE_MODES = {"RTL", "LAND", "SMART_RTL", "BRAKE"}
FAILSAFE_WORDS = ("failsafe", "battery", "fence", "gcs", "ekf", "radio", "breach", "low", "critical")


class LinkState(enum.StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTED = "connected"
    LOST = "lost"
    CLOSED = "closed"


class MissionState(enum.StrEnum):
    IDLE = "idle"
    UPLOADED = "uploaded"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    ABORTED = "aborted"
    RECALLED = "recalled"


class EventKind(enum.StrEnum):
    PROGRESS = "progress"  # MISSION_CURRENT moved on
    REACHED = "reached"  # MISSION_ITEM_REACHED
    STARTED = "started"
    PAUSED = "paused"
    RESUMED = "resumed"
    COMPLETED = "completed"
    ABORTED = "aborted"
    RECALLED = "recalled"
    MODE = "mode"
    LINK_LOST = "link_lost"
    LINK_RESTORED = "link_restored"
    STATUSTEXT = "statustext"


@dataclass(frozen=True, slots=True)
class MissionEvent:
    kind: EventKind
    drone_id: str
    timestamp_s: float
    item: int | None = None
    total: int | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class DroneStatus:
    drone_id: str
    link: LinkState
    mode: str
    armed: bool
    mission: MissionState
    current_item: int  # k of n (MISSION_CURRENT; item 0 is home)
    total_items: int
    aborted_reason: str | None
    last_statustext: str | None
    battery_pct: float | None
    telemetry: Telemetry | None


@dataclass(frozen=True, slots=True)
class PreflightReport:
    gps_fix: int
    satellites: int
    home_set: bool
    ekf_ok: bool
    battery_pct: float | None
    armable: bool
    mode: str


class Drone:
    """One vehicle. All public methods are coroutines (or async iterators) safe to call from an
    asyncio loop; none blocks the loop."""

    def __init__(
        self,
        connection: str,
        *,
        drone_id: str = "drone-1",
        telemetry_hz: float = 4.0,
        command_timeout_s: float = 10.0,
        link_lost_after_s: float = 3.0,
        reconnect_interval_s: float = 0.5,
        battery_reserve_pct: float = 25.0,
        source_system: int = 255,
    ) -> None:
        self.connection = connection
        self.drone_id = drone_id
        self.telemetry_hz = telemetry_hz
        self.command_timeout_s = command_timeout_s
        self.link_lost_after_s = link_lost_after_s
        self.reconnect_interval_s = reconnect_interval_s
        self.battery_reserve_pct = battery_reserve_pct
        self.source_system = source_system
        self._v: Any = None
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._link = LinkState.DISCONNECTED
        self._mission = MissionState.IDLE
        self._mission_total = 0
        self._current = 0
        self._aborted_reason: str | None = None
        self._expected_modes: set[str] = set()
        self._mode = "UNKNOWN"
        self._armed = False
        self._was_armed_in_mission = False
        self._acks: dict[int, tuple[float, int]] = {}
        self._mission_acks: list[tuple[float, int]] = []
        self._last_request_at: dict[int, float] = {}
        self._texts: deque[tuple[float, int, str]] = deque(maxlen=100)
        self._gimbal = (-90.0, 0.0)
        self._gnss_accuracy_m: float | None = None  # GPS_RAW_INT h_acc, when the receiver gives it
        self._last_tel: Telemetry | None = None
        self._last_tel_emit = 0.0
        self._tel_subs: set[asyncio.Queue[Telemetry]] = set()
        self._ev_subs: set[asyncio.Queue[MissionEvent]] = set()
        self._watchdog: asyncio.Task[None] | None = None
        self._done: asyncio.Event | None = None  # created by start_mission (needs the loop)
        self._closing = False
        self.connect_attempts = 0  # attempts made by connect() so far

    # ------------------------------------------------------------------ plumbing
    async def _run(self, fn: Callable[[], T], timeout_s: float, what: str) -> T:
        try:
            return await asyncio.wait_for(asyncio.to_thread(fn), timeout_s)
        except TimeoutError as exc:
            raise CommandTimeout(what, timeout_s) from exc

    def _post(self, fn: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(fn, *args)

    def _emit(self, kind: EventKind, item: int | None = None, detail: str = "") -> None:
        ev = MissionEvent(kind, self.drone_id, time.time(), item, self._mission_total or None, detail)
        logger.info("%s: %s %s %s", self.drone_id, kind, "" if item is None else f"#{item}", detail)
        self._post(self._deliver_event, ev)

    def _deliver_event(self, ev: MissionEvent) -> None:
        for q in list(self._ev_subs):
            if q.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    q.get_nowait()
            q.put_nowait(ev)

    def _deliver_tel(self, t: Telemetry) -> None:
        for q in list(self._tel_subs):
            if q.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    q.get_nowait()
            q.put_nowait(t)

    def _vehicle(self) -> Any:
        v = self._v
        if v is None or self._link != LinkState.CONNECTED:
            raise LinkLostError(f"{self.drone_id}: no link to the vehicle ({self._link})")
        return v

    # ------------------------------------------------------------------ connection
    async def connect(self, *, timeout_s: float = 60.0, attempts: int = 0) -> None:
        """Connect (heartbeat + parameters), retrying until ``timeout_s`` (or ``attempts``)."""
        self._loop = asyncio.get_running_loop()
        deadline = time.monotonic() + timeout_s
        n = 0
        last: Exception | None = None
        while True:
            n += 1
            self.connect_attempts += 1
            left = deadline - time.monotonic()
            if left <= 0 or (attempts and n > attempts):
                raise ConnectError(
                    f"{self.drone_id}: could not connect to {self.connection} in {timeout_s:.0f} s "
                    f"({n - 1} attempts): {last}"
                )
            try:
                to = max(left, 5.0)
                v = await self._run(functools.partial(self._connect_blocking, to), to + 5, "connect")
            except (ConnectError, CommandTimeout, OSError, dronekit.APIException) as exc:
                last = exc
                logger.info("%s: connect attempt %d failed: %s", self.drone_id, n, exc)
                await asyncio.sleep(min(self.reconnect_interval_s, max(deadline - time.monotonic(), 0)))
                continue
            self._attach(v)
            break
        if self._watchdog is None:
            self._watchdog = asyncio.create_task(self._watch(), name=f"{self.drone_id}-watchdog")

    def _connect_blocking(self, timeout_s: float) -> Any:
        conn = self.connection
        if conn.startswith("tcp:"):
            host, port = conn[4:].rsplit(":", 1)
            # fail fast when nothing listens: pymavlink itself would sleep through 6 retries
            with socket.create_connection((host, int(port)), timeout=2.0):
                pass
        v = dronekit.connect(
            conn,
            wait_ready=True,
            timeout=timeout_s,
            heartbeat_timeout=timeout_s,
            rate=max(1, math.ceil(self.telemetry_hz)),
            source_system=self.source_system,
            still_waiting_callback=lambda atts: logger.debug("%s waiting for %s", self.drone_id, atts),
        )
        master = v._handler.master

        def _eof(*_: Any) -> None:
            raise OSError(errno.ECONNABORTED, "the vehicle closed the link")

        # pymavlink would spin on a closed TCP socket (printing "EOF on TCP socket"); end the
        # dronekit reader instead, and let the watchdog reconnect.
        master.handle_eof = _eof
        master.handle_disconnect = _eof
        v._heartbeat_error = 0  # the watchdog handles silence; dronekit would kill the link
        return v

    def _attach(self, v: Any) -> None:
        self._v = v
        v.add_message_listener("STATUSTEXT", self._on_statustext)
        v.add_message_listener("COMMAND_ACK", self._on_command_ack)
        v.add_message_listener("MISSION_ACK", self._on_mission_ack)
        v.add_message_listener("MISSION_REQUEST", self._on_mission_request)
        v.add_message_listener("MISSION_REQUEST_INT", self._on_mission_request)
        v.add_message_listener("MISSION_CURRENT", self._on_mission_current)
        v.add_message_listener("MISSION_ITEM_REACHED", self._on_item_reached)
        v.add_message_listener("HEARTBEAT", self._on_heartbeat)
        v.add_message_listener("GLOBAL_POSITION_INT", self._on_position)
        v.add_message_listener("MOUNT_STATUS", self._on_mount_status)
        v.add_message_listener("GIMBAL_DEVICE_ATTITUDE_STATUS", self._on_gimbal_attitude)
        v.add_message_listener("GPS_RAW_INT", self._on_gps_raw)
        was_lost = self._link == LinkState.LOST
        self._link = LinkState.CONNECTED
        self._mode = str(v.mode.name) if v.mode else "UNKNOWN"
        self._armed = bool(v.armed)
        logger.info("%s: connected to %s (mode %s)", self.drone_id, self.connection, self._mode)
        if was_lost:
            self._emit(EventKind.LINK_RESTORED, detail=f"mode {self._mode}")
            self._check_mode_change(self._mode, reconnected=True)

    async def _watch(self) -> None:
        """Mark the link lost on silence or a dead socket; keep reconnecting while lost."""
        while not self._closing:
            await asyncio.sleep(0.2)
            v = self._v
            if self._link == LinkState.CONNECTED and v is not None:
                silent = v.last_heartbeat is not None and v.last_heartbeat > self.link_lost_after_s
                dead = not v._handler._alive
                if silent or dead:
                    self._link = LinkState.LOST
                    self._emit(
                        EventKind.LINK_LOST,
                        detail="socket closed" if dead else f"no heartbeat for {v.last_heartbeat:.1f} s",
                    )
            if self._link == LinkState.LOST and not self._closing:
                old, self._v = self._v, None
                if old is not None:
                    await self._close_vehicle(old)
                try:
                    nv = await self._run(lambda: self._connect_blocking(10.0), 15.0, "reconnect")
                except (ConnectError, CommandTimeout, OSError, dronekit.APIException) as exc:
                    logger.debug("%s: reconnect failed: %s", self.drone_id, exc)
                    await asyncio.sleep(self.reconnect_interval_s)
                    continue
                if self._closing:
                    await self._close_vehicle(nv)
                    return
                self._attach(nv)

    async def _close_vehicle(self, v: Any) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.to_thread(v.close), 5.0)

    async def close(self) -> None:
        self._closing = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watchdog
            self._watchdog = None
        v, self._v = self._v, None
        if v is not None:
            await self._close_vehicle(v)
        self._link = LinkState.CLOSED

    async def __aenter__(self) -> Drone:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ listeners (dronekit thread)
    def _on_statustext(self, _v: Any, _name: str, m: Any) -> None:
        text = m.text if isinstance(m.text, str) else bytes(m.text).decode("utf-8", "replace")
        text = text.rstrip("\x00")
        with self._cond:
            self._texts.append((time.monotonic(), int(m.severity), text))
            self._cond.notify_all()
        self._emit(EventKind.STATUSTEXT, detail=text)

    def _on_command_ack(self, _v: Any, _name: str, m: Any) -> None:
        with self._cond:
            self._acks[int(m.command)] = (time.monotonic(), int(m.result))
            self._cond.notify_all()

    def _on_mission_ack(self, _v: Any, _name: str, m: Any) -> None:
        with self._cond:
            self._mission_acks.append((time.monotonic(), int(m.type)))
            self._cond.notify_all()

    def _on_mission_request(self, _v: Any, _name: str, m: Any) -> None:
        with self._cond:
            self._last_request_at[int(m.seq)] = time.monotonic()
            self._cond.notify_all()

    def _on_mission_current(self, _v: Any, _name: str, m: Any) -> None:
        seq = int(m.seq)
        if seq != self._current:
            self._current = seq
            if self._mission in (MissionState.RUNNING, MissionState.PAUSED):
                self._emit(EventKind.PROGRESS, seq)

    def _on_item_reached(self, _v: Any, _name: str, m: Any) -> None:
        if self._mission in (MissionState.RUNNING, MissionState.PAUSED):
            self._emit(EventKind.REACHED, int(m.seq))

    def _on_heartbeat(self, v: Any, _name: str, m: Any) -> None:
        if m.type == mavlink.MAV_TYPE_GCS or m.get_srcSystem() != v._handler.target_system:
            return
        mode = str(v.mode.name) if v.mode else "UNKNOWN"
        armed = bool(m.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED)
        with self._cond:
            changed = mode != self._mode
            was_armed = self._armed
            self._mode, self._armed = mode, armed
            self._cond.notify_all()
        if changed:
            self._emit(EventKind.MODE, detail=mode)
            self._check_mode_change(mode)
        if self._mission in (MissionState.RUNNING, MissionState.PAUSED) and armed:
            self._was_armed_in_mission = True
        if was_armed and not armed and self._was_armed_in_mission:
            self._on_landed()

    def _check_mode_change(self, mode: str, *, reconnected: bool = False) -> None:
        expected = mode in self._expected_modes
        if (
            self._mission in (MissionState.RUNNING, MissionState.PAUSED)
            and mode in FAILSAFE_MODES
            and not expected
        ):
            reason = self._failsafe_reason(mode, reconnected)
            self._mission = MissionState.ABORTED
            self._aborted_reason = reason
            self._emit(EventKind.ABORTED, self._current, reason)
        with self._cond:
            self._cond.notify_all()

    def _failsafe_reason(self, mode: str, reconnected: bool) -> str:
        now = time.monotonic()
        with self._lock:
            recent = [t for (ts, _sev, t) in self._texts if now - ts < 10.0]
        for text in reversed(recent):
            if any(w in text.lower() for w in FAILSAFE_WORDS):
                return f"vehicle switched to {mode}: {text}"
        if reconnected:
            return f"vehicle switched to {mode} while the link was lost (GCS failsafe?)"
        return f"vehicle switched to {mode}" + (f" ({recent[-1]})" if recent else "")

    def _on_landed(self) -> None:
        self._was_armed_in_mission = False
        if self._mission == MissionState.RUNNING:
            self._mission = MissionState.COMPLETED
            self._emit(EventKind.COMPLETED, self._current)
        elif self._mission in (MissionState.ABORTED, MissionState.RECALLED):
            self._emit(EventKind.MODE, detail="landed and disarmed")
        with self._cond:
            self._cond.notify_all()
        self._post(self._set_done)

    def _set_done(self) -> None:
        if self._done is not None:
            self._done.set()

    def _on_mount_status(self, _v: Any, _name: str, m: Any) -> None:
        self._gimbal = (m.pointing_a / 100.0, m.pointing_c / 100.0)

    def _on_gimbal_attitude(self, _v: Any, _name: str, m: Any) -> None:
        w, x, y, z = m.q
        pitch = math.degrees(math.asin(max(-1.0, min(1.0, 2 * (w * y - z * x)))))
        yaw = math.degrees(math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z)))
        if m.flags & 16:  # GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME: make it vehicle-relative
            hdg = self._last_tel.heading_deg if self._last_tel else 0.0
            yaw = (yaw - hdg + 180.0) % 360.0 - 180.0
        self._gimbal = (pitch, yaw)

    def _on_gps_raw(self, _v: Any, _name: str, m: Any) -> None:
        # h_acc (mm) is a MAVLink 2 extension: absent over MAVLink 1, 0 when the receiver does
        # not estimate it; without a 3D fix the position is not used anyway
        h_acc = getattr(m, "h_acc", 0) or 0
        self._gnss_accuracy_m = h_acc / 1000.0 if 0 < h_acc < 10_000_000 and m.fix_type >= 3 else None

    def _on_position(self, v: Any, _name: str, m: Any) -> None:
        now = time.monotonic()
        try:
            bat = v.battery
            gps = v.gps_0
            att = v.attitude
            t = Telemetry(
                timestamp_s=time.time(),
                lat_deg=m.lat / 1e7,
                lon_deg=m.lon / 1e7,
                alt_m=m.alt / 1000.0,
                heading_deg=(m.hdg / 100.0) % 360.0 if m.hdg != 65535 else 0.0,
                gimbal_pitch_deg=max(-180.0, min(180.0, self._gimbal[0])),
                gimbal_yaw_deg=self._gimbal[1],
                rel_alt_m=m.relative_alt / 1000.0,
                roll_deg=math.degrees(att.roll or 0.0),
                pitch_deg=math.degrees(att.pitch or 0.0),
                ground_speed_mps=math.hypot(m.vx, m.vy) / 100.0,
                climb_mps=-m.vz / 100.0,
                battery_pct=float(bat.level)
                if bat is not None and bat.level is not None and bat.level >= 0
                else 0.0,
                battery_v=float(bat.voltage) if bat is not None and bat.voltage is not None else 0.0,
                mode=self._mode,
                armed=self._armed,
                vehicle_id=self.drone_id,
                gps_fix=int(gps.fix_type or 0),
                satellites=int(gps.satellites_visible or 0),
                gnss_accuracy_m=self._gnss_accuracy_m,
            )
        except Exception:  # a malformed sample must not kill the reader thread
            logger.debug("%s: bad GLOBAL_POSITION_INT", self.drone_id, exc_info=True)
            return
        self._last_tel = t
        if now - self._last_tel_emit >= 1.0 / 25.0:
            self._last_tel_emit = now
            self._post(self._deliver_tel, t)

    # ------------------------------------------------------------------ status and streams
    @property
    def status(self) -> DroneStatus:
        v = self._v
        bat = None
        with contextlib.suppress(Exception):
            b = v.battery if v is not None else None
            bat = float(b.level) if b is not None and b.level is not None else None
        with self._lock:
            last = self._texts[-1][2] if self._texts else None
        return DroneStatus(
            drone_id=self.drone_id,
            link=self._link,
            mode=self._mode,
            armed=self._armed,
            mission=self._mission,
            current_item=self._current,
            total_items=self._mission_total,
            aborted_reason=self._aborted_reason,
            last_statustext=last,
            battery_pct=bat,
            telemetry=self._last_tel,
        )

    async def _subscribe(self, subs: set[asyncio.Queue[T]], maxsize: int) -> AsyncIterator[T]:
        q: asyncio.Queue[T] = asyncio.Queue(maxsize)
        subs.add(q)
        try:
            while not self._closing:
                try:
                    yield await asyncio.wait_for(q.get(), 1.0)
                except TimeoutError:
                    continue
        finally:
            subs.discard(q)

    def telemetry(self, *, maxsize: int = 64) -> AsyncIterator[Telemetry]:
        """Telemetry samples as they arrive (the rate asked at connect, >= 4 Hz; at most 25 Hz).
        A slow consumer skips old samples; the stream ends when the drone is closed."""
        return self._subscribe(self._tel_subs, maxsize)

    def events(self, *, maxsize: int = 256) -> AsyncIterator[MissionEvent]:
        """Mission progress, mode and link events, as they happen."""
        return self._subscribe(self._ev_subs, maxsize)

    async def wait_for(
        self, predicate: Callable[[DroneStatus], bool], timeout_s: float, what: str
    ) -> DroneStatus:
        """Wait until ``predicate(status)`` holds (checked on every state change and 10x/s)."""
        deadline = time.monotonic() + timeout_s
        while True:
            st = self.status
            if predicate(st):
                return st
            if time.monotonic() > deadline:
                raise CommandTimeout(what, timeout_s, f"mode {st.mode}, link {st.link}, mission {st.mission}")
            await asyncio.sleep(0.05)

    # ------------------------------------------------------------------ commands (blocking helpers)
    def _reason_since(self, t0: float, wait_s: float = 0.5, prefer: tuple[str, ...] = ()) -> str | None:
        """The vehicle's STATUSTEXT explaining a refusal: one received since ``t0`` that mentions
        one of ``prefer`` (waiting up to ``wait_s`` for it), else the latest warning since ``t0``."""
        deadline = time.monotonic() + wait_s
        with self._cond:
            while True:
                since = [(sev, t) for (ts, sev, t) in self._texts if ts >= t0 - 0.05]
                matching = [t for sev, t in since if any(w in t.lower() for w in prefer)]
                if matching:
                    return matching[-1]
                left = deadline - time.monotonic()
                if left <= 0 or (not prefer and any(sev <= 4 for sev, _ in since)):
                    warn = [t for sev, t in since if sev <= 4] or [t for _, t in since]
                    return warn[-1] if warn else None
                self._cond.wait(left)

    def _command_long(
        self, name: str, cmd: int, params: tuple[float, ...], timeout_s: float, prefer: tuple[str, ...] = ()
    ) -> None:
        v = self._vehicle()
        p = (list(params) + [0.0] * 7)[:7]
        t0 = time.monotonic()
        with self._cond:
            self._acks.pop(cmd, None)
        v._master.mav.command_long_send(0, 0, cmd, 0, *p)
        deadline = t0 + timeout_s
        with self._cond:
            while True:
                ack = self._acks.get(cmd)
                if ack is not None and ack[0] >= t0 and ack[1] != 5:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CommandTimeout(f"COMMAND_ACK for {name}", timeout_s)
                self._cond.wait(min(left, 0.2))
        result = ack[1]
        if result != 0:
            raise CommandRejected(
                name, p, ACK_RESULTS.get(result, str(result)), self._reason_since(t0, prefer=prefer)
            )

    def _wait_state(self, pred: Callable[[], bool], timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while not pred():
                if self._link != LinkState.CONNECTED:
                    raise LinkLostError(f"{self.drone_id}: link lost while waiting for {what}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CommandTimeout(what, timeout_s, f"mode {self._mode}, armed {self._armed}")
                self._cond.wait(min(left, 0.1))

    def _set_mode_blocking(self, mode: str, timeout_s: float) -> None:
        v = self._vehicle()
        mapping = v._mode_mapping
        if mode not in mapping:
            raise VehicleError(f"mode {mode!r} unknown to this vehicle; known: {sorted(mapping)}")
        self._expected_modes = {mode}
        if self._mode == mode:
            return
        self._command_long(
            f"SET_MODE {mode}",
            mavlink.MAV_CMD_DO_SET_MODE,
            (float(mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED), float(mapping[mode])),
            timeout_s,
            prefer=("mode",),
        )
        self._wait_state(lambda: self._mode == mode, timeout_s, f"mode {mode}")

    async def set_mode(self, mode: str, *, timeout_s: float | None = None) -> None:
        to = timeout_s or self.command_timeout_s
        await self._run(lambda: self._set_mode_blocking(mode, to), to + 2, f"mode {mode}")

    # ------------------------------------------------------------------ preflight, arm, takeoff
    def _preflight_snapshot(self) -> tuple[PreflightReport, list[str]]:
        v = self._vehicle()
        gps = v.gps_0
        bat = v.battery
        level = float(bat.level) if bat is not None and bat.level is not None and bat.level >= 0 else None
        rep = PreflightReport(
            gps_fix=int(gps.fix_type or 0),
            satellites=int(gps.satellites_visible or 0),
            home_set=v._home_location is not None,
            ekf_ok=bool(v.ekf_ok),
            battery_pct=level,
            armable=bool(v.is_armable),
            mode=self._mode,
        )
        fails = []
        if rep.gps_fix < 3:
            fails.append(f"GPS: need a 3D fix, have fix type {rep.gps_fix} with {rep.satellites} satellites")
        if not rep.home_set:
            fails.append("home position not set yet (no HOME_POSITION from the vehicle)")
        if not rep.ekf_ok:
            fails.append("EKF not healthy (no good horizontal position estimate)")
        if rep.battery_pct is None or rep.battery_pct <= self.battery_reserve_pct:
            fails.append(
                f"battery {rep.battery_pct}% at or below the {self.battery_reserve_pct:.0f}% reserve"
            )
        if not rep.armable:
            fails.append(f"vehicle not armable (mode {rep.mode})")
        return rep, fails

    async def preflight(self, *, timeout_s: float = 60.0) -> PreflightReport:
        """Wait (up to ``timeout_s``) until GPS 3D fix, home set, EKF good, battery above the
        reserve and armable; ``PreflightFailed`` naming each check still failing."""
        deadline = time.monotonic() + timeout_s
        requested_home = False
        while True:
            rep, fails = self._preflight_snapshot()
            if not fails:
                return rep
            if not rep.home_set and not requested_home and rep.gps_fix >= 3:
                requested_home = True
                with contextlib.suppress(Exception):
                    self._vehicle()._master.mav.command_long_send(
                        0, 0, mavlink.MAV_CMD_GET_HOME_POSITION, 0, 0, 0, 0, 0, 0, 0, 0
                    )
            if time.monotonic() > deadline:
                raise PreflightFailed(fails)
            await asyncio.sleep(0.1)

    def _arm_blocking(self, timeout_s: float) -> None:
        if self._armed:
            return
        self._command_long("ARM", mavlink.MAV_CMD_COMPONENT_ARM_DISARM, (1.0,), timeout_s, prefer=("arm",))
        self._wait_state(lambda: self._armed, timeout_s, "armed")

    async def arm(self, *, timeout_s: float | None = None) -> None:
        to = timeout_s or self.command_timeout_s
        await self._run(lambda: self._arm_blocking(to), to * 2 + 2, "arm")

    async def takeoff(self, alt_m: float, *, timeout_s: float = 120.0) -> None:
        """GUIDED, arm, climb to ``alt_m`` above home."""
        await self.set_mode("GUIDED")
        await self.arm()
        await self._run(
            lambda: self._command_long(
                "TAKEOFF",
                mavlink.MAV_CMD_NAV_TAKEOFF,
                (0, 0, 0, 0, 0, 0, float(alt_m)),
                self.command_timeout_s,
            ),
            self.command_timeout_s + 2,
            "takeoff",
        )
        await self.wait_for(
            lambda s: s.telemetry is not None and s.telemetry.rel_alt_m >= 0.95 * alt_m - 0.5,
            timeout_s,
            f"climb to {alt_m:.0f} m",
        )

    # ------------------------------------------------------------------ missions
    def _upload_blocking(
        self, items: tuple[MissionItem, ...], home: tuple[float, float, float], timeout_s: float
    ) -> None:
        v = self._vehicle()
        cmds = v.commands
        # dronekit quirk (ArduPilot SITL): download before clear()/add()/upload().
        cmds.download()
        if not cmds.wait_ready(timeout=timeout_s, raise_exception=False):
            raise MissionUploadError(
                f"{self.drone_id}: could not download the vehicle's mission in {timeout_s:.0f} s"
            )
        cmds.clear()
        if v._wploader.count() == 0:  # no home item came back: item 0 must still be home
            lat, lon, alt = home
            cmds.add(
                dronekit.Command(
                    0,
                    0,
                    0,
                    mavlink.MAV_FRAME_GLOBAL,
                    mavlink.MAV_CMD_NAV_WAYPOINT,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    lat,
                    lon,
                    alt,
                )
            )
        for it in items:
            c = dronekit.Command(
                0,
                0,
                0,
                it.frame,
                it.command,
                0,
                int(it.autocontinue),
                it.param1,
                it.param2,
                it.param3,
                it.param4,
                it.lat_deg,
                it.lon_deg,
                it.alt_m,
            )
            cmds.add(dronekit.CommandInt.from_command(c))
        n = v._wploader.count()
        t0 = time.monotonic()
        with self._cond:
            self._last_request_at.clear()
        cmds.upload(timeout=timeout_s)
        # Wait for the MISSION_ACK that follows the last item (ArduCopter acks the clear, then the upload).
        deadline = t0 + timeout_s
        with self._cond:
            while True:
                t_last = self._last_request_at.get(n - 1)
                acks = [a for a in self._mission_acks if t_last is not None and a[0] >= t_last]
                if acks:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise MissionUploadError(f"{self.drone_id}: no MISSION_ACK after uploading {n} items")
                self._cond.wait(min(left, 0.2))
        if acks[0][1] != mavlink.MAV_MISSION_ACCEPTED:
            name = (
                mavlink.enums["MAV_MISSION_RESULT"][acks[0][1]].name
                if acks[0][1] in mavlink.enums["MAV_MISSION_RESULT"]
                else acks[0][1]
            )
            raise MissionUploadError(
                f"{self.drone_id}: vehicle refused the mission: {name} ({self._reason_since(t0, 0.2)})"
            )
        # Read it back and compare.
        cmds.download()
        if not cmds.wait_ready(timeout=timeout_s, raise_exception=False):
            raise MissionUploadError(f"{self.drone_id}: could not read the mission back in {timeout_s:.0f} s")
        got = [cmds[i] for i in range(len(cmds))]
        if len(got) != len(items):
            raise MissionUploadError(
                f"{self.drone_id}: vehicle holds {len(got)} items after upload, sent {len(items)}"
            )
        for i, (g, it) in enumerate(zip(got, items, strict=True), start=1):
            lat, lon = (g.x / 1e7, g.y / 1e7) if isinstance(g.x, int) and abs(g.x) > 1000 else (g.x, g.y)
            # ArduPilot keeps what each command uses (AP_Mission::mavlink_int_to_mission_cmd): a
            # position and altitude for NAV/ROI commands; for DO_MOUNT_CONTROL pitch/roll/yaw but
            # not param7 (the mount mode), for DO_CHANGE_SPEED param1-3; the rest reads back as 0.
            positional = it.command in NAV_WITH_POSITION or it.command == mavlink.MAV_CMD_DO_SET_ROI_LOCATION
            kept = READBACK_PARAMS.get(it.command, ())
            sent_p = (it.param1, it.param2, it.param3, it.param4)
            got_p = (g.param1, g.param2, g.param3, g.param4)
            if (
                int(g.command) != it.command
                or (
                    positional
                    and (
                        abs(lat - it.lat_deg) > 2e-5
                        or abs(lon - it.lon_deg) > 2e-5
                        or abs(g.z - it.alt_m) > 0.1
                    )
                )
                or any(abs(got_p[k] - sent_p[k]) > 0.01 for k in kept)
            ):
                raise MissionUploadError(
                    f"{self.drone_id}: item {i} read back as command {g.command} at ({lat:.6f}, {lon:.6f}, {g.z:.1f}); "
                    f"sent {it.name} at ({it.lat_deg:.6f}, {it.lon_deg:.6f}, {it.alt_m:.1f})"
                )

    async def upload_mission(self, plan: MissionPlan, *, timeout_s: float = 30.0) -> None:
        """Upload ``plan`` and verify it by reading it back (download first, wait for the ACK)."""
        home = plan.home
        v = self._vehicle()
        if v._home_location is not None:
            h = v._home_location
            home = replace(home, lat_deg=h.lat, lon_deg=h.lon, alt_m=h.alt or 0.0)
        await self._run(
            lambda: self._upload_blocking(plan.items, (home.lat_deg, home.lon_deg, home.alt_m), timeout_s),
            timeout_s * 3 + 5,
            "mission upload",
        )
        self._mission_total = len(plan.items)
        self._mission = MissionState.UPLOADED
        self._aborted_reason = None

    def vehicle_home(self) -> tuple[float, float] | None:
        v = self._v
        h = v._home_location if v is not None else None
        return (h.lat, h.lon) if h is not None else None

    async def start_mission(
        self,
        plan: MissionPlan,
        *,
        site: Site | None = None,
        validate: bool = True,
        preflight_timeout_s: float = 90.0,
        takeoff_timeout_s: float = 120.0,
        **validation_kwargs: Any,
    ) -> None:
        """Validate (against ``site`` or the plan's own fence, from the vehicle's real home),
        preflight, upload and verify, GUIDED takeoff to the first altitude, then AUTO.
        Invalid plans raise ``PlanValidationError`` before anything is sent."""
        if validate:
            from flight.validation import check_plan

            home = self.vehicle_home()
            checked = (
                replace(plan, home=replace(plan.home, lat_deg=home[0], lon_deg=home[1])) if home else plan
            )
            check_plan(checked, site, **validation_kwargs)
        self._loop = asyncio.get_running_loop()
        self._done = asyncio.Event()
        await self.preflight(timeout_s=preflight_timeout_s)
        await self.upload_mission(plan)
        alt = next((it.alt_m for it in plan.items if it.command == CMD_NAV_TAKEOFF), plan.altitude_m)
        await self.takeoff(alt, timeout_s=takeoff_timeout_s)
        self._was_armed_in_mission = True
        self._mission = MissionState.RUNNING
        self._expected_modes = {"AUTO"}
        await self.set_mode("AUTO")
        self._emit(EventKind.STARTED, self._current, plan.name)

    async def wait_mission_done(self, *, timeout_s: float = 600.0) -> MissionState:
        """Until the mission completes (landed, disarmed); ``MissionAborted`` if the vehicle
        left it on its own. The link may drop and come back meanwhile."""
        st = await self.wait_for(
            lambda s: (
                s.mission
                in (MissionState.COMPLETED, MissionState.ABORTED, MissionState.RECALLED, MissionState.IDLE)
            ),
            timeout_s,
            "the mission to end",
        )
        if st.mission == MissionState.ABORTED:
            raise MissionAborted(st.aborted_reason or "unknown reason")
        return st.mission

    async def pause(self) -> None:
        """Hold position (LOITER); ``resume`` continues the mission where it was."""
        self._expected_modes = {"LOITER"}
        await self.set_mode("LOITER")
        if self._mission == MissionState.RUNNING:
            self._mission = MissionState.PAUSED
            self._emit(EventKind.PAUSED, self._current)

    async def resume(self) -> None:
        await self.set_mode("AUTO")
        if self._mission == MissionState.PAUSED:
            self._mission = MissionState.RUNNING
            self._emit(EventKind.RESUMED, self._current)

    async def rtl(self) -> None:
        """Return to launch (recalls a running mission)."""
        self._expected_modes = {"RTL"}
        await self.set_mode("RTL")
        if self._mission in (MissionState.RUNNING, MissionState.PAUSED):
            self._mission = MissionState.RECALLED
            self._emit(EventKind.RECALLED, self._current, "RTL by the pilot")

    async def land(self) -> None:
        self._expected_modes = {"LAND"}
        await self.set_mode("LAND")
        if self._mission in (MissionState.RUNNING, MissionState.PAUSED):
            self._mission = MissionState.RECALLED
            self._emit(EventKind.RECALLED, self._current, "LAND by the pilot")

    async def goto(
        self,
        lat_deg: float,
        lon_deg: float,
        alt_m: float,
        *,
        speed_mps: float = 10.0,
        timeout_s: float = 120.0,
        tolerance_m: float = 3.0,
    ) -> None:
        """Fly to a point in GUIDED (``alt_m`` above home) and return once within ``tolerance_m``."""
        if not (-90 <= lat_deg <= 90 and -180 <= lon_deg <= 180 and 0 < alt_m <= 500 and speed_mps > 0):
            raise VehicleError(f"goto: bad target ({lat_deg}, {lon_deg}, {alt_m} m, {speed_mps} m/s)")
        if self._mission == MissionState.RUNNING:
            self._mission = MissionState.PAUSED
            self._emit(EventKind.PAUSED, self._current, "GUIDED goto")
        await self.set_mode("GUIDED")

        def send() -> None:
            v = self._vehicle()
            v.simple_goto(dronekit.LocationGlobalRelative(lat_deg, lon_deg, alt_m), groundspeed=speed_mps)

        await self._run(send, self.command_timeout_s, "goto")

        def arrived(s: DroneStatus) -> bool:
            t = s.telemetry
            return (
                t is not None
                and distance_m(t.lat_deg, t.lon_deg, lat_deg, lon_deg) <= tolerance_m
                and abs(t.rel_alt_m - alt_m) <= max(tolerance_m, 1.5)
            )

        await self.wait_for(arrived, timeout_s, f"arrival at ({lat_deg:.6f}, {lon_deg:.6f}, {alt_m:.0f} m)")

    async def clear_roi(self) -> None:
        """Stop pointing the camera at a region of interest (DO_SET_ROI_NONE): the mission's own
        gimbal settings apply again. A vehicle that refuses is left as it is."""
        with contextlib.suppress(CommandRejected, CommandTimeout):
            await self._run(
                lambda: self._command_long(
                    "DO_SET_ROI_NONE",
                    mavlink.MAV_CMD_DO_SET_ROI_NONE,
                    (0, 0, 0, 0, 0, 0, 0),
                    self.command_timeout_s,
                ),
                self.command_timeout_s + 2,
                "roi",
            )

    async def orbit(
        self,
        lat_deg: float,
        lon_deg: float,
        radius_m: float,
        alt_m: float,
        *,
        speed_mps: float = 5.0,
        laps: float = 1.0,
        points_per_lap: int = 12,
        timeout_s: float = 600.0,
    ) -> None:
        """Circle a point in GUIDED, camera on it (DO_SET_ROI_LOCATION), ``laps`` times."""
        if radius_m <= 0 or laps <= 0:
            raise VehicleError(f"orbit: radius_m and laps must be > 0, got {radius_m}, {laps}")
        with contextlib.suppress(CommandRejected, CommandTimeout):
            await self._run(
                lambda: self._command_long(
                    "DO_SET_ROI_LOCATION",
                    mavlink.MAV_CMD_DO_SET_ROI_LOCATION,
                    (0, 0, 0, 0, lat_deg, lon_deg, 0.0),
                    self.command_timeout_s,
                ),
                self.command_timeout_s + 2,
                "roi",
            )
        t = self._last_tel
        start = 0.0
        if t is not None:
            from shorewatch.geo import bearing_deg

            start = bearing_deg(lat_deg, lon_deg, t.lat_deg, t.lon_deg)
        deadline = time.monotonic() + timeout_s
        n = max(1, round(points_per_lap * laps))
        for k in range(n + 1):
            lat, lon = offset(lat_deg, lon_deg, start + 360.0 * k / points_per_lap, radius_m)
            left = deadline - time.monotonic()
            if left <= 0:
                raise CommandTimeout("orbit", timeout_s)
            await self.goto(
                lat, lon, alt_m, speed_mps=speed_mps, timeout_s=left, tolerance_m=max(3.0, radius_m * 0.15)
            )
