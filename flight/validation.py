"""Safety checks on a mission before anything is uploaded. Each problem is a ``Problem`` with a
code and a message naming what is wrong and where; ``check_plan`` raises
``flight.errors.PlanValidationError`` carrying all of them.

Rules: coordinates in range; geometry (geofence, no-fly, survey areas) valid and not
self-intersecting; every altitude at or below the ceiling (120 m by default, the open-category
limit in the UK and EU) and above the minimum; the whole flown path (home -> mission -> home)
inside the geofence and outside every no-fly zone; the estimated flight time within the
battery's usable time (endurance minus the reserve).
"""

from __future__ import annotations

import enum
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shapely import validation as shapely_validation
from shapely.geometry import LineString, Point, Polygon

from flight.errors import PlanValidationError
from flight.planning import (
    CMD_NAV_TAKEOFF,
    NAV_WITH_POSITION,
    BatteryModel,
    MissionPlan,
    estimate,
)
from shorewatch.geo import LocalFrame
from shorewatch.site import Site

logger = logging.getLogger(__name__)

DEFAULT_CEILING_M = 120.0
MIN_ALT_M = 5.0


class ProblemCode(enum.StrEnum):
    EMPTY = "empty"
    COORDINATE_RANGE = "coordinate_out_of_range"
    INVALID_GEOMETRY = "invalid_geometry"
    ALTITUDE_CEILING = "altitude_above_ceiling"
    ALTITUDE_LOW = "altitude_too_low"
    OUTSIDE_GEOFENCE = "outside_geofence"
    NO_FLY = "enters_no_fly_zone"
    BATTERY = "exceeds_battery"


@dataclass(frozen=True, slots=True)
class Problem:
    code: ProblemCode
    message: str
    item_index: int | None = None  # mission item (1-based as on the vehicle; 0 = home)

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


def geometry_problems(geom: Polygon | LineString, what: str) -> list[Problem]:
    """Out-of-range coordinates, invalid or self-intersecting geometry (lon/lat)."""
    out: list[Problem] = []
    coords = list(geom.exterior.coords) if isinstance(geom, Polygon) else list(geom.coords)
    if len(coords) < (4 if isinstance(geom, Polygon) else 2):
        return [Problem(ProblemCode.INVALID_GEOMETRY, f"{what}: too few points ({len(coords)})")]
    for i, c in enumerate(coords):
        lon, lat = c[0], c[1]
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            out.append(
                Problem(
                    ProblemCode.COORDINATE_RANGE,
                    f"{what}: point #{i} ({lon}, {lat}) is out of range; expected lon in [-180, 180], lat in [-90, 90]",
                )
            )
    if out:
        return out
    if not geom.is_valid:
        out.append(
            Problem(ProblemCode.INVALID_GEOMETRY, f"{what}: {shapely_validation.explain_validity(geom)}")
        )
    elif isinstance(geom, LineString) and not geom.is_simple:
        out.append(Problem(ProblemCode.INVALID_GEOMETRY, f"{what}: the line crosses itself"))
    return out


def validate_plan(
    plan: MissionPlan,
    site: Site | None = None,
    *,
    ceiling_m: float | None = None,
    min_alt_m: float = MIN_ALT_M,
    geofence: Polygon | None = None,
    no_fly: Sequence[tuple[str, Polygon]] | None = None,
    battery: BatteryModel | None = None,
) -> list[Problem]:
    """Every problem with ``plan``; empty when it is safe to upload. The geofence and no-fly
    zones come from the arguments, else from ``site``, else from the plan itself."""
    problems: list[Problem] = []
    ceiling = ceiling_m if ceiling_m is not None else (site.ceiling_m if site else DEFAULT_CEILING_M)
    fence = geofence if geofence is not None else (site.geofence if site else plan.geofence)
    if no_fly is not None:
        zones = list(no_fly)
    elif site is not None:
        zones = [(a.name, a.geometry) for a in site.no_fly]
    else:
        zones = [(f"exclusion #{i + 1}", g) for i, g in enumerate(plan.exclusions)]

    if not plan.items:
        return [Problem(ProblemCode.EMPTY, "the mission has no items")]
    if not any(it.command in NAV_WITH_POSITION for it in plan.items):
        problems.append(
            Problem(ProblemCode.EMPTY, "the mission has no navigation item (takeoff or waypoint)")
        )

    # Coordinates.
    h = plan.home
    if not (
        math.isfinite(h.lat_deg)
        and math.isfinite(h.lon_deg)
        and -90 <= h.lat_deg <= 90
        and -180 <= h.lon_deg <= 180
    ):
        problems.append(
            Problem(ProblemCode.COORDINATE_RANGE, f"home ({h.lat_deg}, {h.lon_deg}) is out of range", 0)
        )
        return problems
    for i, it in enumerate(plan.items, start=1):
        vals = (it.param1, it.param2, it.param3, it.param4, it.lat_deg, it.lon_deg, it.alt_m)
        if not all(math.isfinite(v) for v in vals):
            problems.append(
                Problem(ProblemCode.COORDINATE_RANGE, f"item {i} ({it.name}) has a NaN/inf parameter", i)
            )
            continue
        if it.has_position and not (-90 <= it.lat_deg <= 90 and -180 <= it.lon_deg <= 180):
            problems.append(
                Problem(
                    ProblemCode.COORDINATE_RANGE,
                    f"item {i} ({it.name}) at lat {it.lat_deg}, lon {it.lon_deg} is out of range; "
                    "expected lat in [-90, 90], lon in [-180, 180]",
                    i,
                )
            )
    if any(p.code == ProblemCode.COORDINATE_RANGE for p in problems):
        return problems

    # Geometry of the areas.
    if fence is not None:
        problems += geometry_problems(fence, "geofence")
    for name, g in zones:
        problems += geometry_problems(g, f"no-fly zone {name!r}")

    # Altitudes (one problem per rule, naming every item that breaks it).
    high = [
        (i, it)
        for i, it in enumerate(plan.items, start=1)
        if it.command in NAV_WITH_POSITION and it.alt_m > ceiling + 1e-6
    ]
    low = [
        (i, it)
        for i, it in enumerate(plan.items, start=1)
        if it.command in NAV_WITH_POSITION
        and (it.has_position or it.command == CMD_NAV_TAKEOFF)
        and it.alt_m < min_alt_m
    ]
    if high:
        problems.append(
            Problem(
                ProblemCode.ALTITUDE_CEILING,
                f"{_items_text(high)} at up to {max(it.alt_m for _, it in high):.1f} m "
                f"above the {ceiling:.0f} m ceiling",
                high[0][0],
            )
        )
    if low:
        problems.append(
            Problem(
                ProblemCode.ALTITUDE_LOW,
                f"{_items_text(low)} at {min(it.alt_m for _, it in low):.1f} m below the {min_alt_m:.0f} m minimum",
                low[0][0],
            )
        )

    # Path against the fence and no-fly zones, leg by leg, in local metres.
    frame = site.frame if site else LocalFrame(h.lat_deg, h.lon_deg)
    idx_of_point = [0]
    for i, it in enumerate(plan.items, start=1):
        if it.has_position or it.command == CMD_NAV_TAKEOFF or it.command == 20:
            idx_of_point.append(i)
    pts = plan.nav_points()
    local = [frame.to_local(p.lat_deg, p.lon_deg) for p in pts]

    def to_local_poly(poly: Polygon) -> Polygon:
        return Polygon([frame.to_local(y, x) for x, y, *_ in poly.exterior.coords])

    fence_ok = fence is not None and not any(
        p.code == ProblemCode.INVALID_GEOMETRY and "geofence" in p.message for p in problems
    )
    fence_local = to_local_poly(fence).buffer(0.5) if fence is not None and fence_ok else None
    zones_local = [(n, to_local_poly(g)) for n, g in zones if g.is_valid]
    reported_fence = False
    reported_zone: set[str] = set()
    for k in range(len(local)):
        a = local[max(k - 1, 0)]
        b = local[k]
        seg = LineString([a, b]) if a != b else Point(b)
        item = idx_of_point[k] if k < len(idx_of_point) else None
        where = "home" if item == 0 else f"item {item} ({plan.items[item - 1].name})" if item else "the path"
        if fence_local is not None and not reported_fence and not fence_local.covers(seg):
            reported_fence = True
            if not fence_local.covers(Point(b)):
                lat, lon = pts[k].lat_deg, pts[k].lon_deg
                msg = f"{where} at ({lat:.5f}, {lon:.5f}) is outside the geofence"
            else:
                msg = f"the leg to {where} leaves the geofence"
            problems.append(Problem(ProblemCode.OUTSIDE_GEOFENCE, msg, item))
        for name, z in zones_local:
            if name not in reported_zone and seg.intersects(z):
                reported_zone.add(name)
                problems.append(
                    Problem(ProblemCode.NO_FLY, f"the leg to {where} enters the no-fly zone {name!r}", item)
                )

    # Battery.
    bat = battery or BatteryModel()
    st = estimate(plan, bat)
    if st.duration_s > bat.usable_s:
        problems.append(
            Problem(
                ProblemCode.BATTERY,
                f"the mission needs about {st.duration_s / 60:.1f} min ({st.battery_pct:.0f}% of the battery) but "
                f"only {bat.usable_s / 60:.1f} min are usable with a {bat.reserve_pct:.0f}% reserve; "
                "split it into legs or shorten it",
            )
        )
    return problems


def _items_text(items: Sequence[tuple[int, object]]) -> str:
    idx = [i for i, _ in items]
    shown = ", ".join(str(i) for i in idx[:8]) + (f" and {len(idx) - 8} more" if len(idx) > 8 else "")
    first = items[0][1]
    name = getattr(first, "name", "")
    return f"item {shown} ({name})" if len(idx) == 1 else f"items {shown}"


def check_plan(plan: MissionPlan, site: Site | None = None, **kwargs: object) -> MissionPlan:
    """``plan`` if it passes every rule, else ``PlanValidationError`` listing the problems."""
    problems = validate_plan(plan, site, **kwargs)  # type: ignore[arg-type]
    if problems:
        raise PlanValidationError(problems)
    return plan


def check_area(area: Polygon, what: str = "survey area") -> Polygon:
    """A survey polygon (lon/lat) if valid, else ``PlanValidationError``."""
    problems = geometry_problems(area, what)
    if problems:
        raise PlanValidationError(problems)
    return area


def codes(problems: Iterable[Problem]) -> set[str]:
    return {str(p.code) for p in problems}
