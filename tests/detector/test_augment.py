"""Training degradations keep the image's shape and type, leave boxes alone, and are reproducible."""

from __future__ import annotations

import numpy as np

from detector.augment import RealismAugment, degrade, random_convolution


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


def _square() -> np.ndarray:
    img = np.full((64, 64, 3), (40, 90, 60), np.uint8)
    img[22:42, 22:42] = (230, 220, 200)
    return img


def test_a_random_convolution_repaints_but_keeps_the_outline() -> None:
    img = _square()
    inside = np.zeros((64, 64), bool)
    inside[25:39, 25:39] = True
    outside = np.ones((64, 64), bool)
    outside[19:45, 19:45] = False
    changed = 0
    for seed in range(20):
        out = random_convolution(img, np.random.default_rng(seed))
        assert out.shape == img.shape and out.dtype == np.uint8
        assert np.array_equal(out, random_convolution(img, np.random.default_rng(seed)))
        changed += int(np.abs(out.astype(int) - img).max() > 10)
        # the square is still a flat patch that stands out from a flat background
        gap = np.abs(out[inside].astype(float).mean(0) - out[outside].astype(float).mean(0)).max()
        assert gap > 20, f"seed {seed}: the square faded into the background ({gap:.1f})"
        assert out[inside].std(0).max() < 8 and out[outside].std(0).max() < 8
    assert changed >= 15


def test_style_share_decides_whether_pictures_are_repainted() -> None:
    img = _square()
    np.random.seed(0)
    untouched = RealismAugment(p=0.0, style_p=0.0)({"img": img.copy()})["img"]
    assert np.array_equal(untouched, img)
    repainted = [RealismAugment(p=0.0, style_p=1.0)({"img": img.copy()})["img"] for _ in range(5)]
    assert all(not np.array_equal(r, img) for r in repainted)


def test_a_one_by_one_kernel_changes_colours_only() -> None:
    """max_kernel=1 maps every colour to one other colour: a flat patch stays exactly flat and
    two pixels of one colour stay one colour, whatever sits next to them."""
    img = _square()
    for seed in range(10):
        out = random_convolution(img, np.random.default_rng(seed), max_kernel=1)
        assert len(np.unique(out.reshape(-1, 3), axis=0)) <= 2
        assert np.array_equal(out[0, 0], out[63, 63]) and np.array_equal(out[23, 23], out[40, 40])
