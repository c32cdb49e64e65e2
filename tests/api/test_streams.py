"""`shorewatch serve` pointed at a real camera URL: the site's drone camera is streamed through
the detector at start-up, its stats show at /streams and /metrics, and a drone whose MAVLink
link is down never takes the service down (issue 9)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from shorewatch.site import BUILTIN_SITES
from tests.browser.live import LiveServer, wait_for
from tests.e2e.helpers import free_port

SITE_SRC = Path(__file__).resolve().parents[2] / "shorewatch" / "sites" / BUILTIN_SITES["opal-coast"]


def _clip(path: Path, n: int = 30) -> Path:
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (640, 360))
    rng = np.random.default_rng(0)
    for i in range(n):
        img = (rng.normal(110, 8, (360, 640, 3))).clip(0, 255).astype(np.uint8)
        cv2.rectangle(img, (100 + 3 * i, 200), (160 + 3 * i, 220), (30, 30, 30), -1)
        w.write(img)
    w.release()
    return path


def _site_with_camera(tmp: Path, source: str) -> Path:
    doc = json.loads(SITE_SRC.read_text())
    doc["properties"]["drones"] = [
        {
            "id": "cam-1",
            "connection": f"tcp:127.0.0.1:{free_port()}",  # nothing listens: the link stays down
            "camera": {"source": source, "width_px": 640, "height_px": 360, "hfov_deg": 80.0, "fps": 20},
        }
    ]
    p = tmp / "site.geojson"
    p.write_text(json.dumps(doc))
    return p


def test_a_site_camera_url_is_streamed_through_the_detector(tmp_path: Path) -> None:
    site = _site_with_camera(tmp_path, str(_clip(tmp_path / "cam.mp4")))
    with LiveServer(tmp_path / "state", site=str(site)) as srv:
        with srv.client("pilot") as c:

            def finished() -> dict | None:
                data = c.get("/streams").json()["data"]
                return data[0] if data and data[0]["finished"] else None

            s = wait_for(finished, 120.0, what="the camera stream to play the file")
            assert s["stream_id"] == "cam-1-camera" and s["kind"] == "live" and s["drone_id"] == "cam-1"
            assert s["frames_captured"] == 30
            assert s["frames_processed"] >= 1
            assert s["frames_processed"] + s["frames_dropped"] == 30
            assert s["error"] is None and s["detector_errors"] == 0
            assert c.get("/health").status_code == 200  # the dead MAVLink link did not take it down
        with srv.client("admin") as c:
            text = c.get("/metrics").text
        assert 'shorewatch_stream_frames_total{outcome="captured",stream="cam-1-camera"} 30.0' in text
        assert "shorewatch_stream_latency_ms" in text
        with srv.client("patrol") as c:
            assert c.get("/streams").status_code == 200
        with srv.client(None) as c:
            assert c.get("/streams").status_code == 401


def test_a_camera_that_cannot_be_opened_fails_its_stream_only(tmp_path: Path) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video" * 50)
    with (
        LiveServer(tmp_path / "state", site=str(_site_with_camera(tmp_path, str(bad)))) as srv,
        srv.client("pilot") as c,
    ):
        s = wait_for(
            lambda: (d := c.get("/streams").json()["data"]) and d[0]["finished"] and d[0],
            60.0,
            what="the stream to fail",
        )
        assert "cannot open camera" in s["error"]
        assert c.get("/health").status_code == 200
        assert c.get("/drones").status_code == 200


def test_a_missing_detector_model_fails_the_stream_not_the_service(tmp_path: Path) -> None:
    site = _site_with_camera(tmp_path, str(_clip(tmp_path / "cam.mp4")))
    with (
        LiveServer(tmp_path / "state", site=str(site), model=tmp_path / "no-such-model.onnx") as srv,
        srv.client("pilot") as c,
    ):
        s = c.get("/streams").json()["data"][0]
        assert s["finished"] and "detector unavailable" in s["error"] and "no-such-model.onnx" in s["error"]
        assert c.get("/health").status_code == 200
