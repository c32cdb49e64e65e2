"""`shorewatch synth`: a YOLO-format synthetic dataset from the simulated camera (issue #5)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "synth",
        help="render a YOLO-format training set (640x640 tiles) from randomised simulated scenes",
        description="Render randomised coastline scenes (nadir to oblique, dawn to overcast, boats, "
        "people, distractors) and cut them into 640x640 YOLO tiles: OUT/data.yaml, OUT/{train,val}/"
        "{images,labels}, OUT/READY (written last, holds the image count).",
    )
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--images", type=int, default=2000, help="number of 640x640 images (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="seed; the same seed gives the same dataset")
    p.add_argument("--val-fraction", type=float, default=0.1, help="share of images in val/ (default 0.1)")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    p.add_argument(
        "--style",
        choices=["scene", "clutter"],
        default="scene",
        help="scene: 640x640 tiles of the 3-D simulated coast (default); clutter: 320x320 2-D tiles "
        "of towns, harbours and busy beaches (hard negatives, flight/sim/clutter.py)",
    )
    p.add_argument(
        "--scenes",
        default=None,
        metavar="KIND[,KIND...]",
        help="clutter only: draw only these kinds of scene, at their default relative weights "
        "(town, harbour, beach, coast, woods, shore, port, closeup; and, drawn only when named, "
        "seafront, a beach of chairs above a full car park, sailing, a sailing-club beach of "
        "catamarans and windsurfers, marina, pontoons crowded with moored boats, skyline, a "
        "big sky of cumulus over a far shore and open water, and moorings, water full of round, "
        "lit buoys with a few boats among them); default: all but these five",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Any) -> int:
    from rich.progress import Progress

    from flight.sim.clutter import write_clutter_dataset
    from flight.sim.synth import SynthError, write_dataset

    if args.images <= 0:
        raise SystemExit(f"shorewatch synth: --images must be a positive number, got {args.images}")
    if not (1 <= args.workers <= 8):
        raise SystemExit(f"shorewatch synth: --workers must be in 1..8, got {args.workers}")
    if args.scenes is not None and args.style != "clutter":
        raise SystemExit("shorewatch synth: --scenes applies to --style clutter only")
    with Progress() as prog:
        task = prog.add_task("rendering", total=args.images)
        try:
            if args.style == "clutter":
                counts = write_clutter_dataset(
                    args.out,
                    args.images,
                    seed=args.seed,
                    val_fraction=args.val_fraction,
                    scenes=args.scenes,
                    progress=lambda done, total: prog.update(task, completed=done),
                )
            else:
                counts = write_dataset(
                    args.out,
                    args.images,
                    seed=args.seed,
                    val_fraction=args.val_fraction,
                    workers=args.workers,
                    progress=lambda done, total: prog.update(task, completed=done),
                )
        except SynthError as exc:
            raise SystemExit(f"shorewatch synth: {exc}") from exc
    print(
        f"wrote {counts['images']} images ({counts['train']} train, {counts['val']} val) to {args.out}: "
        f"{counts['boats']} boat and {counts['people']} person boxes, {counts['empty']} empty images"
    )
    return 0
