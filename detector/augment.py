"""Training-time image degradations that real cameras add and a clean renderer does not:
defocus/motion blur, sensor noise, JPEG compression, haze, gamma and white-balance shifts.

``RealismAugment`` is an ultralytics-style transform (``labels -> labels``, the image under
``"img"``, BGR uint8); boxes are untouched (none of these moves a pixel far). Pure OpenCV/numpy,
seeded per call from numpy's global generator like ultralytics' own transforms."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np


class RealismAugment:
    def __init__(self, p: float = 0.8) -> None:
        self.p = p

    def __call__(self, labels: dict[str, Any]) -> dict[str, Any]:
        img = labels.get("img")
        if img is None or np.random.random() > self.p:
            return labels
        labels["img"] = degrade(img, np.random.default_rng(np.random.randint(0, 2**31 - 1)))
        return labels


def grade(img: np.ndarray, gains: np.ndarray, gamma: float) -> np.ndarray:
    """Per-channel gains (BGR, 1 = unchanged) then a gamma curve, on a uint8 image."""
    f = img.astype(np.float32) / 255.0
    return (np.power(np.clip(f * gains, 0, 1), gamma) * 255).astype(np.uint8)


def degrade(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = img
    if rng.random() < 0.35:  # haze: blend towards a bright grey-blue
        a = rng.uniform(0.05, 0.35)
        veil = np.array([rng.uniform(170, 235), rng.uniform(170, 225), rng.uniform(160, 215)], np.float32)
        out = (out.astype(np.float32) * (1 - a) + veil * a).clip(0, 255).astype(np.uint8)
    if rng.random() < 0.4:  # white balance and gamma
        gains = rng.uniform(0.85, 1.15, 3).astype(np.float32)
        out = grade(out, gains, rng.uniform(0.7, 1.4))
    r = rng.random()
    if r < 0.3:  # defocus
        s = rng.uniform(0.4, 1.3)
        out = cv2.GaussianBlur(out, (0, 0), s)
    elif r < 0.45:  # motion blur
        k = int(rng.integers(3, 7))
        kern = np.zeros((k, k), np.float32)
        kern[k // 2, :] = 1.0 / k
        m = cv2.getRotationMatrix2D(((k - 1) / 2, (k - 1) / 2), float(rng.uniform(0, 180)), 1.0)
        kern = np.asarray(cv2.warpAffine(kern, m, (k, k)), dtype=np.float32)
        kern /= max(float(kern.sum()), 1e-6)
        out = cv2.filter2D(out, -1, kern)
    if rng.random() < 0.4:  # sensor noise
        sigma = rng.uniform(2, 9)
        out = (
            (out.astype(np.float32) + rng.normal(0, sigma, out.shape).astype(np.float32))
            .clip(0, 255)
            .astype(np.uint8)
        )
    if rng.random() < 0.5:  # JPEG
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 90))])
        decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
        if decoded is not None:
            out = np.asarray(decoded, dtype=np.uint8)
    return np.ascontiguousarray(out)
