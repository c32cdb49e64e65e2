"""How well is a boat's length read from its box? ``detector.georef.boat_length_m`` against the hulls the simulator drew.

Method: rendered scenarios with boats of known length (the dawn launch at Wissant and its low-tide
variant, drone at 45-60 m, camera at -22 deg; a boat at sea; a patrol past moored boats), seeds
11 and 12 (held out of training), one frame every 10 s from the true pose. Each boat the simulator
drew whole (not cut by the frame's edge, at most 30 % hidden, inflated) is measured twice: from the
simulator's own box and from the shipped model's best box on it (IoU >= 0.5, the live path:
``BoatDetector.detect``). Reported: the ratio estimate / true length (median, 10th and 90th
percentiles) by boat kind, and the share within -30/+40 % (what the false-alarm memory's "twice as
long and 3 m longer" needs to tell a buoy from a boat).
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._common import method_of, publish  # noqa: E402

SECTION = "boat-length"
SCENARIOS = ("dawn_launch_wissant", "low_tide_launch_wissant", "boat_at_sea", "moored_boats")


def measure(seeds: list[int], step_s: float, detector: Any) -> dict[str, list[tuple[float, float, float]]]:
    """kind -> [(true length, from the truth box, from the model's box or NaN)]."""
    import supervision as sv

    from detector.georef import Georeferencer, boat_length_m
    from flight.sim.camera import SimCamera
    from flight.sim.render import ScriptedFlight
    from flight.sim.scenario import load_scenario
    from flight.sim.world import World
    from shorewatch.site import load_site

    out: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for name in SCENARIOS:
        sc = load_scenario(name)
        site = load_site(sc.site)
        geo = Georeferencer(site.frame)
        surface = site.sea_surface_m(sc.tide_m)
        for seed in seeds:
            world = World(site, sc, seed)
            cam = SimCamera(world, seed=seed)
            flight = ScriptedFlight(world, sc.drone)
            for t in np.arange(5.0, sc.duration_s, step_s):
                objs = {o.object_id: o for o in world.step_to(float(t))}
                frame, truth = cam.render(flight.telemetry(float(t)))
                tel, intr = frame.telemetry, frame.intrinsics
                assert tel is not None and intr is not None
                boats = []
                for g in truth:
                    o = objs.get(g.object_id)
                    x0, y0, x1, y1 = g.xyxy
                    whole = x0 > 1 and y0 > 1 and x1 < intr.width_px - 2 and y1 < intr.height_px - 2
                    if o is None or o.class_name != "boat" or o.scale < 0.9 or g.occlusion > 0.3 or not whole:
                        continue
                    boats.append((o, g.xyxy))
                if not boats:
                    continue
                found: sv.Detections = (
                    detector.detect(frame) if detector is not None else sv.Detections.empty()
                )
                boxes = found.xyxy[found.class_id == 0] if len(found) else np.zeros((0, 4))
                xyxy = np.array([b for _, b in boats])
                pts = geo.locate(frame, xyxy, np.zeros(len(boats), dtype=int), surface_m=surface)
                de, dn = site.frame.to_local(tel.lat_deg, tel.lon_deg)
                up = max(tel.alt_m - surface, 0.1)
                slant = np.hypot(np.hypot(pts.east_m - de, pts.north_m - dn), up)
                from_truth = boat_length_m(xyxy, slant, up / slant, intr)
                from_model = np.full(len(boats), np.nan)
                if len(boxes):
                    iou = sv.box_iou_batch(xyxy, boxes)
                    best = iou.argmax(axis=1)
                    hit = iou[np.arange(len(boats)), best] >= 0.5
                    if hit.any():
                        from_model[hit] = boat_length_m(boxes[best[hit]], slant[hit], up / slant[hit], intr)
                for k, (o, _) in enumerate(boats):
                    if pts.ok[k]:
                        out[o.kind].append((o.length_m, float(from_truth[k]), float(from_model[k])))
    return out


def _stats(ratios: np.ndarray) -> str:
    if not len(ratios):
        return "– | – | –"
    p10, med, p90 = np.percentile(ratios, [10, 50, 90])
    near = 100 * float(np.mean((ratios >= 0.7) & (ratios <= 1.4)))
    return f"{med:.2f} ({p10:.2f}-{p90:.2f}) | {near:.0f} % | {len(ratios)}"


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[11, 12])
    ap.add_argument("--step-s", type=float, default=10.0)
    ap.add_argument("--no-model", action="store_true", help="truth boxes only (fast)")
    ap.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = ap.parse_args()
    detector = None
    if not args.no_model:
        from detector.model import default_model_path, load_detector

        detector = load_detector(
            default_model_path(), state_dir=Path(tempfile.mkdtemp(prefix="bench-length-"))
        )
    got = measure(args.seeds, args.step_s, detector)
    rows = []
    for kind in sorted(got):
        a = np.array(got[kind])
        truth = a[:, 1] / a[:, 0]
        model = a[:, 2] / a[:, 0]
        model = model[np.isfinite(model)]
        rows.append(f"| {kind} | {np.median(a[:, 0]):.1f} | {_stats(truth)} | {_stats(model)} |")
        print(rows[-1], flush=True)
    publish(
        SECTION,
        [
            "## Boat length from the picture (`bench/bench_boat_length.py`)",
            "",
            method_of(__doc__),
            "",
            f"Machine: {platform.processor() or platform.machine()}; seeds {args.seeds}, one frame every "
            f"{args.step_s:g} s.",
            "",
            "| boat | length (m) | from the simulator's box: estimate / length, median (p10-p90) | within -30/+40 % "
            "| boats | from the model's box | within -30/+40 % | boats |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            *rows,
        ],
        not args.no_write and not args.no_model,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
