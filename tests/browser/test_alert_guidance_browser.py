"""The patrol officer opening an alert sees which patrol units are nearest (and the assign list
ordered so), and, for a boat under way, where it will be in 5, 10 and 15 minutes if it holds
course and speed, dashed on the map."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest

from shorewatch.geo import bearing_deg, distance_m, offset
from shorewatch.site import load_site
from tests.browser.conftest import login, screenshots
from tests.browser.live import LiveServer

LAT, LON = 50.905, 1.640  # about 1.6 km off Wissant


def _post(srv: LiveServer, **kw: Any) -> int:
    fields = {"kind": "boat_at_sea", "severity": "warning", "position": {"lat": LAT, "lon": LON}}
    return int(srv.post_alert(**{**fields, "position_error_m": 20.0, "confidence": 0.8, **kw})["id"])


def test_an_alert_shows_the_nearest_units_and_where_a_boat_under_way_will_be(
    page: Any, tmp_path: Path
) -> None:
    units = sorted(load_site().patrol_units, key=lambda u: distance_m(LAT, LON, u.lat_deg, u.lon_deg))
    with LiveServer(tmp_path / "state") as srv:
        ellipse = {"error_along_m": "40", "error_across_m": "6", "line_of_sight_deg": "300", "length_m": "11"}
        moving = _post(srv, heading_deg=300.0, speed_mps=3.0, details=ellipse)
        still = _post(srv, kind="launch", severity="critical", position={"lat": 50.8875, "lon": 1.6605})
        login(page, srv.url, srv.tokens["patrol"])
        page.click(f"#alert-list li[data-alert-id='{moving}']")
        page.wait_for_selector("[data-testid=detail-units]")
        text = page.inner_text("[data-testid=detail-units]")
        names = [u.name for u in units]
        shown = [n for n in re.findall(r"^(\w[\w' -]*?) [\d.]+ km", text, re.M)]
        assert shown == names[:3], text
        km = [float(x) for x in re.findall(r" ([\d.]+) km", text)]
        assert km == [round(distance_m(LAT, LON, u.lat_deg, u.lon_deg) / 1000, 1) for u in units[:3]]
        # the compass direction from the nearest unit to the boat
        b = bearing_deg(units[0].lat_deg, units[0].lon_deg, LAT, LON)
        assert f"km {['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'][round(b / 45) % 8]}" in text
        assert page.input_value("#assign-unit") == names[0]  # assigning goes to the nearest by default
        ahead = page.inner_text("[data-testid=detail-ahead]")
        rows = re.findall(r"in (\d+) min ([\d.]+), ([\d.]+) ± (\d+) m", ahead)
        assert [int(m) for m, *_ in rows] == [5, 10, 15]
        for m, lat, lon, err in rows:
            run = 3.0 * int(m) * 60
            want = offset(LAT, LON, 300.0, run)
            assert distance_m(float(lat), float(lon), *want) < 15, (m, lat, lon, want)
            assert int(err) == round(20 + 0.3 * run)
        assert page.eval_on_selector_all("#map .projection polyline.dead-reckoning", "ls => ls.length") == 1
        # the error ellipse: 40 m along the drone's line of sight (bearing 300 deg), 6 m across
        said = page.inner_text("[data-testid=detail-ellipse]")
        assert "± 40 m along the drone's line of sight (300°), ± 6 m across" in said, said
        assert "a boat about 11 m long" in page.inner_text("[data-testid=detail-length]")
        pts = page.get_attribute("#map polygon.uncertainty", "points") or ""
        xy = [tuple(float(v) for v in p.split(",")) for p in pts.split()]
        cx, cy = sum(x for x, _ in xy) / len(xy), sum(y for _, y in xy) / len(xy)
        far = max(xy, key=lambda p: math.hypot(p[0] - cx, p[1] - cy))
        near = min(xy, key=lambda p: math.hypot(p[0] - cx, p[1] - cy))
        assert math.hypot(far[0] - cx, far[1] - cy) == pytest.approx(40, rel=0.02)  # map units are metres
        assert math.hypot(near[0] - cx, near[1] - cy) == pytest.approx(6, rel=0.05)
        axis = math.degrees(math.atan2(far[0] - cx, cy - far[1])) % 180  # y points south
        assert axis == pytest.approx(120, abs=2)  # 300 deg, the same axis
        screenshots(page, "alert-guidance")
        # a launch on the beach (no speed): units, but nothing dead-reckoned
        page.click(f"#alert-list li[data-alert-id='{still}']")
        page.wait_for_selector("[data-testid=detail-units]")
        assert page.query_selector("[data-testid=detail-ahead]") is None
        assert page.eval_on_selector_all("#map .projection polyline", "ls => ls.length") == 0
        assert page.query_selector("#map polygon.uncertainty") is None  # no ellipse given: none drawn
        assert page.query_selector("[data-testid=detail-length]") is None  # nor a size


def test_a_person_in_the_water_shows_where_the_drift_carries_them(page: Any, tmp_path: Path) -> None:
    """Search planning: a person drifting 0.4 m/s towards 60 deg (a flood tide off Gris-Nez) is
    shown 15, 30 and 60 minutes on, with an uncertainty that grows by half the distance; a boat
    that slow is not dead-reckoned."""
    with LiveServer(tmp_path / "state") as srv:
        piw = _post(srv, kind="person_in_water", severity="critical", heading_deg=60.0, speed_mps=0.4)
        slow = _post(srv, heading_deg=60.0, speed_mps=0.4)
        login(page, srv.url, srv.tokens["patrol"])
        page.click(f"#alert-list li[data-alert-id='{piw}']")
        page.wait_for_selector("[data-testid=detail-ahead]")
        said = page.inner_text("[data-testid=detail-ahead]")
        rows = re.findall(r"in (\d+) min ([\d.]+), ([\d.]+) ± (\d+) m", said)
        assert [int(m) for m, *_ in rows] == [15, 30, 60], said
        for m, lat, lon, err in rows:
            run = 0.4 * int(m) * 60
            assert distance_m(float(lat), float(lon), *offset(LAT, LON, 60.0, run)) < 15
            assert int(err) == round(20 + 0.5 * run)
        assert "drift seen (0.4 m/s towards 60°)" in said
        assert "Drift" in page.inner_text("#alert-detail dl")
        page.click(f"#alert-list li[data-alert-id='{slow}']")
        page.wait_for_selector("[data-testid=detail-units]")
        assert page.query_selector("[data-testid=detail-ahead]") is None
