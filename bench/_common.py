"""Shared by the benchmark scripts: each owns one marked section of BENCHMARKS.md."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def write_section(section: str, text: str) -> None:
    """Replace (or append) the block between ``<!-- bench:SECTION -->`` markers."""
    path = ROOT / "BENCHMARKS.md"
    start, end = f"<!-- bench:{section} -->", f"<!-- /bench:{section} -->"
    block = f"{start}\n{text.rstrip()}\n{end}\n"
    if path.exists():
        cur = path.read_text(encoding="utf-8")
        if start in cur and end in cur:
            cur = re.sub(
                re.escape(start) + r".*?" + re.escape(end) + r"\n?", lambda _m: block, cur, flags=re.S
            )
        else:
            cur = cur.rstrip() + "\n\n" + block
    else:
        cur = "# Benchmarks\n\nEach section is written by its script in `bench/`.\n\n" + block
    path.write_text(cur, encoding="utf-8")


def method_of(doc: str | None) -> str:
    """A benchmark module docstring's second paragraph (its method), on one line."""
    paras = (doc or "").split("\n\n")
    return " ".join(paras[1].split()).split(" Writes its own")[0] if len(paras) > 1 else ""


def publish(section: str, lines: list[str], write: bool) -> None:
    """Print a benchmark's section and, unless told not to, write it into BENCHMARKS.md."""
    text = "\n".join(lines)
    if write:
        write_section(section, text)
    print(text)


@dataclass(frozen=True, slots=True)
class TruthView:
    """One rendered frame and the boxes the simulator drew in it, with where each object is."""

    seed: int
    world: Any  # flight.sim.world.World, stepped to t_s
    t_s: float
    frame: Any  # shorewatch.types.Frame, rendered from the true pose and carrying it
    xyxy: np.ndarray
    class_id: np.ndarray
    true_en: np.ndarray  # (n, 2) local east/north of each object


def rendered_truth(
    scenario: Any, seeds: list[int], step_s: float, start_s: float = 0.0, min_height_px: float = 6.0
) -> Iterator[TruthView]:
    """Every ``step_s`` seconds of each seed's rendering of ``scenario`` (a loaded ``Scenario``),
    the frames where the simulator drew a boat or person at least ``min_height_px`` tall."""
    from flight.sim.camera import SimCamera
    from flight.sim.render import ScriptedFlight
    from flight.sim.world import World
    from shorewatch.site import load_site

    site = load_site(scenario.site)
    for seed in seeds:
        world = World(site, scenario, seed)
        cam = SimCamera(world, seed=seed)
        flight = ScriptedFlight(world, scenario.drone)
        for t in np.arange(start_s, scenario.duration_s, step_s):
            world.step_to(float(t))
            frame, truth = cam.render(flight.telemetry(float(t)))
            objs = [o for o in truth if o.xyxy[3] - o.xyxy[1] >= min_height_px]
            if objs:
                yield TruthView(
                    seed,
                    world,
                    float(t),
                    frame,
                    np.array([o.xyxy for o in objs]),
                    np.array([o.class_id for o in objs]),
                    np.array([site.frame.to_local(o.lat_deg, o.lon_deg) for o in objs]),
                )
