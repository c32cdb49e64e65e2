"""`shorewatch render`: record a simulated clip with ground truth and telemetry (issue #5)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "render",
        help="render a scenario to an MP4 with per-frame ground truth, MOT tracks and telemetry",
        description="Fly the scenario's scripted drone and record what its camera sees. Writes CLIP.mp4 "
        "(H.264 'avc1' when this OpenCV can, else MPEG-4 'mp4v'), CLIP.gt.json, CLIP.mot.txt and "
        "CLIP.telemetry.jsonl next to it.",
    )
    p.add_argument(
        "--scenario",
        required=True,
        help="scenario YAML file or built-in name "
        "(dawn_launch_wissant, boat_at_sea, empty_beach, person_in_water)",
    )
    p.add_argument("--out", type=Path, required=True, help="output .mp4 path")
    p.add_argument("--seconds", type=float, default=None, help="record only the first S seconds")
    p.add_argument(
        "--start", type=float, default=0.0, help="scenario time (s) of the first frame (default 0)"
    )
    p.add_argument("--fps", type=float, default=None, help="frame rate (default: the scenario's)")
    p.add_argument("--seed", type=int, default=0, help="seed (same seed, same clip)")
    p.add_argument("--size", default="1280x720", help="frame size WxH (default 1280x720)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Any) -> int:
    from rich.progress import Progress

    from flight.sim.render import RecordError, record_clip
    from flight.sim.scenario import ScenarioError, load_scenario

    try:
        w_s, h_s = str(args.size).lower().split("x")
        width, height = int(w_s), int(h_s)
        if not (64 <= width <= 4096 and 64 <= height <= 4096):
            raise ValueError
    except ValueError:
        raise SystemExit(
            f"shorewatch render: --size must be WxH between 64 and 4096, got {args.size!r}"
        ) from None
    if args.seconds is not None and args.seconds <= 0:
        raise SystemExit(f"shorewatch render: --seconds must be positive, got {args.seconds}")
    if args.out.suffix.lower() != ".mp4":
        raise SystemExit(f"shorewatch render: --out must end in .mp4, got {str(args.out)!r}")
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        raise SystemExit(f"shorewatch render: {exc}") from exc
    if args.fps is not None:
        if not (0 < args.fps <= 60):
            raise SystemExit(f"shorewatch render: --fps must be in (0, 60], got {args.fps}")
        scenario = scenario.model_copy(update={"drone": scenario.drone.model_copy(update={"fps": args.fps})})
    with Progress() as prog:
        task = prog.add_task(f"rendering {scenario.name}", total=None)
        try:
            info = record_clip(
                scenario,
                args.out,
                seconds=args.seconds,
                seed=args.seed,
                width_px=width,
                height_px=height,
                start_s=args.start,
                progress=lambda done, total: prog.update(task, completed=done, total=total),
            )
        except RecordError as exc:
            raise SystemExit(f"shorewatch render: {exc}") from exc
    stem = args.out.with_suffix("")
    launch = f", launch at t={info.launch_time_s:.1f} s" if info.launch_time_s is not None else ""
    print(
        f"wrote {info.video} ({info.frames} frames at {info.fps:g} fps, {info.width_px}x{info.height_px}, "
        f"codec {info.codec}{launch}) with {stem}.gt.json, {stem}.mot.txt, {stem}.telemetry.jsonl"
    )
    return 0
