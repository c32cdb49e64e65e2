"""``shorewatch demo`` (issue 9): simulator + patrol + camera + detector + alerts + dashboard."""

from __future__ import annotations

import argparse
from typing import Any

from flight.sim.scenario import TELEMETRY_ERROR_PRESETS


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="run everything on the built-in Opal Coast: drones, patrol, camera, detector, alerts, dashboard",
        description="Starts the simulator, the API and dashboard (127.0.0.1:8000), flies a corridor patrol "
        "past Wissant and plays a scenario in which a boat is launched at dawn. Prints the dashboard URL "
        "and one token per role. Ctrl-C stops everything.",
    )
    p.add_argument("--drones", type=int, default=1, choices=(1, 2), help="simulated drones (default 1)")
    p.add_argument("--speedup", type=float, default=4.0, help="simulation speed-up (default 4)")
    p.add_argument("--scenario", default="dawn_launch_wissant", help="scenario file or built-in name")
    p.add_argument("--headless", action="store_true", help="no banner; print one JSON summary at the end")
    p.add_argument(
        "--duration", type=float, default=None, help="scenario seconds to run (default: its length)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed of the world and camera")
    p.add_argument(
        "--fps", type=float, default=2.0, help="camera frames per sim second per drone (default 2)"
    )
    p.add_argument("--no-serve", action="store_true", help="do not start the HTTP API (headless scripts)")
    p.add_argument(
        "--oracle",
        action="store_true",
        help="detect with the simulator's ground truth instead of the model (the pipeline with a perfect detector)",
    )
    p.add_argument(
        "--telemetry-error",
        choices=TELEMETRY_ERROR_PRESETS,
        default=None,
        help="what the simulated drones report wrong about their pose (GNSS, altitude, compass, "
        "gimbal pitch; default: the scenario's drone.telemetry_error, typical unless it says "
        "otherwise; none: the true pose)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Any) -> int:
    from api.demo import DemoError, DemoOptions, main_demo

    if args.speedup <= 0 or args.fps <= 0:
        raise SystemExit("shorewatch demo: --speedup and --fps must be > 0")
    opts = DemoOptions(
        drones=args.drones,
        speedup=args.speedup,
        scenario=args.scenario,
        headless=args.headless,
        duration_s=args.duration,
        seed=args.seed,
        camera_fps=args.fps,
        serve=not args.no_serve,
        oracle=args.oracle,
        telemetry_error=args.telemetry_error,
    )
    try:
        return main_demo(settings, opts)
    except DemoError as exc:
        raise SystemExit(f"shorewatch demo: {exc}") from exc
