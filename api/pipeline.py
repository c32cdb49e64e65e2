"""The stream runner: the composition root's per-stream loop (issue 9).

    camera frames --> LatestFrameQueue (bounded, drops stale) --> detector thread
        (DetectionPipeline.process: detect + track + georef + events) --> sink (store, then push)

One ``StreamRunner`` per drone camera or replay. Frames are paired with the telemetry sample
nearest their capture time (``TelemetryBuffer``). In live mode the queue keeps only the newest
frame, so latency never grows when the detector is slower than the camera: stale frames are
dropped and counted. In replay mode (``drop_stale=False``) the producer waits instead, so every
frame of a clip is processed.

Errors: a failing frame source ends that stream with ``StreamStats.error`` set; a detector
exception on one frame is logged and counted, and the stream goes on. Nothing here can take
the service down.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from shorewatch.types import Event, Frame, Telemetry

logger = logging.getLogger(__name__)


class FrameProcessor(Protocol):
    def process(self, frame: Frame) -> Any: ...  # returns an object with `.events: list[Event]`


class TelemetryBuffer:
    """The last ``maxlen`` telemetry samples of one vehicle, looked up by time."""

    def __init__(self, maxlen: int = 600) -> None:
        self._times: deque[float] = deque(maxlen=maxlen)
        self._samples: deque[Telemetry] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def add(self, t: Telemetry) -> None:
        with self._lock:
            if self._times and t.timestamp_s < self._times[-1]:
                return  # out of order: ignore (clocks only go forward)
            self._times.append(t.timestamp_s)
            self._samples.append(t)

    def nearest(self, timestamp_s: float, max_gap_s: float = 1.0) -> Telemetry | None:
        with self._lock:
            if not self._times:
                return None
            times = list(self._times)
            i = bisect.bisect_left(times, timestamp_s)
            best = min(
                (j for j in (i - 1, i) if 0 <= j < len(times)), key=lambda j: abs(times[j] - timestamp_s)
            )
            if abs(times[best] - timestamp_s) > max_gap_s:
                return None
            return self._samples[best]

    def latest(self) -> Telemetry | None:
        with self._lock:
            return self._samples[-1] if self._samples else None


@dataclass
class _Item:
    frame: Frame
    enqueued_mono: float


class LatestFrameQueue:
    """A bounded frame queue. ``drop_stale``: a put on a full queue evicts the oldest frame
    (counted in ``dropped``); otherwise the put waits for room."""

    def __init__(self, maxsize: int = 1, *, drop_stale: bool = True) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be >= 1, got {maxsize}")
        self.maxsize = maxsize
        self.drop_stale = drop_stale
        self.dropped = 0
        self._items: deque[_Item] = deque()
        self._cond = threading.Condition()
        self._closed = False

    def put(self, frame: Frame) -> None:
        with self._cond:
            if self._closed:
                return
            if self.drop_stale:
                while len(self._items) >= self.maxsize:
                    self._items.popleft()
                    self.dropped += 1
            else:
                while len(self._items) >= self.maxsize and not self._closed:
                    self._cond.wait(0.5)
            self._items.append(_Item(frame, time.monotonic()))
            self._cond.notify_all()

    def get(self, timeout_s: float | None = None) -> _Item | None:
        """The oldest queued frame, or None when closed and empty (or on timeout)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._cond:
            while not self._items:
                if self._closed:
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining if remaining is not None else 0.5)
            item = self._items.popleft()
            self._cond.notify_all()
            return item

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def __len__(self) -> int:
        return len(self._items)


def _percentiles(values: deque[float] | list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0}
    arr = np.asarray(values, dtype=float)
    return {f"p{q}": round(float(np.percentile(arr, q)) * 1000.0, 2) for q in (50, 95, 99)}


@dataclass
class StreamStats:
    """Counters and recent per-stage latencies (seconds) of one stream."""

    stream_id: str
    captured: int = 0
    processed: int = 0
    dropped: int = 0
    detector_errors: int = 0
    events: int = 0
    started_mono: float = field(default_factory=time.monotonic)
    finished: bool = False
    error: str | None = None
    queue_wait_s: deque[float] = field(default_factory=lambda: deque(maxlen=2000))
    detect_s: deque[float] = field(default_factory=lambda: deque(maxlen=2000))
    sink_s: deque[float] = field(default_factory=lambda: deque(maxlen=2000))
    end_to_end_s: deque[float] = field(default_factory=lambda: deque(maxlen=2000))
    _capture_times: deque[float] = field(default_factory=lambda: deque(maxlen=200))
    _process_times: deque[float] = field(default_factory=lambda: deque(maxlen=200))

    @staticmethod
    def _rate(times: deque[float]) -> float:
        if len(times) < 2 or times[-1] <= times[0]:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])

    def summary(self) -> dict[str, Any]:
        return {
            "stream_id": self.stream_id,
            "frames_captured": self.captured,
            "frames_processed": self.processed,
            "frames_dropped": self.dropped,
            "detector_errors": self.detector_errors,
            "events": self.events,
            "camera_fps": round(self._rate(self._capture_times), 2),
            "detected_fps": round(self._rate(self._process_times), 2),
            "latency_ms": {
                "queue_wait": _percentiles(self.queue_wait_s),
                "detect": _percentiles(self.detect_s),
                "sink": _percentiles(self.sink_s),
                "end_to_end": _percentiles(self.end_to_end_s),
            },
            "finished": self.finished,
            "error": self.error,
        }


EventSink = Callable[[Event, Frame], Awaitable[None]]


class StreamRunner:
    """Runs one frame source through one processor into one sink.

    ``frames`` is an iterator producing ``Frame`` objects (it may block, e.g. on a camera); it is
    consumed in a dedicated thread. The processor runs in another thread (off the event loop);
    the sink is awaited on the event loop, in order.
    """

    def __init__(
        self,
        stream_id: str,
        frames: Iterator[Frame] | Callable[[], Iterator[Frame]],
        processor: FrameProcessor,
        sink: EventSink,
        *,
        telemetry: TelemetryBuffer | None = None,
        drop_stale: bool = True,
        queue_size: int = 1,
        on_frame: Callable[[Frame, Any], None] | None = None,
    ) -> None:
        self.stream_id = stream_id
        self._frames = frames
        self._processor = processor
        self._sink = sink
        self._telemetry = telemetry
        self.queue = LatestFrameQueue(queue_size, drop_stale=drop_stale)
        self.stats = StreamStats(stream_id)
        self._stop = threading.Event()
        self._on_frame = on_frame

    def stop(self) -> None:
        self._stop.set()
        self.queue.close()

    def _produce(self) -> None:
        try:
            it = self._frames() if callable(self._frames) else self._frames
            for frame in it:
                if self._stop.is_set():
                    break
                if frame.telemetry is None and self._telemetry is not None:
                    tel = self._telemetry.nearest(frame.timestamp_s)
                    if tel is not None:
                        frame = replace(frame, telemetry=tel)
                self.stats.captured += 1
                self.stats._capture_times.append(time.monotonic())
                self.queue.put(frame)
                self.stats.dropped = self.queue.dropped
        except Exception as exc:  # a broken camera ends this stream only
            logger.warning("stream %s: frame source failed: %s", self.stream_id, exc)
            self.stats.error = f"frame source failed: {exc}"
        finally:
            self.queue.close()

    async def run(self) -> StreamStats:
        loop = asyncio.get_running_loop()
        # The stream's own thread for waiting and detecting, so nothing else that borrows asyncio's
        # default executor (webhook DNS lookups, file probes) can hold frames back.
        worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"detect-{self.stream_id}")
        producer = threading.Thread(target=self._produce, name=f"capture-{self.stream_id}", daemon=True)
        producer.start()
        try:
            while True:
                item = await loop.run_in_executor(worker, self.queue.get, 0.5)
                if item is None:
                    if self.queue._closed and not len(self.queue):
                        break
                    continue
                t0 = time.monotonic()
                self.stats.queue_wait_s.append(t0 - item.enqueued_mono)
                try:
                    result = await loop.run_in_executor(worker, self._processor.process, item.frame)
                except Exception as exc:  # one bad frame never ends the stream
                    self.stats.detector_errors += 1
                    logger.exception(
                        "stream %s: detector failed on frame %d: %s", self.stream_id, item.frame.index, exc
                    )
                    continue
                t1 = time.monotonic()
                self.stats.detect_s.append(t1 - t0)
                events = list(getattr(result, "events", []) or [])
                for ev in events:
                    await self._sink(ev, item.frame)
                self.stats.events += len(events)
                t2 = time.monotonic()
                self.stats.sink_s.append(t2 - t1)
                self.stats.end_to_end_s.append(t2 - item.enqueued_mono)
                self.stats.processed += 1
                self.stats._process_times.append(t2)
                if self._on_frame is not None:
                    try:
                        self._on_frame(item.frame, result)
                    except Exception:
                        logger.exception("stream %s: on_frame hook failed", self.stream_id)
        finally:
            self.stop()
            self.stats.dropped = self.queue.dropped
            self.stats.finished = True
            await loop.run_in_executor(worker, producer.join, 2.0)
            worker.shutdown(wait=False)
        return self.stats
