"""AP maths: perfect, empty and partial predictions, size buckets, and reading YOLO folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detector.dataset import read_labels, samples
from detector.errors import DatasetError, DetectorError
from detector.metrics import ImageResult, average_precision, evaluate, recall_by_size

NAMES = ("boat", "person")


def img(
    gt: list[tuple[float, float, float, float, int]],
    pred: list[tuple[float, float, float, float, float, int]],
) -> ImageResult:
    g = np.array([x[:4] for x in gt], float).reshape(-1, 4)
    p = np.array([x[:4] for x in pred], float).reshape(-1, 4)
    return ImageResult.make(g, [x[4] for x in gt], p, [x[4] for x in pred], [x[5] for x in pred])


def test_perfect_predictions_score_one() -> None:
    gt = [(10, 10, 50, 30, 0), (100, 100, 106, 112, 1)]
    m = evaluate([img(gt, [(*g[:4], 0.9, g[4]) for g in gt])], NAMES)
    assert [c.ap50 for c in m] == [pytest.approx(1.0), pytest.approx(1.0)]
    assert m[0].ap50_95 == pytest.approx(1.0)
    assert m[0].precision == 1.0 and m[0].recall == 1.0


def test_no_predictions_score_zero_and_missing_classes_are_nan() -> None:
    m = evaluate([img([(10, 10, 50, 30, 0)], [])], NAMES)
    assert m[0].ap50 == 0.0
    assert np.isnan(m[1].ap50)


def test_half_found_with_a_confident_false_positive() -> None:
    gt = [(0, 0, 40, 40, 0), (100, 0, 140, 40, 0)]
    pred = [(300, 300, 340, 340, 0.95, 0), (0, 0, 40, 40, 0.9, 0)]
    m = evaluate([img(gt, pred)], NAMES)[0]
    # PR points: (r=0, p=0), (r=0.5, p=0.5); envelope 0.5 up to recall 0.5 -> 51/101 * 0.5
    assert m.ap50 == pytest.approx(0.5 * 51 / 101)
    assert m.recall == 0.5


def test_a_loose_box_counts_at_iou_50_but_not_at_higher_thresholds() -> None:
    gt = [(0, 0, 100, 100, 0)]
    m = evaluate([img(gt, [(0, 0, 100, 60, 0.9, 0)])], NAMES)[0]  # IoU 0.6
    assert m.ap50 == pytest.approx(1.0)
    assert m.ap50_95 == pytest.approx(0.3)  # found at 0.50, 0.55, 0.60 of ten thresholds


def test_size_buckets_ignore_other_sizes() -> None:
    gt = [(0, 0, 8, 8, 0), (100, 100, 124, 124, 0), (200, 200, 300, 300, 0)]
    pred = [(0, 0, 8, 8, 0.9, 0), (500, 500, 510, 510, 0.8, 0)]  # the tiny one found + a tiny false positive
    m = evaluate([img(gt, pred)], NAMES)[0]
    assert m.n_gt_by_size == {"<16px": 1, "16-32px": 1, ">32px": 1}
    assert m.ap50_by_size["<16px"] == pytest.approx(1.0)  # FP after the TP: precision stays 1 up to recall 1
    assert m.ap50_by_size["16-32px"] == 0.0
    assert m.ap50_by_size[">32px"] == 0.0


def test_recall_by_size_counts_found_objects_per_bin_at_the_threshold() -> None:
    # boats of 8 px (two), 20 px (one) and 40 px (one); a person of 10 px
    gt = [
        (0, 0, 8, 8, 0),
        (50, 0, 58, 8, 0),
        (100, 0, 120, 20, 0),
        (200, 0, 240, 40, 0),
        (300, 0, 305, 20, 1),
    ]
    pred = [
        (0, 0, 8, 8, 0.9, 0),  # finds the first small boat
        (50, 0, 58, 8, 0.1, 0),  # below the threshold
        (100, 0, 120, 20, 0.8, 1),  # right place, wrong class
        (200, 0, 240, 40, 0.7, 0),
        (201, 0, 240, 40, 0.6, 0),  # a duplicate finds nothing more
        (300, 0, 305, 20, 0.5, 1),
    ]
    r = recall_by_size([img(gt, pred)], 0, 0.25, (4, 16, 32, 64))
    assert r.n_gt == (2, 1, 1) and r.found == (1, 0, 1)
    assert r.recall == (0.5, 0.0, 1.0)
    assert r.centres_px[0] == pytest.approx(8.0)
    assert recall_by_size([img(gt, pred)], 1, 0.25, (4, 16)).found == (1,)
    assert recall_by_size([img(gt, pred)], 0, 0.05, (4, 16)).found == (2,)
    empty = recall_by_size([img(gt, [])], 0, 0.25, (100, 200))
    assert empty.n_gt == (0,) and np.isnan(empty.recall[0])
    with pytest.raises(DetectorError, match="ascending"):
        recall_by_size([], 0, 0.25, (16, 4))


def test_average_precision_of_an_empty_curve() -> None:
    assert average_precision([], []) == 0.0


def test_reads_a_yolo_folder(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    import cv2

    cv2.imwrite(str(tmp_path / "images" / "a.jpg"), np.zeros((100, 200, 3), np.uint8))
    cv2.imwrite(str(tmp_path / "images" / "b.png"), np.zeros((100, 200, 3), np.uint8))
    (tmp_path / "labels" / "a.txt").write_text("0 0.5 0.5 0.1 0.2\n1 0.25 0.25 0.05 0.1\n")
    s = samples(tmp_path)
    assert [x.image.name for x in s] == ["a.jpg", "b.png"]
    xyxy, cls = read_labels(s[0].label, 200, 100)
    assert xyxy[0] == pytest.approx([90, 40, 110, 60]) and list(cls) == [0, 1]
    assert read_labels(s[1].label, 200, 100)[0].shape == (0, 4)  # no label file: no objects


@pytest.mark.parametrize(
    ("content", "message"), [("0 0.5 0.5\n", "5 values"), ("boat 0.5 0.5 0.1 0.1\n", "numbers")]
)
def test_malformed_label_lines_name_the_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    f = tmp_path / "x.txt"
    f.write_text(content)
    with pytest.raises(DatasetError, match=message) as exc:
        read_labels(f, 100, 100)
    assert "x.txt:1" in str(exc.value)


def test_missing_dataset_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not found"):
        samples(tmp_path / "nope")


def test_data_yaml_split_is_resolved_relative_to_the_yaml(tmp_path: Path) -> None:
    import cv2

    (tmp_path / "val" / "images").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "val" / "images" / "v.jpg"), np.zeros((10, 10, 3), np.uint8))
    (tmp_path / "data.yaml").write_text(
        "path: .\ntrain: train/images\nval: val/images\nnames: {0: boat, 1: person}\n"
    )
    s = samples(tmp_path / "data.yaml", "val")
    assert [x.image.name for x in s] == ["v.jpg"]
    assert s[0].label == tmp_path / "val" / "labels" / "v.txt"
