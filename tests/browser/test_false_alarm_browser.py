"""A patrol officer marks a moored boat a false alarm in the dashboard; the next alert for it (a
new track on the drone's next pass) is held back: not in the open list, no sound, shown with the
resolved ones and saying why; when the boat leaves its mooring a new alert appears, saying it was
released from the hold; and a verdict given by mistake is withdrawn from the alert's panel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shorewatch.geo import offset
from tests.browser.conftest import login
from tests.browser.live import LiveServer

MOORING = (50.8935, 1.6455)


def _boat(srv: LiveServer, event_id: str, at_m: float, revision: int = 1, **kw: Any) -> int:
    lat, lon = offset(*MOORING, 0.0, at_m)
    fields = {
        "event_id": event_id,
        "kind": "boat_at_sea",
        "severity": "warning",
        "position": {"lat": lat, "lon": lon},
        "position_error_m": 6.0,
        "speed_mps": 0.1,
        "revision": revision,
    }
    return int(srv.post_alert(**{**fields, **kw})["id"])


def test_a_false_alarm_holds_back_its_repeat_in_the_dashboard(page: Any, tmp_path: Path) -> None:
    with LiveServer(tmp_path / "state") as srv:
        first = _boat(srv, "drone-1:boat:1", 0.0)
        login(page, srv.url, srv.tokens["patrol"])
        page.click(f"#alert-list li[data-alert-id='{first}']")
        page.select_option("#resolve-reason", "false_alarm")
        page.click("button[data-act=resolve]")
        page.wait_for_selector(f"#alert-list li[data-alert-id='{first}']", state="detached")

        held = _boat(srv, "drone-1:boat:2", 10.0)
        other = _boat(srv, "drone-1:boat:3", 400.0)  # another boat, elsewhere: alerted as usual
        page.wait_for_selector(f"#alert-list li[data-alert-id='{other}']")
        assert page.query_selector(f"#alert-list li[data-alert-id='{held}']") is None
        page.check("#show-resolved")
        row = page.wait_for_selector(f"#alert-list li[data-alert-id='{held}']")
        assert "held" in row.inner_text()
        row.click()
        note = page.inner_text("[data-testid=detail-held]")
        assert f"repeats false alarm #{first}" in note, note
        assert "resolved (false_alarm)" in page.inner_text("[data-testid=detail-status]")

        page.uncheck("#show-resolved")
        released = _boat(srv, "drone-1:boat:2", 150.0, revision=2, speed_mps=2.5)
        page.click(f"#alert-list li[data-alert-id='{released}']")
        said = page.inner_text("[data-testid=detail-released]")
        assert f"held as #{held}" in said and "moved" in said, said

        # the officer thinks better of it: withdraws the verdict, and the next repeat is alerted
        page.check("#show-resolved")
        page.click(f"#alert-list li[data-alert-id='{first}']")
        page.click("[data-testid=withdraw-false-alarm]")
        page.wait_for_selector("[data-testid=withdraw-false-alarm]", state="detached")
        page.uncheck("#show-resolved")
        repeat = _boat(srv, "drone-1:boat:4", 5.0)
        page.wait_for_selector(f"#alert-list li[data-alert-id='{repeat}']")
