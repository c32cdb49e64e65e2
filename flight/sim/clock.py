"""A simulation clock that runs ``speedup`` times faster than the wall clock.

The clock only says how far simulated time *should* have advanced; the physics integrates in
fixed steps up to that point (``SimVehicle.advance_to``). When the host cannot keep up, the clock
slips (simulated time falls behind, it never jumps), and ``achieved_speedup`` reports the real
rate.
"""

from __future__ import annotations

import time


class SimClock:
    """Wall time -> target sim time, ``speedup`` x faster. Changing the speed-up rebases."""

    def __init__(self, speedup: float = 1.0, *, now_wall_s: float | None = None) -> None:
        if not (0.01 <= speedup <= 10_000):
            raise ValueError(f"speedup must be in [0.01, 10000], got {speedup!r}")
        self._speedup = float(speedup)
        self._wall0 = time.monotonic() if now_wall_s is None else now_wall_s
        self._sim0 = 0.0

    @property
    def speedup(self) -> float:
        return self._speedup

    def set_speedup(self, speedup: float, sim_now_s: float, now_wall_s: float | None = None) -> None:
        if not (0.01 <= speedup <= 10_000):
            raise ValueError(f"speedup must be in [0.01, 10000], got {speedup!r}")
        self.rebase(sim_now_s, now_wall_s)
        self._speedup = float(speedup)

    def rebase(self, sim_now_s: float, now_wall_s: float | None = None) -> None:
        """Make ``sim_now_s`` correspond to now (used when the physics fell behind)."""
        self._wall0 = time.monotonic() if now_wall_s is None else now_wall_s
        self._sim0 = sim_now_s

    def target(self, now_wall_s: float | None = None) -> float:
        now = time.monotonic() if now_wall_s is None else now_wall_s
        return self._sim0 + (now - self._wall0) * self._speedup
