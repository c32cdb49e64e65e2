"""A route drawn elsewhere: the centre-line of a patrol from a KML or GeoJSON file (Google Earth,
QGIS, geojson.io, a QGroundControl corridor exported as KML), for ``flight.planning.line_patrol``.

Only the geometry is read: the first ``LineString`` (KML ``<LineString><coordinates>``, in any
namespace, or a GeoJSON ``LineString``, ``Feature`` or ``FeatureCollection``; of a
``MultiLineString`` the longest part). Coordinates are ``lon,lat[,alt]`` (altitudes are ignored:
the patrol flies at its own altitude). Errors: ``flight.errors.PlanError`` saying what was
expected.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from shapely.geometry import LineString

from flight.errors import PlanError

MAX_BYTES = 20_000_000


def load_line(path: str | Path) -> LineString:
    """The route's centre-line in lon/lat from a ``.kml`` or ``.geojson``/``.json`` file."""
    p = Path(path)
    if not p.is_file():
        raise PlanError(f"route file {p} not found")
    if p.stat().st_size > MAX_BYTES:
        raise PlanError(f"route file {p} is over {MAX_BYTES // 1_000_000} MB; expected one drawn line")
    text = p.read_text(encoding="utf-8", errors="replace")
    suffix = p.suffix.lower()
    if suffix == ".kml":
        coords = _kml_coords(text, p)
    elif suffix in (".geojson", ".json"):
        coords = _geojson_coords(text, p)
    else:
        raise PlanError(f"route file {p.name}: expected a .kml, .geojson or .json file")
    return _checked(coords, p)


def _kml_coords(text: str, p: Path) -> list[tuple[float, float]]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise PlanError(f"{p.name} is not readable KML: {exc}") from None
    for el in root.iter():
        if el.tag.rsplit("}", 1)[-1] != "LineString":
            continue
        for child in el:
            if child.tag.rsplit("}", 1)[-1] == "coordinates" and child.text:
                out = []
                for tup in child.text.split():
                    parts = tup.split(",")
                    if len(parts) < 2:
                        raise PlanError(f"{p.name}: a coordinate {tup!r} is not lon,lat[,alt]")
                    out.append((_num(parts[0], p), _num(parts[1], p)))
                return out
    raise PlanError(f"{p.name} holds no <LineString> with <coordinates>; draw the route as a path (a line)")


def _geojson_coords(text: str, p: Path) -> list[tuple[float, float]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanError(f"{p.name} is not readable JSON: {exc}") from None
    line = _find_line(doc)
    if line is None:
        raise PlanError(f"{p.name} holds no LineString geometry; draw the route as a line")
    out = []
    for c in line:
        if not isinstance(c, list | tuple) or len(c) < 2:
            raise PlanError(f"{p.name}: a coordinate {c!r} is not [lon, lat(, alt)]")
        out.append((_num(c[0], p), _num(c[1], p)))
    return out


def _find_line(doc: Any) -> list[Any] | None:
    if not isinstance(doc, dict):
        return None
    t = doc.get("type")
    if t == "LineString" and isinstance(doc.get("coordinates"), list):
        return doc["coordinates"]  # type: ignore[no-any-return]
    if t == "MultiLineString" and isinstance(doc.get("coordinates"), list) and doc["coordinates"]:
        return max(doc["coordinates"], key=len)  # type: ignore[no-any-return]
    if t == "Feature":
        return _find_line(doc.get("geometry"))
    if t == "FeatureCollection":
        for f in doc.get("features") or []:
            found = _find_line(f)
            if found is not None:
                return found
    if t == "GeometryCollection":
        for g in doc.get("geometries") or []:
            found = _find_line(g)
            if found is not None:
                return found
    return None


def _num(v: Any, p: Path) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise PlanError(f"{p.name}: {v!r} is not a number") from None
    if not math.isfinite(x):
        raise PlanError(f"{p.name}: {v!r} is not a finite number")
    return x


def _checked(coords: list[tuple[float, float]], p: Path) -> LineString:
    if any(not (-180 <= lon <= 180 and -90 <= lat <= 90) for lon, lat in coords):
        raise PlanError(
            f"{p.name}: coordinates out of range; expected lon in [-180, 180], lat in [-90, 90] (lon first)"
        )
    pts = [c for i, c in enumerate(coords) if i == 0 or c != coords[i - 1]]
    if len(pts) < 2:
        raise PlanError(f"{p.name}: the line needs at least two distinct points, got {len(pts)}")
    return LineString(pts)
