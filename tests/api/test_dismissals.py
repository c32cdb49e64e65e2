"""Operators' false alarms hold back repeats at the same place (``api.dismissals``): the rules as a
table, release when the object stops looking like what was dismissed, the memory's clock, and the
settings that refuse to hold back safety of life."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from api.dismissals import HELD_DETAIL, RELEASED_DETAIL, Dismissal, DismissalConfig, Dismissals
from api.settings import Settings
from shorewatch.types import BOAT_LENGTH_DETAIL, Event, EventKind, Severity
from tests.api.conftest import boat_at_sea

SPOT = (50.8900, 1.6400)
T0 = 1_795_934_400.0


def event(eid: str = "drone-1:boat_at_sea:7", *, at_m: float = 0.0, **kw: Any) -> Event:
    return boat_at_sea(eid, SPOT, at_m, **({"timestamp_s": T0, "speed_mps": None} | kw))


def dismissed(
    kind: EventKind = EventKind.BOAT_AT_SEA,
    people: int = 0,
    seen_s: float = T0,
    length_m: float | None = None,
) -> Dismissal:
    return Dismissal(12, "drone-1:x:1", kind, SPOT[0], SPOT[1], 5.0, people, seen_s, length_m)


def long(m: str) -> tuple[tuple[str, str], ...]:
    return ((BOAT_LENGTH_DETAIL, m),)


def holding_e() -> Dismissals:
    """A memory with alert #12 (a 2 m buoy) dismissed and event "e" held as its repeat (alert #40), 10 m off."""
    d = Dismissals()
    d.dismiss(dismissed(length_m=2.0))
    r = d.route(event("e", at_m=10), T0)
    assert r.hold is not None
    d.held_as("e", 40, r.hold)
    return d


@pytest.mark.parametrize(
    ("case", "spot", "new", "now_s", "held"),
    [
        ("same kind, 10 m away", dismissed(), event(at_m=10), T0 + 60, True),
        ("same kind, 25 m away", dismissed(), event(at_m=25), T0 + 60, True),
        ("same kind, 60 m away", dismissed(), event(at_m=60), T0 + 60, False),
        (
            "a large stated error widens the spot",
            dismissed(),
            event(at_m=60, position_error_m=30),
            T0 + 60,
            True,
        ),
        ("never wider than max_radius_m", dismissed(), event(at_m=200, position_error_m=500), T0 + 60, False),
        ("moving past it", dismissed(), event(at_m=10, speed_mps=4.0), T0 + 60, False),
        ("drifting slowly", dismissed(), event(at_m=10, speed_mps=0.8), T0 + 60, True),
        (
            "another kind",
            dismissed(),
            event(at_m=5, kind=EventKind.GATHERING, people_count=6),
            T0 + 60,
            False,
        ),
        (
            "a gathering of the same size",
            dismissed(EventKind.GATHERING, people=8),
            event(at_m=10, kind=EventKind.GATHERING, people_count=9),
            T0 + 60,
            True,
        ),
        (
            "a gathering twice as large",
            dismissed(EventKind.GATHERING, people=8),
            event(at_m=10, kind=EventKind.GATHERING, people_count=16),
            T0 + 60,
            False,
        ),
        (
            "a boat where a 2 m buoy was",
            dismissed(length_m=2.0),
            event(at_m=10, details=long("9")),
            T0 + 60,
            False,
        ),
        (
            "the buoy again, read a little longer",
            dismissed(length_m=2.0),
            event(at_m=10, details=long("4")),
            T0 + 60,
            True,
        ),
        (
            "a 9 m boat read as 12 m",
            dismissed(length_m=9.0),
            event(at_m=10, details=long("12")),
            T0 + 60,
            True,
        ),
        ("no length when dismissed", dismissed(), event(at_m=10, details=long("9")), T0 + 60, True),
        ("no length now", dismissed(length_m=2.0), event(at_m=10), T0 + 60, True),
        ("an unreadable length", dismissed(length_m=2.0), event(at_m=10, details=long("nan")), T0 + 60, True),
        (
            "a launch is not held by default",
            dismissed(EventKind.LAUNCH),
            event(at_m=5, kind=EventKind.LAUNCH, severity=Severity.CRITICAL),
            T0 + 60,
            False,
        ),
        ("11 h after it was last seen", dismissed(), event(at_m=10), T0 + 11 * 3600, True),
        ("13 h after it was last seen", dismissed(), event(at_m=10), T0 + 13 * 3600, False),
    ],
)
def test_what_is_held(case: str, spot: Dismissal, new: Event, now_s: float, held: bool) -> None:
    d = Dismissals()
    d.dismiss(spot)
    r = d.route(new, now_s)
    assert (r.hold is not None) == held, case
    assert r.event.event_id == new.event_id
    assert ((HELD_DETAIL, "#12") in r.event.details) == held, case


def test_a_launch_is_held_only_when_named() -> None:
    d = Dismissals(DismissalConfig(kinds=(EventKind.LAUNCH,)))
    d.dismiss(dismissed(EventKind.LAUNCH))
    assert d.route(event(at_m=5, kind=EventKind.LAUNCH, severity=Severity.CRITICAL), T0).hold is not None
    assert d.route(event("b", at_m=5), T0).hold is None  # boat_at_sea no longer named


def test_memory_counts_from_the_last_sighting_of_the_dismissed_object() -> None:
    d = Dismissals()
    spot = dismissed()
    d.dismiss(spot)
    # the dismissed alert's own revisions (a moored boat still there) keep it remembered
    assert d.route(event(spot.event_id, at_m=3, revision=5), T0 + 10 * 3600).hold is None
    assert d.route(event("later", at_m=8), T0 + 20 * 3600).hold is not None
    # so do held repeats
    assert d.route(event("later", at_m=8, revision=2), T0 + 30 * 3600).hold is not None
    assert d.route(event("much-later", at_m=8), T0 + 41 * 3600).hold is not None
    assert d.route(event("after-a-quiet-day", at_m=8), T0 + 54 * 3600).hold is None
    assert d.spots == []


def test_a_held_alert_is_released_when_its_object_leaves_the_spot() -> None:
    d = holding_e()
    still = d.route(event("e", at_m=15, revision=2), T0 + 5)
    assert still.hold is not None and (HELD_DETAIL, "#12") in still.event.details
    gone = d.route(event("e", at_m=90, revision=3), T0 + 30)
    assert gone.hold is None
    assert gone.event.event_id == "e+released"
    details = dict(gone.event.details)
    assert details[RELEASED_DETAIL] == "#40"
    assert "moved 90 m from the dismissed alert" in details["release_reason"]
    # every later revision follows the released alert, even back near the spot
    back = d.route(event("e", at_m=5, revision=4), T0 + 60)
    assert back.hold is None and back.event.event_id == "e+released"


@pytest.mark.parametrize(
    ("revision", "reason"),
    [
        (dict(speed_mps=3.0), "moved at 3.0 m/s"),
        (dict(kind=EventKind.LAUNCH, severity=Severity.CRITICAL), "became a launch"),
        (dict(details=long("8")), "is a boat of about 8 m (2 m when dismissed)"),
    ],
)
def test_release_reasons(revision: dict[str, Any], reason: str) -> None:
    d = holding_e()
    released = d.route(event("e", at_m=10, revision=2, **revision), T0 + 5)
    assert released.hold is None and reason in dict(released.event.details)["release_reason"]


def test_off_when_memory_is_zero() -> None:
    d = Dismissals(DismissalConfig(memory_h=0))
    d.dismiss(dismissed())
    assert d.spots == [] and d.route(event(at_m=1), T0).hold is None


def test_person_in_water_is_never_held() -> None:
    with pytest.raises(ValidationError, match="safety of life"):
        DismissalConfig(kinds=(EventKind.BOAT_AT_SEA, EventKind.PERSON_IN_WATER))


@pytest.mark.parametrize(
    ("value", "error"),
    [("boat_at_sea,person_in_water", "safety of life"), ("boat_at_sea,buoy", "buoy")],
)
def test_settings_refuse_bad_kinds(value: str, error: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOREWATCH_FALSE_ALARM_KINDS", value)
    with pytest.raises(ValueError, match=error):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_settings_build_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOREWATCH_FALSE_ALARM_KINDS", " gathering , launch ")
    monkeypatch.setenv("SHOREWATCH_FALSE_ALARM_MEMORY_H", "48")
    cfg = Settings(_env_file=None).dismissal_config()  # type: ignore[call-arg]
    assert cfg.kinds == (EventKind.GATHERING, EventKind.LAUNCH) and cfg.memory_h == 48


def test_a_withdrawn_verdict_holds_nothing_back_and_releases_its_held_repeats() -> None:
    d = holding_e()
    assert d.withdraw(12) is not None and d.spots == []
    assert d.route(event("new", at_m=5), T0 + 5).hold is None
    released = d.route(event("e", at_m=10, revision=2), T0 + 6)
    assert released.hold is None and released.event.event_id == "e+released"
    assert dict(released.event.details)["release_reason"] == "false alarm #12 was withdrawn"
    assert d.withdraw(12) is None


def test_an_alert_already_raised_is_never_held_when_it_comes_near_a_dismissed_place() -> None:
    d = Dismissals()
    d.dismiss(dismissed())
    assert d.route(event("boat", at_m=500), T0).hold is None  # alerted far away
    assert d.route(event("boat", at_m=10, revision=2), T0 + 60).hold is None  # then drifts past the buoy
    # the service says so when it knows better than the memory (after a restart)
    fresh = Dismissals()
    fresh.dismiss(dismissed())
    r = fresh.route(event("boat", at_m=10, revision=3), T0 + 70)
    assert r.hold is not None and r.first_hold
    fresh.passed("boat", T0 + 70)
    assert fresh.route(event("boat", at_m=10, revision=4), T0 + 71).hold is None
