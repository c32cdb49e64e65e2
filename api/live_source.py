"""Live cameras: an RTSP / UDP / HTTP / device / file URL read with OpenCV's FFmpeg backend.

``LiveVideoSource`` yields ``Frame`` objects stamped with the wall-clock capture time (the same
clock ``flight.vehicle.Drone`` stamps telemetry with, so the stream runner can pair each frame
with the nearest telemetry sample). A live stream that fails to open or drops is reopened with
exponential backoff until closed; a file ends at its last frame. Frames come at most at ``fps``
(the newest frame is kept, the decoder's backlog is skipped).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import cv2
import numpy as np

from shorewatch.types import CameraIntrinsics, Frame

logger = logging.getLogger(__name__)


class CameraError(RuntimeError):
    """The camera URL could not be opened (and it is not a live stream to retry)."""


def is_live_url(url: str) -> bool:
    return (
        url.split(":", 1)[0].lower() in {"rtsp", "rtsps", "rtmp", "udp", "rtp", "srt", "http", "https", "tcp"}
        or url.isdigit()
    )


class LiveVideoSource:
    def __init__(
        self,
        url: str,
        *,
        source_id: str,
        hfov_deg: float = 84.0,
        intrinsics: CameraIntrinsics | None = None,
        fps: float = 10.0,
        max_backoff_s: float = 10.0,
        stop: threading.Event | None = None,
    ) -> None:
        if fps <= 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        self.url = url
        self.source_id = source_id
        self._hfov = hfov_deg
        self._intr = intrinsics
        self._period_s = 1.0 / fps
        self._max_backoff_s = max_backoff_s
        self._stop = stop or threading.Event()
        self.live = is_live_url(url)
        self.reconnects = 0
        self.index = 0

    def close(self) -> None:
        self._stop.set()

    def _open(self) -> cv2.VideoCapture:
        cap = cv2.VideoCapture(int(self.url) if self.url.isdigit() else self.url, cv2.CAP_FFMPEG)
        if self.live:
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        return cap

    def _intrinsics_for(self, w: int, h: int) -> CameraIntrinsics:
        if self._intr is None:
            self._intr = CameraIntrinsics.from_hfov(w, h, self._hfov)
        if (self._intr.width_px, self._intr.height_px) != (w, h):
            self._intr = self._intr.scaled(w, h)
        return self._intr

    def frames(self) -> Iterator[Frame]:
        backoff = 0.5
        while not self._stop.is_set():
            cap = self._open()
            if not cap.isOpened():
                cap.release()
                if not self.live:
                    raise CameraError(f"cannot open camera {self.url!r}: not a readable video file or device")
                logger.warning(
                    "camera %s: cannot open %s; retrying in %.1f s", self.source_id, self.url, backoff
                )
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
                self.reconnects += 1
                continue
            backoff = 0.5
            last_emit = 0.0
            try:
                while not self._stop.is_set():
                    ok, img = cap.read()
                    if not ok or img is None:
                        break
                    now = time.time()
                    if self.live and now - last_emit < self._period_s:
                        continue  # keep reading: the freshest frame wins
                    last_emit = now
                    if img.ndim == 2:
                        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
                    h, w = img.shape[:2]
                    yield Frame(
                        np.asarray(img, dtype=np.uint8),
                        now,
                        self.source_id,
                        self.index,
                        None,
                        self._intrinsics_for(w, h),
                    )
                    self.index += 1
                    if not self.live:
                        self._stop.wait(self._period_s)  # a file plays at the configured rate
            finally:
                cap.release()
            if not self.live:
                return
            logger.warning("camera %s: stream %s ended; reconnecting", self.source_id, self.url)
            self.reconnects += 1
