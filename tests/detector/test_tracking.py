"""ByteTrack wrapper: ids that hold across frames at the low frame rates a drone stream runs at,
track loss after ``lost_track_s``, classes tracked apart."""

from __future__ import annotations

import numpy as np
import pytest
import supervision as sv

from detector.tracking import Tracker, TrackerConfig


def _dets(boxes: list[tuple[float, float, float, float]], cls: list[int], conf: float = 0.8) -> sv.Detections:
    return sv.Detections(
        xyxy=np.array(boxes, dtype=np.float32).reshape(-1, 4),
        confidence=np.full(len(boxes), conf, dtype=np.float32),
        class_id=np.array(cls, dtype=int),
    )


def _boat(x: float) -> tuple[float, float, float, float]:
    return (x, 300.0, x + 30.0, 320.0)


@pytest.mark.parametrize("fps", [2.0, 5.0, 10.0])
def test_a_moving_boat_keeps_one_id_at_drone_frame_rates(fps: float) -> None:
    tr = Tracker(TrackerConfig(frame_rate=fps))
    ids = []
    for i in range(12):
        out = tr.update(_dets([_boat(100 + 8 * i)], [0]), timestamp_s=i / fps)
        ids.extend(int(t) for t in out.tracker_id)
    assert len(ids) >= 9, f"the boat was confirmed in only {len(ids)} of 12 frames"
    assert len(set(ids)) == 1


@pytest.mark.parametrize(("gap_s", "same_id"), [(2.0, True), (6.0, False)])
def test_a_track_survives_gaps_shorter_than_lost_track_s(gap_s: float, same_id: bool) -> None:
    fps = 2.0
    tr = Tracker(TrackerConfig(frame_rate=fps, lost_track_s=3.0))
    t = 0.0
    before: set[int] = set()
    for _ in range(6):
        before |= {int(i) for i in tr.update(_dets([_boat(200)], [0]), timestamp_s=t).tracker_id}
        t += 1 / fps
    stop = t + gap_s
    while t < stop:  # nothing detected
        tr.update(_dets([], []), timestamp_s=t)
        t += 1 / fps
    after: set[int] = set()
    for _ in range(4):
        after |= {int(i) for i in tr.update(_dets([_boat(200)], [0]), timestamp_s=t).tracker_id}
        t += 1 / fps
    assert len(before) == 1 and after
    assert (after == before) is same_id, (before, after)


def test_boats_and_people_are_tracked_apart() -> None:
    tr = Tracker(TrackerConfig(frame_rate=2.0))
    out = sv.Detections.empty()
    for i in range(4):
        out = tr.update(_dets([_boat(100), _boat(102)], [0, 1]), timestamp_s=i / 2)
    assert sorted(int(c) for c in out.class_id) == [0, 1]
    assert len(set(int(t) for t in out.tracker_id)) == 2
