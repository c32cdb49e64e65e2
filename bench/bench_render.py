"""Speed of the simulated camera (`SimCamera.render`) at 1280x720 on one core.

Method: OpenCV limited to one thread; the built-in scenarios' scripted flights are rendered frame
by frame (world stepped, frame rendered with ground truth, sensor effects on); each frame's CPU
time (``time.process_time``, so other load on this shared machine counts less) is recorded, and
the median is reported as frames per CPU-second. Reference, measured in the same run: one
``cv2.warpPerspective`` of a 1280x720 BGR image (the renderer's basic building block).
Writes its own section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._common import write_section  # noqa: E402

SECTION = "render"


def measure_scenario(name: str, frames: int) -> tuple[float, float, int]:
    from flight.sim.camera import SimCamera
    from flight.sim.render import ScriptedFlight
    from flight.sim.scenario import load_scenario
    from flight.sim.world import World
    from shorewatch.site import load_site

    sc = load_scenario(name)
    world = World(load_site(sc.site), sc, seed=0)
    cam = SimCamera(world, seed=0)
    fl = ScriptedFlight(world, sc.drone)
    t0 = min(sc.duration_s * 0.5, 80.0)
    world.step_to(t0)
    cam.render(fl.telemetry(t0))  # warm-up
    cpu, wall, n_obj = [], [], 0
    for i in range(frames):
        t = t0 + i / sc.drone.fps
        c0, w0 = time.process_time(), time.perf_counter()
        world.step_to(t)
        _, gts = cam.render(fl.telemetry(t))
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
        n_obj = max(n_obj, len(gts))
    return statistics.median(cpu), statistics.median(wall), n_obj


def measure_reference(n: int = 30) -> float:
    img = np.random.default_rng(0).integers(0, 255, (720, 1280, 3), dtype=np.uint8)
    M = np.array([[1.0, 0.1, 5.0], [0.02, 1.1, 3.0], [1e-5, 2e-4, 1.0]])
    out = []
    for _ in range(n):
        c0 = time.process_time()
        cv2.warpPerspective(img, M, (1280, 720))
        out.append(time.process_time() - c0)
    return statistics.median(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=40, help="frames measured per scenario")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    ref = measure_reference()
    rows = []
    for name in ("dawn_launch_wissant", "boat_at_sea", "empty_beach", "person_in_water"):
        cpu, wall, n_obj = measure_scenario(name, args.frames)
        rows.append((name, cpu, wall, n_obj))
        print(
            f"{name:22s} {1 / cpu:6.1f} frames per CPU-second ({cpu * 1000:5.1f} ms CPU, {wall * 1000:5.1f} ms wall, "
            f"{n_obj} labelled objects) = {cpu / ref:5.1f}x one warpPerspective"
        )
    print(f"reference: one 1280x720 warpPerspective {ref * 1000:.2f} ms CPU")
    lines = [
        "## Simulated camera (`bench/bench_render.py`)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs (shared with other work), Python "
        f"{platform.python_version()}, OpenCV {cv2.__version__} limited to one thread. "
        f"Median over {args.frames} consecutive frames per scenario.",
        "",
        "Method: each built-in scenario's scripted flight, world stepped and `SimCamera.render` called "
        "per frame at 1280x720 (ground, sky, objects, ground truth, haze, light, sensor noise). Time is "
        "the process CPU time per frame, so the figure is frames per second on one core; wall time "
        "is shown too (it includes waiting for the shared CPUs). Reference: one 1280x720 BGR "
        "`cv2.warpPerspective`, measured in the same run. Target: >= 25 frames per CPU-second.",
        "",
        "| scenario | frames / CPU-s | CPU ms / frame | wall ms / frame | labelled objects | vs one warp |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, cpu, wall, n_obj in rows:
        lines.append(
            f"| {name} | {1 / cpu:.1f} | {cpu * 1000:.1f} | {wall * 1000:.1f} | {n_obj} | {cpu / ref:.1f}x |"
        )
    lines += ["", f"Reference warp: {ref * 1000:.2f} ms CPU."]
    write_section(SECTION, "\n".join(lines))
    print("BENCHMARKS.md updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
