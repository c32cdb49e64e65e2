"""How often is each stretch of coast looked at? The revisit time of a corridor patrol, battery
swaps included.

A boat is carried down the beach and launched within minutes, so what a patrol plan promises is
not only that every stretch is seen (``PlanStats.coverage_pct``) but how long a stretch goes
unseen between two looks. ``revisit`` flies each drone's sorties in the planner's own time model
(``flight.planning.fly_times``: climbs, cruise, holds, RTL), one after another with
``swap_s`` on the ground between them (land, change the battery, checks, take off), over and
over, all drones starting together, and samples the camera every ``dt_s``. A station (a point
of the waterline every ``step_m``) is *seen* while a drone on a patrol stretch (not on its way
out or back) has it inside its footprint: along the coast within half the picture's width at
that range, across it between the footprint's near and far edges. A station's revisit time is
the longest it waits between two looks in the steady state (after its first look; the horizon
covers at least three of the slowest drone's cycles and two hours).

**Relays.** A drone that lands to change its battery leaves its sector unwatched for the swap and
the flights out and back. ``relay`` gives each sector several drones that fly the same sorties
in turn, staggered by an equal share of the cycle (``relay_start_s``), so one is on patrol while
another is on the ground.

Errors: ``flight.errors.PlanError`` for plans or settings that cannot be evaluated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import shapely

from flight.errors import PlanError
from flight.planning import CMD_NAV_WAYPOINT, BatteryModel, MissionPlan, fly_times, footprint
from shorewatch.geo import LocalFrame
from shorewatch.site import Site
from shorewatch.types import DEFAULT_INTRINSICS, CameraIntrinsics

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RevisitReport:
    """Per station (metres along the waterline): the longest wait between two looks (s; ``inf``
    if never seen), and the drones' cycle times (all their sorties and swaps, s)."""

    stations_m: FloatArray
    worst_gap_s: FloatArray
    cycle_s: dict[str, float]
    swap_s: float
    horizon_s: float
    start_s: dict[str, float]

    @property
    def seen(self) -> npt.NDArray[np.bool_]:
        return np.isfinite(self.worst_gap_s)

    @property
    def worst_s(self) -> float:
        return float(self.worst_gap_s.max()) if len(self.worst_gap_s) else math.inf

    @property
    def worst_at_m(self) -> float:
        return float(self.stations_m[int(np.argmax(self.worst_gap_s))])

    @property
    def median_s(self) -> float:
        return float(np.median(self.worst_gap_s))

    @property
    def never_seen_pct(self) -> float:
        return 100.0 * float((~self.seen).mean()) if len(self.seen) else 0.0

    def seen_stats(self) -> tuple[float, float, float] | None:
        """Over the stations some camera sees: the longest wait (s), where it is (m along the
        waterline) and the median wait; None if no station is ever seen."""
        seen = self.seen
        if not seen.any():
            return None
        worst = self.worst_gap_s[seen]
        k = int(np.argmax(worst))
        return float(worst[k]), float(self.stations_m[seen][k]), float(np.median(worst))

    def within_pct(self, target_s: float) -> float:
        """The share of the stations never left unseen longer than ``target_s``."""
        return 100.0 * float(np.mean(self.worst_gap_s <= target_s)) if len(self.worst_gap_s) else 0.0

    def summary(self, target_s: float | None = None) -> str:
        never = int((~self.seen).sum())
        stats = self.seen_stats()
        if stats is None:
            return "revisit: no stretch of the coast is ever in a patrol camera's view"
        worst, at, median = stats
        text = (
            f"revisit (battery swaps of {self.swap_s / 60:.0f} min): "
            f"{'every stretch' if not never else 'the stretches in view are'} seen again within "
            f"{worst / 60:.1f} min (the worst at km {at / 1000:.1f}), median {median / 60:.1f} min"
        )
        if never:
            text += f"; {never} of {len(self.stations_m)} stations ({never * 100 // len(self.stations_m)} %) never seen"
        if target_s is not None:
            text += f"; {self.within_pct(target_s):.0f} % within {target_s / 60:g} min"
        return text


@dataclass(frozen=True)
class _Looks:
    """One sortie's camera samples in the site's frame: time after its take-off, metres along the
    waterline, and the half-width seen along the coast there (only samples on patrol with the
    coast in view)."""

    t_s: FloatArray
    along_m: FloatArray
    half_m: FloatArray
    duration_s: float


def _looks(
    site: Site, plan: MissionPlan, battery: BatteryModel, dt_s: float, intrinsics: CameraIntrinsics
) -> _Looks:
    stats, keys = fly_times(plan, battery)
    n_wp = sum(it.command == CMD_NAV_WAYPOINT for it in plan.items)
    pre, post = plan.transit_wps
    first, last = pre + 1, n_wp - post  # the patrol's own waypoints, counted as reached
    t = np.arange(0.0, stats.duration_s, dt_s)
    kt = np.array([k.t_s for k in keys])
    east = np.interp(t, kt, [k.east_m for k in keys])
    north = np.interp(t, kt, [k.north_m for k in keys])
    alt = np.interp(t, kt, [k.alt_m for k in keys])
    seg = np.clip(np.searchsorted(kt, t, side="right"), 1, len(keys) - 1)
    done = np.array([k.waypoints_reached for k in keys])
    patrol = (done[seg - 1] >= first) & (done[seg] <= last) & (alt > 1.0)
    home = LocalFrame(plan.home.lat_deg, plan.home.lon_deg)
    lat, lon = home.to_geo_many(east, north)
    se, sn = site.frame.to_local_many(lat, lon)
    wl = site.waterline_local
    pts = shapely.points(se, sn)
    along = shapely.line_locate_point(wl, pts)
    off = shapely.distance(wl, pts)
    depression = -plan.gimbal_pitch_deg
    if depression >= 89.99:  # straight down: the image's height runs along the track
        half_along = alt * math.tan(math.radians(intrinsics.vfov_deg / 2))
        across = alt * math.tan(math.radians(intrinsics.hfov_deg / 2))
        inside = off <= across
    else:  # looking sideways at the land: the image's width runs along the coast
        half_along = np.hypot(alt, off) * math.tan(math.radians(intrinsics.hfov_deg / 2))
        inside = np.zeros(len(t), dtype=bool)
        for a in np.unique(np.round(alt[patrol])):
            fp = footprint(float(a), depression, intrinsics)
            m = np.round(alt) == a
            inside[m] = (off[m] >= fp.near_m) & (off[m] <= fp.far_m)
    ok = patrol & inside
    return _Looks(t[ok], along[ok], np.broadcast_to(half_along, t.shape)[ok], stats.duration_s)


def revisit(
    site: Site,
    plans: Sequence[MissionPlan],
    *,
    battery: BatteryModel | None = None,
    swap_s: float = 300.0,
    start_m: float = 0.0,
    end_m: float | None = None,
    step_m: float = 100.0,
    dt_s: float = 2.0,
    intrinsics: CameraIntrinsics = DEFAULT_INTRINSICS,
    start_s: Mapping[str, float] | None = None,
) -> RevisitReport:
    """The revisit time of every ``step_m`` of the waterline between ``start_m`` and ``end_m``
    under ``plans`` (each drone's sorties: grouped by ``drone_id``, flown in ``leg`` order; a
    drone takes off first at ``start_s[drone_id]``, default 0: the steady state is counted from
    the last drone's first take-off)."""
    if not plans:
        raise PlanError("no plans to evaluate")
    if not (0 <= swap_s <= 24 * 3600):
        raise PlanError(f"swap_s must be in [0, 86400] s, got {swap_s}")
    if not (step_m > 0 and dt_s > 0):
        raise PlanError(f"step_m and dt_s must be > 0, got {step_m}, {dt_s}")
    bat = battery or BatteryModel()
    end = site.waterline_local.length if end_m is None else min(end_m, site.waterline_local.length)
    if not (0 <= start_m < end):
        raise PlanError(f"need 0 <= start_m < end_m, got {start_m}, {end}")
    stations = np.arange(start_m + step_m / 2, end, step_m)
    drones: dict[str, list[MissionPlan]] = {}
    for p in plans:
        drones.setdefault(drone_of(p), []).append(p)
    sorties = {
        d: [_looks(site, p, bat, dt_s, intrinsics) for p in sorted(ps, key=lambda p: p.leg or 0)]
        for d, ps in drones.items()
    }
    cycles = {d: sum(s.duration_s + swap_s for s in ss) for d, ss in sorties.items()}
    offsets = {d: float((start_s or {}).get(d, 0.0)) for d in sorties}
    if any(not (0 <= t <= 24 * 3600) for t in offsets.values()):
        raise PlanError(f"start_s must be in [0, 86400] s, got {offsets}")
    steady = max(offsets.values())
    horizon = steady + max(3 * max(cycles.values()), 2 * 3600.0)
    times: list[list[FloatArray]] = [[] for _ in stations]
    for d, ss in sorties.items():
        # when each station is in view during each sortie (s after its take-off)
        views = [
            {
                int(i): s.t_s[row]
                for i, row in enumerate(np.abs(stations[:, None] - s.along_m[None, :]) <= s.half_m[None, :])
                if row.any()
            }
            for s in ss
        ]
        t0 = offsets[d]
        while t0 < horizon:
            for s, view in zip(ss, views, strict=True):
                for i, ts in view.items():
                    times[i].append(t0 + ts)
                t0 += s.duration_s + swap_s
    worst = np.full(len(stations), math.inf)
    for i, ts in enumerate(times):
        if not ts:
            continue
        seen = np.unique(np.concatenate(ts))
        seen = seen[(seen >= steady) & (seen <= horizon)]
        if not len(seen):
            continue
        worst[i] = float(np.diff(np.concatenate([seen, [horizon]])).max())
    return RevisitReport(stations, worst, cycles, swap_s, horizon, offsets)


def drone_of(plan: MissionPlan) -> str:
    """The drone that flies ``plan``: its ``drone_id``, else named after its sector."""
    return plan.drone_id or f"drone-{(plan.sector or 0) + 1}"


def relay(plans: Sequence[MissionPlan], drones_per_sector: int) -> list[MissionPlan]:
    """Each sector's sorties flown by ``drones_per_sector`` drones in turn: copies of ``plans``
    with drone ids ``<id>`` (the first) and ``<id>-r2``, ``-r3``..."""
    if not 1 <= drones_per_sector <= 8:
        raise PlanError(f"drones per sector must be in [1, 8], got {drones_per_sector}")
    out = list(plans)
    for k in range(2, drones_per_sector + 1):
        out += [replace(p, drone_id=f"{drone_of(p)}-r{k}") for p in plans]
    return out


def relay_start_s(
    plans: Sequence[MissionPlan],
    drones_per_sector: int,
    *,
    battery: BatteryModel | None = None,
    swap_s: float = 300.0,
) -> dict[str, float]:
    """When each drone of a ``relay`` takes off first: the k-th of a sector (k from 0) k/n of
    its sector's cycle (all its sorties and swaps) after the first."""
    bat = battery or BatteryModel()
    cycle: dict[str, float] = {}
    for p in plans:
        d = drone_of(p)
        cycle[d] = cycle.get(d, 0.0) + fly_times(p, bat)[0].duration_s + swap_s
    out: dict[str, float] = {}
    for d, c in cycle.items():
        out[d] = 0.0
        for k in range(2, drones_per_sector + 1):
            out[f"{d}-r{k}"] = (k - 1) * c / drones_per_sector
    return out
