"""The dashboard in a real browser against a real server: patrol, pilot and trainer flows.
Each flow also saves its view at phone and laptop widths into docs/screenshots/."""

from __future__ import annotations

import base64
import math
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from shorewatch.site import DroneConfig, load_site
from tests.browser.conftest import login, screenshots
from tests.browser.live import LiveServer, free_port

pytestmark = pytest.mark.browser


def snapshot_b64() -> str:
    img = np.full((180, 320, 3), (120, 90, 40), np.uint8)
    cv2.rectangle(img, (140, 80), (190, 100), (40, 40, 200), -1)
    ok, buf = cv2.imencode(".jpg", img)
    assert ok
    return base64.b64encode(buf.tobytes()).decode()


@pytest.fixture(scope="module")
def fleet() -> Iterator[Any]:
    from flight.sim.sitl import SimFleet

    with SimFleet(instances=1, speedup=30.0, base_port=free_port(), site=load_site()) as f:
        yield f


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from flight.sim.render import record_clip
    from flight.sim.scenario import load_scenario

    d = tmp_path_factory.mktemp("samples")
    record_clip(load_scenario("boat_at_sea"), d / "boat_at_sea.mp4", seconds=4, width_px=640, height_px=360)
    return d


@pytest.fixture(scope="module")
def server(fleet: Any, samples: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from api.sources import Sidecar
    from detector.pipeline import DetectionPipeline
    from tests.api.test_replays_run import OracleDetector

    truth = Sidecar.load(samples / "boat_at_sea.mp4").truth
    site = load_site()

    def configure(app: Any) -> None:
        app.state.mission_drones = [DroneConfig(id="drone-1", connection=c) for c in fleet.connection_strings]
        app.state.sample_footage_dir = samples
        app.state.replay_pipeline_factory = lambda: DetectionPipeline(OracleDetector(truth), site)

    with LiveServer(tmp_path_factory.mktemp("state"), configure=configure) as s:
        yield s


def test_login_rejects_a_bad_token_and_shows_views_by_role(page: Any, server: LiveServer) -> None:
    page.goto(server.url + "/")
    screenshots(page, "login")
    page.fill("#token", "sw_not-a-token")
    page.click("#login-btn")
    page.wait_for_selector("#login-error:has-text('Unknown or expired token')")
    login(page, server.url, server.tokens["trainer"])
    assert page.is_visible("[data-testid=tab-trainer]")
    assert not page.is_visible("[data-testid=tab-patrol]") and not page.is_visible("[data-testid=tab-pilot]")
    page.click("#logout")
    page.wait_for_selector("#view-login:not([hidden])")


def test_patrol_sees_a_live_alert_opens_snapshot_acknowledges_and_resolves(
    page: Any, server: LiveServer
) -> None:
    login(page, server.url, server.tokens["patrol"])
    page.wait_for_selector("#conn.up")  # the alert WebSocket is open
    page.wait_for_selector(".site-land")  # the map is drawn from the site GeoJSON
    alert_id = server.post_alert(
        position={"lat": 50.8735, "lon": 1.6055},
        position_error_m=12.0,
        confidence=0.88,
        people_count=38,
        snapshot_jpeg_b64=snapshot_b64(),
    )["id"]
    item = page.wait_for_selector(f"#alert-list li[data-alert-id='{alert_id}']")
    assert "Boat launch" in item.inner_text() and "38 people" in item.inner_text()
    page.wait_for_selector(f".alert-marker[data-alert-id='{alert_id}']")
    page.wait_for_function("window.__shorewatchBeeps >= 1")  # the critical alert sounded
    page.click(f".alert-marker[data-alert-id='{alert_id}'] .dot")  # open it from the map
    page.wait_for_selector("[data-testid=alert-detail]:not([hidden])")
    page.wait_for_function(
        "(() => { const i = document.querySelector('[data-testid=snapshot]'); return i && i.complete && i.naturalWidth === 320; })()"
    )
    screenshots(page, "patrol")
    page.click("[data-testid=alert-detail] button[data-act=acknowledge]")
    page.wait_for_selector("[data-testid=detail-status]:has-text('acknowledged')")
    page.select_option("#resolve-reason", "false_alarm")
    page.click("[data-testid=alert-detail] button[data-act=resolve]")
    page.wait_for_selector("[data-testid=detail-status]:has-text('resolved (false_alarm)')")
    with server.client("patrol") as c:
        a = c.get(f"/alerts/{alert_id}").json()
    assert a["status"] == "resolved" and a["resolution"] == "false_alarm"


def test_pilot_plans_launches_and_sees_the_drone_move(page: Any, server: LiveServer) -> None:
    login(page, server.url, server.tokens["pilot"])
    page.wait_for_selector("#drone-list li[data-drone-id='drone-1'] .link-ok")
    marker = page.wait_for_selector(".drone-marker[data-drone-id='drone-1']")
    lat0, lon0 = float(marker.get_attribute("data-lat")), float(marker.get_attribute("data-lon"))
    page.select_option("#plan-from", "Sangatte")
    page.select_option("#plan-to", "Escalles (Cap Blanc-Nez)")
    page.fill("#plan-alt", "40")
    page.click("[data-testid=plan-preview]")
    page.wait_for_selector("polyline.route[data-drone-id='drone-1']")
    assert "drone-1" in page.inner_text("#plan-info")
    # how long each stretch will go unseen when the patrol is flown again and again
    said = page.inner_text("[data-testid=plan-revisit]")
    assert re.search(r"each stretch seen again within \d+ min \(worst at km [\d.]+\)", said), said
    assert "5 min battery swaps" in said
    page.click("[data-testid=plan-launch]")
    page.wait_for_selector("#mission-list li[data-status='flying']", timeout=90_000)

    def moved() -> bool:
        m = page.query_selector(".drone-marker[data-drone-id='drone-1']")
        lat, lon = float(m.get_attribute("data-lat")), float(m.get_attribute("data-lon"))
        return math.dist((lat, lon), (lat0, lon0)) > 0.002

    deadline = time.monotonic() + 90
    while not moved():
        assert time.monotonic() < deadline, "the drone did not move on the map"
        page.wait_for_timeout(200)
    page.click("#drone-list li[data-drone-id='drone-1']")  # centre the map on the drone
    screenshots(page, "pilot")
    page.click("#mission-list li[data-status='flying'] button[data-act=recall]")
    page.wait_for_selector("#mission-list li[data-status='returning']")


def test_pilot_orbits_an_alert_with_a_drone_then_it_goes_back_to_its_patrol(
    page: Any, server: LiveServer
) -> None:
    from tests.browser.live import wait_for

    def tel(c: Any) -> dict:
        return {d["id"]: d for d in c.get("/drones").json()["data"]}["drone-1"]["telemetry"] or {}

    with server.client("pilot") as c:
        wait_for(lambda: tel(c) and not tel(c)["armed"], 180, what="drone-1 on the ground")

    def alert(kind: str, severity: str, lat: float, lon: float) -> int:
        position = {"lat": lat, "lon": lon}
        return int(server.post_alert(kind=kind, severity=severity, position=position, confidence=0.8)["id"])

    aid = alert("boat_at_sea", "warning", 50.9350, 1.7450)
    login(page, server.url, server.tokens["pilot"])
    li = page.wait_for_selector(f"#look-list li[data-alert-id='{aid}']", timeout=20_000)
    assert "Boat at sea" in li.inner_text()
    # a new alert reaches the pilot's list through the live feed (the list polls only every 15 s)
    aid2 = alert("person_in_water", "critical", 50.9310, 1.7400)
    page.wait_for_selector(f"#look-list li[data-alert-id='{aid2}']", timeout=5_000)
    page.click(f"#look-list li[data-alert-id='{aid}'] button")  # nobody flying: refused with the reason
    page.wait_for_selector("#toast:has-text('no drone is airborne')")
    with server.client("pilot") as c:
        plan = c.post(
            "/missions/plan", json={"start": "Sangatte", "end": "Escalles (Cap Blanc-Nez)", "alt_m": 40}
        ).json()
        mid = c.post("/missions", json={"plan_id": plan["plan_id"]}).json()["id"]
        wait_for(
            lambda: c.get(f"/missions/{mid}").json()["status"] == "flying" and tel(c).get("mode") == "AUTO",
            120,
            what="drone-1 on its patrol in AUTO",
        )
    page.click(f"#look-list li[data-alert-id='{aid}'] button")
    page.wait_for_selector(f"#drone-list li[data-drone-id='drone-1'] .investigating:has-text('alert #{aid}')")
    page.wait_for_selector(f"#toast:has-text('orbiting alert #{aid}')")
    with server.client("pilot") as c:
        wait_for(lambda: tel(c)["mode"] == "GUIDED", 60, what="GUIDED for the orbit")
    page.wait_for_selector(
        "#drone-list li[data-drone-id='drone-1'] .investigating", state="detached", timeout=120_000
    )
    with server.client("pilot") as c:
        wait_for(lambda: tel(c)["mode"] == "AUTO", 60, what="AUTO: back on the patrol")
        notes = c.get(f"/missions/{mid}").json()["notes"]
        assert any(f"orbiting alert #{aid}" in n for n in notes) and any("patrol resumed" in n for n in notes)
        c.post(f"/missions/{mid}/recall")


def test_trainer_replays_a_clip_and_sees_its_alerts_on_the_timeline(page: Any, server: LiveServer) -> None:
    login(page, server.url, server.tokens["trainer"])
    page.click("#clip-list li[data-clip-id='sample-boat_at_sea'] button[data-mode=replay]")
    page.wait_for_selector("#replay-status[data-status='done']", timeout=90_000)
    ticks = page.wait_for_selector("#timeline .tick[data-alert-id]")
    assert ticks is not None
    page.wait_for_selector("[data-testid=score-table]")
    assert "boat_at_sea" not in page.inner_text("#replay-alerts")  # labels are human-readable
    assert "Boat at sea" in page.inner_text("#replay-alerts")
    page.wait_for_function("document.querySelector('#player').readyState >= 2")  # the annotated WebM plays
    page.click("#replay-alerts li >> nth=0")
    page.wait_for_function("document.querySelector('#player').currentTime > 0")
    screenshots(page, "trainer")


def test_trainer_exam_marks_are_scored_beside_the_detector(page: Any, server: LiveServer) -> None:
    login(page, server.url, server.tokens["trainer"])
    page.click("#clip-list li[data-clip-id='sample-boat_at_sea'] button[data-mode=exam]")
    page.wait_for_selector("#exam-bar:not([hidden])")
    page.wait_for_function("document.querySelector('#player').readyState >= 2")  # the clean clip plays
    assert page.query_selector_all("#timeline .tick[data-alert-id]") == []  # no answers before marking
    layer = page.query_selector("#exam-layer").bounding_box()
    page.mouse.click(layer["x"] + layer["width"] * 0.5, layer["y"] + layer["height"] * 0.5)
    page.mouse.click(layer["x"] + 5, layer["y"] + layer["height"] - 5)
    page.wait_for_selector("#exam-count:has-text('2 marks')")
    page.wait_for_selector("#replay-status[data-status='done']", timeout=90_000)
    page.click("#exam-submit")
    table = page.wait_for_selector("[data-testid=score-table]:has-text('Trainee')")
    assert "Detector" in table.inner_text()
    page.wait_for_selector("#timeline .tick[data-alert-id]")  # revealed once marked
