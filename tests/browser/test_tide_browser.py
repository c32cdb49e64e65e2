"""A pilot reports the tide; the pilot and the patrols see the water's edge it leaves on the map,
and what the alerts are measured from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.conftest import login, screenshots
from tests.browser.live import LiveServer


def test_a_reported_low_tide_draws_the_water_edge_for_pilots_and_patrols(page: Any, tmp_path: Path) -> None:
    with LiveServer(tmp_path / "state") as srv:
        login(page, srv.url, srv.tokens["pilot"])
        page.wait_for_function(
            "() => /Tide unknown/.test(document.querySelector('[data-testid=tide]').textContent)",
            timeout=20_000,
        )
        assert page.eval_on_selector_all("#map .tide path", "ps => ps.length") == 0
        page.fill("#tide-height", "99")  # refused by the browser's own range check: nothing sent
        page.click("#tide-report")
        assert "Tide unknown" in (page.text_content("[data-testid=tide]") or "")
        page.fill("#tide-height", "1.0")
        page.select_option("#tide-valid", "360")
        page.click("#tide-report")
        page.wait_for_selector("#map .tide path.tide-edge", timeout=20_000)
        badge = page.text_content("[data-testid=tide]") or ""
        assert "Tide 1.0 m" in badge and "reported by demo-pilot" in badge, badge
        assert "m beyond the mapped waterline" in badge
        title = page.get_attribute("[data-testid=tide]", "title") or ""
        assert "now -3.4 m against mean sea level" in title, (
            title
        )  # 1.0 m above the datum, 4.4 below the mean
        screenshots(page, "tide")
        # a patrol officer sees the same edge, and no form to change it
        page.click("#logout")
        login(page, srv.url, srv.tokens["patrol"])
        page.wait_for_selector("#map .tide path.tide-edge", timeout=20_000)
        assert page.is_hidden("#tide-form")
        assert "Tide 1.0 m" in (page.text_content("[data-testid=tide]") or "")
        # cleared by the pilot: back to the mapped waterline
        page.click("#logout")
        login(page, srv.url, srv.tokens["pilot"])
        page.wait_for_selector("#map .tide path.tide-edge", timeout=20_000)
        page.click("#tide-clear")
        page.wait_for_function(
            "() => document.querySelectorAll('#map .tide path').length === 0", timeout=20_000
        )
        assert "Tide unknown" in (page.text_content("[data-testid=tide]") or "")
