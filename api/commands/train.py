"""``shorewatch train``: train the boat/person detector on synthetic YOLO data, resumable."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "train",
        help="train the boat/person detector on a synthetic YOLO dataset (CPU by default, resumable)",
        description="Train YOLO from scratch on `shorewatch synth` output. Checkpoints go to "
        "<state_dir>/train/NAME/weights/{last,best}.pt; --resume continues last.pt; --ship copies the "
        "best weights (optimizer stripped) and an ONNX export into models/.",
    )
    p.add_argument("--data", type=Path, help="dataset folder or its data.yaml (classes 0 boat, 1 person)")
    p.add_argument(
        "--model",
        default=None,
        help="architecture yaml (from scratch) or a .pt to fine-tune (default: detector/shorewatch-yolo11.yaml)",
    )
    p.add_argument("--name", default="shorewatch", help="run name (default: shorewatch)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--imgsz", type=int, default=640)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--device", default="cpu", help="'cpu' or a CUDA device index such as 0")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads for CPU training (default: every core)",
    )
    p.add_argument("--cache", choices=("ram", "disk", "none"), default="ram")
    p.add_argument("--fraction", type=float, default=1.0, help="use this fraction of the training images")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--hours",
        type=float,
        default=None,
        help="train for this long; the schedule fits the time (overrides --epochs)",
    )
    p.add_argument(
        "--optimizer",
        choices=("auto", "MuSGD", "SGD", "AdamW", "Adam"),
        default="auto",
        help="'auto' (default): ultralytics picks the optimizer and learning rate and ignores --lr0",
    )
    p.add_argument(
        "--lr0",
        type=float,
        default=None,
        help="initial learning rate, with --optimizer (e.g. MuSGD 0.002 to fine-tune shipped weights)",
    )
    p.add_argument(
        "--warmup-epochs",
        type=float,
        default=None,
        help="learning-rate warm-up in epochs (default 0.5; 0 when continuing a trained model)",
    )
    p.add_argument(
        "--style",
        type=float,
        default=0.0,
        metavar="P",
        help="repaint this share of the training pictures with a random convolution (colours and "
        "fine texture, outlines kept; default 0)",
    )
    p.add_argument(
        "--style-kernel",
        type=int,
        choices=(1, 3),
        default=3,
        help="largest random-convolution kernel: 3 (1x1 or 3x3, default) or 1 (colours only)",
    )
    p.add_argument("--resume", action="store_true", help="continue the run NAME from its last.pt")
    p.add_argument(
        "--ship", action="store_true", help="after training, install the best weights into models/"
    )
    p.add_argument(
        "--ship-only", type=Path, metavar="CKPT", help="only install CKPT into models/ (no training)"
    )
    p.add_argument(
        "--average",
        type=Path,
        nargs="+",
        metavar="CKPT",
        help="no training: average the weights of these checkpoints (two or more, fine-tuned from the "
        "same weights) into <state_dir>/train/NAME.pt; with --ship, install the average",
    )
    p.add_argument(
        "--int8",
        action="store_true",
        help="when shipping, also write an int8 ONNX calibrated on --data's training images and "
        "validated against the float ONNX on its val images (verdict in models/shorewatch-boats-int8.json; "
        "the int8 model is the default only if it passed)",
    )
    p.add_argument(
        "--models-dir",
        type=Path,
        default=None,
        help="ship into this folder instead of the repository's models/ (to inspect a model first)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Any) -> int:
    from pydantic import ValidationError
    from rich.console import Console

    from detector.errors import DetectorError
    from detector.model import MODELS_DIR
    from detector.training import TrainConfig, calibration_images, run_dir, ship, train, verdict_summary
    from detector.verdict import read_verdict

    con = Console()
    state = settings.ensure_state_dir()
    try:
        if args.int8 and args.data is None:
            con.print("[red]shorewatch train: --int8 needs --data DIR (calibration and validation images)[/]")
            return 2
        calib = calibration_images(args.data) if args.int8 else None
        models_dir = args.models_dir or MODELS_DIR

        def ship_to_models(ckpt: Path) -> None:
            for f in ship(
                ckpt, state, models_dir, int8_calibration=calib, int8_validation=args.data if calib else None
            ):
                con.print(f"shipped {f} ({f.stat().st_size / 1e6:.1f} MB)")
                verdict = read_verdict(f) if f.name.endswith("-int8.onnx") else None
                if verdict is not None:
                    colour = "green" if verdict.passed else "red"
                    con.print(f"[{colour}]int8 {verdict_summary(verdict)}[/]")
                    for reason in verdict.reasons:
                        con.print(f"[red]  - {reason}[/]")
                    if not verdict.passed:
                        con.print("[red]  the float ONNX stays the default model[/]")

        if args.ship_only and args.average:
            con.print(
                "[red]shorewatch train: --ship-only and --average exclude each other (--average ... --ship ships the average)[/]"
            )
            return 2
        if args.ship_only:
            ship_to_models(args.ship_only)
            return 0
        if args.average:
            from detector.yolo import average_checkpoints

            out = average_checkpoints(args.average, run_dir(state, args.name).with_suffix(".pt"), state)
            con.print(f"averaged {len(args.average)} checkpoints into {out}")
            if args.ship:
                ship_to_models(out)
            return 0
        if args.data is None and not args.resume:
            con.print(
                "[red]shorewatch train: --data DIR is required (or --resume, --ship-only CKPT or --average CKPT CKPT)[/]"
            )
            return 2
        cfg = TrainConfig(
            data=args.data or Path("."),
            **({"model": args.model} if args.model else {}),
            name=args.name,
            epochs=args.epochs,
            imgsz=args.imgsz,
            batch=args.batch,
            workers=args.workers,
            device=str(args.device),
            **({"threads": args.threads} if args.threads is not None else {}),
            cache=args.cache,
            fraction=args.fraction,
            seed=args.seed,
            time_h=args.hours,
            optimizer=args.optimizer,
            style=args.style,
            style_kernel=args.style_kernel,
            **({"lr0": args.lr0} if args.lr0 is not None else {}),
            **({"warmup_epochs": args.warmup_epochs} if args.warmup_epochs is not None else {}),
        )

        def progress(epoch: int, epochs: int, m: dict[str, float]) -> None:
            ap = m.get("metrics/mAP50(B)", float("nan"))
            ap95 = m.get("metrics/mAP50-95(B)", float("nan"))
            label = f"epoch {epoch}/{epochs}" if epoch <= epochs else "final validation"
            con.print(f"{label}: val mAP50 {ap:.3f}, mAP50-95 {ap95:.3f}")

        con.print(f"training {'(resuming) ' if args.resume else ''}into {run_dir(state, cfg.name)}")
        best = train(cfg, state, resume=args.resume, on_epoch_end=progress)
        con.print(f"best checkpoint: {best}")
        if args.ship:
            ship_to_models(best)
        return 0
    except (DetectorError, ValidationError) as exc:
        con.print(f"[red]shorewatch train: {exc}[/]")
        return 2
