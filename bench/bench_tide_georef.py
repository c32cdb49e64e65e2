"""Georeferencing at the tide: position error of rendered objects placed on the sea's surface at
the tide's height against the same objects placed on the mean-sea-level plane.

Method: the low-tide launch at Wissant (``low_tide_launch_wissant``: drone at 45 m above mean
sea level, camera at -22 deg) rendered at its own tide (1.5 m above chart datum, the sea 2.9 m
under its mean) and at a high water of 7.3 m (the sea 2.9 m over it), seeds 11 and 12, one frame
every 2 s. The simulator's ground truth (the boxes it drew, not the detector's) for boats and
people whose box is at least 6 px tall is georeferenced by ``Georeferencer.locate`` twice, with
``surface_m`` at the tide and at 0, and compared with where the simulator put each object. The
detector is left out on purpose: this measures the geometry alone. Reported: median and 90th
percentile error in metres, and the share of objects placed more than 5 m off.
Writes its own section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._common import method_of, publish, rendered_truth  # noqa: E402

SECTION = "tide-georef"
SCENARIO = "low_tide_launch_wissant"


def measure(tide_m: float, seeds: list[int], step_s: float) -> dict[str, list[float]]:
    from detector.georef import Georeferencer
    from flight.sim.scenario import load_scenario
    from shorewatch.site import load_site

    sc = load_scenario(SCENARIO).model_copy(update={"tide_m": tide_m})
    site = load_site(sc.site)
    geo = Georeferencer(site.frame)
    surface = site.sea_surface_m(tide_m)
    errs: dict[str, list[float]] = {"tide": [], "msl": []}
    for v in rendered_truth(sc, seeds, step_s):
        for key, s in (("tide", surface), ("msl", 0.0)):
            g = geo.locate(v.frame, v.xyxy, v.class_id, surface_m=s)
            e = np.hypot(g.east_m - v.true_en[:, 0], g.north_m - v.true_en[:, 1])
            errs[key] += [float(x) for x in e[np.isfinite(e)]]
    return errs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[11, 12])
    ap.add_argument("--step-s", type=float, default=2.0, help="seconds between rendered frames")
    ap.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = ap.parse_args()
    from shorewatch.site import load_site

    site = load_site()
    rows = []
    for label, tide in (("low water", 1.5), ("high water", 7.3)):
        errs = measure(tide, args.seeds, args.step_s)
        surface = site.sea_surface_m(tide)
        cells = []
        for key in ("tide", "msl"):
            e = np.array(errs[key])
            cells.append(
                f"{np.median(e):.1f} / {np.percentile(e, 90):.1f} / {100 * float(np.mean(e > 5)):.0f} %"
            )
        rows.append(
            f"| {label}: {tide} m ({surface:+.1f} m) | {len(errs['tide'])} | {cells[0]} | {cells[1]} |"
        )
        print(rows[-1], flush=True)
    publish(
        SECTION,
        [
            "## Georeferencing at the tide (`bench/bench_tide_georef.py`)",
            "",
            method_of(__doc__),
            "",
            f"Machine: {platform.processor() or platform.machine()}; seeds {args.seeds}, one frame every "
            f"{args.step_s:g} s. Cells: median / 90th percentile error (m) / share more than 5 m off.",
            "",
            "| tide above chart datum (sea vs mean) | objects | on the sea at the tide | on mean sea level |",
            "| --- | ---: | ---: | ---: |",
            *rows,
        ],
        not args.no_write,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
