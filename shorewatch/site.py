"""A site: the stretch of coast shorewatch watches, loaded from one GeoJSON FeatureCollection.

Each feature says what it is in ``properties.role``:

=============== ============ ===================================================================
role            geometry     meaning
=============== ============ ===================================================================
waterline       LineString   the shoreline (mean water line); land lies on its ``land`` side
land            Polygon      dry land (everything not in it is sea)
beach           Polygon      a beach where boats can be launched (``name`` property)
no_fly          Polygon      airspace the drones must not enter (``name``)
geofence        Polygon      the operating area the drones must stay inside
launch_point    Point        a drone take-off site (``name``)
patrol_unit     Point        a patrol unit's base (``name``, optional ``webhook_url``)
=============== ============ ===================================================================

Top-level ``properties`` of the collection: ``name``, optional ``drones`` (list of
``DroneConfig``), ``ceiling_m`` and ``tide`` (``shorewatch.tide.TideSettings``: the datum, the
mapped waterline's height, and a tide table); a ``beach`` may carry ``drying_m``, the width of
sand its low water uncovers. Coordinates are GeoJSON order: [lon, lat].
Errors are ``SiteError`` and name the feature and the problem.
"""

from __future__ import annotations

import json
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from pydantic import BaseModel, ConfigDict, Field
from shapely import validation
from shapely.geometry import LineString, Point, Polygon, shape

from shorewatch.geo import LocalFrame
from shorewatch.tide import Foreshore, TideError, TideSettings, TideTable

BUILTIN_SITES = {"opal-coast": "opal_coast.geojson"}


class SiteError(ValueError):
    """The site file is missing, malformed, or its geometry is invalid."""


class CameraConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str = Field("sim", description="'sim' for the simulator's camera, or an RTSP/UDP/file URL")
    width_px: int = Field(1280, ge=64, le=8192, description="image width the detector receives")
    height_px: int = Field(720, ge=64, le=8192, description="image height the detector receives")
    hfov_deg: float = Field(84.0, ge=5, le=170, description="horizontal field of view")
    fps: float = Field(10.0, gt=0, le=60, description="frames per second to capture")


class DroneConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(description="unique drone name, e.g. 'drone-1'")
    connection: str = Field(description="MAVLink connection string, e.g. tcp:127.0.0.1:5760")
    camera: CameraConfig = Field(default_factory=lambda: CameraConfig(), description="the drone's camera")
    launch_point: str | None = Field(None, description="name of the launch_point it takes off from")


class NamedArea(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)
    name: str
    geometry: Polygon
    drying_m: float = 0.0


class NamedPoint(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)
    name: str
    lat_deg: float
    lon_deg: float
    properties: dict[str, Any] = Field(default_factory=dict)


class Site(BaseModel):
    """A loaded, validated site. Geometries are in lon/lat (GeoJSON order)."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)
    name: str
    waterline: LineString
    land: Polygon
    beaches: tuple[NamedArea, ...] = ()
    no_fly: tuple[NamedArea, ...] = ()
    geofence: Polygon | None = None
    launch_points: tuple[NamedPoint, ...] = ()
    patrol_units: tuple[NamedPoint, ...] = ()
    drones: tuple[DroneConfig, ...] = ()
    ceiling_m: float = 120.0
    tide: TideSettings | None = None

    @cached_property
    def foreshore(self) -> Foreshore | None:
        """The beaches' drying widths along the waterline (None when no beach has ``drying_m``)."""
        fs = Foreshore(
            self.waterline_local,
            self.land_local,
            [(self.to_local(b.geometry), b.drying_m) for b in self.beaches],
        )
        return fs if fs.any else None

    def tide_fraction(self, height_m: float | None) -> float:
        """How much of its drying width each beach shows at this tide height (0 without tide settings)."""
        return self.tide.drying_fraction(height_m) if self.tide is not None else 0.0

    def max_water_edge_shift_m(self, height_m: float | None) -> float:
        """The furthest the water's edge lies seaward of the mapped waterline at this tide height."""
        fs, f = self.foreshore, self.tide_fraction(height_m)
        return float(fs.width_m.max() * f) if fs is not None and f > 0 else 0.0

    def sea_surface_m(self, height_m: float | None) -> float:
        """The sea's surface above mean sea level at this tide height (0: no tide settings, or unknown)."""
        return self.tide.sea_surface_m(height_m) if self.tide is not None else 0.0

    def water_edge_shift_m(
        self, east_m: npt.ArrayLike, north_m: npt.ArrayLike, height_m: float | None
    ) -> npt.NDArray[np.float64]:
        """How far seaward of the mapped waterline the water's edge lies near each local point."""
        fs, f = self.foreshore, self.tide_fraction(height_m)
        if fs is None or f <= 0:
            return np.zeros(np.atleast_1d(np.asarray(east_m, dtype=np.float64)).shape)
        return fs.shift_m(east_m, north_m, f)

    @cached_property
    def frame(self) -> LocalFrame:
        """The local metric frame for this site, centred on the waterline's centroid."""
        c = self.waterline.centroid
        return LocalFrame(c.y, c.x)

    def to_local(self, geom: Any) -> Any:
        """A shapely geometry in lon/lat -> the same in local east/north metres."""
        fr = self.frame

        def f(xy: np.ndarray) -> np.ndarray:
            e, n = fr.to_local_many(xy[:, 1], xy[:, 0])
            return np.stack([e, n], axis=1)

        return shapely.transform(geom, f)

    def to_geo(self, geom: Any) -> Any:
        fr = self.frame

        def f(xy: np.ndarray) -> np.ndarray:
            lat, lon = fr.to_geo_many(xy[:, 0], xy[:, 1])
            return np.stack([lon, lat], axis=1)

        return shapely.transform(geom, f)

    @cached_property
    def land_local(self) -> Polygon:
        return self.to_local(self.land)  # type: ignore[no-any-return]

    @cached_property
    def waterline_local(self) -> LineString:
        return self.to_local(self.waterline)  # type: ignore[no-any-return]

    def is_land(self, lat_deg: float, lon_deg: float) -> bool:
        return bool(self.land.contains(Point(lon_deg, lat_deg)))

    def launch_point(self, name: str) -> NamedPoint:
        for p in self.launch_points:
            if p.name == name:
                return p
        raise SiteError(f"no launch_point named {name!r}; have {[p.name for p in self.launch_points]}")


def _polygon(feature: dict[str, Any], idx: int) -> Polygon:
    geom = _geometry(feature, idx, "Polygon")
    assert isinstance(geom, Polygon)
    return geom


def _geometry(feature: dict[str, Any], idx: int, expected: str) -> Any:
    role = feature.get("properties", {}).get("role")
    name = feature.get("properties", {}).get("name", "")
    where = f"feature #{idx} (role={role!r}{', name=' + repr(name) if name else ''})"
    g = feature.get("geometry")
    if not isinstance(g, dict) or g.get("type") != expected:
        got = g.get("type") if isinstance(g, dict) else type(g).__name__
        raise SiteError(f"{where}: expected a {expected} geometry, got {got}")
    try:
        geom = shape(g)
    except Exception as exc:  # shapely raises several types on malformed coordinates
        raise SiteError(f"{where}: malformed {expected} coordinates: {exc}") from exc
    for x, y in _coords(geom):
        if not (-180 <= x <= 180 and -90 <= y <= 90):
            raise SiteError(f"{where}: coordinate ({x}, {y}) out of range; expected [lon, lat] in degrees")
    if not geom.is_valid:
        raise SiteError(f"{where}: invalid geometry: {validation.explain_validity(geom)}")
    if expected == "LineString" and not geom.is_simple:
        raise SiteError(f"{where}: the line crosses itself")
    return geom


def _coords(geom: Any) -> list[tuple[float, float]]:
    if isinstance(geom, Polygon):
        return [tuple(c)[:2] for c in geom.exterior.coords]  # type: ignore[misc]
    return [tuple(c)[:2] for c in geom.coords]  # type: ignore[misc]


def _drying(props: dict[str, Any], idx: int) -> float:
    v = props.get("drying_m", 0.0)
    if isinstance(v, bool) or not isinstance(v, int | float) or not (0 <= v <= 5000):
        raise SiteError(
            f"feature #{idx}: drying_m must be a number of metres from 0 to 5000 (the width of sand "
            f"uncovered at the tide settings' low water), got {v!r}"
        )
    return float(v)


def parse_site(
    data: dict[str, Any],
    *,
    default_name: str = "site",
    base_dir: Path | None = None,
    lenient_tide: bool = False,
) -> Site:
    """``base_dir``: where a tide table named by a relative path is looked for (the site file's
    folder); ``lenient_tide``: an unreadable tide table is left out (``site.tide.problem`` says why)
    instead of refusing the site."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise SiteError("a site must be a GeoJSON FeatureCollection")
    feats = data.get("features")
    if not isinstance(feats, list):
        raise SiteError("the FeatureCollection has no 'features' list")
    props = data.get("properties") or {}
    waterline: LineString | None = None
    land: Polygon | None = None
    geofence: Polygon | None = None
    beaches: list[NamedArea] = []
    no_fly: list[NamedArea] = []
    launch: list[NamedPoint] = []
    units: list[NamedPoint] = []
    for i, f in enumerate(feats):
        if not isinstance(f, dict):
            raise SiteError(f"feature #{i}: expected an object, got {type(f).__name__}")
        fp = f.get("properties") or {}
        role = fp.get("role")
        name = str(fp.get("name", f"{role}-{i}"))
        if role == "waterline":
            if waterline is not None:
                raise SiteError(f"feature #{i}: a second waterline; a site has exactly one")
            waterline = _geometry(f, i, "LineString")
        elif role == "land":
            land = _polygon(f, i)
        elif role == "geofence":
            geofence = _polygon(f, i)
        elif role == "beach":
            beaches.append(NamedArea(name=name, geometry=_polygon(f, i), drying_m=_drying(fp, i)))
        elif role == "no_fly":
            no_fly.append(NamedArea(name=name, geometry=_polygon(f, i)))
        elif role in ("launch_point", "patrol_unit"):
            pt = _geometry(f, i, "Point")
            extra = {k: v for k, v in fp.items() if k not in ("role", "name")}
            np_ = NamedPoint(name=name, lat_deg=pt.y, lon_deg=pt.x, properties=extra)
            (launch if role == "launch_point" else units).append(np_)
        else:
            raise SiteError(
                f"feature #{i}: unknown role {role!r}; expected one of waterline, land, beach, "
                "no_fly, geofence, launch_point, patrol_unit"
            )
    if waterline is None:
        raise SiteError("the site has no feature with role 'waterline' (a LineString)")
    if land is None:
        raise SiteError("the site has no feature with role 'land' (a Polygon)")
    try:
        drones = tuple(DroneConfig.model_validate(d) for d in props.get("drones", []))
    except Exception as exc:
        raise SiteError(f"properties.drones: {exc}") from exc
    ceiling = float(props.get("ceiling_m", 120.0))
    if not (0 < ceiling <= 500):
        raise SiteError(f"properties.ceiling_m must be in (0, 500], got {ceiling}")
    tide = None
    if props.get("tide") is not None:
        try:
            tide = TideSettings.parse(props["tide"], base_dir, lenient=lenient_tide)
        except TideError as exc:
            raise SiteError(str(exc)) from exc
    return Site(
        name=str(props.get("name", default_name)),
        waterline=waterline,
        land=land,
        beaches=tuple(beaches),
        no_fly=tuple(no_fly),
        geofence=geofence,
        launch_points=tuple(launch),
        patrol_units=tuple(units),
        drones=drones,
        ceiling_m=ceiling,
        tide=tide,
    )


def load_site(
    path_or_name: str | Path | None = None,
    *,
    tide_table: str | Path | None = None,
    lenient_tide: bool = False,
) -> Site:
    """Load a site file, or a built-in site by name (default: the Opal Coast); ``tide_table``: a
    CSV of tide heights that replaces the site's own table (``lenient_tide``: see ``parse_site``)."""
    site = _load_site(path_or_name, lenient_tide=lenient_tide or tide_table is not None)  # replaced anyway
    if tide_table is None:
        return site
    if site.tide is None:
        raise SiteError(
            f"a tide table was given but the site {site.name!r} has no tide settings: add properties.tide "
            "(datum, waterline_height_m, low_water_height_m) to the site file"
        )
    try:
        table = TideTable.read(tide_table)
    except TideError as exc:
        raise SiteError(str(exc)) from exc
    return site.model_copy(update={"tide": site.tide.with_table(table)})


def load_site_and_tide_table(
    path_or_name: str | Path | None, tide_table: str | Path | None
) -> tuple[Site, str | None]:
    """For the live service: the site with ``tide_table`` if it can be read, else the site without
    it and the reason (a tide table with a typo must not stop the detection: the tide is then
    unknown and the mapped waterline is the edge). A bad site file still raises ``SiteError``."""
    site = _load_site(path_or_name, lenient_tide=True)
    own = site.tide.problem if site.tide is not None else None
    if tide_table is None:
        return site, own
    try:
        return load_site(path_or_name, tide_table=tide_table, lenient_tide=True), None
    except SiteError as exc:
        return site, str(exc)


def _load_site(path_or_name: str | Path | None, *, lenient_tide: bool = False) -> Site:
    if path_or_name is None or str(path_or_name) in BUILTIN_SITES:
        fname = BUILTIN_SITES[str(path_or_name or "opal-coast")]
        text = resources.files("shorewatch.sites").joinpath(fname).read_text(encoding="utf-8")
        return parse_site(
            json.loads(text), default_name=str(path_or_name or "opal-coast"), lenient_tide=lenient_tide
        )
    p = Path(path_or_name)
    if not p.is_file():
        raise SiteError(f"site file {str(p)!r} not found (or pass a built-in: {', '.join(BUILTIN_SITES)})")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SiteError(f"site file {str(p)!r} is not valid JSON: {exc}") from exc
    return parse_site(data, default_name=p.stem, base_dir=p.resolve().parent, lenient_tide=lenient_tide)
