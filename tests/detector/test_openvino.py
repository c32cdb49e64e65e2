"""The OpenVINO runtime: the same detections as onnxruntime's float model on a recorded clip's
frames (bfloat16 moves scores by a few thousandths), the int8 model refused with the reason, and
``runtime='auto'`` choosing OpenVINO exactly where the CPU computes bfloat16 natively."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from detector.boxes import pairwise_iou
from detector.errors import ModelLoadError
from detector.model import MODEL_STEM, MODELS_DIR, DetectorConfig, load_detector, openvino_bf16

pytest.importorskip("openvino")

ROOT = Path(__file__).resolve().parents[2]
FP32 = MODELS_DIR / f"{MODEL_STEM}.onnx"
INT8 = MODELS_DIR / f"{MODEL_STEM}-int8.onnx"


def _frames(n: int = 4) -> list[npt.NDArray[np.uint8]]:
    cap = cv2.VideoCapture(str(ROOT / "sample_footage" / "dawn_launch_wissant.mp4"))
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    out = []
    for k in range(n):
        cap.set(cv2.CAP_PROP_POS_FRAMES, int(total * (k + 1) / (n + 1)))
        ok, f = cap.read()
        assert ok, "cannot read the sample clip"
        out.append(np.asarray(f, dtype=np.uint8))
    cap.release()
    return out


def test_openvino_finds_what_onnxruntime_finds(state_dir: Path) -> None:
    cfg = DetectorConfig(conf_boat=0.2, conf_person=0.2)
    ort = load_detector(FP32, state_dir, cfg.model_copy(update={"runtime": "onnxruntime"}))
    ov = load_detector(FP32, state_dir, cfg.model_copy(update={"runtime": "openvino"}))
    assert ov.describe().startswith("openvino") and ort.describe().startswith("onnxruntime")
    found = 0
    for img in _frames():
        a, b = ort.detect_image(img), ov.detect_image(img)
        conf_a = np.asarray(a.confidence)
        sure = conf_a >= 0.3  # away from the threshold, where a few thousandths cannot flip them
        found += int(sure.sum())
        if not sure.any():
            continue
        assert len(b.xyxy), "OpenVINO found nothing where onnxruntime found objects"
        iou = pairwise_iou(a.xyxy[sure], b.xyxy)
        best = iou.argmax(axis=1)
        assert (iou.max(axis=1) > 0.9).all()
        assert (np.asarray(b.class_id)[best] == np.asarray(a.class_id)[sure]).all()
        assert np.abs(np.asarray(b.confidence)[best] - conf_a[sure]).max() < 0.03
    assert found > 0, "the clip's frames gave nothing to compare"


def test_openvino_refuses_the_int8_model_with_the_reason(state_dir: Path) -> None:
    with pytest.raises(ModelLoadError, match="float ONNX"):
        load_detector(INT8, state_dir, DetectorConfig(runtime="openvino"))


def test_auto_picks_openvino_only_where_the_cpu_has_bfloat16(state_dir: Path) -> None:
    default = load_detector(None, state_dir, DetectorConfig())
    assert default.describe().startswith("openvino") is openvino_bf16()
    if openvino_bf16():
        assert Path(default.source).name == FP32.name
    # an int8 model named explicitly runs on onnxruntime, where int8 is fast
    assert load_detector(INT8, state_dir, DetectorConfig()).describe().startswith("onnxruntime")


def test_a_recurring_input_shape_gets_its_own_model_with_the_same_answers() -> None:
    from detector.model import OV_STATIC_AFTER, OpenVinoBackend

    be = OpenVinoBackend(FP32)
    x = np.random.default_rng(1).random((1, 3, 96, 160), dtype=np.float32)
    outs = [be.run(x) for _ in range(OV_STATIC_AFTER + 1)]
    assert len(be._static) == 1  # compiled for (1, 3, 96, 160) on its third sighting
    scores = [o[:, 4:] for o in outs]
    assert np.abs(scores[-1] - scores[0]).max() < 0.02  # static and dynamic: the same bf16 answers
    assert be.run(np.concatenate([x, x])).shape[0] == 2  # other shapes still run, dynamically
    assert len(be._static) == 1
