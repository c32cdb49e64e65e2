"""Mission planning: corridor patrols along a coastline, lawn-mower area surveys, sectors for
several drones and legs by battery endurance. Pure functions on shapely geometry in the site's
local metric frame (``shorewatch.geo.LocalFrame``: east/north metres); plans come out in
lat/lon as MAVLink mission items (``MissionItem``), ready for ``flight.qgc`` or a vehicle.

Conventions: mission altitudes are metres above home (MAV_FRAME_GLOBAL_RELATIVE_ALT); the
gimbal pitch is degrees below the horizon as a negative number (-90 = straight down); gimbal yaw
is relative to the vehicle's heading (+90 = looking right). A corridor patrol flies parallel
to the waterline, ``standoff_m`` seaward of it (negative: landward), with the camera turned
towards the land and pitched so its footprint spans the surf and the beach.

Errors: ``flight.errors.PlanError`` naming the input that cannot work.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import LineString, MultiLineString, Point, Polygon, box
from shapely.ops import substring, unary_union

from flight.errors import PlanError
from flight.routing import FreeSpace, free_space
from shorewatch.geo import LocalFrame
from shorewatch.site import Site
from shorewatch.types import DEFAULT_INTRINSICS, CameraIntrinsics

logger = logging.getLogger(__name__)

# MAVLink ids used in missions (values from common.xml; kept here so planning needs no pymavlink).
CMD_NAV_WAYPOINT = 16
CMD_NAV_LOITER_TIME = 19
CMD_NAV_RETURN_TO_LAUNCH = 20
CMD_NAV_LAND = 21
CMD_NAV_TAKEOFF = 22
CMD_DO_CHANGE_SPEED = 178
CMD_DO_SET_ROI_LOCATION = 195
CMD_DO_MOUNT_CONTROL = 205
FRAME_GLOBAL = 0
FRAME_MISSION = 2
FRAME_GLOBAL_RELATIVE_ALT = 3
MOUNT_MODE_MAVLINK_TARGETING = 2

NAV_WITH_POSITION = frozenset({CMD_NAV_WAYPOINT, CMD_NAV_LOITER_TIME, CMD_NAV_LAND, CMD_NAV_TAKEOFF})
COMMAND_NAMES = {
    CMD_NAV_WAYPOINT: "NAV_WAYPOINT",
    CMD_NAV_LOITER_TIME: "NAV_LOITER_TIME",
    CMD_NAV_RETURN_TO_LAUNCH: "NAV_RETURN_TO_LAUNCH",
    CMD_NAV_LAND: "NAV_LAND",
    CMD_NAV_TAKEOFF: "NAV_TAKEOFF",
    CMD_DO_CHANGE_SPEED: "DO_CHANGE_SPEED",
    CMD_DO_SET_ROI_LOCATION: "DO_SET_ROI_LOCATION",
    CMD_DO_MOUNT_CONTROL: "DO_MOUNT_CONTROL",
}


@dataclass(frozen=True, slots=True)
class GeoPoint:
    lat_deg: float
    lon_deg: float
    alt_m: float = 0.0


@dataclass(frozen=True, slots=True)
class MissionItem:
    """One MAVLink mission item (MISSION_ITEM_INT fields; x/y as degrees)."""

    command: int
    frame: int = FRAME_GLOBAL_RELATIVE_ALT
    param1: float = 0.0
    param2: float = 0.0
    param3: float = 0.0
    param4: float = 0.0
    lat_deg: float = 0.0
    lon_deg: float = 0.0
    alt_m: float = 0.0
    autocontinue: bool = True

    @property
    def name(self) -> str:
        return COMMAND_NAMES.get(self.command, f"MAV_CMD_{self.command}")

    @property
    def has_position(self) -> bool:
        """A navigation item with its own lat/lon (takeoff/land at 0,0 mean 'here')."""
        return self.command in NAV_WITH_POSITION and not (self.lat_deg == 0.0 and self.lon_deg == 0.0)

    @property
    def params(self) -> tuple[float, float, float, float, float, float, float]:
        return (self.param1, self.param2, self.param3, self.param4, self.lat_deg, self.lon_deg, self.alt_m)


@dataclass(frozen=True, slots=True)
class BatteryModel:
    """How long a drone flies and how fast it climbs: ArduCopter's default WPNAV_* rates."""

    endurance_s: float = 1500.0  # flight time on a full battery at cruise (25 min)
    reserve_pct: float = 25.0  # left in the battery on landing
    climb_mps: float = 2.5  # WPNAV_SPEED_UP
    descent_mps: float = 1.5  # WPNAV_SPEED_DN
    land_mps: float = 0.5  # LAND_SPEED, the last 10 m
    accel_mps2: float = 2.5  # WPNAV_ACCEL
    rtl_alt_m: float = 15.0  # RTL_ALT

    def __post_init__(self) -> None:
        if not (self.endurance_s > 0 and 0 <= self.reserve_pct < 100):
            raise PlanError(
                f"battery: endurance_s must be > 0 and reserve_pct in [0, 100), got "
                f"{self.endurance_s}, {self.reserve_pct}"
            )

    @property
    def usable_s(self) -> float:
        return self.endurance_s * (1.0 - self.reserve_pct / 100.0)


@dataclass(frozen=True, slots=True)
class Footprint:
    """Ground interval the image centre column spans across the track, metres from the drone
    towards where the camera looks (``far_m`` may be ``inf`` at or above the horizon)."""

    near_m: float
    far_m: float
    width_at_near_m: float


@dataclass(frozen=True, slots=True)
class PlanStats:
    length_m: float
    duration_s: float
    battery_pct: float
    coverage_pct: float | None = None  # of the beach+surf band (corridor) or the area (survey)
    waypoints: int = 0


@dataclass(frozen=True)
class MissionPlan:
    """A mission for one drone: items after home (item 0 is the vehicle's home, never here)."""

    name: str
    kind: str  # corridor | survey | line | imported | goto
    home: GeoPoint
    items: tuple[MissionItem, ...]
    altitude_m: float
    cruise_speed_mps: float
    gimbal_pitch_deg: float = -90.0
    stats: PlanStats = field(default_factory=lambda: PlanStats(0.0, 0.0, 0.0))
    geofence: Polygon | None = None  # lon/lat
    exclusions: tuple[Polygon, ...] = ()  # lon/lat no-fly polygons
    rally_points: tuple[GeoPoint, ...] = ()
    drone_id: str | None = None
    sector: int | None = None
    leg: int | None = None
    # NAV_WAYPOINTs added only to get from home to the route and back around no-fly zones
    # (first, last): not part of the patrol, so ``split_legs`` leaves them out.
    transit_wps: tuple[int, int] = (0, 0)

    def nav_points(self) -> list[GeoPoint]:
        """The positions flown, in order, starting and (after RTL) ending at home."""
        pts = [self.home]
        alt = 0.0
        for it in self.items:
            if it.command == CMD_NAV_TAKEOFF:
                alt = it.alt_m
                pts.append(GeoPoint(pts[-1].lat_deg, pts[-1].lon_deg, alt))
            elif it.has_position:
                alt = it.alt_m
                pts.append(GeoPoint(it.lat_deg, it.lon_deg, alt))
            elif it.command == CMD_NAV_RETURN_TO_LAUNCH:
                pts.append(GeoPoint(self.home.lat_deg, self.home.lon_deg, 0.0))
        return pts

    def path_geo(self) -> LineString:
        pts = self.nav_points()
        if len(pts) == 1:
            pts = pts * 2
        return LineString([(p.lon_deg, p.lat_deg) for p in pts])

    @property
    def max_alt_m(self) -> float:
        return max((it.alt_m for it in self.items if it.command in NAV_WITH_POSITION), default=0.0)

    def with_stats(
        self, battery: BatteryModel | None = None, coverage_pct: float | None = None
    ) -> MissionPlan:
        st = estimate(self, battery or BatteryModel())
        return replace(self, stats=replace(st, coverage_pct=coverage_pct))


# ---------------------------------------------------------------------------------------------
# Camera footprint


def footprint(
    alt_m: float, depression_deg: float, intrinsics: CameraIntrinsics = DEFAULT_INTRINSICS
) -> Footprint:
    """Ground interval of the image centre column for a camera ``alt_m`` above a flat ground,
    looking ``depression_deg`` below the horizon (90 = nadir). Distances are measured from the
    point under the drone towards the look direction; negative = behind."""
    if alt_m <= 0:
        raise PlanError(f"altitude must be > 0 m to see the ground, got {alt_m}")
    half_v = intrinsics.vfov_deg / 2.0
    hi = min(depression_deg + half_v, 179.9)
    lo = depression_deg - half_v
    near = alt_m / math.tan(math.radians(hi))
    far = math.inf if lo <= 0.05 else alt_m / math.tan(math.radians(lo))
    slant = math.hypot(alt_m, near)
    width = 2.0 * slant * math.tan(math.radians(intrinsics.hfov_deg / 2.0))
    return Footprint(near, far, width)


def nadir_width_m(alt_m: float, intrinsics: CameraIntrinsics = DEFAULT_INTRINSICS) -> float:
    """Across-track ground width of a nadir image (the image's width across the track)."""
    return 2.0 * alt_m * math.tan(math.radians(intrinsics.hfov_deg / 2.0))


def best_depression(
    alt_m: float, near_m: float, far_m: float, intrinsics: CameraIntrinsics = DEFAULT_INTRINSICS
) -> tuple[float, float]:
    """The depression angle (deg below horizon) whose footprint covers most of the ground band
    [near_m, far_m] (metres towards the look direction), preferring the steepest (sharpest)
    view among equals. Returns (depression_deg, fraction of the band covered)."""
    if far_m <= near_m:
        raise PlanError(f"band to cover must have far_m > near_m, got [{near_m}, {far_m}]")
    best = (90.0, -1.0)
    for d in np.arange(90.0, 1.0, -0.25):
        fp = footprint(alt_m, float(d), intrinsics)
        cov = max(0.0, min(far_m, fp.far_m) - max(near_m, fp.near_m)) / (far_m - near_m)
        if cov > best[1] + 1e-9:
            best = (float(d), cov)
    return best


# ---------------------------------------------------------------------------------------------
# Geometry helpers (local metres)


def _longest(geom: Any) -> LineString:
    if isinstance(geom, LineString):
        return geom
    if isinstance(geom, MultiLineString) and len(geom.geoms):
        return max(geom.geoms, key=lambda g: g.length)
    raise PlanError(f"offsetting the waterline gave no usable line ({geom.geom_type})")


def land_side(site: Site, line: LineString) -> int:
    """+1 if the land lies to the left of ``line`` (local metres, in its direction), else -1."""
    land = site.land_local
    votes = 0
    n = max(8, min(200, int(line.length // 200)))
    for i in range(n):
        s = (i + 0.5) / n * line.length
        p = line.interpolate(s)
        q = line.interpolate(min(s + 1.0, line.length))
        if q.equals(p):
            q, p = p, line.interpolate(max(s - 1.0, 0.0))
        dx, dy = q.x - p.x, q.y - p.y
        norm = math.hypot(dx, dy) or 1.0
        left = Point(p.x - dy / norm * 30.0, p.y + dx / norm * 30.0)
        right = Point(p.x + dy / norm * 30.0, p.y - dx / norm * 30.0)
        votes += int(land.contains(left)) - int(land.contains(right))
    return 1 if votes >= 0 else -1


def coast_segment(site: Site, start_m: float = 0.0, end_m: float | None = None) -> LineString:
    """The waterline between ``start_m`` and ``end_m`` metres along it (local frame)."""
    wl = site.waterline_local
    end = wl.length if end_m is None else end_m
    if not (0.0 <= start_m < end <= wl.length + 1e-6):
        raise PlanError(
            f"coast segment must satisfy 0 <= start_m < end_m <= {wl.length:.0f} (the waterline's "
            f"length in metres), got start_m={start_m}, end_m={end}"
        )
    seg = substring(wl, start_m, min(end, wl.length))
    if not isinstance(seg, LineString) or seg.length < 1.0:
        raise PlanError(f"coast segment [{start_m}, {end}] is too short")
    return seg


def water_edge_segment(site: Site, seg: LineString, tide_m: float | None) -> LineString:
    """``seg``, a piece of the waterline, moved out to the water's edge the tide leaves (on beaches
    with a ``drying_m``; ``seg`` itself when the tide is unknown or high)."""
    fs, f = site.foreshore, site.tide_fraction(tide_m)
    if fs is None or f <= 0:
        return seg
    return LineString(fs.to_edge(seg.coords, f))


def position_along_coast(site: Site, lat_deg: float, lon_deg: float) -> float:
    """Metres along the waterline of the point nearest to (lat, lon)."""
    return float(site.waterline_local.project(site.to_local(Point(lon_deg, lat_deg))))


def split_sectors(length_m: float, n: int, start_m: float = 0.0) -> list[tuple[float, float]]:
    """``n`` equal, contiguous (start_m, end_m) sectors covering ``length_m`` from ``start_m``."""
    if n < 1:
        raise PlanError(f"need at least one drone/sector, got {n}")
    if length_m <= 0:
        raise PlanError(f"length to split must be > 0 m, got {length_m}")
    step = length_m / n
    return [(start_m + i * step, start_m + (i + 1) * step) for i in range(n)]


def offset_route(site: Site, seg: LineString, standoff_m: float, simplify_m: float = 10.0) -> LineString:
    """``seg`` offset ``standoff_m`` seaward (negative: landward), in ``seg``'s direction."""
    side = land_side(site, seg)
    base = seg.simplify(simplify_m, preserve_topology=False)
    if abs(standoff_m) < 1e-6:
        return base  # type: ignore[no-any-return]
    left = -side * standoff_m  # shapely: positive offset = left side
    route = _longest(shapely.offset_curve(base, left, quad_segs=4, join_style="round"))
    route = route.simplify(simplify_m / 2.0, preserve_topology=False)
    start = Point(base.coords[0])
    if Point(route.coords[0]).distance(start) > Point(route.coords[-1]).distance(start):
        route = LineString(list(route.coords)[::-1])
    return route  # type: ignore[no-any-return]


def _strip(route: LineString, side: int, near_m: float, far_m: float) -> Polygon | Any:
    """Ground seen by a camera looking to ``side`` (+1 left, -1 right) between near and far."""
    far_m = min(far_m, near_m + 3000.0)
    quads = []
    cs = np.asarray(route.coords)
    for (x0, y0), (x1, y1) in itertools.pairwise(cs):
        dx, dy = x1 - x0, y1 - y0
        norm = math.hypot(dx, dy)
        if norm < 1e-6:
            continue
        nx, ny = -dy / norm * side, dx / norm * side
        quads.append(
            Polygon(
                [
                    (x0 + nx * near_m, y0 + ny * near_m),
                    (x1 + nx * near_m, y1 + ny * near_m),
                    (x1 + nx * far_m, y1 + ny * far_m),
                    (x0 + nx * far_m, y0 + ny * far_m),
                ]
            ).buffer(0)
        )
    return unary_union(quads)


def corridor_band(site: Site, seg: LineString, beach_width_m: float, surf_width_m: float) -> Any:
    """The beach+surf band to watch: ``beach_width_m`` landward and ``surf_width_m`` seaward."""
    side = land_side(site, seg)
    land_part = seg.buffer(side * beach_width_m, single_sided=True)
    sea_part = seg.buffer(-side * surf_width_m, single_sided=True)
    return unary_union([land_part, sea_part])


# ---------------------------------------------------------------------------------------------
# Building missions


@dataclass(frozen=True, slots=True)
class _Wp:
    east_m: float
    north_m: float
    hold_s: float = 0.0
    gimbal_yaw_deg: float = 0.0


def _items(
    frame: LocalFrame,
    wps: Sequence[_Wp],
    *,
    alt_m: float,
    speed_mps: float,
    gimbal_pitch_deg: float,
    rtl: bool = True,
) -> tuple[MissionItem, ...]:
    items = [
        MissionItem(CMD_NAV_TAKEOFF, FRAME_GLOBAL_RELATIVE_ALT, alt_m=alt_m),
        MissionItem(CMD_DO_CHANGE_SPEED, FRAME_MISSION, param1=1.0, param2=speed_mps, param3=-1.0),
    ]
    yaw: float | None = None
    prev: tuple[float, float] | None = None
    for w in wps:
        if yaw is None or abs(w.gimbal_yaw_deg - yaw) > 1e-6:
            yaw = w.gimbal_yaw_deg
            if prev is not None:
                # ArduCopter runs a DO command as soon as the NAV command before it *starts*: a
                # zero-length waypoint at the turn point makes the camera swing there, not at
                # the start of the leg that leads to it.
                items.append(
                    MissionItem(
                        CMD_NAV_WAYPOINT,
                        FRAME_GLOBAL_RELATIVE_ALT,
                        lat_deg=prev[0],
                        lon_deg=prev[1],
                        alt_m=alt_m,
                    )
                )
            items.append(
                MissionItem(
                    CMD_DO_MOUNT_CONTROL,
                    FRAME_MISSION,
                    param1=gimbal_pitch_deg,
                    param3=yaw,
                    alt_m=float(MOUNT_MODE_MAVLINK_TARGETING),
                )
            )
        lat, lon = frame.to_geo(w.east_m, w.north_m)
        prev = (lat, lon)
        items.append(
            MissionItem(
                CMD_NAV_WAYPOINT,
                FRAME_GLOBAL_RELATIVE_ALT,
                param1=w.hold_s,
                lat_deg=lat,
                lon_deg=lon,
                alt_m=alt_m,
            )
        )
    if rtl:
        items.append(MissionItem(CMD_NAV_RETURN_TO_LAUNCH, FRAME_MISSION))
    return tuple(items)


@dataclass(frozen=True, slots=True)
class Keyframe:
    """Where the drone is at ``t_s`` seconds after take-off begins (metres east/north of home,
    altitude above it) and how many waypoints (``NAV_WAYPOINT``) it has reached by then."""

    t_s: float
    east_m: float
    north_m: float
    alt_m: float
    waypoints_reached: int


def estimate(plan: MissionPlan, battery: BatteryModel | None = None) -> PlanStats:
    """Length, duration and battery use of flying ``plan`` from home and back, with ArduCopter's
    default climb/descent rates, a full stop at holds and sharp turns, and RTL at the end."""
    return fly_times(plan, battery)[0]


def fly_times(plan: MissionPlan, battery: BatteryModel | None = None) -> tuple[PlanStats, list[Keyframe]]:
    """``estimate``, with the flight's keyframes (take-off, every arrival and departure, RTL's
    landing) in the time model it sums: straight lines between them."""
    bat = battery or BatteryModel()
    keys: list[Keyframe] = [Keyframe(0.0, 0.0, 0.0, 0.0, 0)]
    fr = LocalFrame(plan.home.lat_deg, plan.home.lon_deg)
    speed = max(plan.cruise_speed_mps, 0.5)
    t = 0.0
    length = 0.0
    pos = (0.0, 0.0)
    alt = 0.0
    heading: float | None = None
    n_wp = 0
    reached = 0
    for it in plan.items:
        if it.command == CMD_DO_CHANGE_SPEED and it.param2 > 0:
            speed = it.param2
        elif it.command == CMD_NAV_TAKEOFF:
            t += max(it.alt_m - alt, 0.0) / bat.climb_mps
            alt = it.alt_m
            keys.append(Keyframe(t, *pos, alt, reached))
        elif it.has_position:
            e, n = fr.to_local(it.lat_deg, it.lon_deg)
            d = math.hypot(e - pos[0], n - pos[1])
            dz = it.alt_m - alt
            t += d / speed + (dz / bat.climb_mps if dz > 0 else -dz / bat.descent_mps)
            if d > 1e-3:
                h = math.atan2(e - pos[0], n - pos[1])
                if heading is not None and abs(
                    (h - heading + math.pi) % (2 * math.pi) - math.pi
                ) > math.radians(60):
                    t += speed / bat.accel_mps2  # brake and re-accelerate
                heading = h
            length += d
            pos, alt = (e, n), it.alt_m
            n_wp += 1
            reached += it.command == CMD_NAV_WAYPOINT
            keys.append(Keyframe(t, *pos, alt, reached))
            if it.command in (CMD_NAV_WAYPOINT, CMD_NAV_LOITER_TIME):
                t += max(it.param1, 0.0)
            if it.command == CMD_NAV_LAND:
                t += alt / bat.descent_mps
                alt = 0.0
            keys.append(Keyframe(t, *pos, alt, reached))
        elif it.command == CMD_NAV_RETURN_TO_LAUNCH:
            climb = max(bat.rtl_alt_m - alt, 0.0)
            d = math.hypot(pos[0], pos[1])
            top = alt + climb
            t += climb / bat.climb_mps + d / speed + 5.0
            t += max(top - 10.0, 0.0) / bat.descent_mps + min(top, 10.0) / bat.land_mps
            length += d
            pos, alt = (0.0, 0.0), 0.0
            keys.append(Keyframe(t, *pos, alt, reached))
    stats = PlanStats(
        length_m=length,
        duration_s=t,
        battery_pct=100.0 * t / bat.endurance_s,
        waypoints=n_wp,
    )
    return stats, keys


def nearest_launch_point(site: Site, east_m: float, north_m: float) -> GeoPoint:
    if not site.launch_points:
        raise PlanError(f"site {site.name!r} has no launch_point; pass home= explicitly")
    best = min(
        site.launch_points,
        key=lambda p: math.dist(site.frame.to_local(p.lat_deg, p.lon_deg), (east_m, north_m)),
    )
    return GeoPoint(best.lat_deg, best.lon_deg, 0.0)


def _site_extras(site: Site) -> dict[str, Any]:
    return {
        "geofence": site.geofence,
        "exclusions": tuple(a.geometry for a in site.no_fly),
        "rally_points": tuple(GeoPoint(p.lat_deg, p.lon_deg, 0.0) for p in site.launch_points),
    }


def _free_space(frame: LocalFrame, geofence: Polygon | None, exclusions: Sequence[Polygon]) -> FreeSpace:
    """Where detours may go, in ``frame``'s metres: inside the fence, clear of the zones."""

    def loc(poly: Polygon) -> Polygon:
        return Polygon([frame.to_local(y, x) for x, y, *_ in poly.exterior.coords])

    return free_space(loc(geofence) if geofence is not None else None, [loc(z) for z in exclusions])


def _site_free_space(site: Site) -> FreeSpace:
    return _free_space(site.frame, site.geofence, [a.geometry for a in site.no_fly])


def _with_transits(
    fs: FreeSpace, home_xy: tuple[float, float], wps: list[_Wp]
) -> tuple[list[_Wp], tuple[int, int]]:
    """``wps`` with waypoints added before and after so that the flight out from home (after
    take-off) and the RTL back go around no-fly zones; how many were added (before, after)."""
    if not wps:
        return wps, (0, 0)
    first, last = wps[0], wps[-1]
    out = fs.shortest_path(home_xy, (first.east_m, first.north_m)) or []
    back = fs.shortest_path((last.east_m, last.north_m), home_xy) or []
    pre = [_Wp(x, y, 0.0, first.gimbal_yaw_deg) for x, y in out[1:-1]]
    post = [_Wp(x, y, 0.0, last.gimbal_yaw_deg) for x, y in back[1:-1]]
    return [*pre, *wps, *post], (len(pre), len(post))


def _from_nearer_end(
    coords: list[tuple[float, float]], home_xy: tuple[float, float]
) -> tuple[list[tuple[float, float]], bool]:
    """A route to fly from whichever end is nearer home; whether that reversed it."""
    if math.dist(coords[-1], home_xy) < math.dist(coords[0], home_xy):
        return coords[::-1], True
    return coords, False


def _laps(
    coords: Sequence[tuple[float, float]], laps: int, yaw_first: float, turn_hold_s: float
) -> list[_Wp]:
    """``coords`` flown back and forth ``laps`` times (each lap one way): each turnaround holds
    ``turn_hold_s`` and swings the gimbal's yaw to the other side, so the camera keeps watching
    the same side of the route."""
    wps: list[_Wp] = []
    for lap in range(laps):
        lap_coords = coords if lap % 2 == 0 else coords[::-1]
        yaw = yaw_first if lap % 2 == 0 else -yaw_first
        for i, (x, y) in enumerate(lap_coords):
            if lap > 0 and i == 0:
                continue  # the turnaround point is the previous lap's last waypoint
            last = i == len(lap_coords) - 1
            wps.append(_Wp(x, y, turn_hold_s if (last and lap < laps - 1) else 0.0, yaw))
    return wps


def _check_common(altitude_m: float, speed_mps: float) -> None:
    if not (altitude_m > 0 and math.isfinite(altitude_m)):
        raise PlanError(f"altitude_m must be > 0, got {altitude_m}")
    if not (0.5 <= speed_mps <= 30):
        raise PlanError(f"speed_mps must be in [0.5, 30] m/s, got {speed_mps}")


def corridor_patrol(
    site: Site,
    *,
    start_m: float = 0.0,
    end_m: float | None = None,
    standoff_m: float = 100.0,
    altitude_m: float = 80.0,
    beach_width_m: float = 120.0,
    surf_width_m: float = 80.0,
    laps: int = 1,
    speed_mps: float = 10.0,
    turn_hold_s: float = 2.0,
    home: GeoPoint | None = None,
    intrinsics: CameraIntrinsics = DEFAULT_INTRINSICS,
    battery: BatteryModel | None = None,
    simplify_m: float = 10.0,
    name: str | None = None,
    drone_id: str | None = None,
    sector: int | None = None,
    tide_m: float | None = None,
) -> MissionPlan:
    """A patrol along the waterline between ``start_m`` and ``end_m`` (metres along it),
    ``standoff_m`` seaward of it, ``laps`` times (each lap one way; turnarounds hold
    ``turn_hold_s`` and swing the camera to the other side), from ``home`` (default: the
    launch point nearest to the segment) and back by RTL. With ``tide_m`` (the tide height now)
    the line followed is the water's edge that tide leaves (``water_edge_segment``)."""
    _check_common(altitude_m, speed_mps)
    if laps < 1:
        raise PlanError(f"laps must be >= 1, got {laps}")
    if beach_width_m < 0 or surf_width_m < 0 or beach_width_m + surf_width_m <= 0:
        raise PlanError(
            f"beach_width_m and surf_width_m must be >= 0 with a positive sum, got {beach_width_m}, {surf_width_m}"
        )
    seg = water_edge_segment(site, coast_segment(site, start_m, end_m), tide_m)
    route = offset_route(site, seg, standoff_m, simplify_m)
    fs = _site_free_space(site)
    route = LineString(fs.reroute(list(route.coords)))  # around no-fly zones, inside the fence
    frame = site.frame
    if home is None:
        mid = route.interpolate(0.5, normalized=True)
        home = nearest_launch_point(site, mid.x, mid.y)
    he, hn = frame.to_local(home.lat_deg, home.lon_deg)
    coords = list(route.coords)
    side = land_side(site, seg)  # +1: land on the left of the first lap's direction
    coords, flipped = _from_nearer_end(coords, (he, hn))
    if flipped:
        route = LineString(coords)
        side = -side
    # Camera: look towards the land, covering from the surf's outer edge to the beach's top.
    near_band = standoff_m - surf_width_m
    far_band = standoff_m + beach_width_m
    if near_band < 0 < far_band and standoff_m <= 0:
        depression, _ = 90.0, 0.0  # above the band: look straight down
    else:
        depression, _ = best_depression(altitude_m, near_band, far_band, intrinsics)
    fp = footprint(altitude_m, depression, intrinsics)
    gimbal_pitch = -depression
    yaw_first = -90.0 * side if depression < 89.99 else 0.0  # land on the left -> look left (-90)
    wps = _laps(coords, laps, yaw_first, turn_hold_s)
    wps, transit = _with_transits(fs, (he, hn), wps)
    items = _items(frame, wps, alt_m=altitude_m, speed_mps=speed_mps, gimbal_pitch_deg=gimbal_pitch)
    # Coverage of the beach+surf band by the camera strip.
    band = corridor_band(site, seg, beach_width_m, surf_width_m)
    if depression >= 89.99:
        half = nadir_width_m(altitude_m, intrinsics) / 2
        strip = route.buffer(half, cap_style="flat")
    else:
        strip = _strip(route, side, fp.near_m, fp.far_m)
    coverage = 100.0 * band.intersection(strip).area / band.area if band.area > 0 else 0.0
    plan = MissionPlan(
        name=name or f"corridor {start_m / 1000:.1f}-{(end_m or site.waterline_local.length) / 1000:.1f} km",
        kind="corridor",
        home=home,
        items=items,
        altitude_m=altitude_m,
        cruise_speed_mps=speed_mps,
        gimbal_pitch_deg=gimbal_pitch,
        drone_id=drone_id,
        sector=sector,
        transit_wps=transit,
        **_site_extras(site),
    )
    return plan.with_stats(battery, coverage)


LOOKS = ("down", "left", "right")


def line_patrol(
    site: Site,
    line: LineString,
    *,
    altitude_m: float = 60.0,
    speed_mps: float = 10.0,
    laps: int = 1,
    look: str = "down",
    depression_deg: float = 45.0,
    turn_hold_s: float = 2.0,
    home: GeoPoint | None = None,
    battery: BatteryModel | None = None,
    simplify_m: float = 5.0,
    name: str | None = None,
    drone_id: str | None = None,
    sector: int | None = None,
) -> MissionPlan:
    """A patrol along a centre-line drawn elsewhere (``line``: lon/lat, e.g. ``flight.lines.load_line``):
    a cliff-top path, a river mouth, a harbour wall. Flown ``laps`` times (each lap one way;
    turnarounds hold ``turn_hold_s``) at ``altitude_m``, around no-fly zones and inside the
    geofence like a corridor, from ``home`` (default: the launch point nearest the line) and back
    by RTL. The camera looks ``down`` (nadir), or to the ``left``/``right`` of the line as drawn,
    ``depression_deg`` below the horizon, and swings over at each turnaround to keep that side."""
    _check_common(altitude_m, speed_mps)
    if laps < 1:
        raise PlanError(f"laps must be >= 1, got {laps}")
    if look not in LOOKS:
        raise PlanError(f"look must be one of {', '.join(LOOKS)}, got {look!r}")
    if not 5.0 <= depression_deg <= 90.0:
        raise PlanError(f"depression_deg must be in [5, 90] degrees below the horizon, got {depression_deg}")
    if site.geofence is not None and not line.intersects(site.geofence):
        c = line.centroid
        raise PlanError(
            f"the line (around lon {c.x:.4f}, lat {c.y:.4f}) lies outside the geofence of {site.name!r}; "
            "expected a route on this site's coast (KML and GeoJSON give lon before lat)"
        )
    local = site.to_local(line).simplify(simplify_m, preserve_topology=False)
    if local.length < 10.0:
        raise PlanError(f"the line is {local.length:.1f} m long; a patrol needs at least 10 m")
    fs = _site_free_space(site)
    coords = list(LineString(fs.reroute(list(local.coords))).coords)
    frame = site.frame
    if home is None:
        home = nearest_launch_point(site, *coords[0])
    he, hn = frame.to_local(home.lat_deg, home.lon_deg)
    coords, reverse = _from_nearer_end(coords, (he, hn))
    side_yaw = {"down": 0.0, "left": -90.0, "right": 90.0}[look]
    yaw_first = -side_yaw if reverse else side_yaw  # "left" stays the drawn line's left
    pitch = -90.0 if look == "down" else -depression_deg
    wps = _laps(coords, laps, yaw_first, turn_hold_s)
    wps, transit = _with_transits(fs, (he, hn), wps)
    items = _items(frame, wps, alt_m=altitude_m, speed_mps=speed_mps, gimbal_pitch_deg=pitch)
    plan = MissionPlan(
        name=name or f"line {LineString(coords).length / 1000:.1f} km",
        kind="line",
        home=home,
        items=items,
        altitude_m=altitude_m,
        cruise_speed_mps=speed_mps,
        gimbal_pitch_deg=pitch,
        drone_id=drone_id,
        sector=sector,
        transit_wps=transit,
        **_site_extras(site),
    )
    return plan.with_stats(battery)


def survey_lanes(area: Polygon, spacing_m: float, angle_deg: float | None = None) -> list[LineString]:
    """Lawn-mower lanes over ``area`` (local metres), ``spacing_m`` apart, boustrophedon order.

    Each lane spans the part of the polygon within half a spacing of it, so a camera whose
    swath is at least ``spacing_m`` wide covers the whole polygon. ``angle_deg``: lane direction
    (counter-clockwise from east); default along the polygon's longest side."""
    if not area.is_valid or area.is_empty or area.area <= 0:
        raise PlanError("survey area must be a valid, non-empty polygon")
    if spacing_m <= 0:
        raise PlanError(f"lane spacing must be > 0 m, got {spacing_m}")
    if angle_deg is None:
        rect = area.minimum_rotated_rectangle
        cs = list(rect.exterior.coords)
        edges = [(cs[i], cs[i + 1]) for i in range(len(cs) - 1)]
        (x0, y0), (x1, y1) = max(edges, key=lambda e: math.dist(e[0], e[1]))
        angle_deg = math.degrees(math.atan2(y1 - y0, x1 - x0))
    c = area.centroid
    rot = affinity.rotate(area, -angle_deg, origin=c)
    minx, miny, maxx, maxy = rot.bounds
    n = max(1, math.ceil((maxy - miny) / spacing_m - 1e-9))
    y0 = (miny + maxy) / 2 - (n - 1) * spacing_m / 2
    lanes: list[LineString] = []
    for i in range(n):
        y = y0 + i * spacing_m
        band = rot.intersection(box(minx - 1, y - spacing_m / 2, maxx + 1, y + spacing_m / 2))
        parts = [g for g in getattr(band, "geoms", [band]) if not g.is_empty and g.area > 1e-6]
        spans = sorted((g.bounds[0], g.bounds[2]) for g in parts)
        merged: list[list[float]] = []
        for a, b in spans:
            if merged and a <= merged[-1][1] + 1e-6:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        row = [LineString([(a, y), (b if b - a > 0.01 else a + 0.01, y)]) for a, b in merged]
        if i % 2:
            row = [LineString(list(ln.coords)[::-1]) for ln in reversed(row)]
        lanes.extend(affinity.rotate(ln, angle_deg, origin=c) for ln in row)
    return lanes


def area_survey(
    site: Site,
    area: Polygon,
    *,
    altitude_m: float = 60.0,
    overlap: float = 0.3,
    speed_mps: float = 8.0,
    angle_deg: float | None = None,
    home: GeoPoint | None = None,
    intrinsics: CameraIntrinsics = DEFAULT_INTRINSICS,
    battery: BatteryModel | None = None,
    name: str = "survey",
    drone_id: str | None = None,
    sector: int | None = None,
) -> MissionPlan:
    """A lawn-mower survey of ``area`` (lon/lat polygon) with a nadir camera; lane spacing is
    the image's ground width times (1 - ``overlap``)."""
    _check_common(altitude_m, speed_mps)
    if not (0.0 <= overlap < 0.95):
        raise PlanError(f"overlap must be in [0, 0.95), got {overlap}")
    if not area.is_valid:
        raise PlanError(f"survey area is not a valid polygon: {shapely.validation.explain_validity(area)}")
    local = site.to_local(area)
    spacing = nadir_width_m(altitude_m, intrinsics) * (1.0 - overlap)
    lanes = survey_lanes(local, spacing, angle_deg)
    if home is None:
        c = local.centroid
        home = nearest_launch_point(site, c.x, c.y)
    he, hn = site.frame.to_local(home.lat_deg, home.lon_deg)
    if math.dist(lanes[-1].coords[-1], (he, hn)) < math.dist(lanes[0].coords[0], (he, hn)):
        lanes = [LineString(list(ln.coords)[::-1]) for ln in reversed(lanes)]
    fs = _site_free_space(site)
    path = fs.reroute([(x, y) for ln in lanes for (x, y) in ln.coords])
    wps, transit = _with_transits(fs, (he, hn), [_Wp(x, y) for x, y in path])
    items = _items(site.frame, wps, alt_m=altitude_m, speed_mps=speed_mps, gimbal_pitch_deg=-90.0)
    swath = unary_union(
        [ln.buffer(nadir_width_m(altitude_m, intrinsics) / 2, cap_style="flat") for ln in lanes]
    )
    coverage = 100.0 * local.intersection(swath).area / local.area
    plan = MissionPlan(
        name=name,
        kind="survey",
        home=home,
        items=items,
        altitude_m=altitude_m,
        cruise_speed_mps=speed_mps,
        gimbal_pitch_deg=-90.0,
        drone_id=drone_id,
        sector=sector,
        transit_wps=transit,
        **_site_extras(site),
    )
    return plan.with_stats(battery, coverage)


def split_area(area: Polygon, n: int) -> list[Polygon]:
    """Cut a polygon (any CRS) into ``n`` strips of equal width across its long axis."""
    if n < 1:
        raise PlanError(f"need at least one sector, got {n}")
    rect = area.minimum_rotated_rectangle
    cs = list(rect.exterior.coords)
    (x0, y0), (x1, y1) = max(((cs[i], cs[i + 1]) for i in range(4)), key=lambda e: math.dist(e[0], e[1]))
    ang = math.degrees(math.atan2(y1 - y0, x1 - x0))
    c = area.centroid
    rot = affinity.rotate(area, -ang, origin=c)
    minx, miny, maxx, maxy = rot.bounds
    step = (maxx - minx) / n
    out = []
    for i in range(n):
        piece = rot.intersection(box(minx + i * step, miny - 1, minx + (i + 1) * step, maxy + 1))
        if isinstance(piece, Polygon):
            out.append(affinity.rotate(piece, ang, origin=c))
        else:
            out.append(affinity.rotate(max(piece.geoms, key=lambda g: g.area), ang, origin=c))
    return out


def fleet_corridor(
    site: Site,
    n_drones: int,
    *,
    start_m: float = 0.0,
    end_m: float | None = None,
    drone_ids: Sequence[str] | None = None,
    homes: Sequence[GeoPoint] | None = None,
    **kwargs: Any,
) -> list[MissionPlan]:
    """Split the coast between ``start_m`` and ``end_m`` into ``n_drones`` equal sectors and plan
    a corridor patrol for each (home: the launch point nearest its sector, or ``homes[i]``)."""
    end = site.waterline_local.length if end_m is None else end_m
    sectors = split_sectors(end - start_m, n_drones, start_m)
    ids = list(drone_ids) if drone_ids else [f"drone-{i + 1}" for i in range(n_drones)]
    if len(ids) != n_drones or (homes is not None and len(homes) != n_drones):
        raise PlanError(f"need {n_drones} drone ids/homes, got {len(ids)}/{len(homes or [])}")
    return [
        corridor_patrol(
            site,
            start_m=a,
            end_m=b,
            home=homes[i] if homes else None,
            drone_id=ids[i],
            sector=i,
            name=f"{ids[i]} sector {i + 1}/{n_drones}: {a / 1000:.1f}-{b / 1000:.1f} km",
            **kwargs,
        )
        for i, (a, b) in enumerate(sectors)
    ]


def split_legs(
    plan: MissionPlan,
    battery: BatteryModel | None = None,
    launch_points: Sequence[GeoPoint] | None = None,
) -> list[MissionPlan]:
    """Cut a plan into sorties that each fit the battery's usable time (with its reserve):
    each leg takes off from its home, flies a contiguous part of the route and returns (RTL).
    A leg's home is the one of ``launch_points`` nearest to where it starts (default: the
    plan's home). A plan that already fits comes back as the only leg."""
    bat = battery or BatteryModel()
    if not launch_points and estimate(plan, bat).duration_s <= bat.usable_s:
        return [replace(plan, leg=0)]
    fr = LocalFrame(plan.home.lat_deg, plan.home.lon_deg)
    yaw = 0.0
    route: list[_Wp] = []
    for it in plan.items:
        if it.command == CMD_DO_MOUNT_CONTROL:
            yaw = it.param3
        elif it.command == CMD_NAV_WAYPOINT:
            e, n = fr.to_local(it.lat_deg, it.lon_deg)
            route.append(_Wp(e, n, it.param1, yaw))
    pre, post = plan.transit_wps
    route = route[pre : len(route) - post]  # each leg gets its own way out and back
    fs = _free_space(fr, plan.geofence, plan.exclusions)
    if not route:
        raise PlanError("the plan has no waypoints to split into legs")
    homes = list(launch_points) if launch_points else [plan.home]
    homes_local = [fr.to_local(h.lat_deg, h.lon_deg) for h in homes]

    def home_for(w: _Wp) -> GeoPoint:
        i = min(range(len(homes)), key=lambda j: math.dist(homes_local[j], (w.east_m, w.north_m)))
        return homes[i]

    def make(wps: list[_Wp], k: int, home: GeoPoint) -> MissionPlan:
        flown, transit = _with_transits(fs, fr.to_local(home.lat_deg, home.lon_deg), wps)
        items = _items(
            fr,
            flown,
            alt_m=plan.altitude_m,
            speed_mps=plan.cruise_speed_mps,
            gimbal_pitch_deg=plan.gimbal_pitch_deg,
        )
        leg = replace(
            plan, items=items, home=home, name=f"{plan.name} leg {k + 1}", leg=k, transit_wps=transit
        )
        return replace(leg, stats=replace(estimate(leg, bat), coverage_pct=plan.stats.coverage_pct))

    def fits(wps: list[_Wp], home: GeoPoint) -> bool:
        return estimate(make(wps, 0, home), bat).duration_s <= bat.usable_s

    def lerp(a: _Wp, b: _Wp, f: float) -> _Wp:
        return _Wp(
            a.east_m + (b.east_m - a.east_m) * f,
            a.north_m + (b.north_m - a.north_m) * f,
            0.0,
            b.gimbal_yaw_deg,
        )

    legs: list[MissionPlan] = []
    remaining = list(route)
    while remaining:
        home = home_for(remaining[0])
        if not fits(remaining[:1], home):
            raise PlanError(
                f"a waypoint {math.dist(homes_local[homes.index(home)], (remaining[0].east_m, remaining[0].north_m)):.0f} m "
                f"from the nearest launch point cannot be reached and returned from within the battery's "
                f"usable {bat.usable_s:.0f} s ({bat.reserve_pct:.0f}% reserve)"
            )
        k = 1
        while k < len(remaining) and fits(remaining[: k + 1], home):
            k += 1
        if k == len(remaining):
            legs.append(make(remaining, len(legs), home))
            break
        a, b = remaining[k - 1], remaining[k]
        lo, hi = 0.0, 1.0
        for _ in range(20):
            mid = (lo + hi) / 2
            if fits([*remaining[:k], lerp(a, b, mid)], home):
                lo = mid
            else:
                hi = mid
        if k == 1 and lo < 1e-3:
            raise PlanError(
                "the route cannot be split into legs that fit the battery from these launch points"
            )
        cut = lerp(a, b, lo)
        legs.append(make([*remaining[:k], cut], len(legs), home))
        remaining = [cut, *remaining[k:]]
    return legs
