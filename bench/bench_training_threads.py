"""CPU training speed: torch threads on every core (shorewatch's default) against ultralytics'
own CPU default (cores - 1, at most 8: one thread on a 2-core machine).

Method: renders a small clutter set (``shorewatch synth --style clutter``, seed 9, 320 px tiles),
then trains the shipped weights on it through ``detector.training.train`` (the path of
``shorewatch train``: realism augmentation, mosaic, MuSGD, batch 32 at 320 px, the data loader in
the training process as ultralytics does on a CPU) for one epoch per run, alternating the two
thread counts ``--repeats`` times (so the shared CPUs' load hits both alike). A step is the wall
time between two ``on_train_batch_end`` events (data loading, forward, backward, optimizer); the
first step of each run is dropped. Reported: median seconds per step and pictures per second for
each thread count, and the ratio measured in the same run.

Writes the ``bench:training`` section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import write_section  # noqa: E402

SECTION = "training"


def render(out: Path, images: int) -> Path:
    from flight.sim.clutter import write_clutter_dataset

    write_clutter_dataset(out, images, seed=9, val_fraction=0.1)
    return out / "data.yaml"


def one_run(data_yaml: Path, state: Path, threads: int, batch: int, name: str) -> list[float]:
    from detector.training import TrainConfig, train

    cfg = TrainConfig(
        data=data_yaml,
        model=str(ROOT / "models" / "shorewatch-boats.pt"),
        name=name,
        epochs=1,
        imgsz=320,
        batch=batch,
        threads=threads,
        cache="none",
        optimizer="MuSGD",
        lr0=0.002,
        warmup_epochs=0,
        close_mosaic=0,
    )
    stamps: list[float] = []
    train(cfg, state, callbacks={"on_train_batch_end": lambda _t: stamps.append(time.perf_counter())})
    return [b - a for a, b in itertools.pairwise(stamps[1:])]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=360, help="clutter tiles rendered (90 %% train)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=2, help="runs per thread count, alternating")
    args = ap.parse_args()

    cores = os.cpu_count() or 1
    ul_default = min(8, max(1, cores - 1))
    counts = [ul_default, cores] if ul_default != cores else [cores]
    steps: dict[int, list[float]] = {n: [] for n in counts}
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        state = Path(tmp) / "state"
        state.mkdir()
        os.environ["SHOREWATCH_STATE_DIR"] = str(state)
        data_yaml = render(Path(tmp) / "data", args.images)
        for r in range(args.repeats):
            for n in counts:
                t = one_run(data_yaml, state, n, args.batch, f"t{n}-{r}")
                steps[n] += t
                print(f"run {r} threads {n}: {len(t)} steps, median {statistics.median(t):.2f} s", flush=True)

    med = {n: statistics.median(v) for n, v in steps.items()}
    rows = [
        "| torch threads | steps timed | median s / step | pictures / s | vs ultralytics' default |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for n in counts:
        tag = " (ultralytics' default)" if n == ul_default else " (shorewatch's default)"
        rows.append(
            f"| {n}{tag} | {len(steps[n])} | {med[n]:.2f} | {args.batch / med[n]:.1f} | "
            f"{med[ul_default] / med[n]:.2f}x |"
        )
    text = "\n".join(
        [
            "## CPU training speed (`bench/bench_training_threads.py`)",
            "",
            f"Machine: {platform.machine()}, {cores} CPUs (shared with other work), Python "
            f"{platform.python_version()}.",
            "",
            " ".join(__doc__.split("\n\n")[1].split()),
            "",
            *rows,
        ]
    )
    write_section(SECTION, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
