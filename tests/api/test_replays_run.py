"""Replays against the running app: a rendered clip (with ground truth and telemetry) through the
real tracking, georeferencing and event stages, alerts tagged with the replay and never pushed
live, the alert timeline, the annotated clip, the score and exam marks; a corrupt clip fails on
its own replay only.

The detector stage is the model-inference seam: these tests plug in an oracle that returns the
clip's ground-truth boxes (so the assertions do not depend on the weights); the test at the end
runs the shipped model when ``models/`` has one."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import supervision as sv
from websockets.sync.client import connect as ws_connect

from api.sources import Sidecar
from tests.browser.live import LiveServer, wait_for

CLIP_SECONDS = 4


def record(out: Path, scenario: str = "boat_at_sea", seconds: float = CLIP_SECONDS) -> Path:
    from flight.sim.render import record_clip
    from flight.sim.scenario import load_scenario

    record_clip(load_scenario(scenario), out, seconds=seconds, width_px=640, height_px=360)
    return out


class OracleDetector:
    """Returns the ground-truth boxes of each frame of one clip (by frame index)."""

    def __init__(self, truth: dict[int, Any]) -> None:
        self.truth = truth

    def detect(self, frame: Any) -> sv.Detections:
        objs = self.truth.get(frame.index, ())
        if not objs:
            return sv.Detections.empty()
        return sv.Detections(
            xyxy=np.array([o.xyxy for o in objs], dtype=float),
            confidence=np.full(len(objs), 0.9),
            class_id=np.array([o.class_id for o in objs], dtype=int),
        )


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("samples")
    clip = record(d / "boat_at_sea.mp4")
    data = bytearray(clip.read_bytes())
    data[len(data) // 3 : len(data) * 2 // 3] = bytes(len(data) * 2 // 3 - len(data) // 3)
    (d / "damaged.mp4").write_bytes(bytes(data))
    shutil.copy(d / "boat_at_sea.gt.json", d / "damaged.gt.json")
    return d


@pytest.fixture(scope="module")
def server(samples: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from detector.pipeline import DetectionPipeline
    from shorewatch.site import load_site

    truth = Sidecar.load(samples / "boat_at_sea.mp4").truth
    site = load_site()

    def configure(app: Any) -> None:
        app.state.sample_footage_dir = samples
        app.state.replay_pipeline_factory = lambda: DetectionPipeline(OracleDetector(truth), site)

    with LiveServer(tmp_path_factory.mktemp("state"), configure=configure) as s:
        yield s


def run_replay(c: Any, clip_id: str, **kw: Any) -> dict[str, Any]:
    r = c.post("/replays", json={"clip_id": clip_id, **kw})
    assert r.status_code == 201, r.text
    rid = r.json()["replay_id"]
    return wait_for(
        lambda: (x := c.get(f"/replays/{rid}").json())["status"] in ("done", "failed") and x,
        120,
        what=f"replay {rid} to finish",
    )


def test_clip_library_reads_sidecars(server: LiveServer) -> None:
    with server.client("trainer") as c:
        clips = {x["clip_id"]: x for x in c.get("/replays/clips").json()["data"]}
    clip = clips["sample-boat_at_sea"]
    assert clip["origin"] == "sample" and clip["frame_count"] == 10 * CLIP_SECONDS
    assert clip["has_ground_truth"] and clip["has_telemetry"]
    assert (clip["width_px"], clip["height_px"], clip["fps"]) == (640, 360, 10.0)


def test_replay_alerts_are_tagged_scored_and_never_live(server: LiveServer) -> None:
    ws_url = server.url.replace("http", "ws") + f"/ws/alerts?token={server.tokens['patrol']}"
    with ws_connect(ws_url, open_timeout=10) as live, server.client("trainer") as c:
        hello = json.loads(live.recv(timeout=10))
        rep = run_replay(c, "sample-boat_at_sea", stride=1)
        assert rep["status"] == "done", rep["error"]
        assert rep["progress"] == 1.0 and rep["frames_done"] == rep["frames_total"] == 10 * CLIP_SECONDS
        # the alert timeline: boats at sea, placed in the clip
        assert rep["alerts"], "the oracle's boats should raise boat_at_sea alerts"
        assert {a["kind"] for a in rep["alerts"]} <= {"boat_at_sea", "launch", "person_in_water", "gathering"}
        assert "boat_at_sea" in {a["kind"] for a in rep["alerts"]}
        assert all(0 <= a["clip_time_s"] <= CLIP_SECONDS for a in rep["alerts"])
        assert [a["clip_time_s"] for a in rep["alerts"]] == sorted(a["clip_time_s"] for a in rep["alerts"])
        # the score: the oracle finds every ground-truth boat, with no false alarm
        det = rep["score"]["detector"]
        assert det["total"] >= 1 and det["found"] == det["total"] and det["false_alarms"] == 0
        assert rep["ground_truth_spans"] and all(s["end_s"] > s["start_s"] for s in rep["ground_truth_spans"])
        # stored and tagged with the replay, not among the live alerts
        with server.client("patrol") as p:
            tagged = p.get("/alerts", params={"replay_id": rep["replay_id"]}).json()
            live_list = p.get("/alerts").json()
        assert {a["id"] for a in tagged["data"]} == {a["alert_id"] for a in rep["alerts"]}
        assert all(a["replay_id"] == rep["replay_id"] for a in tagged["data"])
        assert not {a["id"] for a in live_list["data"]} & {a["alert_id"] for a in rep["alerts"]}
        # the live push carried nothing: only heartbeats after the hello
        for _ in range(2):
            msg = json.loads(live.recv(timeout=10))
            assert msg["type"] == "heartbeat" and msg["seq"] == hello["seq"], msg
        # the annotated clip: a WebM with one frame per processed frame
        video = c.get(f"/replays/{rep['replay_id']}/video")
        assert video.status_code == 200 and video.content[:4] == b"\x1a\x45\xdf\xa3"
    path = server.settings.state_dir / "replays" / "check.webm"
    path.write_bytes(video.content)
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == 10 * CLIP_SECONDS


def test_exam_marks_are_scored_against_ground_truth(server: LiveServer, samples: Path) -> None:
    truth = Sidecar.load(samples / "boat_at_sea.mp4").truth
    boats: dict[int, tuple[int, tuple[float, ...]]] = {}
    for idx in sorted(truth):
        for o in truth[idx]:
            if o.class_name == "boat":
                boats.setdefault(o.object_id, (idx, o.xyxy))
    (first_idx, box), *_ = sorted(boats.values())
    with server.client("trainer") as c:
        rep = run_replay(c, "sample-boat_at_sea", exam=True, stride=2)
        assert rep["exam"] and rep["status"] == "done"
        marks = [
            {"t_s": first_idx / 10 + 0.5, "x_px": (box[0] + box[2]) / 2, "y_px": (box[1] + box[3]) / 2},
            {"t_s": 1.0, "x_px": 5.0, "y_px": 355.0},  # nothing there
        ]
        r = c.post(f"/replays/{rep['replay_id']}/marks", json={"marks": marks})
        assert r.status_code == 200, r.text
        score = r.json()["trainee_score"]
    assert score["trainee"]["found"] == 1 and score["trainee"]["false_marks"] == 1
    assert score["trainee"]["total"] == len(boats) == score["ground_truth_boats"]
    assert score["trainee"]["mean_delay_s"] == pytest.approx(0.5, abs=0.11)
    assert score["detector"]["found"] == len(boats)


def test_corrupt_clip_fails_its_replay_only(server: LiveServer) -> None:
    with server.client("trainer") as c:
        bad = run_replay(c, "sample-damaged")
        assert bad["status"] == "failed"
        assert "truncated or corrupt" in bad["error"]
        assert c.get(f"/replays/{bad['replay_id']}/video").status_code == 409
        good = run_replay(c, "sample-boat_at_sea", stride=4)
        assert good["status"] == "done" and good["alerts"]
        assert c.get("/health").status_code == 200


@pytest.mark.skipif(
    not any((Path(__file__).resolve().parents[2] / "models").glob("shorewatch-boats.*")),
    reason="no shipped model in models/ yet",
)
def test_replay_with_the_shipped_model(tmp_path: Path, samples: Path) -> None:
    with (
        LiveServer(
            tmp_path / "state", configure=lambda app: setattr(app.state, "sample_footage_dir", samples)
        ) as s,
        s.client("trainer") as c,
    ):
        rep = run_replay(c, "sample-boat_at_sea", stride=4)
    assert rep["status"] == "done", rep["error"]
    assert rep["score"]["detector"]["total"] >= 1
