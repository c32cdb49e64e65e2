"""The simulated coastline and everything that moves in it.

``World(site, scenario, seed)`` holds the site geometry as rasters in the site's ``LocalFrame``
(signed distance to the waterline, land use), the scenario's actors, and deterministic clutter.
Every actor's state is a closed-form function of time, so ``step_to(t_s)`` can jump anywhere
(forwards or backwards) and a seed always reproduces the same world.

Errors::

    WorldError (ValueError)   a scenario refers to something the site lacks (e.g. an unknown
                              launch point), or a time is out of range.
"""

from __future__ import annotations

import logging
import math
import zlib
from dataclasses import dataclass, field, replace

import cv2
import numpy as np
import numpy.typing as npt

from flight.sim.scenario import (
    BoatActor,
    LaunchActor,
    Scenario,
    SwimmerActor,
    VehicleActor,
    WalkersActor,
)
from shorewatch.site import Site, SiteError

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]


class WorldError(ValueError):
    """The scenario does not fit the site, or a request to the world is out of range."""


# ----------------------------------------------------------------------------------------------
# Objects


BOAT_DEFAULTS: dict[str, tuple[float, float, float, int]] = {
    # kind: (length_m, beam_m / length, freeboard_m, default people)
    "inflatable": (9.0, 0.28, 0.55, 40),
    "rib": (6.5, 0.36, 0.7, 4),
    "motorboat": (7.0, 0.36, 1.0, 2),
    "fishing": (14.0, 0.33, 1.6, 3),
    "yacht": (12.0, 0.32, 1.2, 3),
    "sailboat": (9.0, 0.33, 1.0, 2),
    "ferry": (150.0, 0.18, 12.0, 0),
    "tanker": (110.0, 0.16, 9.0, 0),
    "kayak": (4.0, 0.18, 0.3, 1),
    "windsurf": (2.6, 0.25, 0.15, 1),
}


@dataclass(frozen=True, slots=True)
class WorldObject:
    """One thing in the world at the current time. ``class_name`` is ``"boat"``, ``"person"`` or
    ``""`` for unlabelled things (dogs, vehicles, chairs, buoys...)."""

    object_id: int
    class_name: str
    kind: str
    east_m: float
    north_m: float
    heading_deg: float = 0.0
    length_m: float = 1.0
    beam_m: float = 0.5
    height_m: float = 1.0
    speed_mps: float = 0.0
    in_water: bool = False
    in_boat: bool = False
    scale: float = 1.0  # inflation of a boat (0.2 = a rolled bundle)
    style: int = 0  # a per-object random integer the renderer uses for colours and shapes
    people: int = 0  # people aboard (boats), drawn as part of the boat if not separate objects
    labelled: bool = True


@dataclass(frozen=True, slots=True)
class LaunchTruth:
    """When and where the launched boat entered the water."""

    timestamp_s: float
    lat_deg: float
    lon_deg: float
    east_m: float
    north_m: float


# ----------------------------------------------------------------------------------------------
# Terrain


@dataclass(frozen=True, slots=True)
class Terrain:
    """Rasters of the site in local metres: ``sdist`` is the signed distance to the waterline
    (positive on land), ``beach`` 0..1 near beaches. Pixel (row, col) covers east
    ``x0 + col*res``, north ``y0 - row*res``."""

    x0_m: float
    y0_m: float
    res_m: float
    sdist: npt.NDArray[np.float32]
    beach: npt.NDArray[np.float32]
    landuse: npt.NDArray[np.uint8]  # BGR colour of land beyond the dunes / sea floor tint
    base_sdist: npt.NDArray[np.float32] | None = None  # at low tide: the distance to the mapped waterline

    def raster_from_world(self) -> FloatArray:
        """3x3 matrix mapping homogeneous (east, north, 1) to raster (col, row, 1)."""
        r = self.res_m
        return np.array([[1 / r, 0, -self.x0_m / r], [0, -1 / r, self.y0_m / r], [0, 0, 1]])

    def sample(self, east_m: npt.ArrayLike, north_m: npt.ArrayLike) -> FloatArray:
        """Signed distance (m, positive inland) at world points (bilinear)."""
        e = np.asarray(east_m, dtype=np.float64)
        n = np.asarray(north_m, dtype=np.float64)
        c = (e - self.x0_m) / self.res_m
        r = (self.y0_m - n) / self.res_m
        h, w = self.sdist.shape
        c = np.clip(c, 0, w - 1.001)
        r = np.clip(r, 0, h - 1.001)
        c0, r0 = np.floor(c).astype(int), np.floor(r).astype(int)
        fc, fr = c - c0, r - r0
        s = self.sdist
        v = (
            s[r0, c0] * (1 - fc) * (1 - fr)
            + s[r0, c0 + 1] * fc * (1 - fr)
            + s[r0 + 1, c0] * (1 - fc) * fr
            + s[r0 + 1, c0 + 1] * fc * fr
        )
        return np.asarray(v, dtype=np.float64)


def _value_noise(shape: tuple[int, int], cell: int, rng: np.random.Generator) -> npt.NDArray[np.float32]:
    h, w = shape
    small = rng.random((h // cell + 2, w // cell + 2)).astype(np.float32)
    big = cv2.resize(small, ((w // cell + 2) * cell, (h // cell + 2) * cell), interpolation=cv2.INTER_CUBIC)
    return np.asarray(big[:h, :w], dtype=np.float32)


_TERRAIN_CACHE: dict[tuple[str, str], Terrain] = {}


def _terrain_for(site_key: str, site: Site, res_m: float = 10.0, margin_m: float = 4000.0) -> Terrain:
    key = (site_key, site.waterline.wkt[:200] + str(len(site.waterline.coords)))
    if key not in _TERRAIN_CACHE:
        _TERRAIN_CACHE[key] = _build_terrain(site_key, site, res_m, margin_m)
    return _TERRAIN_CACHE[key]


def _terrain_at_tide(site_key: str, site: Site, tide_m: float | None) -> Terrain:
    """The site's terrain with the sand the tide leaves uncovered turned from sea into beach: the
    signed distance grows by how far the water's edge lies beyond the mapped waterline
    (``Site.water_edge_shift_m``), taken from the nearest waterline pixel."""
    base = _terrain_for(site_key, site)
    if site.foreshore is None or site.tide_fraction(tide_m) <= 0:
        return base
    key = (site_key + f"@tide{tide_m:.2f}", site.waterline.wkt[:200] + str(len(site.waterline.coords)))
    if key in _TERRAIN_CACHE:
        return _TERRAIN_CACHE[key]
    line = _waterline_image(site, base.x0_m, base.y0_m, base.res_m, base.sdist.shape)
    _, labels = cv2.distanceTransformWithLabels(line, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL)
    rows, cols = np.nonzero(line == 0)  # label k is the k-th zero pixel in row-major order
    e = base.x0_m + cols * base.res_m
    n = base.y0_m - rows * base.res_m
    shift_at_line = np.concatenate([[0.0], site.water_edge_shift_m(e, n, tide_m)]).astype(np.float32)
    sdist = (base.sdist + shift_at_line[labels]).astype(np.float32)
    t = Terrain(base.x0_m, base.y0_m, base.res_m, sdist, base.beach, base.landuse, base.sdist)
    _TERRAIN_CACHE[key] = t
    return t


def _raster_px(coords: object, x0: float, y0: float, res_m: float) -> npt.NDArray[np.int32]:
    """Local east/north coordinates -> pixel columns/rows of a terrain raster whose top-left is (x0, y0)."""
    a = np.asarray(coords, dtype=np.float64)[:, :2]
    return np.stack([(a[:, 0] - x0) / res_m, (y0 - a[:, 1]) / res_m], axis=1).round().astype(np.int32)


def _waterline_image(
    site: Site, x0: float, y0: float, res_m: float, shape: tuple[int, ...]
) -> npt.NDArray[np.uint8]:
    """255 everywhere but the mapped waterline's pixels (0): the input of OpenCV's distance transforms."""
    line = np.full(shape[:2], 255, np.uint8)
    cv2.polylines(line, [_raster_px(site.waterline_local.coords, x0, y0, res_m)], False, 0, 1)
    return line


def _build_terrain(site_key: str, site: Site, res_m: float, margin_m: float) -> Terrain:
    land = site.land_local
    wl = site.waterline_local
    minx, miny, maxx, maxy = wl.bounds
    x0, y0 = minx - margin_m, maxy + margin_m
    w = int((maxx - minx + 2 * margin_m) / res_m)
    h = int((maxy - miny + 2 * margin_m) / res_m)
    m = np.zeros((h, w), np.uint8)

    def to_px(coords: object) -> npt.NDArray[np.int32]:
        return _raster_px(coords, x0, y0, res_m)

    cv2.fillPoly(m, [to_px(land.exterior.coords)], 255)
    for hole in land.interiors:
        cv2.fillPoly(m, [to_px(hole.coords)], 0)
    # distance from the waterline itself (the land polygon's other edges are far inland)
    line = _waterline_image(site, x0, y0, res_m, (h, w))
    d = cv2.distanceTransform(line, cv2.DIST_L2, 5).astype(np.float32) * res_m
    sdist = np.where(m > 0, d, -d).astype(np.float32)
    beach = np.zeros((h, w), np.uint8)
    for b in site.beaches:
        cv2.fillPoly(beach, [to_px(site.to_local(b.geometry).exterior.coords)], 255)
    beachf = cv2.GaussianBlur(beach.astype(np.float32) / 255.0, (0, 0), 30.0 / res_m * 3)
    # land use: fields, woods, villages; sea floor tint
    rng = np.random.default_rng(zlib.crc32(site_key.encode()))
    n1 = _value_noise((h, w), 40, rng)
    n2 = _value_noise((h, w), 9, rng)
    palette = np.array(
        [[60, 120, 95], [45, 95, 70], [70, 140, 120], [90, 150, 160], [40, 70, 50], [110, 120, 130]],
        np.float32,
    )
    idx = np.clip((n1 * 0.7 + n2 * 0.3) * len(palette), 0, len(palette) - 1).astype(int)
    landuse = palette[idx] * (0.85 + 0.3 * n2[..., None])
    landuse = np.clip(landuse, 0, 255).astype(np.uint8)
    logger.debug("terrain raster %dx%d at %.0f m/px", w, h, res_m)
    return Terrain(x0, y0, res_m, sdist, np.asarray(beachf, dtype=np.float32), landuse)


# ----------------------------------------------------------------------------------------------
# Shore frames


class ShoreFrame:
    """Curvilinear coordinates along the waterline around an anchor point: ``along_m`` (to the
    right when looking out to sea), ``offshore_m`` (out to sea positive)."""

    def __init__(
        self,
        site: Site,
        anchor_east_m: float,
        anchor_north_m: float,
        half_span_m: float = 8000.0,
        *,
        tide_m: float | None = None,
    ):
        """``tide_m``: the tide height (above the site's datum); ``offshore_m`` is then measured
        from the water's edge it leaves, not from the mapped waterline."""
        from shapely.geometry import Point

        wl = site.waterline_local
        land = site.land_local
        s0 = wl.project(Point(anchor_east_m, anchor_north_m))
        ds = np.arange(-half_span_m, half_span_m + 1, 5.0)
        s = np.clip(s0 + ds, 0, wl.length)
        pts = np.array([wl.interpolate(float(v)).coords[0] for v in s])
        tan = np.gradient(pts, axis=0)
        norm_t = np.linalg.norm(tan, axis=1)
        valid = norm_t > 1e-9
        idx = np.arange(len(tan))
        nearest = np.round(np.interp(idx, idx[valid], idx[valid])).astype(int)
        tan = tan[nearest] / norm_t[nearest][:, None]
        # beyond the ends of the waterline continue straight along the end tangent
        first, last = int(idx[valid][0]), int(idx[valid][-1])
        pts = pts.copy()
        pts[:first] = pts[first] + (idx[:first] - first)[:, None] * 5.0 * tan[first]
        pts[last + 1 :] = pts[last] + (idx[last + 1 :] - last)[:, None] * 5.0 * tan[last]
        # smooth tangents a little so normals don't jump at polyline vertices
        k = 9
        tan = np.stack(
            [
                np.convolve(np.pad(tan[:, i], k, mode="edge"), np.ones(2 * k + 1) / (2 * k + 1), "valid")
                for i in range(2)
            ],
            axis=1,
        )
        tan /= np.linalg.norm(tan, axis=1, keepdims=True)
        nrm = np.stack([tan[:, 1], -tan[:, 0]], axis=1)  # tangent rotated clockwise
        mid = len(ds) // 2
        probe = pts[mid] + 40 * nrm[mid]
        if land.contains(Point(*probe)):
            nrm = -nrm
        # along_m positive = to the right when facing the sea: right of n is n rotated clockwise
        right = np.array([nrm[mid, 1], -nrm[mid, 0]])
        self.sign = 1.0 if float(np.dot(right, tan[mid])) >= 0 else -1.0
        self.ds = ds * self.sign
        order = np.argsort(self.ds)
        self.ds = self.ds[order]
        self.pts = pts[order]
        self.nrm = nrm[order]
        self.edge_shift = site.water_edge_shift_m(self.pts[:, 0], self.pts[:, 1], tide_m)
        self.origin = pts[mid].copy()
        self.seaward = nrm[mid].copy()
        self.right = np.array([self.seaward[1], -self.seaward[0]])

    def to_local(self, along_m: npt.ArrayLike, offshore_m: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        a = np.asarray(along_m, dtype=np.float64)
        o = np.asarray(offshore_m, dtype=np.float64)
        px = np.interp(a, self.ds, self.pts[:, 0])
        py = np.interp(a, self.ds, self.pts[:, 1])
        nx = np.interp(a, self.ds, self.nrm[:, 0])
        ny = np.interp(a, self.ds, self.nrm[:, 1])
        # outside the sampled span continue straight
        over = np.clip(np.abs(a) - self.ds[-1], 0, None) * np.sign(a)
        px = px + over * self.right[0]
        py = py + over * self.right[1]
        o = o + np.interp(a, self.ds, self.edge_shift)
        return px + o * nx, py + o * ny

    def seaward_heading_deg(self, along_m: float = 0.0) -> float:
        nx = float(np.interp(along_m, self.ds, self.nrm[:, 0]))
        ny = float(np.interp(along_m, self.ds, self.nrm[:, 1]))
        return math.degrees(math.atan2(nx, ny)) % 360.0


def _hash_rng(*keys: int) -> np.random.Generator:
    return np.random.default_rng([k & 0xFFFFFFFF for k in keys])


# ----------------------------------------------------------------------------------------------
# The world


@dataclass
class _LaunchPlan:
    actor: LaunchActor
    frame: ShoreFrame
    boat_id: int
    person_ids: list[int]
    t_walk_end: float
    t_inflate_end: float
    t_water: float
    t_board_start: float
    t_board_end: float
    offsets: FloatArray  # per-person (along, offshore) offsets around the boat
    seats: FloatArray  # per-person (x_bow, y_stbd) seat in the boat, metres from centre
    style: int


@dataclass
class _Clutter:
    kind: str
    east_m: float
    north_m: float
    heading_deg: float
    style: int


@dataclass
class World:
    """The coastline, the scenario's actors at the current time, and clutter (chairs, umbrellas,
    buoys, rocks). ``objects`` holds the state after the last ``step_to``."""

    site: Site
    scenario: Scenario
    seed: int = 0
    t_s: float = 0.0
    objects: list[WorldObject] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.terrain = _terrain_at_tide(self.site.name, self.site, self.scenario.tide_m)
        self._frames: dict[str, ShoreFrame] = {}
        self._next_id = 1
        self._rng = np.random.default_rng(self.seed)
        self._launches: list[_LaunchPlan] = []
        self._static: list[WorldObject] = []
        self._movers: list[tuple[object, ShoreFrame, list[int], FloatArray]] = []
        for actor in self.scenario.actors:
            self._plan(actor)
        self.step_to(0.0)

    @property
    def surface_m(self) -> float:
        """The sea's surface above mean sea level at the scenario's tide (0 without a tide). The
        world is flat: the beach and every actor stand at this height too, so the camera renders
        from its altitude above mean sea level less this."""
        return self.site.sea_surface_m(self.scenario.tide_m)

    # -- geometry helpers --------------------------------------------------------------------
    def shore_frame(self, anchor: str) -> ShoreFrame:
        if anchor not in self._frames:
            try:
                lp = self.site.launch_point(anchor)
            except SiteError as exc:
                raise WorldError(f"scenario {self.scenario.name!r}: {exc}") from exc
            e, n = self.site.frame.to_local(lp.lat_deg, lp.lon_deg)
            self._frames[anchor] = ShoreFrame(self.site, e, n, tide_m=self.scenario.tide_m)
        return self._frames[anchor]

    def _ids(self, n: int) -> list[int]:
        ids = list(range(self._next_id, self._next_id + n))
        self._next_id += n
        return ids

    def _plan(self, actor: object) -> None:
        rng = self._rng
        if isinstance(actor, LaunchActor):
            fr = self.shore_frame(actor.anchor)
            t_walk_end = actor.t_start_s + (actor.inflate_at_m - actor.walk_from_m) / actor.walk_speed_mps
            t_inflate_end = t_walk_end + actor.inflate_s
            board_at = 8.0
            t_water = t_inflate_end + (0.0 - actor.inflate_at_m) / actor.drag_speed_mps
            t_board_start = t_inflate_end + (board_at - actor.inflate_at_m) / actor.drag_speed_mps
            n = actor.people
            ang = rng.uniform(0, 2 * math.pi, n)
            rad = rng.uniform(1.2, 7.0, n)
            offsets = np.stack([rad * np.cos(ang), rad * np.sin(ang) - 1.5], axis=1)
            L = actor.boat_length_m
            B = L * BOAT_DEFAULTS[actor.boat_kind][1]
            rows = max(1, math.ceil(n / max(1, int(B / 0.55))))
            seats = np.array(
                [
                    (
                        (0.38 - 0.76 * ((i // max(1, int(B / 0.55))) + 0.5) / rows) * L,
                        ((i % max(1, int(B / 0.55))) + 0.5 - max(1, int(B / 0.55)) / 2) * 0.5,
                    )
                    for i in range(n)
                ]
            )
            seats[:, 1] = np.clip(seats[:, 1], -B * 0.32, B * 0.32)
            ids = self._ids(n + 1)
            self._launches.append(
                _LaunchPlan(
                    actor,
                    fr,
                    ids[0],
                    ids[1:],
                    t_walk_end,
                    t_inflate_end,
                    t_water,
                    t_board_start,
                    t_board_start + actor.board_s,
                    offsets,
                    seats,
                    int(rng.integers(1 << 30)),
                )
            )
        elif isinstance(actor, WalkersActor):
            fr = self.shore_frame(actor.anchor)
            n = actor.count + actor.dogs
            p = np.zeros((n, 6))
            p[:, 0] = actor.along_m + rng.uniform(-actor.spread_m / 2, actor.spread_m / 2, n)
            p[:, 1] = rng.uniform(actor.offshore_min_m, actor.offshore_max_m, n)
            p[:, 2] = rng.choice([-1, 1], n) * rng.uniform(0.6, 1.5, n)  # along speed
            p[:, 3] = rng.uniform(0, 2 * math.pi, n)
            p[:, 4] = rng.integers(0, 1 << 30, n)
            p[: actor.count, 5] = 0
            p[actor.count :, 5] = 1  # dogs
            p[actor.count :, 2] *= 2.2
            self._movers.append((actor, fr, self._ids(n), p))
        elif isinstance(actor, BoatActor | SwimmerActor | VehicleActor):
            fr = self.shore_frame(actor.anchor)
            p = np.array([[rng.integers(0, 1 << 30)]], dtype=np.float64)
            n_extra = 0
            if isinstance(actor, BoatActor) and actor.kind in ("inflatable", "rib", "kayak", "motorboat"):
                n_extra = BOAT_DEFAULTS[actor.kind][3] if actor.people < 0 else actor.people
            self._movers.append((actor, fr, self._ids(1 + n_extra), p))
        # clutter near every anchor used: beach chairs, umbrellas, buoys, rocks
        if hasattr(actor, "anchor"):
            anchor = actor.anchor  # type: ignore[attr-defined]
            if not any(c.kind == f"anchor:{anchor}" for c in getattr(self, "_clutter_anchors", [])):
                self._clutter_anchors = [
                    *getattr(self, "_clutter_anchors", []),
                    _Clutter(f"anchor:{anchor}", 0, 0, 0, 0),
                ]
                self._add_clutter(self.shore_frame(anchor))

    def _add_clutter(self, fr: ShoreFrame) -> None:
        rng = np.random.default_rng(self.seed + 7919)
        items: list[tuple[str, float, float]] = []
        for _ in range(int(rng.integers(8, 30))):
            items.append(
                (
                    str(rng.choice(["chair", "umbrella", "towel", "chair"])),
                    rng.uniform(-600, 600),
                    rng.uniform(-90, -25),
                )
            )
        for _ in range(int(rng.integers(2, 6))):
            items.append(("buoy", rng.uniform(-800, 800), rng.uniform(80, 600)))
        for _ in range(int(rng.integers(3, 12))):
            items.append(("rock", rng.uniform(-900, 900), rng.uniform(-15, 10)))
        for kind, a, o in items:
            e, n = fr.to_local(a, o)
            self._static.append(
                WorldObject(
                    self._ids(1)[0],
                    "",
                    kind,
                    float(e),
                    float(n),
                    float(rng.uniform(0, 360)),
                    style=int(rng.integers(1 << 30)),
                    labelled=False,
                    in_water=bool(o > 0),
                )
            )

    # -- time ----------------------------------------------------------------------------------
    def step_to(self, t_s: float) -> list[WorldObject]:
        """Move every actor to scenario time ``t_s`` (seconds from start) and return the objects."""
        if not math.isfinite(t_s) or t_s < 0:
            raise WorldError(f"time must be a finite number of seconds >= 0, got {t_s!r}")
        self.t_s = float(t_s)
        objs: list[WorldObject] = list(self._static)
        for lp in self._launches:
            objs.extend(self._launch_state(lp, t_s))
        for actor, fr, ids, p in self._movers:
            objs.extend(self._mover_state(actor, fr, ids, p, t_s))
        self.objects = objs
        return objs

    def _launch_state(self, lp: _LaunchPlan, t: float) -> list[WorldObject]:
        a = lp.actor
        fr = lp.frame
        kind = a.boat_kind
        L = a.boat_length_m
        _, beam_ratio, freeboard, _ = BOAT_DEFAULTS[kind]
        out: list[WorldObject] = []
        if t < a.t_start_s:
            return out
        course = math.radians(a.course_deg)
        heading0 = fr.seaward_heading_deg(a.along_m)
        heading = heading0
        speed = 0.0
        scale = 1.0
        on_board = np.zeros(len(lp.person_ids), bool)
        if t < lp.t_walk_end:
            off = a.walk_from_m + (t - a.t_start_s) * a.walk_speed_mps
            along = a.along_m
            scale, phase = 0.22, "carry"
            speed = a.walk_speed_mps
        elif t < lp.t_inflate_end:
            off, along = a.inflate_at_m, a.along_m
            f = (t - lp.t_walk_end) / max(a.inflate_s, 1e-6)
            scale, phase = 0.22 + 0.78 * min(1.0, f * 1.15), "inflate"
        elif t < lp.t_board_start:
            off = a.inflate_at_m + (t - lp.t_inflate_end) * a.drag_speed_mps
            along, phase, speed = a.along_m, "drag", a.drag_speed_mps
        elif t < lp.t_board_end:
            off, along, phase = 8.0, a.along_m, "board"
            f = (t - lp.t_board_start) / max(a.board_s, 1e-6)
            on_board = np.arange(len(lp.person_ids)) < int(f * len(lp.person_ids))
        else:
            dt = t - lp.t_board_end
            # accelerate over 10 s
            dist = a.sea_speed_mps * (dt - 5.0 * (1 - math.exp(-dt / 5.0)))
            speed = a.sea_speed_mps * (1 - math.exp(-dt / 5.0))
            along = a.along_m + dist * math.sin(course)
            off = 8.0 + dist * math.cos(course)
            heading = heading0 + a.course_deg
            phase = "sea"
            on_board[:] = True
        be_a, bn_a = fr.to_local(along, off)
        be, bn = float(be_a), float(bn_a)
        boat_in_water = off > 0
        out.append(
            WorldObject(
                lp.boat_id,
                "boat" if scale >= 0.6 else "",
                kind if scale >= 0.6 else "bundle",
                be,
                bn,
                heading,
                L * scale,
                L * beam_ratio * max(scale, 0.5),
                freeboard * scale,
                speed,
                in_water=bool(boat_in_water),
                scale=scale,
                style=lp.style,
                people=int(on_board.sum()),
                labelled=scale >= 0.6,
            )
        )
        hr = math.radians(heading)
        fwd = np.array([math.sin(hr), math.cos(hr)])
        stbd = np.array([math.cos(hr), -math.sin(hr)])
        for i, pid in enumerate(lp.person_ids):
            rng_style = (lp.style * 31 + i * 7919) & 0x3FFFFFFF
            if on_board[i]:
                sx, sy = lp.seats[i]
                pe, pn = np.array([be, bn]) + sx * fwd + sy * stbd
                out.append(
                    WorldObject(
                        pid,
                        "person",
                        "passenger",
                        float(pe),
                        float(pn),
                        heading,
                        0.5,
                        0.45,
                        0.9,
                        speed,
                        in_water=True,
                        in_boat=True,
                        style=rng_style,
                    )
                )
                continue
            da, do = lp.offsets[i]
            wob = 0.3 * math.sin(t * 0.7 + i)
            if phase in ("drag", "board"):
                da, do = da * 0.45, do * 0.45 - 0.5
            pa, po = along + da + wob, off + do
            pe, pn = fr.to_local(pa, po)
            out.append(
                WorldObject(
                    pid,
                    "person",
                    "migrant",
                    float(pe),
                    float(pn),
                    heading,
                    0.5,
                    0.35,
                    1.72,
                    speed,
                    in_water=bool(po > 0),
                    style=rng_style,
                )
            )
        return out

    def _mover_state(
        self, actor: object, fr: ShoreFrame, ids: list[int], p: FloatArray, t: float
    ) -> list[WorldObject]:
        out: list[WorldObject] = []
        if isinstance(actor, WalkersActor):
            half = actor.spread_m / 2
            for i, oid in enumerate(ids):
                a0, o0, v, ph, style, dog = p[i]
                # bounce back and forth within the spread
                span = 2 * actor.spread_m
                x = (a0 - actor.along_m + half + v * t) % span
                a = actor.along_m - half + (x if x < actor.spread_m else span - x)
                direction = 1.0 if (x < actor.spread_m) == (v > 0) else -1.0
                o = o0 + 4.0 * math.sin(t * 0.05 + ph)
                e, n = fr.to_local(a, o)
                hdg = (fr.seaward_heading_deg(a) + 90.0 * direction) % 360
                if dog:
                    out.append(
                        WorldObject(
                            oid,
                            "",
                            "dog",
                            float(e),
                            float(n),
                            hdg,
                            0.9,
                            0.3,
                            0.6,
                            abs(v),
                            style=int(style),
                            labelled=False,
                        )
                    )
                else:
                    out.append(
                        WorldObject(
                            oid,
                            "person",
                            "walker",
                            float(e),
                            float(n),
                            hdg,
                            0.5,
                            0.35,
                            1.75,
                            abs(v),
                            in_water=bool(o > 0),
                            style=int(style),
                        )
                    )
        elif isinstance(actor, BoatActor):
            L0, beam_ratio, freeboard, ppl = BOAT_DEFAULTS[actor.kind]
            L = actor.length_m or L0
            k = L / L0
            c = math.radians(actor.course_deg)
            d = actor.speed_mps * t
            a = actor.start.along_m + d * math.sin(c)
            o = actor.start.offshore_m + d * math.cos(c)
            e, n = fr.to_local(a, o)
            hdg = (fr.seaward_heading_deg(actor.start.along_m) + actor.course_deg) % 360
            out.append(
                WorldObject(
                    ids[0],
                    "boat",
                    actor.kind,
                    float(e),
                    float(n),
                    hdg,
                    L,
                    L * beam_ratio,
                    freeboard * k,
                    actor.speed_mps,
                    in_water=True,
                    style=int(p[0, 0]),
                    people=ppl if actor.people < 0 else actor.people,
                )
            )
            # people aboard open boats are drawn (and labelled) as seated passengers
            if len(ids) > 1:
                B = L * beam_ratio
                cols = max(1, int(B * 0.7 / 0.5))
                h = math.radians(hdg)
                fwd = np.array([math.sin(h), math.cos(h)])
                stb = np.array([math.cos(h), -math.sin(h)])
                for i, pid in enumerate(ids[1:]):
                    r, c_ = divmod(i, cols)
                    x = L * 0.35 - (r + 0.5) * 0.55
                    if x < -L * 0.42:
                        break
                    y = (c_ + 0.5 - cols / 2) * 0.5
                    q = np.array([float(e), float(n)]) + x * fwd + y * stb
                    out.append(
                        WorldObject(
                            pid,
                            "person",
                            "passenger",
                            float(q[0]),
                            float(q[1]),
                            hdg,
                            0.5,
                            0.45,
                            0.9,
                            actor.speed_mps,
                            in_water=True,
                            in_boat=True,
                            style=(int(p[0, 0]) * 31 + i * 7919) & 0x3FFFFFFF,
                        )
                    )
        elif isinstance(actor, SwimmerActor):
            a = actor.start.along_m + actor.drift_mps * t
            o = actor.start.offshore_m + 1.5 * math.sin(t * 0.1)
            e, n = fr.to_local(a, o)
            out.append(
                WorldObject(
                    ids[0],
                    "person",
                    "swimmer",
                    float(e),
                    float(n),
                    0.0,
                    0.5,
                    0.5,
                    0.35,
                    0.0,
                    in_water=True,
                    style=int(p[0, 0]),
                )
            )
        elif isinstance(actor, VehicleActor):
            span = 1200.0
            x = (actor.start.along_m + actor.speed_mps * t + span) % (2 * span)
            a = -span + (x if x < span else 2 * span - x)
            direction = 1.0 if x < span else -1.0
            e, n = fr.to_local(a, actor.start.offshore_m)
            hdg = (fr.seaward_heading_deg(a) + 90.0 * direction) % 360
            out.append(
                WorldObject(
                    ids[0],
                    "",
                    "vehicle",
                    float(e),
                    float(n),
                    hdg,
                    4.5,
                    1.8,
                    1.5,
                    actor.speed_mps,
                    style=int(p[0, 0]),
                    labelled=False,
                )
            )
        return out

    # -- truth -----------------------------------------------------------------------------------
    def truth_launch(self) -> LaunchTruth | None:
        """When and where the first launched boat entered the water (None if there is no launch
        in the scenario, or it has not happened by the current time)."""
        if not self._launches:
            return None
        lp = self._launches[0]
        if self.t_s < lp.t_water:
            return None
        e, n = lp.frame.to_local(lp.actor.along_m, 0.0)
        lat, lon = self.site.frame.to_geo(float(e), float(n))
        return LaunchTruth(lp.t_water, lat, lon, float(e), float(n))

    def planned_launch_time_s(self) -> float | None:
        return self._launches[0].t_water if self._launches else None

    def sdist(self, east_m: npt.ArrayLike, north_m: npt.ArrayLike) -> FloatArray:
        return self.terrain.sample(east_m, north_m)

    def structures_near(
        self, east_m: float, north_m: float, radius_m: float
    ) -> list[tuple[str, float, float, float, float, float, float, int]]:
        """Deterministic buildings and trees on land within ``radius_m``: tuples of
        (kind, east, north, size_x, size_y, height, yaw_deg, style). Cells are 30 m."""
        cell = 30.0
        out: list[tuple[str, float, float, float, float, float, float, int]] = []
        i0, i1 = int((east_m - radius_m) // cell), int((east_m + radius_m) // cell)
        j0, j1 = int((north_m - radius_m) // cell), int((north_m + radius_m) // cell)
        if (i1 - i0) * (j1 - j0) > 40000:
            return out
        ii, jj = np.meshgrid(np.arange(i0, i1 + 1), np.arange(j0, j1 + 1))
        cx, cy = (ii + 0.5) * cell, (jj + 0.5) * cell
        d = self.terrain.sample(cx, cy)
        cand = d > 220
        cache: dict[tuple[int, int], list[tuple[str, float, float, float, float, float, float, int]]] = (
            self.__dict__.setdefault("_struct_cache", {})
        )
        for i, j, dd in zip(ii[cand], jj[cand], d[cand], strict=True):
            key = (int(i), int(j))
            if key in cache:
                out.extend(cache[key])
                continue
            n_before = len(out)
            self._cell_structures(out, int(i), int(j), float(dd), cell)
            cache[key] = out[n_before:]
        return out

    def _cell_structures(
        self,
        out: list[tuple[str, float, float, float, float, float, float, int]],
        i: int,
        j: int,
        dd: float,
        cell: float,
    ) -> None:
        if True:
            rng = _hash_rng(int(i), int(j), 1234)
            u = rng.random()
            village = math.sin(i * 0.21) * math.cos(j * 0.17) > 0.3
            if village and u < 0.55:
                sx, sy = rng.uniform(7, 16), rng.uniform(6, 12)
                out.append(
                    (
                        "house",
                        (i + 0.5) * cell + rng.uniform(-6, 6),
                        (j + 0.5) * cell + rng.uniform(-6, 6),
                        sx,
                        sy,
                        rng.uniform(5, 9),
                        float(rng.choice([0, 90]) + rng.uniform(-10, 10)),
                        int(rng.integers(1 << 30)),
                    )
                )
            elif u < 0.45 and dd > 260:
                for _ in range(int(rng.integers(1, 5))):
                    r = rng.uniform(2.5, 6)
                    out.append(
                        (
                            "tree",
                            (i + rng.random()) * cell,
                            (j + rng.random()) * cell,
                            r,
                            r,
                            rng.uniform(6, 16),
                            0.0,
                            int(rng.integers(1 << 30)),
                        )
                    )


def with_objects(world: World, objects: list[WorldObject]) -> list[WorldObject]:
    """Helper for tests: replace the current object list (returns the new list)."""
    world.objects = [replace(o) for o in objects]
    return world.objects
