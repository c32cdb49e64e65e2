"""The pilot sees each camera stream's frame counts, drops and latency on the dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api.test_streams import _clip, _site_with_camera
from tests.browser.conftest import login
from tests.browser.live import LiveServer


def test_pilot_sees_camera_stream_stats(page: Any, tmp_path: Path) -> None:
    site = _site_with_camera(tmp_path, str(_clip(tmp_path / "cam.mp4")))
    with LiveServer(tmp_path / "state", site=str(site)) as srv:
        login(page, srv.url, srv.tokens["pilot"])
        page.click("[data-testid=tab-pilot]")
        li = page.wait_for_selector("#stream-list li[data-stream-id='cam-1-camera']", timeout=60_000)
        page.wait_for_function(
            "() => /30 frames/.test(document.querySelector(\"#stream-list li[data-stream-id='cam-1-camera'] .frames\")?.textContent || '')",
            timeout=90_000,
        )
        text = li.inner_text()
        assert "detected" in text and "dropped" in text and "latency" in text
