"""Training the boat/person detector from synthetic YOLO data (``shorewatch synth``), on CPU by
default, resumable, and shipping the result into ``models/``.

Checkpoints go to ``<state_dir>/train/<name>/weights/{last,best}.pt``; ``resume`` continues
``last.pt`` with its own arguments. ``ship`` strips the optimizer from a checkpoint, copies it
to ``models/shorewatch-boats.pt`` and exports ``models/shorewatch-boats.onnx`` (dynamic batch
and size) for the fast inference path; optionally an int8 ONNX, validated against the float one
before it may become the default (``detector.verdict``)."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from detector import yolo
from detector.dataset import images_in, label_path_for, resolve_images
from detector.errors import DatasetError, TrainingError
from detector.export import CalibrationMethodName, fast_dfl, fp16_storage, quantize_int8, validate_int8
from detector.model import MODEL_STEM, MODELS_DIR
from detector.verdict import CalibrationTrial, Int8Verdict, write_verdict

logger = logging.getLogger(__name__)

ARCH_YAML = Path(__file__).with_name("shorewatch-yolo11.yaml")
"""The shipped architecture: YOLO11 at 0.1875 width (see the yaml's header)."""


class TrainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    data: Path = Field(description="data.yaml of a YOLO dataset (classes 0 boat, 1 person)")
    model: str = Field(str(ARCH_YAML), description="architecture yaml (from scratch) or a .pt to fine-tune")
    name: str = Field("shorewatch", min_length=1, max_length=64, description="run name under <state>/train")
    epochs: int = Field(30, ge=1, le=1000, description="training epochs")
    imgsz: int = Field(
        640, ge=64, le=2048, description="training image size (synthetic crops are 640, native scale)"
    )
    batch: int = Field(16, ge=1, le=512, description="images per batch")
    workers: int = Field(2, ge=0, le=32, description="data-loader worker processes")
    device: str = Field("cpu", description="'cpu', or a CUDA index such as '0'")
    threads: int | None = Field(
        None,
        ge=1,
        le=256,
        description=(
            "torch threads when training on the CPU (default: every core; ultralytics' own default "
            "leaves one idle, which on a 2-core machine makes each step 1.4x slower)"
        ),
    )
    cache: Literal["ram", "disk", "none"] = Field("ram", description="cache decoded images")
    fraction: float = Field(1.0, gt=0, le=1, description="fraction of the training split to use")
    patience: int = Field(50, ge=0, le=1000, description="epochs without improvement before stopping")
    seed: int = Field(0, ge=0, description="random seed")
    optimizer: Literal["auto", "MuSGD", "SGD", "AdamW", "Adam"] = Field(
        "auto",
        description=(
            "'auto' lets ultralytics pick the optimizer and its learning rate (MuSGD at 0.01 when "
            "epochs x batches-of-64 exceed 10,000, else AdamW at 0.00167) and ignore lr0"
        ),
    )
    lr0: float = Field(0.01, gt=0, le=1, description="initial learning rate (not with optimizer 'auto')")
    # augmentation (ultralytics built-ins; sim-to-real leans on colour, scale and mosaic)
    hsv_h: float = Field(0.02, ge=0, le=1, description="hue jitter")
    hsv_s: float = Field(0.7, ge=0, le=1, description="saturation jitter")
    hsv_v: float = Field(0.5, ge=0, le=1, description="brightness jitter")
    scale: float = Field(0.5, ge=0, le=0.95, description="random rescale +/- this fraction")
    translate: float = Field(0.1, ge=0, le=0.9, description="random translation fraction")
    degrees: float = Field(0.0, ge=0, le=180, description="random rotation")
    fliplr: float = Field(0.5, ge=0, le=1, description="horizontal flip probability")
    mosaic: float = Field(1.0, ge=0, le=1, description="mosaic probability")
    mixup: float = Field(0.0, ge=0, le=1, description="mixup probability")
    close_mosaic: int = Field(1, ge=0, le=1000, description="last epochs without mosaic")
    realism: bool = Field(
        True, description="add blur, noise, JPEG, haze and colour-cast degradations (detector.augment)"
    )
    style: float = Field(
        0.0,
        ge=0,
        le=1,
        description="share of training pictures repainted by a random convolution "
        "(detector.augment.random_convolution; needs realism)",
    )
    style_kernel: Literal[1, 3] = Field(
        3, description="largest random-convolution kernel: 3 (1x1 or 3x3), or 1 (colours only)"
    )
    warmup_epochs: float = Field(0.5, ge=0, le=100, description="learning-rate warm-up, in epochs")
    time_h: float | None = Field(
        None,
        gt=0,
        le=1000,
        description="train for this many hours (the schedule is fitted to it; overrides epochs)",
    )

    @model_validator(mode="after")
    def _lr0_needs_an_optimizer(self) -> TrainConfig:
        if "lr0" in self.model_fields_set and self.optimizer == "auto":
            raise ValueError(
                "lr0 is ignored with optimizer 'auto' (ultralytics then picks its own learning "
                "rate); name the optimizer too, e.g. MuSGD (what 'auto' picks for long runs) or AdamW"
            )
        return self

    @model_validator(mode="after")
    def _style_needs_realism(self) -> TrainConfig:
        if self.style > 0 and not self.realism:
            raise ValueError(
                "style repaints pictures inside the realism augmentation: with realism off it "
                "would be silently ignored (turn realism on, or leave style at 0)"
            )
        return self

    def hyperparameters(self) -> dict[str, Any]:
        d = self.model_dump(exclude={"data", "model", "name", "cache", "time_h", "threads"})
        d["cache"] = False if self.cache == "none" else self.cache
        if self.time_h is not None:
            d["time"] = self.time_h
        d.update(amp=False, plots=False, val=True, verbose=True, exist_ok=True)
        return d


def check_dataset(data: Path) -> Path:
    p = data / "data.yaml" if data.is_dir() else data
    if not p.is_file():
        raise DatasetError(f"no data.yaml at {str(p)!r}; make one with `shorewatch synth --out DIR`")
    import yaml

    meta = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    names = meta.get("names")
    names_list = [names[k] for k in sorted(names)] if isinstance(names, dict) else list(names or [])
    if names_list != ["boat", "person"]:
        raise DatasetError(f"{str(p)!r} has classes {names_list}; expected ['boat', 'person']")
    return p


def resolved_yaml(data_yaml: Path, out_dir: Path) -> Path:
    """A copy of ``data_yaml`` whose ``path`` is absolute (ultralytics resolves a relative
    ``path`` against the working directory, not the yaml's folder)."""
    import yaml

    meta = yaml.safe_load(data_yaml.read_text(encoding="utf-8")) or {}
    root = Path(meta.get("path") or ".")
    meta["path"] = str(root if root.is_absolute() else (data_yaml.parent / root).resolve())
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "data.yaml"
    out.write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    return out


def run_dir(state_dir: Path, name: str) -> Path:
    return Path(state_dir).resolve() / "train" / name


def train(
    cfg: TrainConfig,
    state_dir: Path,
    *,
    resume: bool = False,
    on_epoch_end: Callable[[int, int, dict[str, float]], None] | None = None,
    callbacks: dict[str, Callable[[Any], None]] | None = None,
) -> Path:
    """Train (or resume ``cfg.name``); returns the best checkpoint. ``callbacks``: more ultralytics
    callbacks by event (see ``detector.yolo.train``)."""
    rd = run_dir(state_dir, cfg.name)
    if resume:
        last = rd / "weights" / "last.pt"
        if not last.is_file():
            raise TrainingError(f"nothing to resume: {str(last)!r} does not exist (start without --resume)")
        return yolo.train(
            state_dir=state_dir,
            model=str(last),
            data_yaml="",
            project=rd.parent,
            name=cfg.name,
            resume_from=last,
            on_epoch_end=on_epoch_end,
            device=cfg.device,
            realism=cfg.realism,
            style=cfg.style,
            style_kernel=cfg.style_kernel,
            cpu_threads=cfg.threads,
            callbacks=callbacks,
        )
    data_yaml = resolved_yaml(check_dataset(cfg.data), rd.parent / f"{cfg.name}-data")
    return yolo.train(
        state_dir=state_dir,
        model=cfg.model,
        data_yaml=data_yaml,
        project=rd.parent,
        name=cfg.name,
        on_epoch_end=on_epoch_end,
        cpu_threads=cfg.threads,
        callbacks=callbacks,
        **cfg.hyperparameters(),
    )


def ship(
    checkpoint: Path,
    state_dir: Path,
    models_dir: Path = MODELS_DIR,
    *,
    onnx: bool = True,
    int8_calibration: list[Path] | None = None,
    int8_validation: Path | None = None,
    int8_validation_images: int = 400,
) -> list[Path]:
    """Strip ``checkpoint`` into ``models_dir`` and export its ONNX (float16 storage); with
    ``int8_calibration`` images also an int8 ONNX (``-int8.onnx``): one per calibration of
    ``INT8_CALIBRATIONS``, each validated against the float ONNX on ``int8_validation``'s val
    split, the best kept (``best_int8_verdict``) with its verdict (``-int8.json``, see
    ``detector.verdict``): the int8 model becomes the default only if that verdict passed.
    Returns the files written."""
    if not checkpoint.is_file():
        raise TrainingError(f"checkpoint {str(checkpoint)!r} not found")
    if int8_calibration and int8_validation is None:
        raise TrainingError(
            "an int8 export needs held-out images to be validated on (a dataset with a val split)"
        )
    models_dir.mkdir(parents=True, exist_ok=True)
    work = Path(state_dir).resolve() / "ship"
    work.mkdir(parents=True, exist_ok=True)
    tmp = work / f"{MODEL_STEM}.pt"
    shutil.copyfile(checkpoint, tmp)
    yolo.strip_checkpoint(tmp, state_dir)
    written = []
    pt = models_dir / f"{MODEL_STEM}.pt"
    shutil.copyfile(tmp, pt)
    written.append(pt)
    if onnx:
        exported = fast_dfl(yolo.export_onnx(tmp, state_dir))
        dst = models_dir / f"{MODEL_STEM}.onnx"
        fp16_storage(exported, dst)
        written.append(dst)
        q_name = f"{MODEL_STEM}-int8.onnx"
        if int8_calibration and int8_validation is not None:
            # quantise and judge each calibration in the work folder; models/ gets the kept file
            # and its verdict together
            tried: dict[str, tuple[Path, Int8Verdict]] = {}
            for method in INT8_CALIBRATIONS:
                q_work = work / f"{MODEL_STEM}-int8-{method}.onnx"
                quantize_int8(exported, q_work, int8_calibration, method=method)
                v = validate_int8(dst, q_work, int8_validation, limit=int8_validation_images)
                tried[method] = (q_work, v.model_copy(update={"calibration": method}))
                judged = tried[method][1]
                if judged.passed:
                    logger.info("int8 with %s calibration: %s", method, verdict_summary(judged))
                else:
                    logger.warning("int8 with %s calibration rejected: %s", method, "; ".join(judged.reasons))
            verdict = best_int8_verdict([v for _, v in tried.values()])
            verdict = verdict.model_copy(
                update={
                    "calibrations_tried": [
                        CalibrationTrial(
                            method=m, passed=v.passed, ap50_int8=v.ap50_int8, score_diff_p95=v.score_diff_p95
                        )
                        for m, (_, v) in tried.items()
                    ]
                }
            )
            q = models_dir / q_name
            shutil.copyfile(tried[verdict.calibration][0], q)
            written += [q, write_verdict(verdict, q)]
            if verdict.passed:
                logger.info("int8 model validated: %s", verdict_summary(verdict))
            else:
                logger.warning(
                    "int8 model rejected (%s): %s", "; ".join(verdict.reasons), verdict_summary(verdict)
                )
        elif (models_dir / q_name).is_file():
            logger.warning(
                "%s is left from an earlier model; its verdict no longer matches %s, so it is not the default",
                models_dir / q_name,
                dst.name,
            )
    return written


INT8_CALIBRATIONS: tuple[CalibrationMethodName, ...] = ("minmax", "percentile")
"""Both are tried when shipping (``best_int8_verdict`` keeps one): MinMax keeps every
activation's full calibrated range; Percentile (99.999 %) clips the rare extremes and so resolves
the common values more finely. Which one tracks the float model closer depends on the weights:
for stage 9 MinMax passed, for stage 13 it missed the score-difference criterion (p95 0.053 >
0.05) and Percentile passed; for stage 23 both passed, MinMax losing 0.006 boat AP50 on
synthetic val (and 0.006 on real-dev) where Percentile lost nothing."""


def int8_ap50_drop(v: Int8Verdict) -> float:
    """The int8 model's largest per-class AP50 loss against the float model (negative: a gain)."""
    return max(v.ap50_reference[c] - v.ap50_int8.get(c, 0.0) for c in v.ap50_reference)


def best_int8_verdict(verdicts: list[Int8Verdict]) -> Int8Verdict:
    """The verdict to ship among one model's int8 calibrations: a passing one before any failing
    one, then the smallest worst-class AP50 loss, then the smaller score-difference p95, then the
    order tried."""
    if not verdicts:
        raise TrainingError("no int8 calibration was tried")
    ranked = sorted(
        enumerate(verdicts),
        key=lambda iv: (not iv[1].passed, int8_ap50_drop(iv[1]), iv[1].score_diff_p95, iv[0]),
    )
    return ranked[0][1]


def verdict_summary(v: Int8Verdict) -> str:
    ap = ", ".join(f"{c} {v.ap50_int8[c]:.3f} (float {v.ap50_reference[c]:.3f})" for c in v.ap50_reference)
    return (
        f"{'PASSED' if v.passed else 'FAILED'} ({v.calibration} calibration) on {v.images} images of {v.data}: AP50 {ap}; "
        f"found {v.recall_vs_reference:.1%} of the float detections, "
        f"{v.precision_vs_reference:.1%} of its own are the float's; "
        f"score difference median {v.score_diff_median:.3f}, p95 {v.score_diff_p95:.3f}, max {v.score_diff_max:.3f}; "
        f"confident float detections ({v.confident_matches}) shifted {v.confident_score_shift:+.3f}"
    )


def calibration_images(data: Path, n: int = 64) -> list[Path]:
    """``n`` training images spread over the dataset, for int8 calibration."""
    from detector.dataset import resolve_images

    imgs = resolve_images(data, "train")
    step = max(1, len(imgs) // n)
    return imgs[::step][:n]


def mix_datasets(
    datasets: list[Path], out_dir: Path, *, n_train: int = 0, n_val: int = 0, seed: int = 0
) -> Path:
    """One data.yaml over several YOLO datasets (e.g. synth-v2..v4): image lists with absolute
    paths, optionally a random sample of ``n_train`` / ``n_val`` images (0: all)."""
    import random

    import yaml

    rng = random.Random(seed)
    lists: dict[str, list[str]] = {"train": [], "val": []}
    for d in datasets:
        check_dataset(d)
        for split in lists:
            lists[split].extend(str(p.resolve()) for p in resolve_images(d, split))
    out_dir.mkdir(parents=True, exist_ok=True)
    meta: dict[str, object] = {"path": str(out_dir.resolve()), "names": {0: "boat", 1: "person"}}
    for split, n in (("train", n_train), ("val", n_val)):
        items = lists[split]
        if n and n < len(items):
            items = rng.sample(items, n)
        (out_dir / f"{split}.txt").write_text("\n".join(items) + "\n", encoding="utf-8")
        meta[split] = f"{split}.txt"
    out = out_dir / "data.yaml"
    out.write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    return out


def label_pad_of(root: Path) -> float:
    """The label padding (pixels per side, ``flight.sim.synth.LABEL_PAD_PX``) a dataset folder's
    boxes got; 0 for folders written before the padding existed."""
    f = Path(root) / "LABEL_PAD"
    return float(f.read_text(encoding="utf-8").strip()) if f.exists() else 0.0


def pad_dataset_labels(root: Path, px: float | None = None) -> int:
    """Bring an existing YOLO folder's boxes to ``px`` pixels of padding per side (default: the
    generators' ``LABEL_PAD_PX``), in place, once: ``root/LABEL_PAD`` records what was applied, so
    running it again changes nothing. Returns the number of label files rewritten."""
    from PIL import Image

    from detector.boxes import xyxy_to_yolo
    from detector.dataset import read_labels
    from flight.sim.synth import LABEL_PAD_PX, pad_label

    root = Path(root)
    want = LABEL_PAD_PX if px is None else px
    delta = want - label_pad_of(root)
    if delta == 0:
        return 0
    n = 0
    for img in images_in(root):
        lab = label_path_for(img)
        if not lab.is_file():
            continue
        with Image.open(img) as im:
            w, h = im.size
        boxes, cls = read_labels(lab, w, h)  # a malformed line is refused, not dropped
        grown = [
            pad_label((int(c), float(x), float(y), float(bw), float(bh)), delta / w, delta / h)
            for c, (x, y, bw, bh) in zip(cls, xyxy_to_yolo(boxes, w, h), strict=True)
        ]
        lab.write_text(
            "".join(f"{c} {x:.6f} {y:.6f} {bw:.6f} {bh:.6f}\n" for c, x, y, bw, bh in grown),
            encoding="utf-8",
        )
        n += 1
    (root / "LABEL_PAD").write_text(f"{want:g}\n", encoding="utf-8")
    return n


def crop_dataset(
    images: list[Path],
    out_dir: Path,
    *,
    crop_px: int = 320,
    crops_per_image: int = 2,
    background_frac: float = 0.15,
    min_visible: float = 0.5,
    seed: int = 0,
) -> Path:
    """Object-centred native-resolution crops (``crop_px`` squares) of YOLO images, written as a
    new YOLO dataset (train split only) under ``out_dir``; returns its data.yaml.

    Synthetic frames are mostly empty sea and sand: cropping around objects puts more of each
    training batch on boats and people at their native pixel size, which makes a CPU-bound
    training budget go further. ``background_frac`` of the crops are random (often empty)
    windows, kept as negatives. Boxes cut by the crop are kept when at least ``min_visible`` of
    their area is inside."""
    import cv2
    import numpy as np
    import yaml

    from detector.dataset import label_path_for, read_labels

    rng = np.random.default_rng(seed)
    img_dir = out_dir / "train" / "images"
    lab_dir = out_dir / "train" / "labels"
    img_dir.mkdir(parents=True, exist_ok=True)
    lab_dir.mkdir(parents=True, exist_ok=True)
    n_out = 0
    for k, path in enumerate(images):
        img = cv2.imread(str(path))
        if img is None:
            continue
        h, w = img.shape[:2]
        if min(h, w) < crop_px:
            continue
        boxes, cls = read_labels(label_path_for(path), w, h)
        centres: list[tuple[float, float]] = []
        if len(boxes):
            for i in rng.permutation(len(boxes))[:crops_per_image]:
                bx = (boxes[i, 0] + boxes[i, 2]) / 2 + rng.uniform(-0.35, 0.35) * crop_px
                by = (boxes[i, 1] + boxes[i, 3]) / 2 + rng.uniform(-0.35, 0.35) * crop_px
                centres.append((bx, by))
        if not centres or rng.random() < background_frac:
            centres.append((rng.uniform(0, w), rng.uniform(0, h)))
        for j, (cx, cy) in enumerate(centres):
            x0 = int(np.clip(cx - crop_px / 2, 0, w - crop_px))
            y0 = int(np.clip(cy - crop_px / 2, 0, h - crop_px))
            crop = img[y0 : y0 + crop_px, x0 : x0 + crop_px]
            lines = []
            for (a, b, c, d), ci in zip(boxes, cls, strict=True):
                area = max((c - a) * (d - b), 1e-9)
                ca, cb = max(a - x0, 0.0), max(b - y0, 0.0)
                cc, cd = min(c - x0, float(crop_px)), min(d - y0, float(crop_px))
                if cc <= ca or cd <= cb or (cc - ca) * (cd - cb) < min_visible * area:
                    continue
                lines.append(
                    f"{int(ci)} {(ca + cc) / 2 / crop_px:.6f} {(cb + cd) / 2 / crop_px:.6f} "
                    f"{(cc - ca) / crop_px:.6f} {(cd - cb) / crop_px:.6f}"
                )
            name = f"{path.stem}_c{j}"
            cv2.imwrite(str(img_dir / f"{name}.jpg"), crop, [cv2.IMWRITE_JPEG_QUALITY, 95])
            (lab_dir / f"{name}.txt").write_text("".join(line + "\n" for line in lines))
            n_out += 1
        if k % 500 == 0:
            logger.info("cropped %d/%d images -> %d crops", k, len(images), n_out)
    meta = {
        "path": str(out_dir.resolve()),
        "train": "train/images",
        "val": "train/images",
        "names": {0: "boat", 1: "person"},
    }
    out = out_dir / "data.yaml"
    out.write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    pads = {label_pad_of(p.parents[2] if len(p.parents) > 2 else p.parent) for p in images}  # as sources
    if len(pads) == 1:
        (out_dir / "LABEL_PAD").write_text(f"{pads.pop():g}\n", encoding="utf-8")
    return out
