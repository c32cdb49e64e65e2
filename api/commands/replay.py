"""``shorewatch replay CLIP``: run a recorded clip through the same detector as live missions.

Alerts are stored tagged with the replay's id (never in the live feed); the annotated clip and
a JSON result land in ``STATE_DIR/replays/runs/``; the summary (alerts with clip times and
positions, the score against ground truth when the clip has it) is printed."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("replay", help="run a recorded clip through the detector and list its alerts")
    p.add_argument("clip", type=Path, help="video file (with its .gt.json/.telemetry.jsonl sidecars, if any)")
    p.add_argument(
        "--realtime",
        action="store_true",
        help="play at the clip's frame rate (default: as fast as the CPU allows)",
    )
    p.add_argument("--stride", type=int, default=1, help="process every Nth frame (default 1)")
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Any) -> int:
    clip: Path = args.clip.resolve()
    if not clip.is_file():
        raise SystemExit(f"shorewatch replay: {clip} is not a file")
    if args.stride < 1:
        raise SystemExit("shorewatch replay: --stride must be >= 1")
    return asyncio.run(_run(args, clip, settings))


async def _run(args: argparse.Namespace, clip: Path, settings: Any) -> int:
    from api.app import create_app
    from api.replays import ReplayError, _safe_name

    app = create_app(settings)
    app.state.sample_footage_dir = clip.parent
    async with app.router.lifespan_context(app):
        mgr = app.state.replays
        try:
            replay = mgr.start(
                f"sample-{_safe_name(clip.stem)}", stride=args.stride, user="cli", realtime=args.realtime
            )
        except ReplayError as exc:
            raise SystemExit(f"shorewatch replay: {exc}") from exc
        if not args.json:
            from rich.progress import Progress

            with Progress() as progress:
                task = progress.add_task(f"replaying {clip.name}", total=replay.frames_total or None)
                while not replay.done_event.is_set():
                    progress.update(task, completed=replay.frames_done)
                    await asyncio.sleep(0.2)
                progress.update(task, completed=replay.frames_done)
        await replay.done_event.wait()
        result = replay.public()
    if args.json:
        print(json.dumps(result, default=str))
    else:
        from rich.console import Console
        from rich.table import Table

        con = Console()
        if result.get("status") == "failed":
            con.print(f"[red]replay failed:[/] {result.get('error')}")
            return 1
        t = Table(
            "clip time (s)", "alert", "lat", "lon", "people", "confidence", title=f"alerts in {clip.name}"
        )
        for a in result.get("alerts", []):
            t.add_row(
                str(a.get("clip_time_s")),
                a.get("kind", ""),
                f"{a.get('lat_deg', 0):.5f}",
                f"{a.get('lon_deg', 0):.5f}",
                str(a.get("people_count")),
                f"{a.get('confidence', 0):.2f}",
            )
        con.print(t)
        if result.get("score"):
            con.print_json(json.dumps(result["score"], default=str))
        con.print(f"annotated clip and result: {Path(settings.state_dir) / 'replays' / 'runs'}")
    return 0 if result.get("status") == "done" else 1
