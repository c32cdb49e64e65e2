"""``shorewatch demo``: the whole pipeline in one process (issue 9).

    SimFleet (ArduCopter-like drones over MAVLink/TCP)  <-- MissionManager (flight.vehicle.Drone)
         | vehicle pose (sim time)                            ^ plans and flies a corridor patrol
         v                                                    |
    SimCameraSource (World + SimCamera) --frames--> StreamManager --> DetectionPipeline
                                                         --> AlertService (SQLite, then push)
                                                         --> dashboard / WebSocket / SSE clients

The scenario's clock starts when drone-1 arrives on station (``station_m`` from the scenario's
anchor, at patrol altitude), so what the scenario scripts happens while the camera can see it.
A headless run ends by printing one JSON summary (see ``DemoReport.summary``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from api.settings import Settings
from shorewatch.geo import distance_m
from shorewatch.types import Event, EventKind, Frame

logger = logging.getLogger(__name__)


class DemoError(RuntimeError):
    """The demo could not start (port taken, model missing, scenario invalid)."""


@dataclass
class DemoOptions:
    drones: int = 1
    speedup: float = 4.0
    scenario: str = "dawn_launch_wissant"
    headless: bool = False
    duration_s: float | None = None  # scenario seconds after the scenario starts; default: its length
    seed: int = 0
    camera_fps: float = 2.0  # sim-time frames per second per drone
    altitude_m: float = 60.0
    speed_mps: float = 3.0
    standoff_m: float = 80.0
    half_span_m: float = 450.0  # patrol this far either side of the scenario's anchor
    station_m: float = (
        330.0  # start the scenario clock when drone-1, on its patrol line, is this close to the launch spot
    )
    serve: bool = True  # run the HTTP API/dashboard
    wall_timeout_s: float = 900.0
    on_ready: Callable[[DemoContext], Awaitable[None]] | None = None  # runs once the patrol is launched
    oracle: bool = False  # detect with the simulator's ground truth instead of the model
    # what the drones report wrong about their pose: a preset name (flight.sim.scenario
    # TELEMETRY_ERROR_PRESETS); None: the scenario's drone.telemetry_error
    telemetry_error: str | None = None


@dataclass
class DemoContext:
    """What a running demo is made of (for scripts and tests that drive it)."""

    app: Any
    fleet: Any
    world: Any
    world_lock: threading.Lock
    missions: Any
    streams: Any
    mission_id: str
    scenario_t0: list[float]
    settings: Settings
    finish: asyncio.Event  # set it to end the demo

    def scenario_time_s(self) -> float | None:
        return self.fleet.vehicles[0].sim_time_s - self.scenario_t0[0] if self.scenario_t0 else None


@dataclass
class AlertRecord:
    kind: str
    event_id: str
    seq: int | None
    time_s: float  # scenario time of the first alert of this episode
    position: dict[str, float]
    true_position: dict[str, float] | None
    error_m: float | None
    drone_id: str
    revisions: int = 1


@dataclass
class DemoReport:
    scenario: str
    alerts: dict[str, AlertRecord] = field(default_factory=dict)
    launch_truth: dict[str, float] | None = None
    streams: list[dict[str, Any]] = field(default_factory=list)
    mission: dict[str, Any] | None = None
    coverage: dict[str, Any] | None = None  # the shoreline coverage map's summary at the end
    scenario_started: bool = False
    wall_s: float = 0.0
    sim_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        frames = {
            "captured": sum(s["frames_captured"] for s in self.streams),
            "processed": sum(s["frames_processed"] for s in self.streams),
            "dropped": sum(s["frames_dropped"] for s in self.streams),
        }
        lat = [s["latency_ms"] for s in self.streams]
        alerts = []
        for a in self.alerts.values():
            d: dict[str, Any] = {
                "kind": a.kind,
                "event_id": a.event_id,
                "seq": a.seq,
                "time_s": round(a.time_s, 2),
                "position": a.position,
                "true_position": a.true_position,
                "position_error_m": None if a.error_m is None else round(a.error_m, 1),
                "drone_id": a.drone_id,
                "revisions": a.revisions,
            }
            if a.kind == EventKind.LAUNCH and self.launch_truth is not None:
                d["seconds_after_boat_entered_water"] = round(a.time_s - self.launch_truth["timestamp_s"], 2)
            alerts.append(d)
        return {
            "scenario": self.scenario,
            "scenario_started": self.scenario_started,
            "alerts": sorted(alerts, key=lambda x: x["time_s"]),
            "launch_truth": self.launch_truth,
            "frames": frames,
            "latency_ms": lat[0]
            if len(lat) == 1
            else {s["stream_id"]: s["latency_ms"] for s in self.streams},
            "streams": self.streams,
            "mission": self.mission,
            "coverage": self.coverage,
            "wall_s": round(self.wall_s, 1),
            "sim_s": round(self.sim_s, 1),
        }


def _true_position(world: Any, kind: str, lat: float, lon: float) -> dict[str, float] | None:
    """Where the object an alert is about really was: the nearest labelled object of the
    alert's class (the launched boat for a launch)."""
    want = "person" if kind in (EventKind.PERSON_IN_WATER, EventKind.GATHERING) else "boat"
    fr = world.site.frame
    e0, n0 = fr.to_local(lat, lon)
    best = None
    for o in world.objects:
        if o.class_name != want or not o.labelled:
            continue
        d = math.hypot(o.east_m - e0, o.north_m - n0)
        if best is None or d < best[0]:
            best = (d, o)
    if best is None:
        return None
    tlat, tlon = fr.to_geo(best[1].east_m, best[1].north_m)
    return {"lat": round(tlat, 7), "lon": round(tlon, 7)}


async def run_demo(settings: Settings, opts: DemoOptions) -> DemoReport:
    import uvicorn

    from api.app import create_app
    from api.missions import PlannedPatrol, PlanRequest
    from api.sim_source import SimCameraSource
    from api.streams import StreamManager, default_coverage
    from detector.model import load_detector
    from detector.pipeline import DetectionPipeline
    from flight.planning import GeoPoint, fleet_corridor, position_along_coast
    from flight.sim.camera import SimCamera
    from flight.sim.scenario import TelemetryError, load_scenario
    from flight.sim.sitl import Home, SimFleet
    from flight.sim.vehicle import VehicleConfig
    from flight.sim.world import World
    from flight.validation import ProblemCode, validate_plan
    from shorewatch.site import DroneConfig, load_site_and_tide_table
    from shorewatch.tide import TideNow
    from shorewatch.types import DEFAULT_INTRINSICS

    t_wall0 = time.monotonic()
    state = settings.ensure_state_dir()
    site, tide_problem = load_site_and_tide_table(settings.site, settings.tide_table)
    scenario = load_scenario(opts.scenario)
    anchor = site.launch_point(scenario.drone.anchor)
    report = DemoReport(scenario=scenario.name)

    sources: dict[str, Any] = {}
    detector: Any
    if opts.oracle:
        from api.sim_source import OracleDetector

        def truth_of(frame: Frame) -> list[Any]:
            src = sources.get(frame.source_id)
            return src.truth_by_index.get(frame.index, []) if src is not None else []

        detector = OracleDetector(truth_of)
    else:
        try:
            detector = await asyncio.to_thread(
                load_detector, settings.model, state, settings.detector_config()
            )
        except Exception as exc:
            raise DemoError(f"cannot load the detector: {exc}") from exc
    logger.info("detector: %s", detector.describe())

    # the camera renders from where each drone truly is; frames and MAVLink carry what it reports
    pose_error = (
        scenario.drone.telemetry_error
        if opts.telemetry_error is None
        else TelemetryError.preset(opts.telemetry_error)
    )
    fleet = SimFleet(
        instances=opts.drones,
        speedup=opts.speedup,
        base_port=settings.sitl_base_port,
        home=Home(anchor.lat_deg, anchor.lon_deg, 0.0, 0.0),
        site=site,
        config=VehicleConfig(seed=opts.seed, telemetry_error=pose_error),
    )
    try:
        fleet.start()
    except Exception as exc:
        raise DemoError(f"could not start the simulator on ports {fleet.ports}: {exc}") from exc

    world = World(site, scenario, opts.seed)
    world_lock = threading.Lock()
    stop = threading.Event()
    scenario_t0: list[float] = []  # sim time when the scenario clock read 0

    app = create_app(settings.model_copy(update={"demo_tokens": True}))
    app.state.mission_drones = [
        DroneConfig(id=f"drone-{i + 1}", connection=c) for i, c in enumerate(fleet.connection_strings)
    ]
    server = None
    server_task = None
    lifespan_cm = None
    if opts.serve:
        config = uvicorn.Config(
            app, host=settings.host, port=settings.port, log_level="warning", lifespan="on"
        )
        server = uvicorn.Server(config)
        server.install_signal_handlers = lambda: None  # type: ignore[attr-defined]
        server_task = asyncio.create_task(server.serve())
        t = time.monotonic()
        while not server.started:
            if server_task.done():
                fleet.stop()
                raise DemoError(
                    f"the API could not start on {settings.host}:{settings.port} (port in use? set SHOREWATCH_PORT)"
                )
            if time.monotonic() - t > 30:
                raise DemoError("the API did not start within 30 s")
            await asyncio.sleep(0.05)
    else:
        lifespan_cm = app.router.lifespan_context(app)
        await lifespan_cm.__aenter__()

    alerts_service = app.state.alerts
    missions = app.state.missions
    vehicles = {f"drone-{i + 1}": v for i, v in enumerate(fleet.vehicles)}

    # the simulated sea stands where the scenario put it (its tide_m, else at the mapped
    # waterline) and the events use that tide; a tide reported with PUT /tide moves the edge the
    # events use, not the rendered water
    tide = TideNow(site.tide, problem=tide_problem)
    if scenario.tide_m is not None and site.tide is not None:
        tide.observe(scenario.tide_m, 24 * 3600.0, f"scenario {scenario.name}")

    def processor_factory() -> DetectionPipeline:
        return DetectionPipeline(detector, site, tide=tide.height_m, horizon=settings.horizon_config())

    streams = StreamManager(
        alerts_service.ingest,
        site,
        processor_factory,
        coverage=default_coverage(site, settings.coverage_config()),
        tide=tide,
    )
    app.state.streams = streams

    def scenario_time(sim_t: float) -> float:
        return sim_t - scenario_t0[0] if scenario_t0 else -1.0

    def on_alert_for(drone_id: str) -> Any:
        def on_alert(event: Event, alert: Any) -> None:
            rec = report.alerts.get(event.event_id)
            if rec is not None:
                rec.revisions += 1
                return
            with world_lock:
                truth = _true_position(world, event.kind, event.lat_deg, event.lon_deg)
            err = (
                None
                if truth is None
                else distance_m(event.lat_deg, event.lon_deg, truth["lat"], truth["lon"])
            )
            report.alerts[event.event_id] = AlertRecord(
                kind=str(event.kind),
                event_id=event.event_id,
                seq=getattr(alert, "seq", None),
                time_s=scenario_time(event.timestamp_s),
                position={"lat": round(event.lat_deg, 7), "lon": round(event.lon_deg, 7)},
                true_position=truth,
                error_m=err,
                drone_id=drone_id,
            )
            logger.warning(
                "ALERT %s from %s at %.5f, %.5f (error %s m)",
                event.kind,
                drone_id,
                event.lat_deg,
                event.lon_deg,
                None if err is None else round(err),
            )

        return on_alert

    def start_camera(drone_id: str) -> None:
        v = vehicles[drone_id]
        cam = SimCamera(world, DEFAULT_INTRINSICS, seed=opts.seed)

        def scenario_ready_frames() -> Any:
            src = SimCameraSource(
                source_id=drone_id,
                telemetry=v.telemetry,
                true_telemetry=v.true_telemetry,
                sim_time=lambda: v.sim_time_s,
                speedup=opts.speedup,
                world=_ScenarioClockWorld(world, scenario_t0),
                camera=cam,
                fps=opts.camera_fps,
                scenario_t0_s=0.0,
                world_lock=world_lock,
                stop=stop,
            )
            sources[drone_id] = src
            return src.frames()

        streams.start(
            f"{drone_id}-camera",
            scenario_ready_frames,
            kind="live",
            drone_id=drone_id,
            on_alert=on_alert_for(drone_id),
        )

    # -- plan and fly the patrol through the same mission manager as the dashboard
    centre = position_along_coast(site, anchor.lat_deg, anchor.lon_deg)
    missions.start()
    try:
        await _wait(lambda: all(d.link_ok for d in missions.drones.values()), 60, "the drones to connect")
    except DemoError:
        await _shutdown(server, server_task, lifespan_cm, fleet)
        raise
    homes = [GeoPoint(v.telemetry().lat_deg, v.telemetry().lon_deg, 0.0) for v in fleet.vehicles]

    def corridor(laps: int) -> list[Any]:
        # one sector per drone, each as long as the lone drone's, drone-1's centred on the
        # scenario: split in two, the sectors met at the launch spot and neither drone watched it
        return fleet_corridor(
            site,
            opts.drones,
            start_m=centre - opts.half_span_m,
            end_m=centre - opts.half_span_m + 2 * opts.half_span_m * opts.drones,
            drone_ids=list(vehicles),
            homes=homes,
            standoff_m=opts.standoff_m,
            altitude_m=opts.altitude_m,
            speed_mps=opts.speed_mps,
            laps=laps,
        )

    # two laps (out and back past the beach) when the battery allows it, else one
    plans = corridor(2)
    if any(p.code == ProblemCode.BATTERY for plan in plans for p in validate_plan(plan, site)):
        plans = corridor(1)
    patrol = PlannedPatrol(
        "plan-demo",
        PlanRequest(
            start=anchor.name,
            end=anchor.name,
            alt_m=opts.altitude_m,
            drones=opts.drones,
            speed_mps=opts.speed_mps,
            offset_m=opts.standoff_m,
        ),
        plans,
        [],
    )
    missions.plans[patrol.plan_id] = patrol
    mission = await missions.launch(patrol.plan_id)
    for drone_id in vehicles:
        start_camera(drone_id)

    tokens_file = state / "demo_tokens.json"
    tokens_file.write_text(json.dumps(app.state.demo_tokens))
    tokens_file.chmod(0o600)
    if not opts.headless:
        _print_banner(settings, app.state.demo_tokens, mission.id)
    interrupted = asyncio.Event()
    ctx = DemoContext(
        app, fleet, world, world_lock, missions, streams, mission.id, scenario_t0, settings, interrupted
    )
    hook_task: asyncio.Task[None] | None = (
        asyncio.ensure_future(opts.on_ready(ctx)) if opts.on_ready is not None else None
    )

    lead = fleet.vehicles[0]
    # on station: past the first patrol waypoint (vehicle seq = plan index + 1, home is 0) and
    # within station_m of the waterline point nearest the scenario's anchor
    first_patrol_seq = 1 + next(i for i, it in enumerate(plans[0].items) if it.command == 16)
    from shapely.geometry import Point

    wl = site.waterline_local
    a_local = site.to_local(Point(anchor.lon_deg, anchor.lat_deg))
    spot = wl.interpolate(wl.project(a_local))
    spot_lat, spot_lon = site.frame.to_geo(spot.x, spot.y)
    duration = opts.duration_s if opts.duration_s is not None else scenario.duration_s
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, interrupted.set)
        loop.add_signal_handler(signal.SIGTERM, interrupted.set)
    try:
        while not interrupted.is_set():
            await asyncio.sleep(0.1)
            tel = lead.telemetry()
            if not scenario_t0:
                on_route = lead.mission_current > first_patrol_seq
                near = distance_m(tel.lat_deg, tel.lon_deg, spot_lat, spot_lon) <= opts.station_m
                if on_route and near and tel.mode == "AUTO" and tel.rel_alt_m >= 0.9 * opts.altitude_m:
                    scenario_t0.append(lead.sim_time_s)
                    report.scenario_started = True
                    logger.info(
                        "drone-1 on station: scenario %s starts (sim t=%.1f s)",
                        scenario.name,
                        lead.sim_time_s,
                    )
            elif lead.sim_time_s - scenario_t0[0] >= duration and (
                opts.headless or opts.duration_s is not None
            ):
                break
            if time.monotonic() - t_wall0 > opts.wall_timeout_s:
                logger.error("demo wall-clock limit of %.0f s reached", opts.wall_timeout_s)
                break
            if any(h.task.done() and h.runner.stats.error for h in streams.streams.values()):
                logger.error(
                    "a camera stream failed: %s", [h.runner.stats.error for h in streams.streams.values()]
                )
                break
            if hook_task is not None and hook_task.done() and hook_task.exception() is not None:
                raise hook_task.exception()  # type: ignore[misc]
    finally:
        if hook_task is not None and not hook_task.done():
            hook_task.cancel()
        stop.set()
        await streams.stop_all()
        report.streams = streams.summaries()
        report.coverage = streams.coverage.snapshot()["summary"]
        with world_lock:
            lt = world.truth_launch()
        if lt is not None:
            report.launch_truth = {
                "timestamp_s": round(lt.timestamp_s, 2),
                "lat": round(lt.lat_deg, 7),
                "lon": round(lt.lon_deg, 7),
            }
        with contextlib.suppress(Exception):
            report.mission = missions.mission(mission.id).public()
        report.sim_s = scenario_time(lead.sim_time_s)
        await _shutdown(server, server_task, lifespan_cm, fleet)
        report.wall_s = time.monotonic() - t_wall0
    return report


async def _shutdown(server: Any, server_task: Any, lifespan_cm: Any, fleet: Any) -> None:
    if server is not None and server_task is not None:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server_task, 20)
    elif lifespan_cm is not None:
        await lifespan_cm.__aexit__(None, None, None)
    fleet.stop()


class _ScenarioClockWorld:
    """The world seen through the scenario's clock: before the scenario starts, time stays 0."""

    def __init__(self, world: Any, t0: list[float]) -> None:
        self._world = world
        self._t0 = t0

    def step_to(self, sim_t: float) -> Any:
        return self._world.step_to(max(0.0, sim_t - self._t0[0]) if self._t0 else 0.0)


async def _wait(pred: Any, timeout_s: float, what: str) -> None:
    t = time.monotonic()
    while not pred():
        if time.monotonic() - t > timeout_s:
            raise DemoError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)


def _print_banner(settings: Settings, tokens: dict[str, str], mission_id: str) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    url = f"http://{settings.host}:{settings.port}/"
    con.print(f"\n[bold]shorewatch demo[/] — dashboard: [link={url}]{url}[/link]   mission {mission_id}")
    t = Table("role", "token (paste it into the dashboard's login)")
    for role, tok in tokens.items():
        t.add_row(role, tok)
    con.print(t)
    con.print(
        f"WebSocket: ws://{settings.host}:{settings.port}/ws/alerts?token=<patrol token>   Ctrl-C stops.\n"
    )


def main_demo(settings: Settings, opts: DemoOptions) -> int:
    report = asyncio.run(run_demo(settings, opts))
    summary = report.summary()
    if opts.headless:
        print(json.dumps(summary))
    else:
        from rich.console import Console

        Console().print_json(json.dumps(summary))
    return 0
