"""Levelling on the horizon: how often the sea's horizon is found and how well it gives the
camera's pitch, in rendered frames of known pose and in real webcam frames.

Method. Rendered: the simulator's camera (``flight/sim``) at held-out seeds 11-13 over three
scenarios (the dawn launch at Wissant, a boat at sea, moored boats), one frame at 10, 60 and 120
s, turned to a pitch of -10, -18 and -26 deg (the horizon 17-3 deg from the top of an 84 deg lens),
under five looks (clear morning, dawn, overcast noon, haze at 3 km, a far shore 12 px high on the
horizon); the gimbal is reported with an error drawn uniformly in +-2.5 deg and
``detector.horizon.find_horizon`` (default ``HorizonConfig``: searched within 3 deg) is asked for
the pitch. Reported: the share of frames levelled, the median and 95th percentile of |measured -
true pitch| over those, the share of levelled frames more than 0.3 deg off (a wrong line), and
the median time per frame. Real: ``../shared/data/real-dev`` (246 webcam frames, measured only,
no pose known): with a guessed 60 deg lens and a pitch prior of -10 deg searched +-15 deg, the
share of frames per camera where a horizon is found (on cameras whose view ends at a shore, what
is found is that shore's water line or a straight edge, not a sea horizon); for the harbour webcam
hyovmh0t (a fixed camera over open water to a low far shore) the spread of the found row across
its frames, which for a fixed camera is the method's own noise plus the water's.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._common import method_of, publish  # noqa: E402

SECTION = "horizon"
SCENARIOS = ("dawn_launch_wissant", "boat_at_sea", "moored_boats")
PITCHES = (-10.0, -18.0, -26.0)
REAL_DEV = ROOT.parent / "shared" / "data" / "real-dev"


def looks() -> dict[str, object]:
    from flight.sim.camera import Look

    base = Look.for_conditions(9.0, "clear", 2.0)
    return {
        "clear morning": base,
        "dawn": Look.for_conditions(5.8, "clear", 2.0),
        "overcast noon": Look.for_conditions(13.0, "overcast", 3.0),
        "haze (3 km)": Look.for_conditions(11.0, "hazy", 2.0),
        "far shore": dataclasses.replace(base, far_shore=12.0),
    }


def rendered(seeds: list[int]) -> dict[str, dict[str, list[float]]]:
    from detector.horizon import find_horizon
    from flight.sim.camera import SimCamera
    from flight.sim.render import ScriptedFlight
    from flight.sim.scenario import load_scenario
    from flight.sim.world import World
    from shorewatch.site import load_site

    rng = np.random.default_rng(0)
    out: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for name in SCENARIOS:
        sc = load_scenario(name)
        site = load_site(sc.site)
        for seed in seeds:
            world = World(site, sc, seed)
            cam = SimCamera(world, seed=seed)
            flight = ScriptedFlight(world, sc.drone)
            for t in (10.0, 60.0, 120.0):
                world.step_to(t)
                tel0 = flight.telemetry(t)
                for pitch in PITCHES:
                    tel = dataclasses.replace(tel0, gimbal_pitch_deg=pitch)
                    for look_name, look in looks().items():
                        frame, _ = cam.render(tel, look=look)  # type: ignore[arg-type]
                        assert frame.intrinsics is not None
                        reported = pitch + float(rng.uniform(-2.5, 2.5))
                        t0 = time.perf_counter()
                        fix = find_horizon(
                            frame.image, frame.intrinsics, reported, tel.alt_m - world.surface_m
                        )
                        out[look_name]["ms"].append(1000 * (time.perf_counter() - t0))
                        out[look_name]["found"].append(float(fix is not None))
                        if fix is not None:
                            out[look_name]["err"].append(abs(fix.pitch_deg - pitch))
    return out


def real() -> tuple[dict[str, tuple[int, int]], list[float]]:
    import cv2

    from detector.horizon import HorizonConfig, find_horizon
    from shorewatch.types import CameraIntrinsics

    cfg = HorizonConfig(search_deg=15.0, max_roll_deg=5.0)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    rows: list[float] = []
    for p in sorted(glob.glob(str(REAL_DEV / "images" / "*"))):
        img = np.asarray(cv2.imread(p), dtype=np.uint8) if Path(p).is_file() else None
        if img is None or img.ndim != 3:
            continue
        cam = Path(p).name.split("_")[0]
        h, w = img.shape[:2]
        fix = find_horizon(img, CameraIntrinsics.from_hfov(w, h, 60.0), -10.0, 20.0, cfg)
        counts[cam][1] += 1
        if fix is not None:
            counts[cam][0] += 1
            if cam == "hyovmh0t":
                rows.append(fix.row_px)
    return {k: (v[0], v[1]) for k, v in sorted(counts.items())}, rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13])
    ap.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = ap.parse_args()

    res = rendered(args.seeds)
    rows = []
    for look_name, r in res.items():
        err = np.array(r["err"])
        rows.append(
            f"| {look_name} | {len(r['found'])} | {100 * np.mean(r['found']):.0f} % | "
            f"{np.median(err) if len(err) else float('nan'):.3f} | "
            f"{np.percentile(err, 95) if len(err) else float('nan'):.3f} | "
            f"{100 * np.mean(err > 0.3) if len(err) else 0:.1f} % | {np.median(r['ms']):.1f} |"
        )
        print(rows[-1], flush=True)
    real_rows = []
    if REAL_DEV.is_dir():
        counts, hy = real()
        for cam, (found, n) in counts.items():
            real_rows.append(f"| {cam} | {n} | {found} ({100 * found / max(n, 1):.0f} %) |")
            print(real_rows[-1], flush=True)
        spread = (
            f"hyovmh0t (fixed camera, 1920x1080): the found row's median {np.median(hy):.1f} px, "
            f"5th-95th percentile {np.percentile(hy, 5):.1f}-{np.percentile(hy, 95):.1f} px over {len(hy)} frames "
            f"(1 px is {np.degrees(np.arctan(1 / (960 / np.tan(np.radians(30))))):.3f} deg with the guessed lens)."
            if hy
            else "hyovmh0t: no horizon found."
        )
        print(spread)
    else:
        spread = "real-dev not present on this machine: not measured."
    publish(
        SECTION,
        [
            "## Levelling on the horizon (`bench/bench_horizon.py`)",
            "",
            method_of(__doc__),
            "",
            f"Machine: {platform.processor() or platform.machine()}; seeds {args.seeds}.",
            "",
            "| look | frames | levelled | median pitch error deg | 95th percentile deg | levelled > 0.3 deg off | ms per frame |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
            *rows,
            "",
            "Real webcams (no pose known; guessed lens, searched +-15 deg):",
            "",
            "| camera | frames | horizon found |",
            "| --- | ---: | ---: |",
            *real_rows,
            "",
            spread,
        ],
        not args.no_write,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
