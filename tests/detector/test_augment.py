"""Training degradations keep the image's shape and type, leave boxes alone, and are reproducible."""

from __future__ import annotations

import numpy as np

from detector.augment import RealismAugment, degrade


def test_degrade_keeps_shape_and_dtype_and_is_seeded() -> None:
    img = (np.random.default_rng(0).random((64, 96, 3)) * 255).astype(np.uint8)
    a = degrade(img, np.random.default_rng(5))
    b = degrade(img, np.random.default_rng(5))
    assert a.shape == img.shape and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert any(not np.array_equal(degrade(img, np.random.default_rng(s)), img) for s in range(5))


def test_the_transform_touches_only_the_image() -> None:
    boxes = np.array([[0.5, 0.5, 0.1, 0.1]])
    labels = {"img": np.zeros((32, 32, 3), np.uint8), "bboxes": boxes.copy(), "cls": np.array([0])}
    out = RealismAugment(p=1.0)(labels)
    assert np.array_equal(out["bboxes"], boxes) and list(out["cls"]) == [0]
    assert out["img"].shape == (32, 32, 3)
