"""The pilot sees on the map which stretches of shoreline the cameras have shown recently and
finely enough to find a person, and which to fly again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api.routes.streams import stream_manager
from tests.browser.conftest import login, screenshots
from tests.browser.live import LiveServer
from tests.detector.test_coverage import _over


def test_pilot_sees_seen_coarse_and_unseen_stretches_on_the_map(page: Any, tmp_path: Path) -> None:
    with LiveServer(tmp_path / "state") as srv:
        cov = stream_manager(srv.app).coverage
        n = len(cov.stretches)
        # what two live frames would record: one low over stretch 20 (fine), one high over 60 (coarse)
        fine = set(cov.observe(_over(cov, 20, alt_m=25, pitch_deg=-90)))
        coarse = set(cov.observe(_over(cov, 60, alt_m=300, pitch_deg=-90))) - fine
        assert 20 in fine and 60 in coarse
        login(page, srv.url, srv.tokens["admin"])  # admin: the pilot and patrol views
        page.click("[data-testid=tab-pilot]")
        page.wait_for_selector("#map .coverage path.cov-fine", timeout=20_000)
        states = page.eval_on_selector_all(
            "#map .coverage path.cov", "ps => ps.map(p => [Number(p.dataset.index), p.dataset.state])"
        )
        assert len(states) == n
        by_index = dict(states)
        assert {i for i, s in by_index.items() if s == "fine"} == fine
        assert {i for i, s in by_index.items() if s == "coarse"} == coarse
        assert sum(1 for s in by_index.values() if s == "unseen") == n - len(fine) - len(coarse)
        tip = page.text_content("#map .coverage path[data-index='20'] title") or ""
        assert "seen" in tip and "cm/px" in tip and "a person" in tip
        tip = page.text_content("#map .coverage path[data-index='0'] title") or ""
        assert "not seen in the last 10 min" in tip
        summary = page.text_content("[data-testid=coverage-summary]") or ""
        runs = sum(1 for i in range(n) if i not in fine and (i == 0 or i - 1 in fine))
        assert runs == 2 and "% of" in summary and "2 gaps" in summary and "longest" in summary, summary
        # zoom in on the fine stretch (double-click zooms 2x about the pointer), as a pilot would
        for _ in range(5):
            b = page.locator("#map .coverage path[data-index='20']").bounding_box()
            page.mouse.dblclick(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)
        screenshots(page, "coverage")
        # the longest gap is listed with a button that plans a patrol over its first 2 km
        first = page.wait_for_selector("[data-testid=gap-list] li", timeout=10_000)
        a = float(first.get_attribute("data-from"))
        first.query_selector("button").click()
        assert page.input_value("#plan-from") == f"{a:.2f} km"
        assert page.input_value("#plan-to") == f"{a + 2:.2f} km"
        page.wait_for_function(
            "() => /waypoints/.test(document.getElementById('plan-info').textContent)", timeout=20_000
        )
        assert page.eval_on_selector_all("#map .routes polyline", "ls => ls.length") >= 1
        # the layer can be hidden, and it is not drawn over the patrol view
        page.uncheck("#show-coverage")
        assert page.eval_on_selector_all("#map .coverage path", "ps => ps.length") == 0
        page.check("#show-coverage")
        page.wait_for_selector("#map .coverage path.cov-fine", timeout=20_000)
        page.click("[data-testid=tab-patrol]")
        assert page.eval_on_selector("#map .coverage", "g => getComputedStyle(g).display") == "none"
