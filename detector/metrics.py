"""Detection metrics on YOLO-format data: per class precision, recall, AP50, AP50-95, and AP50
by object size.

AP follows COCO: greedy matching by confidence at each IoU threshold, precision envelope,
101-point interpolation. Size buckets use the square root of the box area in pixels of the
original image (``tiny`` < 16, ``small`` 16-32, ``medium+`` >= 32); as in COCO, a bucket's AP
ignores ground truth outside the bucket, detections matched to it, and unmatched detections
outside the bucket. Precision and recall are reported at the confidence that maximises F1.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from detector.boxes import as_xyxy, pairwise_iou, size_px
from detector.errors import DetectorError

SIZE_BUCKETS: dict[str, tuple[float, float]] = {
    "<16px": (0.0, 16.0),
    "16-32px": (16.0, 32.0),
    ">32px": (32.0, float("inf")),
}
IOU_THRESHOLDS = np.round(np.arange(0.5, 0.96, 0.05), 2)


@dataclass(frozen=True, slots=True)
class ImageResult:
    """Ground truth and predictions of one image (pixels)."""

    gt_xyxy: npt.NDArray[np.float64]
    gt_class: npt.NDArray[np.int64]
    pred_xyxy: npt.NDArray[np.float64]
    pred_conf: npt.NDArray[np.float64]
    pred_class: npt.NDArray[np.int64]

    @classmethod
    def make(
        cls,
        gt_xyxy: npt.ArrayLike,
        gt_class: npt.ArrayLike,
        pred_xyxy: npt.ArrayLike,
        pred_conf: npt.ArrayLike,
        pred_class: npt.ArrayLike,
    ) -> ImageResult:
        g, p = as_xyxy(gt_xyxy), as_xyxy(pred_xyxy)
        gc = np.asarray(gt_class, dtype=np.int64).reshape(-1)
        pc = np.asarray(pred_class, dtype=np.int64).reshape(-1)
        pf = np.asarray(pred_conf, dtype=np.float64).reshape(-1)
        if len(g) != len(gc) or not (len(p) == len(pc) == len(pf)):
            raise DetectorError("ImageResult: boxes, classes and confidences differ in length")
        return cls(g, gc, p, pf, pc)


@dataclass(frozen=True, slots=True)
class ClassMetrics:
    name: str
    n_gt: int
    n_pred: int
    precision: float
    recall: float
    f1_conf: float
    ap50: float
    ap50_95: float
    ap50_by_size: dict[str, float] = field(default_factory=dict)
    n_gt_by_size: dict[str, int] = field(default_factory=dict)


def average_precision(recall: npt.ArrayLike, precision: npt.ArrayLike) -> float:
    """COCO 101-point interpolated AP of a precision/recall curve (recall ascending)."""
    r = np.asarray(recall, dtype=np.float64)
    p = np.asarray(precision, dtype=np.float64)
    if len(r) == 0:
        return 0.0
    p = np.flip(np.maximum.accumulate(np.flip(p)))  # precision envelope
    x = np.linspace(0, 1, 101)
    idx = np.searchsorted(r, x, side="left")
    return float(np.mean(np.where(idx < len(p), p[np.minimum(idx, len(p) - 1)], 0.0)))


def _match(
    images: Sequence[ImageResult], cls: int, thr: float, size: tuple[float, float] | None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], int]:
    confs: list[float] = []
    tps: list[bool] = []
    n_gt = 0
    lo, hi = size if size else (0.0, float("inf"))
    for im in images:
        g = im.gt_xyxy[im.gt_class == cls]
        pm = im.pred_class == cls
        p, pc = im.pred_xyxy[pm], im.pred_conf[pm]
        g_size = size_px(g) if len(g) else np.zeros(0)
        g_ign = (g_size < lo) | (g_size >= hi)
        n_gt += int((~g_ign).sum())
        if len(p) == 0:
            continue
        order = np.argsort(-pc, kind="stable")
        p, pc = p[order], pc[order]
        p_size = size_px(p)
        iou = pairwise_iou(p, g) if len(g) else np.zeros((len(p), 0))
        used = np.zeros(len(g), dtype=bool)
        for i in range(len(p)):
            best, best_iou = -1, thr - 1e-9
            for want_ignored in (False, True):
                cand = np.flatnonzero((~used) & (g_ign == want_ignored) & (iou[i] >= best_iou))
                if len(cand):
                    best = int(cand[np.argmax(iou[i, cand])])
                    break
            if best >= 0:
                used[best] = True
                if g_ign[best]:
                    continue  # matched an ignored object: not counted
                confs.append(float(pc[i]))
                tps.append(True)
            elif lo <= p_size[i] < hi:
                confs.append(float(pc[i]))
                tps.append(False)
    return np.asarray(confs), np.asarray(tps, dtype=bool), n_gt


def _curve(
    confs: npt.NDArray[np.float64], tps: npt.NDArray[np.bool_], n_gt: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    order = np.argsort(-confs, kind="stable")
    tp = np.cumsum(tps[order])
    fp = np.cumsum(~tps[order])
    recall = tp / max(n_gt, 1)
    precision = tp / np.maximum(tp + fp, 1)
    return recall, precision, confs[order]


def evaluate(images: Sequence[ImageResult], class_names: Sequence[str]) -> list[ClassMetrics]:
    out = []
    for cls, name in enumerate(class_names):
        aps = []
        p_best = r_best = c_best = 0.0
        n_gt = 0
        for thr in IOU_THRESHOLDS:
            confs, tps, n_gt = _match(images, cls, float(thr), None)
            if n_gt == 0:
                aps.append(float("nan"))
                continue
            recall, precision, sorted_conf = _curve(confs, tps, n_gt)
            aps.append(average_precision(recall, precision) if len(confs) else 0.0)
            if thr == 0.5 and len(confs):
                f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
                k = int(np.argmax(f1))
                p_best, r_best, c_best = float(precision[k]), float(recall[k]), float(sorted_conf[k])
        by_size: dict[str, float] = {}
        n_by_size: dict[str, int] = {}
        for bname, rng in SIZE_BUCKETS.items():
            confs, tps, ng = _match(images, cls, 0.5, rng)
            n_by_size[bname] = ng
            if ng == 0:
                by_size[bname] = float("nan")
            else:
                r, p, _ = _curve(confs, tps, ng)
                by_size[bname] = average_precision(r, p) if len(confs) else 0.0
        n_pred = int(sum(int((im.pred_class == cls).sum()) for im in images))
        out.append(
            ClassMetrics(
                name=name,
                n_gt=n_gt,
                n_pred=n_pred,
                precision=p_best,
                recall=r_best,
                f1_conf=c_best,
                ap50=aps[0],
                ap50_95=float(np.mean(aps)) if not np.isnan(aps).all() else float("nan"),
                ap50_by_size=by_size,
                n_gt_by_size=n_by_size,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class SizeRecall:
    """Recall of one class at a fixed confidence threshold, per object-size bin."""

    edges_px: tuple[float, ...]  # bin edges (square root of the box area), len = bins + 1
    n_gt: tuple[int, ...]
    found: tuple[int, ...]

    @property
    def recall(self) -> tuple[float, ...]:
        return tuple(f / n if n else float("nan") for f, n in zip(self.found, self.n_gt, strict=True))

    @property
    def centres_px(self) -> tuple[float, ...]:
        """Geometric middle of each bin."""
        return tuple(float(np.sqrt(a * b)) for a, b in zip(self.edges_px, self.edges_px[1:], strict=False))


def recall_by_size(
    images: Sequence[ImageResult], cls: int, conf: float, edges_px: Sequence[float], iou: float = 0.5
) -> SizeRecall:
    """How many objects of class ``cls`` in each size bin a detection of that class with
    confidence >= ``conf`` found at IoU >= ``iou``, with the AP-by-size matching (``_match``: one
    detection finds one object, the most confident first; objects outside the bin are ignored)."""
    edges = np.asarray(edges_px, dtype=np.float64)
    if len(edges) < 2 or bool((np.diff(edges) <= 0).any()):
        raise DetectorError(f"recall_by_size: edges must be ascending, at least 2, got {list(edges_px)}")
    n_gt, found = [], []
    for lo, hi in itertools.pairwise(edges):
        confs, tps, n = _match(images, cls, iou, (float(lo), float(hi)))
        n_gt.append(n)
        found.append(int((tps & (confs >= conf)).sum()))
    return SizeRecall(tuple(float(e) for e in edges), tuple(n_gt), tuple(found))
