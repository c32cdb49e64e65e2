"""Live and replay camera streams running through the detector (issue 9).

``StreamManager`` (on ``app.state.streams``) starts one ``StreamRunner`` per drone camera or
replay, each with its own ``DetectionPipeline`` (tracker + events) over one shared detector
model, and sends every event to the alert service (stored, then pushed). Its per-stream stats
feed ``/metrics`` and the dashboard.

Live streams drop stale frames (latency never grows); replay streams process every frame and
tag their alerts with the replay id, so they never reach the live feed.

Events of live streams pass through one ``detector.fusion.CameraFusion`` on their way to the
store: two drones watching the same launch or gathering raise one alert, updated by both.

Every frame a live stream's detector ran on is also an observation for the shoreline coverage
map (``StreamManager.coverage``, a ``detector.coverage.CoverageMap``: which stretches of the
waterline were seen, how recently and how finely), served at ``GET /coverage``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.pipeline import FrameProcessor, StreamRunner, StreamStats, TelemetryBuffer
from detector.coverage import CoverageConfig, CoverageError, CoverageMap, RecallCurve
from detector.fusion import CameraFusion
from shorewatch.site import Site
from shorewatch.tide import TideNow
from shorewatch.types import Event, Frame

logger = logging.getLogger(__name__)


def default_coverage(site: Site, config: CoverageConfig | None = None) -> CoverageMap:
    """The site's coverage map with the shipped recall curve (without it: sightings only)."""
    try:
        recall: RecallCurve | None = RecallCurve.load()
    except CoverageError as exc:
        logger.warning("coverage: no detection probabilities: %s", exc)
        recall = None
    return CoverageMap(site, config, recall=recall)


def live_tide(
    site_path: str | None, tide_table: Path | None, state_dir: Path
) -> tuple[Site, TideNow, str | None]:
    """The live service's site and tide: the site with its tide table if it can be read (else the
    reason, third), and a reported height kept in ``state_dir`` (``tide_report.json``) so that it
    outlives a restart while it is valid."""
    from shorewatch.site import load_site_and_tide_table

    site, problem = load_site_and_tide_table(site_path, tide_table)
    keep = state_dir / "tide_report.json"
    return site, TideNow(site.tide, problem=problem, keep=keep, site_name=site.name), problem


class StreamError(Exception):
    """A stream could not be started (duplicate id, no detector)."""


Ingest = Callable[..., Awaitable[Any]]


class _NoProcessor:
    def process(self, frame: Frame) -> Any:
        raise RuntimeError("no detector")


@dataclass
class StreamHandle:
    stream_id: str
    kind: str  # "live" | "replay"
    runner: StreamRunner
    task: asyncio.Task[StreamStats]
    drone_id: str | None = None
    replay_id: str | None = None
    alerts: list[Any] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        s = self.runner.stats.summary()
        s.update(kind=self.kind, drone_id=self.drone_id, replay_id=self.replay_id, alerts=len(self.alerts))
        return s


class StreamManager:
    def __init__(
        self,
        ingest: Ingest,
        site: Site,
        processor_factory: Callable[[], FrameProcessor],
        *,
        coverage: CoverageMap | None = None,
        tide: TideNow | None = None,
        fusion: CameraFusion | None = None,
    ) -> None:
        self._ingest = ingest
        self.fusion = fusion if fusion is not None else CameraFusion()
        self.site = site
        self._factory = processor_factory
        self.coverage = coverage if coverage is not None else default_coverage(site)
        self.tide = tide if tide is not None else TideNow(site.tide)
        if self.coverage.tide is None:  # stretches are judged where the sea stands now
            self.coverage.tide = self.tide.height_m
        self.streams: dict[str, StreamHandle] = {}
        self._lock = threading.Lock()

    def start(
        self,
        stream_id: str,
        frames: Iterator[Frame] | Callable[[], Iterator[Frame]],
        *,
        kind: str = "live",
        drone_id: str | None = None,
        replay_id: str | None = None,
        telemetry: TelemetryBuffer | None = None,
        on_frame: Callable[[Frame, Any], None] | None = None,
        on_alert: Callable[[Event, Any], None] | None = None,
    ) -> StreamHandle:
        old = self.streams.get(stream_id)
        if old is not None and not old.task.done():
            raise StreamError(f"stream {stream_id!r} is already running")
        try:
            processor = self._factory()
        except Exception as exc:  # no detector: this stream fails with the reason, the service goes on
            logger.error("stream %s: detector unavailable: %s", stream_id, exc)
            return self._failed(stream_id, kind, drone_id, replay_id, f"detector unavailable: {exc}")
        handle_ref: list[StreamHandle] = []

        fuse = self.fusion.fuse if kind == "live" else None

        async def sink(event: Event, frame: Frame) -> None:
            try:
                if fuse is not None:  # one alert per object across the live cameras
                    event = fuse(stream_id, event)
                alert = await self._ingest(event, replay_id=replay_id)
            except Exception:  # the store failing must not kill the stream; it is logged
                logger.exception("stream %s: could not store event %s", stream_id, event.event_id)
                return
            handle_ref[0].alerts.append(alert)
            if on_alert is not None:
                on_alert(event, alert)

        if kind == "live":
            on_frame = self._observing(on_frame)
        runner = StreamRunner(
            stream_id,
            frames,
            processor,
            sink,
            telemetry=telemetry,
            drop_stale=(kind == "live"),
            queue_size=1 if kind == "live" else 4,
            on_frame=on_frame,
        )
        task = asyncio.create_task(runner.run(), name=f"stream-{stream_id}")
        handle = StreamHandle(stream_id, kind, runner, task, drone_id, replay_id)
        handle_ref.append(handle)
        self.streams[stream_id] = handle
        task.add_done_callback(lambda t: self._finished(stream_id, t))
        logger.info("stream %s (%s) started", stream_id, kind)
        return handle

    def _observing(self, on_frame: Callable[[Frame, Any], None] | None) -> Callable[[Frame, Any], None]:
        coverage = self.coverage

        def observe(frame: Frame, result: Any) -> None:
            try:
                coverage.observe(frame)
            except Exception:  # the coverage map must never stop a camera
                logger.exception("coverage: could not record frame %d of %s", frame.index, frame.source_id)
            if on_frame is not None:
                on_frame(frame, result)

        return observe

    def _failed(
        self, stream_id: str, kind: str, drone_id: str | None, replay_id: str | None, error: str
    ) -> StreamHandle:
        async def nothing(event: Event, frame: Frame) -> None:
            return None

        runner = StreamRunner(stream_id, iter(()), _NoProcessor(), nothing)
        runner.stats.error = error
        runner.stats.finished = True

        async def done() -> StreamStats:
            return runner.stats

        handle = StreamHandle(stream_id, kind, runner, asyncio.create_task(done()), drone_id, replay_id)
        self.streams[stream_id] = handle
        return handle

    def _finished(self, stream_id: str, task: asyncio.Task[StreamStats]) -> None:
        if task.cancelled():
            logger.info("stream %s cancelled", stream_id)
        elif task.exception() is not None:
            logger.error("stream %s crashed: %s", stream_id, task.exception())
        else:
            logger.info("stream %s finished: %s", stream_id, task.result().summary())

    async def stop(self, stream_id: str) -> StreamStats | None:
        h = self.streams.get(stream_id)
        if h is None:
            return None
        h.runner.stop()
        try:
            return await asyncio.wait_for(asyncio.shield(h.task), timeout=10)
        except (TimeoutError, asyncio.CancelledError):
            h.task.cancel()
            return h.runner.stats

    async def stop_all(self) -> None:
        await asyncio.gather(*(self.stop(s) for s in list(self.streams)), return_exceptions=True)

    def summaries(self) -> list[dict[str, Any]]:
        return [h.summary() for h in self.streams.values()]
