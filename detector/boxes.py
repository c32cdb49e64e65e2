"""Box maths on ``xyxy`` arrays (N x 4, pixels): areas, IoU / IoS matrices, class-wise NMS,
the merge that joins detections of one object seen by several tiles, and YOLO-format
(normalised centre/size) conversion. Pure numpy; no model code here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from detector.errors import DetectorError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def as_xyxy(boxes: npt.ArrayLike) -> FloatArray:
    """Validate and return an N x 4 float64 array of (x0, y0, x1, y1) with x1 >= x0, y1 >= y0."""
    arr = np.asarray(boxes, dtype=np.float64)
    if arr.size == 0:
        return np.zeros((0, 4), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise DetectorError(f"boxes must be an N x 4 xyxy array, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise DetectorError("boxes contain NaN or infinite coordinates")
    if (arr[:, 2] < arr[:, 0]).any() or (arr[:, 3] < arr[:, 1]).any():
        raise DetectorError("boxes must have x1 >= x0 and y1 >= y0 (xyxy order)")
    return arr


def box_area(xyxy: npt.ArrayLike) -> FloatArray:
    b = as_xyxy(xyxy)
    return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


def _intersection(a: FloatArray, b: FloatArray) -> FloatArray:
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    return np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)


def pairwise_iou(a: npt.ArrayLike, b: npt.ArrayLike) -> FloatArray:
    """Intersection over union, N x M. Degenerate (zero-area) pairs give 0."""
    a_, b_ = as_xyxy(a), as_xyxy(b)
    inter = _intersection(a_, b_)
    union = box_area(a_)[:, None] + box_area(b_)[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def pairwise_ios(a: npt.ArrayLike, b: npt.ArrayLike) -> FloatArray:
    """Intersection over the smaller box's area, N x M: 1 when one box lies inside the other."""
    a_, b_ = as_xyxy(a), as_xyxy(b)
    inter = _intersection(a_, b_)
    smaller = np.minimum(box_area(a_)[:, None], box_area(b_)[None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(smaller > 0, inter / np.where(smaller > 0, smaller, 1.0), 0.0)


def nms(
    xyxy: npt.ArrayLike, scores: npt.ArrayLike, class_ids: npt.ArrayLike, iou_threshold: float
) -> IntArray:
    """Class-wise greedy non-maximum suppression; returns kept indices, best score first."""
    b = as_xyxy(xyxy)
    s = np.asarray(scores, dtype=np.float64)
    c = np.asarray(class_ids, dtype=np.int64)
    if not (len(b) == len(s) == len(c)):
        raise DetectorError(
            f"nms: {len(b)} boxes, {len(s)} scores, {len(c)} class ids; expected equal counts"
        )
    if len(b) == 0:
        return np.zeros(0, dtype=np.int64)
    # offset boxes by class so different classes never overlap (the batched-NMS trick)
    off = c[:, None].astype(np.float64) * (float(np.abs(b).max()) + 1.0) * 2.0
    bo = b + off
    if len(b) > 64 and (tv := _tv_nms_fn()) is not None:
        return tv(bo, s, iou_threshold)
    area = (bo[:, 2] - bo[:, 0]) * (bo[:, 3] - bo[:, 1])
    order = np.argsort(-s, kind="stable")
    keep: list[int] = []
    while order.size:  # O(n x kept): one row of IoUs per kept box
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        w = np.clip(np.minimum(bo[i, 2], bo[rest, 2]) - np.maximum(bo[i, 0], bo[rest, 0]), 0, None)
        h = np.clip(np.minimum(bo[i, 3], bo[rest, 3]) - np.maximum(bo[i, 1], bo[rest, 1]), 0, None)
        inter = w * h
        union = area[i] + area[rest] - inter
        iou = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
        order = rest[iou <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)


def _torchvision_nms() -> object | None:
    try:
        import torch
        from torchvision.ops import nms as tv_nms
    except ImportError:  # numpy fallback below
        return None

    def run(boxes: FloatArray, scores: npt.NDArray[np.float64], thr: float) -> IntArray:
        keep = tv_nms(
            torch.from_numpy(boxes.astype(np.float32)), torch.from_numpy(scores.astype(np.float32)), thr
        )
        return np.asarray(keep.numpy(), dtype=np.int64)

    return run


_TV: list[Callable[[FloatArray, npt.NDArray[np.float64], float], IntArray] | None] = []


def _tv_nms_fn() -> Callable[[FloatArray, npt.NDArray[np.float64], float], IntArray] | None:
    """torchvision's C++ NMS when torch is installed (it is a dependency), loaded on first use."""
    if not _TV:
        _TV.append(_torchvision_nms())  # type: ignore[arg-type]
    return _TV[0]


@dataclass(frozen=True, slots=True)
class Merged:
    xyxy: FloatArray
    confidence: FloatArray
    class_id: IntArray


def merge_tiled(
    xyxy: npt.ArrayLike,
    scores: npt.ArrayLike,
    class_ids: npt.ArrayLike,
    truncated: npt.ArrayLike,
    *,
    iou_threshold: float = 0.5,
    ios_threshold: float = 0.6,
    tile_ids: npt.ArrayLike | None = None,
) -> Merged:
    """Join the detections of all tiles into one per object.

    Greedy, best score first: a detection absorbs every remaining one of its class that overlaps
    it by IoU > ``iou_threshold`` or lies mostly inside it (or it inside them) by IoS >
    ``ios_threshold``. The group becomes one detection with the best score; its box is the
    best box, unless a member was cut by an inner tile border (``truncated``), in which case
    the pieces are joined into their union (a boat straddling two tiles stays one boat).

    With ``tile_ids`` (the tile each detection came from), only detections of different tiles
    merge: one tile's own boxes have been through NMS already, and people standing close
    together in one tile must stay several people."""
    b = as_xyxy(xyxy)
    s = np.asarray(scores, dtype=np.float64)
    c = np.asarray(class_ids, dtype=np.int64)
    t = np.asarray(truncated, dtype=bool)
    tid = None if tile_ids is None else np.asarray(tile_ids, dtype=np.int64)
    if not (len(b) == len(s) == len(c) == len(t)) or (tid is not None and len(tid) != len(b)):
        raise DetectorError(
            "merge_tiled: boxes, scores, class ids, truncated flags and tile ids differ in length"
        )
    if len(b) == 0:
        return Merged(np.zeros((0, 4)), np.zeros(0), np.zeros(0, dtype=np.int64))
    order = np.argsort(-s, kind="stable")
    # IoU and IoS from one intersection matrix (n is up to tiles x max_det: keep it to one pass)
    inter = _intersection(b, b)
    area = box_area(b)
    union = area[:, None] + area[None, :] - inter
    smaller = np.minimum(area[:, None], area[None, :])
    same = c[:, None] == c[None, :]
    overlaps = (inter > iou_threshold * union) & (union > 0)
    overlaps |= (inter > ios_threshold * smaller) & (smaller > 0)
    if tid is not None:
        same &= tid[:, None] != tid[None, :]
    linked = same & overlaps
    # pieces of one object cut by tile borders: both truncated, touching, and lined up along the cut
    both_cut = t[:, None] & t[None, :]
    if both_cut.any():
        ox = np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0])
        oy = np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1])
        w = b[:, 2] - b[:, 0]
        h = b[:, 3] - b[:, 1]
        rx = ox / np.maximum(np.minimum(w[:, None], w[None, :]), 1e-9)
        ry = oy / np.maximum(np.minimum(h[:, None], h[None, :]), 1e-9)
        touching = (ox > 0) & (oy > 0) & (np.maximum(rx, ry) >= 0.5)
        linked |= same & both_cut & touching
    used = np.zeros(len(b), dtype=bool)
    out_b, out_s, out_c = [], [], []
    for i in order:
        if used[i]:
            continue
        row = linked[i] & ~used
        row[i] = True
        group = np.flatnonzero(row)
        used[group] = True
        if t[group].any():
            g = b[group]
            box = np.array([g[:, 0].min(), g[:, 1].min(), g[:, 2].max(), g[:, 3].max()])
        else:
            box = b[i]
        out_b.append(box)
        out_s.append(s[i])
        out_c.append(c[i])
    return Merged(np.asarray(out_b, dtype=np.float64), np.asarray(out_s), np.asarray(out_c, dtype=np.int64))


def fuse_views(views: list[Merged], iou_threshold: float = 0.55, min_size_px: float = 0.0) -> Merged:
    """Join the detections of several views of one frame (the frame and its mirror image) into
    one set that weighs their agreement.

    Greedy, best score first: a detection takes every remaining one of its class that overlaps it
    by IoU >= ``iou_threshold``. The group's box is the score-weighted mean of its members; its
    score is the mean, over the views, of each view's best member there (a view that saw nothing
    counts 0), so an object both views see keeps its score and one seen by a single view keeps
    half of it. Detectors' false alarms on texture rarely survive the mirror; objects do.

    Boxes are compared as if each side were at least ``min_size_px`` (about their centres): two
    views' boxes of a 10 px boat a pixel or two apart overlap by IoU < 0.5 yet are one boat.

    A group may also take a second box of the same view (a piece of a large boat, or a person
    standing right next to another): restricting groups to one box per view was measured on
    real-dev and lost boat AP50 (0.137 -> 0.134, person 0.158 either way), so it is not done."""
    n_views = len(views)
    if n_views == 0:
        raise DetectorError("fuse_views needs at least one view")
    b = np.concatenate([v.xyxy.reshape(-1, 4) for v in views]).astype(np.float64)
    s = np.concatenate([v.confidence for v in views]).astype(np.float64)
    c = np.concatenate([v.class_id for v in views]).astype(np.int64)
    src = np.concatenate([np.full(len(v.confidence), k, dtype=np.int64) for k, v in enumerate(views)])
    if len(b) == 0:
        return Merged(np.zeros((0, 4)), np.zeros(0), np.zeros(0, dtype=np.int64))
    centre = (b[:, :2] + b[:, 2:]) / 2
    half = np.maximum((b[:, 2:] - b[:, :2]) / 2, min_size_px / 2)
    grown = np.concatenate([centre - half, centre + half], axis=1)
    linked = (pairwise_iou(grown, grown) >= iou_threshold) & (c[:, None] == c[None, :])
    used = np.zeros(len(b), dtype=bool)
    out_b, out_s, out_c = [], [], []
    for i in np.argsort(-s, kind="stable"):
        if used[i]:
            continue
        group = np.flatnonzero(linked[i] & ~used)
        used[group] = True
        w = s[group]
        out_b.append((b[group] * w[:, None]).sum(axis=0) / max(float(w.sum()), 1e-12))
        best = np.zeros(n_views)
        np.maximum.at(best, src[group], w)
        out_s.append(float(best.sum()) / n_views)
        out_c.append(c[i])
    order = np.argsort(-np.asarray(out_s), kind="stable")
    return Merged(
        np.asarray(out_b, dtype=np.float64)[order],
        np.asarray(out_s, dtype=np.float64)[order],
        np.asarray(out_c, dtype=np.int64)[order],
    )


def xyxy_to_yolo(xyxy: npt.ArrayLike, width_px: int, height_px: int) -> FloatArray:
    """Pixel boxes -> normalised (cx, cy, w, h) as YOLO label files hold them."""
    b = as_xyxy(xyxy)
    if width_px <= 0 or height_px <= 0:
        raise DetectorError(f"image size must be positive, got {width_px}x{height_px}")
    cx = (b[:, 0] + b[:, 2]) / 2 / width_px
    cy = (b[:, 1] + b[:, 3]) / 2 / height_px
    w = (b[:, 2] - b[:, 0]) / width_px
    h = (b[:, 3] - b[:, 1]) / height_px
    return np.stack([cx, cy, w, h], axis=1)


def yolo_to_xyxy(cxcywh: npt.ArrayLike, width_px: int, height_px: int) -> FloatArray:
    a = np.asarray(cxcywh, dtype=np.float64)
    if a.size == 0:
        return np.zeros((0, 4))
    if a.ndim != 2 or a.shape[1] != 4:
        raise DetectorError(f"YOLO boxes must be N x 4 (cx, cy, w, h), got shape {a.shape}")
    if (a[:, 2:] < 0).any():
        raise DetectorError("YOLO boxes must have non-negative width and height")
    x0 = (a[:, 0] - a[:, 2] / 2) * width_px
    y0 = (a[:, 1] - a[:, 3] / 2) * height_px
    x1 = (a[:, 0] + a[:, 2] / 2) * width_px
    y1 = (a[:, 1] + a[:, 3] / 2) * height_px
    return np.stack([x0, y0, x1, y1], axis=1)


def clip_xyxy(xyxy: npt.ArrayLike, width_px: int, height_px: int) -> FloatArray:
    b = as_xyxy(xyxy).copy()
    b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0, width_px)
    b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0, height_px)
    return b


def size_px(xyxy: npt.ArrayLike) -> FloatArray:
    """An object's size for the size buckets: the square root of its box area, in pixels."""
    return np.sqrt(box_area(xyxy))
