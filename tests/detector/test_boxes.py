"""Box maths: IoU/IoS properties, NMS, the cross-tile merge, YOLO-format conversion."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detector.boxes import (
    Merged,
    as_xyxy,
    fuse_views,
    merge_tiled,
    nms,
    pairwise_ios,
    pairwise_iou,
    size_px,
    xyxy_to_yolo,
    yolo_to_xyxy,
)
from detector.errors import DetectorError

coord = st.floats(0, 2000, allow_nan=False)
size = st.floats(0.5, 400, allow_nan=False)


@st.composite
def boxes(draw: st.DrawFn) -> tuple[float, float, float, float]:
    x, y, w, h = draw(coord), draw(coord), draw(size), draw(size)
    return (x, y, x + w, y + h)


@settings(max_examples=200, deadline=None)
@given(a=boxes(), b=boxes())
def test_iou_is_symmetric_bounded_and_below_ios(a: tuple[float, ...], b: tuple[float, ...]) -> None:
    iou_ab = pairwise_iou([a], [b])[0, 0]
    assert iou_ab == pytest.approx(pairwise_iou([b], [a])[0, 0])
    assert 0.0 <= iou_ab <= 1.0 + 1e-12
    assert pairwise_ios([a], [b])[0, 0] >= iou_ab - 1e-12
    assert pairwise_iou([a], [a])[0, 0] == pytest.approx(1.0)


@settings(max_examples=200, deadline=None)
@given(b=boxes(), w=st.integers(2100, 5000), h=st.integers(2100, 5000))
def test_yolo_round_trip(b: tuple[float, ...], w: int, h: int) -> None:
    back = yolo_to_xyxy(xyxy_to_yolo([b], w, h), w, h)
    assert back[0] == pytest.approx(b, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(outer=boxes(), fx=st.floats(0, 0.5), fy=st.floats(0, 0.5))
def test_a_box_inside_another_has_ios_one(outer: tuple[float, ...], fx: float, fy: float) -> None:
    x0, y0, x1, y1 = outer
    w, h = x1 - x0, y1 - y0
    inner = (x0 + fx * w, y0 + fy * h, x1 - fx * w / 2, y1 - fy * h / 2)
    assert pairwise_ios([outer], [inner])[0, 0] == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ([[0, 0, 1]], "N x 4"),
        ([[5, 0, 1, 1]], "x1 >= x0"),
        ([[0, 0, np.nan, 1]], "NaN"),
    ],
)
def test_bad_boxes_are_refused_with_the_reason(bad: list[list[float]], message: str) -> None:
    with pytest.raises(DetectorError, match=message):
        as_xyxy(bad)


def test_nms_keeps_the_best_of_overlapping_boxes_per_class() -> None:
    b = [[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10], [50, 50, 60, 60]]
    keep = nms(b, [0.9, 0.8, 0.7, 0.6], [0, 0, 1, 0], 0.5)
    assert list(keep) == [0, 2, 3]  # box 1 suppressed by 0; box 2 is another class


def test_nms_refuses_mismatched_inputs() -> None:
    with pytest.raises(DetectorError, match="equal counts"):
        nms([[0, 0, 1, 1]], [0.5, 0.4], [0], 0.5)


@pytest.mark.parametrize(
    ("boxes_", "scores", "classes", "truncated", "expected"),
    [
        # a boat cut by a vertical tile border at x=100: two pieces -> one boat, the union box
        ([[80, 40, 101, 50], [99, 41, 130, 51]], [0.8, 0.6], [0, 0], [True, True], [[80, 40, 130, 51]]),
        # the same boat seen whole by an overlapping tile and in part by the next: the whole box
        ([[80, 40, 130, 51], [99, 41, 130, 51]], [0.7, 0.8], [0, 0], [False, True], [[80, 40, 130, 51]]),
        # two boats side by side (no overlap): stay two
        (
            [[0, 0, 20, 10], [30, 0, 50, 10]],
            [0.8, 0.7],
            [0, 0],
            [False, False],
            [[0, 0, 20, 10], [30, 0, 50, 10]],
        ),
        # a person standing in front of a boat: different classes never merge
        (
            [[0, 0, 40, 20], [10, 5, 14, 15]],
            [0.8, 0.7],
            [0, 1],
            [False, False],
            [[0, 0, 40, 20], [10, 5, 14, 15]],
        ),
        # same object from the coarse and native pass, neither cut: keep the best box
        ([[10, 10, 30, 20], [11, 10, 31, 21]], [0.6, 0.9], [0, 0], [False, False], [[11, 10, 31, 21]]),
    ],
)
def test_merge_tiled(
    boxes_: list[list[float]],
    scores: list[float],
    classes: list[int],
    truncated: list[bool],
    expected: list[list[float]],
) -> None:
    m = merge_tiled(boxes_, scores, classes, truncated)
    got = sorted(map(tuple, m.xyxy.tolist()))
    assert got == sorted(map(tuple, np.asarray(expected, float).tolist()))
    assert m.confidence.max() == pytest.approx(max(scores))


def test_size_is_sqrt_area() -> None:
    assert size_px([[0, 0, 4, 16]])[0] == pytest.approx(8.0)


def test_merge_tiled_keeps_close_people_of_one_tile_apart() -> None:
    """Two people side by side in one tile (their boxes already through that tile's NMS) stay
    two people; the same two boxes coming from two tiles are one object seen twice."""
    boxes_ = [[10, 10, 16, 30], [12, 11, 17, 29]]  # IoS 0.75 > merge_ios: nested-looking pair
    args = (boxes_, [0.9, 0.8], [1, 1], [False, False])
    assert len(merge_tiled(*args, tile_ids=[0, 0]).xyxy) == 2
    assert len(merge_tiled(*args, tile_ids=[0, 1]).xyxy) == 1
    assert len(merge_tiled(*args).xyxy) == 1  # no tile ids: every pair may merge
    with pytest.raises(DetectorError, match="tile ids"):
        merge_tiled(*args, tile_ids=[0])


def _view(boxes_: list[list[float]], scores: list[float], classes: list[int]) -> Merged:
    return Merged(
        np.asarray(boxes_, float).reshape(-1, 4), np.asarray(scores, float), np.asarray(classes, int)
    )


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # both views see the boat: one detection, the mean score, the score-weighted box
        (
            ([[10, 10, 30, 20]], [0.8], [0]),
            ([[12, 10, 32, 20]], [0.4], [0]),
            [(0, 0.6, [10 + 2 / 3, 10, 30 + 2 / 3, 20])],
        ),
        # one view only (a false alarm on texture the mirror does not repeat): half its score
        (
            ([[10, 10, 30, 20]], [0.8], [0]),
            ([[200, 10, 220, 20]], [0.5], [0]),
            [(0, 0.4, [10, 10, 30, 20]), (0, 0.25, [200, 10, 220, 20])],
        ),
        # a person on a boat: different classes never fuse
        (
            ([[10, 10, 30, 20]], [0.8], [0]),
            ([[10, 10, 30, 20]], [0.6], [1]),
            [(0, 0.4, [10, 10, 30, 20]), (1, 0.3, [10, 10, 30, 20])],
        ),
        # two boxes of one view over one box of the other: the view's best counts, not their sum
        (
            ([[10, 10, 30, 20], [11, 10, 31, 20]], [0.9, 0.7], [0, 0]),
            ([[10, 10, 30, 20]], [0.5], [0]),
            [(0, 0.7, None)],
        ),
        # nothing anywhere
        (([], [], []), ([], [], []), []),
    ],
)
def test_fuse_views(
    a: tuple[list[list[float]], list[float], list[int]],
    b: tuple[list[list[float]], list[float], list[int]],
    expected: list[tuple[int, float, list[float] | None]],
) -> None:
    f = fuse_views([_view(*a), _view(*b)], 0.55)
    assert len(f.xyxy) == len(expected)
    assert list(f.confidence) == sorted(f.confidence, reverse=True)  # best first
    for (cls, score, box), got_b, got_s, got_c in zip(
        expected, f.xyxy, f.confidence, f.class_id, strict=True
    ):
        assert got_c == cls and got_s == pytest.approx(score)
        if box is not None:
            assert got_b == pytest.approx(box)


def test_a_tiny_boat_a_pixel_off_in_the_mirror_is_still_one_boat() -> None:
    a, b = _view([[100, 50, 110, 56]], [0.6], [0]), _view([[102, 51, 112, 57]], [0.6], [0])  # IoU 0.50
    assert len(fuse_views([a, b], 0.55).xyxy) == 2
    f = fuse_views([a, b], 0.55, min_size_px=16)
    assert len(f.xyxy) == 1 and f.confidence[0] == pytest.approx(0.6)
    assert f.xyxy[0] == pytest.approx([101, 50.5, 111, 56.5])  # the real boxes' mean, not the grown ones
    far = _view([[130, 50, 140, 56]], [0.6], [0])  # 30 px away: still two boats
    assert len(fuse_views([a, far], 0.55, min_size_px=16).xyxy) == 2


def test_fusing_one_view_changes_nothing_and_no_view_is_refused() -> None:
    v = _view([[10, 10, 30, 20], [50, 5, 60, 25]], [0.9, 0.3], [0, 1])
    f = fuse_views([v])
    assert f.xyxy.tolist() == v.xyxy.tolist() and f.confidence.tolist() == [0.9, 0.3]
    with pytest.raises(DetectorError, match="at least one view"):
        fuse_views([])
