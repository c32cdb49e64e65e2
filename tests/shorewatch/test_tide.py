"""The tide: reading a tide table, and where the water's edge lies on a flat beach."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
import shapely

from shorewatch.site import SiteError, load_site, load_site_and_tide_table, parse_site
from shorewatch.tide import TideError, TideNow, TideSettings, TideTable, parse_time
from tests.shorewatch.test_site import LAND, LINE

T0 = datetime(2026, 12, 1, 5, 0, tzinfo=UTC).timestamp()
H = 6 * 3600 + 12 * 60  # high to low water
TABLE = TideTable((T0, T0 + H, T0 + 2 * H, T0 + 3 * H), (7.0, 1.0, 7.2, 0.8))

# a straight north-south coast: sea to the west of lon 1.6, land to the east (test_site's), one flat beach


def beach(drying: object, lat0: float = 50.83, lat1: float = 50.87) -> dict:
    return {
        "type": "Feature",
        "properties": {"role": "beach", "name": "flat", "drying_m": drying},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[1.6, lat0], [1.602, lat0], [1.602, lat1], [1.6, lat1], [1.6, lat0]]],
        },
    }


TIDE = {"datum": "test datum", "waterline_height_m": 7.0, "low_water_height_m": 1.0}


def site(drying: object = 400, tide: object = TIDE) -> object:
    return parse_site(
        {"type": "FeatureCollection", "properties": {"tide": tide}, "features": [LINE, LAND, beach(drying)]}
    )


def local(s: object, lat: float, lon: float = 1.6) -> tuple[float, float]:
    return s.frame.to_local(lat, lon)  # type: ignore[attr-defined]


def test_a_tide_table_is_read_as_by_hand_a_cosine_between_high_and_low_water() -> None:
    assert TABLE.height_m(T0) == pytest.approx(7.0)
    assert TABLE.height_m(T0 + H / 2) == pytest.approx(4.0)  # half-tide at half-time
    # a quarter of the way the sea has fallen (1 - cos 45 deg) / 2 = 14.6 % of the range (rule of twelfths: 1/12 + 2/12 ... )
    assert TABLE.height_m(T0 + H / 4) == pytest.approx(7.0 - 6.0 * (1 - math.cos(math.pi / 4)) / 2)
    assert TABLE.height_m(T0 + H) == pytest.approx(1.0)
    assert TABLE.height_m(T0 - 1) is None and TABLE.height_m(T0 + 3 * H + 1) is None
    assert TABLE.rising(T0 + H / 2) is False and TABLE.rising(T0 + 1.5 * H) is True
    turns = TABLE.next_turns(T0 + 10)
    assert [(k, h) for _t, h, k in turns] == [("low", 1.0), ("high", 7.2)]


def test_a_gap_in_the_table_is_not_bridged() -> None:
    t = TideTable((T0, T0 + H, T0 + H + 12 * 3600), (7.0, 1.0, 7.0))
    assert t.height_m(T0 + H / 2) is not None
    assert t.height_m(T0 + H + 3600) is None  # 12 h between two rows: a row is missing


def test_the_csv_form_of_a_tide_table() -> None:
    text = "# SHOM, Calais, heights above chart datum\ntime,height_m\n2026-12-01T05:00Z,7.0\n2026-12-01T12:12+01:00, 1.0\n"
    t = TideTable.parse_csv(text, "calais.csv")
    assert t.times_s[0] == pytest.approx(T0) and t.times_s[1] == pytest.approx(T0 + H)
    assert t.heights_m == (7.0, 1.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-12-01T05:00,7.0\n2026-12-01T11:12,1.0\n", "no UTC offset"),
        ("yesterday,7.0\n2026-12-01T11:12Z,1.0\n", "not an ISO-8601 time"),
        ("2026-12-01T11:12Z,1.0\n2026-12-01T05:00Z,7.0\n", "not later than row 1"),
        ("2026-12-01T05:00Z,7.0\n2026-12-01T11:12Z,low\n", "is not a number"),
        ("2026-12-01T05:00Z,7.0\n2026-12-01T11:12Z,71\n", "is not a tide height"),
        ("2026-12-01T05:00Z,7.0\n", "at least two rows"),
        ("2026-12-01T05:00Z\n2026-12-01T11:12Z,1.0\n", r"expected \[time, height_m\]"),
    ],
)
def test_a_bad_tide_table_is_refused_with_the_row_and_the_reason(text: str, message: str) -> None:
    with pytest.raises(TideError, match=message):
        TideTable.parse_csv(text, "t.csv")


def test_parse_time_reads_utc_and_offsets() -> None:
    assert parse_time("2026-12-01T06:00+01:00", "x") == pytest.approx(T0)


def test_the_water_edge_moves_seaward_over_the_beach_only() -> None:
    s = site()
    mid = local(s, 50.85)
    assert s.water_edge_shift_m(*mid, 7.0)[0] == 0.0  # high water: the mapped line
    assert s.water_edge_shift_m(*mid, 8.0)[0] == 0.0  # above it: the land's edge stays the edge
    assert s.water_edge_shift_m(*mid, 4.0)[0] == pytest.approx(200.0, abs=1.0)
    assert s.water_edge_shift_m(*mid, 1.0)[0] == pytest.approx(400.0, abs=1.0)
    assert s.water_edge_shift_m(*mid, -8.0)[0] == pytest.approx(600.0, abs=1.0)  # clamped at 1.5x
    assert s.water_edge_shift_m(*local(s, 50.81), 1.0)[0] == 0.0  # no beach: cliffs
    end = s.water_edge_shift_m(*local(s, 50.87), 1.0)[0]
    assert 100.0 < end < 300.0  # tapered at the beach's end, no step
    edge = s.foreshore.water_edge(1.0)  # type: ignore[attr-defined]
    e, n = mid
    # the edge lies 400 m west (seaward) of the waterline at the beach's middle
    hit = edge.intersection(shapely.LineString([(e - 1000, n), (e + 1000, n)]))
    assert hit.x == pytest.approx(e - 400, abs=5)
    assert s.tide_fraction(None) == 0.0


@pytest.mark.parametrize(
    ("drying", "tide", "message"),
    [
        (-5, TIDE, "drying_m must be a number of metres"),
        ("wide", TIDE, "drying_m must be a number"),
        (400, {**TIDE, "low_water_height_m": 7.5}, "must be above low_water_height_m"),
        (400, {**TIDE, "range": 6}, "unknown key"),
        (400, {"low_water_height_m": 1.0}, "waterline_height_m must be a number"),
        (400, {**TIDE, "heights": [["2026-12-01T05:00", 7.0], ["2026-12-01T11:00Z", 1.0]]}, "no UTC offset"),
        (400, "high", "must be an object"),
        (400, {**TIDE, "mean_sea_level_m": 9.0}, "mean_sea_level_m .* must lie between"),
        (400, {**TIDE, "mean_sea_level_m": "4"}, "mean_sea_level_m must be a number"),
    ],
)
def test_bad_tide_settings_are_refused_with_the_reason(drying: object, tide: object, message: str) -> None:
    with pytest.raises(SiteError, match=message):
        site(drying, tide)


def test_the_sea_surface_is_the_tide_over_mean_sea_level() -> None:
    """Drone altitudes are above mean sea level, tide heights above the chart datum: the sea's
    surface (where detections are georeferenced) is the one less the datum's mean sea level."""
    given = site(tide={**TIDE, "mean_sea_level_m": 4.4}).tide  # type: ignore[attr-defined]
    assert given.sea_surface_m(1.5) == pytest.approx(-2.9) and given.sea_surface_m(7.0) == pytest.approx(2.6)
    assert given.sea_surface_m(None) == 0.0 and given.as_dict()["mean_sea_level_given"] is True
    # not given: half way between the mapped waterline and low water (7.0 and 1.0)
    guessed = site().tide  # type: ignore[attr-defined]
    assert guessed.mean_sea_level_m == 4.0 and guessed.as_dict()["mean_sea_level_given"] is False
    assert site(tide=None).sea_surface_m(1.0) == 0.0  # type: ignore[attr-defined]
    builtin = load_site("opal-coast")
    assert builtin.sea_surface_m(4.4) == pytest.approx(0.0) and builtin.sea_surface_m(1.0) < -3


def test_a_site_file_names_its_tide_table_relative_to_itself(tmp_path: Path) -> None:
    (tmp_path / "tides").mkdir()
    (tmp_path / "tides" / "dec.csv").write_text("2026-12-01T05:00Z,7.0\n2026-12-01T11:12Z,1.0\n")
    data = {
        "type": "FeatureCollection",
        "properties": {"tide": {**TIDE, "table": "tides/dec.csv"}},
        "features": [LINE, LAND, beach(400)],
    }
    (tmp_path / "s.geojson").write_text(json.dumps(data))
    s = load_site(tmp_path / "s.geojson")
    assert s.tide is not None and s.tide.table is not None and s.tide.table.height_m(T0) == 7.0
    data["properties"]["tide"]["table"] = "tides/missing.csv"
    (tmp_path / "s.geojson").write_text(json.dumps(data))
    with pytest.raises(SiteError, match="not found"):
        load_site(tmp_path / "s.geojson")
    # the live service goes on without it, and says why
    s, problem = load_site_and_tide_table(tmp_path / "s.geojson", None)
    assert s.tide is not None and s.tide.table is None and problem is not None and "not found" in problem
    # a table given on its own replaces the broken one
    s, problem = load_site_and_tide_table(tmp_path / "s.geojson", tmp_path / "tides" / "dec.csv")
    assert problem is None and s.tide is not None and s.tide.table is not None


def test_a_tide_table_given_on_its_own_needs_a_site_with_tide_settings(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text("2026-12-01T05:00Z,7.0\n2026-12-01T11:12Z,1.0\n")
    s = load_site("opal-coast", tide_table=csv)
    assert s.tide is not None and s.tide.table is not None and s.tide.waterline_height_m == 7.5
    assert s.tide.mean_sea_level_m == 4.4 and s.tide.mean_sea_level_given  # kept from the site file
    bare = tmp_path / "bare.geojson"
    bare.write_text(json.dumps({"type": "FeatureCollection", "features": [LINE, LAND]}))
    with pytest.raises(SiteError, match="has no tide settings"):
        load_site(bare, tide_table=csv)


def test_a_reported_height_beats_the_table_until_it_expires() -> None:
    now = [T0 + H / 2]
    tide = TideNow(TideSettings(7.0, 1.0, "d", TABLE), clock=lambda: now[0])
    assert tide.now() == (pytest.approx(4.0), "table")
    tide.observe(2.5, 600, "pilot-1")
    assert tide.now() == (2.5, "observed") and tide.height_m(123.0) == 2.5
    now[0] += 601
    assert tide.now()[1] == "table"  # expired
    tide.observe(2.5, 600, "pilot-1")
    tide.clear()
    assert tide.now()[1] == "table"
    now[0] = T0 + 10 * H  # past the table: unknown
    assert tide.now() == (None, "unknown")
    with pytest.raises(TideError, match="not a tide height"):
        tide.observe(40.0, 60, "x")
    with pytest.raises(TideError, match="no tide settings"):
        TideNow(None).observe(2.0, 60, "x")


def test_a_kept_report_is_read_back_only_while_valid_and_for_its_own_site(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keep = tmp_path / "tide_report.json"
    now = [T0]
    st = TideSettings(7.0, 1.0, "d")

    def tide(site_name: str = "flat") -> TideNow:
        return TideNow(st, clock=lambda: now[0], keep=keep, site_name=site_name)

    tide().observe(1.4, 3600, "pilot-1")
    now[0] += 1800
    assert tide().now() == (1.4, "observed") and tide().observed().by == "pilot-1"  # type: ignore[union-attr]
    assert tide("other").now() == (None, "unknown")  # a report for another site is not used
    now[0] += 1801
    assert tide().now() == (None, "unknown")  # expired while the service was down
    t = tide()
    t.observe(2.0, 600, "pilot-2")
    t.clear()
    assert not keep.exists() and tide().now()[1] == "unknown"
    keep.write_text("{not json")
    assert tide().now() == (None, "unknown") and "not read" in caplog.text
    keep.write_text('{"site": "flat", "height_m": "low"}')
    assert tide().now() == (None, "unknown") and "not understood" in caplog.text
    keep.write_text(
        json.dumps({"site": "flat", "height_m": 99, "at_s": T0, "until_s": now[0] + 60, "by": "x"})
    )
    assert tide().now() == (None, "unknown") and "not a tide height" in caplog.text
    # a state dir that cannot be written keeps the report in memory and says so
    blocked = TideNow(st, clock=lambda: now[0], keep=tmp_path / "missing" / "t.json", site_name="flat")
    blocked.observe(3.0, 600, "pilot-3")
    assert blocked.now() == (3.0, "observed") and "a restart will forget it" in caplog.text
