"""Score a detector on a YOLO-format folder through its full detect path (tiling included)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2

from detector.dataset import read_labels, samples
from detector.errors import DatasetError
from detector.metrics import ClassMetrics, ImageResult, evaluate
from shorewatch.types import CLASS_NAMES


@dataclass(frozen=True, slots=True)
class DatasetScore:
    classes: list[ClassMetrics]
    images: int
    seconds_per_image: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "images": self.images,
            "seconds_per_image": self.seconds_per_image,
            "classes": {
                m.name: {
                    "n_gt": m.n_gt,
                    "n_pred": m.n_pred,
                    "precision": m.precision,
                    "recall": m.recall,
                    "f1_conf": m.f1_conf,
                    "ap50": m.ap50,
                    "ap50_95": m.ap50_95,
                    "ap50_by_size": m.ap50_by_size,
                    "n_gt_by_size": m.n_gt_by_size,
                }
                for m in self.classes
            },
        }


def predict_dataset(
    detect: Callable[[Any], tuple[Any, Any, Any]],
    path: str | Path,
    *,
    split: str = "val",
    limit: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[ImageResult], float]:
    """Run ``detect(image_bgr) -> (xyxy, conf, class)`` over a dataset; returns per-image results
    and the mean seconds per image."""
    items = samples(path, split)
    if limit:
        items = items[:limit]
    results = []
    total = 0.0
    for i, s in enumerate(items):
        img = cv2.imread(str(s.image), cv2.IMREAD_COLOR)
        if img is None:
            raise DatasetError(f"{s.image}: not a readable image")
        h, w = img.shape[:2]
        gt, gc = read_labels(s.label, w, h)
        t0 = time.perf_counter()
        xyxy, conf, cls = detect(img)
        total += time.perf_counter() - t0
        results.append(ImageResult.make(gt, gc, xyxy, conf, cls))
        if progress:
            progress(i + 1, len(items))
    return results, total / max(len(items), 1)


def score_detector(
    detector: Any,
    path: str | Path,
    *,
    split: str = "val",
    limit: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> DatasetScore:
    """``detector``: a ``BoatDetector`` (its config decides thresholds; use a low one for AP)."""

    def detect(img: Any) -> tuple[Any, Any, Any]:
        d = detector.detect_image(img)
        return d.xyxy, d.confidence, d.class_id

    results, spi = predict_dataset(detect, path, split=split, limit=limit, progress=progress)
    return DatasetScore(evaluate(results, CLASS_NAMES), len(results), spi)
