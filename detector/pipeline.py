"""level -> detect -> track -> georeference -> events, for one camera stream.

``DetectionPipeline(detector, site).process(frame)`` returns a ``PipelineResult``: the tracked
detections of that frame (``tracker_id`` set; ``data`` carries ``lat_deg``, ``lon_deg``,
``east_m``, ``north_m``, ``error_m``, ``bias_m`` when the frame has a pose, NaN otherwise) and the events
(new or revised) it produced. Where the picture shows the sea's horizon, the frame's pitch is
first measured on it (``detector.horizon``; ``PipelineResult.pitch_deg`` says what was used and
``levelled`` whether it was). Synchronous; one instance per stream; ``process`` is serialised
by a lock, so sharing an instance between threads is safe (frames are then taken in turn)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np
import supervision as sv

from detector.events import EventConfig, EventEngine
from detector.georef import GeorefConfig
from detector.horizon import HorizonConfig, HorizonLevel
from detector.tracking import Tracker, TrackerConfig
from shorewatch.protocols import Detector
from shorewatch.site import Site
from shorewatch.tide import TideSource
from shorewatch.types import Event, Frame

logger = logging.getLogger(__name__)

GROUND_COLUMNS = (
    "lat_deg",
    "lon_deg",
    "east_m",
    "north_m",
    "error_m",
    "bias_m",
    "along_m",
    "across_m",
    "bearing_deg",
)
"""The ``GroundPoints`` fields each tracked detection carries in ``data`` (NaN without a pose)."""


@dataclass(frozen=True, slots=True)
class StageTimes:
    detect_s: float
    track_s: float
    events_s: float

    @property
    def total_s(self) -> float:
        return self.detect_s + self.track_s + self.events_s


@dataclass(frozen=True, slots=True, eq=False)
class PipelineResult:
    frame_index: int
    timestamp_s: float
    detections: sv.Detections
    events: tuple[Event, ...]
    times: StageTimes
    pitch_deg: float | None = None  # the camera pitch the frame was placed with (None: no pose)
    levelled: bool = False  # measured on the horizon rather than as the gimbal reported it


class DetectionPipeline:
    def __init__(
        self,
        detector: Detector,
        site: Site,
        *,
        tracker: Tracker | None = None,
        event_config: EventConfig | None = None,
        georef_config: GeorefConfig | None = None,
        tracker_config: TrackerConfig | None = None,
        tide: TideSource | None = None,
        horizon: HorizonConfig | None = None,
    ) -> None:
        self.detector = detector
        self.site = site
        self.tracker = tracker or Tracker(tracker_config)
        self.events = EventEngine(site, event_config, georef_config, tide=tide)
        self.horizon = HorizonLevel(horizon)
        self._lock = threading.Lock()
        self.frames_processed = 0

    def reset(self) -> None:
        with self._lock:
            self.tracker.reset()
            self.events.reset()
            self.horizon.reset()
            self.frames_processed = 0

    def process(self, frame: Frame) -> PipelineResult:
        with self._lock:
            t0 = time.perf_counter()
            reported = frame.telemetry
            try:  # the frame itself where it has no pose or levelling is off
                frame = self.horizon.level(frame, self.events.sea_surface_at(frame.timestamp_s))
            except Exception:  # levelling must never cost a frame: place it with the reported pitch
                logger.exception("levelling on the horizon failed for %s#%d", frame.source_id, frame.index)
            dets = self.detector.detect(frame)
            t1 = time.perf_counter()
            tracked = self.tracker.update(dets, timestamp_s=frame.timestamp_s)
            t2 = time.perf_counter()
            n = len(tracked)
            located = n and frame.telemetry is not None and frame.intrinsics is not None
            g = self.events.locate(frame, tracked) if located else None
            for k in GROUND_COLUMNS:
                tracked.data[k] = getattr(g, k) if g is not None else np.full(n, np.nan)
            events = self.events.update(frame, tracked)
            t3 = time.perf_counter()
            self.frames_processed += 1
            tel = frame.telemetry
            return PipelineResult(
                frame.index,
                frame.timestamp_s,
                tracked,
                tuple(events),
                StageTimes(t1 - t0, t2 - t1, t3 - t2),
                None if tel is None else tel.gimbal_pitch_deg,
                tel is not reported,
            )
