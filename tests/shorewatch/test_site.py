from __future__ import annotations

import json
from pathlib import Path

import pytest

from shorewatch.geo import LocalFrame, distance_m
from shorewatch.site import SiteError, load_site, parse_site


def test_builtin_opal_coast_has_the_places_pilots_name() -> None:
    site = load_site()
    names = " ".join(b.name for b in site.beaches)
    for place in ("Wissant", "Sangatte", "Wimereux", "Audresselles"):
        assert place in names
    assert site.geofence is not None and site.geofence.is_valid
    assert {p.name for p in site.launch_points} >= {"Wissant", "Audresselles"}
    # Cap Gris-Nez is ~50.8697 N 1.5835 E; the waterline passes within 50 m of it.
    fr = LocalFrame(50.8697, 1.5835)
    from shapely.geometry import Point

    assert site.to_local(site.waterline).distance(site.to_local(Point(1.5835, 50.8697))) < 50
    assert site.is_land(50.88, 1.75) and not site.is_land(50.90, 1.60)
    assert fr.to_local(50.8697, 1.5835) == pytest.approx((0.0, 0.0), abs=1e-6)


# IGN GEOFLA 2.2 vertices of the Pas-de-Calais coast (the site's source; properties.source): the
# capes, the beaches and Calais harbour. The built-in waterline must keep within 30 m of each.
IGN_COAST = [
    (50.965648, 1.841224, "Calais, root of the west jetty"),
    (50.945418, 1.749954, "Sangatte"),
    (50.929409, 1.712261, "Cap Blanc-Nez"),
    (50.890134, 1.664100, "Wissant"),
    (50.869885, 1.584398, "Cap Gris-Nez"),
    (50.853334, 1.577942, "Cran aux Oeufs (south of Gris-Nez)"),
    (50.825395, 1.590154, "Audresselles"),
    (50.771376, 1.605682, "Wimereux"),
]


@pytest.mark.parametrize(("lat", "lon", "place"), IGN_COAST)
def test_builtin_waterline_follows_the_ign_coast(lat: float, lon: float, place: str) -> None:
    from shapely.geometry import Point

    site = load_site()
    d = site.to_local(site.waterline).distance(site.to_local(Point(lon, lat)))
    assert d < 30, f"{place}: waterline {d:.0f} m from the IGN coast"
    # and the land lies behind it: 200 m inland of that point is land, 200 m out is sea
    wl = site.to_local(site.waterline)
    p = site.to_local(Point(lon, lat))
    s = wl.project(p)
    a, b = wl.interpolate(max(s - 20, 0)), wl.interpolate(min(s + 20, wl.length))
    tx, ty = b.x - a.x, b.y - a.y
    n = (tx**2 + ty**2) ** 0.5
    left = site.to_geo(Point(p.x - 200 * ty / n, p.y + 200 * tx / n))
    right = site.to_geo(Point(p.x + 200 * ty / n, p.y - 200 * tx / n))
    assert site.is_land(left.y, left.x) and not site.is_land(right.y, right.x), place


def _fc(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


LINE = {
    "type": "Feature",
    "properties": {"role": "waterline"},
    "geometry": {"type": "LineString", "coordinates": [[1.6, 50.8], [1.6, 50.9]]},
}
LAND = {
    "type": "Feature",
    "properties": {"role": "land"},
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[1.6, 50.8], [1.7, 50.8], [1.7, 50.9], [1.6, 50.9], [1.6, 50.8]]],
    },
}
BOWTIE = {
    "type": "Feature",
    "properties": {"role": "beach", "name": "bad"},
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[1.6, 50.8], [1.7, 50.9], [1.7, 50.8], [1.6, 50.9], [1.6, 50.8]]],
    },
}
FAR = {
    "type": "Feature",
    "properties": {"role": "waterline"},
    "geometry": {"type": "LineString", "coordinates": [[50.8, 1.6], [200.0, 50.9]]},
}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "Feature"}, "FeatureCollection"),
        (_fc(LAND), "no feature with role 'waterline'"),
        (_fc(LINE), "no feature with role 'land'"),
        (_fc(LINE, LAND, BOWTIE), "Self-intersection"),
        (_fc(FAR, LAND), "out of range"),
        (
            _fc(LINE, LAND, {"type": "Feature", "properties": {"role": "moat"}, "geometry": None}),
            "unknown role 'moat'",
        ),
        (
            _fc(
                LINE,
                {
                    "type": "Feature",
                    "properties": {"role": "land"},
                    "geometry": {"type": "Point", "coordinates": [1, 2]},
                },
            ),
            "expected a Polygon",
        ),
    ],
)
def test_bad_sites_are_refused_with_the_reason(data: dict, message: str) -> None:
    with pytest.raises(SiteError, match=message):
        parse_site(data)


def test_site_file_errors(tmp_path: Path) -> None:
    with pytest.raises(SiteError, match="not found"):
        load_site(tmp_path / "nope.geojson")
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    with pytest.raises(SiteError, match="not valid JSON"):
        load_site(bad)
    good = tmp_path / "good.geojson"
    good.write_text(json.dumps(_fc(LINE, LAND)))
    assert load_site(good).name == "good"


def test_local_frame_round_trip() -> None:
    fr = LocalFrame(50.88, 1.66)
    lat, lon = fr.to_geo(1234.5, -987.0)
    e, n = fr.to_local(lat, lon)
    assert (e, n) == pytest.approx((1234.5, -987.0), abs=1e-3)
    assert distance_m(50.88, 1.66, lat, lon) == pytest.approx((1234.5**2 + 987**2) ** 0.5, rel=1e-3)
