"""Gatherings are dense groups, not chains: a beach of walkers each ~25 m from the next never
becomes one "gathering" (the empty-beach false alarm), a crowd around a boat does."""

from __future__ import annotations

import numpy as np
import pytest

from detector.events import _clusters


def _line(n: int, spacing_m: float) -> np.ndarray:
    return np.array([[i * spacing_m, 0.0] for i in range(n)])


def _crowd(n: int, radius_m: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 2 * np.pi, n)
    r = radius_m * np.sqrt(rng.uniform(0, 1, n))
    return np.stack([r * np.cos(a), r * np.sin(a)], axis=1)


@pytest.mark.parametrize(
    ("points", "radius", "min_people", "expected_sizes"),
    [
        (_line(24, 25.0), 30.0, 8, []),  # walkers strung along the beach: no gathering
        (_crowd(12, 8.0), 30.0, 8, [12]),  # a crowd around a boat
        (np.vstack([_crowd(10, 6.0), _line(5, 25.0) + [200.0, 0.0]]), 30.0, 8, [10]),  # noqa: RUF005 - numpy broadcast  # crowd + walkers apart
        (np.vstack([_crowd(10, 6.0), _crowd(9, 6.0, 1) + [500.0, 0.0]]), 30.0, 8, [10, 9]),  # noqa: RUF005 - numpy broadcast  # two groups
        (_crowd(7, 5.0), 30.0, 8, []),  # too few people
        (np.zeros((0, 2)), 30.0, 8, []),
    ],
)
def test_gathering_clusters(
    points: np.ndarray, radius: float, min_people: int, expected_sizes: list[int]
) -> None:
    sizes = sorted((len(c) for c in _clusters(points, radius, min_people)), reverse=True)
    assert sizes == sorted(expected_sizes, reverse=True)
