"""Detector accuracy on real imagery it never trained on, and on synthetic validation data.

Method: the full ``BoatDetector`` path (native-resolution tiles + coarse pass, merged, + the
ship pass on the ship model where ``models/shorewatch-ships.onnx`` is present, as for every frame
without a pose; the shipped ONNX model; confidence floor 0.01) in its three test-time modes: one view as the live
service runs it (``--tta none``), the frame and its mirror image fused (``--tta flip``), and the frame at 1x, 0.83x and
1.25x, each also mirrored, six views fused (``--tta full``, as ``shorewatch detect`` and ``eval --data`` run by
default); on every image of ``../shared/data/real-dev`` (246 real webcam frames, measured only, never trained on) and
of the synthetic validation split;
COCO-style AP (101-point, greedy matching), per class, and AP50 by object size (square root of
the box area: < 16 px, 16-32 px, > 32 px), with ``detector.metrics``. Targets on real-dev: boat
AP50 >= 0.45, person AP50 >= 0.30. Also scored per real-dev camera (the four webcams differ a lot).

Writes the ``bench:detector-accuracy`` section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_detector_speed import REAL_DEV, write_section  # noqa: E402
from detector.dataset import samples  # noqa: E402
from detector.evaluate import DatasetScore, predict_dataset, score_detector  # noqa: E402
from detector.metrics import ImageResult, evaluate  # noqa: E402
from detector.model import DetectorConfig, load_detector, tta_settings  # noqa: E402
from shorewatch.types import CLASS_NAMES  # noqa: E402


def _f(v: float) -> str:
    return "-" if v != v else f"{v:.3f}"


def table(title: str, score: object) -> list[str]:
    rows = [
        f"**{title}**",
        "",
        "| class | objects | P | R | AP50 | AP50-95 | AP50 <16 px | AP50 16-32 px | AP50 >32 px |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for m in score.classes:  # type: ignore[attr-defined]
        sizes = [f"{_f(m.ap50_by_size[b])} ({m.n_gt_by_size[b]})" for b in ("<16px", "16-32px", ">32px")]
        rows.append(
            f"| {m.name} | {m.n_gt} | {_f(m.precision)} | {_f(m.recall)} | {_f(m.ap50)} | {_f(m.ap50_95)} | "
            + " | ".join(sizes)
            + " |"
        )
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "--model", type=Path, default=None, help="weights (default: what load_detector picks on this machine)"
    )
    ap.add_argument(
        "--synth", type=Path, default=ROOT / "data" / "synth-v4", help="synthetic dataset (val split)"
    )
    ap.add_argument("--synth-limit", type=int, default=200, help="score only this many synthetic val images")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    state = Path(os.environ.get("SHOREWATCH_STATE_DIR", ROOT / ".shorewatch"))
    base = load_detector(args.model, state, DetectorConfig(conf_boat=0.01, conf_person=0.01))
    body = [
        "## Detector accuracy (`bench/bench_detector_accuracy.py`)",
        "",
        "Method: " + " ".join(__doc__.split("Method:")[1].split("Writes")[0].split()),
        "",
        f"Model: {base.backend.describe()}.",
        "",
    ]
    out: dict[str, object] = {}
    synth: list[str] = []
    for mode, title in (
        ("none", "one view, as the live service runs (`--tta none`)"),
        ("flip", "with the mirror view fused in (`--tta flip`)"),
        (
            "full",
            "six views: 1x, 0.83x, 1.25x, each mirrored (`--tta full`, as `shorewatch detect` and `eval` run)",
        ),
    ):
        det = base.with_config(base.config.model_copy(update=tta_settings(mode)))

        def detect(img: object, det: object = det) -> tuple[object, object, object]:
            d = det.detect_image(img)  # type: ignore[attr-defined]
            return d.xyxy, d.confidence, d.class_id

        results, spi = predict_dataset(detect, REAL_DEV)
        real = DatasetScore(evaluate(results, CLASS_NAMES), len(results), spi)
        out[f"real_dev_{mode}"] = real.as_dict()
        print(json.dumps(real.as_dict(), indent=1), flush=True)
        body += [
            *table(
                f"real-dev, {title} ({real.images} real frames, {real.seconds_per_image * 1000:.0f} ms/frame)",
                real,
            ),
            "",
        ]
        cams: dict[str, list[ImageResult]] = {}
        for s, r in zip(samples(REAL_DEV), results, strict=True):
            cams.setdefault(s.image.name.split("_")[0], []).append(r)
        body += ["| real-dev camera | frames | boat AP50 | person AP50 |", "| --- | ---: | ---: | ---: |"]
        for cam, res in sorted(cams.items()):
            m = evaluate(res, CLASS_NAMES)
            body.append(f"| {cam} | {len(res)} | {_f(m[0].ap50)} | {_f(m[1].ap50)} |")
        body.append("")
        if (args.synth / "data.yaml").is_file():
            syn = score_detector(det, args.synth, split="val", limit=args.synth_limit)
            out[f"synth_val_{mode}"] = syn.as_dict()
            synth += [
                *table(
                    f"synthetic val `{args.synth.name}`, {title} ({syn.images} images, "
                    f"{syn.seconds_per_image * 1000:.0f} ms/image)",
                    syn,
                ),
                "",
            ]
    body += synth
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    if not args.no_write:
        write_section("detector-accuracy", "\n".join(body))
    print("\n".join(body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
