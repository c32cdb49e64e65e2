"""Multi-object tracking: ByteTrack (Roboflow's ``trackers`` package, the successor of
supervision's ByteTrack) over ``sv.Detections``.

Boats and people here are often under 16 pixels and the camera flies: between two frames a
small box can move by more than its own size, so plain IoU matching loses it. Boxes are
therefore padded to at least ``min_match_px`` around their centre for association only; the
returned detections keep their real boxes. Classes are tracked separately (a person never
inherits a boat's id)."""

from __future__ import annotations

import logging
import threading

import numpy as np
import numpy.typing as npt
import supervision as sv
from pydantic import BaseModel, ConfigDict, Field

logger = logging.getLogger(__name__)


class TrackerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    activation_conf: float = Field(
        0.3, ge=0, le=1, description="confidence a detection needs to start a track"
    )
    high_conf: float = Field(
        0.45, ge=0, le=1, description="first-stage (high confidence) association threshold"
    )
    min_iou: float = Field(0.05, ge=0, le=1, description="least IoU (of padded boxes) that still matches")
    lost_track_s: float = Field(3.0, gt=0, le=120, description="how long a track survives without detections")
    min_consecutive_frames: int = Field(2, ge=1, le=30, description="frames before a new track gets an id")
    min_match_px: float = Field(32.0, ge=0, le=512, description="boxes are padded to this size for matching")
    frame_rate: float = Field(
        10.0, gt=0, le=240, description="nominal frame rate (for the lost-track buffer)"
    )


class Tracker:
    """``update(detections, frame=None, timestamp_s=None)`` -> detections with ``tracker_id``
    (only tracked ones: unconfirmed detections are dropped)."""

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self._lock = threading.Lock()
        self._trackers: dict[int, object] = {}

    def _new(self) -> object:
        from trackers import ByteTrackTracker

        c = self.config
        return ByteTrackTracker(
            # ``trackers`` counts the buffer in 30 frames/s frames whatever the frame rate (its time
            # limit is buffer / 30 s): counting it in our frames made a track die after 0.2 s at
            # 2 frames/s, so no track was ever confirmed
            lost_track_buffer=max(1, round(c.lost_track_s * 30.0)),
            frame_rate=c.frame_rate,
            track_activation_threshold=c.activation_conf,
            minimum_consecutive_frames=c.min_consecutive_frames,
            minimum_iou_threshold=c.min_iou,
            high_conf_det_threshold=c.high_conf,
        )

    def reset(self) -> None:
        with self._lock:
            self._trackers.clear()

    def update(
        self, detections: sv.Detections, frame: object | None = None, timestamp_s: float | None = None
    ) -> sv.Detections:
        del frame  # ByteTrack does no camera-motion compensation; the padding stands in for it
        with self._lock:
            parts: list[sv.Detections] = []
            class_ids = (
                detections.class_id if detections.class_id is not None else np.zeros(len(detections), int)
            )
            for cid in sorted(set(int(c) for c in class_ids) | set(self._trackers)):
                sub = _select(detections, class_ids == cid) if len(detections) else detections
                tracker = self._trackers.get(cid)
                if tracker is None:
                    tracker = self._trackers[cid] = self._new()
                parts.append(self._update_one(tracker, sub, timestamp_s, cid))
            parts = [p for p in parts if len(p)]
            if not parts:
                return _empty_tracked()
            return sv.Detections.merge(parts)

    def _update_one(
        self, tracker: object, dets: sv.Detections, timestamp_s: float | None, cid: int
    ) -> sv.Detections:
        padded = _pad(dets, self.config.min_match_px)
        out = tracker.update(padded, timestamp=timestamp_s)  # type: ignore[attr-defined]
        if len(out) == 0:
            return _empty_tracked()
        ids = np.asarray(out.tracker_id, dtype=int)
        keep = ids >= 0
        out = out[keep]
        out.xyxy = np.asarray(out.data.pop("orig_xyxy"), dtype=np.float32)
        # distinct ids across classes: class in the lowest digit
        out.tracker_id = np.asarray(out.tracker_id, dtype=int) * 10 + cid
        return out


def _pad(dets: sv.Detections, min_px: float) -> sv.Detections:
    d = sv.Detections(
        xyxy=dets.xyxy.copy(),
        confidence=None if dets.confidence is None else dets.confidence.copy(),
        class_id=None if dets.class_id is None else dets.class_id.copy(),
        data={k: np.asarray(v).copy() for k, v in dets.data.items()},
    )
    d.data["orig_xyxy"] = dets.xyxy.copy()
    if len(d) and min_px > 0:
        b = d.xyxy
        cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
        w = np.maximum(b[:, 2] - b[:, 0], min_px)
        h = np.maximum(b[:, 3] - b[:, 1], min_px)
        d.xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1).astype(np.float32)
    return d


def _empty_tracked() -> sv.Detections:
    return sv.Detections(
        xyxy=np.zeros((0, 4), dtype=np.float32),
        confidence=np.zeros(0, dtype=np.float32),
        class_id=np.zeros(0, dtype=int),
        tracker_id=np.zeros(0, dtype=int),
        data={"class_name": np.array([], dtype=str)},
    )


def _select(detections: sv.Detections, mask: npt.NDArray[np.bool_]) -> sv.Detections:
    """``detections[mask]``, typed: supervision's ``__getitem__`` also serves ``data`` columns by
    name, so its declared return type is a union."""
    out = detections[mask]
    if not isinstance(out, sv.Detections):
        raise TypeError(
            f"selecting detections by a boolean mask gave {type(out).__name__}, expected Detections"
        )
    return out
