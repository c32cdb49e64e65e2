"""A frame source for a simulated drone: renders what its camera sees, paced by sim time.

Composition only (it joins the simulator's vehicle with the simulated world and camera, both
from ``flight.sim``), so it lives in the composition root. Several drones share one world: its
``step_to`` and rendering are serialised by a lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from shorewatch.types import Frame, GroundTruthObject

logger = logging.getLogger(__name__)


class SimCameraSource:
    """Frames from ``camera.render(vehicle.true_telemetry())`` every ``1 / fps`` sim seconds, each
    carrying ``vehicle.telemetry()``: the camera sees from where the vehicle is, the pipeline knows
    only what it reports (its EKF position). ``true_telemetry`` defaults to ``telemetry``.

    ``sim_time`` returns the vehicle's current sim time; ``scenario_t0_s`` is the sim time at which
    the scenario's clock reads 0. ``last_truth`` holds the ground truth of the last frame."""

    def __init__(
        self,
        *,
        source_id: str,
        telemetry: Callable[[], Any],
        true_telemetry: Callable[[], Any] | None = None,
        sim_time: Callable[[], float],
        speedup: Callable[[], float] | float,
        world: Any,
        camera: Any,
        fps: float,
        scenario_t0_s: float,
        world_lock: threading.Lock,
        stop: threading.Event,
        only_when_airborne: bool = True,
        min_rel_alt_m: float = 5.0,
    ) -> None:
        if fps <= 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        self.source_id = source_id
        self._telemetry = telemetry
        self._true_telemetry = true_telemetry or telemetry
        self._sim_time = sim_time
        self._speedup = speedup if callable(speedup) else (lambda: float(speedup))
        self._world = world
        self._camera = camera
        self._period_s = 1.0 / fps
        self._t0 = scenario_t0_s
        self._lock = world_lock
        self._stop = stop
        self._airborne_only = only_when_airborne
        self._min_alt = min_rel_alt_m
        self.last_truth: list[GroundTruthObject] = []
        self.truth_by_index: dict[int, list[GroundTruthObject]] = {}  # the last 256 frames' ground truth
        self.index = 0

    def close(self) -> None:
        self._stop.set()

    def frames(self) -> Iterator[Frame]:
        next_t = self._sim_time()
        while not self._stop.is_set():
            now = self._sim_time()
            if now < next_t:
                # the camera's own frame period, in wall time at the current speed-up
                self._stop.wait(min(0.2, max(0.001, (next_t - now) / max(self._speedup(), 1e-3))))
                continue
            next_t = max(next_t + self._period_s, now)
            tel = self._telemetry()
            if tel is None or (self._airborne_only and tel.rel_alt_m < self._min_alt):
                continue
            with self._lock:
                self._world.step_to(max(0.0, now - self._t0))
                frame, truth = self._camera.render(self._true_telemetry())
            self.last_truth = truth
            self.truth_by_index[self.index] = truth
            self.truth_by_index.pop(self.index - 256, None)
            frame = Frame(
                image=frame.image,
                timestamp_s=now,
                source_id=self.source_id,
                index=self.index,
                telemetry=tel,
                intrinsics=frame.intrinsics,
            )
            self.index += 1
            yield frame


def wall_clock_frames(frames: Iterator[Frame], fps: float, stop: threading.Event) -> Iterator[Frame]:
    """Re-pace a finite frame iterator (a recorded clip) to real time."""
    t_start = time.monotonic()
    for i, f in enumerate(frames):
        due = t_start + i / fps
        delay = due - time.monotonic()
        if delay > 0 and stop.wait(delay):
            return
        yield f


class OracleDetector:
    """A detector that answers with the simulator's ground truth for each frame: what the
    pipeline (tracking, georeferencing, events, alerts) does with perfect detections, so event
    logic can be measured apart from the model's misses. ``lookup(frame)`` gives the truth."""

    def __init__(self, lookup: Callable[[Frame], list[GroundTruthObject]], confidence: float = 0.9) -> None:
        self._lookup = lookup
        self._confidence = confidence

    def detect(self, frame: Frame) -> Any:
        import numpy as np
        import supervision as sv

        objs = [o for o in self._lookup(frame) if o.class_name in ("boat", "person")]
        if not objs:
            return sv.Detections.empty()
        return sv.Detections(
            xyxy=np.array([o.xyxy for o in objs], dtype=float),
            confidence=np.full(len(objs), self._confidence),
            class_id=np.array([o.class_id for o in objs], dtype=int),
        )

    def describe(self) -> str:
        return "oracle (the simulator's ground truth)"
