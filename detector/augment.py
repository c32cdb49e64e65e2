"""Training-time image degradations that real cameras add and a clean renderer does not:
defocus/motion blur, sensor noise, JPEG compression, haze, gamma and white-balance shifts; and,
when asked (``style_p``), random convolutions (``random_convolution``) that repaint colours and
local texture while keeping shapes, so the model cannot lean on the renderer's look.

``RealismAugment`` is an ultralytics-style transform (``labels -> labels``, the image under
``"img"``, BGR uint8); boxes are untouched (none of these moves a pixel far). Pure OpenCV/numpy,
seeded per call from numpy's global generator like ultralytics' own transforms."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np


class RealismAugment:
    def __init__(self, p: float = 0.8, style_p: float = 0.0, style_kernel: int = 3) -> None:
        self.p = p
        self.style_p = style_p
        self.style_kernel = style_kernel

    def __call__(self, labels: dict[str, Any]) -> dict[str, Any]:
        img = labels.get("img")
        if img is None:
            return labels
        style = self.style_p > 0 and np.random.random() < self.style_p
        if not style and np.random.random() > self.p:
            return labels
        rng = np.random.default_rng(np.random.randint(0, 2**31 - 1))
        if style:
            img = random_convolution(img, rng, self.style_kernel)
        labels["img"] = degrade(img, rng)
        return labels


def random_convolution(img: np.ndarray, rng: np.random.Generator, max_kernel: int = 3) -> np.ndarray:
    """RandConv (Xu et al., ICLR 2021, "Robust and generalizable visual representation learning
    via random convolutions"): a random 1x1 or 3x3 convolution mixing the three channels
    (Kaiming-normal weights), rescaled to the picture's own per-channel mean and spread, then
    blended with the picture by a random weight. Colours and fine texture change; outlines,
    and so boxes, stay. ``max_kernel=1`` keeps to 1x1: a random colour mixing that leaves
    texture alone. Kernels stay at 3x3 at most: larger ones smear 5-15 px people away.
    Measured (model card items 29-30): on half the pictures, with either kernel, it lowered
    real-dev person AP50 (0.12-0.13 -> 0.10-0.11) and left boats within noise: off by default."""
    if max_kernel not in (1, 3):
        raise ValueError(f"max_kernel must be 1 or 3, not {max_kernel!r}")
    k = int(rng.choice((1, 3))) if max_kernel == 3 else 1
    x = img.astype(np.float32) / 255.0
    mean = x.reshape(-1, 3).mean(0)
    std = x.reshape(-1, 3).std(0) + 1e-3
    xc = x - mean
    w = rng.normal(0.0, 1.0 / np.sqrt(3 * k * k), (3, 3, k, k)).astype(np.float32)
    if k == 1:
        out = np.asarray(cv2.transform(xc, w[:, :, 0, 0]), dtype=np.float32)
    else:
        out = np.zeros_like(x)
        for o in range(3):
            for i in range(3):
                out[..., o] += cv2.filter2D(xc[..., i], -1, w[o, i], borderType=cv2.BORDER_REFLECT)
    out = (out - out.reshape(-1, 3).mean(0)) / (out.reshape(-1, 3).std(0) + 1e-6) * std + mean
    a = float(rng.uniform(0.0, 1.0))
    mixed = a * x + (1 - a) * out
    return np.ascontiguousarray((mixed.clip(0, 1) * 255).astype(np.uint8))


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
