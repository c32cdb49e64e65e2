"""Camera streams: per-stream stats for pilots and admins, and the composition of real cameras.

At start-up (``shorewatch serve``), every drone in the site file whose ``camera.source`` is a URL
(RTSP, UDP, HTTP, a device number or a file) gets a live stream: frames from that URL, paired
with the drone's telemetry from the mission manager's MAVLink link, through the detector, into
the alert service. Drones whose camera is ``sim`` are streamed by ``shorewatch demo``, which owns
the simulated world. The detector model is loaded only when a stream needs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, Field

from api.deps import requires
from api.domain import Role, User
from api.pipeline import TelemetryBuffer

logger = logging.getLogger(__name__)


class StreamStatsPublic(BaseModel):
    stream_id: str = Field(description="drone camera or replay")
    kind: str = Field(description="live | replay")
    drone_id: str | None = None
    replay_id: str | None = None
    frames_captured: int
    frames_processed: int
    frames_dropped: int = Field(description="stale frames dropped so latency never grows")
    detector_errors: int
    events: int
    alerts: int
    camera_fps: float
    detected_fps: float
    latency_ms: dict[str, dict[str, float]] = Field(description="per stage: p50/p95/p99 in ms")
    finished: bool
    error: str | None


class StreamsPublic(BaseModel):
    data: list[StreamStatsPublic]
    count: int


def get_streams(request: Request) -> Any:
    return getattr(request.app.state, "streams", None)


StreamReader = Annotated[User, requires(Role.PILOT, Role.ADMIN, Role.TRAINER, Role.PATROL)]


def stream_manager(app: FastAPI) -> Any:
    streams = getattr(app.state, "streams", None)
    if streams is not None:
        return streams
    from api.streams import StreamManager, default_coverage, live_tide

    settings = app.state.settings
    site, tide, problem = live_tide(settings.site, settings.tide_table, settings.ensure_state_dir())
    if problem:
        logger.error("tide table not used (the tide is unknown until reported): %s", problem)
    model_holder: dict[str, Any] = {}
    lock = threading.Lock()

    def factory() -> Any:
        from detector.model import load_detector
        from detector.pipeline import DetectionPipeline

        with lock:
            if "model" not in model_holder:
                model_holder["model"] = load_detector(
                    settings.model, settings.ensure_state_dir(), settings.detector_config()
                )
        return DetectionPipeline(
            model_holder["model"], site, tide=tide.height_m, horizon=settings.horizon_config()
        )

    streams = StreamManager(
        app.state.alerts.ingest,
        site,
        factory,
        coverage=default_coverage(site, settings.coverage_config()),
        tide=tide,
    )
    app.state.streams = streams
    return streams


async def _feed_telemetry(app: FastAPI, drone_id: str, buf: TelemetryBuffer) -> None:
    """Copy the drone's telemetry from the mission manager into the stream's buffer."""
    last = None
    while True:
        missions = getattr(app.state, "missions", None)
        d = missions.drones.get(drone_id) if missions is not None else None
        t = d.telemetry if d is not None else None
        if t is not None and t is not last:
            buf.add(t)
            last = t
        await asyncio.sleep(0.05)


class StreamCollector:
    """Prometheus view of ``app.state.streams``: frames by outcome, rates and stage latencies."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Any:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        frames = CounterMetricFamily(
            "shorewatch_stream_frames",
            "Camera frames per stream by outcome (captured, processed, dropped)",
            labels=["stream", "outcome"],
        )
        fps = GaugeMetricFamily(
            "shorewatch_stream_fps", "Recent frames/s per stream", labels=["stream", "stage"]
        )
        lat = GaugeMetricFamily(
            "shorewatch_stream_latency_ms",
            "Recent per-stage latency per stream",
            labels=["stream", "stage", "quantile"],
        )
        streams = getattr(self.app.state, "streams", None)
        for s in streams.summaries() if streams is not None else []:
            sid = s["stream_id"]
            for outcome, key in (
                ("captured", "frames_captured"),
                ("processed", "frames_processed"),
                ("dropped", "frames_dropped"),
                ("detector_error", "detector_errors"),
            ):
                frames.add_metric([sid, outcome], s[key])
            fps.add_metric([sid, "camera"], s["camera_fps"])
            fps.add_metric([sid, "detected"], s["detected_fps"])
            for stage, qs in s["latency_ms"].items():
                for q, v in qs.items():
                    lat.add_metric([sid, stage, q.lstrip("p")], v)
        yield frames
        yield fps
        yield lat


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    from shorewatch.site import load_site

    collector = StreamCollector(app)
    app.state.metrics.registry.register(collector)

    tasks: list[asyncio.Task[None]] = []
    started: list[str] = []
    try:
        site = load_site(app.state.settings.site)
        real = [d for d in site.drones if d.camera.source != "sim"]
    except Exception as exc:  # a bad site is reported by the routes that use it
        logger.warning("streams: cannot read the site's drones: %s", exc)
        real = []
    if real and getattr(app.state, "start_cameras", True):
        from api.live_source import LiveVideoSource

        streams = stream_manager(app)
        missions = getattr(app.state, "missions", None)
        if missions is not None:
            missions.start()
        for d in real:
            buf = TelemetryBuffer()
            tasks.append(asyncio.create_task(_feed_telemetry(app, d.id, buf)))
            src = LiveVideoSource(
                d.camera.source, source_id=d.id, hfov_deg=d.camera.hfov_deg, fps=d.camera.fps
            )
            streams.start(f"{d.id}-camera", src.frames, kind="live", drone_id=d.id, telemetry=buf)
            started.append(d.id)
        logger.info("streams: cameras started for %s", started)
    try:
        yield
    finally:
        for t in tasks:
            t.cancel()
        streams = getattr(app.state, "streams", None)
        if streams is not None:
            await streams.stop_all()
        app.state.metrics.registry.unregister(collector)


router = APIRouter(prefix="/streams", tags=["streams"], lifespan=lifespan)


@router.get("", summary="Camera and replay streams with frame counts, drops and per-stage latency")
async def list_streams(request: Request, user: StreamReader) -> StreamsPublic:
    streams = get_streams(request)
    data = [StreamStatsPublic(**s) for s in (streams.summaries() if streams is not None else [])]
    return StreamsPublic(data=data, count=len(data))
