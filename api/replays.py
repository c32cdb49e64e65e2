"""Replays for trainers: recorded clips through the same detector as the live drones.

``ReplayManager`` keeps the clip library (``sample_footage/`` plus clips uploaded into
``STATE_DIR/replays/uploads``), accepts uploads safely (size and type limits; written to a
temporary file, validated by decoding every frame with OpenCV, then atomically renamed, so a
bad or interrupted upload leaves nothing behind), and runs replays: clip -> ``VideoFileSource``
-> ``api.pipeline.StreamRunner`` -> ``DetectionPipeline`` -> ``AlertService.ingest(event,
replay_id=...)`` (stored, tagged, never pushed to the live feed). Each replay records its alert
timeline (clip time of each alert), writes an annotated WebM (VP8, plays in any browser) and,
when the clip has ground truth, scores the detector against it. In exam mode a trainee's marks
(clicks with clip times) are scored the same way, side by side with the detector's.

Errors (``status_code`` is the HTTP status the routes answer with)::

    ReplayError                  400
    ├── UploadRejected           400
    │   ├── UploadTooLarge       413  over settings.max_upload_mb
    │   ├── UnsupportedType      415  not a video file name / content type
    │   └── BadVideo             422  does not decode, or truncated/corrupt
    ├── UnknownClip              404
    ├── UnknownReplay            404
    └── ReplayNotReady           409  (e.g. marks before the replay has started)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import re
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from api.sources import VIDEO_SUFFIXES, ClipError, Sidecar, VideoFileSource, probe
from shorewatch.types import Event, Frame, GroundTruthObject

logger = logging.getLogger(__name__)

MB = 1024 * 1024
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SAMPLES = REPO_ROOT / "sample_footage"
VIDEO_CONTENT_TYPES = ("video/", "application/octet-stream")


class ReplayError(Exception):
    status_code = 400


class UploadRejected(ReplayError):
    status_code = 400


class UploadTooLarge(UploadRejected):
    status_code = 413


class UnsupportedType(UploadRejected):
    status_code = 415


class BadVideo(UploadRejected):
    status_code = 422


class UnknownClip(ReplayError):
    status_code = 404


class UnknownReplay(ReplayError):
    status_code = 404


class ReplayNotReady(ReplayError):
    status_code = 409


# ---------------------------------------------------------------------------------------------
# Clips


@dataclass(frozen=True, slots=True)
class ClipInfo:
    clip_id: str
    name: str
    origin: str  # "sample" | "upload"
    path: Path
    fps: float
    frame_count: int
    width_px: int
    height_px: int
    size_bytes: int
    has_ground_truth: bool
    has_telemetry: bool

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps if self.fps > 0 else 0.0

    def public(self) -> dict[str, Any]:
        return {
            "clip_id": self.clip_id,
            "name": self.name,
            "origin": self.origin,
            "fps": round(self.fps, 3),
            "frame_count": self.frame_count,
            "duration_s": round(self.duration_s, 3),
            "width_px": self.width_px,
            "height_px": self.height_px,
            "size_bytes": self.size_bytes,
            "has_ground_truth": self.has_ground_truth,
            "has_telemetry": self.has_telemetry,
        }


_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_name(name: str) -> str:
    base = _SAFE.sub("_", Path(name).name).strip("._") or "clip"
    return base[:80]


# ---------------------------------------------------------------------------------------------
# Scoring


@dataclass(frozen=True, slots=True)
class Mark:
    """A trainee's click: clip time and where in the image (pixels of the clip)."""

    t_s: float
    x_px: float | None = None
    y_px: float | None = None


@dataclass
class _Truth:
    object_id: int
    class_name: str
    frames: dict[int, tuple[float, float, float, float]] = field(default_factory=dict)

    def first_index(self) -> int:
        return min(self.frames)


def _truth_objects(truth: dict[int, tuple[GroundTruthObject, ...]], cls: str = "boat") -> dict[int, _Truth]:
    out: dict[int, _Truth] = {}
    for idx, objs in truth.items():
        for o in objs:
            if o.class_name != cls:
                continue
            out.setdefault(o.object_id, _Truth(o.object_id, o.class_name)).frames[idx] = o.xyxy
    return out


def _spans(indices: list[int], fps: float, max_gap_s: float = 1.0) -> list[tuple[float, float]]:
    spans: list[tuple[float, float]] = []
    for i in sorted(indices):
        t = i / fps
        if spans and t - spans[-1][1] <= max_gap_s:
            spans[-1] = (spans[-1][0], t)
        else:
            spans.append((t, t))
    return [(a, b + 1.0 / fps) for a, b in spans]


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _hits(box: tuple[float, ...], det: tuple[float, ...], margin_px: float = 8.0) -> bool:
    """A detection matches a ground-truth box when they overlap (IoU >= 0.2) or the detection's
    centre lies in the box grown by ``margin_px`` (tiny boats far away have jittery boxes)."""
    cx, cy = (det[0] + det[2]) / 2, (det[1] + det[3]) / 2
    inside = box[0] - margin_px <= cx <= box[2] + margin_px and box[1] - margin_px <= cy <= box[3] + margin_px
    return inside or _iou(box, det) >= 0.2


def _summary(found: dict[int, float], total: int, false_count: int, label: str) -> dict[str, Any]:
    delays = list(found.values())
    return {
        "found": len(found),
        "total": total,
        label: false_count,
        "recall": (len(found) / total) if total else None,
        "mean_delay_s": (sum(delays) / len(delays)) if delays else None,
    }


def score_detector(
    truth: dict[int, tuple[GroundTruthObject, ...]],
    detections: dict[int, list[tuple[float, float, float, float, int]]],
    fps: float,
) -> dict[str, Any]:
    """Boats found by the detector: a ground-truth boat counts as found at the first processed
    frame where a boat detection matches its box; ``delay`` from its first visible frame.
    ``false_alarms`` counts boat detections (per processed frame) that match no boat."""
    objs = _truth_objects(truth)
    found: dict[int, float] = {}
    false_alarms = 0
    for idx in sorted(detections):
        boxes = {oid: o.frames[idx] for oid, o in objs.items() if idx in o.frames}
        for *xyxy, cls in detections[idx]:
            if cls != 0:
                continue
            matched = [oid for oid, b in boxes.items() if _hits(b, tuple(xyxy))]
            if not matched:
                false_alarms += 1
            for oid in matched:
                found.setdefault(oid, max(0.0, (idx - objs[oid].first_index()) / fps))
    return _summary(found, len(objs), false_alarms, "false_alarms")


def score_marks(
    truth: dict[int, tuple[GroundTruthObject, ...]],
    marks: list[Mark],
    fps: float,
    *,
    tolerance_s: float = 1.0,
) -> dict[str, Any]:
    """Boats a trainee marked: a mark at clip time t counts for a boat visible within
    ``tolerance_s`` of t whose box (grown by 20 px) contains the click (any visible boat when
    the mark has no position). Other marks are ``false_marks``."""
    objs = _truth_objects(truth)
    found: dict[int, float] = {}
    false_marks = 0
    for m in sorted(marks, key=lambda m: m.t_s):
        lo, hi = math.floor((m.t_s - tolerance_s) * fps), math.ceil((m.t_s + tolerance_s) * fps)
        hit = None
        for oid, o in objs.items():
            for idx in range(max(lo, 0), hi + 1):
                b = o.frames.get(idx)
                if b is None:
                    continue
                if (
                    m.x_px is None
                    or m.y_px is None
                    or (b[0] - 20 <= m.x_px <= b[2] + 20 and b[1] - 20 <= m.y_px <= b[3] + 20)
                ):
                    hit = oid
                    break
            if hit is not None and hit not in found:
                break
        if hit is None:
            false_marks += 1
        else:
            found.setdefault(hit, max(0.0, m.t_s - objs[hit].first_index() / fps))
    return _summary(found, len(objs), false_marks, "false_marks")


# ---------------------------------------------------------------------------------------------
# Replay runs


@dataclass
class ReplayAlert:
    alert_id: int
    event_id: str
    kind: str
    severity: str
    clip_time_s: float
    frame_index: int
    lat_deg: float
    lon_deg: float
    confidence: float
    people_count: int
    revision: int


@dataclass
class ReplayRun:
    replay_id: str
    clip: ClipInfo
    exam: bool
    stride: int
    user: str
    realtime: bool = False  # pace frames at the clip's own rate instead of as fast as the CPU allows
    status: str = "queued"  # queued | running | done | failed
    frames_total: int = 0
    frames_done: int = 0
    created_at_s: float = field(default_factory=time.time)
    finished_at_s: float | None = None
    error: str | None = None
    alerts: dict[int, ReplayAlert] = field(default_factory=dict)
    detections: dict[int, list[tuple[float, float, float, float, int]]] = field(default_factory=dict)
    marks: list[Mark] = field(default_factory=list)
    score: dict[str, Any] | None = None
    trainee_score: dict[str, Any] | None = None
    video_path: Path | None = None
    stats: dict[str, Any] | None = None
    truth_spans: list[dict[str, Any]] = field(default_factory=list)
    done_event: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def progress(self) -> float:
        if self.status == "done":
            return 1.0
        return min(1.0, self.frames_done / self.frames_total) if self.frames_total else 0.0

    def public(self) -> dict[str, Any]:
        return {
            "replay_id": self.replay_id,
            "clip": self.clip.public(),
            "exam": self.exam,
            "stride": self.stride,
            "user": self.user,
            "status": self.status,
            "progress": round(self.progress, 4),
            "frames_total": self.frames_total,
            "frames_done": self.frames_done,
            "created_at_s": self.created_at_s,
            "finished_at_s": self.finished_at_s,
            "error": self.error,
            "alerts": [asdict(a) for a in sorted(self.alerts.values(), key=lambda a: a.clip_time_s)],
            "has_ground_truth": self.clip.has_ground_truth,
            "ground_truth_spans": self.truth_spans,
            "score": self.score,
            "marks": [asdict(m) for m in self.marks],
            "trainee_score": self.trainee_score,
            "video_url": f"/replays/{self.replay_id}/video"
            if self.video_path and self.status == "done"
            else None,
            "stats": self.stats,
        }


PipelineFactory = Callable[[], Any]
"""Builds a fresh frame processor (``.process(frame) -> result with .detections, .events``)."""


class ReplayManager:
    def __init__(
        self,
        state_dir: Path,
        *,
        alerts: Any,
        pipeline_factory: PipelineFactory,
        sample_dir: Path | None = DEFAULT_SAMPLES,
        max_upload_bytes: int = 200 * MB,
        max_concurrent: int = 1,
    ) -> None:
        self.root = Path(state_dir) / "replays"
        self.upload_dir = self.root / "uploads"
        self.cache_dir = self.root / "cache"
        self.run_dir = self.root / "runs"
        for d in (self.upload_dir, self.cache_dir, self.run_dir):
            d.mkdir(parents=True, exist_ok=True)
        self.sample_dir = sample_dir
        self.max_upload_bytes = max_upload_bytes
        self._alerts = alerts
        self._pipeline_factory = pipeline_factory
        self._runs: dict[str, ReplayRun] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._sem = asyncio.Semaphore(max_concurrent)
        self._probe_cache: dict[tuple[str, float, int], ClipInfo] = {}
        self._transcode_lock = threading.Lock()
        self._clean_partial_uploads()

    def _clean_partial_uploads(self) -> None:
        for p in self.upload_dir.glob(".part-*"):
            with contextlib.suppress(OSError):
                p.unlink()

    # ---- clips ----
    def _clip_from(self, path: Path, origin: str) -> ClipInfo | None:
        st = path.stat()
        key = (str(path), st.st_mtime, st.st_size)
        if key in self._probe_cache:
            return self._probe_cache[key]
        try:
            info = probe(path)
            sc = Sidecar.load(path)
        except ClipError as exc:
            logger.warning("skipping clip %s: %s", path, exc)
            return None
        if origin == "sample":
            clip_id, name = f"sample-{_safe_name(path.stem)}", path.name
        else:
            clip_id = path.stem.split("__", 1)[0]
            name = path.name.split("__", 1)[1] if "__" in path.name else path.name
        clip = ClipInfo(
            clip_id=clip_id,
            name=name,
            origin=origin,
            path=path,
            fps=sc.fps or info.fps,
            frame_count=info.frame_count,
            width_px=info.width_px,
            height_px=info.height_px,
            size_bytes=st.st_size,
            has_ground_truth=sc.has_truth,
            has_telemetry=bool(sc.telemetry),
        )
        self._probe_cache[key] = clip
        return clip

    def clips(self) -> list[ClipInfo]:
        out: list[ClipInfo] = []
        for origin, d in (("sample", self.sample_dir), ("upload", self.upload_dir)):
            if d is None or not d.is_dir():
                continue
            for p in sorted(d.iterdir()):
                if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file() and not p.name.startswith("."):
                    clip = self._clip_from(p, origin)
                    if clip is not None:
                        out.append(clip)
        return out

    def clip(self, clip_id: str) -> ClipInfo:
        for c in self.clips():
            if c.clip_id == clip_id:
                return c
        raise UnknownClip(f"no clip with id {clip_id!r}; GET /replays/clips lists them")

    def check_upload_type(self, filename: str, content_type: str | None) -> str:
        suffix = Path(filename or "").suffix.lower()
        if suffix not in VIDEO_SUFFIXES:
            raise UnsupportedType(
                f"{filename!r} is not a video file name: expected one of {', '.join(VIDEO_SUFFIXES)}"
            )
        ct = (content_type or "application/octet-stream").split(";")[0].strip().lower()
        if not ct.startswith(VIDEO_CONTENT_TYPES):
            raise UnsupportedType(f"content type {ct!r} is not a video: expected video/* (e.g. video/mp4)")
        return suffix

    async def save_upload(
        self, filename: str, content_type: str | None, chunks: AsyncIterator[bytes]
    ) -> ClipInfo:
        """Stream an upload into a hidden temporary file, validate it, then rename it into the
        library. On any failure (too large, not a video, truncated, client gone) the temporary
        file is removed and nothing appears in the library."""
        suffix = self.check_upload_type(filename, content_type)
        clip_id = "upload-" + secrets.token_hex(6)
        tmp = self.upload_dir / f".part-{clip_id}{suffix}"
        final = self.upload_dir / f"{clip_id}__{_safe_name(Path(filename).stem)}{suffix}"
        size = 0
        try:
            with tmp.open("wb") as f:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_upload_bytes:
                        raise UploadTooLarge(
                            f"clip too large: at most {self.max_upload_bytes // MB} MB accepted "
                            f"(SHOREWATCH_MAX_UPLOAD_MB)"
                        )
                    f.write(chunk)
            if size == 0:
                raise BadVideo(f"{filename!r} is empty")
            try:
                info = await asyncio.to_thread(probe, tmp, decode_all=True)
            except ClipError as exc:
                raise BadVideo(str(exc).replace(tmp.name, repr(filename))) from exc
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        logger.info("uploaded clip %s (%d bytes, %d frames)", final.name, size, info.frame_count)
        clip = self._clip_from(final, "upload")
        assert clip is not None
        return clip

    def delete_clip(self, clip_id: str) -> None:
        clip = self.clip(clip_id)
        if clip.origin != "upload":
            raise ReplayError(f"{clip_id!r} is a sample clip; only uploaded clips can be deleted")
        clip.path.unlink(missing_ok=True)

    def playable(self, clip: ClipInfo) -> Path:
        """The clip as WebM/VP8 (transcoded once and cached) so every browser can play it."""
        if clip.path.suffix.lower() == ".webm":
            return clip.path
        out = self.cache_dir / f"{clip.clip_id}.webm"
        with self._transcode_lock:
            if out.is_file() and out.stat().st_mtime >= clip.path.stat().st_mtime:
                return out
            import cv2

            tmp = out.with_name(f".part-{out.name}")
            cap = cv2.VideoCapture(str(clip.path), cv2.CAP_FFMPEG)
            writer = None
            try:
                while True:
                    ok, img = cap.read()
                    if not ok:
                        break
                    img = _fit(img)
                    if writer is None:
                        writer = _webm_writer(tmp, clip.fps, img.shape[1], img.shape[0])
                    writer.write(img)
            finally:
                cap.release()
                if writer is not None:
                    writer.release()
            if writer is None:
                raise BadVideo(f"{clip.name}: no frame decodes")
            os.replace(tmp, out)
            return out

    # ---- replays ----
    def runs(self) -> list[ReplayRun]:
        return sorted(self._runs.values(), key=lambda r: r.created_at_s, reverse=True)

    def run(self, replay_id: str) -> ReplayRun:
        try:
            return self._runs[replay_id]
        except KeyError:
            raise UnknownReplay(f"no replay with id {replay_id!r}") from None

    def start(
        self, clip_id: str, *, exam: bool = False, stride: int = 1, user: str = "", realtime: bool = False
    ) -> ReplayRun:
        clip = self.clip(clip_id)
        if exam and not clip.has_ground_truth:
            raise ReplayError(f"exam mode needs a clip with ground truth; {clip.name!r} has none")
        run = ReplayRun(
            replay_id="replay-" + secrets.token_hex(5),
            clip=clip,
            exam=exam,
            stride=stride,
            user=user,
            realtime=realtime,
            frames_total=math.ceil(clip.frame_count / stride),
        )
        self._runs[run.replay_id] = run
        task = asyncio.get_running_loop().create_task(self._execute(run), name=run.replay_id)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return run

    def submit_marks(self, replay_id: str, marks: list[Mark]) -> ReplayRun:
        run = self.run(replay_id)
        if not run.clip.has_ground_truth:
            raise ReplayNotReady(f"{run.clip.name!r} has no ground truth to score marks against")
        run.marks = list(marks)
        src_truth = VideoFileSource(run.clip.path).sidecar.truth
        run.trainee_score = {
            "trainee": score_marks(src_truth, run.marks, run.clip.fps),
            "detector": (run.score or {}).get("detector"),
            "ground_truth_boats": len(_truth_objects(src_truth)),
        }
        return run

    async def _execute(self, run: ReplayRun) -> None:
        from api.pipeline import StreamRunner

        async with self._sem:
            run.status = "running"
            writer_box: list[Any] = []
            try:
                source = VideoFileSource(
                    run.clip.path, source_id=f"replay:{run.replay_id}", stride=run.stride
                )
                truth = source.sidecar.truth
                if run.clip.has_ground_truth:
                    objs = _truth_objects(truth)
                    run.truth_spans = [
                        {
                            "object_id": oid,
                            "class_name": o.class_name,
                            "start_s": round(a, 3),
                            "end_s": round(b, 3),
                        }
                        for oid, o in objs.items()
                        for a, b in _spans(list(o.frames), source.fps)
                    ]
                processor = await asyncio.to_thread(self._pipeline_factory)
                video_tmp = self.run_dir / f".part-{run.replay_id}.webm"
                video_path = self.run_dir / f"{run.replay_id}.webm"
                out_fps = max(1.0, source.fps / run.stride)

                class Annotating:
                    """The pipeline, then draw what it found on the frame and append it to the
                    annotated clip (in the detector's thread, off the event loop)."""

                    def process(self, frame: Frame) -> Any:
                        result = processor.process(frame)
                        dets = _boxes(result)
                        run.detections[frame.index] = dets
                        img = _annotate(
                            frame.image, dets, truth.get(frame.index, ()), frame.index / source.fps
                        )
                        if not writer_box:
                            writer_box.append(_webm_writer(video_tmp, out_fps, img.shape[1], img.shape[0]))
                        writer_box[0].write(img)
                        run.frames_done += 1
                        return result

                async def sink(event: Event, frame: Frame) -> None:
                    alert = await self._alerts.ingest(event, replay_id=run.replay_id)
                    prev = run.alerts.get(alert.id)
                    run.alerts[alert.id] = ReplayAlert(
                        alert_id=alert.id,
                        event_id=event.event_id,
                        kind=str(event.kind),
                        severity=str(event.severity),
                        clip_time_s=prev.clip_time_s if prev else round(source.clip_time_s(frame.index), 3),
                        frame_index=prev.frame_index if prev else frame.index,
                        lat_deg=event.lat_deg,
                        lon_deg=event.lon_deg,
                        confidence=event.confidence,
                        people_count=event.people_count,
                        revision=event.revision,
                    )

                frames: Any = source.frames
                if run.realtime:
                    from api.sim_source import wall_clock_frames

                    never = threading.Event()

                    def frames() -> Any:
                        return wall_clock_frames(source.frames(), out_fps, never)

                runner = StreamRunner(
                    f"replay:{run.replay_id}",
                    frames,
                    Annotating(),
                    sink,
                    drop_stale=False,
                    queue_size=4,
                )
                stats = await runner.run()
                run.stats = stats.summary()
                if writer_box:
                    writer_box[0].release()
                    writer_box.clear()
                    os.replace(video_tmp, video_path)
                    run.video_path = video_path
                if stats.error:
                    raise ClipError(stats.error)
                if run.frames_done == 0:
                    raise ClipError(
                        f"{run.clip.name}: no frame could be processed ({stats.detector_errors} detector errors)"
                    )
                if run.clip.has_ground_truth:
                    run.score = {
                        "detector": score_detector(truth, run.detections, source.fps),
                        "alerts": len(run.alerts),
                        "frames_scored": len(run.detections),
                    }
                    if run.marks:
                        self.submit_marks(run.replay_id, run.marks)
                run.status = "done"
            except Exception as exc:
                logger.warning("replay %s of %s failed: %s", run.replay_id, run.clip.name, exc)
                run.status = "failed"
                run.error = str(exc)
            finally:
                for w in writer_box:
                    w.release()
                run.finished_at_s = time.time()
                run.done_event.set()
                self._save(run)

    def _save(self, run: ReplayRun) -> None:
        data = run.public()
        tmp = self.run_dir / f".part-{run.replay_id}.json"
        tmp.write_text(json.dumps(data, default=str), encoding="utf-8")
        os.replace(tmp, self.run_dir / f"{run.replay_id}.json")

    async def close(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        for t in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t


# ---------------------------------------------------------------------------------------------
# Drawing


def _boxes(result: Any) -> list[tuple[float, float, float, float, int]]:
    dets = getattr(result, "detections", None)
    if dets is None or len(dets) == 0:
        return []
    xyxy = np.asarray(dets.xyxy, dtype=float)
    cls = np.asarray(dets.class_id if dets.class_id is not None else np.zeros(len(xyxy)), dtype=int)
    return [
        (float(a), float(b), float(c), float(d), int(k)) for (a, b, c, d), k in zip(xyxy, cls, strict=False)
    ]


def _fit(img: np.ndarray, max_w: int = 1280) -> np.ndarray:
    import cv2

    if img.shape[1] <= max_w:
        return img
    s = max_w / img.shape[1]
    return cv2.resize(img, (max_w, round(img.shape[0] * s) // 2 * 2), interpolation=cv2.INTER_AREA)


def _webm_writer(path: Path, fps: float, w: int, h: int) -> Any:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"VP80"), float(fps), (w, h))
    if not writer.isOpened():
        raise ClipError("OpenCV cannot write WebM/VP8 here (FFmpeg without libvpx?)")
    return writer


def _annotate(
    image: np.ndarray,
    dets: list[tuple[float, float, float, float, int]],
    truth: tuple[GroundTruthObject, ...],
    clip_time_s: float,
) -> np.ndarray:
    """Detections in orange (boats) / cyan (people), ground truth as thin green boxes."""
    import cv2

    img = image.copy()
    for o in truth:
        g0, g1, g2, g3 = (round(v) for v in o.xyxy)
        cv2.rectangle(img, (g0 - 2, g1 - 2), (g2 + 2, g3 + 2), (80, 200, 60), 1)
    for x0, y0, x1, y1, cls in dets:
        colour = (0, 140, 255) if cls == 0 else (255, 220, 0)
        cv2.rectangle(img, (int(x0), int(y0)), (int(x1), int(y1)), colour, 2)
        cv2.putText(
            img,
            ("boat", "person")[cls] if cls in (0, 1) else str(cls),
            (int(x0), max(12, int(y0) - 4)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.45,
            colour,
            1,
            cv2.LINE_AA,
        )
    cv2.putText(
        img,
        f"t={clip_time_s:6.1f}s  det={len(dets)}",
        (10, 22),
        cv2.FONT_HERSHEY_SIMPLEX,
        0.6,
        (255, 255, 255),
        2,
        cv2.LINE_AA,
    )
    return _fit(img)
