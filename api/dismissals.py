"""Operators' "false alarm" verdicts teach the live pipeline where not to alert again.

A real shore is full of things a detector takes for a boat or a crowd: a moored boat, a buoy, a
café terrace. The event engine already keeps one alert per object per episode, but a new track
of the same buoy on the next pass, or the same terrace's crowd an hour later, is a new episode,
and a patrol officer who marked it *false alarm* is alerted again for it.

``Dismissals`` remembers each live alert an operator resolved as ``false_alarm`` (kind, place,
stated error, people count) for ``memory_h`` hours, counted from the last time the dismissed
object, or a repeat of it, was seen. A **new** live alert of the same kind at the same place is
then *held*: stored, journalled and resolved as ``false_alarm`` by the pipeline with the reason
(``details``: ``held_as_repeat_of``), pushed only as a resolved alert (no sound, hidden with the
resolved ones), never escalated. Nothing is lost: it stays in the alert list and its later
revisions keep updating it.

An operator may **withdraw** a verdict (``DELETE /false-alarms/{id}``): it then holds nothing
back, and the alerts held as its repeats are released at their next revision.

A held alert is **released** as a new, announced alert (its own ``event_id``, ``details``:
``released_from_hold``) as soon as its object stops looking like what was dismissed:

* it moved beyond the spot's radius, or faster than ``max_speed_mps`` (a boat passing the
  dismissed buoy);
* its people count reached ``people_growth`` times the dismissed one (a gathering that grows);
* its boat is ``length_growth`` times as long as the dismissed one and at least
  ``min_length_gain_m`` longer (``details``: ``length_m``, estimated from the picture): a boat
  waiting where a buoy was dismissed;
* it became a kind that is not held (a boat at sea that turns out to be a launch).

"The same place": within ``radius_m``, widened to twice the two alerts' stated errors in
quadrature, at most ``max_radius_m``. Only the kinds in ``kinds`` are held (by default boats
at sea and gatherings); ``person_in_water`` never is (safety of life), and a ``launch`` only when
named, since a dismissed launch on a beach says little about the next one there. Replays are
never held. Wall-clock time (the service's), not frame time, counts the memory.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.domain import Alert
from shorewatch.geo import distance_m, near_radius_m
from shorewatch.types import BOAT_LENGTH_DETAIL, Event, EventKind, detail_number

HELD_DETAIL = "held_as_repeat_of"
RELEASED_DETAIL = "released_from_hold"


class DismissalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    memory_h: float = Field(
        12.0,
        ge=0,
        le=24 * 30,
        description="how long a false alarm holds back repeats, after the object was last seen; 0: off",
    )
    kinds: tuple[EventKind, ...] = Field(
        (EventKind.BOAT_AT_SEA, EventKind.GATHERING),
        description="kinds whose repeats are held (person_in_water never is)",
    )
    radius_m: float = Field(30.0, ge=0, le=5000, description="a repeat this near the dismissed alert is held")
    max_radius_m: float = Field(
        150.0, ge=0, le=5000, description="the most that twice the stated errors may widen radius_m to"
    )
    max_speed_mps: float = Field(
        1.5, ge=0, le=100, description="a repeat moving faster than this is not held (something passing)"
    )
    people_growth: float = Field(
        2.0, ge=1, le=100, description="a repeat with this many times the dismissed people count is not held"
    )
    length_growth: float = Field(
        2.0,
        ge=1,
        le=100,
        description="a boat this many times as long as the dismissed one (and min_length_gain_m longer) is not held",
    )
    min_length_gain_m: float = Field(
        3.0, ge=0, le=500, description="the least a repeat must outgrow the dismissed boat by to be released"
    )

    @field_validator("kinds")
    @classmethod
    def _no_safety_of_life(cls, kinds: tuple[EventKind, ...]) -> tuple[EventKind, ...]:
        if EventKind.PERSON_IN_WATER in kinds:
            raise ValueError(
                "person_in_water is safety of life and is never held back; expected any of "
                "launch, boat_at_sea, gathering"
            )
        return tuple(dict.fromkeys(kinds))

    @property
    def enabled(self) -> bool:
        return self.memory_h > 0 and bool(self.kinds)


@dataclass(slots=True)
class Dismissal:
    """One operator verdict: alert ``alert_id`` (``kind`` at ``lat_deg``/``lon_deg``) was a false
    alarm; ``last_seen_s``: when it, or a repeat of it, last changed (wall clock)."""

    alert_id: int
    event_id: str
    kind: EventKind
    lat_deg: float
    lon_deg: float
    error_m: float
    people_count: int
    last_seen_s: float
    length_m: float | None = None  # the dismissed boat's estimated length, where the alert gave one

    @classmethod
    def of(cls, alert: Alert, seen_s: float) -> Dismissal:
        return cls(
            alert.id,
            alert.event_id,
            alert.kind,
            alert.lat_deg,
            alert.lon_deg,
            alert.position_error_m,
            alert.people_count,
            seen_s,
            boat_length(alert.details),
        )


@dataclass(frozen=True, slots=True)
class Routing:
    """What to do with one live event: store ``event`` (its id may be the released alias) and,
    when ``hold`` is set and the alert is new, resolve it as a repeat of that dismissal."""

    event: Event
    hold: Dismissal | None = None
    distance_m: float = math.nan
    first_hold: bool = False  # the event was not seen before: hold it only if its alert is new


class Dismissals:
    """The service's memory of false alarms. Not thread-safe: the alert service calls it under
    its lock."""

    def __init__(self, config: DismissalConfig | None = None) -> None:
        self.config = config or DismissalConfig()
        self._spots: dict[int, Dismissal] = {}
        self._held: dict[str, tuple[Dismissal, int | None]] = {}  # event_id -> (spot, held alert id)
        self._released: dict[str, tuple[str, float]] = {}  # event_id -> (released event_id, last seen)
        self._passed: dict[str, float] = {}  # event_id of an alert already announced -> last seen

    @property
    def spots(self) -> list[Dismissal]:
        return list(self._spots.values())

    def dismiss(self, spot: Dismissal) -> None:
        """An operator resolved a live alert as ``false_alarm``."""
        if self.config.enabled and spot.kind in self.config.kinds:
            self._spots[spot.alert_id] = spot

    def restore(self, alerts: list[Alert]) -> None:
        """Rebuild the memory from stored alerts resolved as false alarms (operators' dismissals
        and held repeats, which refresh their dismissal's last sighting)."""
        for a in alerts:
            if held_ref(a) is None:
                self.dismiss(Dismissal.of(a, a.updated_at_s))
        for a in alerts:
            ref = held_ref(a)
            spot = self._spots.get(ref) if ref is not None else None
            if spot is not None:
                self.held_as(a.event_id, a.id, spot)
                spot.last_seen_s = max(spot.last_seen_s, a.updated_at_s)

    def withdraw(self, alert_id: int) -> Dismissal | None:
        """An operator withdrew the false-alarm verdict of ``alert_id``: it holds nothing back, and
        the alerts held as its repeats are released at their next revision."""
        return self._spots.pop(alert_id, None)

    def passed(self, event_id: str, now_s: float) -> None:
        """``event_id``'s alert existed before any hold (an announced alert wandering near a
        dismissed place): it is never held."""
        self._held.pop(event_id, None)
        self._passed[event_id] = now_s

    @property
    def held_event_ids(self) -> list[str]:
        return list(self._held)

    def was_released(self, event_id: str, now_s: float) -> None:
        """``event_id``'s held alert was released before a restart (its ``released_id`` alert is
        stored): its revisions keep updating that alert, not the held one."""
        self._held.pop(event_id, None)
        self._released[event_id] = (released_id(event_id), now_s)

    def held_as(self, event_id: str, alert_id: int, spot: Dismissal) -> None:
        """The alert stored for the held ``event_id`` is ``alert_id`` (a repeat of ``spot``)."""
        self._held[event_id] = (spot, alert_id)

    def route(self, event: Event, now_s: float) -> Routing:
        """Hold, release or pass one live event (see the module docstring)."""
        self._forget(now_s)
        released = self._released.get(event.event_id)
        if released is not None:
            self._released[event.event_id] = (released[0], now_s)
            return Routing(dataclasses.replace(event, event_id=released[0]))
        for spot in self._spots.values():
            if spot.event_id == event.event_id:  # a revision of the dismissed alert: still there
                spot.last_seen_s = max(spot.last_seen_s, now_s)
                return Routing(event)
        if event.event_id in self._passed:
            self._passed[event.event_id] = now_s
            return Routing(event)
        held = self._held.get(event.event_id)
        if held is not None:
            spot, held_alert = held
            reason = (
                self._release_reason(event, spot)
                if spot.alert_id in self._spots
                else f"false alarm #{spot.alert_id} was withdrawn"
            )
            if reason is None:
                spot.last_seen_s = max(spot.last_seen_s, now_s)
                d = distance_m(event.lat_deg, event.lon_deg, spot.lat_deg, spot.lon_deg)
                return Routing(_with_hold(event, spot), spot, d)
            del self._held[event.event_id]
            alias = released_id(event.event_id)
            self._released[event.event_id] = (alias, now_s)
            note = f"#{held_alert}" if held_alert is not None else f"repeat of #{spot.alert_id}"
            return Routing(
                dataclasses.replace(
                    event,
                    event_id=alias,
                    details=(*event.details, (RELEASED_DETAIL, note), ("release_reason", reason)),
                )
            )
        best: Dismissal | None = None
        best_d = math.inf
        for s in self._spots.values():
            d = distance_m(event.lat_deg, event.lon_deg, s.lat_deg, s.lon_deg)
            if d < best_d and self._release_reason(event, s) is None:
                best, best_d = s, d
        if best is None:
            self._passed[event.event_id] = now_s
            return Routing(event)
        self._held[event.event_id] = (best, None)
        best.last_seen_s = max(best.last_seen_s, now_s)
        return Routing(_with_hold(event, best), best, best_d, first_hold=True)

    def radius_m(self, spot: Dismissal, event: Event) -> float:
        return self.radius_for(spot, event.position_error_m)

    def radius_for(self, spot: Dismissal, error_m: float = 0.0) -> float:
        """How near a repeat stated to ``error_m`` must be to ``spot`` to be held."""
        return near_radius_m(self.config.radius_m, self.config.max_radius_m, spot.error_m, error_m)

    def _release_reason(self, event: Event, spot: Dismissal) -> str | None:
        """Why ``event`` is not a repeat of ``spot`` (None: it is)."""
        c = self.config
        if event.kind not in c.kinds or event.kind is not spot.kind:
            return f"became a {event.kind.value}"
        d = distance_m(event.lat_deg, event.lon_deg, spot.lat_deg, spot.lon_deg)
        radius = self.radius_m(spot, event)
        if d > radius:
            return f"moved {d:.0f} m from the dismissed alert (more than {radius:.0f} m)"
        if event.speed_mps is not None and event.speed_mps > c.max_speed_mps:
            return f"moved at {event.speed_mps:.1f} m/s (more than {c.max_speed_mps:g})"
        if spot.people_count > 0 and event.people_count >= c.people_growth * spot.people_count:
            return f"grew to {event.people_count} people ({spot.people_count} when dismissed)"
        length = boat_length(event.details)
        if (
            length is not None
            and spot.length_m is not None
            and length >= c.length_growth * spot.length_m
            and length >= spot.length_m + c.min_length_gain_m
        ):
            return f"is a boat of about {length:.0f} m ({spot.length_m:.0f} m when dismissed)"
        return None

    def _forget(self, now_s: float) -> None:
        keep_s = self.config.memory_h * 3600.0
        stale = [k for k, s in self._spots.items() if now_s - s.last_seen_s > keep_s]
        for k in stale:
            del self._spots[k]
        if stale:
            gone = set(stale)
            self._held = {k: v for k, v in self._held.items() if v[0].alert_id not in gone}
        if any(now_s - t > keep_s for _, t in self._released.values()):
            self._released = {k: v for k, v in self._released.items() if now_s - v[1] <= keep_s}
        if any(now_s - t > keep_s for t in self._passed.values()):
            self._passed = {k: t for k, t in self._passed.items() if now_s - t <= keep_s}


def released_id(event_id: str) -> str:
    """The event id under which a held alert's object, released, is announced anew."""
    return f"{event_id}+released"


def _with_hold(event: Event, spot: Dismissal) -> Event:
    """``event`` carrying which dismissed alert it repeats (kept on every revision)."""
    return dataclasses.replace(event, details=(*event.details, (HELD_DETAIL, f"#{spot.alert_id}")))


def boat_length(details: tuple[tuple[str, str], ...]) -> float | None:
    """The boat's estimated length in ``details`` (``BOAT_LENGTH_DETAIL``), None if not given or unreadable."""
    length = detail_number(details, BOAT_LENGTH_DETAIL)
    return length if length is not None and length > 0 else None


def held_ref(alert: Alert) -> int | None:
    """The id of the dismissed alert that ``alert`` was held as a repeat of (None: not held)."""
    for k, v in alert.details:
        if k == HELD_DETAIL:
            try:
                return int(v.lstrip("#"))
            except ValueError:
                return None
    return None
