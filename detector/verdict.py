"""The int8 model's shipping verdict: ``models/shorewatch-boats-int8.json`` next to the int8 ONNX.

``detector.export.validate_int8`` measures an int8 export against its float reference on held-out
images and records the numbers and a pass/fail decision here. ``detector.model.default_model_path``
prefers the int8 file only when its verdict passed *and* both files are the very ones that were
measured (SHA-256 of the int8 file and of the float reference): a broken, replaced or stale int8
file, or one without a verdict, is never the default.

This module is small on purpose (no onnxruntime, no ultralytics): it runs on every start-up.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

logger = logging.getLogger(__name__)


class Int8Criteria(BaseModel):
    """What an int8 model must meet against its float reference to become the default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_ap50_drop: float = Field(
        0.01, ge=0, le=1, description="largest per-class AP50 loss against the float model"
    )
    min_recall: float = Field(
        0.9,
        ge=0,
        le=1,
        description="share of the float model's detections (conf >= agree_conf) the int8 model also finds",
    )
    min_precision: float = Field(
        0.9,
        ge=0,
        le=1,
        description="share of the int8 model's detections (conf >= agree_conf) the float model also finds",
    )
    max_score_diff_p95: float = Field(
        0.05, ge=0, le=1, description="95th percentile of |score difference| over matched detections"
    )
    max_confident_shift: float = Field(
        0.05,
        ge=0,
        le=1,
        description="largest median score change of the float model's confident (>= 0.5) detections "
        "(a clipped int8 class-logit range caps scores at 0.5: the first int8 model did)",
    )
    agree_conf: float = Field(
        0.1, gt=0, lt=1, description="confidence from which detections must agree (either model)"
    )
    match_iou: float = Field(0.5, gt=0, le=1, description="IoU at which two detections are the same box")
    min_reference_detections: int = Field(
        10, ge=1, description="fewer float detections than this over the set: too little to judge"
    )


REDUCED_RANGE = 64  # largest |int8 weight| of a model quantised with reduce_range (7 bits)


class CalibrationTrial(BaseModel):
    """One int8 calibration tried when shipping, as its verdict measured it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: str = Field(description="the calibration method")
    passed: bool = Field(description="whether its verdict passed")
    ap50_int8: dict[str, float] = Field(description="its int8 model's AP50 per class")
    score_diff_p95: float = Field(description="its 95th percentile |score difference|")


class Int8Verdict(BaseModel):
    """Measured agreement of an int8 model with its float reference, and the decision."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(description="the int8 file's name")
    model_sha256: str = Field(description="SHA-256 of the int8 file that was measured")
    reference: str = Field(description="the float reference's file name")
    reference_sha256: str = Field(description="SHA-256 of the float reference that was measured")
    data: str = Field(description="the held-out images: dataset folder and split")
    images: int = Field(ge=0, description="images measured")
    ap50_reference: dict[str, float] = Field(description="float model's AP50 per class on those images")
    ap50_int8: dict[str, float] = Field(description="int8 model's AP50 per class on those images")
    reference_detections: int = Field(ge=0, description="float detections with conf >= agree_conf")
    int8_detections: int = Field(ge=0, description="int8 detections with conf >= agree_conf")
    recall_vs_reference: float = Field(description="share of float detections the int8 model matched")
    precision_vs_reference: float = Field(description="share of int8 detections the float model matched")
    score_diff_median: float = Field(description="median |score difference| over matched detections")
    score_diff_p95: float = Field(description="95th percentile |score difference|")
    score_diff_max: float = Field(description="largest |score difference|")
    confident_matches: int = Field(0, ge=0, description="matched detections the float model scored >= 0.5")
    confident_score_shift: float = Field(
        0.0, description="median int8 - float score over those (negative: int8 scores lower)"
    )
    int8_weight_range: int = Field(
        127,
        ge=0,
        le=128,
        description="largest |int8 weight| of the measured file (<= 64: quantised with reduce_range; "
        "verdicts from before it was recorded count as full range, 127)",
    )
    criteria: Int8Criteria = Field(description="the thresholds this verdict was decided with")
    calibration: str = Field("minmax", description="how the int8 activation ranges were calibrated")
    calibrations_tried: list[CalibrationTrial] = Field(
        default_factory=list, description="every calibration measured when shipping, this one among them"
    )
    passed: bool = Field(description="true: the int8 model may be the default")
    reasons: list[str] = Field(default_factory=list, description="why it failed (empty when passed)")
    created_utc: str = Field(description="when it was measured (ISO 8601)")


def verdict_path(int8_model: Path) -> Path:
    """``shorewatch-boats-int8.onnx`` -> ``shorewatch-boats-int8.json``."""
    return int8_model.with_suffix(".json")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_verdict(verdict: Int8Verdict, int8_model: Path) -> Path:
    out = verdict_path(int8_model)
    out.write_text(verdict.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return out


def read_verdict(int8_model: Path) -> Int8Verdict | None:
    """The verdict stored next to ``int8_model``, or None when missing or unreadable."""
    p = verdict_path(int8_model)
    try:
        return Int8Verdict.model_validate_json(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, ValidationError) as exc:
        logger.warning("unreadable int8 verdict %s: %s", p, exc)
        return None


def int8_trusted(int8_model: Path, reference: Path) -> tuple[bool, str]:
    """Whether ``int8_model`` passed its validation against ``reference`` as they are now on
    disk; the second item says why not."""
    if not int8_model.is_file():
        return False, f"{int8_model.name} not found"
    if not reference.is_file():
        return False, f"its float reference {reference.name} not found"
    v = read_verdict(int8_model)
    if v is None:
        return False, f"no readable verdict {verdict_path(int8_model).name} (never validated)"
    if not v.passed:
        return False, "validation failed: " + "; ".join(v.reasons)
    if v.int8_weight_range > REDUCED_RANGE:
        return False, (
            f"its int8 weights reach +-{v.int8_weight_range}: onnxruntime saturates them on CPUs without "
            "VNNI; re-quantise with reduce_range (shorewatch train --ship-only CKPT --data DIR --int8)"
        )
    if v.model_sha256 != sha256_file(int8_model):
        return False, f"{int8_model.name} is not the file that was validated (SHA-256 differs)"
    if v.reference_sha256 != sha256_file(reference):
        return False, f"it was validated against another {reference.name} (SHA-256 differs)"
    return True, "validated"
