"""Which stretches of the shoreline the drones have looked at, how recently, and how well.

The site's waterline is cut into stretches of ``segment_m``. Every frame the detector actually ran
on (a live stream's processed frame, with a pose) is an *observation* of each stretch whose middle
point on the waterline falls inside the picture, below the horizon and within ``max_range_m`` of
the camera. An observation records when it was made (the wall clock when the frame was
processed: live and simulated streams alike), which drone made it, the ground sampling distance
there (metres per pixel), and how well that frame could show a person and a boat there: a
standing person (``person_box_m``, facing the camera) and a small boat (``boat_box_m``, at 45
degrees to the line of sight) placed on the waterline there are projected through the camera;
the square root of the area of the box each makes in the picture is its size in pixels (as the
detector's metrics size objects), and the detector's **measured recall at that size**
(``RecallCurve``, from ``models/shorewatch-boats-recall.json``, written by
``bench/bench_recall_by_size.py`` from rendered validation pictures) is the per-frame probability
of detection.

``CoverageMap.snapshot()`` gives each stretch its last sighting and the best sighting of the last
``window_s`` (the one with the finest ground sampling distance), and flags a **gap** where no
frame has shown the stretch within the window, or where the best one had a person detection
probability below ``min_p_person``: the pilot should fly there again, lower or closer. Adjacent
gap stretches are summed up as one run (``summary.gap_runs``, the 20 longest). Nothing
here looks at the pixels; it is geometry and the measured recall, so a stretch hidden by glare,
fog or a building is not known to be hidden. The recall is measured on rendered footage: on real
footage it is lower (see the model card), so the probabilities are an upper bound.

Errors: ``CoverageError`` (bad configuration or a recall file that is not what it should be).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field
from shapely.geometry import LineString

from detector.georef import pose_from_telemetry
from shorewatch.camera import CameraPose, ground_sample_distance_m, project
from shorewatch.site import Site
from shorewatch.tide import TideSource
from shorewatch.types import CameraIntrinsics, Frame

RECALL_FILE = Path(__file__).resolve().parent.parent / "models" / "shorewatch-boats-recall.json"


class CoverageError(ValueError):
    """Bad coverage configuration or recall file."""


_Metres = Annotated[float, Field(gt=0, le=500)]


class CoverageConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    segment_m: float = Field(50.0, ge=5, le=2000, description="length of one stretch of waterline")
    window_s: float = Field(
        600.0, gt=0, le=86_400, description="a stretch not seen for this long (wall seconds) is a gap"
    )
    min_p_person: float = Field(
        0.75,
        ge=0,
        le=1,
        description="a stretch whose best sighting in the window gave a person less than this "
        "detection probability (per frame) is a gap too",
    )
    max_range_m: float = Field(
        2500.0, gt=0, le=100_000, description="waterline further than this from the camera is not seen"
    )
    person_box_m: tuple[_Metres, _Metres, _Metres] = Field(
        (0.5, 0.3, 1.75), description="a standing person: width, depth, height (metres)"
    )
    boat_box_m: tuple[_Metres, _Metres, _Metres] = Field(
        (8.0, 2.5, 1.2), description="a small boat: length, beam, height above the water (metres)"
    )


@dataclass(frozen=True, slots=True)
class ClassRecall:
    """Recall (at the alert threshold) against object size for one class: ``sizes_px`` (square
    root of the box area, ascending) and the recall measured there; linear in log(size) between
    points, flat beyond the largest, and falling linearly to 0 at size 0 below the smallest (an
    object smaller than anything measured is not assumed findable)."""

    sizes_px: tuple[float, ...]
    recall: tuple[float, ...]

    def __post_init__(self) -> None:
        n = len(self.sizes_px)
        if n < 2:
            raise CoverageError(f"a recall curve needs at least 2 sizes, got {n}")
        if (
            any(b <= a for a, b in zip(self.sizes_px, self.sizes_px[1:], strict=False))
            or self.sizes_px[0] <= 0
        ):
            raise CoverageError(f"recall curve sizes must be positive and ascending, got {self.sizes_px}")
        if len(self.recall) != n:
            raise CoverageError(f"recall curve: {len(self.recall)} values for {n} sizes")
        if not all(0.0 <= v <= 1.0 for v in self.recall):
            raise CoverageError(f"recall curve: values must be in [0, 1], got {self.recall}")

    def size_for(self, recall: float) -> float | None:
        """The smallest size (pixels) at which the recall reaches ``recall``; None if it never does."""
        grid = np.exp(np.linspace(math.log(0.5), math.log(self.sizes_px[-1]), 400))
        ok = np.flatnonzero(np.array([self.at(float(g)) for g in grid]) >= recall)
        return round(float(grid[ok[0]]), 1) if len(ok) else None

    def at(self, size_px: float) -> float:
        if not math.isfinite(size_px) or size_px <= 0:
            return 0.0
        if size_px < self.sizes_px[0]:
            return self.recall[0] * size_px / self.sizes_px[0]
        return float(np.interp(math.log(size_px), np.log(self.sizes_px), self.recall))


@dataclass(frozen=True, slots=True)
class RecallCurve:
    """The detector's measured recall against object size, per class (``boat``, ``person``)."""

    boat: ClassRecall
    person: ClassRecall
    source: str = ""

    def recall(self, cls: str, size_px: float) -> float:
        return (self.boat if cls == "boat" else self.person).at(size_px)

    @classmethod
    def load(cls, path: str | Path = RECALL_FILE) -> RecallCurve:
        p = Path(path)
        try:
            data = json.loads(p.read_text())
        except FileNotFoundError:
            raise CoverageError(f"no recall file at {p} (bench/bench_recall_by_size.py writes it)") from None
        except (OSError, ValueError) as exc:
            raise CoverageError(f"{p}: not a readable JSON recall file: {exc}") from None
        try:
            curves = {
                k: ClassRecall(
                    tuple(float(x) for x in data[k]["sizes_px"]), tuple(float(x) for x in data[k]["recall"])
                )
                for k in ("boat", "person")
            }
        except (KeyError, TypeError) as exc:
            raise CoverageError(
                f"{p}: expected {{'boat': {{'sizes_px': [...], 'recall': [...]}}, 'person': {{...}}}}, "
                f"missing or wrong {exc}"
            ) from None
        return cls(curves["boat"], curves["person"], str(data.get("source", "")))


@dataclass(frozen=True, slots=True)
class Sighting:
    """One stretch seen in one frame."""

    seen_s: float  # wall clock, seconds since the epoch
    source_id: str
    gsd_m: float  # metres per pixel on the water at the stretch's middle
    range_m: float  # ground distance from the camera
    person_px: float
    boat_px: float
    p_person: float | None  # per-frame detection probability (None: no recall curve)
    p_boat: float | None


@dataclass(frozen=True, slots=True)
class Stretch:
    index: int
    from_m: float  # along the waterline from its first point
    to_m: float
    lonlat: tuple[tuple[float, float], ...]
    mid_east_m: float
    mid_north_m: float


def _box_px(
    pose: CameraPose,
    intr: CameraIntrinsics,
    at: npt.NDArray[np.float64],
    box_m: tuple[float, float, float],
    turn_deg: float,
) -> float:
    """Square root of the area, in pixels, of the picture box of an upright ``box_m`` (across,
    along, up) standing at ``at``, turned ``turn_deg`` from facing the camera."""
    de, dn = at[0] - pose.east_m, at[1] - pose.north_m
    # the line of sight's azimuth; straight below the camera, its heading
    a = (math.atan2(de, dn) if math.hypot(de, dn) > 1.0 else math.radians(pose.yaw_deg)) + math.radians(
        turn_deg
    )
    across = np.array([math.cos(a), -math.sin(a), 0.0]) * box_m[0] / 2
    along = np.array([math.sin(a), math.cos(a), 0.0]) * box_m[1] / 2
    up = np.array([0.0, 0.0, box_m[2]])
    corners = np.array(
        [at + sx * across + sy * along + sz * up for sx in (-1, 1) for sy in (-1, 1) for sz in (0, 1)]
    )
    px, front = project(corners, pose, intr)
    if not front.all():
        return 0.0
    w, h = px.max(axis=0) - px.min(axis=0)
    return float(math.sqrt(max(w, 0.0) * max(h, 0.0)))


class CoverageMap:
    """Per-site shoreline coverage, fed by processed frames (thread-safe)."""

    def __init__(
        self,
        site: Site,
        config: CoverageConfig | None = None,
        recall: RecallCurve | None = None,
        *,
        clock: Callable[[], float] = time.time,
        tide: TideSource | None = None,
    ) -> None:
        self.site = site
        self.tide = tide  # the tide height now: each stretch is judged at the water's edge it leaves
        self.config = config or CoverageConfig()
        self.recall = recall
        self._clock = clock
        self._lock = threading.Lock()
        line: LineString = site.waterline_local
        total = float(line.length)
        n = max(1, math.ceil(total / self.config.segment_m - 1e-9))
        step = total / n
        stretches = []
        for i in range(n):
            a, b = i * step, (i + 1) * step
            pts = [line.interpolate(d) for d in np.linspace(a, b, 5)]
            lat, lon = site.frame.to_geo_many(np.array([p.x for p in pts]), np.array([p.y for p in pts]))
            mid = line.interpolate((a + b) / 2)
            stretches.append(
                Stretch(
                    i,
                    round(a, 1),
                    round(b, 1),
                    tuple((round(float(x), 7), round(float(y), 7)) for x, y in zip(lon, lat, strict=True)),
                    float(mid.x),
                    float(mid.y),
                )
            )
        self.stretches: tuple[Stretch, ...] = tuple(stretches)
        self._mid = np.array([[s.mid_east_m, s.mid_north_m, 0.0] for s in stretches])
        fs = site.foreshore
        # from each stretch's middle to the water's edge at low water (scaled by the tide's fraction)
        self._to_low_edge = (
            np.zeros((n, 2))
            if fs is None
            else fs.edge_offset_m(np.array([(s.from_m + s.to_m) / 2 for s in stretches]))
        )
        self._last: list[Sighting | None] = [None] * n
        self._best: list[Sighting | None] = [None] * n
        self.frames_observed = 0

    @property
    def length_m(self) -> float:
        return self.stretches[-1].to_m

    def observe(self, frame: Frame) -> list[int]:
        """Record what this frame showed; returns the indices of the stretches it saw (none
        without a pose)."""
        tel, intr = frame.telemetry, frame.intrinsics
        if tel is None or intr is None:
            return []
        pose = pose_from_telemetry(tel, self.site.frame)
        where = self._at_the_water()
        px, front = project(where, pose, intr)
        rng = np.hypot(where[:, 0] - pose.east_m, where[:, 1] - pose.north_m)
        inside = (
            front
            & (px[:, 0] >= 0)
            & (px[:, 0] < intr.width_px)
            & (px[:, 1] >= 0)
            & (px[:, 1] < intr.height_px)
            & (rng <= self.config.max_range_m)
        )
        now = self._clock()
        cfg, rc = self.config, self.recall
        sightings: dict[int, Sighting] = {}
        for i in (int(j) for j in np.flatnonzero(inside)):
            gsd = ground_sample_distance_m(pose, intr, (float(px[i, 0]), float(px[i, 1])))
            if not math.isfinite(gsd) or gsd <= 0:
                continue  # at or above the horizon (the sea-level plane is not there)
            person_px = _box_px(pose, intr, where[i], cfg.person_box_m, 0.0)
            boat_px = _box_px(pose, intr, where[i], cfg.boat_box_m, 45.0)
            sightings[i] = Sighting(
                now,
                frame.source_id,
                gsd,
                float(rng[i]),
                person_px,
                boat_px,
                None if rc is None else rc.recall("person", person_px),
                None if rc is None else rc.recall("boat", boat_px),
            )
        with self._lock:
            for i, s in sightings.items():
                self._last[i] = s
                b = self._best[i]
                if b is None or now - b.seen_s > cfg.window_s or s.gsd_m <= b.gsd_m:
                    self._best[i] = s
            self.frames_observed += 1
        return list(sightings)

    def _at_the_water(self) -> npt.NDArray[np.float64]:
        """Each stretch's middle, moved out to the water's edge the tide leaves (where boats are
        launched and people would be looked for); the mapped waterline when the tide is unknown."""
        h = None
        if self.tide is not None:
            try:
                h = self.tide(self._clock())
            except Exception:  # a broken tide source: judge the mapped waterline
                h = None
        f = self.site.tide_fraction(h)
        if f <= 0 or not self._to_low_edge.any():
            return self._mid
        out = self._mid.copy()
        out[:, :2] += self._to_low_edge * f
        return out

    def snapshot(self) -> dict[str, Any]:
        """GeoJSON FeatureCollection, one LineString per stretch, and a summary."""
        now = self._clock()
        cfg = self.config
        with self._lock:
            last, best = list(self._last), list(self._best)
            frames = self.frames_observed
        feats: list[dict[str, Any]] = []
        gaps_m = seen_m = 0.0
        runs: list[dict[str, Any]] = []  # contiguous gap stretches: what the pilot flies again
        for st, ls, bs in zip(self.stretches, last, best, strict=True):
            if bs is not None and now - bs.seen_s > cfg.window_s:
                bs = None
            gap = bs is None or (bs.p_person is not None and bs.p_person < cfg.min_p_person)
            length = st.to_m - st.from_m
            gaps_m += length if gap else 0.0
            if gap:
                why = "unseen" if bs is None else "coarse"
                if runs and runs[-1]["to_m"] == st.from_m:
                    runs[-1]["to_m"] = st.to_m
                    runs[-1]["reason"] = why if runs[-1]["reason"] == why else "mixed"
                else:
                    runs.append({"from_m": st.from_m, "to_m": st.to_m, "reason": why})
            seen_m += length if bs is not None else 0.0
            feats.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": [list(p) for p in st.lonlat]},
                    "properties": {
                        "index": st.index,
                        "from_m": st.from_m,
                        "to_m": st.to_m,
                        "last_seen_s": None if ls is None else round(ls.seen_s, 3),
                        "age_s": None if ls is None else round(max(0.0, now - ls.seen_s), 1),
                        "source_id": None if ls is None else ls.source_id,
                        "gsd_m": None if bs is None else round(bs.gsd_m, 4),
                        "range_m": None if bs is None else round(bs.range_m, 1),
                        "person_px": None if bs is None else round(bs.person_px, 1),
                        "boat_px": None if bs is None else round(bs.boat_px, 1),
                        "p_person": None if bs is None or bs.p_person is None else round(bs.p_person, 3),
                        "p_boat": None if bs is None or bs.p_boat is None else round(bs.p_boat, 3),
                        "gap": gap,
                    },
                }
            )
        total = self.length_m
        return {
            "type": "FeatureCollection",
            "features": feats,
            "summary": {
                "site": self.site.name,
                "as_of_s": round(now, 3),
                "window_s": cfg.window_s,
                "min_p_person": cfg.min_p_person,
                "segment_m": round(total / len(self.stretches), 1),
                "waterline_m": round(total, 1),
                "seen_m": round(seen_m, 1),
                "gap_m": round(gaps_m, 1),
                "seen_pct": round(100.0 * seen_m / total, 1) if total > 0 else 0.0,
                "gaps": len(runs),
                "gap_runs": [
                    {**r, "length_m": round(r["to_m"] - r["from_m"], 1)}
                    for r in sorted(runs, key=lambda r: r["from_m"] - r["to_m"])[:20]
                ],
                "frames_observed": frames,
                "person_px_needed": None
                if self.recall is None
                else self.recall.person.size_for(cfg.min_p_person),
                "recall_source": None if self.recall is None else self.recall.source,
            },
        }
