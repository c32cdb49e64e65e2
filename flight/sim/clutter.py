"""Cluttered 2-D training tiles: towns, harbours and busy beaches seen from an elevated camera.

Why: a detector trained only on the 3-D simulator's open coast has never seen a town. On real
shore cameras (``../shared/data/real-dev``) it then calls every roof, window, car, fence post and
tree a boat or a person: precision collapses long before recall matters. These tiles are the
counter-examples: dense, varied man-made and natural clutter (houses with roofs and windows,
trees, hedges, cars, roads, fences and railings, poles and lamp posts, flags, quay walls, beach
chairs and umbrellas, clouds), with the things that *are* labelled — boats on the water (hulls,
cabins, masts, sails, wakes; moored in rows or under way) and people (standing, walking, in
groups, sitting) — drawn at the sizes elevated cameras see them (people 5-40 px tall, boats
8-120 px long). *Port* scenes add what webcams over locks and container ports see: ships
(container ships, tankers, ferries, coasters) 80-500 px long, broadside or bow on, each one
labelled boat, between quay walls with containers, cranes, railings and flags that are not.

Each tile is drawn at twice its size with anti-aliased primitives and shrunk (``INTER_AREA``), so
small things have soft, sub-pixel edges like a real lens; then ``detector.augment.degrade`` adds
blur, noise, colour casts and JPEG. Scenes are horizontal bands as in an oblique view (sky, far
shore, water, quay, beach, town), with sizes shrinking towards the top.

Output has the layout of ``flight.sim.synth.write_dataset`` (YOLO: ``0 boat``, ``1 person``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from flight.sim.synth import SynthError, YoloDatasetWriter

TILE = 320
S = 2  # supersampling factor
Colour = tuple[int, int, int]

WALLS: list[Colour] = [
    (235, 238, 240),
    (215, 225, 232),
    (200, 210, 220),
    (60, 70, 150),
    (80, 90, 170),
    (150, 170, 190),
    (120, 140, 160),
    (185, 200, 215),
    (90, 110, 140),
    (40, 50, 110),
    (170, 175, 180),
    (225, 215, 200),
]
ROOFS: list[Colour] = [
    (60, 60, 65),
    (45, 45, 50),
    (40, 50, 120),
    (50, 70, 150),
    (70, 75, 80),
    (90, 95, 100),
    (30, 35, 40),
    (60, 90, 130),
    (110, 115, 120),
    (55, 55, 90),
]
GRASS: list[Colour] = [(60, 120, 90), (50, 100, 80), (80, 140, 120), (70, 130, 130), (90, 150, 140)]
TREES: list[Colour] = [(40, 80, 50), (35, 70, 45), (50, 95, 70), (30, 60, 40), (60, 110, 90)]
PAVING: list[Colour] = [(110, 110, 112), (130, 128, 125), (95, 95, 98), (150, 150, 150), (120, 125, 135)]
SAND: list[Colour] = [(160, 190, 205), (175, 200, 215), (140, 170, 190), (185, 205, 215), (150, 165, 175)]
WATER: list[Colour] = [
    (120, 115, 100),
    (140, 130, 110),
    (110, 100, 80),
    (150, 145, 135),
    (100, 95, 85),
    (130, 110, 70),
    (90, 100, 90),
    (165, 160, 150),
    (80, 70, 55),
]
CLOTHES: list[Colour] = [
    (30, 30, 30),
    (50, 50, 140),
    (140, 60, 30),
    (200, 200, 200),
    (40, 40, 200),
    (60, 120, 60),
    (20, 20, 60),
    (120, 120, 120),
    (30, 150, 220),
    (90, 40, 90),
    (230, 230, 230),
    (0, 90, 200),
]
VESTS: list[Colour] = [(0, 110, 255), (0, 80, 240), (20, 140, 255), (25, 25, 25), (40, 40, 40), (0, 60, 200)]
SKIN: list[Colour] = [(150, 170, 210), (120, 150, 200), (80, 110, 160), (60, 80, 120), (170, 190, 225)]
HULLS: list[Colour] = [
    (235, 235, 235),
    (225, 230, 235),
    (245, 245, 245),
    (40, 40, 40),
    (50, 50, 160),
    (150, 60, 30),
    (120, 120, 120),
    (30, 30, 120),
    (70, 60, 55),
    (200, 200, 200),
    (40, 90, 200),
    (90, 90, 90),
]


@dataclass(slots=True)
class Canvas:
    """A supersampled drawing surface plus the labelled boxes drawn on it (tile pixels)."""

    img: np.ndarray
    rng: np.random.Generator
    labels: list[tuple[int, float, float, float, float]] = field(default_factory=list)
    snaps: list[tuple[int, int, int, int, np.ndarray | None]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return int(self.img.shape[0])

    def label(
        self,
        cls: int,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        *,
        occludable: bool = True,
        min_inside: float = 0.5,
    ) -> None:
        """Record a box given in canvas pixels (clipped; tiny boxes, and boxes with less than
        ``min_inside`` of their area inside the tile, dropped). ``occludable=False`` keeps the
        label whatever is drawn over it later (a boat crowded with people is still a boat)."""
        n = self.size
        a0, b0, a1, b1 = max(x0, 0), max(y0, 0), min(x1, n), min(y1, n)
        if (a1 - a0) < 2 * S or (b1 - b0) < 2 * S:
            return
        if (a1 - a0) * (b1 - b0) < min_inside * (x1 - x0) * (y1 - y0):
            return
        self.labels.append((cls, (a0 + a1) / 2 / n, (b0 + b1) / 2 / n, (a1 - a0) / n, (b1 - b0) / n))
        i0, j0, i1, j1 = int(a0), int(b0), math.ceil(a1), math.ceil(b1)
        self.snaps.append((i0, j0, i1, j1, self.img[j0:j1, i0:i1].copy() if occludable else None))

    def visible_labels(self, max_changed: float = 0.3) -> list[tuple[int, float, float, float, float]]:
        """The labels whose boxes were not painted over by something drawn later."""
        out = []
        for lab, (i0, j0, i1, j1, patch) in zip(self.labels, self.snaps, strict=True):
            if patch is None:
                out.append(lab)
                continue
            now = self.img[j0:j1, i0:i1]
            changed = np.abs(now.astype(np.int16) - patch.astype(np.int16)).max(axis=2) > 12
            if changed.mean() <= max_changed:
                out.append(lab)
        return out


def _c(rng: np.random.Generator, pal: list[Colour], jitter: float = 12) -> Colour:
    """A palette colour with its brightness jittered (and only a slight hue shift: no purple sea)."""
    base = np.array(pal[int(rng.integers(len(pal)))], float)
    c = base * rng.uniform(1 - jitter / 100, 1 + jitter / 100) + rng.normal(0, jitter / 4, 3)
    return tuple(int(v) for v in np.clip(c, 0, 255))  # type: ignore[return-value]


def _shade(c: Colour, f: float) -> Colour:
    return tuple(int(np.clip(v * f, 0, 255)) for v in c)  # type: ignore[return-value]


def _muted(c: Colour, sat: float, f: float) -> Colour:
    """``c`` with its saturation scaled by ``sat`` and its brightness by ``f`` (worn, dull clothes)."""
    g = sum(c) / 3
    b, gr, r = (int(np.clip((g + (v - g) * sat) * f, 0, 255)) for v in c)
    return (b, gr, r)


def _pixel(img: np.ndarray, y: float, x: float) -> Colour:
    """The BGR colour of the pixel at (x, y), clamped into the image, as plain ints."""
    h, w = img.shape[:2]
    b, g, r = (int(v) for v in img[int(np.clip(y, 0, h - 1)), int(np.clip(x, 0, w - 1))])
    return (b, g, r)


def _ground_shadow(cv: Canvas, x: float, y: float, cx: float, rx: float, ry: float, f: float) -> None:
    """The shadow of something standing at (x, y): an ellipse centred on (cx, y) with half-axes
    rx and ry (at least 1 px tall), in the ground's colour at (x, y) darkened by ``f``."""
    cv2.ellipse(
        cv.img,
        (int(cx), int(y)),
        (int(rx), int(max(ry, 1))),
        0,
        0,
        360,
        _shade(_pixel(cv.img, y, x), f),
        -1,
        cv2.LINE_AA,
    )


def _pts(p: list[tuple[float, float]]) -> np.ndarray:
    return np.array([[round(x), round(y)] for x, y in p], np.int32)


def _poly(cv: Canvas, p: list[tuple[float, float]], col: Colour) -> None:
    cv2.fillPoly(cv.img, [_pts(p)], col, cv2.LINE_AA)


def _texture(cv: Canvas, y0: int, y1: int, col: Colour, amp: float, scale: int) -> None:
    """Fill rows y0..y1 with a colour modulated by smooth noise (grass, water, sand, paving)."""
    n = cv.size
    h = max(y1 - y0, 1)
    small = cv.rng.normal(0, 1, (max(h // scale, 2), max(n // scale, 2))).astype(np.float32)
    noise = cv2.resize(small, (n, h), interpolation=cv2.INTER_CUBIC)
    band = np.array(col, np.float32)[None, None, :] * (1 + amp * noise[:, :, None])
    cv.img[y0:y1] = np.clip(band, 0, 255).astype(np.uint8)


def _persp(y: float, horizon: float, n: int) -> float:
    """Size factor at row y: 0 at the horizon, 1 at the bottom edge."""
    return float(np.clip((y - horizon) / max(n - horizon, 1), 0.08, 1.0))


# --- clutter ---------------------------------------------------------------------------------


def gable_house(cv: Canvas, x: float, y: float, w: float) -> None:
    """A house seen gable end on: a pale wall pentagon under two dark roof slopes, a few
    windows (a white triangle on a dark base reads as a sail to an untrained model)."""
    rng = cv.rng
    h = w * rng.uniform(0.5, 0.9)
    wall = _c(rng, [*WALLS[:3], (225, 215, 200), (200, 210, 220)], 8)
    roof = _c(rng, ROOFS, 10)
    x0, x1, top = x - w / 2, x + w / 2, y - h
    peak = top - w * rng.uniform(0.45, 0.8)
    ov = w * 0.1
    _poly(
        cv,
        [
            (x0 - ov, top + ov * 0.3),
            (x, peak - ov),
            (x1 + ov, top + ov * 0.3),
            (x1, top),
            (x, peak),
            (x0, top),
        ],
        roof,
    )
    _poly(cv, [(x0, y), (x1, y), (x1, top), (x, peak), (x0, top)], wall)
    if rng.random() < 0.5:  # the long side in shade, with its roof
        d = w * rng.uniform(0.4, 1.2) * rng.choice([-1, 1])
        xs = x1 if d > 0 else x0
        _poly(cv, [(xs, y), (xs + d, y - h * 0.05), (xs + d, top - h * 0.05), (xs, top)], _shade(wall, 0.65))
        _poly(
            cv, [(x, peak), (x + d, peak - h * 0.05), (xs + d, top - h * 0.05), (xs, top)], _shade(roof, 0.9)
        )
    win = _c(rng, [(60, 60, 60), (90, 80, 70), (40, 40, 50)])
    for r in range(int(rng.integers(1, 3))):
        for k in range(int(rng.integers(1, 4))):
            cx = x0 + (k + 0.5) * w / 3 + rng.normal(0, w * 0.03)
            cy = top + (r + 0.4) * h / 2.2
            ww, wh = w * 0.1, h * 0.18
            _poly(cv, [(cx - ww, cy - wh), (cx + ww, cy - wh), (cx + ww, cy + wh), (cx - ww, cy + wh)], win)
    if rng.random() < 0.6:  # a small window in the gable
        cv2.rectangle(
            cv.img,
            (int(x - w * 0.06), int((top + peak) / 2)),
            (int(x + w * 0.06), int((top + peak) / 2 + w * 0.1)),
            win,
            -1,
        )


def car_park(cv: Canvas, x0: float, x1: float, y: float, L: float) -> None:
    """A row of parked cars, nose to tail or side by side."""
    rng = cv.rng
    xx = x0
    while xx < x1:
        if rng.random() < 0.85:
            car(cv, xx, y + rng.normal(0, L * 0.05), L * rng.uniform(0.9, 1.1))
        xx += L * rng.uniform(0.55, 1.2)


def glitter(cv: Canvas, y0: int, y1: int) -> None:
    """Sun glitter: a field of tiny bright specks on the water."""
    rng = cv.rng
    n = cv.size
    cx = rng.uniform(0, n)
    k = int(rng.integers(50, 600))
    xs = np.clip(rng.normal(cx, rng.uniform(0.1, 0.4) * n, k), 0, n - 1)
    ys = rng.uniform(y0, y1, k)
    for x, y in zip(xs, ys, strict=True):
        b = int(rng.uniform(200, 255))
        cv2.ellipse(
            cv.img,
            (int(x), int(y)),
            (max(1, int(rng.uniform(0.5, 3) * S)), max(1, int(S * 0.6))),
            0,
            0,
            360,
            (b, b, b),
            -1,
            cv2.LINE_AA,
        )


def house(cv: Canvas, x: float, y: float, w: float) -> None:
    """A house whose base centre is (x, y): walls, windows, a door, a pitched or flat roof."""
    rng = cv.rng
    if rng.random() < 0.3:
        gable_house(cv, x, y, w * 0.7)
        return
    h = w * rng.uniform(0.45, 0.9)
    wall = _c(rng, WALLS)
    roof = _c(rng, ROOFS)
    x0, x1, top = x - w / 2, x + w / 2, y - h
    _poly(cv, [(x0, y), (x1, y), (x1, top), (x0, top)], wall)
    if rng.random() < 0.5:  # side wall in shade
        d = w * rng.uniform(0.15, 0.4) * rng.choice([-1, 1])
        xs = x1 if d > 0 else x0
        _poly(cv, [(xs, y), (xs + d, y - h * 0.08), (xs + d, top - h * 0.08), (xs, top)], _shade(wall, 0.7))
    # windows
    rows = int(rng.integers(1, 4))
    cols = max(1, int(w / rng.uniform(8, 16) / S))
    win = _shade(_c(rng, [(60, 60, 60), (90, 80, 70), (130, 120, 110), (40, 40, 50)]), 1)
    ww, wh = w / cols * 0.35, h / rows * 0.35
    for r in range(rows):
        for k in range(cols):
            if rng.random() < 0.15:
                continue
            cx = x0 + (k + 0.5) * w / cols
            cy = top + (r + 0.5) * h / rows
            _poly(
                cv,
                [
                    (cx - ww / 2, cy - wh / 2),
                    (cx + ww / 2, cy - wh / 2),
                    (cx + ww / 2, cy + wh / 2),
                    (cx - ww / 2, cy + wh / 2),
                ],
                win,
            )
    style = rng.random()
    rh = w * rng.uniform(0.25, 0.6)
    ov = w * 0.06
    if style < 0.55:  # gable
        _poly(cv, [(x0 - ov, top), (x1 + ov, top), (x, top - rh)], roof)
    elif style < 0.85:  # hip / mansard seen obliquely
        _poly(cv, [(x0 - ov, top), (x1 + ov, top), (x1 - w * 0.2, top - rh), (x0 + w * 0.2, top - rh)], roof)
        _poly(
            cv,
            [
                (x0 + w * 0.2, top - rh),
                (x1 - w * 0.2, top - rh),
                (x1 - w * 0.25, top - rh * 1.05),
                (x0 + w * 0.25, top - rh * 1.05),
            ],
            _shade(roof, 0.8),
        )
    else:  # flat roof with a parapet
        _poly(cv, [(x0, top), (x1, top), (x1, top - 3 * S), (x0, top - 3 * S)], _shade(wall, 0.85))
    if rng.random() < 0.3:  # chimney or dormer
        cx = x + rng.uniform(-w / 4, w / 4)
        _poly(
            cv,
            [
                (cx, top - rh * 0.4),
                (cx + w * 0.07, top - rh * 0.4),
                (cx + w * 0.07, top - rh * 0.9),
                (cx, top - rh * 0.9),
            ],
            _c(rng, WALLS),
        )


def _foliage(cv: Canvas, mask: np.ndarray, col: Colour) -> None:
    """Paint ``mask`` (uint8, canvas-sized) with leaf texture: speckles of shade and sunlit
    highlights a few pixels across, as real trees and shrubs look from a distance (smooth
    blobs teach nothing about them)."""
    rng = cv.rng
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    h, w = y1 - y0, x1 - x0
    grain = float(rng.uniform(1.0, 3.5)) * S
    small = rng.normal(0, 1, (max(int(h / grain), 2), max(int(w / grain), 2))).astype(np.float32)
    noise = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    light = float(rng.uniform(0.15, 0.45))
    base = np.array(col, np.float32)
    sun = np.array(_c(rng, [(90, 190, 170), (110, 200, 190), (80, 170, 140), (120, 210, 210)]), np.float32)
    t = np.clip(noise * light + 0.15, 0, 1)[:, :, None]
    dark = np.clip(-noise * 0.5, 0, 0.7)[:, :, None]
    tex = base * (1 - dark) * (1 - t) + sun * t
    m = mask[y0:y1, x0:x1] > 0
    region = cv.img[y0:y1, x0:x1]
    region[m] = np.clip(tex[m], 0, 255).astype(np.uint8)


def vegetation(cv: Canvas, y0: int, y1: int) -> None:
    """A band of woodland, scrub or hedges: an irregular canopy edge, textured leaves."""
    rng = cv.rng
    n = cv.size
    mask = np.zeros((n, n), np.uint8)
    top = y0 + rng.uniform(0, 0.3) * (y1 - y0)
    xs = np.arange(0, n + 1, max(4, int(rng.uniform(4, 14) * S)))
    edge = top + np.cumsum(rng.normal(0, 3 * S, len(xs)))
    pts = [(0, y1)] + [(float(x), float(e)) for x, e in zip(xs, edge, strict=True)] + [(n, y1)]
    cv2.fillPoly(mask, [_pts(pts)], 255)
    for _ in range(int(rng.integers(5, 30))):  # crowns poking above the edge
        cx = rng.uniform(0, n)
        cv2.circle(mask, (int(cx), int(top + rng.normal(0, 4 * S))), int(rng.uniform(4, 18) * S), 255, -1)
    _foliage(cv, mask, _c(rng, TREES, 10))


def tree(cv: Canvas, x: float, y: float, r: float) -> None:
    rng = cv.rng
    col = _c(rng, TREES, 10)
    if rng.random() < 0.6:  # textured crown
        mask = np.zeros(cv.img.shape[:2], np.uint8)
        for _ in range(int(rng.integers(3, 8))):
            cx = x + rng.normal(0, r * 0.35)
            cy = y - r * 1.2 + rng.normal(0, r * 0.3)
            rr = r * rng.uniform(0.45, 0.8)
            cv2.ellipse(
                mask,
                (int(cx), int(cy)),
                (max(1, int(rr)), max(1, int(rr * rng.uniform(0.8, 1.2)))),
                0,
                0,
                360,
                255,
                -1,
            )
        _foliage(cv, mask, col)
        return
    if rng.random() < 0.7:
        cv2.line(
            cv.img,
            (int(x), int(y)),
            (int(x), int(y - r)),
            _c(rng, [(40, 50, 60)]),
            max(1, int(r / 6)),
            cv2.LINE_AA,
        )
    for _ in range(int(rng.integers(3, 8))):
        cx = x + rng.normal(0, r * 0.35)
        cy = y - r * 1.2 + rng.normal(0, r * 0.3)
        rr = r * rng.uniform(0.45, 0.8)
        c2 = _shade(col, rng.uniform(0.75, 1.25))
        cv2.ellipse(
            cv.img,
            (int(cx), int(cy)),
            (int(rr), int(rr * rng.uniform(0.8, 1.2))),
            0,
            0,
            360,
            c2,
            -1,
            cv2.LINE_AA,
        )


def car(cv: Canvas, x: float, y: float, L: float) -> None:
    rng = cv.rng
    view = str(rng.choice(["side", "end", "above"], p=[0.4, 0.3, 0.3]))
    body = _c(rng, HULLS + CLOTHES, 15)
    if view == "above":  # a steep view over a car park: roof, windscreen and rear window
        w, h = (L, L * 0.45) if rng.random() < 0.5 else (L * 0.45, L)
    else:
        w, h = (L, L * 0.42) if view == "side" else (L * 0.5, L * 0.45)
    cv2.rectangle(cv.img, (int(x - w / 2), int(y - h)), (int(x + w / 2), int(y)), body, -1, cv2.LINE_AA)
    if view == "above":
        glass = _c(rng, [(40, 40, 45), (70, 70, 75), (110, 100, 90)])
        for f0, f1 in ((0.2, 0.32), (0.72, 0.8)):
            if w > h:  # lengthwise across the picture
                a, b = x - w / 2 + w * f0, x - w / 2 + w * f1
                cv2.rectangle(cv.img, (int(a), int(y - h * 0.9)), (int(b), int(y - h * 0.1)), glass, -1)
            else:
                a, b = y - h + h * f0, y - h + h * f1
                cv2.rectangle(cv.img, (int(x - w * 0.4), int(a)), (int(x + w * 0.4), int(b)), glass, -1)
        return
    glass = _c(rng, [(40, 40, 45), (70, 70, 75)])
    if view == "side":
        cv2.rectangle(
            cv.img, (int(x - w * 0.3), int(y - h * 1.35)), (int(x + w * 0.25), int(y - h)), body, -1
        )
        cv2.rectangle(
            cv.img, (int(x - w * 0.25), int(y - h * 1.28)), (int(x + w * 0.2), int(y - h * 0.98)), glass, -1
        )
    else:
        cv2.rectangle(
            cv.img, (int(x - w * 0.4), int(y - h * 0.9)), (int(x + w * 0.4), int(y - h * 0.5)), glass, -1
        )


CAR_PAINT: list[Colour] = [
    (235, 235, 235),
    (245, 245, 242),
    (190, 190, 192),
    (150, 150, 155),
    (35, 35, 38),
    (20, 20, 22),
    (90, 90, 95),
    (110, 60, 30),
    (40, 40, 170),
    (30, 30, 130),
    (60, 90, 60),
    (160, 120, 60),
]
"""Car paint as car parks show it: mostly white, silver, grey and black, some blue and red."""


def oblique_car(cv: Canvas, x: float, y: float, L: float, *, nose_in: bool) -> None:
    """A parked car seen from a mast or a drone at 20-50 degrees: a shadow, the body, a dark
    band of glass and a lighter roof on top. ``nose_in``: seen end on (a row of nose-in
    parking), else side on. Never labelled: webcams take car-park rows for moored boats."""
    rng = cv.rng
    paint = _c(rng, CAR_PAINT, 8)
    w = L * (rng.uniform(0.42, 0.5) if nose_in else 1.0)
    body_h = L * rng.uniform(0.18, 0.24)
    roof_w = w * (0.8 if nose_in else rng.uniform(0.5, 0.62))
    roof_h = L * rng.uniform(0.16, 0.24)  # the roof seen from above, foreshortened
    glass_h = L * rng.uniform(0.06, 0.1)
    _ground_shadow(cv, x, y, x + w * 0.06, w * 0.55, body_h * 0.3, 0.45)
    top = y - body_h
    cv2.rectangle(
        cv.img, (int(x - w / 2), int(top)), (int(x + w / 2), int(y - body_h * 0.15)), paint, -1, cv2.LINE_AA
    )
    rx = x + (0 if nose_in else rng.uniform(-0.12, 0.12) * w)
    glass = _c(rng, [(35, 35, 40), (60, 60, 65), (90, 85, 80)], 10)
    _poly(
        cv,
        [
            (x - w / 2, top),
            (x + w / 2, top),
            (rx + roof_w / 2, top - glass_h),
            (rx - roof_w / 2, top - glass_h),
        ],
        glass,
    )
    roof_top = top - glass_h - roof_h
    cv2.rectangle(
        cv.img,
        (int(rx - roof_w / 2), int(roof_top)),
        (int(rx + roof_w / 2), int(top - glass_h)),
        _shade(paint, rng.uniform(1.0, 1.15)),
        -1,
        cv2.LINE_AA,
    )
    if not nose_in:  # side windows and wheels
        cv2.rectangle(
            cv.img,
            (int(rx - roof_w * 0.45), int(top - glass_h * 0.2)),
            (int(rx + roof_w * 0.45), int(top + body_h * 0.3)),
            glass,
            -1,
        )
        for fx in (-0.32, 0.32):
            cv2.circle(
                cv.img,
                (int(x + fx * w), int(y - body_h * 0.15)),
                max(int(body_h * 0.22), 1),
                (25, 25, 25),
                -1,
            )
    elif rng.random() < 0.7:  # lights or number plate
        lc = _c(rng, [(40, 40, 180), (220, 220, 220), (30, 120, 230)], 10)
        for fx in (-0.35, 0.35):
            cv2.rectangle(
                cv.img,
                (int(x + fx * w - w * 0.07), int(y - body_h * 0.75)),
                (int(x + fx * w + w * 0.07), int(y - body_h * 0.55)),
                lc,
                -1,
            )


BAY_LINE: Colour = (225, 225, 225)
"""The white paint of parking bays."""


def parking_lot(cv: Canvas, y0: int, y1: int, horizon: float) -> None:
    """Rows y0..y1: an asphalt car park with painted bays and two to six rows of parked cars,
    nearly full, seen obliquely (a seafront car park as beach webcams see it)."""
    rng = cv.rng
    n = cv.size
    _texture(cv, y0, y1, _c(rng, PAVING, 10), 0.05, 10 * S)
    rows = int(rng.integers(2, 7))
    nose_in = rng.random() < 0.7
    full = rng.uniform(0.6, 0.98)
    for yy in np.linspace(y0, y1, rows + 1)[1:] - (y1 - y0) / (rows + 1) * 0.2:
        f = _persp(yy, horizon, n)
        L = rng.uniform(18, 50) * S * f  # real seafront cars are 25-45 px long near the camera
        pitch = L * (rng.uniform(0.55, 0.65) if nose_in else rng.uniform(1.1, 1.3))
        xs = np.arange(rng.uniform(-pitch, 0), n + pitch, pitch)
        for xx in xs:  # bay lines
            cv2.line(
                cv.img,
                (int(xx - pitch / 2), int(yy)),
                (int(xx - pitch / 2 + L * 0.15), int(yy - L * 0.3)),
                BAY_LINE,
                1,
            )
        for xx in xs:
            if rng.random() < full:
                oblique_car(
                    cv, xx + rng.normal(0, pitch * 0.04), yy, L * rng.uniform(0.92, 1.08), nose_in=nose_in
                )
        for _ in range(int(rng.poisson(0.6))):  # someone walking to a car
            walker(cv, rng.uniform(0, n), yy + L * 0.25, rng.uniform(12, 40) * S * f)


def chair_rows(cv: Canvas, y0: int, y1: int, horizon: float, people: int) -> None:
    """Rows y0..y1: sand with hooded beach chairs in loose rows (as rented out on North Sea
    beaches), windbreaks, shell tents and people among them; back to front so the nearer hide
    the farther."""
    rng = cv.rng
    n = cv.size
    _texture(cv, y0, y1, _c(rng, SAND), 0.05, int(rng.integers(6, 30)) * S)
    things: list[tuple[float, str]] = []
    for yy in np.linspace(y0, y1, int(rng.integers(2, 7)) + 2)[1:-1]:
        gap = rng.uniform(1.3, 3.0)
        xx = rng.uniform(0, 20)
        while xx < n:
            if rng.random() < 0.8:
                things.append((yy + rng.normal(0, 3 * S), f"chair {xx}"))
            xx += gap * rng.uniform(10, 20) * S * _persp(yy, horizon, n) + rng.uniform(0, 6) * S
    for _ in range(int(rng.choice([0, 2, 6]))):
        things.append((rng.uniform(y0, y1), "windbreak"))
    for _ in range(int(rng.choice([0, 2, 5, 10]))):
        things.append((rng.uniform(y0, y1), "tent"))
    for _ in range(people):
        things.append((rng.uniform(y0 + 3, y1 - 1), "person"))
    for yy, what in sorted(things):
        f = _persp(yy, horizon, n)
        if what.startswith("chair"):
            beach_chair(cv, float(what.split()[1]), yy, rng.uniform(8, 22) * S * f)
        elif what == "tent":
            beach_tent(cv, rng.uniform(0, n), yy, rng.uniform(12, 40) * S * f)
        elif what == "windbreak":
            x0 = rng.uniform(0, n)
            wb = rng.uniform(15, 50) * S * f
            col = _c(rng, [*CLOTHES, (255, 255, 255)], 10)
            cv2.rectangle(cv.img, (int(x0), int(yy - wb * 0.25)), (int(x0 + wb), int(yy)), col, -1)
            for k in range(1, 4):
                cv2.line(
                    cv.img,
                    (int(x0 + wb * k / 4), int(yy - wb * 0.25)),
                    (int(x0 + wb * k / 4), int(yy)),
                    _shade(col, 0.6),
                    1,
                )
        elif rng.random() < 0.15:
            lying_person(cv, rng.uniform(0, n), yy, rng.uniform(8, 40) * S * f)
        else:
            person(cv, rng.uniform(0, n), yy, rng.uniform(8, 40) * S * f, sitting=rng.random() < 0.25)


def _promenade(cv: Canvas, y0: int, y1: int, horizon: float) -> None:
    """Rows y0..y1: a paved seafront walk with lamp posts, often a railing, and walkers (labelled)."""
    rng = cv.rng
    n = cv.size
    _texture(cv, y0, y1, _c(rng, PAVING), 0.04, 8 * S)
    f = _persp((y0 + y1) / 2, horizon, n)
    if rng.random() < 0.6:
        fence(cv, 0, n, y0 + 1, rng.uniform(3, 9) * S * f)
    for xx in np.arange(rng.uniform(0, 60), n, rng.uniform(40, 120) * S * f):
        pole(cv, xx, y0 + (y1 - y0) * 0.3, rng.uniform(20, 60) * S * f)
    _crowd(cv, y0 + 2, y1, horizon, int(rng.choice([0, 2, 5, 10])), walk_p=0.75)


def fence(cv: Canvas, x0: float, x1: float, y: float, h: float) -> None:
    rng = cv.rng
    col = _c(rng, [(200, 200, 200), (60, 60, 60), (40, 90, 40), (120, 120, 130), (30, 30, 30)])
    t = max(1, int(S * rng.uniform(0.5, 1.5)))
    step = max(3.0, h * rng.uniform(0.15, 0.6))
    xx = x0
    while xx < x1:
        cv2.line(cv.img, (int(xx), int(y)), (int(xx), int(y - h)), col, t, cv2.LINE_AA)
        xx += step
    for f in (0.1, 0.55, 0.95):
        cv2.line(cv.img, (int(x0), int(y - h * f)), (int(x1), int(y - h * f)), col, t, cv2.LINE_AA)


def pole(cv: Canvas, x: float, y: float, h: float) -> None:
    rng = cv.rng
    col = _c(rng, [(200, 200, 200), (60, 60, 60), (120, 120, 130), (240, 240, 240)])
    cv2.line(
        cv.img,
        (int(x), int(y)),
        (int(x), int(y - h)),
        col,
        max(1, int(S * rng.uniform(0.6, 1.6))),
        cv2.LINE_AA,
    )
    r = rng.random()
    if r < 0.35:  # lamp arm
        cv2.line(cv.img, (int(x), int(y - h)), (int(x + h * 0.15), int(y - h * 0.97)), col, S, cv2.LINE_AA)
    elif r < 0.6:  # flag
        fc = _c(rng, [*CLOTHES, (0, 0, 220), (255, 255, 255), (0, 200, 255)])
        _poly(
            cv, [(x, y - h), (x + h * 0.35, y - h * 0.93), (x + h * 0.3, y - h * 0.8), (x, y - h * 0.78)], fc
        )
    elif r < 0.75:  # sign
        sc = _c(rng, [(255, 255, 255), (0, 200, 255), (200, 100, 0)])
        cv2.rectangle(cv.img, (int(x - h * 0.12), int(y - h)), (int(x + h * 0.12), int(y - h * 0.8)), sc, -1)


CHAIR_LINING: list[Colour] = [(90, 40, 20), (120, 60, 30), (60, 40, 30), (40, 40, 150), (50, 100, 40)]
"""Beach chair linings (navy, blue, brown, red, green): the dark inside of a turned chair."""


def beach_chair(cv: Canvas, x: float, y: float, w: float) -> None:
    """A hooded wicker beach chair (Strandkorb) or a bench, standing on (x, y), w wide: a frequent
    false 'boat', and, turned, a false 'person' on beaches. Seen from the front (the dark seat
    under the hood), from behind (a plain pale box) or turned (a side wall and the front's
    lining as a narrow dark upright band: a standing figure to a detector); never labelled."""
    rng = cv.rng
    body = _c(rng, [(200, 215, 225), (210, 220, 225), (150, 160, 170)], 10)
    hood = _c(rng, [(220, 220, 220), (180, 120, 40), (40, 40, 200), (60, 160, 60), (200, 200, 200)], 10)
    h = w * rng.uniform(0.9, 1.3)
    view = rng.random()
    if view < 0.35:  # front
        cv2.rectangle(
            cv.img, (int(x - w / 2), int(y - h * 0.55)), (int(x + w / 2), int(y)), body, -1, cv2.LINE_AA
        )
        cv2.rectangle(
            cv.img, (int(x - w / 2), int(y - h)), (int(x + w / 2), int(y - h * 0.55)), hood, -1, cv2.LINE_AA
        )
        cv2.rectangle(
            cv.img,
            (int(x - w * 0.35), int(y - h * 0.85)),
            (int(x + w * 0.35), int(y - h * 0.45)),
            _shade(body, 0.55),
            -1,
        )
        return
    if view < 0.55:  # from behind: wicker all the way up, the hood's rounded top
        cv2.rectangle(
            cv.img, (int(x - w / 2), int(y - h * 0.9)), (int(x + w / 2), int(y)), body, -1, cv2.LINE_AA
        )
        cv2.ellipse(
            cv.img, (int(x), int(y - h * 0.9)), (int(w / 2), int(h * 0.1)), 0, 180, 360, body, -1, cv2.LINE_AA
        )
        cv2.line(
            cv.img,
            (int(x - w / 2), int(y - h * 0.5)),
            (int(x + w / 2), int(y - h * 0.5)),
            _shade(body, 0.85),
            1,
        )
        return
    # turned: the side wall (shaded wicker) and the front, whose lining shows as an upright band
    side = 1 if rng.random() < 0.5 else -1
    fw = w * rng.uniform(0.35, 0.6)  # the front's width as seen
    xf = x - side * (w / 2 - fw / 2)  # centre of the front face
    xs = x + side * fw / 2  # centre of the side wall
    sw = w - fw
    cv2.rectangle(
        cv.img, (int(xs - sw / 2), int(y - h * 0.95)), (int(xs + sw / 2), int(y)), _shade(body, 0.8), -1
    )
    cv2.rectangle(cv.img, (int(xf - fw / 2), int(y - h)), (int(xf + fw / 2), int(y)), body, -1)
    cv2.rectangle(cv.img, (int(xf - fw / 2), int(y - h)), (int(xf + fw / 2), int(y - h * 0.85)), hood, -1)
    lining = _c(rng, CHAIR_LINING, 15)
    band = fw * rng.uniform(0.45, 0.75)
    cv2.rectangle(
        cv.img,
        (int(xf - band / 2), int(y - h * 0.85)),
        (int(xf + band / 2), int(y - h * rng.uniform(0.25, 0.4))),
        lining,
        -1,
    )


TENTS: list[Colour] = [  # beach shell tents and pop-up shelters: bright nylon
    (180, 90, 20),  # blue
    (40, 40, 200),  # red
    (0, 120, 240),  # orange
    (20, 200, 240),  # yellow
    (60, 150, 50),  # green
    (170, 100, 230),  # pink
    (210, 210, 215),  # white
    (140, 40, 90),  # purple
]


def beach_tent(cv: Canvas, x: float, y: float, w: float) -> None:
    """A beach shell tent (Strandmuschel) or pop-up shelter standing on the sand at (x, y), w
    canvas pixels wide: a bright half dome with seams, a dark opening on one side and a shadow.
    Seen from a beach webcam it is a coloured blob the size of a small boat; never labelled."""
    rng = cv.rng
    col = _c(rng, TENTS, 15)
    h = w * rng.uniform(0.4, 0.7)
    _ground_shadow(cv, x, y, x + w * 0.12, w * 0.55, h * 0.18, 0.65)
    cv2.ellipse(cv.img, (int(x), int(y)), (int(w / 2), int(h)), 0, 180, 360, col, -1, cv2.LINE_AA)
    if rng.random() < 0.5:  # a second colour on one panel
        cv2.ellipse(
            cv.img,
            (int(x), int(y)),
            (int(w / 2), int(h)),
            0,
            180,
            float(rng.uniform(210, 260)),
            _c(rng, TENTS, 15),
            -1,
            cv2.LINE_AA,
        )
    for k in (-0.22, 0.22):  # seams from the crown to the sand
        cv2.line(cv.img, (int(x), int(y - h)), (int(x + k * w * 2), int(y)), _shade(col, 0.7), 1, cv2.LINE_AA)
    if rng.random() < 0.8:  # the open side, darker inside
        side = 1 if rng.random() < 0.5 else -1
        cv2.ellipse(
            cv.img,
            (int(x + side * w * 0.12), int(y)),
            (int(w * 0.28), int(h * 0.7)),
            0,
            180,
            360,
            _shade(col, 0.35),
            -1,
            cv2.LINE_AA,
        )


def umbrella(cv: Canvas, x: float, y: float, w: float) -> None:
    rng = cv.rng
    col = _c(rng, [*CLOTHES, (0, 200, 255), (255, 255, 255)])
    cv2.line(cv.img, (int(x), int(y)), (int(x), int(y - w * 0.8)), (200, 200, 200), S, cv2.LINE_AA)
    cv2.ellipse(
        cv.img, (int(x), int(y - w * 0.8)), (int(w / 2), int(w * 0.2)), 0, 180, 360, col, -1, cv2.LINE_AA
    )


def towel(cv: Canvas, x: float, y: float, w: float) -> None:
    col = _c(cv.rng, [*CLOTHES, (0, 200, 255), (255, 120, 200)])
    cv2.rectangle(cv.img, (int(x - w / 2), int(y - w * 0.25)), (int(x + w / 2), int(y)), col, -1, cv2.LINE_AA)


def buoy(cv: Canvas, x: float, y: float, r: float) -> None:
    col = _c(cv.rng, [(0, 100, 255), (0, 220, 255), (0, 0, 200), (30, 160, 30), (240, 240, 240)])
    cv2.ellipse(cv.img, (int(x), int(y)), (int(r), int(r * 0.8)), 0, 0, 360, col, -1, cv2.LINE_AA)


def nav_mark(cv: Canvas, x: float, y: float, h: float) -> None:
    """A navigation mark whose waterline centre is (x, y), h canvas pixels tall, not a boat:
    a red or green spar or can buoy, a yellow or black-and-yellow pillar, a red-and-white
    striped safe-water mark (each with a top mark), or a channel beacon (dark piles under a
    platform with a light). Real fairway webcams are full of them and an untrained model calls
    every one a boat: they are drawn unlabelled, reflected in the water."""
    rng = cv.rng
    kind = str(rng.choice(["lateral", "pillar", "striped", "beacon"], p=[0.35, 0.2, 0.2, 0.25]))
    if kind == "beacon":
        w = h * rng.uniform(0.5, 1.0)
        pile = _c(rng, [(40, 40, 40), (60, 60, 60), (30, 30, 50), (90, 90, 90)], 10)
        k = int(rng.integers(2, 5))
        for i in range(k):
            px = x - w / 2 + w * (i + 0.5) / k
            cv2.line(cv.img, (int(px), int(y)), (int(px), int(y - h * 0.7)), pile, max(1, int(w / k * 0.4)))
        plat = (int(x - w * 0.6), int(y - h * 0.78), int(x + w * 0.6), int(y - h * 0.7))
        cv2.rectangle(cv.img, plat[:2], plat[2:], _shade(pile, 0.8), -1)
        for i in range(5):  # railing
            px = plat[0] + (plat[2] - plat[0]) * i / 4
            cv2.line(cv.img, (int(px), plat[1]), (int(px), int(y - h * 0.88)), pile, max(1, S // 2))
        cv2.line(cv.img, (plat[0], int(y - h * 0.88)), (plat[2], int(y - h * 0.88)), pile, max(1, S // 2))
        lamp = _c(rng, [(40, 40, 200), (40, 160, 40), (240, 240, 240), (0, 200, 230)])
        cv2.rectangle(
            cv.img, (int(x - w * 0.08), int(y - h)), (int(x + w * 0.08), int(y - h * 0.78)), lamp, -1
        )
        reflect(cv, x - w * 0.6, y - h, x + w * 0.6, y)
        return
    w = h * rng.uniform(0.3, 0.55)
    if kind == "lateral":
        body = _c(rng, [(40, 40, 200), (40, 140, 40), (30, 30, 170), (60, 120, 30)], 10)
        bands = [body]
    elif kind == "pillar":
        body = _c(rng, [(0, 210, 240), (20, 20, 20)], 8)
        bands = [body, (25, 25, 25) if body[2] > 150 else (0, 210, 240)]  # yellow-black or black-yellow
    else:
        body = _c(rng, [(40, 40, 210)], 8)
        bands = [body, (235, 235, 235)]
    top = y - h * 0.8
    taper = rng.uniform(0.3, 0.9)
    if rng.random() < 0.5:  # a cone or a can seen as a tapered body
        _poly(cv, [(x - w / 2, y), (x + w / 2, y), (x + w * taper / 2, top), (x - w * taper / 2, top)], body)
    else:
        cv2.ellipse(
            cv.img, (int(x), int((y + top) / 2)), (int(w / 2), int((y - top) / 2)), 0, 0, 360, body, -1
        )
    if len(bands) > 1:  # horizontal stripes
        k = int(rng.integers(2, 5))
        for i in range(1, k, 2):
            a, b = top + (y - top) * i / k, top + (y - top) * (i + 1) / k
            cv2.rectangle(cv.img, (int(x - w / 2), int(a)), (int(x + w / 2), int(b)), bands[1], -1)
    cv2.line(cv.img, (int(x), int(top)), (int(x), int(y - h)), (30, 30, 30), max(1, S // 2))
    if rng.random() < 0.7:  # top mark
        tm = bands[0] if kind == "lateral" else (30, 30, 30)
        cv2.circle(cv.img, (int(x), int(y - h)), max(1, int(w * 0.2)), tm, -1, cv2.LINE_AA)
    reflect(cv, x - w / 2, y - h, x + w / 2, y)


def rock(cv: Canvas, x: float, y: float, r: float) -> None:
    rng = cv.rng
    n = int(rng.integers(5, 9))
    ang = np.sort(rng.uniform(0, 2 * math.pi, n))
    p = [
        (x + r * rng.uniform(0.6, 1.1) * math.cos(a), y + r * 0.6 * rng.uniform(0.6, 1.1) * math.sin(a))
        for a in ang
    ]
    _poly(cv, p, _c(rng, [(60, 65, 70), (90, 95, 100), (40, 45, 50), (110, 120, 125)]))


# --- labelled objects ------------------------------------------------------------------------


def person(
    cv: Canvas,
    x: float,
    y: float,
    h: float,
    *,
    sitting: bool = False,
    wading: float = 0.0,
    vest: bool = False,
) -> None:
    """A person standing (or sitting) with feet at (x, y), h canvas pixels tall; labelled.
    ``vest``: an orange or black life jacket, as people boarding a launch wear."""
    rng = cv.rng
    if sitting:
        h *= 0.55
    w = h * rng.uniform(0.25, 0.38)
    top_c = _c(rng, VESTS, 15) if vest else _c(rng, CLOTHES, 20)
    leg_c = _c(rng, CLOTHES, 20)
    skin = _c(rng, SKIN, 10)
    head_r = h * 0.085
    vis = 1.0 - wading  # fraction above the water line
    if rng.random() < 0.6:  # shadow
        _ground_shadow(cv, x, y, x + h * 0.15, h * 0.25, h * 0.05, 0.6)
    if not sitting and wading < 0.35:
        step = w * rng.uniform(0.0, 0.35)
        t = max(1, int(w * 0.35))
        cv2.line(
            cv.img, (int(x - step), int(y)), (int(x - w * 0.12), int(y - h * 0.47)), leg_c, t, cv2.LINE_AA
        )
        cv2.line(
            cv.img, (int(x + step), int(y)), (int(x + w * 0.12), int(y - h * 0.47)), leg_c, t, cv2.LINE_AA
        )
    # torso
    t0, t1 = y - h * 0.82, y - h * (0.45 if not sitting else 0.1)
    cv2.ellipse(
        cv.img,
        (int(x), int((t0 + t1) / 2)),
        (int(w / 2), int((t1 - t0) / 2)),
        0,
        0,
        360,
        top_c,
        -1,
        cv2.LINE_AA,
    )
    if rng.random() < 0.5:  # arms
        t = max(1, int(w * 0.22))
        for sgn in (-1, 1):
            cv2.line(
                cv.img,
                (int(x + sgn * w * 0.45), int(t0 + h * 0.05)),
                (int(x + sgn * w * rng.uniform(0.5, 0.9)), int(t0 + h * 0.33)),
                top_c,
                t,
                cv2.LINE_AA,
            )
    cv2.circle(cv.img, (int(x), int(y - h * 0.9)), max(1, int(head_r)), skin, -1, cv2.LINE_AA)
    if rng.random() < 0.5:  # hair / cap
        cv2.ellipse(
            cv.img,
            (int(x), int(y - h * 0.92)),
            (max(1, int(head_r)), max(1, int(head_r * 0.6))),
            0,
            180,
            360,
            _c(rng, [(20, 20, 20), (40, 60, 90), (150, 190, 220), (60, 60, 60)]),
            -1,
            cv2.LINE_AA,
        )
    bottom = y if wading == 0 else y - h * wading
    if wading:
        water = tuple(int(v) for v in cv.img[min(int(y) + 2, cv.size - 1), min(int(x), cv.size - 1)])
        cv2.rectangle(cv.img, (int(x - w), int(bottom)), (int(x + w), int(y + 2)), water, -1)
    cv.label(1, x - w * 0.6, y - h * 0.99, x + w * 0.6, bottom)
    _ = vis


def lying_person(cv: Canvas, x: float, y: float, h: float) -> None:
    """A sunbather lying on the sand, centred on (x, y), h canvas pixels long (seen from an
    elevated camera: a short horizontal streak with a head at one end); labelled."""
    rng = cv.rng
    d = 1 if rng.random() < 0.5 else -1
    fore = rng.uniform(0.3, 0.7)  # foreshortening: lying along the view is shorter
    L = h * fore
    t = max(h * rng.uniform(0.12, 0.2), S)
    if rng.random() < 0.5:  # a towel under them
        towel(cv, x, y + t * 0.3, L * 1.3)
    body = _c(rng, [*SKIN, *CLOTHES], 15)
    cv2.ellipse(cv.img, (int(x), int(y)), (int(L / 2), int(t / 2)), 0, 0, 360, body, -1, cv2.LINE_AA)
    cv2.circle(
        cv.img,
        (int(x + d * L * 0.5), int(y - t * 0.1)),
        max(1, int(t * 0.55)),
        _c(rng, SKIN, 10),
        -1,
        cv2.LINE_AA,
    )
    cv.label(1, x - L / 2 - t * 0.6, y - t * 0.75, x + L / 2 + t * 0.6, y + t * 0.6)


Box = tuple[float, float, float, float]


def _limb(
    cv: Canvas, a: tuple[float, float], b: tuple[float, float], wa: float, wb: float, col: Colour
) -> Box:
    """A tapered bar from ``a`` (``wa`` wide) to ``b`` (``wb`` wide), drawn with sub-pixel
    precision (a leg 2 px wide must not snap to whole pixels); returns its extent x0, y0, x1, y1."""
    (ax, ay), (bx, by) = a, b
    d = max(math.hypot(bx - ax, by - ay), 1e-6)
    nx, ny = -(by - ay) / d / 2, (bx - ax) / d / 2
    quad = [(ax + nx * wa, ay + ny * wa), (bx + nx * wb, by + ny * wb)]
    quad += [(bx - nx * wb, by - ny * wb), (ax - nx * wa, ay - ny * wa)]
    cv2.fillConvexPoly(cv.img, np.round(np.array(quad) * 8).astype(np.int32), col, cv2.LINE_AA, shift=3)
    xs, ys = zip(*quad, strict=True)
    return min(xs), min(ys), max(xs), max(ys)


def _union(boxes: list[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


DOGS: list[Colour] = [(30, 30, 30), (25, 35, 55), (50, 50, 55), (40, 60, 90), (20, 20, 25), (90, 110, 140)]
"""Dog coats, mostly dark: black, brown, grey, a few fawn."""


def dog(cv: Canvas, x: float, y: float, L: float, facing: int) -> None:
    """A small dog standing at (x, y), ``L`` pixels long, facing left (-1) or right (1); never
    labelled (a dog beside a walker is not a person)."""
    rng = cv.rng
    col = _shade(_c(rng, DOGS, 15), rng.uniform(0.7, 1.0))
    back = y - L * rng.uniform(0.4, 0.55)
    for u in (-0.42, -0.3, 0.3, 0.42):  # legs
        _limb(cv, (x + u * L, back), (x + u * L * 1.1, y), L * 0.09, L * 0.07, col)
    _limb(cv, (x - facing * L * 0.45, back), (x + facing * L * 0.4, back), L * 0.3, L * 0.28, col)
    _limb(cv, (x + facing * L * 0.4, back), (x + facing * L * 0.55, back - L * 0.25), L * 0.16, L * 0.2, col)
    _limb(cv, (x - facing * L * 0.45, back), (x - facing * L * 0.65, back - L * 0.2), L * 0.07, L * 0.04, col)


def _walk_direction(rng: np.random.Generator) -> int:
    """Which way someone walks across the picture: -1 left, 1 right (side on), 0 towards or away
    from the camera."""
    return int(rng.choice([-1, 0, 1], p=[0.38, 0.24, 0.38]))


def walker(
    cv: Canvas, x: float, y: float, h: float, *, facing: int | None = None, dog_p: float = 0.0
) -> None:
    """A person walking, feet at (x, y), ``h`` pixels tall; labelled from the head to the feet over
    the full stride. Real small people on shore webcams are mostly this: slim, legs apart in an
    inverted V, arms swinging, muted clothes. ``facing`` -1 or 1 walks left or right (seen side
    on, a long stride), 0 towards or away from the camera (seen from the front or behind, a
    short one); ``None`` picks. Some carry a backpack or a bag; with probability ``dog_p`` a
    dog walks beside them (unlabelled)."""
    rng = cv.rng
    d = _walk_direction(rng) if facing is None else facing
    # feet 0.15-0.4 h apart, mostly under 0.3: a stride seen side on, or foreshortened
    gap = h * (0.17 + 0.23 * rng.beta(1.5, 2.5) if d else rng.uniform(0.15, 0.2))
    top = _muted(_c(rng, CLOTHES, 20), rng.uniform(0.3, 0.9), rng.uniform(0.45, 1.0))
    legs = _muted(_c(rng, CLOTHES, 20), rng.uniform(0.3, 0.9), rng.uniform(0.35, 0.85))
    skin = _shade(_c(rng, SKIN, 10), rng.uniform(0.75, 1.0))
    load = rng.choice(["none", "backpack", "bag"], p=[0.65, 0.2, 0.15])
    if rng.random() < 0.85:  # a soft shadow: a pale halo round a darker core
        _ground_shadow(cv, x, y, x + h * 0.15, h * 0.3, h * 0.06, 0.88)
        _ground_shadow(cv, x, y, x + h * 0.12, h * 0.2, h * 0.04, 0.85)
    if rng.random() < dog_p:
        side = d or int(rng.choice([-1, 1]))
        L = h * rng.uniform(0.3, 0.45)
        dog(cv, x + side * (gap / 2 + h * rng.uniform(0.15, 0.3) + L / 2), y, L, side)
    hip = (x + d * h * 0.01, y - h * 0.5)
    neck = (x + d * h * 0.03, y - h * 0.8)
    tw = h * rng.uniform(0.12, 0.16) * (1.0 if d else 1.25)
    swing = gap * rng.uniform(0.3, 0.5) if d else h * 0.02
    boxes = [_arm(cv, neck, tw, h, -swing * (d or 1), _shade(top, 0.8))]  # the far arm, behind
    for s in (-1, 1):  # the legs: an inverted V from the hips
        boxes.append(
            _limb(cv, (hip[0] + s * tw * 0.2, hip[1]), (x + s * gap / 2, y), h * 0.08, h * 0.05, legs)
        )
    if load == "backpack":
        c = (neck[0] - d * tw * 0.55, neck[1] + h * 0.04)
        boxes.append(
            _limb(cv, c, (c[0], c[1] + h * 0.2), h * 0.1, h * 0.1, _c(rng, CLOTHES[:3] + VESTS[3:], 10))
        )
    boxes.append(_limb(cv, hip, neck, tw * 0.85, tw, top))
    hand = _arm(cv, neck, tw, h, swing * (d or 1), top)
    boxes.append(hand)
    if load == "bag":
        hx = hand[2] if swing * (d or 1) > 0 else hand[0]
        boxes.append(_limb(cv, (hx, hand[3] - h * 0.02), (hx, hand[3] + h * 0.1), h * 0.09, h * 0.1, legs))
    boxes.append(_walker_head(cv, neck, y - h, h * rng.uniform(0.065, 0.08), d, skin))
    x0, y0, x1, y1 = _union(boxes)
    # OpenCV puts pixel centres on whole numbers and anti-aliasing widens a filled shape by half
    # a pixel each side, so what was drawn from x0 to x1 covers the pixel edges x0 to x1 + 1
    cv.label(1, x0, y0, x1 + 1, y1 + 1)


def _walker_head(cv: Canvas, neck: tuple[float, float], top: float, r: float, d: int, skin: Colour) -> Box:
    """A walker's neck and head (crown at row ``top``) under a cap of hair, or all hair when
    seen from behind; returns the head's extent."""
    rng = cv.rng
    cx, cy = neck[0] + d * r * 0.15, top + r
    _limb(cv, neck, (cx, cy), r * 0.9, r * 0.9, skin)
    c8, r8 = (round(cx * 8), round(cy * 8)), round(r * 8)
    cv2.circle(cv.img, c8, r8, skin, -1, cv2.LINE_AA, 3)
    hair = _c(rng, [(20, 20, 20), (40, 60, 90), (150, 190, 220), (60, 60, 60)])
    behind = d == 0 and rng.random() < 0.5
    cv2.ellipse(cv.img, c8, (r8, r8), 0, 0 if behind else 180, 360, hair, -1, cv2.LINE_AA, 3)
    return cx - r, cy - r, cx + r, cy + r


def _arm(cv: Canvas, neck: tuple[float, float], tw: float, h: float, swing: float, col: Colour) -> Box:
    """An arm from the shoulder, its hand ``swing`` pixels ahead (or behind, negative) of it."""
    sx = neck[0] + math.copysign(tw * 0.2, swing)
    return _limb(cv, (sx, neck[1] + h * 0.03), (sx + swing, neck[1] + h * 0.33), h * 0.06, h * 0.045, col)


def walking_group(cv: Canvas, x: float, y: float, h: float, k: int, *, dog_p: float = 0.1) -> None:
    """``k`` people walking together, side by side or in file, feet near (x, y), about ``h`` tall;
    each labelled (see ``walker``), drawn back to front."""
    rng = cv.rng
    d = _walk_direction(rng)
    abreast = rng.random() < 0.6
    if abreast:  # side by side: one a little nearer the camera
        step = (rng.uniform(0.2, 0.4) * h * rng.choice([-1, 1]), rng.uniform(0.02, 0.06) * h)
    elif d:  # in file along the way they walk
        step = (-d * rng.uniform(0.5, 0.9) * h, rng.normal(0, 0.02) * h)
    else:  # in file towards or away from the camera
        step = (rng.normal(0, 0.1) * h, rng.uniform(0.1, 0.2) * h)
    members = [(y + i * step[1], x + i * step[0]) for i in range(k)]
    for yy, xx in sorted(members):
        walker(cv, xx, yy, h * rng.uniform(0.9, 1.08), facing=d, dog_p=dog_p / k)


def group_size(rng: np.random.Generator) -> int:
    """How many people walk together: mostly one, often two, sometimes three."""
    return int(rng.choice([1, 2, 3], p=[0.6, 0.3, 0.1]))


def _crowd(cv: Canvas, y0: float, y1: float, horizon: float, people: int, walk_p: float) -> None:
    """About ``people`` people 10-40 px tall (at the bottom edge) at rows y0..y1, back to front:
    a share ``walk_p`` of them walking (alone, in pairs or threes), the others standing."""
    rng = cv.rng
    n = cv.size
    groups: list[tuple[float, int]] = []
    while people > 0:
        k = group_size(rng) if rng.random() < walk_p else 0
        groups.append((rng.uniform(y0, y1), k))
        people -= max(k, 1)
    for yy, k in sorted(groups):
        h = rng.uniform(10, 40) * S * _persp(yy, horizon, n)
        if k:
            walking_group(cv, rng.uniform(0, n), yy, h, k)
        else:
            person(cv, rng.uniform(0, n), yy, h)


def launch_group(cv: Canvas, x: float, y: float, L: float) -> None:
    """An overloaded inflatable at the waterline, seen from above at an angle, packed with
    people in life jackets and with more of them around it pushing and boarding: the picture
    a launch makes from a drone at dawn. The boat keeps its label however crowded it is (people
    drawn on it do not make it background); the people are labelled where they are not hidden."""
    rng = cv.rng
    W = L * rng.uniform(0.3, 0.6)  # apparent width: depends on the view's pitch
    rot = float(rng.uniform(-35, 35))
    people_h = L * rng.uniform(0.2, 0.33)  # a 1.7 m person against a 6-10 m boat
    around = [
        (x + rng.uniform(-1.0, 1.0) * L, y + rng.uniform(-0.7, 0.9) * W)
        for _ in range(int(rng.integers(2, 18)))
    ]
    for px, py in sorted(p for p in around if p[1] < y - W * 0.3):  # behind the boat
        person(cv, px, py, people_h * rng.uniform(0.85, 1.1), vest=rng.random() < 0.7)
    tube = _c(rng, [(45, 45, 45), (70, 70, 72), (95, 95, 100), (30, 30, 35), (60, 70, 90)], 10)
    floor = _shade(tube, rng.uniform(0.5, 0.8))
    axes = (max(1, int(L / 2)), max(1, int(W / 2)))
    cv2.ellipse(cv.img, (int(x), int(y)), axes, rot, 0, 360, tube, -1, cv2.LINE_AA)
    inner = (max(1, int(L / 2 - W * 0.25)), max(1, int(W / 2 - W * 0.22)))
    cv2.ellipse(cv.img, (int(x), int(y)), inner, rot, 0, 360, floor, -1, cv2.LINE_AA)
    r = math.radians(rot)
    hx = math.hypot(L / 2 * math.cos(r), W / 2 * math.sin(r))
    hy = math.hypot(L / 2 * math.sin(r), W / 2 * math.cos(r))
    cv.label(0, x - hx, y - hy, x + hx, y + hy, occludable=False)
    for _ in range(int(rng.integers(0, 25))):  # aboard: heads and shoulders in life jackets
        u, v = rng.uniform(-0.4, 0.4) * L, rng.uniform(-0.3, 0.3) * W
        px, py = x + u * math.cos(r) - v * math.sin(r), y + u * math.sin(r) + v * math.cos(r)
        ph = people_h * rng.uniform(0.4, 0.6)
        cv2.ellipse(
            cv.img,
            (int(px), int(py)),
            (max(1, int(ph * 0.3)), max(1, int(ph * 0.4))),
            0,
            0,
            360,
            _c(rng, VESTS, 15),
            -1,
            cv2.LINE_AA,
        )
        cv2.circle(cv.img, (int(px), int(py - ph * 0.45)), max(1, int(ph * 0.18)), _c(rng, SKIN, 10), -1)
        if ph / S >= 7:
            cv.label(1, px - ph * 0.3, py - ph * 0.65, px + ph * 0.3, py + ph * 0.4)
    for px, py in sorted(p for p in around if p[1] >= y - W * 0.3):  # beside and in front
        person(cv, px, py, people_h * rng.uniform(0.85, 1.1), vest=rng.random() < 0.7)


def dawn(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Low light: the scene dimmed and tinted as at dawn or dusk (warm, blue or grey)."""
    tint = np.array(
        [(0.55, 0.7, 0.95), (0.85, 0.7, 0.6), (0.8, 0.8, 0.8), (0.7, 0.65, 0.85)][int(rng.integers(4))],
        np.float32,
    )
    from detector.augment import grade

    scale = rng.uniform(0.35, 0.8)
    return grade(img, tint * np.float32(scale), rng.uniform(0.8, 1.2))


def reflect(cv: Canvas, x0: float, y0: float, x1: float, y1: float) -> None:
    """Mirror what is drawn in the box (x0, y0)-(x1, y1) into the water below its bottom edge
    (the waterline): flipped, squashed by the viewing angle, broken into ripples and blended
    with the water, as calm harbours show boats. A boat with no reflection on still water is
    one of the cues that tells a model a drawing from a photograph."""
    rng = cv.rng
    n = cv.size
    i0, i1 = max(int(x0), 0), min(math.ceil(x1), n)
    j0, j1 = max(int(y0), 0), min(int(y1), n)
    if i1 - i0 < 2 or j1 - j0 < 2 or j1 >= n - 1:
        return
    src = cv.img[j0:j1, i0:i1][::-1].astype(np.float32)
    h = min(max(int((j1 - j0) * rng.uniform(0.4, 1.0)), 1), n - j1)
    refl = cv2.resize(src, (i1 - i0, h), interpolation=cv2.INTER_AREA)
    shift = np.cumsum(rng.normal(0, rng.uniform(0.3, 1.5), h)).astype(int) % 3 - 1  # ripples
    for r in range(h):
        refl[r] = np.roll(refl[r], int(shift[r] * S), axis=0)
    water = cv.img[j1 : j1 + h, i0:i1].astype(np.float32)
    a = rng.uniform(0.25, 0.6) * np.linspace(1.0, 0.2, h, dtype=np.float32)[:, None, None]
    dark = rng.uniform(0.6, 0.9)
    cv.img[j1 : j1 + h, i0:i1] = np.clip(water * (1 - a) + refl * dark * a, 0, 255).astype(np.uint8)


def boat(
    cv: Canvas,
    x: float,
    y: float,
    L: float,
    *,
    moored: bool = False,
    afloat: bool = True,
    ang: float | None = None,
    sail_up_p: float = 0.75,
) -> None:
    """A boat whose waterline centre is (x, y), L canvas pixels long, seen from the side or at an
    angle: hull, cabin, maybe a mast and sails, a wake when under way, often a reflection when
    still and ``afloat`` (not pulled up on the sand); labelled. ``ang`` is how broadside it is
    seen (1 broadside, 0.15 bow or stern on; random when not given); a sailing boat has its sails
    up with probability ``sail_up_p`` (furled, only the bare mast shows, otherwise)."""
    rng = cv.rng
    kind = str(
        rng.choice(
            ["motor", "sail", "sail", "rib", "fishing", "dinghy", "ship"],
            p=[0.25, 0.25, 0.1, 0.15, 0.1, 0.1, 0.05],
        )
    )
    if ang is None:
        ang = float(rng.uniform(0.15, 1.0))  # 1 = broadside, small = bow/stern on
    Lp = L * ang + L * 0.35 * (1 - ang)
    fb = L * rng.uniform(0.08, 0.16)
    hull = _c(rng, HULLS, 10)
    d = 1 if rng.random() < 0.5 else -1
    x0, x1 = x - Lp / 2, x + Lp / 2
    bow = x1 if d > 0 else x0
    stern = x0 if d > 0 else x1
    top_y = y - fb
    bx = bow + d * Lp * 0.12
    _poly(cv, [(stern, top_y), (bx, top_y - fb * 0.3), (bow, y), (stern, y)], hull)
    cv2.line(
        cv.img,
        (int(stern), int(y)),
        (int(bow), int(y)),
        _shade(hull, 0.6),
        max(1, int(fb * 0.25)),
        cv2.LINE_AA,
    )
    top = top_y - fb * 0.3
    if kind in ("motor", "fishing", "ship"):
        cw = Lp * rng.uniform(0.25, 0.5)
        cx = x - d * Lp * rng.uniform(0.0, 0.2)
        ch = fb * rng.uniform(0.8, 2.0)
        cab = _c(rng, [(240, 240, 240), (200, 200, 200), (60, 60, 60), (150, 150, 150)])
        _poly(
            cv,
            [
                (cx - cw / 2, top_y),
                (cx + cw / 2, top_y),
                (cx + cw / 2 - d * cw * 0.15, top_y - ch),
                (cx - cw / 2, top_y - ch),
            ],
            cab,
        )
        cv2.line(
            cv.img,
            (int(cx - cw * 0.4), int(top_y - ch * 0.6)),
            (int(cx + cw * 0.35), int(top_y - ch * 0.6)),
            (50, 50, 50),
            max(1, int(ch * 0.25)),
            cv2.LINE_AA,
        )
        top = top_y - ch
        if kind == "fishing":
            mh = L * 0.4
            cv2.line(
                cv.img,
                (int(cx), int(top_y - ch)),
                (int(cx), int(top_y - ch - mh)),
                (60, 60, 60),
                S,
                cv2.LINE_AA,
            )
            top = top_y - ch - mh
    elif kind == "sail":
        mh = L * rng.uniform(0.9, 1.4)
        mx = x + d * Lp * 0.05
        cv2.line(
            cv.img,
            (int(mx), int(top_y)),
            (int(mx), int(top_y - mh)),
            (200, 200, 200),
            max(1, S // 2 + 1),
            cv2.LINE_AA,
        )
        if rng.random() < sail_up_p:  # sails up
            sail = _c(rng, [(245, 245, 245), (235, 235, 235), (220, 220, 220), (200, 210, 230)], 8)
            _poly(
                cv,
                [
                    (mx, top_y - mh),
                    (mx, top_y - fb * 0.5),
                    (mx - d * Lp * rng.uniform(0.3, 0.5), top_y - fb * 0.5),
                ],
                sail,
            )
            if rng.random() < 0.6:
                _poly(
                    cv,
                    [(mx + d * 2, top_y - mh * 0.9), (bow, top_y - fb * 0.2), (mx + d * 2, top_y - fb * 0.2)],
                    _shade(sail, 0.9),
                )
        top = top_y - mh
    elif kind in ("rib", "dinghy"):
        n = int(rng.integers(0, 6 if kind == "rib" else 3))
        for i in range(n):
            px = stern + d * Lp * (0.2 + 0.6 * (i + 0.5) / max(n, 1))
            ph = fb * rng.uniform(1.5, 2.5)
            c = _c(rng, [*CLOTHES, (0, 120, 255), (0, 80, 255)], 15)  # life jackets often orange
            cv2.ellipse(
                cv.img,
                (int(px), int(top_y - ph / 2)),
                (max(1, int(ph * 0.25)), max(1, int(ph / 2))),
                0,
                0,
                360,
                c,
                -1,
                cv2.LINE_AA,
            )
            top = min(top, top_y - ph)
            # occupants are people: labelled where big enough to tell apart, as the 3-D
            # scenes label passengers (unlabelled, they taught a model that people in a boat
            # are background, and a launch is people boarding a boat)
            if (ph / S) * (ph / 2 / S) >= 49:
                cv.label(1, px - ph * 0.25, top_y - ph, px + ph * 0.25, top_y)
    if not moored and rng.random() < 0.6:  # wake and bow wave
        foam = (235, 235, 235)
        wl = Lp * rng.uniform(0.5, 2.5)
        cv2.line(
            cv.img,
            (int(stern), int(y)),
            (int(stern - d * wl), int(y + fb * rng.uniform(0.2, 1.0))),
            foam,
            max(1, int(fb * 0.4)),
            cv2.LINE_AA,
        )
        cv2.ellipse(
            cv.img,
            (int(bow), int(y)),
            (max(1, int(fb * 0.6)), max(1, int(fb * 0.25))),
            0,
            0,
            360,
            foam,
            -1,
            cv2.LINE_AA,
        )
        x0, x1 = min(x0, stern - d * wl * 0.3, stern), max(x1, stern - d * wl * 0.3, stern)
    elif afloat and rng.random() < 0.7:
        reflect(cv, min(x0, bow, stern), top, max(x1, bow, stern), y)
    cv.label(0, min(x - Lp / 2, bow, stern), top, max(x + Lp / 2, bow, stern), y + fb * 0.15)


SAILS: list[Colour] = [  # sailcloth and windsurf film: mostly white, often bright
    (245, 245, 245),
    (230, 232, 235),
    (40, 40, 220),  # red (BGR)
    (200, 120, 30),  # blue
    (30, 200, 240),  # yellow
    (40, 140, 250),  # orange
    (60, 170, 60),
    (150, 60, 150),
    (60, 60, 60),
]


def _sail_colour(cv: Canvas) -> Colour:
    """White or cream most of the time, a bright colour otherwise."""
    rng = cv.rng
    return _c(rng, SAILS[:2] if rng.random() < 0.45 else SAILS[2:], 10)


def _stripes(cv: Canvas, tri: list[tuple[float, float]], k: int) -> None:
    """Paint ``k`` coloured bands across a sail triangle (foot to head), as many beach
    catamarans' mainsails carry."""
    rng = cv.rng
    head, foot0, foot1 = (np.asarray(p, float) for p in tri)  # the head, the two ends of the foot
    for i in range(k):
        if rng.random() < 0.4:
            continue
        a, b = i / k, (i + 1) / k  # fractions from the foot up to the head
        band = [foot0 + (head - foot0) * a, foot1 + (head - foot1) * a, foot1 + (head - foot1) * b]
        band.append(foot0 + (head - foot0) * b)
        _poly(cv, [(float(u), float(v)) for u, v in band], _c(rng, SAILS[2:], 10))


def catamaran(cv: Canvas, x: float, y: float, L: float, *, afloat: bool = True) -> None:
    """A beach catamaran whose near hull's keel line is centred on (x, y), ``L`` canvas pixels
    long, seen from an elevated camera: two slim hulls one behind the other, a trampoline
    between them, a mast about 1.6 L tall with a (often striped) mainsail and a jib, or the
    sails lowered; on the sand, often on a launching trolley. Sailing-club beaches line them up
    in rows; a model that knows only hulls with cabins misses them. Labelled boat, mast to keel."""
    rng = cv.rng
    ang = rng.uniform(0.3, 1.0)
    Lp = L * ang + L * 0.3 * (1 - ang)  # foreshortened length
    fb = max(1.0, L * rng.uniform(0.06, 0.1))  # hull height
    sep = L * rng.uniform(0.12, 0.3)  # the far hull, higher in the picture (pitch of the view)
    skew = Lp * rng.uniform(-0.15, 0.15)  # the far hull shifted sideways (heading vs the camera)
    hull = _c(rng, [(240, 240, 240), (230, 235, 240), (200, 200, 200), (40, 40, 180), (150, 80, 30)], 8)
    if not afloat and rng.random() < 0.6:  # launching trolley: two wheels under the near hull
        for wx in (x - Lp * 0.2, x + Lp * 0.2):
            cv2.circle(
                cv.img, (int(wx), int(y + fb * 0.3)), max(1, int(fb * 0.5)), (40, 40, 40), -1, cv2.LINE_AA
            )
    tramp = _c(rng, [(40, 40, 40), (90, 60, 30), (60, 60, 60), (120, 120, 120)], 8)
    far = (x + skew, y - sep)
    _poly(
        cv,
        [
            (x - Lp / 2, y - fb),
            (x + Lp / 2, y - fb),
            (far[0] + Lp / 2, far[1] - fb),
            (far[0] - Lp / 2, far[1] - fb),
        ],
        tramp,
    )
    for hx, hy in (far, (x, y)):  # far hull first, the near one over it
        _poly(
            cv,
            [(hx - Lp / 2, hy - fb), (hx + Lp / 2, hy - fb), (hx + Lp * 0.45, hy), (hx - Lp * 0.42, hy)],
            hull,
        )
        cv2.line(
            cv.img,
            (int(hx - Lp * 0.42), int(hy)),
            (int(hx + Lp * 0.45), int(hy)),
            _shade(hull, 0.6),
            1,
            cv2.LINE_AA,
        )
    mx, my = x + skew / 2 + Lp * rng.uniform(-0.05, 0.1), y - sep / 2 - fb
    mh = L * rng.uniform(1.3, 1.8)
    top = my - mh
    cv2.line(
        cv.img, (int(mx), int(my)), (int(mx), int(top)), (190, 190, 195), max(1, S // 2 + 1), cv2.LINE_AA
    )
    d = 1 if rng.random() < 0.5 else -1  # which way the sail stands out
    left, right = min(x - Lp / 2, far[0] - Lp / 2), max(x + Lp / 2, far[0] + Lp / 2)
    if rng.random() < 0.7:  # sails up
        foot = mx - d * Lp * rng.uniform(0.35, 0.6)
        main = [(mx, top), (mx, my - fb), (foot, my - fb)]
        _poly(cv, main, _sail_colour(cv))
        if rng.random() < 0.5:
            _stripes(cv, main, int(rng.integers(3, 7)))
        jib = [
            (mx + d * 1, top + mh * 0.25),
            (mx + d * Lp * rng.uniform(0.3, 0.5), my),
            (mx + d * 1, my - fb),
        ]
        _poly(cv, jib, _shade(_sail_colour(cv), 0.95))
        left, right = min(left, foot, jib[1][0]), max(right, foot, jib[1][0])
    else:  # sails down: a furled mainsail along the boom
        cv2.line(
            cv.img,
            (int(mx), int(my - fb)),
            (int(mx - d * Lp * 0.45), int(my - fb)),
            _sail_colour(cv),
            max(1, int(fb * 0.6)),
            cv2.LINE_AA,
        )
    if afloat and rng.random() < 0.5:  # a crew of one or two on the trampoline or trapeze
        for _ in range(int(rng.integers(1, 3))):
            px = mx + rng.uniform(-0.3, 0.3) * Lp
            cv2.ellipse(
                cv.img,
                (int(px), int(my - fb)),
                (max(1, int(fb * 0.5)), max(1, int(fb * 1.2))),
                0,
                0,
                360,
                _c(rng, VESTS + CLOTHES[:3], 15),
                -1,
                cv2.LINE_AA,
            )
    cv.label(0, left, top, right, y + fb * 0.2)


def windsurfer(cv: Canvas, x: float, y: float, L: float) -> None:
    """A windsurfer whose board is centred on (x, y), the board ``L`` canvas pixels long: a thin
    board, a tilted sail about 1.5 L tall (bright film, sometimes with a clear window), the
    sailor leaning out from the boom. Labelled once, as a boat, board to masthead (as boats
    carrying someone are); the sailor, half hidden by the sail, is not labelled apart."""
    rng = cv.rng
    ang = rng.uniform(0.4, 1.0)
    Lp = L * ang + L * 0.35 * (1 - ang)
    bh = max(1.0, L * 0.06)
    board = _c(rng, [(245, 245, 245), (230, 230, 230), (40, 40, 200), (30, 160, 240), (60, 60, 60)], 10)
    cv2.ellipse(
        cv.img, (int(x), int(y)), (max(1, int(Lp / 2)), max(1, int(bh))), 0, 0, 360, board, -1, cv2.LINE_AA
    )
    d = 1 if rng.random() < 0.5 else -1  # the way it sails
    tilt = rng.uniform(-0.35, 0.35)  # the rig raked fore or aft
    mh = L * rng.uniform(1.2, 1.7)
    base = (x + d * Lp * 0.05, y - bh)
    head = (base[0] + tilt * mh, base[1] - mh)
    clew = (base[0] - d * Lp * rng.uniform(0.45, 0.75), base[1] - mh * rng.uniform(0.25, 0.45))
    sail = [head, base, (clew[0], base[1] - mh * 0.08), clew]
    col = _sail_colour(cv)
    _poly(cv, sail, col)
    if rng.random() < 0.4:  # a clear window shows the water through the sail
        wx, wy = (base[0] * 2 + clew[0]) / 3, base[1] - mh * 0.2
        cv2.ellipse(
            cv.img,
            (int(wx), int(wy)),
            (max(1, int(Lp * 0.08)), max(1, int(mh * 0.06))),
            0,
            0,
            360,
            _shade(col, 0.7),
            -1,
            cv2.LINE_AA,
        )
    if rng.random() < 0.5:
        _stripes(cv, [head, base, clew], int(rng.integers(2, 5)))
    ph = L * rng.uniform(0.55, 0.75)  # the sailor, on the windward side of the rig
    px = base[0] + d * Lp * rng.uniform(0.1, 0.25)
    suit = _c(rng, [(25, 25, 25), (40, 40, 40), (60, 50, 40)], 8)
    _limb(cv, (px, y - bh), (px + d * ph * 0.15, y - ph * 0.6), ph * 0.2, ph * 0.25, suit)
    cv2.circle(
        cv.img,
        (int(px + d * ph * 0.18), int(y - ph * 0.68)),
        max(1, int(ph * 0.09)),
        _c(rng, SKIN, 10),
        -1,
        cv2.LINE_AA,
    )
    if rng.random() < 0.6:  # spray
        cv2.ellipse(
            cv.img,
            (int(x + d * Lp * 0.4), int(y)),
            (max(1, int(Lp * 0.2)), max(1, int(bh))),
            0,
            0,
            360,
            (235, 235, 235),
            -1,
            cv2.LINE_AA,
        )
    xs = [x - Lp / 2, x + Lp / 2, head[0], clew[0], px + d * ph * 0.25]
    cv.label(0, min(xs), min(head[1], y - ph * 0.78), max(xs), y + bh)


def _sailing(cv: Canvas, y0: int, y1: int, horizon: float) -> None:
    """Rows y0..y1: a sailing-club beach: water with windsurfers, catamarans and dinghies under
    sail, then the sand with catamarans and dinghies pulled up in rows (sails up or down, on
    trolleys), people among them and walkers along the water's edge; sometimes the club's
    buildings behind."""
    rng = cv.rng
    n = cv.size
    w1 = y0 + int(rng.uniform(0.15, 0.55) * (y1 - y0))
    _water(cv, y0, w1, horizon, int(rng.choice([0, 1, 2])), moored_row=False)
    afloat: list[tuple[float, str]] = []
    for _ in range(int(rng.choice([0, 1, 3, 6]))):
        afloat.append((rng.uniform(y0 + 0.1 * (w1 - y0), w1), "windsurf"))
    for _ in range(int(rng.choice([0, 1, 2]))):
        afloat.append((rng.uniform(y0 + 0.1 * (w1 - y0), w1), "cat"))
    for yy, what in sorted(afloat):
        f = _persp(yy, horizon, n)
        if what == "windsurf":
            windsurfer(cv, rng.uniform(0, n), yy, rng.uniform(6, 30) * S * f)
        else:
            catamaran(cv, rng.uniform(0, n), yy, rng.uniform(10, 45) * S * f)
    b1 = w1 + int(rng.uniform(0.5, 1.0) * (y1 - w1))
    _beach(cv, w1, b1, horizon, int(rng.choice([0, 3, 8])), edge=True)
    rows = int(rng.integers(1, 4))
    for r in range(rows):  # boats pulled up in rows, back to front
        yy = w1 + (b1 - w1) * rng.uniform(0.2 + 0.7 * r / rows, 0.2 + 0.7 * (r + 1) / rows)
        f = _persp(yy, horizon, n)
        L = rng.uniform(14, 50) * S * f
        xx = rng.uniform(-L, L)
        while xx < n + L:
            if rng.random() < 0.8:
                if rng.random() < 0.65:
                    catamaran(cv, xx, yy + rng.normal(0, 0.05 * L), L * rng.uniform(0.9, 1.1), afloat=False)
                else:
                    boat(cv, xx, yy, L * rng.uniform(0.6, 0.9), moored=True, afloat=False)
            if rng.random() < 0.25:  # sailors rigging the boats
                person(
                    cv,
                    xx + rng.uniform(-0.5, 0.5) * L,
                    yy + rng.uniform(0.05, 0.3) * L,
                    L * rng.uniform(0.5, 0.7) * 1.7 / 2,
                )
            xx += L * rng.uniform(0.7, 1.6)
    if b1 < y1:
        _town(cv, b1, y1, horizon, density=float(rng.uniform(0.3, 1.2)))


def _marina(cv: Canvas, y0: int, y1: int, horizon: float) -> None:
    """Rows y0..y1: a marina seen from a mast: two to five pontoons back to front, each with
    boats moored side by side across it, mostly seen bow or stern on and packed close (motor
    yachts, sailing yachts with bare masts, fishing boats), a walker or two on the pontoons,
    now and then an excursion ship along the quay; the quay and the town behind or in front.
    The beach-and-town webcam's most frequent missed boats are such rows of moored boats."""
    rng = cv.rng
    n = cv.size
    q0 = y0 + int(rng.uniform(0.0, 0.25) * (y1 - y0))
    if q0 > y0 + 4 * S:  # the quay and houses on the far side of the basin
        _town(cv, y0, q0, horizon, density=float(rng.uniform(0.8, 2.5)))
    w1 = y1 if rng.random() < 0.6 else y1 - int(rng.uniform(0.1, 0.3) * (y1 - q0))
    _water(cv, q0, w1, horizon, 0, moored_row=False)
    if rng.random() < 0.12:  # an excursion ship or ferry at the far quay
        yy = q0 + rng.uniform(0.1, 0.3) * (w1 - q0)
        big_ship(cv, rng.uniform(0.3, 0.7) * n, yy, rng.uniform(120, 300) * S * _persp(yy, horizon, n))
    rows = int(rng.integers(2, 6))
    for r in range(rows):  # back to front
        yy = q0 + (w1 - q0) * (0.12 + 0.85 * (r + rng.uniform(0.3, 0.9)) / rows)
        f = _persp(yy, horizon, n)
        ph = max(S, 3 * S * f)
        L0 = rng.uniform(18, 70) * S * f
        behind: list[tuple[float, float, float]] = []
        front: list[tuple[float, float, float]] = []
        xx = rng.uniform(-L0, 0)
        while xx < n + L0:
            ang = float(rng.uniform(0.12, 0.45)) if rng.random() < 0.8 else float(rng.uniform(0.5, 1.0))
            L = L0 * rng.uniform(0.7, 1.3)
            width = L * ang + L * 0.35 * (1 - ang)
            if rng.random() < 0.85:
                (behind if rng.random() < 0.5 else front).append((xx + width / 2, L, ang))
            xx += width * rng.uniform(0.75, 1.3)
        for bx, L, ang in behind:  # moored on the far side: their sterns at the pontoon
            boat(cv, bx, yy - rng.uniform(0.0, 0.15) * L, L, moored=True, ang=ang, sail_up_p=0.08)
        cv2.rectangle(cv.img, (0, int(yy)), (n, int(yy + ph)), _c(rng, [*PAVING, (150, 170, 190)]), -1)
        if rng.random() < 0.3:
            for _ in range(int(rng.integers(1, 3))):
                walker(cv, rng.uniform(0, n), yy + ph * 0.5, rng.uniform(12, 30) * S * f)
        for bx, L, ang in front:
            boat(cv, bx, yy + ph + rng.uniform(0.05, 0.3) * L, L, moored=True, ang=ang, sail_up_p=0.08)
    if w1 < y1:
        t0 = min(y1, w1 + int(rng.uniform(0.03, 0.1) * n))
        _quay(cv, w1, t0)
        if t0 < y1 - 4 * S:
            _town(cv, t0, y1, horizon, density=float(rng.uniform(0.5, 2.0)))


SHIP_HULLS: list[Colour] = [
    (40, 50, 200),  # red (BGR)
    (30, 30, 150),
    (35, 35, 35),
    (110, 60, 20),  # blue
    (90, 90, 90),
    (60, 100, 40),
    (200, 200, 200),
    (20, 90, 180),
]
CONTAINERS: list[Colour] = [
    (40, 50, 170),
    (140, 80, 30),
    (60, 130, 60),
    (200, 200, 200),
    (30, 110, 200),
    (90, 90, 90),
    (40, 40, 120),
    (150, 120, 60),
    (220, 220, 225),
]


def container_stack(cv: Canvas, x0: float, x1: float, y: float, box_h: float, rows: int) -> None:
    """Stacked shipping containers, side on: coloured boxes with vertical ribs (on a ship's deck
    or on a quay, where they are not a boat)."""
    rng = cv.rng
    box_w = box_h * rng.uniform(2.0, 4.5)
    for r in range(rows):
        yy = y - r * box_h
        xx = x0
        while xx < x1 - box_w * 0.3:
            col = _c(rng, CONTAINERS, 12)
            a, b = int(xx), int(min(x1, xx + box_w))
            cv2.rectangle(cv.img, (a, int(yy - box_h)), (b, int(yy)), col, -1)
            rib = _shade(col, 0.75)
            for k in np.arange(xx + box_h * 0.2, min(x1, xx + box_w), max(2.0, box_h * 0.22)):
                cv2.line(cv.img, (int(k), int(yy - box_h)), (int(k), int(yy)), rib, 1)
            cv2.rectangle(cv.img, (a, int(yy - box_h)), (b, int(yy)), _shade(col, 0.55), 1)
            xx += box_w
        if rng.random() < 0.3:
            x1 = x1 - box_w * rng.uniform(0.5, 2)


def _deck_crane(
    cv: Canvas,
    x: float,
    deck_y: float,
    h: float,
    reach: float,
    drop: float,
    col: Colour,
    post_t: int,
    jib_t: int,
) -> None:
    """A post ``h`` tall on the deck at ``x`` and a jib from its top, ``reach`` out (signed) and
    ``drop`` down at its tip."""
    cv2.line(cv.img, (int(x), int(deck_y)), (int(x), int(deck_y - h)), col, post_t)
    cv2.line(cv.img, (int(x), int(deck_y - h)), (int(x + reach), int(deck_y - h + drop)), col, jib_t)


def big_ship(cv: Canvas, x: float, y: float, L: float) -> None:
    """A large vessel (container ship, tanker, ferry, coaster) whose waterline centre is (x, y),
    L canvas pixels long, broadside or bow-on: a tall coloured hull, a white superstructure with
    rows of windows, a funnel, containers or deck gear, cranes; labelled as one boat. Webcams over
    ports and locks see these filling half the frame."""
    rng = cv.rng
    kind = str(rng.choice(["container", "tanker", "ferry", "coaster"]))
    hull = _c(rng, SHIP_HULLS, 10)
    white = _c(rng, [(235, 235, 235), (220, 225, 230), (245, 245, 245)], 5)
    d = 1 if rng.random() < 0.5 else -1
    if rng.random() < 0.25:  # bow on: a tall narrow wedge with the superstructure behind it
        w = L * rng.uniform(0.18, 0.3)
        fb = L * rng.uniform(0.12, 0.2)
        top_y = y - fb
        _poly(cv, [(x - w / 2, top_y), (x + w / 2, top_y), (x + w * 0.12, y), (x - w * 0.12, y)], hull)
        cv2.line(
            cv.img, (int(x - w / 2), int(top_y)), (int(x + w / 2), int(top_y)), white, max(1, int(fb * 0.06))
        )
        sh = fb * rng.uniform(0.8, 1.8)
        sw = w * rng.uniform(0.7, 1.1)
        cv2.rectangle(cv.img, (int(x - sw / 2), int(top_y - sh)), (int(x + sw / 2), int(top_y)), white, -1)
        for k in range(1, int(rng.integers(2, 5))):
            yy = top_y - sh * k / 5
            cv2.line(
                cv.img,
                (int(x - sw * 0.45), int(yy)),
                (int(x + sw * 0.45), int(yy)),
                (60, 60, 60),
                max(1, int(sh * 0.04)),
            )
        cv.label(0, x - max(w, sw) / 2, top_y - sh, x + max(w, sw) / 2, y)
        return
    fb = L * rng.uniform(0.07, 0.13)
    x0, x1 = x - L / 2, x + L / 2
    bow, stern = (x1, x0) if d > 0 else (x0, x1)
    top_y = y - fb
    rake = L * rng.uniform(0.03, 0.08)
    _poly(
        cv, [(stern, top_y), (bow + d * rake, top_y - fb * 0.15), (bow, y), (stern + d * rake * 0.3, y)], hull
    )
    # boot topping (a dark or red band at the waterline) and the deck edge
    cv2.line(
        cv.img,
        (int(stern), int(y - fb * 0.08)),
        (int(bow), int(y - fb * 0.08)),
        _c(rng, [(30, 30, 120), (30, 30, 30)]),
        max(1, int(fb * 0.15)),
    )
    cv2.line(
        cv.img,
        (int(stern), int(top_y)),
        (int(bow + d * rake), int(top_y - fb * 0.15)),
        _shade(hull, 1.3),
        max(1, int(fb * 0.08)),
    )
    if rng.random() < 0.5:  # a name in white letters on the hull
        name = "".join(rng.choice(list("ABCDEFGHKLMNOPRSTU"), int(rng.integers(4, 9))))
        scale = fb * 0.02
        cv2.putText(
            cv.img,
            name,
            (int(min(bow, stern) + L * 0.1), int(y - fb * 0.35)),
            cv2.FONT_HERSHEY_SIMPLEX,
            max(0.3, scale),
            white,
            max(1, int(scale * 2)),
            cv2.LINE_AA,
        )
    # superstructure near the stern (ferries: along most of the length)
    if kind == "ferry":
        sw, sh = L * rng.uniform(0.55, 0.8), fb * rng.uniform(1.2, 2.2)
        sx = x - d * L * 0.05
    else:
        sw, sh = L * rng.uniform(0.1, 0.18), fb * rng.uniform(1.5, 3.0)
        sx = stern + d * (sw / 2 + L * 0.04)
    s0, s1 = sx - sw / 2, sx + sw / 2
    cv2.rectangle(cv.img, (int(s0), int(top_y - sh)), (int(s1), int(top_y)), white, -1)
    for k in range(1, int(rng.integers(3, 7))):  # window rows
        yy = top_y - sh * k / 7
        cv2.line(
            cv.img,
            (int(s0 + sw * 0.05), int(yy)),
            (int(s1 - sw * 0.05), int(yy)),
            (50, 50, 60),
            max(1, int(sh * 0.03)),
        )
    top = top_y - sh
    if kind != "ferry" or rng.random() < 0.5:  # funnel
        fw = max(2.0, sw * 0.2)
        fx = sx - d * sw * 0.25
        fh = sh * rng.uniform(0.2, 0.45)
        cv2.rectangle(
            cv.img,
            (int(fx - fw / 2), int(top - fh)),
            (int(fx + fw / 2), int(top)),
            _c(rng, [(30, 30, 30), (40, 40, 200), (200, 200, 200), (200, 120, 0)]),
            -1,
        )
        top -= fh
    deck0, deck1 = (s1 + L * 0.02, bow - L * 0.06) if d > 0 else (bow + L * 0.06, s0 - L * 0.02)
    if kind == "container" and deck1 > deck0:
        rows = int(rng.integers(1, 5))
        box_h = fb * rng.uniform(0.35, 0.6)
        container_stack(cv, deck0, deck1, top_y, box_h, rows)
        top = min(top, top_y - rows * box_h)
    elif kind == "tanker" and deck1 > deck0:
        pipe = _c(rng, [(200, 200, 200), (60, 160, 60), (40, 40, 160)])
        cv2.line(
            cv.img,
            (int(deck0), int(top_y - fb * 0.15)),
            (int(deck1), int(top_y - fb * 0.15)),
            pipe,
            max(1, int(fb * 0.1)),
        )
        for k in np.linspace(deck0, deck1, int(rng.integers(2, 6))):  # manifold posts and cranes
            cv2.line(
                cv.img, (int(k), int(top_y)), (int(k), int(top_y - fb * 0.5)), pipe, max(1, int(fb * 0.06))
            )
        if rng.random() < 0.7:
            cx = (deck0 + deck1) / 2
            ch = fb * rng.uniform(1.0, 2.0)
            _deck_crane(
                cv,
                cx,
                top_y,
                ch,
                d * L * 0.12,
                ch * 0.4,
                pipe,
                max(1, int(fb * 0.08)),
                max(1, int(fb * 0.05)),
            )
    elif kind == "coaster" and deck1 > deck0:
        cv2.rectangle(
            cv.img, (int(deck0), int(top_y - fb * 0.3)), (int(deck1), int(top_y)), _shade(hull, 0.8), -1
        )
        if rng.random() < 0.6:  # a deck crane
            cx = rng.uniform(deck0, deck1)
            ch = fb * rng.uniform(1.5, 3)
            cc = _c(rng, [(0, 200, 255), (40, 40, 40), (200, 200, 200)])
            _deck_crane(
                cv, cx, top_y, ch, d * L * 0.15, ch * 0.7, cc, max(1, int(fb * 0.1)), max(1, int(fb * 0.05))
            )
    cv.label(0, min(x0, bow + d * rake), top, max(x1, bow + d * rake), y)


def port(cv: Canvas, y0: int, y1: int, horizon: float) -> None:
    """Rows y0..y1: a lock or a container port seen from a mast: quay walls of brick or
    concrete, a large ship (or two) in the water between them, containers, cranes, bollards,
    railings and flags on the quay (not boats), a small boat now and then."""
    rng = cv.rng
    n = cv.size
    h = y1 - y0
    if h < 16:
        return
    wall_col = _c(rng, [(60, 70, 120), (70, 80, 130), (120, 120, 125), (150, 150, 150), (90, 100, 110)])
    far_q = y0 + int(h * rng.uniform(0.15, 0.35))
    water_y1 = far_q + int(h * rng.uniform(0.3, 0.5))
    # far quay: wall, containers, cranes
    _texture(cv, y0, far_q, _c(rng, PAVING), 0.05, 8 * S)
    if rng.random() < 0.6:
        container_stack(
            cv,
            rng.uniform(0, n * 0.5),
            rng.uniform(n * 0.5, n),
            far_q - 2,
            (far_q - y0) * rng.uniform(0.15, 0.3),
            int(rng.integers(1, 4)),
        )
    if rng.random() < 0.5:  # a gantry crane
        cx = rng.uniform(0.1, 0.9) * n
        ch = (far_q - y0) * rng.uniform(1.0, 2.5)
        cc = _c(rng, [(0, 160, 255), (40, 40, 200), (200, 200, 200), (60, 60, 60)])
        t = max(1, int(S * 1.5))
        cv2.line(cv.img, (int(cx), int(far_q)), (int(cx), int(far_q - ch)), cc, t)
        cv2.line(cv.img, (int(cx + ch * 0.3), int(far_q)), (int(cx + ch * 0.3), int(far_q - ch)), cc, t)
        cv2.line(cv.img, (int(cx - ch * 0.4), int(far_q - ch)), (int(cx + ch * 0.8), int(far_q - ch)), cc, t)
    # the lock or basin water, then the near quay wall
    _texture(cv, far_q, water_y1, _c(rng, WATER, 15), rng.uniform(0.02, 0.06), int(rng.integers(4, 16)) * S)
    wall_h = max(4, int(h * rng.uniform(0.04, 0.1)))
    cv2.rectangle(cv.img, (0, far_q), (n, far_q + wall_h // 2), wall_col, -1)
    for xx in np.arange(0, n, rng.uniform(8, 30) * S):  # stains, ladders, fenders on the wall
        cv2.line(
            cv.img,
            (int(xx), far_q),
            (int(xx), far_q + wall_h // 2),
            _shade(wall_col, rng.uniform(0.6, 0.9)),
            max(1, S // 2),
        )
    f = _persp(water_y1, horizon, n)
    for _ in range(int(rng.choice([1, 1, 2]))):
        L = rng.uniform(0.5, 1.6) * n * f
        big_ship(cv, rng.uniform(0.1, 0.9) * n, rng.uniform(far_q + 0.6 * (water_y1 - far_q), water_y1), L)
    if rng.random() < 0.4:
        yy = rng.uniform(far_q + 4, water_y1)
        boat(cv, rng.uniform(0, n), yy, rng.uniform(15, 60) * S * _persp(yy, horizon, n))
    # near quay: wall top with railings, bollards, flags, people walking
    _texture(cv, water_y1, y1, _c(rng, PAVING), 0.05, 10 * S)
    cv2.rectangle(cv.img, (0, water_y1), (n, water_y1 + wall_h), wall_col, -1)
    step = rng.uniform(3, 7) * S
    for yy in np.arange(water_y1, water_y1 + wall_h, step):  # brick courses
        cv2.line(cv.img, (0, int(yy)), (n, int(yy)), _shade(wall_col, 0.8), 1)
    if rng.random() < 0.6:
        fence(cv, 0, n, water_y1 + wall_h, rng.uniform(6, 16) * S)
    for _ in range(int(rng.integers(0, 4))):
        yy = rng.uniform(water_y1 + wall_h, y1)
        pole(cv, rng.uniform(0, n), yy, rng.uniform(30, 90) * S * _persp(yy, horizon, n))
    if rng.random() < 0.4:
        yy = rng.uniform(water_y1 + wall_h + 4, y1)
        container_stack(
            cv,
            rng.uniform(0, n * 0.6),
            n,
            yy,
            rng.uniform(8, 20) * S * _persp(yy, horizon, n),
            int(rng.integers(1, 3)),
        )
    for _ in range(int(rng.choice([0, 1, 3]))):
        yy = rng.uniform(water_y1 + wall_h + 3, y1)
        person(cv, rng.uniform(0, n), yy, rng.uniform(10, 35) * S * _persp(yy, horizon, n))


SHIP_DECKS: list[Colour] = [(40, 40, 130), (50, 90, 50), (95, 95, 95), (40, 60, 140), (70, 70, 75)]
"""Deck paint seen from above (BGR): dark red, green, grey, rust, black."""


def oblique_ship(cv: Canvas, x: float, y: float, L: float) -> None:
    """A large vessel seen from a lock side or a building above a quay, lying at an angle: its
    hull side in perspective (one end nearer and taller), the deck seen from above, cargo by kind
    (container bays, tanker piping, hatch covers under pedestal cranes, a car carrier's tall box
    hull, a ferry's decks of windows), a bridge block with a radar mast and a funnel, a foremast;
    waterline centre (x, y), L canvas pixels long. Labelled as one boat from the mast tops to the
    waterline, also where the lock walls drawn later hide the hull, and to the tile's edge when the
    ship runs past it (as the lock webcam's annotators box ships longer than the frame)."""
    rng = cv.rng
    kind = str(rng.choice(["container", "tanker", "cargo", "roro", "ferry"]))
    d = 1 if rng.random() < 0.5 else -1  # the bow's side
    tilt = rng.uniform(-0.08, 0.08)  # waterline slope: the ship lies at an angle to the view
    k = rng.uniform(-0.2, 0.2)  # perspective: the bow (k > 0) or the stern is the nearer end
    fb = L * (rng.uniform(0.15, 0.22) if kind == "roro" else rng.uniform(0.06, 0.1))
    dk = L * rng.uniform(0.0, 0.06)  # how deep the deck looks from above, amidships
    hull = _shade(_c(rng, SHIP_HULLS, 10), rng.uniform(0.8, 1.15))
    lw = max(1, int(L * 0.004))

    def at(u: float, up: float = 0.0, back: float = 0.0) -> tuple[float, float]:
        """The point ``u`` of the way from stern to bow, ``up`` (x the local scale) above the
        waterline and ``back`` across the deck (its far side at 1)."""
        s = 1 + k * (2 * u - 1)
        return x + d * (u - 0.5) * L, y + tilt * (u - 0.5) * L - (up * fb + back * dk) * s

    xs: list[float] = []
    ys: list[float] = []

    def poly(p: list[tuple[float, float]], col: Colour) -> None:
        _poly(cv, p, col)
        xs.extend(q[0] for q in p)
        ys.extend(q[1] for q in p)

    # the hull side (a raked bow, a square stern), the boot top, the sheer line, the deck
    top = [at(u, 1.0 + 0.15 * max(0.0, u - 0.85) / 0.15) for u in np.linspace(0, 1, 8)]
    poly([*top, at(1.0 - 0.05, 0.0), at(0.0, 0.0)], hull)
    poly([at(0.0, 0.15), at(0.96, 0.15), at(0.95, 0.0), at(0.0, 0.0)], _c(rng, [(30, 30, 120), (30, 30, 30)]))
    for u in rng.uniform(0.05, 0.9, int(rng.integers(0, 8))):  # rust streaks
        a, b = at(u, 0.9), at(u, rng.uniform(0.3, 0.7))
        cv2.line(cv.img, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), _shade(hull, 0.7), lw, cv2.LINE_AA)
    deck_col = _c(rng, SHIP_DECKS)
    far = [at(u, 1.0, 1.0) for u in np.linspace(0.0, 0.85, 6)]
    if dk > 1:
        poly([*top, at(1.0, 1.15, 0.5), *far[::-1]], deck_col)
    cv2.polylines(cv.img, [_pts(top)], False, _shade(hull, 1.35), max(1, int(fb * 0.06)), cv2.LINE_AA)
    if rng.random() < 0.5:  # a name (or the owner's slogan) in big white letters
        p = at(rng.uniform(0.35, 0.6), 0.35)
        scale = max(0.3, fb * rng.uniform(0.012, 0.022))
        name = "".join(rng.choice(list("ABCDEFGHKLMNOPRSTU"), int(rng.integers(4, 12))))
        thick = max(1, int(scale * 2))
        tw = cv2.getTextSize(name, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)[0][0]
        if tw < 0.45 * L:  # centred on p, inside the hull
            org = (int(p[0] - tw / 2), int(p[1]))
            cv2.putText(
                cv.img, name, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (235, 235, 235), thick, cv2.LINE_AA
            )
    # the bridge block at the stern (a ferry's decks run most of its length)
    b0, b1 = (0.02, rng.uniform(0.1, 0.17)) if kind != "ferry" else (0.08, rng.uniform(0.75, 0.9))
    if kind == "roro":
        b0, b1 = (0.85, 0.95) if rng.random() < 0.5 else (0.02, 0.1)
    white = _c(rng, [(235, 235, 235), (220, 225, 230), (245, 245, 245)], 5)
    sh = rng.uniform(1.8, 3.8) if kind != "ferry" else rng.uniform(1.2, 2.2)
    if kind == "roro":
        sh = rng.uniform(0.15, 0.4)
    blk = [at(b0, 1.0), at(b1, 1.0), at(b1, 1.0 + sh), at(b0, 1.0 + sh)]
    poly(blk, white)
    if dk > 1:  # its roof, seen from above
        poly(
            [at(b0, 1.0 + sh), at(b1, 1.0 + sh), at(b1, 1.0 + sh, 1.0), at(b0, 1.0 + sh, 1.0)],
            _shade(white, 0.85),
        )
    rows = int(rng.integers(2, 6))
    for r in range(rows):  # window rows, the bridge's the darkest and widest
        hh = 1.0 + sh * (0.35 + 0.6 * r / max(1, rows - 1)) if rows > 1 else 1.0 + sh * 0.8
        a, b = at(b0 + 0.01, hh), at(b1 - 0.01, hh)
        cv2.line(
            cv.img, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), (50, 50, 60), max(1, int(fb * sh * 0.05))
        )
    mast_top = 1.0 + sh + rng.uniform(0.6, 1.8)
    um = (b0 + b1) / 2
    for u, h0, h1 in [(um, 1.0 + sh, mast_top), (0.97, 1.1, 1.1 + rng.uniform(0.8, 2.0))]:
        a, b = at(u, h0), at(u, h1)
        cv2.line(cv.img, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), _shade(white, 0.9), lw, cv2.LINE_AA)
        cv2.line(
            cv.img,
            (int(b[0] - fb * 0.25), int(b[1] + fb * 0.2)),
            (int(b[0] + fb * 0.25), int(b[1] + fb * 0.2)),
            (60, 60, 60),
            lw,
        )
        xs.extend([a[0], b[0] - fb * 0.25, b[0] + fb * 0.25])
        ys.extend([a[1], b[1]])
    if kind in ("container", "tanker", "cargo") or rng.random() < 0.5:  # the funnel behind the bridge
        f0, f1 = at(max(0.0, b0 - 0.005), 1.0 + sh), at(b0 + 0.05, 1.0 + sh + rng.uniform(0.4, 1.0))
        fc = _c(rng, [(30, 30, 30), (40, 40, 200), (200, 200, 200), (200, 120, 0), (0, 140, 255)])
        poly([f0, (f1[0], f0[1]), f1, (f0[0], f1[1])], fc)
    # the cargo
    c0, c1 = (b1 + 0.02, 0.9) if kind != "roro" else (0.12, 0.84)
    if kind == "container":
        box_h = rng.uniform(0.35, 0.5)
        for u in np.arange(c0, c1, rng.uniform(0.04, 0.07)):
            n_high = int(rng.integers(0, 6)) if rng.random() < 0.85 else 0
            for r in range(n_high):
                col = _c(rng, CONTAINERS, 12)
                q = [
                    at(u, 1.0 + r * box_h),
                    at(u + 0.045, 1.0 + r * box_h),
                    at(u + 0.045, 1.0 + (r + 1) * box_h),
                    at(u, 1.0 + (r + 1) * box_h),
                ]
                poly(q, col)
                cv2.polylines(cv.img, [_pts(q)], True, _shade(col, 0.55), 1)
            if n_high and dk > 1:
                hh = 1.0 + n_high * box_h
                poly(
                    [at(u, hh), at(u + 0.045, hh), at(u + 0.045, hh, 0.9), at(u, hh, 0.9)],
                    _shade(_c(rng, CONTAINERS, 12), 1.1),
                )
    elif kind == "tanker":
        pipe = _c(rng, [(200, 200, 200), (60, 160, 60), (40, 40, 160), (0, 200, 255)])
        for back in (0.3, 0.6):
            a, b = at(c0, 1.2, back), at(c1, 1.2, back)
            cv2.line(
                cv.img,
                (int(a[0]), int(a[1])),
                (int(b[0]), int(b[1])),
                pipe,
                max(1, int(fb * 0.08)),
                cv2.LINE_AA,
            )
        for u in np.linspace(c0, c1, int(rng.integers(3, 9))):
            a, b = at(u, 1.0, 0.5), at(u, 1.6, 0.5)
            cv2.line(cv.img, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), pipe, max(1, int(fb * 0.05)))
    elif kind == "cargo":
        hatch = _c(rng, [(60, 60, 60), (110, 60, 20), (50, 90, 50), (40, 40, 130)])
        for u in np.arange(c0, c1 - 0.1, 0.15):
            poly([at(u, 1.05), at(u + 0.12, 1.05), at(u + 0.12, 1.3, 0.8), at(u, 1.3, 0.8)], hatch)
        cc = _c(rng, [(240, 240, 240), (0, 200, 255), (40, 40, 200), (60, 60, 60)])
        for u in np.linspace(c0 + 0.1, c1 - 0.1, int(rng.integers(1, 4))):  # pedestal cranes
            ch = rng.uniform(2.0, 4.0)
            a, b = at(u, 1.0, 0.5), at(u, 1.0 + ch, 0.5)
            tip = (
                b[0] + d * rng.uniform(0.1, 0.25) * L * rng.choice([-1, 1]),
                b[1] + fb * rng.uniform(-0.8, 1.5),
            )
            cv2.line(cv.img, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), cc, max(1, int(fb * 0.12)))
            cv2.line(
                cv.img,
                (int(a[0]), int(b[1] + fb * 0.5)),
                (int(tip[0]), int(tip[1])),
                cc,
                max(1, int(fb * 0.08)),
                cv2.LINE_AA,
            )
            xs.extend([b[0], tip[0]])
            ys.extend([b[1], tip[1]])
    elif kind == "ferry":
        k_boats = int(rng.integers(1, 4))
        for j in range(k_boats):  # orange or red lifeboats slung along the lowest deck
            u = b0 + 0.05 + (b1 - b0 - 0.1) * j / k_boats
            a, b = at(u, 1.0 + sh * 0.25), at(u + (b1 - b0 - 0.1) / k_boats * 0.6, 1.0 + sh * 0.25)
            cv2.line(
                cv.img,
                (int(a[0]), int(a[1])),
                (int(b[0]), int(b[1])),
                _c(rng, [(0, 140, 255), (40, 40, 200)]),
                max(1, int(fb * 0.12)),
            )
    else:  # roro: the upper hull white or with a coloured band, a row of vents
        poly(
            [at(0.02, 0.75), at(0.97, 0.8), at(0.97, 1.0), at(0.02, 1.0)],
            _shade(white, rng.uniform(0.85, 1.0)),
        )
    cv.label(0, min(xs), min(ys), max(xs), max(ys), occludable=False, min_inside=0.05)


def flagpole(cv: Canvas, x: float, y: float, h: float) -> None:
    """A tall white flagpole at (x, y), ``h`` canvas pixels high, with a big flag flying or hanging
    (a company's or a country's colours, sometimes a logo); never labelled: the lock and beach
    webcams' flags were among the most confident false boats."""
    rng = cv.rng
    pc = _c(rng, [(235, 235, 235), (200, 200, 200), (150, 150, 150)])
    cv2.line(cv.img, (int(x), int(y)), (int(x), int(y - h)), pc, max(1, int(h * 0.012)), cv2.LINE_AA)
    fw, fh = h * rng.uniform(0.2, 0.4), h * rng.uniform(0.13, 0.25)
    side = 1 if rng.random() < 0.5 else -1
    hang = rng.random() < 0.35  # no wind: hanging down the pole
    if hang:
        fw, fh = fh * 0.5, fw
    top = y - h * 0.98
    wave = fh * rng.uniform(0.0, 0.25)
    pts = [
        (x, top),
        (x + side * fw * 0.5, top + wave),
        (x + side * fw, top + wave * 0.3),
        (x + side * fw, top + fh + wave * 0.3),
        (x + side * fw * 0.5, top + fh + wave),
        (x, top + fh),
    ]
    base = _c(rng, [(245, 245, 245), (0, 0, 200), (150, 60, 0), (0, 200, 255), (40, 120, 40)])
    _poly(cv, pts, base)
    r = rng.random()
    if r < 0.4:  # stripes
        c2 = _c(rng, [(0, 0, 200), (150, 60, 0), (245, 245, 245), (20, 20, 20), (0, 200, 255)])
        for j in range(1, 3, 2):
            a, b = top + fh * j / 3, top + fh * (j + 1) / 3
            _poly(cv, [(x, a), (x + side * fw, a + wave * 0.3), (x + side * fw, b + wave * 0.3), (x, b)], c2)
    elif r < 0.75:  # a logo
        c2 = _c(rng, [(150, 60, 0), (0, 0, 200), (20, 20, 20)])
        cv2.circle(
            cv.img,
            (int(x + side * fw * 0.5), int(top + fh * 0.5 + wave * 0.5)),
            max(1, int(fh * 0.28)),
            c2,
            -1,
        )


def _lock(cv: Canvas, y0: int, y1: int, horizon: float) -> None:
    """Rows y0..y1: a canal lock or a quay seen from a building beside it: a far bank of trees and
    houses, the far lock wall, one big ship in the chamber (half the time longer than the tile
    and cut by its edges), sometimes a yacht with its mast, then the near wall with railings,
    fences, flagpoles, lamp posts, kiosks and a few walkers (the lock webcam's view)."""
    rng = cv.rng
    n = cv.size
    h = y1 - y0
    if h < 32:
        return
    far = y0 + int(h * rng.uniform(0.04, 0.2))
    if far > y0:
        if rng.random() < 0.6:
            vegetation(cv, y0, far)
        else:
            _town(cv, y0, far, horizon, density=float(rng.uniform(1.0, 3.0)))
    wall_col = _c(rng, [(60, 70, 120), (70, 80, 130), (120, 120, 125), (150, 150, 150), (90, 100, 110)])
    w0 = far + int(h * rng.uniform(0.02, 0.06))
    cv2.rectangle(cv.img, (0, far), (n, w0), wall_col, -1)
    w1 = w0 + int(h * rng.uniform(0.2, 0.45))
    _texture(cv, w0, w1, _c(rng, WATER, 15), rng.uniform(0.02, 0.06), int(rng.integers(4, 16)) * S)
    L = n * (rng.uniform(0.35, 1.0) if rng.random() < 0.5 else rng.uniform(1.0, 2.5))
    half = L / 2
    x = rng.uniform(half * 0.9, n - half * 0.9) if n > L else rng.uniform(0.7 * n - half, 0.3 * n + half)
    yw = rng.uniform(w0 + 0.5 * (w1 - w0), w1 + 0.06 * h)
    oblique_ship(cv, x, yw, L)
    if rng.random() < 0.3:  # a yacht or a launch in the chamber
        yy = rng.uniform(w0 + 0.6 * (w1 - w0), w1)
        boat(cv, rng.uniform(0.1, 0.9) * n, yy, rng.uniform(0.1, 0.35) * n)
    wall_h = max(4, int(h * rng.uniform(0.04, 0.12)))
    cv2.rectangle(cv.img, (0, w1), (n, w1 + wall_h), wall_col, -1)
    for yy in np.arange(w1, w1 + wall_h, rng.uniform(3, 7) * S):  # brick courses
        cv2.line(cv.img, (0, int(yy)), (n, int(yy)), _shade(wall_col, 0.8), 1)
    g0 = min(n, w1 + wall_h)
    if g0 < y1:
        _texture(cv, g0, y1, _c(rng, GRASS + PAVING), 0.06, 12 * S)
    if rng.random() < 0.7:
        fence(cv, 0, n, g0 + rng.uniform(0, 0.3) * max(0, y1 - g0), rng.uniform(8, 30) * S)
    for _ in range(int(rng.integers(0, 3))):
        flagpole(cv, rng.uniform(0, n), rng.uniform(g0, y1 + 0.2 * h), rng.uniform(0.3, 0.8) * h)
    for _ in range(int(rng.integers(0, 3))):
        pole(cv, rng.uniform(0, n), rng.uniform(g0, y1), rng.uniform(40, 120) * S)
    if rng.random() < 0.4:  # a kiosk or a container on the lock side
        yy = rng.uniform(g0, y1)
        xx = rng.uniform(0, n * 0.8)
        container_stack(cv, xx, xx + rng.uniform(20, 60) * S, yy, rng.uniform(10, 25) * S, 1)
    for _ in range(int(rng.choice([0, 0, 1, 2]))):
        yy = rng.uniform(g0 + 4, y1)
        person(cv, rng.uniform(0, n), yy, rng.uniform(12, 35) * S)


# --- scenes ----------------------------------------------------------------------------------


def _sky(cv: Canvas, y1: int) -> None:
    rng = cv.rng
    if y1 <= 0:
        return
    zen = np.array(
        _c(rng, [(200, 150, 90), (210, 170, 120), (190, 180, 170), (220, 210, 200), (170, 170, 170)])
    )
    hor = np.array(_c(rng, [(225, 215, 200), (230, 225, 215), (200, 200, 200), (200, 215, 235)]))
    t = np.linspace(0, 1, y1, dtype=np.float32)[:, None, None]
    cv.img[:y1] = np.clip(zen * (1 - t) + hor * t, 0, 255).astype(np.uint8)
    for _ in range(int(rng.choice([0, 2, 6]))):  # clouds
        cx, cy = rng.uniform(0, cv.size), rng.uniform(0, y1)
        for _k in range(int(rng.integers(3, 9))):
            r = rng.uniform(10, 60) * S
            cv2.ellipse(
                cv.img[:y1],  # a view: nothing spills below the sky
                (int(cx + rng.normal(0, r)), int(cy + rng.normal(0, r * 0.3))),
                (int(r), int(r * 0.45)),
                0,
                0,
                360,
                _c(rng, [(245, 245, 245), (225, 225, 230), (200, 200, 205)]),
                -1,
                cv2.LINE_AA,
            )
    cv.img[:y1] = cv2.GaussianBlur(cv.img[:y1], (0, 0), 3 * S)
    for _ in range(int(rng.choice([0, 0, 1, 3, 6]))):  # small fair-weather puffs, sharper edged
        cx, cy, r = rng.uniform(0, cv.size), rng.uniform(0, y1), rng.uniform(4, 30) * S
        puff = cv.img[:y1].copy()
        for _k in range(int(rng.integers(2, 6))):
            cv2.ellipse(
                puff,
                (int(cx + rng.normal(0, r * 0.6)), int(cy + rng.normal(0, r * 0.2))),
                (max(1, int(r * rng.uniform(0.4, 1.0))), max(1, int(r * rng.uniform(0.3, 0.6)))),
                0,
                0,
                360,
                _c(rng, [(250, 250, 250), (235, 235, 240), (215, 215, 220)]),
                -1,
                cv2.LINE_AA,
            )
        cv.img[:y1] = cv2.GaussianBlur(puff, (0, 0), rng.uniform(0.5, 1.5) * S)


def cumulus(cv: Canvas, cx: float, base: float, w: float, sky: int) -> None:
    """A fair-weather cumulus whose flat base is at row ``base``, about ``w`` canvas pixels wide,
    inside the sky (rows 0..``sky``): a cauliflower top of overlapping domes, sunlit white above,
    shaded grey towards the base, with a mottled texture and a soft edge. Real webcam skies are
    full of such clouds and a detector trained on boats with white sails boxes pieces of them;
    never labelled."""
    rng = cv.rng
    n = cv.size
    h = w * rng.uniform(0.25, 0.6)
    x0, x1 = int(max(0, cx - w)), int(min(n, cx + w))
    y0, y1 = int(max(0, base - 1.6 * h)), int(min(sky, base + 2))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for _ in range(int(rng.integers(4, 12))):  # domes along the top, biggest in the middle
        u = rng.uniform(-0.5, 0.5)
        r = w * rng.uniform(0.12, 0.3) * (1.2 - abs(u))
        cy = base - rng.uniform(0.2, 1.0) * h * (1.1 - abs(u))
        cv2.circle(mask, (int(cx + u * w - x0), int(cy - y0)), max(1, int(r)), 255, -1, cv2.LINE_AA)
    mask[int(base - y0) :] = 0  # the flat base
    soft = cv2.GaussianBlur(mask, (0, 0), max(0.6, w * 0.01)).astype(np.float32)[..., None] / 255
    rows = np.linspace(0, 1, y1 - y0, dtype=np.float32)[:, None, None]  # 0 top, 1 base
    lit = np.array(_c(rng, [(250, 250, 250), (240, 242, 245), (235, 235, 230)], 4), np.float32)
    shade = lit * rng.uniform(0.55, 0.8)
    col = lit * (1 - rows**1.5) + shade * rows**1.5
    tex = cv2.resize(
        rng.normal(1.0, 0.035, (max(2, (y1 - y0) // (6 * S)), max(2, (x1 - x0) // (6 * S)))).astype(
            np.float32
        ),
        (x1 - x0, y1 - y0),
        interpolation=cv2.INTER_CUBIC,
    )[..., None]
    region = cv.img[y0:y1, x0:x1].astype(np.float32)
    cv.img[y0:y1, x0:x1] = np.clip(region * (1 - soft) + col * tex * soft, 0, 255).astype(np.uint8)


def _skyline(cv: Canvas, y0: int, y1: int) -> None:
    """A fairway webcam's view (rows y0..y1): a big sky of cumulus over a far shore with
    chimneys, masts, pylons or a lighthouse, a wide water with navigation marks and buoys
    (unlabelled) and a few boats, from specks of a few pixels far off to small ones nearer
    (labelled), sometimes a wooded bank in front. What the harbour webcam shows: its false
    boats after fine-tuning were pieces of clouds, radio masts, a red buoy and a lighthouse."""
    rng = cv.rng
    n = cv.size
    sky = y0 + int(rng.uniform(0.3, 0.65) * (y1 - y0))
    _sky(cv, sky)
    for _ in range(int(rng.integers(2, 9))):
        w = rng.uniform(15, 160) * S
        cumulus(cv, rng.uniform(0, n), rng.uniform(0.2, 1.0) * sky, w, sky)
    fh = int(rng.uniform(0.02, 0.07) * n)
    _town(cv, sky, sky + fh, sky - 5, density=float(rng.uniform(1.0, 3.0)))
    for _ in range(int(rng.choice([1, 1, 2, 3]))):
        landmarks(cv, sky + fh * rng.uniform(0.3, 1.0), sky)
    w0 = sky + fh
    bank = rng.random() < 0.35
    w1 = y1 - int(rng.uniform(0.1, 0.35) * (y1 - w0)) if bank else y1
    horizon = float(sky)
    _water(cv, w0, w1, horizon, int(rng.choice([0, 1, 2, 3])), moored_row=False)
    for _ in range(int(rng.choice([0, 1, 2, 4]))):  # far boats: specks with a wake
        yy = rng.uniform(w0 + 2 * S, w0 + 0.5 * (w1 - w0))
        boat(cv, rng.uniform(0, n), yy, max(6 * S, rng.uniform(8, 40) * S * _persp(yy, horizon, n)))
    for _ in range(int(rng.choice([0, 1, 2, 3]))):
        yy = rng.uniform(w0 + 2 * S, w1)
        nav_mark(cv, rng.uniform(0, n), yy, max(5 * S, rng.uniform(10, 60) * S * _persp(yy, horizon, n)))
    if bank:
        _texture(cv, w1, y1, _c(rng, GRASS), 0.08, 16 * S)
        vegetation(cv, w1, y1)


BUOY_KINDS = ("can", "cone", "float", "ball")


def _shaded_fill(cv: Canvas, pts: list[tuple[float, float]], col: Colour, light: float) -> None:
    """Fill the polygon ``pts`` with ``col`` lit from one side as a round body is: bright where
    ``light`` (0 = left edge, 1 = right edge) falls, a narrow glint there, dark at the far edge."""
    a = _pts(pts)
    x0, y0 = np.maximum(a.min(axis=0), 0)
    x1, y1 = np.minimum(a.max(axis=0) + 1, cv.size)
    if x1 - x0 < 1 or y1 - y0 < 1:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [a - [x0, y0]], 255, cv2.LINE_AA)
    u = (np.arange(x1 - x0, dtype=np.float32) + 0.5) / (x1 - x0)
    f = 0.45 + 0.75 * np.clip(1 - np.abs(u - light) * 1.4, 0, 1) ** 1.3
    f += 0.35 * np.exp(-(((u - light) / 0.06) ** 2))  # the glint
    body = np.clip(np.array(col, np.float32)[None, None, :] * f[None, :, None], 0, 255)
    m = (mask.astype(np.float32) / 255)[:, :, None]
    roi = cv.img[y0:y1, x0:x1].astype(np.float32)
    cv.img[y0:y1, x0:x1] = (roi * (1 - m) + body * m).astype(np.uint8)


def _tilt(pts: list[tuple[float, float]], x: float, y: float, a: float) -> list[tuple[float, float]]:
    """``pts`` turned by ``a`` radians about (x, y) (a buoy leaning in the tide)."""
    c, s_ = math.cos(a), math.sin(a)
    return [(x + (px - x) * c - (py - y) * s_, y + (px - x) * s_ + (py - y) * c) for px, py in pts]


def _tilted_line(
    cv: Canvas,
    p: tuple[float, float],
    q: tuple[float, float],
    pivot: tuple[float, float, float],
    col: Colour,
    t: int,
) -> None:
    """An antialiased line from ``p`` to ``q`` after turning both by ``pivot`` = (x, y, radians)."""
    (px, py), (qx, qy) = _tilt([p, q], *pivot)
    cv2.line(cv.img, (int(px), int(py)), (int(qx), int(qy)), col, t, cv2.LINE_AA)


def shaded_buoy(cv: Canvas, x: float, y: float, h: float) -> str:
    """A buoy floating at (x, y) (its waterline centre), h canvas pixels tall, drawn round and lit
    as real ones look from a harbour or fairway webcam, never labelled; returns its kind: a red or
    green ``can`` (a cylinder on a wider float, its top cut slanted, leaning in the tide), a
    ``cone`` (a conical mark with a lantern cage or a top mark), a yellow ``float`` (a boxy
    special mark or swimming-zone float) or a mooring ``ball``. The real buoys that the shipped
    weights took for boats at 0.7-0.8 were such cans, cones and yellow floats."""
    rng = cv.rng
    kind = str(rng.choice(BUOY_KINDS, p=[0.35, 0.3, 0.2, 0.15]))
    light = float(rng.uniform(0.15, 0.85))
    lean = float(rng.normal(0, 0.12))
    if kind == "ball":
        r = h / 2
        col = _c(rng, [(240, 240, 240), (0, 120, 255), (40, 40, 210), (0, 200, 250)], 10)
        k = 16
        pts = [
            (x + r * math.cos(2 * math.pi * i / k), y - r * 0.8 + r * math.sin(2 * math.pi * i / k))
            for i in range(k)
        ]
        _shaded_fill(cv, pts, col, light)
    elif kind == "float":
        w = h * rng.uniform(0.9, 1.8)
        col = _c(rng, [(0, 210, 245), (0, 190, 230), (20, 160, 240)], 10)
        pts = [(x - w / 2, y), (x + w / 2, y), (x + w * 0.45, y - h * 0.6), (x - w * 0.45, y - h * 0.6)]
        _shaded_fill(cv, _tilt(pts, x, y, lean / 2), col, light)
        if rng.random() < 0.5:  # a yellow cross or a can on top
            cv2.line(
                cv.img, (int(x), int(y - h * 0.6)), (int(x), int(y - h)), (20, 20, 20), max(1, int(h * 0.06))
            )
            cv2.line(
                cv.img,
                (int(x - h * 0.15), int(y - h * 0.9)),
                (int(x + h * 0.15), int(y - h * 0.9)),
                col,
                max(1, int(h * 0.08)),
            )
    else:
        col = _c(rng, [(40, 40, 200), (30, 30, 160), (40, 130, 40), (50, 110, 30)], 12)
        w = h * rng.uniform(0.35, 0.6)
        base = [
            (x - w * 0.75, y),
            (x + w * 0.75, y),
            (x + w * 0.7, y - h * 0.18),
            (x - w * 0.7, y - h * 0.18),
        ]
        if kind == "can":
            slant = h * rng.uniform(-0.12, 0.12)
            body = [
                (x - w / 2, y - h * 0.15),
                (x + w / 2, y - h * 0.15),
                (x + w / 2, y - h * 0.85 + slant),
                (x - w / 2, y - h * 0.85 - slant),
            ]
        else:
            body = [
                (x - w / 2, y - h * 0.15),
                (x + w / 2, y - h * 0.15),
                (x + w * 0.12, y - h * 0.85),
                (x - w * 0.12, y - h * 0.85),
            ]
        _shaded_fill(cv, _tilt(base, x, y, lean), _shade(col, 0.85), light)
        _shaded_fill(cv, _tilt(body, x, y, lean), col, light)
        if kind == "can":  # the slanted top face, darker
            _tilted_line(cv, body[3], body[2], (x, y, lean), _shade(col, 0.45), max(1, int(h * 0.07)))
        if rng.random() < 0.6:  # lantern cage or top mark on a short post
            _tilted_line(cv, (x, y - h * 0.85), (x, y - h), (x, y, lean), (35, 35, 35), max(1, int(h * 0.05)))
            if rng.random() < 0.5:
                hx, hy = _tilt([(x, y - h)], x, y, lean)[0]
                cv2.circle(
                    cv.img,
                    (int(hx), int(hy)),
                    max(1, int(w * 0.18)),
                    col if rng.random() < 0.6 else (230, 230, 230),
                    -1,
                    cv2.LINE_AA,
                )
        if rng.random() < 0.4:  # a white band
            _tilted_line(
                cv,
                (x - w / 2, y - h * 0.5),
                (x + w / 2, y - h * 0.5),
                (x, y, lean),
                (225, 225, 225),
                max(1, int(h * 0.06)),
            )
    w_ = h * 0.9  # lapping water at the waterline, then the reflection of the whole buoy
    cv2.line(
        cv.img,
        (int(x - w_ / 2), int(y)),
        (int(x + w_ / 2), int(y)),
        (235, 235, 235),
        max(1, int(h * 0.04)),
        cv2.LINE_AA,
    )
    reflect(cv, x - w_ / 2, y - h, x + w_ / 2, y)
    return kind


def _moorings(cv: Canvas, y0: int, y1: int, horizon: float) -> None:
    """Water full of buoys (rows y0..y1), seen from a webcam: shaded cans, cones, yellow floats
    and mooring balls, sometimes a line of swimming-zone floats, and among them a few boats of
    the same sizes (labelled) so that a model must tell them apart rather than drop everything on
    the water; sometimes a strip of beach with shell tents, or a car park, at the bottom."""
    rng = cv.rng
    n = cv.size
    w1 = y1 - int(rng.uniform(0.0, 0.35) * (y1 - y0)) if rng.random() < 0.5 else y1
    if y1 - w1 < 12 * S:  # too thin a strip for a tent or a car: all water
        w1 = y1
    _water(cv, y0, w1, horizon, 0, moored_row=False)
    if rng.random() < 0.35:  # a swimming-zone line of small floats
        yy = rng.uniform(y0 + 0.2 * (w1 - y0), w1)
        f = _persp(yy, horizon, n)
        xx, dy = rng.uniform(-10, 10), rng.uniform(-0.15, 0.15)
        while xx < n:
            shaded_buoy(cv, xx, yy + dy * xx, max(4 * S, rng.uniform(5, 12) * S * f))
            xx += rng.uniform(20, 45) * S * f
    for _ in range(int(rng.integers(2, 9))):
        yy = rng.uniform(y0 + 3 * S, w1)
        shaded_buoy(cv, rng.uniform(0, n), yy, max(5 * S, rng.uniform(12, 80) * S * _persp(yy, horizon, n)))
    for _ in range(int(rng.choice([0, 1, 1, 2, 3]))):
        yy = rng.uniform(y0 + 3 * S, w1)
        boat(cv, rng.uniform(0, n), yy, max(8 * S, rng.uniform(15, 110) * S * _persp(yy, horizon, n)))
    if w1 < y1:
        if rng.random() < 0.6:
            sand = _c(rng, SAND)
            _texture(cv, w1, y1, sand, 0.05, 12 * S)
            for _ in range(int(rng.integers(1, 6))):
                yy = rng.uniform(w1 + 4 * S, y1)
                beach_tent(cv, rng.uniform(0, n), yy, rng.uniform(20, 60) * S * _persp(yy, horizon, n))
        else:
            parking_lot(cv, w1, y1, horizon)


LANDMARK_KINDS = ("stacks", "turbines", "lighthouse", "mast")


def landmarks(cv: Canvas, base: float, sky: int) -> None:
    """Tall thin landmarks standing on the far shore at row ``base`` and rising into the sky
    (``sky``: the sky's height in rows): power-station chimneys, wind turbines, a lighthouse or a
    radio mast. Upright, pale and alone on the horizon, they look like a mast or a sail to a
    detector (the real harbour webcam's two chimneys became boats in every frame); never
    labelled."""
    rng = cv.rng
    n = cv.size
    kind = str(rng.choice(LANDMARK_KINDS))
    x = rng.uniform(0.05, 0.95) * n
    top = max(sky, 8 * S)  # the tallest reach near the top of the sky
    pale = _c(rng, [(225, 225, 225), (200, 200, 205), (170, 175, 180), (240, 240, 240)], 8)
    if kind == "stacks":
        h = rng.uniform(0.3, 0.95) * top
        w = max(S, h * rng.uniform(0.03, 0.08))
        for k in range(int(rng.integers(1, 4))):
            xx = x + k * w * rng.uniform(2.5, 6)
            hh = h * rng.uniform(0.85, 1.0)
            cv2.rectangle(cv.img, (int(xx - w / 2), int(base - hh)), (int(xx + w / 2), int(base)), pale, -1)
            if rng.random() < 0.6:  # red and white bands at the top
                for b in range(int(rng.integers(1, 4))):
                    y0 = base - hh + b * hh * 0.08
                    cv2.rectangle(
                        cv.img,
                        (int(xx - w / 2), int(y0)),
                        (int(xx + w / 2), int(y0 + hh * 0.04)),
                        (40, 40, 200),
                        -1,
                    )
    elif kind == "turbines":
        for _ in range(int(rng.integers(1, 7))):
            h = rng.uniform(0.25, 0.9) * top
            t = max(1, int(h * 0.02))
            cv2.line(cv.img, (int(x), int(base)), (int(x), int(base - h)), pale, t, cv2.LINE_AA)
            a0 = rng.uniform(0, 2 * np.pi)
            for k in range(3):  # blades
                a = a0 + k * 2 * np.pi / 3
                L = h * rng.uniform(0.4, 0.5)
                tip = (int(x + L * np.cos(a)), int(base - h + L * np.sin(a)))
                cv2.line(cv.img, (int(x), int(base - h)), tip, pale, t, cv2.LINE_AA)
            x += rng.uniform(0.05, 0.25) * n
    elif kind == "lighthouse":
        h = rng.uniform(0.2, 0.6) * top
        wb, wt = h * 0.14, h * 0.09
        band = _c(rng, [(40, 40, 200), (30, 30, 30), (40, 40, 200)], 10)
        for b in range(6):  # a tapered tower in alternating bands
            f0, f1 = b / 6, (b + 1) / 6
            w0, w1 = wb + (wt - wb) * f0, wb + (wt - wb) * f1
            _poly(
                cv,
                [
                    (x - w0 / 2, base - h * f0),
                    (x + w0 / 2, base - h * f0),
                    (x + w1 / 2, base - h * f1),
                    (x - w1 / 2, base - h * f1),
                ],
                band if b % 2 else pale,
            )
        cv2.rectangle(
            cv.img,
            (int(x - wt * 0.6), int(base - h * 1.12)),
            (int(x + wt * 0.6), int(base - h)),
            (40, 40, 40),
            -1,
        )
    else:  # a radio mast: a thin lattice in red and white sections
        h = rng.uniform(0.4, 1.0) * top
        t = max(1, int(S * rng.uniform(0.6, 1.5)))
        for b in range(7):
            col = (40, 40, 200) if b % 2 else (230, 230, 230)
            cv2.line(cv.img, (int(x), int(base - h * b / 7)), (int(x), int(base - h * (b + 1) / 7)), col, t)


def _town(cv: Canvas, y0: int, y1: int, horizon: float, density: float) -> None:
    """Rows y0..y1: streets, houses, trees, cars, fences, poles, a few people; back to front."""
    rng = cv.rng
    n = cv.size
    _texture(cv, y0, y1, _c(rng, GRASS + PAVING), 0.08, 24 * S)
    roads: list[tuple[float, float]] = []
    for _ in range(int(rng.integers(0, 4))):  # roads
        yy = rng.uniform(y0, y1)
        f = _persp(yy, horizon, n)
        w = rng.uniform(8, 30) * S * f
        roads.append((yy, w))
        col = _c(rng, PAVING)
        cv2.rectangle(cv.img, (0, int(yy - w / 2)), (n, int(yy + w / 2)), col, -1)
        if rng.random() < 0.5:
            for xx in np.arange(rng.uniform(0, 20), n, rng.uniform(20, 50) * S * f):
                cv2.line(
                    cv.img,
                    (int(xx), int(yy)),
                    (int(xx + 8 * S * f), int(yy)),
                    (235, 235, 235),
                    max(1, int(S * f)),
                )
    items = int(density * (y1 - y0) * n / (S * S) / 900)
    ys = np.sort(rng.uniform(y0, y1 + 0.25 * (y1 - y0), items))
    people: list[float] = []
    for yy in ys:
        f = _persp(yy, horizon, n)
        xx = rng.uniform(-20, n + 20)
        r = rng.random()
        if r < 0.35:
            house(cv, xx, yy, rng.uniform(30, 110) * S * f)
        elif r < 0.6:
            tree(cv, xx, yy, rng.uniform(8, 30) * S * f)
        elif r < 0.7:
            car(cv, xx, yy, rng.uniform(12, 30) * S * f)
        elif r < 0.75:
            car_park(cv, xx, xx + rng.uniform(40, 250) * S * f, yy, rng.uniform(12, 28) * S * f)
        elif r < 0.82:
            fence(cv, xx, xx + rng.uniform(30, 200) * S * f, yy, rng.uniform(3, 12) * S * f)
        elif r < 0.9:
            pole(cv, xx, yy, rng.uniform(15, 60) * S * f)
        elif r < 0.95:
            beach_chair(cv, xx, yy, rng.uniform(5, 14) * S * f)
        else:
            people.append(yy)
    skip = 0  # people already drawn in a walking group
    for yy in people:  # last, so that no nearer house or tree hides a labelled person
        if skip:
            skip -= 1
            continue
        if rng.random() < 0.5:  # walking along a road or the pavement
            ry, rw = roads[int(rng.integers(len(roads)))] if roads and rng.random() < 0.7 else (yy, 0.0)
            ry = min(ry + rng.uniform(-0.4, 0.4) * rw, y1 - 1)
            k = group_size(rng)
            skip = k - 1
            walking_group(cv, rng.uniform(0, n), ry, rng.uniform(10, 40) * S * _persp(ry, horizon, n), k)
            continue
        f = _persp(yy, horizon, n)
        person(
            cv, rng.uniform(0, n), min(yy, y1 - 1), rng.uniform(10, 40) * S * f, sitting=rng.random() < 0.15
        )


def _water(cv: Canvas, y0: int, y1: int, horizon: float, boats: int, moored_row: bool) -> None:
    rng = cv.rng
    n = cv.size
    _texture(cv, y0, y1, _c(rng, WATER, 15), rng.uniform(0.02, 0.08), int(rng.integers(4, 20)) * S)
    if y1 - y0 < 8:  # a sliver of water: nothing fits on it
        return
    if rng.random() < 0.3:
        glitter(cv, y0, y1)
    for _ in range(int(rng.integers(0, 60))):  # wave crests and glints
        yy = rng.uniform(y0, y1)
        f = _persp(yy, horizon, n)
        xx = rng.uniform(0, n)
        cv2.line(
            cv.img,
            (int(xx), int(yy)),
            (int(xx + rng.uniform(3, 25) * S * f), int(yy)),
            _shade(_pixel(cv.img, int(yy), int(xx) % n), rng.uniform(1.1, 1.5)),
            max(1, int(S * f)),
            cv2.LINE_AA,
        )
    if moored_row:  # a pontoon with boats side by side
        yy = rng.uniform(y0 + 0.3 * (y1 - y0), y1)
        f = _persp(yy, horizon, n)
        cv2.rectangle(cv.img, (0, int(yy)), (n, int(yy + 3 * S * f)), _c(rng, [*PAVING, (150, 170, 190)]), -1)
        xx = rng.uniform(-20, 10)
        while xx < n + 20:
            L = rng.uniform(20, 60) * S * f
            if rng.random() < 0.85:
                boat(cv, xx + L / 2, yy - rng.uniform(0, 3) * S * f, L, moored=True)
            xx += L * rng.uniform(0.5, 1.1)
    for _ in range(boats):
        yy = rng.uniform(y0 + 2, y1)
        f = _persp(yy, horizon, n)
        boat(cv, rng.uniform(0, n), yy, rng.uniform(8, 90) * S * f)
    for _ in range(int(rng.choice([0, 0, 2, 5]))):
        yy = rng.uniform(y0, y1)
        buoy(cv, rng.uniform(0, n), yy, rng.uniform(1.5, 4) * S * _persp(yy, horizon, n))
    for _ in range(int(rng.choice([0, 0, 0, 1, 2, 4]))):  # fairway marks and beacons
        yy = rng.uniform(y0 + 2, y1)
        nav_mark(cv, rng.uniform(0, n), yy, rng.uniform(8, 60) * S * _persp(yy, horizon, n))
    if rng.random() < 0.2:  # swimmers / waders
        for _ in range(int(rng.integers(1, 4))):
            yy = rng.uniform(y0 + 3, y1)
            person(
                cv,
                rng.uniform(0, n),
                yy,
                rng.uniform(10, 35) * S * _persp(yy, horizon, n),
                wading=float(rng.uniform(0.3, 0.7)),
            )


def _beach(
    cv: Canvas,
    y0: int,
    y1: int,
    horizon: float,
    people: int,
    *,
    launch_p: float = 0.0,
    edge: bool = False,
) -> None:
    """Rows y0..y1: sand with chairs, umbrellas, people (some lying down, some walking); with
    probability ``launch_p`` a launch at the water's edge (only when the sea is just above).
    ``edge``: the sea is just above, so the top rows are wet sand that people walk along;
    sometimes a path or boardwalk crosses the sand, with walkers on it."""
    rng = cv.rng
    n = cv.size
    sand = _c(rng, SAND)
    _texture(cv, y0, y1, sand, 0.05, int(rng.integers(6, 30)) * S)
    if y1 - y0 < 8:
        return
    lanes = [(y0 + 3.0, y1 - 1.0)]  # where walkers go: the sand, the wet sand, a path
    if edge:
        lanes += [_wet_sand(cv, y0, y1, sand)] * 2
    if rng.random() < 0.3:
        lanes += [_beach_path(cv, y0, y1, horizon, sand)] * 2
    groups = int(rng.binomial(people, 0.3))
    people -= min(people, round(groups * 1.5))
    things: list[tuple[float, str]] = []
    for _ in range(groups):
        lo, hi = lanes[int(rng.integers(len(lanes)))]
        things.append((rng.uniform(lo, hi), "walkers"))
    for _ in range(int(rng.choice([0, 5, 20, 60]))):
        things.append((rng.uniform(y0, y1), "chair"))
    for _ in range(int(rng.choice([0, 3, 10]))):
        things.append((rng.uniform(y0, y1), str(rng.choice(["umbrella", "towel", "rock", "pole"]))))
    for _ in range(people):
        things.append((rng.uniform(y0 + 3, y1 - 1), "person"))
    if rng.random() < 0.15:  # a boat pulled up on the sand
        things.append((rng.uniform(y0, y1), "boat"))
    if rng.random() < launch_p:  # a launch: a crowded inflatable at the water's edge
        things.append((y0 + rng.uniform(0.02, 0.15) * (y1 - y0), "launch"))
    for yy, what in sorted(things):
        f = _persp(yy, horizon, n)
        xx = rng.uniform(0, n)
        if what == "chair":
            beach_chair(cv, xx, yy, rng.uniform(5, 14) * S * f)
        elif what == "umbrella":
            umbrella(cv, xx, yy, rng.uniform(8, 25) * S * f)
        elif what == "towel":
            towel(cv, xx, yy, rng.uniform(6, 16) * S * f)
        elif what == "rock":
            rock(cv, xx, yy, rng.uniform(3, 15) * S * f)
        elif what == "pole":
            pole(cv, xx, yy, rng.uniform(15, 50) * S * f)
        elif what == "boat":
            boat(cv, xx, yy, rng.uniform(15, 60) * S * f, moored=True, afloat=False)
        elif what == "launch":
            launch_group(cv, rng.uniform(0.15, 0.85) * n, yy, rng.uniform(20, 80) * S * f)
        elif what == "walkers":
            walking_group(cv, xx, yy, rng.uniform(10, 40) * S * f, group_size(rng))
        elif rng.random() < 0.15:
            lying_person(cv, xx, yy, rng.uniform(8, 40) * S * f)
        else:
            sitting = rng.random() < 0.2
            person(cv, xx, yy, rng.uniform(8, 40) * S * f, sitting=sitting)


def _wet_sand(cv: Canvas, y0: int, y1: int, sand: Colour) -> tuple[float, float]:
    """The darker wet sand at the top of a beach below the sea, with a pale line of foam where
    the water ends; returns the rows people walk along (its lower part)."""
    rng = cv.rng
    n = cv.size
    wet = min(y1, y0 + max(3 * S, int(rng.uniform(0.05, 0.2) * (y1 - y0))))
    _texture(cv, y0, wet, _shade(sand, rng.uniform(0.7, 0.85)), 0.05, 8 * S)
    cv2.line(cv.img, (0, y0), (n, y0), _shade(sand, 1.2), max(1, int(rng.uniform(0.5, 2) * S)), cv2.LINE_AA)
    return y0 + 0.4 * (wet - y0), float(wet)


def _beach_path(cv: Canvas, y0: int, y1: int, horizon: float, sand: Colour) -> tuple[float, float]:
    """A path across the sand (trodden sand, paving or a boardwalk of planks); returns its rows."""
    rng = cv.rng
    n = cv.size
    lo = y0 + 0.3 * (y1 - y0)
    yy = rng.uniform(lo, max(lo, y1 - 4 * S))  # a thin beach: the path at its back edge
    w = rng.uniform(4, 12) * S * _persp(yy, horizon, n)
    col = _c(rng, [_shade(sand, 0.85), _shade(sand, 1.1), *PAVING[:2], (70, 100, 130), (90, 110, 120)], 8)
    cv2.rectangle(cv.img, (0, int(yy - w / 2)), (n, int(yy + w / 2)), col, -1)
    if rng.random() < 0.4:  # boardwalk planks
        for xx in np.arange(0, n, max(2.0, w * 0.3)):
            cv2.line(cv.img, (int(xx), int(yy - w / 2)), (int(xx), int(yy + w / 2)), _shade(col, 0.8), 1)
    return yy - w / 4, yy + w / 2


def _quay(cv: Canvas, y0: int, y1: int) -> None:
    rng = cv.rng
    n = cv.size
    col = _c(rng, [(60, 70, 110), (100, 100, 105), (70, 75, 80), (150, 150, 150), (50, 55, 90)])
    _texture(cv, y0, y1, col, 0.06, 6 * S)
    step = rng.uniform(3, 8) * S
    for yy in np.arange(y0, y1, step):  # brick courses / planks
        cv2.line(cv.img, (0, int(yy)), (n, int(yy)), _shade(col, 0.8), 1)
    if rng.random() < 0.5:
        fence(cv, 0, n, y0, rng.uniform(5, 14) * S)


def _closeup(cv: Canvas, y0: int, y1: int, horizon: float) -> None:
    """Rows y0..y1: water seen close, with one to three whole boats 50-230 tile px long (sailing
    yachts with their masts, motor boats, fishing boats, now and then a ship), and sometimes a
    strip of beach or quay below. Webcams over marinas and fairways see boats this size; a model
    that has only seen them small finds them in pieces (hull, cabin and sail each called a boat)."""
    rng = cv.rng
    n = cv.size
    w1 = y1 if rng.random() < 0.6 else y0 + int(rng.uniform(0.65, 0.9) * (y1 - y0))
    _water(cv, y0, w1, horizon, 0, moored_row=False)
    for _ in range(int(rng.choice([1, 1, 2, 3]))):
        yy = rng.uniform(y0 + 0.45 * (w1 - y0), w1)
        x = rng.uniform(0.2, 0.8) * n
        if rng.random() < 0.12:
            big_ship(cv, x, yy, rng.uniform(0.5, 1.1) * n)
        else:  # short enough that a mast (up to 1.4 L) stays in the tile
            boat(cv, x, yy, min(rng.uniform(50, 230) * S, (yy - 2 * S) / 1.5, 0.9 * n))
    if w1 < y1:
        if rng.random() < 0.5:
            _beach(cv, w1, y1, horizon, int(rng.choice([0, 2, 5])), edge=True)
        else:
            _quay(cv, w1, y1)


SCENE_MIX: dict[str, float] = {
    "town": 0.2,
    "harbour": 0.13,
    "beach": 0.13,
    "coast": 0.11,
    "woods": 0.1,
    "shore": 0.11,
    "port": 0.11,
    "closeup": 0.11,
}
"""Scene kinds and how often each is drawn by default."""

OPT_IN_SCENES: dict[str, float] = {
    "seafront": 0.11,
    "sailing": 0.11,
    "marina": 0.11,
    "skyline": 0.11,
    "moorings": 0.11,
    "lock": 0.11,
}
"""Scene kinds drawn only when named (``--scenes``), so that every seed rendered before they were
added renders the same: ``seafront`` is a beach of hooded chairs in rows, a promenade, and a
car park full of cars seen obliquely, below the town (the beach-and-town webcam's view);
``sailing`` is a sailing-club beach: catamarans and dinghies pulled up in rows, windsurfers and
catamarans on the water; ``marina`` is pontoons crowded with moored boats, mostly bow or stern on;
``skyline`` is a fairway webcam's view: a big sky of cumulus over a far shore with landmarks, wide
water with navigation marks and a few boats, down to specks; ``moorings`` is water full of buoys
drawn round and lit (cans, cones, yellow floats, mooring balls, swimming-zone lines) with a few
boats of the same sizes among them, sometimes above a strip of beach tents or a car park;
``lock`` is a canal lock seen from beside it: one big ship lying at an angle, its deck seen from
above, often longer than the tile, below a big sky, with flagpoles and fences on the lock side."""

SCENE_KINDS: dict[str, float] = {**SCENE_MIX, **OPT_IN_SCENES}


def scene_mix(kinds: str | None) -> dict[str, float]:
    """The default mix, or the kinds of a comma-separated list at their relative weights
    (renormalised; opt-in kinds such as ``seafront`` included); ``None`` or ``""`` is the
    default mix. Refuses unknown or repeated kinds."""
    if not kinds:
        return dict(SCENE_MIX)
    names = [k.strip() for k in kinds.split(",")]
    unknown = [k for k in names if k not in SCENE_KINDS]
    if unknown:
        raise SynthError(
            f"unknown clutter scene kind(s) {unknown}: expected a comma-separated subset of {list(SCENE_KINDS)}"
        )
    if len(set(names)) != len(names):
        raise SynthError(f"clutter scene kinds repeat in {kinds!r}: name each once")
    total = sum(SCENE_KINDS[k] for k in names)
    return {k: SCENE_KINDS[k] / total for k in names}


def scene(
    rng: np.random.Generator, mix: dict[str, float] | None = None
) -> tuple[np.ndarray, list[tuple[int, float, float, float, float]]]:
    """One cluttered tile (BGR, TILE x TILE) and its YOLO labels; ``mix`` (see ``scene_mix``)
    picks which kinds of scene are drawn and how often."""
    n = TILE * S
    cv = Canvas(np.zeros((n, n, 3), np.uint8), rng)
    m = SCENE_MIX if mix is None else mix
    kind = str(rng.choice(list(m), p=list(m.values())))
    horizon = -rng.uniform(0.0, 1.5) * n  # where sizes would vanish (above the tile: steeper view)
    y = 0
    if kind == "shore":  # a drone looking down at the water's edge: no sky, no town
        horizon = -rng.uniform(0.5, 3.0) * n
    elif kind != "skyline" and rng.random() < {"town": 0.2, "lock": 0.8}.get(kind, 0.35):
        sky = int(rng.uniform(0.1, 0.45) * n)
        horizon = float(sky)
        _sky(cv, sky)
        y = sky
        if rng.random() < 0.7:  # far shore: a thin band of tiny houses and trees
            fh = int(rng.uniform(0.02, 0.08) * n)
            _town(cv, y, y + fh, horizon - 5, density=3.0)
            if rng.random() < 0.35:  # chimneys, wind turbines, a lighthouse against the sky
                landmarks(cv, y + fh * rng.uniform(0.3, 1.0), sky)
            y += fh
    if kind == "town":
        _town(cv, y, n, horizon, density=float(rng.uniform(0.8, 3.0)))
    elif kind == "woods":  # water below a wooded bank or a line of trees, a path with walkers
        w1 = y + int(rng.uniform(0.0, 0.6) * (n - y))
        if w1 > y:
            _water(cv, y, w1, horizon, int(rng.choice([0, 1, 2])), moored_row=False)
        _texture(cv, w1, n, _c(rng, GRASS), 0.08, 16 * S)
        vegetation(cv, w1, n)
        if rng.random() < 0.5:
            _crowd(cv, w1 + 0.3 * (n - w1), n - 1, horizon, int(rng.integers(1, 6)), walk_p=0.6)
    elif kind == "harbour":
        w1 = y + int(rng.uniform(0.2, 0.6) * (n - y))
        _water(cv, y, w1, horizon, int(rng.integers(0, 4)), moored_row=rng.random() < 0.8)
        q1 = min(n, w1 + int(rng.uniform(0.03, 0.12) * n))
        _quay(cv, w1, q1)
        _town(cv, q1, n, horizon, density=float(rng.uniform(0.5, 2.0)))
    elif kind == "port":
        port(cv, y, n, horizon)
    elif kind == "closeup":
        _closeup(cv, y, n, horizon)
    elif kind == "sailing":
        _sailing(cv, y, n, horizon)
    elif kind == "marina":
        _marina(cv, y, n, horizon)
    elif kind == "skyline":
        _skyline(cv, 0, n)
    elif kind == "moorings":
        _moorings(cv, y, n, horizon)
    elif kind == "lock":
        _lock(cv, y, n, horizon)
    elif kind == "shore":
        w1 = int(rng.uniform(0.15, 0.6) * n)
        _water(cv, 0, w1, horizon, int(rng.choice([0, 0, 1, 2])), moored_row=False)
        _beach(cv, w1, n, horizon, int(rng.choice([0, 3, 8])), launch_p=0.9, edge=True)
    elif kind == "seafront":  # sea, chairs on the sand, a promenade, a car park, the town
        w1 = y + int(rng.uniform(0.0, 0.3) * (n - y))
        if w1 > y:
            _water(cv, y, w1, horizon, int(rng.choice([0, 1, 3])), moored_row=False)
        b1 = w1 + int(rng.uniform(0.15, 0.45) * (n - w1))
        chair_rows(cv, w1, b1, horizon, int(rng.choice([0, 5, 15, 30])))
        p1 = min(n, b1 + int(rng.uniform(0.03, 0.1) * n))
        _promenade(cv, b1, p1, horizon)
        c1 = p1 + int(rng.uniform(0.5, 1.0) * (n - p1))
        parking_lot(cv, p1, c1, horizon)
        if c1 < n - 8 * S:
            _town(cv, c1, n, horizon, density=float(rng.uniform(0.3, 1.5)))
    elif kind == "beach":
        w1 = y + int(rng.uniform(0.0, 0.5) * (n - y))
        if w1 > y:
            _water(cv, y, w1, horizon, int(rng.choice([0, 1, 3])), moored_row=False)
        b1 = w1 + int(rng.uniform(0.4, 1.0) * (n - w1))
        shore = w1 > y
        _beach(cv, w1, b1, horizon, int(rng.choice([0, 3, 10, 25])), launch_p=0.3 * shore, edge=shore)
        if b1 < n:
            _town(cv, b1, n, horizon, density=float(rng.uniform(0.5, 2.0)))
    else:
        w1 = y + int(rng.uniform(0.5, 1.0) * (n - y))
        _water(cv, y, w1, horizon, int(rng.choice([1, 2, 4, 8])), moored_row=rng.random() < 0.2)
        if w1 < n:
            _beach(cv, w1, n, horizon, int(rng.choice([0, 3, 10])), launch_p=0.3, edge=True)
    labels = cv.visible_labels()  # before the light changes: dimming is not occlusion
    if rng.random() < (0.5 if kind == "shore" else 0.2):
        cv.img = dawn(cv.img, rng)
    img = cv2.resize(cv.img, (TILE, TILE), interpolation=cv2.INTER_AREA)
    return img, labels


def write_clutter_dataset(
    out: Path,
    images: int,
    *,
    seed: int = 0,
    val_fraction: float = 0.05,
    degrade: bool = True,
    scenes: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write ``images`` cluttered tiles as a YOLO dataset at ``out`` (see the module docstring);
    ``scenes`` restricts the kinds of scene drawn (``scene_mix``)."""
    from detector.augment import degrade as degrade_fn

    mix = scene_mix(scenes)

    writer = YoloDatasetWriter(out, images, prefix=f"clutter_{seed}", val_fraction=val_fraction, tile_px=TILE)
    for i in range(images):
        rng = np.random.default_rng([seed, i])
        img, labels = scene(rng, mix)
        if degrade:
            img = degrade_fn(img, rng)
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.uniform(70, 95))])
        if not ok:
            raise SynthError(f"could not encode tile {i}")
        writer.add(buf.tobytes(), labels)
        if progress:
            progress(i + 1, images)
    return writer.finish(f"shorewatch clutter tiles (seed {seed})", TILE)
