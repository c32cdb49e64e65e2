"""Map coordinates <-> a local metric frame (east, north in metres) around an origin.

Every planar computation in shorewatch (mission geometry, the simulated world, georeferencing,
zones) happens in a ``LocalFrame``: an azimuthal-equidistant projection centred on the site, so
distances are true to well under a metre over the tens of kilometres of one site.
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np
import numpy.typing as npt
from pyproj import Geod, Transformer

WGS84 = Geod(ellps="WGS84")

FloatArray = npt.NDArray[np.float64]


class LocalFrame:
    """East/north metres around (``origin_lat_deg``, ``origin_lon_deg``)."""

    def __init__(self, origin_lat_deg: float, origin_lon_deg: float) -> None:
        if not (-90 <= origin_lat_deg <= 90 and -180 <= origin_lon_deg <= 180):
            raise ValueError(
                f"origin must be a latitude in [-90, 90] and longitude in [-180, 180], "
                f"got ({origin_lat_deg}, {origin_lon_deg})"
            )
        self.origin_lat_deg = float(origin_lat_deg)
        self.origin_lon_deg = float(origin_lon_deg)

    def __repr__(self) -> str:
        return f"LocalFrame({self.origin_lat_deg:.6f}, {self.origin_lon_deg:.6f})"

    def __reduce__(self) -> tuple[type[LocalFrame], tuple[float, float]]:
        return (LocalFrame, (self.origin_lat_deg, self.origin_lon_deg))

    @cached_property
    def _fwd(self) -> Transformer:
        crs = (
            f"+proj=aeqd +lat_0={self.origin_lat_deg} +lon_0={self.origin_lon_deg} "
            "+x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"
        )
        return Transformer.from_crs("EPSG:4326", crs, always_xy=True)

    @cached_property
    def _inv(self) -> Transformer:
        crs = (
            f"+proj=aeqd +lat_0={self.origin_lat_deg} +lon_0={self.origin_lon_deg} "
            "+x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"
        )
        return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    def to_local(self, lat_deg: float, lon_deg: float) -> tuple[float, float]:
        e, n = self._fwd.transform(lon_deg, lat_deg)
        return float(e), float(n)

    def to_geo(self, east_m: float, north_m: float) -> tuple[float, float]:
        lon, lat = self._inv.transform(east_m, north_m)
        return float(lat), float(lon)

    def to_local_many(self, lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        e, n = self._fwd.transform(np.asarray(lon_deg, float), np.asarray(lat_deg, float))
        return np.asarray(e, float), np.asarray(n, float)

    def to_geo_many(self, east_m: npt.ArrayLike, north_m: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        lon, lat = self._inv.transform(np.asarray(east_m, float), np.asarray(north_m, float))
        return np.asarray(lat, float), np.asarray(lon, float)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance on WGS84."""
    _, _, d = WGS84.inv(lon1, lat1, lon2, lat2)
    return float(d)


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial geodesic bearing from point 1 to point 2, clockwise from north, in [0, 360)."""
    az, _, _ = WGS84.inv(lon1, lat1, lon2, lat2)
    return float(az) % 360.0


def offset(lat: float, lon: float, bearing: float, dist_m: float) -> tuple[float, float]:
    """The point ``dist_m`` from (lat, lon) along ``bearing`` (degrees clockwise from north)."""
    lon2, lat2, _ = WGS84.fwd(lon, lat, bearing, dist_m)
    return float(lat2), float(lon2)


def near_radius_m(radius_m: float, max_radius_m: float, *errors_m: float) -> float:
    """How near two placings of one object may lie: ``radius_m``, widened to twice their stated
    one-sigma errors in quadrature where that is larger, at most ``max_radius_m``."""
    return min(max_radius_m, max(radius_m, 2.0 * math.hypot(*errors_m)))


def heading_from_velocity(v_east: float, v_north: float) -> float:
    return math.degrees(math.atan2(v_east, v_north)) % 360.0
