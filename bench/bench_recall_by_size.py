"""The detector's recall against object size, at the live alert thresholds: what the shoreline
coverage map (``detector.coverage``) turns a ground sampling distance into.

Method: the live path (``BoatDetector`` one view: native tiles + coarse pass, merged, the model
``load_detector`` picks on this machine) on the synthetic validation split (rendered pictures with
exact labels), predictions kept from confidence 0.01, then, at each class's live threshold
(``DetectorConfig.conf_boat`` / ``conf_person``), the share of labelled objects found by a
detection of their class with IoU >= 0.5 (``detector.metrics.recall_by_size``; one detection finds
one object), per bin of object size (square root of the box area in pixels). Bins with fewer
than ``--min-objects`` objects are left out of the curve. The same on ``../shared/data/real-dev``
(246 real webcam frames, measured only, never trained on and not used by the curve), to show
how far the rendered figure overstates real footage.

Writes ``models/shorewatch-boats-recall.json`` (the curve the coverage map loads) and the
``bench:recall-by-size`` section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import write_section  # noqa: E402
from bench.bench_detector_speed import REAL_DEV  # noqa: E402
from detector.coverage import RECALL_FILE, ClassRecall, RecallCurve  # noqa: E402
from detector.evaluate import predict_dataset  # noqa: E402
from detector.metrics import SizeRecall, recall_by_size  # noqa: E402
from detector.model import DetectorConfig, load_detector  # noqa: E402

EDGES = (2.0, 4.0, 6.0, 8.0, 11.0, 16.0, 23.0, 32.0, 45.0, 64.0, 128.0)


def _curve(r: SizeRecall, min_objects: int) -> tuple[list[float], list[float]]:
    keep = [i for i, n in enumerate(r.n_gt) if n >= min_objects]
    return [round(r.centres_px[i], 2) for i in keep], [round(r.recall[i], 4) for i in keep]


def _row(name: str, r: SizeRecall) -> str:
    cells = ["-" if n == 0 else f"{f / n:.2f} ({n})" for f, n in zip(r.found, r.n_gt, strict=True)]
    return f"| {name} | " + " | ".join(cells) + " |"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", type=Path, default=None, help="weights (default: what load_detector picks)")
    ap.add_argument("--synth", type=Path, default=ROOT / "data" / "synth-v5", help="synthetic dataset")
    ap.add_argument("--limit", type=int, default=0, help="use only this many synthetic val images")
    ap.add_argument("--min-objects", type=int, default=20, help="smallest bin kept in the curve")
    ap.add_argument("--no-real", action="store_true", help="skip the real-dev comparison")
    ap.add_argument("--out", type=Path, default=RECALL_FILE, help="the recall file to write")
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args()
    if not (args.synth / "data.yaml").is_file():
        print(
            f"no synthetic dataset at {args.synth}: render one with "
            f"`shorewatch synth --out {args.synth} --images 2400`",
            file=sys.stderr,
        )
        return 2
    state = Path(os.environ.get("SHOREWATCH_STATE_DIR", ROOT / ".shorewatch"))
    live = DetectorConfig()
    det = load_detector(args.model, state, DetectorConfig(conf_boat=0.01, conf_person=0.01))

    def detect(img: object) -> tuple[object, object, object]:
        d = det.detect_image(img)  # type: ignore[arg-type]
        return d.xyxy, d.confidence, d.class_id

    t0 = time.time()
    syn, _ = predict_dataset(detect, args.synth, split="val", limit=args.limit)
    curves = {
        "boat": recall_by_size(syn, 0, live.conf_boat, EDGES),
        "person": recall_by_size(syn, 1, live.conf_person, EDGES),
    }
    real = None
    if not args.no_real and REAL_DEV.is_dir():
        rd, _ = predict_dataset(detect, REAL_DEV)
        real = {
            "boat": recall_by_size(rd, 0, live.conf_boat, EDGES),
            "person": recall_by_size(rd, 1, live.conf_person, EDGES),
        }
    source = (
        f"{det.backend.describe()}, one view (live path), {len(syn)} synthetic val pictures of "
        f"{args.synth.name}, conf boat >= {live.conf_boat:g}, person >= {live.conf_person:g}, IoU >= 0.5"
    )
    doc: dict[str, object] = {"source": source, "measured": time.strftime("%Y-%m-%d")}
    for k, v in curves.items():
        sizes, rec = _curve(v, args.min_objects)
        if len(sizes) < 2:
            print(
                f"too few {k} objects per size bin in {args.synth} (need {args.min_objects})", file=sys.stderr
            )
            return 2
        doc[k] = {"sizes_px": sizes, "recall": rec, "n_objects": [n for n in v.n_gt if n >= args.min_objects]}
    if real is not None:
        doc["real_dev"] = {
            k: dict(zip(("sizes_px", "recall"), _curve(v, args.min_objects), strict=True))
            for k, v in real.items()
        }
    rc = RecallCurve(
        ClassRecall(tuple(doc["boat"]["sizes_px"]), tuple(doc["boat"]["recall"])),  # type: ignore[index]
        ClassRecall(tuple(doc["person"]["sizes_px"]), tuple(doc["person"]["recall"])),  # type: ignore[index]
        source,
    )
    bins = [f"{a:g}-{b:g}" for a, b in itertools.pairwise(EDGES)]
    body = [
        "## Detector recall by object size (`bench/bench_recall_by_size.py`)",
        "",
        "Method: " + " ".join((__doc__ or "").split("Method:")[1].split("Writes")[0].split()),
        "",
        f"Model: {det.backend.describe()}; {time.time() - t0:.0f} s in all.",
        "",
        "Recall (objects) by size, square root of the box area in pixels:",
        "",
        "| set, class | " + " | ".join(bins) + " |",
        "| --- | " + " | ".join("---:" for _ in bins) + " |",
        _row(f"synthetic val ({len(syn)}), boat", curves["boat"]),
        _row(f"synthetic val ({len(syn)}), person", curves["person"]),
    ]
    if real is not None:
        body += [_row("real-dev, boat", real["boat"]), _row("real-dev, person", real["person"])]
    body += [
        "",
        f"The coverage map's curves (`{args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}`, "
        f"the synthetic rows' bins of at least {args.min_objects} objects): "
        + "; ".join(
            f"{name}: "
            + ", ".join(f"{sz:.0f} px {r:.2f}" for sz, r in zip(c.sizes_px, c.recall, strict=True))
            for name, c in (("boat", rc.boat), ("person", rc.person))
        )
        + ".",
    ]
    text = "\n".join(body)
    print(text)
    if not args.no_write:
        args.out.write_text(json.dumps(doc, indent=1) + "\n")
        write_section("recall-by-size", text)
    return 0 if all(math.isfinite(v) for v in rc.boat.recall + rc.person.recall) else 1


if __name__ == "__main__":
    sys.exit(main())
