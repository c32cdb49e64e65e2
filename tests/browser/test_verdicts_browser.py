"""The patrol view's verdict table: opened, it shows per beach and kind what the officers made of
the last day's alerts (``GET /reports/verdicts``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.conftest import login
from tests.browser.live import LiveServer


def test_the_patrol_sees_where_the_false_alarms_come_from(page: Any, tmp_path: Path) -> None:
    with LiveServer(tmp_path / "state") as srv:
        fields = {"kind": "boat_at_sea", "severity": "warning", "position_error_m": 10.0, "confidence": 0.7}
        ids = [
            srv.post_alert(
                **fields, position={"lat": 50.892 + 0.003 * i, "lon": 1.650}, details={"beach": "Wissant"}
            )["id"]
            for i in range(3)
        ]
        with srv.client("patrol") as c:
            for alert_id, reason in zip(ids[:2], ("false_alarm", "stopped"), strict=True):
                assert c.post(f"/alerts/{alert_id}/resolve", json={"reason": reason}).status_code == 200
        login(page, srv.url, srv.tokens["patrol"])
        page.click("[data-testid=verdicts] summary")
        row = page.wait_for_selector("#verdict-rows tr[data-beach='Wissant'][data-kind='boat_at_sea']")
        cells = [td.inner_text() for td in row.query_selector_all("td")]
        assert cells[:7] == ["Wissant", "Boat at sea", "3", "1 (50 %)", "1", "0", "1"], cells
        assert cells[8].endswith(" s") or cells[8].endswith(" min"), cells
