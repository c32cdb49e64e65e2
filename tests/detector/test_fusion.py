"""Two cameras, one object, one alert (``detector.fusion``): table-driven over kinds, distances,
times and streams, and the revision numbering the alert store relies on."""

from __future__ import annotations

import pytest

from detector.fusion import CameraFusion, FusionConfig
from shorewatch.geo import offset
from shorewatch.types import Event, EventKind, Severity

LAT, LON = 50.8880, 1.6601
SEV = {
    EventKind.LAUNCH: Severity.CRITICAL,
    EventKind.PERSON_IN_WATER: Severity.CRITICAL,
    EventKind.BOAT_AT_SEA: Severity.WARNING,
    EventKind.GATHERING: Severity.WARNING,
}


def ev(
    event_id: str, kind: EventKind, t: float, east_m: float = 0.0, revision: int = 0, error_m: float = 8.0
) -> Event:
    lat, lon = offset(LAT, LON, 90.0, east_m) if east_m else (LAT, LON)
    return Event(event_id, kind, SEV[kind], t, lat, lon, error_m, 0.8, "cam", revision=revision)


L, B, G, P = EventKind.LAUNCH, EventKind.BOAT_AT_SEA, EventKind.GATHERING, EventKind.PERSON_IN_WATER


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        (("drone-1", L, 0.0, 0.0), ("drone-2", L, 5.0, 20.0), True),  # one launch, two cameras
        (("drone-1", G, 0.0, 0.0), ("drone-2", G, 30.0, 40.0), True),  # one gathering
        (("drone-1", L, 0.0, 0.0), ("drone-2", L, 5.0, 400.0), False),  # two launches 400 m apart
        (("drone-1", G, 0.0, 0.0), ("drone-2", P, 5.0, 5.0), False),  # other kinds never fuse
        (("drone-1", L, 0.0, 0.0), ("drone-2", B, 5.0, 30.0), True),  # the launched boat, out at sea
        (("drone-1", B, 0.0, 0.0), ("drone-2", L, 5.0, 30.0), False),  # a launch is its own alert
        (("drone-1", L, 0.0, 0.0), ("drone-1", L, 5.0, 20.0), False),  # one engine kept them apart
        (("drone-1", L, 0.0, 0.0), ("drone-2", L, 120.0, 20.0), False),  # the first long quiet
    ],
)
def test_a_new_event_near_another_cameras_live_event_of_its_kind_is_that_event(
    first: tuple[str, EventKind, float, float], second: tuple[str, EventKind, float, float], same: bool
) -> None:
    fusion = CameraFusion()
    a = fusion.fuse(first[0], ev("a", first[1], first[2], first[3]))
    b = fusion.fuse(second[0], ev("b", second[1], second[2], second[3]))
    assert a.event_id == "a" and a.revision == 0
    if same:
        assert (b.event_id, b.revision, b.kind) == ("a", 1, first[1])
        assert b.severity is SEV[first[1]] and ("cameras", "2") in b.details
    else:
        assert (b.event_id, b.revision, b.kind) == ("b", 0, second[1])


def test_the_stated_errors_widen_the_radius_up_to_its_cap() -> None:
    wide = CameraFusion()
    wide.fuse("drone-1", ev("a", L, 0.0, error_m=40.0))
    assert wide.fuse("drone-2", ev("b", L, 1.0, 105.0, error_m=40.0)).event_id == "a"  # 2 x 57 m = 113 m
    capped = CameraFusion(FusionConfig(max_radius_m=100.0))
    capped.fuse("drone-1", ev("a", L, 0.0, error_m=40.0))
    assert capped.fuse("drone-2", ev("b", L, 1.0, 105.0, error_m=40.0)).event_id == "b"


def test_revisions_from_both_cameras_only_grow_and_a_lone_camera_passes_through() -> None:
    fusion = CameraFusion()
    out = [
        fusion.fuse("drone-1", ev("a", L, 0.0, revision=0)),
        fusion.fuse("drone-1", ev("a", L, 5.0, revision=1)),
        fusion.fuse("drone-2", ev("b", L, 6.0, 10.0, revision=0)),
        fusion.fuse("drone-1", ev("a", L, 10.0, revision=2)),
        fusion.fuse("drone-2", ev("b", L, 11.0, 12.0, revision=1)),
        fusion.fuse("drone-2", ev("b", L, 16.0, 14.0, revision=2)),
        fusion.fuse("drone-1", ev("a", L, 15.0, revision=3)),
    ]
    assert {e.event_id for e in out} == {"a"}
    assert [e.revision for e in out] == list(range(7))
    lone = ev("c", G, 20.0, 3000.0, revision=4)  # an episode continued by its own engine
    assert fusion.fuse("drone-3", lone) is lone


def test_a_mapping_outlives_the_fusion_window() -> None:
    """A moored boat's alert continued an hour later by the same camera stays that alert."""
    fusion = CameraFusion()
    fusion.fuse("drone-1", ev("a", B, 0.0))
    fusion.fuse("drone-2", ev("b", B, 5.0, 10.0))
    later = fusion.fuse("drone-2", ev("b", B, 3000.0, 10.0, revision=1))
    assert (later.event_id, later.revision) == ("a", 2)


def still_boat(fusion: CameraFusion, stream: str = "drone-1", east_m: float = 0.0, seconds: int = 60) -> None:
    """``stream`` watches boat "a" at sea, staying within a few metres of ``east_m``, for ``seconds``."""
    for k, t in enumerate(range(0, seconds + 1, 10)):
        fusion.fuse(stream, ev("a", B, float(t), east_m + (k % 3), revision=k))


@pytest.mark.parametrize(
    ("case", "later", "same"),
    [
        ("the other drone's next pass, 20 min on", ("drone-2", B, 1260.0, 12.0), True),
        ("found 45 m off where it stood", ("drone-2", B, 1260.0, 45.0), False),
        ("after the memory, 70 min on", ("drone-2", B, 60.0 + 70 * 60, 5.0), False),
        ("a launch there is its own alert", ("drone-2", L, 1260.0, 5.0), False),
        ("the same drone: its own engine remembers", ("drone-1", B, 1260.0, 5.0), False),
    ],
)
def test_a_boat_that_stayed_put_is_found_again_by_another_camera(
    case: str, later: tuple[str, EventKind, float, float], same: bool
) -> None:
    fusion = CameraFusion()
    still_boat(fusion)
    b = fusion.fuse(later[0], ev("b", later[1], later[2], later[3]))
    assert (b.event_id == "a") == same, case
    if same:
        assert ("cameras", "2") in b.details and b.revision == 7


def test_a_boat_under_way_or_seen_briefly_is_not_remembered() -> None:
    moving = CameraFusion()
    for k, t in enumerate(range(0, 61, 10)):
        moving.fuse("drone-1", ev("a", B, float(t), 15.0 * k, revision=k))  # 1.5 m/s
    assert moving.fuse("drone-2", ev("b", B, 1260.0, 0.0)).event_id == "b"
    brief = CameraFusion()
    brief.fuse("drone-1", ev("a", B, 0.0))
    assert brief.fuse("drone-2", ev("b", B, 1260.0, 2.0)).event_id == "b"
    off = CameraFusion(FusionConfig(still_memory_s=0))
    still_boat(off)
    assert off.fuse("drone-2", ev("b", B, 1260.0, 2.0)).event_id == "b"


def test_the_mapping_is_kept_as_long_as_a_still_boat_is_remembered() -> None:
    with pytest.raises(ValueError, match=r"keep_s .* must be at least still_memory_s"):
        FusionConfig(keep_s=600.0, still_memory_s=3600.0)
