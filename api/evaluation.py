"""Event-level evaluation on rendered scenarios: the simulator's world and camera (``flight.sim``)
feed the detector's full pipeline (``detector.pipeline``); this module, allowed to import both,
compares the events with the world's ground truth.

Metrics per run (one scenario, one seed):

* ``launch_detected``: a ``launch`` event whose position is within ``match_radius_m`` of the
  true launch point (or of the launched boat) was raised;
* ``latency_s``: its first emission time minus the time the boat entered the water (negative:
  raised while the boat was dragged to the water's edge, ``launch_edge_m``, before it floated);
* ``position_error_m``: distance from that first emission's position to where the boat entered the
  water; ``stated_error_m`` the one-sigma error that emission stated;
* ``false_events`` and ``false_events_per_hour``: events (first emissions) with no true object of
  their kind within ``match_radius_m`` (plus twice the event's stated error, at most 500 m) when
  raised (a boat for launch / boat_at_sea, a person in the water for person_in_water,
  ``gathering_min_people`` people for gathering); ``false_event_details``: kind, time, place, stated error and how far the
  nearest true object of that kind was.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from shorewatch.geo import distance_m
from shorewatch.types import Event, EventKind


@dataclass(frozen=True, slots=True)
class ScenarioScore:
    scenario: str
    seed: int
    frames: int
    duration_s: float
    launch_expected: bool
    launch_detected: bool
    latency_s: float | None
    position_error_m: float | None
    stated_error_m: float | None
    launch_event_id: str | None
    false_events: int
    false_events_per_hour: float
    events: dict[str, int] = field(default_factory=dict)
    false_event_details: list[dict[str, Any]] = field(default_factory=list)
    pipeline_fps: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _truth_check(
    ev: Event, objects: list[Any], site: Any, radius_m: float, min_people: int
) -> tuple[bool, float | None]:
    """Whether a true object of the event's kind is within ``radius_m`` plus twice the event's
    stated one-sigma error (at most 500 m: a boat a kilometre out, seen two degrees below the
    horizon, is honestly placed to within hundreds of metres) of it, and how far the nearest one
    is (for a gathering: the ``min_people``-th nearest person); None when there is none at all."""
    e, n = site.frame.to_local(ev.lat_deg, ev.lon_deg)
    r = radius_m + min(2.0 * ev.position_error_m, 500.0)

    def dists(pred: Callable[[Any], bool]) -> list[float]:
        return sorted(math.hypot(o.east_m - e, o.north_m - n) for o in objects if pred(o))

    need = 1
    if ev.kind in (EventKind.LAUNCH, EventKind.BOAT_AT_SEA):
        d = dists(lambda o: o.class_name == "boat" or o.kind == "bundle")
    elif ev.kind is EventKind.PERSON_IN_WATER:
        d = dists(lambda o: o.class_name == "person" and o.in_water and not o.in_boat)
    elif ev.kind is EventKind.GATHERING:
        d, need = dists(lambda o: o.class_name == "person"), min_people
    else:
        return False, None
    nearest = d[need - 1] if len(d) >= need else None
    return nearest is not None and nearest <= r, nearest


def evaluate_scenario(
    scenario: str | Path,
    detector: Any,
    *,
    seed: int = 1,
    seconds: float | None = None,
    fps: float | None = None,
    match_radius_m: float = 60.0,
    event_config: Any = None,
    progress: Callable[[int, int], None] | None = None,
    use_tide: bool = True,
    telemetry_error: Any = None,
    horizon: Any = None,
) -> ScenarioScore:
    """``detector=None``: the simulator's ground truth as detections (``OracleDetector``).
    ``use_tide=False``: the events are not told the scenario's tide (the rendering keeps it).
    Frames are rendered from the drone's true pose and carry the pose it reports, with the
    scenario's ``drone.telemetry_error`` or ``telemetry_error`` (a ``TelemetryError`` or a preset
    name: ``none``, ``typical``, ``poor``). ``horizon``: a ``HorizonConfig`` (default: levelling
    on the horizon on, as in the live service)."""
    from api.sim_source import OracleDetector
    from detector.events import EventConfig
    from detector.pipeline import DetectionPipeline
    from flight.sim.camera import SimCamera
    from flight.sim.render import ScriptedFlight
    from flight.sim.scenario import TelemetryError, load_scenario
    from flight.sim.world import World
    from shorewatch.site import load_site

    sc = load_scenario(scenario)
    site = load_site(sc.site)
    world = World(site, sc, seed)
    cam = SimCamera(world, seed=seed)
    if isinstance(telemetry_error, str):
        telemetry_error = TelemetryError.preset(telemetry_error)
    flight = ScriptedFlight(world, sc.drone, telemetry_error)
    ecfg = event_config or EventConfig()
    rate = fps or sc.drone.fps
    truth_now: list[Any] = []
    if detector is None:  # perfect detections: the events and the geometry apart from the model
        detector = OracleDetector(lambda _frame: truth_now)
    pipe = DetectionPipeline(
        detector,
        site,
        event_config=ecfg,
        tracker_config=None,
        tide=None if sc.tide_m is None or not use_tide else (lambda _t: sc.tide_m),
        horizon=horizon,
    )
    pipe.tracker.config = pipe.tracker.config.model_copy(update={"frame_rate": rate})
    dur = sc.duration_s if seconds is None else min(seconds, sc.duration_s)
    n_frames = round(dur * rate)
    first: dict[str, tuple[Event, tuple[bool, float | None]]] = {}
    counts: dict[str, int] = {}
    busy = 0.0
    for i in range(n_frames):
        t = i / rate
        objects = world.step_to(t)
        frame, seen = flight.frame_at(cam, t)
        truth_now[:] = seen
        t0 = time.perf_counter()
        res = pipe.process(frame)
        busy += time.perf_counter() - t0
        for ev in res.events:
            if ev.event_id not in first:
                first[ev.event_id] = (
                    ev,
                    _truth_check(ev, objects, site, match_radius_m, ecfg.gathering_min_people),
                )
                counts[str(ev.kind)] = counts.get(str(ev.kind), 0) + 1
        if progress:
            progress(i + 1, n_frames)
    truth = world.truth_launch()
    expected = truth is not None  # the boat entered the water within the evaluated window
    detected = False
    latency = pos_err = stated = None
    launch_id = None
    if truth is not None:
        best: tuple[float, Event] | None = None
        for ev, _check in first.values():
            if ev.kind is not EventKind.LAUNCH:
                continue
            d = distance_m(ev.lat_deg, ev.lon_deg, truth.lat_deg, truth.lon_deg)
            if d <= match_radius_m + 150.0 and (best is None or ev.timestamp_s < best[1].timestamp_s):
                best = (d, ev)
        if best is not None:
            detected = True
            pos_err, ev = best
            latency = ev.timestamp_s - truth.timestamp_s
            stated = ev.position_error_m
            launch_id = ev.event_id
    false = [
        {
            "kind": str(ev.kind),
            "time_s": round(ev.timestamp_s, 2),
            "lat": round(ev.lat_deg, 7),
            "lon": round(ev.lon_deg, 7),
            "stated_error_m": round(ev.position_error_m, 1),
            "nearest_true_m": None if nearest is None else round(nearest, 1),
        }
        for eid, (ev, (ok, nearest)) in first.items()
        if not ok and eid != launch_id
    ]
    hours = max(dur, 1e-9) / 3600.0
    return ScenarioScore(
        scenario=sc.name,
        seed=seed,
        frames=n_frames,
        duration_s=dur,
        launch_expected=expected,
        launch_detected=detected,
        latency_s=latency,
        position_error_m=pos_err,
        stated_error_m=stated,
        launch_event_id=launch_id,
        false_events=len(false),
        false_events_per_hour=len(false) / hours,
        false_event_details=false,
        events=counts,
        pipeline_fps=n_frames / busy if busy > 0 else 0.0,
    )


def summarise(scores: list[ScenarioScore]) -> dict[str, Any]:
    with_launch = [s for s in scores if s.launch_expected]
    detected = [s for s in with_launch if s.launch_detected]
    lat = [s.latency_s for s in detected if s.latency_s is not None]
    err = [s.position_error_m for s in detected if s.position_error_m is not None]
    hours = sum(s.duration_s for s in scores) / 3600.0
    return {
        "runs": len(scores),
        "launch_runs": len(with_launch),
        "launches_detected": len(detected),
        "detection_rate": len(detected) / len(with_launch) if with_launch else None,
        "median_latency_s": float(np.median(lat)) if lat else None,
        "median_position_error_m": float(np.median(err)) if err else None,
        "false_events_per_hour": sum(s.false_events for s in scores) / hours if hours else None,
    }
