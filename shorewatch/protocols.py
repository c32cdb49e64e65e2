"""The small protocols each pipeline stage implements (STYLE.md, "Types and data flow")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from shorewatch.types import Event, Frame

if TYPE_CHECKING:
    import supervision as sv


class FrameSource(Protocol):
    """Camera frames, in capture order. Iteration ends when the source is exhausted or closed."""

    def frames(self) -> Iterator[Frame]: ...

    def close(self) -> None: ...


class Detector(Protocol):
    def detect(self, frame: Frame) -> sv.Detections: ...


class Tracker(Protocol):
    def update(self, detections: sv.Detections, frame: Frame) -> sv.Detections: ...

    def reset(self) -> None: ...


class EventEngine(Protocol):
    def update(self, frame: Frame, tracked: sv.Detections) -> list[Event]: ...


class AlertSink(Protocol):
    def publish(self, event: Event) -> object: ...
