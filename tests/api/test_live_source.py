"""Live cameras: a file or stream URL read through OpenCV (issue 9, pointing at real cameras)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from api.live_source import CameraError, LiveVideoSource, is_live_url
from tests.e2e.helpers import free_port, wait_for


def _clip(path: Path, n: int = 12, size: tuple[int, int] = (320, 180)) -> Path:
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, size)
    for i in range(n):
        img = np.full((size[1], size[0], 3), 40, np.uint8)
        cv2.rectangle(img, (10 + 5 * i, 50), (40 + 5 * i, 70), (255, 255, 255), -1)
        w.write(img)
    w.release()
    return path


def test_a_file_url_yields_every_frame_with_intrinsics_for_its_size(tmp_path: Path) -> None:
    src = LiveVideoSource(str(_clip(tmp_path / "cam.mp4")), source_id="drone-9", hfov_deg=70.0, fps=200.0)
    frames = list(src.frames())
    assert len(frames) == 12
    assert [f.index for f in frames] == list(range(12))
    f = frames[0]
    assert f.image.shape == (180, 320, 3) and f.source_id == "drone-9"
    assert f.intrinsics is not None and f.intrinsics.width_px == 320
    assert f.intrinsics.hfov_deg == pytest.approx(70.0)
    assert frames[-1].timestamp_s >= frames[0].timestamp_s


def test_an_unreadable_file_is_refused_with_the_reason(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-video.mp4"
    bad.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(CameraError, match="cannot open camera"):
        list(LiveVideoSource(str(bad), source_id="d").frames())


def test_a_live_url_that_is_down_is_retried_until_closed() -> None:
    stop = threading.Event()
    src = LiveVideoSource(f"tcp://127.0.0.1:{free_port()}", source_id="d", max_backoff_s=0.2, stop=stop)
    got: list[object] = []
    t = threading.Thread(target=lambda: got.extend(src.frames()), daemon=True)
    t.start()
    wait_for(lambda: src.reconnects >= 2, 30, "two reconnect attempts")
    stop.set()
    t.join(10)
    assert not t.is_alive() and got == []


@pytest.mark.parametrize(
    ("url", "live"),
    [
        ("rtsp://10.0.0.2/stream", True),
        ("udp://@:5600", True),
        ("0", True),
        ("/data/clip.mp4", False),
        ("clip.mkv", False),
    ],
)
def test_live_urls_are_told_from_files(url: str, live: bool) -> None:
    assert is_live_url(url) is live


_ = time
