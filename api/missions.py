"""Missions for pilots: the site's drones, their live telemetry, corridor patrols planned,
previewed, launched, paused, resumed and recalled.

``MissionManager`` keeps one ``DroneLink`` per drone of the site (``flight.vehicle.Drone`` over
MAVLink by default), reconnecting with backoff when the link drops, and fans telemetry out to
subscribers through bounded queues (a slow client loses old samples, never stalls the others).
Plans come from ``flight.planning.fleet_corridor`` and are checked by
``flight.validation.validate_plan`` before they can be launched.

Mission lifecycle (an explicit state machine, driven by commands and the drones' telemetry)::

    starting ──► flying ◄──► paused
       │           │           │
       │           └──► returning ◄─┘ (recall, or the vehicle's own RTL failsafe)
       │                    │
       └──► failed          └──► completed (every drone landed and disarmed)

Errors (``status_code`` is what the routes answer)::

    MissionError              400
    ├── UnknownDrone          404
    ├── UnknownPlan           404
    ├── UnknownMission        404
    ├── PlanRejected          422  the plan cannot be made or breaks a safety rule
    └── DroneBusy             409  a drone is not connected or already on a mission
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from shorewatch.site import DroneConfig, Site
from shorewatch.types import Telemetry

logger = logging.getLogger(__name__)


class MissionError(Exception):
    status_code = 400


class UnknownDrone(MissionError):
    status_code = 404


class UnknownPlan(MissionError):
    status_code = 404


class UnknownMission(MissionError):
    status_code = 404


class PlanRejected(MissionError):
    status_code = 422


class DroneBusy(MissionError):
    status_code = 409


class DroneLink(Protocol):
    """What the manager needs from a vehicle (``flight.vehicle.Drone`` provides it)."""

    async def connect(self, *, timeout_s: float) -> Any: ...

    def telemetry(self) -> AsyncIterator[Telemetry]: ...

    def events(self) -> AsyncIterator[Any]: ...

    @property
    def status(self) -> Any: ...

    async def start_mission(self, plan: Any, *, site: Site | None = None) -> Any: ...

    async def pause(self) -> Any: ...

    async def resume(self) -> Any: ...

    async def rtl(self) -> Any: ...

    async def orbit(
        self, lat_deg: float, lon_deg: float, radius_m: float, alt_m: float, *, speed_mps: float, laps: float
    ) -> Any: ...

    async def clear_roi(self) -> Any: ...

    async def close(self) -> Any: ...


LinkFactory = Callable[[DroneConfig], DroneLink]


def default_link_factory(cfg: DroneConfig) -> DroneLink:
    from flight.vehicle import Drone

    return Drone(cfg.connection, drone_id=cfg.id)  # type: ignore[return-value]


class MissionStatus(enum.StrEnum):
    STARTING = "starting"
    FLYING = "flying"
    PAUSED = "paused"
    RETURNING = "returning"
    COMPLETED = "completed"
    FAILED = "failed"


ACTIVE = frozenset(
    {MissionStatus.STARTING, MissionStatus.FLYING, MissionStatus.PAUSED, MissionStatus.RETURNING}
)


@dataclass
class DroneState:
    id: str
    connection: str
    state: str = "connecting"  # connecting | connected | link_lost
    telemetry: Telemetry | None = None
    mission_id: str | None = None
    last_error: str | None = None
    last_seen_mono: float = 0.0
    link: Any = None
    investigating: str | None = None  # what the drone is orbiting ("alert #12 at 50.88, 1.66")
    # one mode-changing command at a time per drone (a pilot's recall never races an orbit's resume)
    command_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def link_ok(self) -> bool:
        return self.state == "connected"

    def public(self) -> dict[str, Any]:
        t = self.telemetry
        return {
            "id": self.id,
            "connection": self.connection,
            "state": self.state,
            "link_ok": self.link_ok,
            "mission_id": self.mission_id,
            "last_error": self.last_error,
            "investigating": self.investigating,
            "telemetry": None
            if t is None
            else {
                "timestamp_s": t.timestamp_s,
                "lat_deg": t.lat_deg,
                "lon_deg": t.lon_deg,
                "alt_m": t.alt_m,
                "rel_alt_m": t.rel_alt_m,
                "heading_deg": t.heading_deg,
                "ground_speed_mps": t.ground_speed_mps,
                "battery_pct": t.battery_pct,
                "mode": t.mode,
                "armed": t.armed,
                "gps_fix": t.gps_fix,
                "satellites": t.satellites,
                "gimbal_pitch_deg": t.gimbal_pitch_deg,
            },
        }


@dataclass(frozen=True)
class PlanRequest:
    start: str
    end: str
    alt_m: float = 60.0
    drones: int = 1
    speed_mps: float = 10.0
    offset_m: float = 150.0


@dataclass
class PlannedPatrol:
    plan_id: str
    request: PlanRequest
    plans: list[Any]  # flight.planning.MissionPlan, one per drone
    warnings: list[str]
    created_at_s: float = field(default_factory=time.time)
    revisit: Any = None  # flight.revisit.RevisitReport: the patrol flown over and over, battery swaps between

    def routes(self) -> list[dict[str, Any]]:
        out = []
        for p in self.plans:
            pts = p.nav_points()
            out.append(
                {
                    "drone_id": p.drone_id,
                    "name": p.name,
                    "waypoints": [
                        {"lat_deg": q.lat_deg, "lon_deg": q.lon_deg, "alt_m": q.alt_m} for q in pts
                    ],
                    "length_m": round(p.stats.length_m, 1),
                    "duration_s": round(p.stats.duration_s, 1),
                    "battery_pct": round(p.stats.battery_pct, 1),
                    "coverage_pct": None if p.stats.coverage_pct is None else round(p.stats.coverage_pct, 1),
                }
            )
        return out

    def public(self) -> dict[str, Any]:
        r = self.request
        return {
            "plan_id": self.plan_id,
            "request": {
                "start": r.start,
                "end": r.end,
                "alt_m": r.alt_m,
                "drones": r.drones,
                "speed_mps": r.speed_mps,
                "offset_m": r.offset_m,
            },
            "routes": self.routes(),
            "warnings": self.warnings,
            "revisit": self.revisit_public(),
        }

    def revisit_public(self) -> dict[str, Any] | None:
        """How long a stretch of the patrolled coast goes unseen if the patrol is flown again and
        again with a battery swap between sorties (``flight.revisit``); seconds, km along the waterline."""
        r = self.revisit
        if r is None:
            return None
        stats = r.seen_stats()
        worst, at, median = (None, None, None) if stats is None else stats
        return {
            "swap_s": r.swap_s,
            "worst_s": None if worst is None else round(worst, 1),
            "median_s": None if median is None else round(median, 1),
            "worst_at_km": None if at is None else round(at / 1000, 2),
            "never_seen_pct": round(r.never_seen_pct, 1),
            "summary": r.summary(),
        }


@dataclass
class Mission:
    id: str
    plan: PlannedPatrol
    drone_ids: list[str]
    status: MissionStatus = MissionStatus.STARTING
    created_at_s: float = field(default_factory=time.time)
    notes: list[str] = field(default_factory=list)
    progress: dict[str, float] = field(default_factory=dict)
    was_airborne: set[str] = field(default_factory=set)
    commanded: str | None = None  # last pilot command: pause | resume | recall

    def public(self) -> dict[str, Any]:
        prog = sum(self.progress.values()) / len(self.drone_ids) if self.drone_ids else 0.0
        return {
            "id": self.id,
            "plan_id": self.plan.plan_id,
            "drone_ids": self.drone_ids,
            "status": self.status.value,
            "created_at_s": self.created_at_s,
            "progress": round(prog, 3),
            "notes": self.notes,
            "routes": self.plan.routes(),
        }


_ALONG = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*km\s*$")


def _coast_position(site: Site, where: str) -> float:
    """Metres along the waterline of a launch point or beach, or of ``"16.5 km"`` (a distance
    along the waterline from its first point, as ``GET /coverage`` gives stretches and gaps)."""
    from flight.planning import position_along_coast

    m = _ALONG.match(where)
    if m is None:
        return position_along_coast(site, *_named_position(site, where))
    along_m = float(m.group(1)) * 1000.0
    length_m = float(site.waterline_local.length)
    if along_m > length_m + 1.0:
        raise PlanRejected(
            f"{where!r} is past the end of the waterline; expected 0 to {length_m / 1000:.2f} km"
        )
    return min(along_m, length_m)


def _named_position(site: Site, name: str) -> tuple[float, float]:
    for p in site.launch_points:
        if p.name == name:
            return p.lat_deg, p.lon_deg
    for b in site.beaches:
        if b.name == name:
            c = b.geometry.centroid
            return c.y, c.x
    names = [p.name for p in site.launch_points] + [b.name for b in site.beaches]
    raise PlanRejected(
        f"no launch point or beach named {name!r}; expected one of {names}, or a distance along the "
        "waterline such as '16.5 km'"
    )


class MissionManager:
    def __init__(
        self,
        site: Site,
        drones: list[DroneConfig] | None = None,
        *,
        link_factory: LinkFactory | None = None,
        telemetry_hz: float = 5.0,
        connect_timeout_s: float = 20.0,
        command_timeout_s: float = 300.0,
        swap_s: float = 300.0,
    ) -> None:
        self.site = site
        self.swap_s = swap_s  # on the ground between two sorties, for a plan's revisit time
        configs = list(drones if drones is not None else site.drones)
        self.drones: dict[str, DroneState] = {c.id: DroneState(c.id, c.connection) for c in configs}
        self._configs = {c.id: c for c in configs}
        self._link_factory = link_factory or default_link_factory
        self._min_interval_s = 1.0 / telemetry_hz
        self._connect_timeout_s = connect_timeout_s
        self._command_timeout_s = command_timeout_s
        self.plans: dict[str, PlannedPatrol] = {}
        self.missions: dict[str, Mission] = {}
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._investigations: dict[str, asyncio.Task[None]] = {}  # drone id -> its orbit in progress
        self._last_sent: dict[str, float] = {}
        self._started = False

    # ---- lifecycle ----
    @property
    def started(self) -> bool:
        return self._started

    def start(self) -> None:
        """Connect to every drone (in the background; idempotent). The routes call this on
        first use, so a service nobody flies with never dials the drones."""
        if self._started:
            return
        self._started = True
        for d in self.drones.values():
            self._tasks.append(asyncio.create_task(self._drone_loop(d), name=f"drone-{d.id}"))

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks.clear()
        for d in self.drones.values():
            if d.link is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(d.link.close(), 5.0)

    async def _drone_loop(self, d: DroneState) -> None:
        """Connect (the link retries on its own), then follow telemetry, link state and mission
        events until stopped."""
        backoff_s = 0.5
        while True:
            try:
                if d.link is None:
                    d.link = self._link_factory(self._configs[d.id])
                d.state = "connecting"
                self._broadcast_drone(d, force=True)
                await d.link.connect(timeout_s=self._connect_timeout_s)
                d.state, d.last_error = "connected", None
                self._broadcast_drone(d, force=True)
                await asyncio.gather(self._follow_telemetry(d), self._follow_link(d), self._follow_events(d))
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                d.state, d.last_error = "link_lost", f"{type(exc).__name__}: {exc}"
                logger.warning("drone %s: cannot connect (%s); retrying in %.1f s", d.id, exc, backoff_s)
                self._broadcast_drone(d, force=True)
                await asyncio.sleep(backoff_s)  # reconnect backoff
                backoff_s = min(backoff_s * 2, 10.0)

    async def _follow_telemetry(self, d: DroneState) -> None:
        async for tel in d.link.telemetry():
            d.telemetry = tel
            d.last_seen_mono = time.monotonic()
            self._on_telemetry(d)

    async def _follow_link(self, d: DroneState) -> None:
        """The link's state (the Drone reconnects by itself): broadcast each change."""
        while True:
            st = d.link.status
            state = {"connected": "connected", "lost": "link_lost"}.get(str(st.link), str(st.link))
            if state != d.state:
                d.state = state
                self._broadcast_drone(d, force=True)
            self._update_mission_from(d)
            await asyncio.sleep(0.25)  # status poll period

    async def _follow_events(self, d: DroneState) -> None:
        async for ev in d.link.events():
            kind = str(ev.kind)
            if kind in ("progress", "reached", "mode", "statustext"):
                continue
            m = self.missions.get(d.mission_id or "")
            if m is not None:
                m.notes.append(
                    f"{time.strftime('%H:%M:%S')} {d.id}: {kind.replace('_', ' ')}"
                    f"{': ' + ev.detail if ev.detail else ''}"
                )
                self._update_mission_from(d)
                self._broadcast_mission(m)

    # ---- telemetry fan-out ----
    def subscribe(self, maxsize: int = 64) -> asyncio.Queue[dict[str, Any]]:
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize)
        self._subscribers.add(q)
        for d in self.drones.values():
            self._put(q, {"type": "drone", "drone": d.public()})
        for m in self.missions.values():
            self._put(q, {"type": "mission", "mission": m.public()})
        return q

    def unsubscribe(self, q: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(q)

    @staticmethod
    def _put(q: asyncio.Queue[dict[str, Any]], msg: dict[str, Any]) -> None:
        if q.full():  # a slow client loses its oldest sample, never blocks the others
            with contextlib.suppress(asyncio.QueueEmpty):
                q.get_nowait()
        q.put_nowait(msg)

    def _broadcast(self, msg: dict[str, Any]) -> None:
        for q in list(self._subscribers):
            self._put(q, msg)

    def _broadcast_drone(self, d: DroneState, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_sent.get(d.id, 0.0) < self._min_interval_s:
            return
        self._last_sent[d.id] = now
        self._broadcast({"type": "drone", "drone": d.public()})

    def _broadcast_mission(self, m: Mission) -> None:
        self._broadcast({"type": "mission", "mission": m.public()})

    def _on_telemetry(self, d: DroneState) -> None:
        self._broadcast_drone(d)
        self._update_mission_from(d)

    def _update_mission_from(self, d: DroneState) -> None:
        """Mission status from the drones' own mission states (flight.vehicle.MissionState)."""
        m = self.missions.get(d.mission_id or "")
        if m is None or m.status not in ACTIVE or d.link is None:
            return
        before = (m.status, round(sum(m.progress.values()), 3))
        t = d.telemetry
        if t is not None and t.armed and t.rel_alt_m > 2.0:
            m.was_airborne.add(d.id)
        sts = {i: self.drones[i].link.status for i in m.drone_ids if self.drones[i].link is not None}
        st = sts.get(d.id)
        if st is not None and st.total_items:
            m.progress[d.id] = max(m.progress.get(d.id, 0.0), min(1.0, st.current_item / st.total_items))
        states = {str(s.mission) for s in sts.values()}
        landed = all(
            i in m.was_airborne and (tel := self.drones[i].telemetry) is not None and not tel.armed
            for i in m.drone_ids
        )
        if m.status != MissionStatus.STARTING or "running" in states:
            if (states <= {"completed", "idle"} and landed) or (
                landed and states <= {"completed", "idle", "recalled", "aborted"}
            ):
                m.status = MissionStatus.COMPLETED
            elif "aborted" in states or "recalled" in states:
                m.status = MissionStatus.RETURNING
            elif "running" in states:
                m.status = MissionStatus.FLYING
            elif states == {"paused"}:
                m.status = MissionStatus.PAUSED
        if m.status == MissionStatus.COMPLETED:
            for i in m.drone_ids:
                m.progress[i] = 1.0 if str(sts[i].mission) == "completed" else m.progress.get(i, 0.0)
                if self.drones[i].mission_id == m.id:
                    self.drones[i].mission_id = None
            m.notes.append(f"{time.strftime('%H:%M:%S')} all drones landed")
        if (m.status, round(sum(m.progress.values()), 3)) != before:
            self._broadcast_mission(m)

    # ---- planning ----
    def plan(self, req: PlanRequest, *, tide_m: float | None = None) -> PlannedPatrol:
        """``tide_m``: the tide height now; the offshore distance then counts from the water's edge
        it leaves (hundreds of metres beyond the mapped waterline on a flat beach at low water)."""
        from flight.errors import PlanError
        from flight.planning import GeoPoint, fleet_corridor
        from flight.revisit import revisit
        from flight.validation import validate_plan

        if not (1 <= req.drones <= len(self.drones)):
            raise PlanRejected(
                f"drones must be between 1 and {len(self.drones)} (the site's drones), got {req.drones}"
            )
        a = _coast_position(self.site, req.start)
        b = _coast_position(self.site, req.end)
        if abs(b - a) < 200:
            raise PlanRejected(
                f"{req.start!r} and {req.end!r} are {abs(b - a):.0f} m apart along the coast; need at least 200 m"
            )
        free = [d for d in self.drones.values() if d.mission_id is None]
        chosen = (free + [d for d in self.drones.values() if d.mission_id is not None])[: req.drones]
        homes = None
        if all(d.telemetry is not None for d in chosen):
            homes = [GeoPoint(d.telemetry.lat_deg, d.telemetry.lon_deg, 0.0) for d in chosen if d.telemetry]
        try:
            plans = fleet_corridor(
                self.site,
                req.drones,
                start_m=min(a, b),
                end_m=max(a, b),
                drone_ids=[d.id for d in chosen],
                homes=homes,
                standoff_m=req.offset_m,
                altitude_m=req.alt_m,
                speed_mps=req.speed_mps,
                tide_m=tide_m,
            )
        except PlanError as exc:
            raise PlanRejected(str(exc)) from exc
        problems = [f"{p.drone_id}: {pr}" for p in plans for pr in validate_plan(p, self.site)]
        if problems:
            raise PlanRejected("the patrol breaks safety rules: " + "; ".join(problems))
        warnings = [f"{d.id} is not connected" for d in chosen if not d.link_ok]
        fs, f = self.site.foreshore, self.site.tide_fraction(tide_m)
        if fs is not None and f > 0 and tide_m is not None:
            lo, hi = sorted((a, b))
            out = fs.width_m[(fs.along_m >= lo) & (fs.along_m <= hi)] * f
            if len(out) and out.max() >= 1:
                warnings.append(
                    f"tide {tide_m:.1f} m: offshore counted from the water's edge, up to "
                    f"{out.max():.0f} m beyond the mapped waterline here"
                )
        warnings += [f"{d.id} is on mission {d.mission_id}" for d in chosen if d.mission_id]
        try:
            report = revisit(self.site, plans, swap_s=self.swap_s, start_m=min(a, b), end_m=max(a, b))
        except PlanError as exc:  # the preview still stands without it
            warnings.append(f"revisit time not computed: {exc}")
            report = None
        patrol = PlannedPatrol("plan-" + secrets.token_hex(4), req, plans, warnings, revisit=report)
        self.plans[patrol.plan_id] = patrol
        return patrol

    # ---- commands ----
    def _drone(self, drone_id: str) -> DroneState:
        try:
            return self.drones[drone_id]
        except KeyError:
            raise UnknownDrone(f"no drone {drone_id!r}; the site has {sorted(self.drones)}") from None

    def mission(self, mission_id: str) -> Mission:
        try:
            return self.missions[mission_id]
        except KeyError:
            raise UnknownMission(f"no mission {mission_id!r}") from None

    async def launch(self, plan_id: str) -> Mission:
        try:
            patrol = self.plans[plan_id]
        except KeyError:
            raise UnknownPlan(f"no plan {plan_id!r}; POST /missions/plan first") from None
        drones = [self._drone(p.drone_id) for p in patrol.plans]
        for d in drones:
            if not d.link_ok:
                raise DroneBusy(
                    f"{d.id} is not connected ({d.state}{': ' + d.last_error if d.last_error else ''})"
                )
            if d.mission_id is not None and self.missions[d.mission_id].status in ACTIVE:
                raise DroneBusy(f"{d.id} is already on mission {d.mission_id}; recall it first")
        m = Mission("mission-" + secrets.token_hex(4), patrol, [d.id for d in drones])
        self.missions[m.id] = m
        for d in drones:
            d.mission_id = m.id
        self._broadcast_mission(m)
        task = asyncio.create_task(self._start_all(m, drones, patrol.plans), name=f"{m.id}-start")
        self._tasks.append(task)
        return m

    async def _start_all(self, m: Mission, drones: list[DroneState], plans: list[Any]) -> None:
        """Preflight, upload, take off and go AUTO on every drone (in parallel); a drone that
        cannot start is noted on the mission, which fails only when none could."""
        results = await asyncio.gather(
            *(self._start_one(d, p) for d, p in zip(drones, plans, strict=True)), return_exceptions=True
        )
        failures = [(d, r) for d, r in zip(drones, results, strict=True) if isinstance(r, BaseException)]
        for d, r in failures:
            m.notes.append(f"{d.id}: could not start: {type(r).__name__}: {r}")
            logger.warning("mission %s: %s could not start: %s", m.id, d.id, r)
            d.mission_id = None
            m.drone_ids.remove(d.id)
        if not m.drone_ids:
            m.status = MissionStatus.FAILED
        elif m.status == MissionStatus.STARTING:
            m.status = MissionStatus.FLYING
        self._broadcast_mission(m)

    async def _start_one(self, d: DroneState, plan: Any) -> None:
        link = d.link
        if link is None:
            raise DroneBusy(f"{d.id} lost its link")
        await asyncio.wait_for(link.start_mission(plan, site=self.site), self._command_timeout_s)

    async def _each(self, m: Mission, command: str) -> Mission:
        if m.status not in ACTIVE:
            raise DroneBusy(f"mission {m.id} is {m.status.value}; nothing to {command}")
        errors = []
        for did in m.drone_ids:
            d = self.drones[did]
            if d.link is None:
                errors.append(f"{did}: no link")
                continue
            try:
                async with d.command_lock:
                    await asyncio.wait_for(getattr(d.link, command)(), self._command_timeout_s)
            except Exception as exc:
                errors.append(f"{did}: {type(exc).__name__}: {exc}")
        if errors and len(errors) == len(m.drone_ids):
            raise DroneBusy(f"{command} failed: " + "; ".join(errors))
        for e in errors:
            m.notes.append(f"{command} failed for {e}")
        return m

    async def pause(self, mission_id: str) -> Mission:
        m = self.mission(mission_id)
        self._cancel_investigations(m)
        await self._each(m, "pause")
        m.status, m.commanded = MissionStatus.PAUSED, "pause"
        self._broadcast_mission(m)
        return m

    async def resume(self, mission_id: str) -> Mission:
        m = self.mission(mission_id)
        if m.status != MissionStatus.PAUSED:
            raise DroneBusy(f"mission {m.id} is {m.status.value}, not paused")
        await self._each(m, "resume")
        m.status, m.commanded = MissionStatus.FLYING, "resume"
        self._broadcast_mission(m)
        return m

    # ---- a closer look: orbit a point, then go back to the patrol ----
    def investigate(
        self,
        lat_deg: float,
        lon_deg: float,
        *,
        radius_m: float = 60.0,
        laps: float = 1.0,
        speed_mps: float = 6.0,
        drone_id: str | None = None,
        label: str = "",
    ) -> DroneState:
        """Send a drone (``drone_id``, else the airborne one nearest the point) to circle the
        point with its camera on it, then resume its patrol where it stopped (AUTO continues the
        mission from its current waypoint) or, without one, hold there (LOITER). Refused, with the
        reason, for a point outside the geofence or in a no-fly zone, or when no drone is airborne
        and free. Returns the chosen drone; the orbit runs in the background, its progress in the
        mission's notes and the drone's ``investigating``."""
        from shapely.geometry import Point

        from shorewatch.geo import distance_m

        pt = Point(lon_deg, lat_deg)
        if self.site.geofence is not None and not self.site.geofence.contains(pt):
            raise PlanRejected(f"({lat_deg:.5f}, {lon_deg:.5f}) is outside the site's geofence")
        local = self.site.to_local(pt)
        if self.site.geofence is not None and not self.site.to_local(self.site.geofence).contains(
            local.buffer(radius_m)
        ):
            raise PlanRejected(
                f"an orbit of {radius_m:.0f} m round ({lat_deg:.5f}, {lon_deg:.5f}) crosses the site's geofence"
            )
        for z in self.site.no_fly:
            if self.site.to_local(z.geometry).distance(local) <= radius_m:  # metres
                raise PlanRejected(
                    f"an orbit of {radius_m:.0f} m round ({lat_deg:.5f}, {lon_deg:.5f}) enters no-fly zone {z.name!r}"
                )

        def airborne(d: DroneState) -> bool:
            t = d.telemetry
            return d.link is not None and d.link_ok and t is not None and t.armed and t.rel_alt_m > 5.0

        if drone_id is not None:
            d = self._drone(drone_id)
            if not airborne(d):
                raise DroneBusy(f"{drone_id} is not airborne with a working link; launch a patrol first")
            if d.investigating:
                raise DroneBusy(f"{drone_id} is already orbiting {d.investigating}")
            chosen = d
        else:
            free = [d for d in self.drones.values() if airborne(d) and not d.investigating]
            if not free:
                raise DroneBusy("no drone is airborne and free; launch a patrol first")
            chosen = min(
                free,
                key=lambda d: distance_m(d.telemetry.lat_deg, d.telemetry.lon_deg, lat_deg, lon_deg),  # type: ignore[union-attr]
            )
        m = self.missions.get(chosen.mission_id or "")
        if m is not None and m.status not in (MissionStatus.FLYING, MissionStatus.PAUSED):
            raise DroneBusy(
                f"{chosen.id}'s patrol is {m.status.value}; an orbit can start once it is flying or paused"
            )
        tel = chosen.telemetry
        assert tel is not None
        alt = min(max(20.0, tel.rel_alt_m), self.site.ceiling_m)
        what = f"{label + ' at ' if label else ''}{lat_deg:.5f}, {lon_deg:.5f}"
        chosen.investigating = what
        self._note(chosen, f"orbiting {what}: {radius_m:.0f} m radius, {laps:g} lap(s) at {alt:.0f} m")
        self._broadcast_drone(chosen, force=True)
        task = asyncio.create_task(
            self._orbit_then_resume(chosen, lat_deg, lon_deg, radius_m, alt, speed_mps, laps),
            name=f"{chosen.id}-investigate",
        )
        self._tasks.append(task)  # cancelled with the rest when the manager stops
        self._investigations[chosen.id] = task
        return chosen

    def _note(self, d: DroneState, text: str) -> None:
        m = self.missions.get(d.mission_id or "")
        line = f"{time.strftime('%H:%M:%S')} {d.id}: {text}"
        logger.info("%s", line)
        if m is not None:
            m.notes.append(line)
            self._broadcast_mission(m)

    async def _orbit_then_resume(
        self,
        d: DroneState,
        lat: float,
        lon: float,
        radius_m: float,
        alt_m: float,
        speed_mps: float,
        laps: float,
    ) -> None:
        link = d.link
        try:
            try:  # the orbit: a pilot's pause or recall cancels it (its GUIDED points are harmless after)
                await link.orbit(lat, lon, radius_m, alt_m, speed_mps=speed_mps, laps=laps)
                self._note(d, "orbit done")
            except asyncio.CancelledError:
                self._note(d, "orbit cancelled by the pilot")
                raise
            except Exception as exc:
                self._note(d, f"orbit failed: {type(exc).__name__}: {exc}")
            self._investigations.pop(d.id, None)  # from here a pilot's command waits for the lock
            async with d.command_lock:
                try:
                    await asyncio.wait_for(link.clear_roi(), self._command_timeout_s)
                    m = self.missions.get(d.mission_id or "")
                    if m is None:
                        await asyncio.wait_for(link.pause(), self._command_timeout_s)
                        self._note(d, "holding over the point (no patrol to resume)")
                    elif m.status in (MissionStatus.FLYING, MissionStatus.PAUSED) and m.commanded not in (
                        "pause",
                        "recall",
                    ):
                        await asyncio.wait_for(link.resume(), self._command_timeout_s)
                        m.status = MissionStatus.FLYING
                        self._note(d, "patrol resumed where it stopped")
                    elif m.status == MissionStatus.PAUSED:  # the pilot had paused it: hold, as paused
                        await asyncio.wait_for(link.pause(), self._command_timeout_s)
                        self._note(d, "holding over the point (the patrol is paused)")
                except Exception as exc:
                    self._note(d, f"could not go back to the patrol: {type(exc).__name__}: {exc}")
        finally:
            d.investigating = None
            self._investigations.pop(d.id, None)
            self._broadcast_drone(d, force=True)

    def _cancel_investigations(self, m: Mission) -> None:
        """A pilot's pause or recall wins over an orbit in progress."""
        for did in m.drone_ids:
            t = self._investigations.pop(did, None)
            if t is not None and not t.done():
                t.cancel()

    async def recall(self, mission_id: str) -> Mission:
        m = self.mission(mission_id)
        m.commanded = "recall"
        self._cancel_investigations(m)
        await self._each(m, "rtl")
        m.status = MissionStatus.RETURNING
        m.notes.append(f"{time.strftime('%H:%M:%S')} recalled by the pilot")
        self._broadcast_mission(m)
        return m
