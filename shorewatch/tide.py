"""The tide: how high the sea is now, and where that puts the water's edge on a flat beach.

On the Opal Coast the sea rises and falls 4 to 8 m twice a day, and the beaches are flat: at
Wissant the water's edge at low water lies several hundred metres seaward of the site's mapped
waterline (the land's edge near high water). Measured against that line alone, people walking on
the sand at low tide are "in the water" and a boat dragged across it is "at sea" before it has
touched the water. This module turns a tide height into a seaward shift of the water's edge:

* ``TideTable``: heights at known times (the high and low waters of a printed tide table, or a
  denser prediction), cosine-interpolated between them, the way tide tables are read by hand;
  ``None`` outside the table (the tide is then unknown, and the mapped waterline is used).
* ``TideSettings`` (the site file's ``properties.tide``): the chart datum the heights refer to,
  the height of the mapped waterline above it, the low water at which beaches' drying widths
  were measured, and the table.
* ``Foreshore``: each beach's ``drying_m`` (the width of sand uncovered at that low water),
  spread along the waterline and tapered at the beach ends; ``shift_m`` moves the water's edge
  seaward by ``drying_m`` times the fraction of the tidal range the sea has fallen, on the
  assumption of an evenly sloping beach.

No tide data ships with shorewatch: tide predictions for a real coast come from the hydrographic
office (SHOM for France) and are the operator's to load (``docs``: README "Tide").
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString, Polygon

logger = logging.getLogger(__name__)

MAX_GAP_S = 9 * 3600.0
"""Two table rows further apart than this leave the tide unknown between them (high and low
waters are about 6 h 12 min apart; a missing row must not be bridged by a made-up curve)."""
MAX_FRACTION = 1.5
"""How far below the low water of the drying widths the edge may be extrapolated (a spring low
at Calais is about 0.5 m under the mean low water; deeper falls are clamped)."""
SAMPLE_M = 25.0
TAPER_M = 300.0

TideSource = Callable[[float], "float | None"]
"""What the event engine asks: the tide height (m above the site's datum) at a Unix time, or None."""


class TideError(ValueError):
    """A tide table or tide setting that cannot be used; the message says what was expected."""


def parse_time(text: str, where: str) -> float:
    """ISO-8601 with a UTC offset -> Unix seconds. A time without an offset is refused: French tide
    tables print local time (UTC+1 in winter, UTC+2 in summer) and a silent guess is an hour off."""
    s = str(text).strip()
    try:
        dt = datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s)
    except ValueError as exc:
        raise TideError(
            f"{where}: {text!r} is not an ISO-8601 time (expected e.g. 2026-12-01T05:12+01:00)"
        ) from exc
    if dt.tzinfo is None:
        raise TideError(
            f"{where}: {text!r} has no UTC offset; write it as 2026-12-01T05:12+01:00 or 2026-12-01T04:12Z "
            "(tide tables print local time)"
        )
    return dt.timestamp()


@dataclass(frozen=True, slots=True)
class TideTable:
    """Heights (m above the datum) at times (Unix s), strictly increasing in time."""

    times_s: tuple[float, ...]
    heights_m: tuple[float, ...]
    source: str = "table"

    def __post_init__(self) -> None:
        if len(self.times_s) != len(self.heights_m):
            raise TideError("tide table: as many heights as times expected")
        if len(self.times_s) < 2:
            raise TideError(f"{self.source}: at least two rows (a high and a low water) expected")
        t = np.asarray(self.times_s)
        if not np.all(np.diff(t) > 0):
            i = int(np.flatnonzero(np.diff(t) <= 0)[0])
            raise TideError(
                f"{self.source}: row {i + 2} is not later than row {i + 1}; rows must be in time order"
            )
        for i, h in enumerate(self.heights_m):
            if not (math.isfinite(h) and -5.0 <= h <= 20.0):
                raise TideError(f"{self.source}: row {i + 1}: height {h} m is not a tide height (-5 to 20 m)")

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[Any]], source: str) -> TideTable:
        times, heights = [], []
        for i, row in enumerate(rows):
            if len(row) < 2:
                raise TideError(f"{source}: row {i + 1}: expected [time, height_m], got {list(row)!r}")
            times.append(parse_time(row[0], f"{source}: row {i + 1}"))
            try:
                heights.append(float(row[1]))
            except (TypeError, ValueError) as exc:
                raise TideError(f"{source}: row {i + 1}: height {row[1]!r} is not a number (metres)") from exc
        return cls(tuple(times), tuple(heights), source)

    @classmethod
    def parse_csv(cls, text: str, source: str = "tide table") -> TideTable:
        """``time,height_m`` rows (a header row and ``#`` comments are skipped)."""
        rows = []
        for row in csv.reader(io.StringIO(text)):
            if not row or not row[0].strip() or row[0].lstrip().startswith("#"):
                continue
            if row[0].strip().lower() in ("time", "utc", "datetime"):
                continue
            rows.append([c.strip() for c in row])
        return cls.from_rows(rows, source)

    @classmethod
    def read(cls, path: str | Path) -> TideTable:
        p = Path(path)
        if not p.is_file():
            raise TideError(f"tide table {str(p)!r} not found (a CSV of time,height_m rows)")
        return cls.parse_csv(p.read_text(encoding="utf-8"), str(p))

    @property
    def span_s(self) -> tuple[float, float]:
        return self.times_s[0], self.times_s[-1]

    def height_m(self, t_s: float) -> float | None:
        """Cosine interpolation between the rows around ``t_s``; None outside the table or across a
        gap longer than ``MAX_GAP_S``."""
        t = self.times_s
        if not (t[0] <= t_s <= t[-1]):
            return None
        i = min(int(np.searchsorted(t, t_s, side="right")) - 1, len(t) - 2)
        t0, t1 = t[i], t[i + 1]
        if t1 - t0 > MAX_GAP_S:
            return None
        h0, h1 = self.heights_m[i], self.heights_m[i + 1]
        x = (t_s - t0) / (t1 - t0)
        return h0 + (h1 - h0) * (1.0 - math.cos(math.pi * x)) / 2.0

    def rising(self, t_s: float) -> bool | None:
        a, b = self.height_m(t_s - 300.0), self.height_m(t_s + 300.0)
        if a is None or b is None:
            a, b = self.height_m(t_s), self.height_m(t_s + 600.0)
        if a is None or b is None:
            return None
        return b > a

    def next_turns(self, t_s: float, n: int = 2) -> list[tuple[float, float, str]]:
        """The next ``n`` high or low waters after ``t_s``: rows that are local extremes."""
        h = self.heights_m
        out = []
        for i, ti in enumerate(self.times_s):
            if ti <= t_s:
                continue
            prev = h[i - 1] if i > 0 else None
            nxt = h[i + 1] if i + 1 < len(h) else None
            if prev is not None and nxt is not None and (h[i] - prev) * (nxt - h[i]) > 0:
                continue  # a point on the way up or down, not a turn
            up = (prev is not None and h[i] > prev) or (prev is None and nxt is not None and h[i] > nxt)
            out.append((ti, h[i], "high" if up else "low"))
            if len(out) == n:
                break
        return out


class TideSettings:
    """The site file's ``properties.tide``."""

    def __init__(
        self,
        waterline_height_m: float,
        low_water_height_m: float,
        datum: str = "chart datum",
        table: TideTable | None = None,
        problem: str | None = None,
        mean_sea_level_m: float | None = None,
    ) -> None:
        if not (math.isfinite(waterline_height_m) and math.isfinite(low_water_height_m)):
            raise TideError("tide: waterline_height_m and low_water_height_m must be numbers (metres)")
        if not waterline_height_m > low_water_height_m:
            raise TideError(
                f"tide: waterline_height_m ({waterline_height_m}) must be above low_water_height_m "
                f"({low_water_height_m}): the mapped waterline is the high-water edge"
            )
        self.waterline_height_m = float(waterline_height_m)
        self.low_water_height_m = float(low_water_height_m)
        if mean_sea_level_m is not None and not (
            math.isfinite(mean_sea_level_m) and low_water_height_m < mean_sea_level_m < waterline_height_m
        ):
            raise TideError(
                f"tide: mean_sea_level_m ({mean_sea_level_m}) must lie between low_water_height_m "
                f"({low_water_height_m}) and waterline_height_m ({waterline_height_m})"
            )
        # mean sea level above the datum; not given: half way between the two waters (a mean
        # sea level is within a few decimetres of the mean of high and low water springs)
        self.mean_sea_level_given = mean_sea_level_m is not None
        self.mean_sea_level_m = (
            float(mean_sea_level_m)
            if mean_sea_level_m is not None
            else (self.waterline_height_m + self.low_water_height_m) / 2
        )
        self.datum = datum
        self.table = table
        self.problem = problem  # why the site file's table is not in use (lenient parse)

    @classmethod
    def parse(cls, raw: Any, base_dir: Path | None = None, *, lenient: bool = False) -> TideSettings:
        """``lenient``: a ``table`` file that cannot be read leaves the settings without a table and
        the reason in ``problem`` (the live service goes on, the tide unknown until reported)."""
        if not isinstance(raw, dict):
            raise TideError("properties.tide must be an object")
        keys = {"waterline_height_m", "low_water_height_m", "mean_sea_level_m", "datum", "table", "heights"}
        unknown = set(raw) - keys
        if unknown:
            raise TideError(
                f"properties.tide: unknown key(s) {sorted(unknown)}; expected waterline_height_m, "
                "low_water_height_m, mean_sea_level_m, datum, table (a CSV path) or heights "
                "([[time, height_m], ...])"
            )
        for k in ("waterline_height_m", "low_water_height_m", "mean_sea_level_m"):
            v = raw.get(k)
            if (v is not None or k != "mean_sea_level_m") and (
                not isinstance(v, int | float) or isinstance(v, bool)
            ):
                raise TideError(f"properties.tide.{k} must be a number (metres above the datum)")
        table = None
        problem = None
        if raw.get("table") is not None:
            p = Path(str(raw["table"]))
            try:
                table = TideTable.read(p if p.is_absolute() or base_dir is None else base_dir / p)
            except TideError as exc:
                if not lenient:
                    raise
                problem = str(exc)
        elif raw.get("heights") is not None:
            if not isinstance(raw["heights"], list):
                raise TideError("properties.tide.heights must be a list of [time, height_m]")
            table = TideTable.from_rows(raw["heights"], "properties.tide.heights")
        return cls(
            float(raw["waterline_height_m"]),
            float(raw["low_water_height_m"]),
            str(raw.get("datum", "chart datum")),
            table,
            problem,
            None if raw.get("mean_sea_level_m") is None else float(raw["mean_sea_level_m"]),
        )

    def with_table(self, table: TideTable) -> TideSettings:
        """The same settings with another tide table (the one a deployment loads for its days)."""
        return TideSettings(
            self.waterline_height_m,
            self.low_water_height_m,
            self.datum,
            table,
            mean_sea_level_m=self.mean_sea_level_m if self.mean_sea_level_given else None,
        )

    def sea_surface_m(self, height_m: float | None) -> float:
        """The sea's surface above mean sea level (the altitude datum of drone telemetry and of
        georeferencing) at this tide height; 0 when the tide is unknown."""
        if height_m is None or not math.isfinite(height_m):
            return 0.0
        return float(height_m) - self.mean_sea_level_m

    @property
    def unknown_sigma_m(self) -> float:
        """How far the sea's height may be from mean sea level when nothing says where it is: the
        spread (one sigma) of a sine tide between the two waters, range / 2 / sqrt 2."""
        return (self.waterline_height_m - self.low_water_height_m) / (2 * math.sqrt(2))

    def drying_fraction(self, height_m: float | None) -> float:
        """0 at (or above) the mapped waterline's height, 1 at the low water of the drying widths."""
        if height_m is None or not math.isfinite(height_m):
            return 0.0
        f = (self.waterline_height_m - height_m) / (self.waterline_height_m - self.low_water_height_m)
        return float(min(MAX_FRACTION, max(0.0, f)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "datum": self.datum,
            "waterline_height_m": self.waterline_height_m,
            "low_water_height_m": self.low_water_height_m,
            "mean_sea_level_m": self.mean_sea_level_m,
            "mean_sea_level_given": self.mean_sea_level_given,
            "table": None
            if self.table is None
            else {"source": self.table.source, "from_s": self.table.span_s[0], "to_s": self.table.span_s[1]},
        }


class Foreshore:
    """Drying widths along the waterline (local metres): ``shift_m`` and the water's edge."""

    def __init__(
        self, waterline: LineString, land: Polygon, beaches: Sequence[tuple[Polygon, float]]
    ) -> None:
        self.waterline = waterline
        n = max(2, math.ceil(waterline.length / SAMPLE_M) + 1)
        self.along_m = np.linspace(0.0, waterline.length, n)
        pts = shapely.line_interpolate_point(waterline, self.along_m)
        width = np.zeros(n)
        for poly, drying in beaches:
            if drying > 0:
                near = shapely.distance(poly, pts) <= 30.0
                width = np.where(near, np.maximum(width, drying), width)
        # taper at the beach ends (a triangular kernel of +-TAPER_M): no step in the edge
        k = max(1, int(TAPER_M / (self.along_m[1] - self.along_m[0] if n > 1 else SAMPLE_M)))
        kern = np.concatenate([np.arange(1, k + 1), np.arange(k - 1, 0, -1)]).astype(float)
        kern /= kern.sum()
        self.width_m = np.convolve(np.pad(width, k - 1, mode="edge"), kern, mode="valid")[:n]
        xy = shapely.get_coordinates(pts)
        tan = np.gradient(xy, axis=0)
        tan /= np.maximum(np.linalg.norm(tan, axis=1, keepdims=True), 1e-9)
        nrm = np.stack([-tan[:, 1], tan[:, 0]], axis=1)
        probe = xy + 5.0 * nrm
        flip = shapely.contains_xy(land, probe[:, 0], probe[:, 1])
        self.seaward = np.where(flip[:, None], -nrm, nrm)
        self._xy = xy

    @property
    def any(self) -> bool:
        return bool(np.any(self.width_m > 0))

    def width_at(self, east_m: npt.ArrayLike, north_m: npt.ArrayLike) -> npt.NDArray[np.float64]:
        pts = shapely.points(np.atleast_1d(east_m), np.atleast_1d(north_m))
        s = shapely.line_locate_point(self.waterline, pts)
        return np.interp(s, self.along_m, self.width_m)

    def shift_m(
        self, east_m: npt.ArrayLike, north_m: npt.ArrayLike, fraction: float
    ) -> npt.NDArray[np.float64]:
        """How far seaward of the mapped waterline the water's edge is, near each point."""
        if fraction <= 0:
            return np.zeros(np.atleast_1d(east_m).shape)
        return self.width_at(east_m, north_m) * fraction

    def edge_offset_m(self, along_m: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """At these distances along the waterline: (N x 2) east/north from the mapped line to the
        water's edge at low water (drying fraction 1: multiply by the fraction of the moment)."""
        a = np.atleast_1d(np.asarray(along_m, dtype=np.float64))
        nrm = np.stack([np.interp(a, self.along_m, self.seaward[:, k]) for k in (0, 1)], axis=1)
        nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-9)
        return nrm * np.interp(a, self.along_m, self.width_m)[:, None]

    def to_edge(self, xy: npt.ArrayLike, fraction: float) -> npt.NDArray[np.float64]:
        """Points on (or near) the mapped waterline, moved out to the water's edge at ``fraction``."""
        p = np.atleast_2d(np.asarray(xy, dtype=np.float64))[:, :2]
        along = shapely.line_locate_point(self.waterline, shapely.points(p))
        return p + self.edge_offset_m(along) * max(0.0, fraction)

    def water_edge(self, fraction: float) -> LineString:
        """The water's edge at this drying fraction: the waterline moved seaward, point by point."""
        xy = self._xy + self.edge_offset_m(self.along_m) * max(0.0, fraction)
        return shapely.simplify(LineString(xy), 2.0)


@dataclass(frozen=True, slots=True)
class Observed:
    """A tide height someone read off a gauge or a tide table and reported, valid for a while."""

    height_m: float
    at_s: float
    until_s: float
    by: str


def _check_height(height_m: float) -> None:
    if not (math.isfinite(height_m) and -5.0 <= height_m <= 20.0):
        raise TideError(f"height {height_m} m is not a tide height (-5 to 20 m above the datum)")


class TideNow:
    """The tide height the live service uses, thread-safe: a reported observation while it is
    valid, else the site's tide table, else unknown (the mapped waterline is then the edge).

    Live frames are judged by the tide at the moment they are processed (the wall clock), not
    by their own timestamps: a simulated camera's clock starts at 0, and the sea moves under a
    metre an hour, so the few seconds between capture and processing do not matter."""

    def __init__(
        self,
        settings: TideSettings | None,
        clock: Callable[[], float] | None = None,
        *,
        problem: str | None = None,
        keep: Path | None = None,
        site_name: str = "",
    ) -> None:
        """``keep``: a file the reported height is written to and read back from at start-up, so
        a restart of the service at dawn does not forget it while it is valid (``site_name``
        guards against a report for another site)."""
        self.settings = settings
        self.problem = problem  # why the configured tide table is not in use, if it is not
        self._clock = clock or time.time
        self._observed: Observed | None = None
        self._lock = threading.Lock()
        self._keep = keep
        self._site_name = site_name
        if keep is not None and settings is not None:
            self._observed = self._read_kept(keep)

    def _read_kept(self, path: Path) -> Observed | None:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            logger.warning(
                "reported tide in %s not read (%s); the tide table or the waterline applies", path, exc
            )
            return None
        try:
            if raw.get("site") != self._site_name:
                logger.info(
                    "reported tide in %s is for site %r, not %r: not used",
                    path,
                    raw.get("site"),
                    self._site_name,
                )
                return None
            ob = Observed(float(raw["height_m"]), float(raw["at_s"]), float(raw["until_s"]), str(raw["by"]))
            _check_height(ob.height_m)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:  # TideError is a ValueError
            logger.warning("reported tide in %s not understood (%s): not used", path, exc)
            return None
        if ob.until_s <= self._clock():
            return None
        logger.info("reported tide %.2f m (by %s) restored from %s", ob.height_m, ob.by, path)
        return ob

    def _write_kept(self, ob: Observed | None) -> None:
        """Best effort: a state dir that cannot be written loses the report on restart, nothing else."""
        if self._keep is None:
            return
        try:
            if ob is None:
                self._keep.unlink(missing_ok=True)
                return
            tmp = self._keep.with_suffix(".tmp")
            tmp.write_text(
                json.dumps(
                    {
                        "site": self._site_name,
                        "height_m": ob.height_m,
                        "at_s": ob.at_s,
                        "until_s": ob.until_s,
                        "by": ob.by,
                    }
                ),
                encoding="utf-8",
            )
            os.replace(tmp, self._keep)
        except OSError as exc:
            logger.warning("reported tide not kept in %s (%s): a restart will forget it", self._keep, exc)

    def observe(self, height_m: float, valid_s: float, by: str) -> Observed:
        if self.settings is None:
            raise TideError("this site has no tide settings (properties.tide in the site file)")
        _check_height(height_m)
        now = self._clock()
        ob = Observed(float(height_m), now, now + float(valid_s), by)
        with self._lock:
            self._observed = ob
            self._write_kept(ob)
        return ob

    def clear(self) -> None:
        with self._lock:
            self._observed = None
            self._write_kept(None)

    def observed(self) -> Observed | None:
        with self._lock:
            ob = self._observed
        return ob if ob is not None and ob.until_s > self._clock() else None

    def height_m(self, _t_s: float | None = None) -> float | None:
        """The ``TideSource`` for live streams (the argument, a frame's timestamp, is ignored)."""
        h, _ = self.now()
        return h

    def now(self) -> tuple[float | None, str]:
        """(height, where it came from: observed | table | unknown)."""
        if self.settings is None:
            return None, "unknown"
        ob = self.observed()
        if ob is not None:
            return ob.height_m, "observed"
        if self.settings.table is not None:
            h = self.settings.table.height_m(self._clock())
            if h is not None:
                return h, "table"
        return None, "unknown"

    def rising(self) -> bool | None:
        t = self.settings.table if self.settings is not None else None
        return t.rising(self._clock()) if t is not None else None

    def next_turns(self, n: int = 2) -> list[tuple[float, float, str]]:
        t = self.settings.table if self.settings is not None else None
        return t.next_turns(self._clock(), n) if t is not None else []
