"""Routes around no-fly zones, inside the geofence: shortest paths in the free space.

The free space is the geofence shrunk by ``fence_margin_m`` minus every no-fly zone grown by
``clearance_m`` (local metres). A path that already stays in it is kept as it is; a leg that
crosses a zone is replaced by the shortest path around it, which runs along the zone's buffered
boundary (a visibility graph over the free space's reflex corners, searched with Dijkstra).
Nothing here raises for a path that cannot be fixed (a home inside a zone, a waypoint outside
the fence): it comes back unchanged, and ``flight.validation`` refuses it by name.

    FreeSpace(fence, zones) -> .clear(a, b) / .shortest_path(a, b) / .reroute(coords)
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

XY = tuple[float, float]

CLEARANCE_M = 50.0  # how far a detour keeps from a no-fly zone's edge
FENCE_MARGIN_M = 25.0  # how far inside the geofence a detour stays
_QUAD_SEGS = 4
_SLACK_M = 0.5  # visibility tests use a free space this much larger (float noise on boundaries)


class FreeSpace:
    """Where a drone may fly: ``fence`` (or everywhere) minus the ``zones`` (local metres)."""

    def __init__(
        self,
        fence: Polygon | None,
        zones: Sequence[Polygon],
        *,
        clearance_m: float = CLEARANCE_M,
        fence_margin_m: float = FENCE_MARGIN_M,
    ) -> None:
        if clearance_m < 0 or fence_margin_m < 0:
            raise ValueError(
                f"clearance_m and fence_margin_m must be >= 0, got {clearance_m}, {fence_margin_m}"
            )
        valid = [z for z in zones if z.is_valid and not z.is_empty]
        # A buffer's rounded corners are chords inside the true arc: grow it so that the chords
        # keep the clearance (quad_segs=4: 22.5 degree chords, cos = 0.981).
        grow = 1.0 / math.cos(math.pi / (4 * _QUAD_SEGS))
        blocked = (
            unary_union([z.buffer(clearance_m * grow, quad_segs=_QUAD_SEGS) for z in valid])
            if valid
            else None
        )
        blocked_check = (
            unary_union(
                [z.buffer(max(clearance_m * grow - _SLACK_M, 0.0), quad_segs=_QUAD_SEGS) for z in valid]
            )
            if valid
            else None
        )
        if fence is not None and fence.is_valid and not fence.is_empty:
            outer = fence.buffer(-fence_margin_m)
            outer_check = fence.buffer(-fence_margin_m + _SLACK_M)
        else:
            # No fence: a box well around the zones, so that every detour has room.
            if blocked is None:
                outer = outer_check = None
            else:
                minx, miny, maxx, maxy = blocked.bounds
                pad = 10 * (max(maxx - minx, maxy - miny) + 1000.0)
                outer = outer_check = shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
        if outer is None:
            self.free: Polygon | None = None
            self._check = None
        else:
            self.free = outer.difference(blocked) if blocked is not None else outer
            self._check = outer_check.difference(blocked_check) if blocked_check is not None else outer_check
            shapely.prepare(self._check)
        self._nodes: list[XY] = _reflex_corners(self.free) if self.free is not None else []
        self._adj: list[list[tuple[int, float]]] | None = None

    # -- queries ---------------------------------------------------------------------------

    def contains(self, p: XY) -> bool:
        return self._check is None or bool(self._check.covers(Point(p)))

    def clear(self, a: XY, b: XY) -> bool:
        """The straight leg a -> b stays in the free space."""
        if self._check is None:
            return True
        return bool(self._check.covers(LineString([a, b]) if a != b else Point(a)))

    def shortest_path(self, a: XY, b: XY) -> list[XY] | None:
        """The shortest path a -> b in the free space (both ends included), or None if either
        end is outside it or nothing connects them."""
        if self.clear(a, b):
            return [a, b]
        if not (self.contains(a) and self.contains(b)):
            return None
        adj = self._graph()
        n = len(self._nodes)
        src, dst = n, n + 1
        pts = [*self._nodes, a, b]
        extra: dict[int, list[tuple[int, float]]] = {src: [], dst: []}
        for end, p in ((src, a), (dst, b)):
            vis = self._visible(p, range(n))
            for j in vis:
                d = math.dist(p, self._nodes[j])
                extra[end].append((j, d))
        to_dst = {j: d for j, d in extra[dst]}
        dist = {src: 0.0}
        prev: dict[int, int] = {}
        heap = [(0.0, src)]
        while heap:
            d, u = heapq.heappop(heap)
            if u == dst:
                break
            if d > dist.get(u, math.inf):
                continue
            edges = extra[src] if u == src else adj[u]
            if u < n and u in to_dst:
                edges = [*edges, (dst, to_dst[u])]
            for v, w in edges:
                nd = d + w
                if nd < dist.get(v, math.inf):
                    dist[v] = nd
                    prev[v] = u
                    heapq.heappush(heap, (nd, v))
        if dst not in prev:
            return None
        path = [dst]
        while path[-1] != src:
            path.append(prev[path[-1]])
        return [pts[i] for i in reversed(path)]

    def reroute(self, coords: Sequence[Sequence[float]]) -> list[XY]:
        """``coords`` with every leg that leaves the free space replaced by the shortest path
        around; vertices inside a zone are dropped (the path goes around them). Unchanged if
        it cannot be fixed (an end outside the free space with nothing inside, or no way round)."""
        pts: list[XY] = [(float(c[0]), float(c[1])) for c in coords]
        if len(pts) < 2 or all(self.clear(a, b) for a, b in itertools.pairwise(pts)):
            return pts
        good = [self.contains(p) for p in pts]
        if not any(good):
            return pts
        i = good.index(True)
        last = len(good) - 1 - good[::-1].index(True)
        out: list[XY] = [pts[i]]
        j = i + 1
        while j <= last:
            if good[j] and self.clear(out[-1], pts[j]):
                out.append(pts[j])
                j += 1
                continue
            k = j
            while not good[k]:
                k += 1
            way = self.shortest_path(out[-1], pts[k])
            if way is None:
                return pts
            out.extend(way[1:])
            j = k + 1
        return out if len(out) >= 2 else pts

    # -- internals -------------------------------------------------------------------------

    def _visible(self, p: XY, idx: Sequence[int] | range) -> list[int]:
        idx = list(idx)
        if not idx:
            return []
        lines = shapely.linestrings([[p, self._nodes[j]] for j in idx])
        ok = shapely.covers(self._check, lines)
        return [j for j, v in zip(idx, ok, strict=True) if v]

    def _graph(self) -> list[list[tuple[int, float]]]:
        if self._adj is None:
            n = len(self._nodes)
            adj: list[list[tuple[int, float]]] = [[] for _ in range(n)]
            pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
            if pairs:
                lines = shapely.linestrings([[self._nodes[i], self._nodes[j]] for i, j in pairs])
                ok = shapely.covers(self._check, lines)
                for (i, j), v in zip(pairs, ok, strict=True):
                    if v:
                        d = math.dist(self._nodes[i], self._nodes[j])
                        adj[i].append((j, d))
                        adj[j].append((i, d))
            self._adj = adj
        return self._adj


def _reflex_corners(free: Polygon | object) -> list[XY]:
    """The corners a shortest path can bend around: where the free space's boundary turns away
    from the free side (every corner of a zone; the inward corners of the fence)."""
    polys = getattr(free, "geoms", [free])
    out: list[XY] = []
    for poly in polys:
        if not isinstance(poly, Polygon) or poly.is_empty:
            continue
        poly = orient(poly, sign=1.0)  # free side on the left of every ring
        for ring in (poly.exterior, *poly.interiors):
            cs = np.asarray(ring.coords)[:-1]
            if len(cs) < 3:
                continue
            prev = np.roll(cs, 1, axis=0)
            nxt = np.roll(cs, -1, axis=0)
            cross = (cs[:, 0] - prev[:, 0]) * (nxt[:, 1] - cs[:, 1]) - (cs[:, 1] - prev[:, 1]) * (
                nxt[:, 0] - cs[:, 0]
            )
            out.extend((float(x), float(y)) for (x, y) in cs[cross < -1e-9])
    return out


@lru_cache(maxsize=32)
def _cached(
    fence_wkb: bytes | None, zones_wkb: tuple[bytes, ...], clearance_m: float, margin_m: float
) -> FreeSpace:
    fence = shapely.from_wkb(fence_wkb) if fence_wkb is not None else None
    zones = [shapely.from_wkb(z) for z in zones_wkb]
    return FreeSpace(fence, zones, clearance_m=clearance_m, fence_margin_m=margin_m)


def free_space(
    fence: Polygon | None,
    zones: Sequence[Polygon],
    *,
    clearance_m: float = CLEARANCE_M,
    fence_margin_m: float = FENCE_MARGIN_M,
) -> FreeSpace:
    """A (cached) ``FreeSpace`` for these local-metre polygons: planning asks many times."""
    return _cached(
        shapely.to_wkb(fence) if fence is not None else None,
        tuple(shapely.to_wkb(z) for z in zones),
        float(clearance_m),
        float(fence_margin_m),
    )
