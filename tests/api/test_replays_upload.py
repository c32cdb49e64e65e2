"""Clip uploads against the running app: good clips land in the library; oversize, not-a-video,
truncated and corrupt ones get a clear 4xx and leave nothing behind."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.browser.live import LiveServer


def make_clip(
    path: Path, n: int = 30, w: int = 160, h: int = 96, fourcc: str = "mp4v", fps: float = 10.0
) -> bytes:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    assert writer.isOpened()
    rng = np.random.default_rng(0)
    for i in range(n):
        img = np.full((h, w, 3), (i * 8) % 255, np.uint8)
        cv2.rectangle(img, (i * 4, 20), (i * 4 + 20, 40), (0, 0, 255), -1)
        img[60:] = rng.integers(0, 255, (h - 60, w, 3), dtype=np.uint8)
        writer.write(img)
    writer.release()
    return path.read_bytes()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    d = tmp_path_factory.mktemp("clips")
    good = make_clip(d / "good.mp4")
    webm = make_clip(d / "good.webm", fourcc="VP80")
    corrupt = bytearray(good)
    corrupt[len(good) // 4 : len(good) * 3 // 4] = bytes(len(good) // 2)
    return {
        "good": good,
        "webm": webm,
        "truncated": good[: len(good) // 2],
        "truncated_webm": webm[: len(webm) // 2],
        "corrupt": bytes(corrupt),
        "junk": os.urandom(5000),
        "empty": b"",
        "big": good + os.urandom(1024 * 1024 + 10),  # over the 1 MB limit below
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    samples = tmp_path_factory.mktemp("samples")
    with LiveServer(
        tmp_path_factory.mktemp("state"),
        max_upload_mb=1,
        configure=lambda app: setattr(app.state, "sample_footage_dir", samples),
    ) as s:
        yield s


def leftovers(server: LiveServer) -> list[str]:
    return sorted(p.name for p in (server.settings.state_dir / "replays" / "uploads").iterdir())


@pytest.mark.parametrize(
    ("clip", "name", "ctype", "status", "says"),
    [
        ("big", "big.mp4", "video/mp4", 413, "too large"),
        ("junk", "junk.mp4", "video/mp4", 422, "not a video"),
        ("truncated", "cut.mp4", "video/mp4", 422, "not a video"),
        ("truncated_webm", "cut.webm", "video/webm", 422, "truncated"),
        # OpenCV 5.1 refuses it when opening the file, 5.0 only while decoding: a reason either way
        ("corrupt", "broken.mp4", "video/mp4", 422, "truncated or corrupt|not a video"),
        ("empty", "empty.mp4", "video/mp4", 422, "empty"),
        ("good", "notes.txt", "video/mp4", 415, "not a video file name"),
        ("good", "clip.mp4", "text/plain", 415, "not a video"),
    ],
)
def test_bad_upload_is_refused_and_leaves_nothing(
    server: LiveServer, clips: dict[str, bytes], clip: str, name: str, ctype: str, status: int, says: str
) -> None:
    with server.client("trainer") as c:
        before = c.get("/replays/clips").json()["count"]
        r = c.post(
            "/replays/clips", params={"name": name}, content=clips[clip], headers={"Content-Type": ctype}
        )
        assert r.status_code == status, r.text
        assert re.search(says, r.json()["detail"]), r.json()["detail"]
        assert c.get("/replays/clips").json()["count"] == before
    assert leftovers(server) == []


def test_oversize_upload_streamed_without_length_is_refused(
    server: LiveServer, clips: dict[str, bytes]
) -> None:
    def body() -> Iterator[bytes]:  # chunked: no Content-Length to refuse up front
        data = clips["big"]
        for i in range(0, len(data), 64 * 1024):
            yield data[i : i + 64 * 1024]

    with server.client("trainer") as c:
        r = c.post(
            "/replays/clips",
            params={"name": "stream.mp4"},
            content=body(),
            headers={"Content-Type": "video/mp4"},
        )
    assert r.status_code == 413, r.text
    assert leftovers(server) == []


@pytest.mark.parametrize(
    ("clip", "name", "multipart"), [("good", "Wissant dawn.mp4", False), ("webm", "w.webm", True)]
)
def test_good_upload_is_listed_and_playable(
    server: LiveServer, clips: dict[str, bytes], clip: str, name: str, multipart: bool
) -> None:
    with server.client("trainer") as c:
        if multipart:
            r = c.post("/replays/clips", files={"file": (name, clips[clip], "video/webm")})
        else:
            r = c.post(
                "/replays/clips",
                params={"name": name},
                content=clips[clip],
                headers={"Content-Type": "video/mp4"},
            )
        assert r.status_code == 201, r.text
        info = r.json()
        assert (info["origin"], info["frame_count"], info["width_px"], info["height_px"]) == (
            "upload",
            30,
            160,
            96,
        )
        assert info["duration_s"] == pytest.approx(3.0)
        assert info["has_ground_truth"] is False
        listed = {x["clip_id"]: x for x in c.get("/replays/clips").json()["data"]}
        assert listed[info["clip_id"]]["name"] == name.replace(" ", "_")
        video = c.get(f"/replays/clips/{info['clip_id']}/video")
        assert video.status_code == 200 and video.headers["content-type"] == "video/webm"
        assert video.content[:4] == b"\x1a\x45\xdf\xa3"  # EBML magic: a WebM the browser can play
        assert c.delete(f"/replays/clips/{info['clip_id']}").status_code == 204
        assert info["clip_id"] not in {x["clip_id"] for x in c.get("/replays/clips").json()["data"]}


@pytest.mark.parametrize(
    ("role", "status"), [(None, 401), ("patrol", 403), ("pilot", 403), ("trainer", 200), ("admin", 200)]
)
def test_clip_library_roles(server: LiveServer, role: str | None, status: int) -> None:
    with server.client(role) as c:
        assert c.get("/replays/clips").status_code == status


def test_unknown_clip_and_replay_are_404(server: LiveServer) -> None:
    with server.client("trainer") as c:
        r = c.post("/replays", json={"clip_id": "nope"})
        assert r.status_code == 404 and "no clip" in r.json()["detail"]
        assert c.get("/replays/replay-123").status_code == 404
        assert c.post("/replays", json={"clip_id": "x", "stride": 0}).status_code == 422
        assert c.post("/replays/replay-1/marks", json={"marks": [{"t_s": -1}]}).status_code == 422
