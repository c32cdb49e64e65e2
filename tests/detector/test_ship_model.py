"""The ship pass's own model (``models/shorewatch-ships.onnx``): loaded by default with the shipped
model, left out when asked, and finding whole the big ships the main model finds in pieces."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from detector.boxes import pairwise_iou
from detector.errors import ModelLoadError
from detector.model import MODEL_STEM, MODELS_DIR, DetectorConfig, default_ship_model_path, load_detector
from flight.sim.clutter import scene, scene_mix

CFG = DetectorConfig(runtime="onnxruntime", conf_boat=0.2)


def test_the_shipped_model_comes_with_its_ship_model(state_dir: Path) -> None:
    assert default_ship_model_path() == MODELS_DIR / "shorewatch-ships.onnx"
    det = load_detector(None, state_dir, CFG)
    assert det.ship_backend is not None and det.ships and "ship pass at 480px" in det.describe()
    # weights named by hand are measured on their own; ship_pass=False loads no ship model
    assert load_detector(MODELS_DIR / f"{MODEL_STEM}.onnx", state_dir, CFG).ship_backend is None
    assert load_detector(None, state_dir, CFG.model_copy(update={"ship_pass": False})).ship_backend is None


def test_a_missing_ship_model_is_refused_with_the_path(state_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"nope\.onnx.*not found"):
        load_detector(None, state_dir, CFG, ship_path=tmp_path / "nope.onnx")


def _lock_frame(i: int) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float64]] | None:
    """A rendered lock tile (a seed no model trained on) blown up to a 1920x1080 webcam frame,
    and its widest ship's box, if it is 0.5-0.98 of the tile wide (spanning half the frame)."""
    img, labels = scene(np.random.default_rng([999, i]), scene_mix("lock"))
    ships = [lab for lab in labels if lab[0] == 0 and 0.5 < lab[3] < 0.98]
    if not ships:
        return None
    frame = cv2.copyMakeBorder(
        cv2.resize(img, (1080, 1080), interpolation=cv2.INTER_CUBIC), 0, 0, 420, 420, cv2.BORDER_REPLICATE
    )
    _c, cx, cy, w, h = ships[0]
    box = np.array(
        [[420 + (cx - w / 2) * 1080, (cy - h / 2) * 1080, 420 + (cx + w / 2) * 1080, (cy + h / 2) * 1080]]
    )
    return np.asarray(frame, np.uint8), box


def test_the_ship_pass_finds_big_ships_whole(state_dir: Path) -> None:
    with_ships = load_detector(None, state_dir, CFG)
    without = with_ships.with_config(CFG.model_copy(update={"ship_pass": False}))
    whole = {"with": 0, "without": 0}
    n = 0
    for i in range(12):
        case = _lock_frame(i)
        if case is None:
            continue
        n += 1
        frame, box = case
        for key, det in (("with", with_ships), ("without", without)):
            d = det.detect_image(frame)
            boats = d.xyxy[d.class_id == 0]
            whole[key] += int(len(boats) > 0 and pairwise_iou(box, boats).max() >= 0.5)
    assert n >= 5
    assert whole["with"] >= n - 2 and whole["with"] >= whole["without"] + 2, whole
