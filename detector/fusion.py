"""One alert per object across cameras.

Each live camera stream runs its own tracker and event engine (``detector.events``), so two
drones watching the same stretch of beach (where their sectors meet, or one transiting past the
other's) raise two alerts for one launch or one gathering. ``CameraFusion`` sits between the
streams and the alert store: a *new* event from one stream that lies near a live event of the
same kind from another stream continues that event (its ``event_id``, the next ``revision``)
instead of opening a second alert, and every later revision of it follows.

Rules (``FusionConfig``):

* only live events fuse, and only where the event engine would continue one with the other
  (``detector.events.continues``): the same kind, or a ``boat_at_sea`` joining a ``launch`` (the
  launched boat seen by the other drone out at sea; the alert stays a launch). A ``launch`` never
  joins a ``boat_at_sea``: a launch is critical and gets its own alert;
* "near": within ``radius_m``, or twice the two events' stated errors in quadrature, at most
  ``max_radius_m``; "live": the fused event was updated less than ``window_s`` before;
* a stream never fuses with itself: where its own engine kept two events apart (two boats side
  by side), they stay apart;
* revisions of a fused event are numbered by the fusion, so the store sees one event whose
  revision only grows, whichever camera sent it;
* a boat at sea that stayed put (within ``still_radius_m``, or twice its stated error, for
  ``still_min_s`` or more) is remembered for ``still_memory_s`` after it was last updated: another
  camera's new ``boat_at_sea`` where it stood, on a later pass, continues its alert (a moored boat
  or a rock taken for a boat is alerted once per patrol, not once per drone; each event engine
  does the same for its own camera, ``EventConfig.stationary_memory_s``).
"""

from __future__ import annotations

import dataclasses
import math
import threading
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, model_validator

from detector.events import SEVERITY, continues
from shorewatch.geo import distance_m, near_radius_m
from shorewatch.types import Event, EventKind


class FusionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="after")
    def _keeps_what_it_remembers(self) -> FusionConfig:
        if self.keep_s < self.still_memory_s:
            raise ValueError(
                f"keep_s ({self.keep_s:g} s) must be at least still_memory_s ({self.still_memory_s:g} s): "
                "a still boat's mapping is needed as long as it is remembered"
            )
        return self

    radius_m: float = Field(50.0, ge=0, le=5000, description="events of one kind this near are one object")
    max_radius_m: float = Field(
        150.0, ge=0, le=5000, description="the most that twice the stated errors may widen radius_m to"
    )
    window_s: float = Field(
        60.0, ge=0, le=3600, description="how recently the other camera's event must have been updated"
    )
    still_memory_s: float = Field(
        3600.0,
        ge=0,
        le=86_400,
        description="how long a boat at sea that stayed put is found again by another camera (0: off)",
    )
    still_radius_m: float = Field(
        30.0, gt=0, le=1000, description="how far a boat may wander and still count as staying put"
    )
    still_min_s: float = Field(
        10.0, ge=0, le=3600, description="how long a boat must be seen staying put to be remembered"
    )
    keep_s: float = Field(
        3 * 3600.0,
        gt=0,
        le=7 * 86_400,
        description="how long a quiet event's mapping is kept (longer than any episode continues)",
    )


@dataclass(slots=True)
class _Fused:
    event_id: str
    kind: EventKind
    lat_deg: float
    lon_deg: float
    error_m: float
    last_s: float
    revision: int
    sources: set[str] = field(default_factory=set)
    first_s: float = math.nan
    anchor: tuple[float, float] = (math.nan, math.nan)  # where it was first seen (lat, lon)
    max_offset_m: float = 0.0  # the furthest it has been from there


class CameraFusion:
    """``fuse(stream_id, event)`` -> the event as the alert store should see it. Thread-safe."""

    def __init__(self, config: FusionConfig | None = None) -> None:
        self.config = config or FusionConfig()
        self._fused: list[_Fused] = []
        self._by_source: dict[tuple[str, str], _Fused] = {}
        self._lock = threading.Lock()

    def fuse(self, stream_id: str, event: Event) -> Event:
        with self._lock:
            self._forget(event.timestamp_s)
            key = (stream_id, event.event_id)
            f = self._by_source.get(key)
            if f is None:
                f = self._match(stream_id, event)
                if f is None:
                    f = _Fused(
                        event.event_id,
                        event.kind,
                        event.lat_deg,
                        event.lon_deg,
                        event.position_error_m,
                        event.timestamp_s,
                        -1,
                        first_s=event.timestamp_s,
                        anchor=(event.lat_deg, event.lon_deg),
                    )
                    self._fused.append(f)
                f.sources.add(stream_id)
                self._by_source[key] = f
            own = event.event_id == f.event_id
            f.revision = max(f.revision + 1, event.revision if own else 0)
            f.lat_deg, f.lon_deg, f.error_m = event.lat_deg, event.lon_deg, event.position_error_m
            f.last_s = max(f.last_s, event.timestamp_s)
            f.max_offset_m = max(f.max_offset_m, distance_m(event.lat_deg, event.lon_deg, *f.anchor))
            if own and len(f.sources) == 1 and f.revision == event.revision:
                return event  # one camera's event, as its engine numbered it
            return dataclasses.replace(
                event,
                event_id=f.event_id,
                kind=f.kind,
                severity=SEVERITY[f.kind],
                revision=f.revision,
                details=(*event.details, ("cameras", str(len(f.sources)))),
            )

    def _match(self, stream_id: str, event: Event) -> _Fused | None:
        c = self.config
        best: _Fused | None = None
        best_d = math.inf
        for f in self._fused:
            if stream_id in f.sources or not continues(f.kind, event.kind):
                continue
            if abs(event.timestamp_s - f.last_s) <= c.window_s:
                d = distance_m(event.lat_deg, event.lon_deg, f.lat_deg, f.lon_deg)
                radius = near_radius_m(c.radius_m, c.max_radius_m, f.error_m, event.position_error_m)
            elif (
                self._still(f)
                and event.kind is EventKind.BOAT_AT_SEA
                and 0 < event.timestamp_s - f.last_s <= c.still_memory_s
            ):
                d = distance_m(event.lat_deg, event.lon_deg, *f.anchor)
                radius = near_radius_m(c.still_radius_m, c.max_radius_m, f.error_m, event.position_error_m)
            else:
                continue
            if d <= radius and d < best_d:
                best, best_d = f, d
        return best

    def _still(self, f: _Fused) -> bool:
        """A boat at sea seen staying put long enough to be remembered where it stood."""
        c = self.config
        return (
            f.kind is EventKind.BOAT_AT_SEA
            and c.still_memory_s > 0
            and f.last_s - f.first_s >= c.still_min_s
            and f.max_offset_m <= near_radius_m(c.still_radius_m, c.max_radius_m, f.error_m)
        )

    def _forget(self, now_s: float) -> None:
        keep = self.config.keep_s
        if not any(now_s - f.last_s > keep for f in self._fused):
            return
        self._fused = [f for f in self._fused if now_s - f.last_s <= keep]
        alive = {id(f) for f in self._fused}
        self._by_source = {k: f for k, f in self._by_source.items() if id(f) in alive}
