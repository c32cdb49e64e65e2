"""Telemetry errors: how far a drone's reported pose moves what shorewatch places on the map and
the launch alerts it raises, with the simulator's own detections.

Method: the dawn launch at Wissant (``dawn_launch_wissant``: drone at 45 m above mean sea level
patrolling the back of the beach, camera at -22 deg), held-out seeds 11 upwards. Each frame is
rendered from the drone's true pose and given to the pipeline with the pose it reports under
three sets of errors (``flight.sim.scenario.TelemetryError``: ``none``; ``typical``: GNSS 1.5 m
per axis wandering over 60 s, altitude bias 1.5 m, heading bias 1.0 deg, pitch bias 0.5 deg,
0.1 deg jitter, telemetry 0.1 s old; ``poor``: twice each). Geometry: the simulator's ground
truth boxes (boats and people at least 6 px tall, one frame every 5 s) georeferenced by
``Georeferencer.locate`` from the reported pose and compared with where the simulator put each
object: median and 90th percentile error, and the share inside the stated one-sigma radius
(``error_m`` and ``bias_m`` in quadrature, as an alert states it; its GNSS part is the receiver's accuracy that each reported pose carries, sqrt(2) x the per-axis sigma, since 2 December). Events: ``evaluate_scenario`` with the ground truth as detections
(``OracleDetector``, 2 frames/s, the whole 180 s), so the event rules and georeferencing are
measured apart from the model: launches raised, median latency after the boat entered the water,
median position error, false events. Each twice: with the pitch as reported, and levelled on the
sea's horizon (``detector.horizon.HorizonLevel``, one per drone and preset, as the pipeline does
by default); objects 250 m or more from the drone are also counted apart. Writes its own section
of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._common import method_of, publish, rendered_truth  # noqa: E402

SECTION = "telemetry-error"
SCENARIO = "dawn_launch_wissant"
PRESETS = ("none", "typical", "poor")


FAR_M = 250.0  # objects at least this far from the drone are counted apart (the pitch error's share grows with range)
MODES = ("reported", "levelled")  # the pose as the drone reports it; its pitch measured on the horizon


def geometry(
    seeds: list[int], step_s: float
) -> dict[tuple[str, str], tuple[list[float], list[float], list[float]]]:
    """Per (preset, mode): (errors m, stated one-sigma m, range m) of every visible true object."""
    from detector.georef import Georeferencer
    from detector.horizon import HorizonLevel
    from flight.sim.render import ScriptedFlight
    from flight.sim.scenario import TelemetryError, load_scenario
    from shorewatch.site import load_site

    sc = load_scenario(SCENARIO)
    site = load_site(sc.site)
    surface = site.sea_surface_m(sc.tide_m)
    geo = Georeferencer(site.frame)
    out: dict[tuple[str, str], tuple[list[float], list[float], list[float]]] = {
        (p, m): ([], [], []) for p in PRESETS for m in MODES
    }
    flights: dict[str, ScriptedFlight] = {}
    levels: dict[str, HorizonLevel] = {}
    for v in rendered_truth(sc, seeds, step_s):
        if not flights or flights["none"].world is not v.world:  # a new seed: one drone per preset
            flights = {p: ScriptedFlight(v.world, sc.drone, TelemetryError.preset(p)) for p in PRESETS}
            levels = {p: HorizonLevel(surface_m=surface) for p in PRESETS}
        for p, fl in flights.items():
            reported = dataclasses.replace(v.frame, telemetry=fl.reported(v.t_s))
            for m, frame in (("reported", reported), ("levelled", levels[p].level(reported))):
                g = geo.locate(frame, v.xyxy, v.class_id, surface_m=surface)
                err = np.hypot(g.east_m - v.true_en[:, 0], g.north_m - v.true_en[:, 1])
                tel = frame.telemetry
                assert tel is not None
                east, north = site.frame.to_local(tel.lat_deg, tel.lon_deg)
                rng = np.hypot(v.true_en[:, 0] - east, v.true_en[:, 1] - north)
                ok = np.isfinite(err)
                out[p, m][0].extend(err[ok].tolist())
                out[p, m][1].extend(np.hypot(g.error_m, g.bias_m)[ok].tolist())
                out[p, m][2].extend(rng[ok].tolist())
    return out


def events(seeds: list[int], fps: float) -> dict[tuple[str, str], list]:
    from api.evaluation import evaluate_scenario
    from detector.horizon import HorizonConfig

    off = HorizonConfig(enabled=False)
    return {
        (p, m): [
            evaluate_scenario(
                SCENARIO, None, seed=s, fps=fps, telemetry_error=p, horizon=off if m == "reported" else None
            )
            for s in seeds
        ]
        for p in PRESETS
        for m in MODES
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13, 14, 15, 16])
    ap.add_argument("--step-s", type=float, default=5.0)
    ap.add_argument("--fps", type=float, default=2.0)
    ap.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = ap.parse_args()

    geo = geometry(args.seeds, args.step_s)
    geo_rows = []
    for p in PRESETS:
        for m in MODES:
            e, s, r = (np.array(x) for x in geo[p, m])
            far = r >= FAR_M
            geo_rows.append(
                f"| {p} | {m} | {len(e)} | {np.median(e):.1f} | {np.percentile(e, 90):.1f} | "
                f"{np.median(s):.1f} | {100 * float(np.mean(e <= s)):.0f} % | {int(far.sum())} | "
                f"{np.median(e[far]) if far.any() else float('nan'):.1f} | "
                f"{np.percentile(e[far], 90) if far.any() else float('nan'):.1f} | "
                f"{100 * float(np.mean(e[far] <= s[far])) if far.any() else float('nan'):.0f} % |"
            )
            print(geo_rows[-1], flush=True)
    ev = events(args.seeds, args.fps)
    ev_rows = []
    for p, m in ev:
        runs = ev[p, m]
        hit = [r for r in runs if r.launch_detected]
        lat = [r.latency_s for r in hit if r.latency_s is not None]
        err = [r.position_error_m for r in hit if r.position_error_m is not None]
        stated = [r.stated_error_m for r in hit if r.stated_error_m is not None]
        false = sum(r.false_events for r in runs)
        ev_rows.append(
            f"| {p} | {m} | {len(hit)}/{len(runs)} | {np.median(lat):.1f} ({min(lat):.1f} to {max(lat):.1f}) | "
            f"{np.median(err):.1f} ({max(err):.1f}) | {np.median(stated):.1f} | {false} |"
        )
        print(ev_rows[-1], flush=True)
    publish(
        SECTION,
        [
            "## Telemetry errors (`bench/bench_telemetry_error.py`)",
            "",
            method_of(__doc__),
            "",
            f"Machine: {platform.processor() or platform.machine()}; seeds {args.seeds}.",
            "",
            "Geometry (every true object, one frame every "
            f"{args.step_s:g} s): error in metres and the share within the stated one-sigma radius.",
            "",
            "| telemetry error | pitch | objects | median m | 90th percentile m | median stated m | within stated "
            f"| objects >= {FAR_M:g} m | their median m | their 90th percentile m | within stated |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            *geo_rows,
            "",
            f"Launch alerts on the simulator's truth ({args.fps:g} frames/s): latency after the boat "
            "entered the water in seconds (negative: raised while it was dragged into the water), "
            "position error of the first alert against where the boat entered the water (median, worst).",
            "",
            "| telemetry error | pitch | launches raised | latency s | position error m | stated m | false events |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
            *ev_rows,
        ],
        not args.no_write,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
