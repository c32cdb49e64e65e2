"""Frame sources over recorded clips: a video file plus its sidecar files (telemetry, ground truth).

A clip is ``NAME.mp4`` (or any container OpenCV's FFmpeg backend decodes: .mp4 .avi .mkv .webm
.mov) with optional sidecars next to it, all keyed by frame index (or capture time):

* ``NAME.json``: ``{"fps": 10, "intrinsics": {...}, "frames": [{"index": 0, "timestamp_s": ...,
  "telemetry": {Telemetry fields}, "objects": [{GroundTruthObject fields}]}, ...]}``; any of the
  per-frame keys may be missing. ``"truth"`` / ``"ground_truth"`` are accepted for ``objects``.
* ``NAME.telemetry.jsonl`` / ``NAME.truth.jsonl`` (or ``.json`` lists): one record per frame
  with ``index`` (or ``frame``) and ``timestamp_s``, plus the Telemetry fields / ``objects``.
* ``NAME.gt.json`` as ``flight.sim.render.record_clip`` writes it: ``fps``, ``intrinsics`` and
  ``frames_gt`` (per frame: ``frame``, ``timestamp_s``, ``objects`` with ``id``, ``class``,
  ``xyxy``, ``lat``, ``lon``...).

``VideoFileSource`` is a ``shorewatch.protocols.FrameSource``: it yields ``Frame`` objects with
the telemetry sample recorded for that frame and the camera intrinsics scaled to the image size,
so the live stream runner (``api.pipeline.StreamRunner``) can consume a recording exactly as it
consumes a camera.

Errors::

    ClipError                 the clip cannot be used
    ├── NotAVideo             the file does not decode as a video at all
    └── CorruptClip           it opens but frames are missing or undecodable (truncated upload...)
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from shorewatch.types import (
    DEFAULT_INTRINSICS,
    CameraIntrinsics,
    Frame,
    GroundTruthObject,
    Telemetry,
    TypeValidationError,
)

logger = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v")


class ClipError(ValueError):
    """A recorded clip cannot be used; the message says why."""


class NotAVideo(ClipError):
    pass


class CorruptClip(ClipError):
    pass


@dataclass(frozen=True, slots=True)
class VideoInfo:
    fps: float
    frame_count: int
    width_px: int
    height_px: int

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps if self.fps > 0 else 0.0


def _open(path: Path) -> Any:
    import cv2

    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        cap.release()
        raise NotAVideo(f"{path.name}: not a video OpenCV/FFmpeg can decode (expected MP4/AVI/MKV/WebM)")
    return cap


def probe(path: Path, *, decode_all: bool = False) -> VideoInfo:
    """Read a video's size, rate and length. ``decode_all`` decodes every frame and checks that
    the stream holds as many frames as its header claims (catches truncated uploads)."""
    import cv2

    cap = _open(path)
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        declared = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        w = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
        h = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
        if w <= 0 or h <= 0:
            raise NotAVideo(f"{path.name}: no video stream (width x height = {w}x{h})")
        if not (0 < fps <= 240) or not math.isfinite(fps):
            fps = 10.0  # some containers carry no rate; the sidecar may say better
        if not decode_all:
            ok, img = cap.read()
            if not ok or img is None:
                raise CorruptClip(f"{path.name}: the first frame does not decode")
            return VideoInfo(fps, max(declared, 1), w, h)
        n = 0
        while True:
            ok, img = cap.read()
            if not ok or img is None:
                break
            if img.shape[0] != h or img.shape[1] != w:
                raise CorruptClip(
                    f"{path.name}: frame {n} is {img.shape[1]}x{img.shape[0]}, expected {w}x{h}"
                )
            n += 1
        if n == 0:
            raise CorruptClip(f"{path.name}: no frame decodes (empty or corrupt video stream)")
        if declared > 0 and n < declared - max(1, declared // 100):
            raise CorruptClip(
                f"{path.name}: truncated or corrupt: the header declares {declared} frames but only "
                f"{n} decode"
            )
        return VideoInfo(fps, n, w, h)
    finally:
        cap.release()


# ---------------------------------------------------------------------------------------------
# Sidecars


def _read_records(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return json.loads(text)


_TEL_FIELDS = {f.name for f in fields(Telemetry)}
_GT_FIELDS = {f.name for f in fields(GroundTruthObject)}


def _telemetry(d: Any) -> Telemetry | None:
    if not isinstance(d, dict):
        return None
    kw = {k: v for k, v in d.items() if k in _TEL_FIELDS}
    try:
        return Telemetry(**kw)
    except (TypeError, TypeValidationError) as exc:
        logger.debug("skipping bad telemetry record %r: %s", d, exc)
        return None


def _truth(d: Any) -> GroundTruthObject | None:
    if not isinstance(d, dict):
        return None
    aliases = {"id": "object_id", "class": "class_name", "lat": "lat_deg", "lon": "lon_deg"}
    kw: dict[str, Any] = {
        aliases.get(str(k), str(k)): v for k, v in d.items() if aliases.get(str(k), str(k)) in _GT_FIELDS
    }
    if "class_name" not in kw and "class_id" in d:
        kw["class_name"] = ("boat", "person")[int(d["class_id"])]
    if "xyxy" in kw:
        kw["xyxy"] = tuple(float(v) for v in kw["xyxy"])
    try:
        return GroundTruthObject(**kw)
    except (TypeError, ValueError) as exc:
        logger.debug("skipping bad ground-truth record %r: %s", d, exc)
        return None


@dataclass
class Sidecar:
    """What is recorded alongside a clip, per frame index."""

    fps: float | None = None
    intrinsics: CameraIntrinsics | None = None
    timestamps_s: dict[int, float] = field(default_factory=dict)
    telemetry: dict[int, Telemetry] = field(default_factory=dict)
    truth: dict[int, tuple[GroundTruthObject, ...]] = field(default_factory=dict)
    has_truth: bool = False
    files: tuple[Path, ...] = ()

    def _add_frames(self, records: Any) -> None:
        if not isinstance(records, list):
            return
        for i, r in enumerate(records):
            if not isinstance(r, dict):
                continue
            idx = int(r.get("index", r.get("frame", r.get("frame_index", i))) or 0)
            if "timestamp_s" in r:
                self.timestamps_s[idx] = float(r["timestamp_s"])
            tel = r.get("telemetry")
            if tel is None and "lat_deg" in r and "alt_m" in r:
                tel = r
            t = _telemetry(tel)
            if t is not None:
                self.telemetry[idx] = t
            objs = r.get("objects", r.get("truth", r.get("ground_truth")))
            if isinstance(objs, list):
                self.has_truth = True
                self.truth[idx] = tuple(o for o in (_truth(x) for x in objs) if o is not None)

    @classmethod
    def load(cls, video: Path) -> Sidecar:
        sc = cls()
        stem = video.with_suffix("")
        found: list[Path] = []
        for cand in (
            video.with_suffix(".json"),
            Path(f"{stem}.telemetry.jsonl"),
            Path(f"{stem}.telemetry.json"),
            Path(f"{stem}.truth.jsonl"),
            Path(f"{stem}.truth.json"),
            Path(f"{stem}.gt.json"),
        ):
            if not cand.is_file():
                continue
            try:
                data = _read_records(cand)
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                logger.warning("ignoring unreadable sidecar %s: %s", cand, exc)
                continue
            found.append(cand)
            if isinstance(data, dict):
                if "fps" in data:
                    sc.fps = float(data["fps"])
                intr = data.get("intrinsics")
                if isinstance(intr, dict):
                    try:
                        if "hfov_deg" in intr and "fx_px" not in intr:
                            sc.intrinsics = CameraIntrinsics.from_hfov(
                                int(intr["width_px"]), int(intr["height_px"]), float(intr["hfov_deg"])
                            )
                        else:
                            sc.intrinsics = CameraIntrinsics(
                                **{
                                    k: intr[k]
                                    for k in ("width_px", "height_px", "fx_px", "fy_px", "cx_px", "cy_px")
                                }
                            )
                    except (KeyError, TypeError, ValueError) as exc:
                        logger.warning("%s: ignoring bad intrinsics: %s", cand, exc)
                for key in ("frames", "frames_gt", "records", "telemetry", "truth", "ground_truth"):
                    if isinstance(data.get(key), list):
                        sc._add_frames(data[key])
            else:
                sc._add_frames(data)
        sc.files = tuple(found)
        return sc


# ---------------------------------------------------------------------------------------------
# The frame source


class VideoFileSource:
    """Frames of a recorded clip with their recorded telemetry (a ``FrameSource``).

    ``stride``: yield every n-th frame (the others are skipped without decoding their pixels).
    ``start_time_s``: capture time of frame 0 when the sidecar has no timestamps."""

    def __init__(
        self,
        path: Path,
        *,
        source_id: str | None = None,
        stride: int = 1,
        max_frames: int | None = None,
        start_time_s: float = 0.0,
    ) -> None:
        if stride < 1:
            raise ValueError(f"stride must be >= 1, got {stride}")
        self.path = Path(path)
        self.source_id = source_id or self.path.stem
        self.stride = stride
        self.max_frames = max_frames
        self.info = probe(self.path)
        self.sidecar = Sidecar.load(self.path)
        self.fps = self.sidecar.fps or self.info.fps
        self.start_time_s = start_time_s
        self._closed = False
        base = self.sidecar.intrinsics or DEFAULT_INTRINSICS
        self.intrinsics = (
            base
            if (base.width_px, base.height_px) == (self.info.width_px, self.info.height_px)
            else base.scaled(self.info.width_px, self.info.height_px)
        )

    def timestamp_s(self, index: int) -> float:
        ts = self.sidecar.timestamps_s.get(index)
        if ts is not None:
            return ts
        tel = self.sidecar.telemetry.get(index)
        if tel is not None:
            return tel.timestamp_s
        return self.start_time_s + index / self.fps

    def clip_time_s(self, index: int) -> float:
        """Seconds from the clip's first frame (what a video player shows)."""
        return index / self.fps

    def truth(self, index: int) -> tuple[GroundTruthObject, ...]:
        return self.sidecar.truth.get(index, ())

    def frames(self) -> Iterator[Frame]:
        cap = _open(self.path)
        try:
            idx = -1
            emitted = 0
            while not self._closed:
                idx += 1
                if idx % self.stride:
                    if not cap.grab():
                        break
                    continue
                ok, img = cap.read()
                if not ok or img is None:
                    break
                if img.ndim == 2:
                    img = np.repeat(img[:, :, None], 3, axis=2)
                yield Frame(
                    image=np.ascontiguousarray(img, dtype=np.uint8),
                    timestamp_s=self.timestamp_s(idx),
                    source_id=self.source_id,
                    index=idx,
                    telemetry=self.sidecar.telemetry.get(idx),
                    intrinsics=self.intrinsics,
                )
                emitted += 1
                if self.max_frames is not None and emitted >= self.max_frames:
                    break
            if emitted == 0 and not self._closed:
                raise CorruptClip(f"{self.path.name}: no frame decodes")
            declared = self.info.frame_count
            if not self._closed and self.max_frames is None and idx < declared - max(1, declared // 100):
                raise CorruptClip(
                    f"{self.path.name}: truncated or corrupt: only {idx} of the {declared} frames its "
                    "header declares decode"
                )
        finally:
            cap.release()

    def close(self) -> None:
        self._closed = True
