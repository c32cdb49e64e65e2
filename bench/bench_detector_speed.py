"""Detector speed vs ultralytics' own ``predict`` on the same weights, at equal accuracy.

Method: the frames of ``../shared/data/real-dev`` (read-only, measured only) at 1280x720: its
37 native 1280x720 frames as they are and its 1920x1080 frames shrunk to 1280x720 (INTER_AREA;
labels are normalised, so they still fit), 246 frames and 1,604 people in all (the 37 native
ones alone hold 50 people: too few to compare person AP50 within 0.01). Every
configuration runs on every frame, interleaved frame by frame (so the shared CPUs' load hits all
alike), after one warm-up frame; reported are the median wall milliseconds per frame, frames/s,
and AP50 per class on those frames (confidence floor 0.01). References, measured in the same run:
ultralytics ``YOLO(pt).predict(frame)`` with its defaults (imgsz 640), and at imgsz 1280 (the
native resolution, which is what the tiled path also sees). The whole detect+track+georef+events
path is timed on rendered frames with a pose (``flight.sim``), frames rendered beforehand.

Writes the ``bench:detector-speed`` section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from detector.dataset import read_labels, samples  # noqa: E402
from detector.metrics import ImageResult, evaluate  # noqa: E402
from detector.model import (  # noqa: E402
    MODEL_STEM,
    MODELS_DIR,
    DetectorConfig,
    default_ship_model_path,
    load_detector,
    tta_settings,
)
from detector.tiling import TilingConfig  # noqa: E402
from shorewatch.types import CLASS_NAMES  # noqa: E402

REAL_DEV = ROOT.parent / "shared" / "data" / "real-dev"
SECTION = "detector-speed"


FLAG_NAMES = (
    ("avx2", "AVX2"),
    ("avx512f", "AVX-512"),
    ("avx512_vnni", "AVX-512 VNNI"),
    ("avx_vnni", "AVX-VNNI"),
    ("avx512_bf16", "AVX-512 BF16"),
    ("amx_bf16", "AMX"),
)


def cpu_summary() -> str:
    """The CPU's model and which of the instruction sets the runtimes' speed and int8 kernels
    hinge on (``FLAG_NAMES``) it has, e.g. ``AMD EPYC (AVX2; without AVX-512, ..., AMX)``."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor() or "unknown CPU"
    model = re.search(r"^model name\s*:\s*(.+)$", info, re.M)
    flags = set(m.group(1).split()) if (m := re.search(r"^flags\s*:\s*(.+)$", info, re.M)) else set()
    have = [name for flag, name in FLAG_NAMES if flag in flags]
    lacks = [name for flag, name in FLAG_NAMES if flag not in flags]
    parts = [", ".join(have)] if have else []
    if lacks:
        parts.append("without " + ", ".join(lacks))
    return f"{model.group(1).strip() if model else 'unknown CPU'} ({'; '.join(parts)})"


def write_section(name: str, body: str) -> None:
    p = ROOT / "BENCHMARKS.md"
    text = (
        p.read_text(encoding="utf-8")
        if p.exists()
        else "# Benchmarks\n\nEach section is written by its script in `bench/`.\n"
    )
    block = f"<!-- bench:{name} -->\n{body.rstrip()}\n<!-- /bench:{name} -->"
    pat = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
    text = pat.sub(lambda _m: block, text) if pat.search(text) else text.rstrip() + "\n\n" + block + "\n"
    p.write_text(text, encoding="utf-8")


def _read(path: Path) -> npt.NDArray[np.uint8]:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise SystemExit(f"{path}: not a readable image")
    return np.asarray(img, dtype=np.uint8)


def _read_720(path: Path) -> npt.NDArray[np.uint8]:
    img = _read(path)
    if img.shape[:2] != (720, 1280):
        img = np.asarray(cv2.resize(img, (1280, 720), interpolation=cv2.INTER_AREA), dtype=np.uint8)
    return img


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--frames", type=int, default=0, help="how many real-dev frames (0: all)")
    ap.add_argument(
        "--pipeline-frames", type=int, default=30, help="rendered frames for the whole-path timing"
    )
    ap.add_argument("--pt", type=Path, default=MODELS_DIR / f"{MODEL_STEM}.pt")
    ap.add_argument(
        "--onnx",
        type=Path,
        default=None,
        help="ONNX model (default: what load_detector picks on this machine)",
    )
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    state = Path(os.environ.get("SHOREWATCH_STATE_DIR", ROOT / ".shorewatch"))

    items = samples(REAL_DEV, "val")[: args.frames or None]
    frames = [_read_720(s.image) for s in items]
    gts = [read_labels(s.label, f.shape[1], f.shape[0]) for s, f in zip(items, frames, strict=True)]
    print(f"{len(frames)} frames of 1280x720 from real-dev")

    from detector import yolo

    low = 0.01
    ref640 = yolo.reference_predictor(args.pt, state, conf=low)
    ref1280 = yolo.reference_predictor(args.pt, state, conf=low, imgsz=1280)
    cfg = DetectorConfig(conf_boat=low, conf_person=low)
    # the default runtime ('auto'), the main model alone (the ship pass has its own row below)
    onnx_full = load_detector(args.onnx, state, cfg.model_copy(update={"ship_pass": False}))
    onnx_native = onnx_full.with_config(cfg.model_copy(update={"tiling": TilingConfig(coarse_pass=False)}))
    torch_full = load_detector(args.pt, state, cfg)
    default_label = onnx_full.backend.describe()
    default_path = Path(onnx_full.source)

    def wrap(det: Any) -> Callable[[Any], tuple[Any, Any, Any]]:
        def f(img: Any) -> tuple[Any, Any, Any]:
            d = det.detect_image(img)
            return d.xyxy, d.confidence, d.class_id

        return f

    configs: dict[str, Callable[[Any], tuple[Any, Any, Any]]] = {
        "ultralytics predict (imgsz 640, default)": ref640,
        "ultralytics predict (imgsz 1280)": ref1280,
        "BoatDetector torch .pt (tiles + coarse)": wrap(torch_full),
        f"BoatDetector {default_label} (tiles + coarse, the same weights alone)": wrap(onnx_full),
        f"BoatDetector {default_label} (native tiles only)": wrap(onnx_native),
        f"BoatDetector {default_label} (tiles + coarse + mirror view, `--tta flip`)": wrap(
            onnx_full.with_config(cfg.model_copy(update=tta_settings("flip")))
        ),
        f"BoatDetector {default_label} (1x, 0.83x, 1.25x, each mirrored, `shorewatch detect`'s `--tta full`)": wrap(
            onnx_full.with_config(cfg.model_copy(update=tta_settings("full")))
        ),
    }
    ship_model = default_ship_model_path()
    if ship_model is not None:  # what a webcam's frames (no pose) get by default: + the ship model
        with_ships = load_detector(args.onnx, state, cfg, ship_path=ship_model)
        configs[
            f"BoatDetector {default_label} (tiles + coarse + ship pass on `{ship_model.name}`, the default without a pose)"
        ] = wrap(with_ships)
    for p in (MODELS_DIR / f"{MODEL_STEM}-int8.onnx", MODELS_DIR / f"{MODEL_STEM}.onnx"):
        other = (
            load_detector(p, state, cfg.model_copy(update={"runtime": "onnxruntime"}))
            if p.is_file()
            else None
        )
        if other is not None and other.backend.describe() != default_label:
            configs[f"BoatDetector {other.backend.describe()} (tiles + coarse, not the default)"] = wrap(
                other
            )
    times: dict[str, list[float]] = {k: [] for k in configs}
    preds: dict[str, list[ImageResult]] = {k: [] for k in configs}
    for f in configs.values():
        f(frames[0])  # warm-up
    for img, (g, gc) in zip(frames, gts, strict=True):
        for name, f in configs.items():
            t0 = time.perf_counter()
            xyxy, conf, cls = f(img)
            times[name].append(time.perf_counter() - t0)
            preds[name].append(ImageResult.make(g, gc, np.asarray(xyxy), np.asarray(conf), np.asarray(cls)))
    rows = []
    ref_ms = statistics.median(times["ultralytics predict (imgsz 640, default)"]) * 1000
    ref_ap: dict[str, float] = {}
    for name in configs:
        ms = statistics.median(times[name]) * 1000
        m = evaluate(preds[name], CLASS_NAMES)
        aps = {c.name: c.ap50 for c in m}
        if not ref_ap:
            ref_ap = aps
        rows.append((name, ms, 1000 / ms, ref_ms / ms, aps["boat"], aps["person"]))
        print(
            f"{name:55s} {ms:7.1f} ms  {1000 / ms:5.2f} fps  x{ref_ms / ms:4.2f}  AP50 boat {aps['boat']:.3f} person {aps['person']:.3f}"
        )

    default_name = f"BoatDetector {default_label} (tiles + coarse, the same weights alone)"
    ref_name = "ultralytics predict (imgsz 1280)"
    by_name = {r[0]: r for r in rows}
    ratio_line = (
        f"In this run the `BoatDetector` path on the same weights (the default runtime) ran at "
        f"{by_name[ref_name][1] / by_name[default_name][1]:.2f}x the frames/s of `predict` at imgsz 1280 "
        f"(the same pixels; target >= 2x), AP50 boat {by_name[default_name][4] - by_name[ref_name][4]:+.3f}, "
        f"person {by_name[default_name][5] - by_name[ref_name][5]:+.3f} against it (target: within 0.01); "
        f"against `predict`'s default imgsz 640 it ran at {by_name[default_name][3]:.2f}x."
    )
    print(ratio_line)
    # the service's thresholds, on the already loaded default model
    pipe_line = _pipeline_fps(onnx_full.with_config(DetectorConfig()), args.pipeline_frames)
    print(pipe_line)
    if args.no_write:
        return 0
    body = [
        "## Detector speed (`bench/bench_detector_speed.py`)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs (shared with other work), {cpu_summary()}, "
        f"Python {platform.python_version()}.",
        "",
        "Method: " + " ".join(__doc__.split("Method:")[1].split("Writes")[0].split()),
        "",
        f"Model: `{args.pt.name}` / `{default_path.name}` ({default_label}). {len(frames)} frames.",
        "",
        "| configuration | median ms / frame | frames/s | speed vs predict@640 | AP50 boat | AP50 person |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, ms, fps, ratio, apb, app in rows:
        body.append(f"| {name} | {ms:.1f} | {fps:.2f} | {ratio:.2f}x | {apb:.3f} | {app:.3f} |")
    body += ["", ratio_line, "", pipe_line]
    write_section(SECTION, "\n".join(body))
    return 0


def _pipeline_fps(det: Any, n: int) -> str:
    try:
        from flight.sim.camera import SimCamera
        from flight.sim.render import ScriptedFlight
        from flight.sim.scenario import load_scenario
        from flight.sim.world import World
    except ImportError as exc:
        return f"Whole path: not measured ({exc})."
    from detector.pipeline import DetectionPipeline
    from shorewatch.site import load_site

    sc = load_scenario("dawn_launch_wissant")
    site = load_site(sc.site)
    world = World(site, sc, 7)
    cam = SimCamera(world, seed=7)
    fl = ScriptedFlight(world, sc.drone)
    frames = []
    for i in range(n):
        t = 80 + i / sc.drone.fps
        world.step_to(t)
        frames.append(cam.render(fl.telemetry(t))[0])
    pipe = DetectionPipeline(det, site)
    pipe.process(frames[0])
    stages: list[tuple[float, float, float, float]] = []
    for f in frames[1:]:
        t0 = time.perf_counter()
        r = pipe.process(f)
        stages.append((time.perf_counter() - t0, r.times.detect_s, r.times.track_s, r.times.events_s))
    med = [statistics.median(s[i] for s in stages) * 1000 for i in range(4)]
    return (
        f"Whole path (detect + track + georef + events, {det.backend.describe()}, posed 1280x720 rendered frames of "
        f"dawn_launch_wissant, {len(stages)} frames): median {med[0]:.1f} ms/frame = {1000 / med[0]:.2f} frames/s "
        f"(detect {med[1]:.1f} ms, track {med[2]:.1f} ms, georef + events {med[3]:.1f} ms)."
    )


if __name__ == "__main__":
    sys.exit(main())
