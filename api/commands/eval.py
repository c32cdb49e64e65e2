"""``shorewatch eval``: detection metrics on a YOLO folder (``--data``), or event metrics on
rendered scenarios (``--scenario``)."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from api.commands.detect import add_tta_arguments, tta_mode
from flight.sim.scenario import TELEMETRY_ERROR_PRESETS


def register(sub: Any) -> None:
    p = sub.add_parser(
        "eval",
        help="score the detector: --data DIR (P, R, AP50, AP50-95 by class and size) or --scenario FILE (events)",
        description="--data: runs the full detect path (tiles + coarse pass, six views by default: "
        "--tta, as `shorewatch detect`) on every image of a YOLO "
        "folder and reports per class precision, recall, AP50, AP50-95 and AP50 by object size "
        "(sqrt of box area: <16 px, 16-32 px, >32 px). --scenario: renders a scenario (file or built-in "
        "name) with the simulator, runs detect+track+georef+events and reports whether the launch was "
        "detected, seconds from the boat entering the water to the event, position error, false events per hour.",
    )
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--data", type=Path, help="YOLO dataset folder or data.yaml")
    g.add_argument("--scenario", nargs="+", help="scenario file(s) or built-in name(s)")
    p.add_argument("--split", default="val", help="--data: which split of a data.yaml (default val)")
    p.add_argument("--limit", type=int, default=0, help="--data: only the first N images")
    p.add_argument(
        "--conf", type=float, default=0.01, help="--data: lowest confidence kept (AP needs a low one)"
    )
    p.add_argument("--seeds", type=int, nargs="+", default=[1], help="--scenario: world/camera seeds")
    p.add_argument("--seconds", type=float, default=None, help="--scenario: only the first N seconds")
    p.add_argument(
        "--fps",
        type=float,
        default=None,
        help="--scenario: frames per second to render (default: the scenario's)",
    )
    p.add_argument(
        "--model", type=Path, help="weights (.onnx or .pt); default: SHOREWATCH_MODEL or the shipped model"
    )
    p.add_argument("--no-coarse", action="store_true", help="skip the coarse whole-frame pass")
    p.add_argument(
        "--ignore-tide",
        action="store_true",
        help="--scenario: the events are not told the scenario's tide (what a service without the tide does)",
    )
    p.add_argument(
        "--oracle",
        action="store_true",
        help="--scenario: the simulator's ground truth as detections (tracking, georeferencing and "
        "events measured apart from the model)",
    )
    p.add_argument(
        "--telemetry-error",
        choices=TELEMETRY_ERROR_PRESETS,
        default=None,
        help="--scenario: what the drone's reported pose gets wrong (default: the scenario's "
        "drone.telemetry_error, typical unless it says otherwise; none: the true pose)",
    )
    add_tta_arguments(p, "--data: ")  # --scenario runs the service's setting, SHOREWATCH_FLIP_TTA
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the results as JSON")
    p.set_defaults(func=run)


def _fmt(v: float | None, digits: int = 3) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def run(args: argparse.Namespace, settings: Any) -> int:
    from pydantic import ValidationError
    from rich.console import Console
    from rich.status import Status
    from rich.table import Table

    from detector.errors import DetectorError
    from detector.model import DetectorConfig, load_detector, tta_settings
    from detector.tiling import TilingConfig

    con = Console()
    err = Console(stderr=True)
    state = settings.ensure_state_dir()
    tiling = TilingConfig(coarse_pass=not args.no_coarse)
    if args.oracle and args.data is not None:
        err.print("[red]shorewatch eval: --oracle needs --scenario (a YOLO folder has no simulator truth)[/]")
        return 2
    try:
        if args.data is not None:
            cfg = DetectorConfig(
                conf_boat=args.conf,
                conf_person=args.conf,
                tiling=tiling,
                **tta_settings(tta_mode(args)),
                runtime=settings.runtime,
                ship_pass=settings.ship_pass,
            )
        else:  # the thresholds the service would use (SHOREWATCH_CONF_BOAT / _PERSON)
            cfg = settings.detector_config().model_copy(update={"tiling": tiling})
        det = (
            None if args.oracle else load_detector(args.model or settings.model, state_dir=state, config=cfg)
        )
    except (DetectorError, ValidationError) as exc:
        err.print(f"[red]shorewatch eval: {exc}[/]")
        return 2

    if args.data is not None:
        from detector.evaluate import score_detector

        try:
            with con.status("scoring...") as status:
                score = score_detector(
                    det,
                    args.data,
                    split=args.split,
                    limit=args.limit,
                    progress=lambda i, n: status.update(f"scoring image {i}/{n}"),
                )
        except DetectorError as exc:
            err.print(f"[red]shorewatch eval: {exc}[/]")
            return 2
        t = Table(title=f"{args.data} ({score.images} images, {score.seconds_per_image * 1000:.0f} ms/image)")
        for col in (
            "class",
            "objects",
            "P",
            "R",
            "AP50",
            "AP50-95",
            "AP50 <16px",
            "AP50 16-32px",
            "AP50 >32px",
        ):
            t.add_column(col, justify="right")
        for m in score.classes:
            sizes = [
                f"{_fmt(m.ap50_by_size[b])} ({m.n_gt_by_size[b]})" for b in ("<16px", "16-32px", ">32px")
            ]
            t.add_row(
                m.name, str(m.n_gt), _fmt(m.precision), _fmt(m.recall), _fmt(m.ap50), _fmt(m.ap50_95), *sizes
            )
        con.print(t)
        if args.json:
            args.json.write_text(json.dumps(score.as_dict(), indent=2))
        return 0

    from api.evaluation import evaluate_scenario, summarise

    scores = []
    for sc in args.scenario:
        for seed in args.seeds:
            try:
                with con.status(f"{sc} seed {seed}...") as status:

                    def progress(
                        i: int, n: int, label: str = f"{sc} seed {seed}", status: Status = status
                    ) -> None:
                        status.update(f"{label}: frame {i}/{n}")

                    s = evaluate_scenario(
                        sc,
                        det,
                        seed=seed,
                        seconds=args.seconds,
                        fps=args.fps,
                        progress=progress,
                        use_tide=not args.ignore_tide,
                        telemetry_error=args.telemetry_error,
                        horizon=settings.horizon_config(),
                    )
            except (DetectorError, ValueError) as exc:
                err.print(f"[red]shorewatch eval: {sc}: {exc}[/]")
                return 2
            scores.append(s)
    t = Table(title="scenario evaluation")
    for col in (
        "scenario",
        "seed",
        "frames",
        "launch",
        "detected",
        "latency s",
        "pos. error m",
        "stated m",
        "false events",
        "events",
        "fps",
    ):
        t.add_column(col, justify="right")
    for s in scores:
        t.add_row(
            s.scenario,
            str(s.seed),
            str(s.frames),
            "yes" if s.launch_expected else "no",
            "yes" if s.launch_detected else ("no" if s.launch_expected else "-"),
            _fmt(s.latency_s, 1),
            _fmt(s.position_error_m, 1),
            _fmt(s.stated_error_m, 1),
            str(s.false_events),
            ", ".join(f"{k}:{v}" for k, v in sorted(s.events.items())) or "-",
            _fmt(s.pipeline_fps, 1),
        )
    con.print(t)
    summary = summarise(scores)
    con.print(
        f"launches detected {summary['launches_detected']}/{summary['launch_runs']}, "
        f"median latency {_fmt(summary['median_latency_s'], 1)} s, "
        f"median position error {_fmt(summary['median_position_error_m'], 1)} m, "
        f"false events/hour {_fmt(summary['false_events_per_hour'], 1)}"
    )
    if args.json:
        args.json.write_text(
            json.dumps({"runs": [s.as_dict() for s in scores], "summary": summary}, indent=2)
        )
    return 0
