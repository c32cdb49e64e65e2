"""The simulated world, its camera and its scenarios (issue 5)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flight.sim.camera import Look, SimCamera
from flight.sim.render import ScriptedFlight, record_clip
from flight.sim.scenario import Scenario, ScenarioError, builtin_scenarios, load_scenario
from flight.sim.world import World, WorldError, WorldObject
from shorewatch.camera import CameraPose, pixels_to_ground, project
from shorewatch.site import load_site
from shorewatch.types import CameraIntrinsics, Telemetry

SITE = load_site(None)
SMALL = CameraIntrinsics.from_hfov(320, 180, 84.0)
# a plain look: no noise, no blur, no glint, no haze, no clouds, flat sea colour
PLAIN = Look(noise_sigma=0.0, glint=0.0, haze_km=1e6, clouds=0.0, shadows=1.0, sea_state=0.0)


def _tel(
    world: World, east: float, north: float, alt: float, yaw: float, pitch: float, t: float = 0.0
) -> Telemetry:
    lat, lon = world.site.frame.to_geo(east, north)
    return Telemetry(
        timestamp_s=t, lat_deg=lat, lon_deg=lon, alt_m=alt, heading_deg=yaw, gimbal_pitch_deg=pitch
    )


@pytest.fixture(scope="module")
def empty_world() -> World:
    return World(SITE, Scenario(name="empty"), seed=0)


def test_builtin_scenarios_load() -> None:
    names = builtin_scenarios()
    assert {"dawn_launch_wissant", "boat_at_sea", "empty_beach", "person_in_water", "moored_boats"} <= set(
        names
    )
    for n in names:
        assert load_scenario(n).name == n


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("name: x\nduration_s: -3\n", "duration_s"),
        ("name: x\nactors:\n  - type: launch\n    people: 500\n", "people"),
        ("name: x\nactors:\n  - type: submarine\n", "type"),
        ("name: x\nbogus: 1\n", "bogus"),
        ("- just\n- a list\n", "mapping"),
        ("name: x\n  bad: [indent\n", "YAML"),
        ("name: x\ndrone:\n  gimbal_pitch_deg: 20\n", "gimbal_pitch_deg"),
    ],
)
def test_bad_scenarios_are_refused_with_the_reason(tmp_path: Path, text: str, reason: str) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(text)
    with pytest.raises(ScenarioError, match=reason):
        load_scenario(p)


def test_missing_scenario_names_the_builtins() -> None:
    with pytest.raises(ScenarioError, match="dawn_launch_wissant"):
        load_scenario("no_such_scenario")


def test_unknown_anchor_is_a_world_error() -> None:
    sc = Scenario.model_validate({"name": "x", "actors": [{"type": "swimmer", "anchor": "Atlantis"}]})
    with pytest.raises(WorldError, match="Atlantis"):
        World(SITE, sc, seed=0)


def test_truth_launch_in_the_launch_scenario() -> None:
    sc = load_scenario("dawn_launch_wissant")
    w = World(SITE, sc, seed=0)
    assert w.truth_launch() is None
    t_water = w.planned_launch_time_s()
    assert t_water is not None and 45 <= t_water <= 150  # "a minute or two after start"
    w.step_to(t_water - 1.0)
    assert w.truth_launch() is None
    boat = next(o for o in w.objects if o.class_name == "boat")
    assert not boat.in_water
    w.step_to(t_water + 1.0)
    tl = w.truth_launch()
    assert tl is not None and tl.timestamp_s == pytest.approx(t_water)
    # near the Wissant launch point, on the waterline
    assert abs(tl.lat_deg - 50.885) < 0.01 and abs(tl.lon_deg - 1.664) < 0.015
    assert abs(float(w.sdist(tl.east_m, tl.north_m))) < 15.0
    boat = next(o for o in w.objects if o.class_name == "boat")
    assert boat.in_water
    # later the boat is at sea with people aboard
    w.step_to(sc.duration_s)
    boat = next(o for o in w.objects if o.class_name == "boat")
    assert float(w.sdist(boat.east_m, boat.north_m)) < -50 and boat.people > 0
    assert World(SITE, load_scenario("empty_beach"), 0).truth_launch() is None


def test_at_low_tide_the_sea_stands_out_beyond_the_sand_and_the_launch_is_at_its_edge() -> None:
    sc = load_scenario("low_tide_launch_wissant")
    assert sc.tide_m is not None
    w = World(SITE, sc, seed=0)
    high = World(SITE, load_scenario("dawn_launch_wissant"), seed=0)
    t = w.planned_launch_time_s()
    assert t is not None
    w.step_to(t + 1.0)
    high.step_to(t + 1.0)
    tl, th = w.truth_launch(), high.truth_launch()
    assert tl is not None and th is not None
    drying = float(SITE.water_edge_shift_m(th.east_m, th.north_m, sc.tide_m)[0])
    assert drying > 300  # Wissant at low water
    # the launch is at the low-tide water's edge, that far out from the high-water launch
    assert math.hypot(tl.east_m - th.east_m, tl.north_m - th.north_m) == pytest.approx(drying, abs=10)
    assert abs(float(w.sdist(tl.east_m, tl.north_m))) < 15.0
    # where the sea stands at high water is sand now, and beyond the edge it is still sea
    mid_e, mid_n = (th.east_m + tl.east_m) / 2, (th.north_m + tl.north_m) / 2
    assert float(high.sdist(mid_e, mid_n)) < -100 and float(w.sdist(mid_e, mid_n)) > 100
    # walkers on the wet sand are not in the water; the launched boat is
    people = [o for o in w.objects if o.kind == "walker"]
    assert people and not any(o.in_water for o in people)
    assert all(float(w.sdist(o.east_m, o.north_m)) > 0 for o in people)
    boat = next(o for o in w.objects if o.class_name == "boat" and o.in_water)
    assert abs(float(w.sdist(boat.east_m, boat.north_m))) < 15.0  # just afloat at the edge (10 m raster)
    # the render shows sand, not sea, where the high tide's water is
    cam = SimCamera(w, SMALL, seed=0, look=PLAIN)
    cam_high = SimCamera(high, SMALL, seed=0, look=PLAIN)
    lat, lon = SITE.frame.to_geo(mid_e, mid_n)
    down = Telemetry(timestamp_s=0, lat_deg=lat, lon_deg=lon, alt_m=60, heading_deg=0, gimbal_pitch_deg=-90)
    # the flat world stands at the sea's surface, 2.9 m under mean sea level at this tide: a drone
    # at 60 m above mean sea level is 62.9 m above it
    assert w.surface_m == pytest.approx(sc.tide_m - 4.4) and high.surface_m == 0.0
    assert cam.pose(down).up_m == pytest.approx(60 - w.surface_m) and cam_high.pose(down).up_m == 60
    low_px = cam.render(down)[0].image[80:100, 150:170].reshape(-1, 3).mean(0)
    high_px = cam_high.render(down)[0].image[80:100, 150:170].reshape(-1, 3).mean(0)
    assert low_px[2] > low_px[0] + 15  # sand: red over blue (BGR)
    assert high_px[0] > high_px[2]  # sea: blue over red


def test_the_launch_is_in_view_of_the_scripted_drone() -> None:
    sc = load_scenario("dawn_launch_wissant")
    w = World(SITE, sc, seed=0)
    cam = SimCamera(w, seed=0)  # full 1280x720: people at 60 m are a few pixels tall
    fl = ScriptedFlight(w, sc.drone)
    t = w.planned_launch_time_s()
    assert t is not None
    w.step_to(t)
    _, gts = cam.render(fl.telemetry(t))
    assert any(g.class_name == "boat" for g in gts)
    assert sum(g.class_name == "person" for g in gts) >= 5


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    alt=st.floats(5, 120),
    yaw=st.floats(0, 360),
    pitch=st.floats(-90, -8),
    u=st.floats(10, 310),
    v=st.floats(0.3, 0.98),
)
def test_a_ground_object_is_drawn_where_the_camera_model_projects_it(
    empty_world: World, alt: float, yaw: float, pitch: float, u: float, v: float
) -> None:
    """Put a swimmer's head at the ground point under a random pixel; its box must contain that pixel."""
    cam = SimCamera(empty_world, SMALL, seed=0, look=PLAIN, effects=False)
    cam.draw_structures = False
    pose = CameraPose(0.0, 0.0, alt, yaw, pitch)
    horizon = cam._horizon(pose)
    vv = max(horizon + 10, 0) + v * (180 - max(horizon + 10, 0))
    if vv >= 179:
        return
    g, ok = pixels_to_ground([[u, vv]], pose, SMALL)
    assert ok[0]
    px, front = project([[g[0, 0], g[0, 1], 0.0]], pose, SMALL)
    assert front[0] and px[0] == pytest.approx([u, vv], abs=1e-6)
    empty_world.objects = []
    cam.extra_objects = [
        WorldObject(1, "boat", "inflatable", float(g[0, 0]), float(g[0, 1]), 0.0, 8.0, 2.5, 0.5)
    ]
    _, gts = cam.render(_tel(empty_world, 0.0, 0.0, alt, yaw, pitch))
    if not gts:  # under 4 px of box area: too small to be labelled
        corners = [[g[0, 0] + dx, g[0, 1] + dy, z] for dx in (-4, 4) for dy in (-4, 4) for z in (0.0, 0.5)]
        cp, _ = project(corners, pose, SMALL)
        ext = cp.max(axis=0) - cp.min(axis=0)
        assert min(ext) < 2.5 or ext[0] * ext[1] < 12
        return
    x0, y0, x1, y1 = gts[0].xyxy
    assert x0 - 1 <= u <= x1 + 1 and y0 - 1 <= vv <= y1 + 1


@pytest.mark.parametrize(
    ("kind", "cls", "alt", "pitch"),
    [
        ("inflatable", "boat", 40, -90),
        ("fishing", "boat", 60, -30),
        ("sailboat", "boat", 60, -20),
        ("rib", "boat", 30, -50),
        ("walker", "person", 12, -30),
        ("walker", "person", 20, -90),
        ("swimmer", "person", 10, -60),
    ],
)
def test_ground_truth_box_matches_the_rendered_pixels(
    empty_world: World, kind: str, cls: str, alt: float, pitch: float
) -> None:
    """Render one object on a plain background: its box is the extent of the changed pixels."""
    cam = SimCamera(empty_world, SMALL, seed=0, look=PLAIN, effects=False)
    cam.draw_structures = False
    empty_world.objects = []
    # look at a sea point well offshore (flat colour, no surf) from a pose in front of it
    fr = empty_world.shore_frame("Wissant")
    te, tn = fr.to_local(0.0, 900.0)
    yaw = fr.seaward_heading_deg()
    dist = alt / math.tan(math.radians(-pitch)) if pitch > -89.9 else 0.0
    ce = float(te) - dist * math.sin(math.radians(yaw))
    cn = float(tn) - dist * math.cos(math.radians(yaw))
    tel = _tel(empty_world, ce, cn, alt, yaw, pitch)
    bg, _ = cam.render(tel)
    size = {"boat": (8.0, 2.6, 0.8), "person": (0.5, 0.35, 1.75)}[cls]
    obj = WorldObject(7, cls, kind, float(te), float(tn), 30.0, *size, in_water=kind == "swimmer")
    cam.extra_objects = [obj]
    fg, gts = cam.render(tel)
    assert len(gts) == 1 and gts[0].object_id == 7 and gts[0].class_name == cls
    diff = (
        np.abs(fg.image.astype(int) - bg.image.astype(int)).max(axis=2) > 30
    )  # ignore faint anti-aliasing fringes
    ys, xs = np.nonzero(diff)
    assert len(xs) > 0
    x0, y0, x1, y1 = gts[0].xyxy
    # every object pixel is inside the box (anti-aliased edges bleed up to ~2 px) ...
    if kind != "swimmer":  # (a swimmer's splash ring is drawn around, not labelled)
        assert xs.min() >= x0 - 2 and xs.max() + 1 <= x1 + 2
        assert ys.min() >= y0 - 2 and ys.max() + 1 <= y1 + 2
    # ... and the box is no bigger than the object's pixels
    assert xs.min() <= x0 + 1.5 and xs.max() + 1 >= x1 - 1.5
    assert ys.min() <= y0 + 1.5 and ys.max() + 1 >= y1 - 1.5
    lat, lon = empty_world.site.frame.to_geo(float(te), float(tn))
    assert gts[0].lat_deg == pytest.approx(lat) and gts[0].lon_deg == pytest.approx(lon)


def test_occlusion_is_reported(empty_world: World) -> None:
    cam = SimCamera(empty_world, SMALL, seed=0, look=PLAIN, effects=False)
    cam.draw_structures = False
    empty_world.objects = []
    fr = empty_world.shore_frame("Wissant")
    te, tn = fr.to_local(0.0, 900.0)
    yaw = fr.seaward_heading_deg()
    ce = float(te) - 30 * math.sin(math.radians(yaw))
    cn = float(tn) - 30 * math.cos(math.radians(yaw))
    far = WorldObject(1, "person", "walker", float(te), float(tn), 0, 0.5, 0.35, 1.75)
    # a boat between the camera and the person hides it
    ne = float(te) - 8 * math.sin(math.radians(yaw))
    nn = float(tn) - 8 * math.cos(math.radians(yaw))
    near = WorldObject(2, "boat", "fishing", ne, nn, yaw + 90, 14.0, 4.6, 1.6)
    cam.extra_objects = [far, near]
    _, gts = cam.render(_tel(empty_world, ce, cn, 3.0, yaw, -5))
    person = [g for g in gts if g.object_id == 1]
    assert not person or person[0].occlusion > 0.5
    assert any(g.object_id == 2 and g.occlusion == 0 for g in gts)


def test_same_seed_same_frames_different_seed_different_noise() -> None:
    sc = load_scenario("dawn_launch_wissant")

    def frames(seed: int) -> list[np.ndarray]:
        w = World(SITE, sc, seed)
        cam = SimCamera(w, SMALL, seed=seed)
        fl = ScriptedFlight(w, sc.drone)
        out = []
        for t in (0.0, 60.0, 100.0):
            w.step_to(t)
            f, _ = cam.render(fl.telemetry(t))
            out.append(f.image)
        return out

    a, b, c = frames(3), frames(3), frames(4)
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x, y)
    assert any(not np.array_equal(x, y) for x, y in zip(a, c, strict=True))


def test_horizon_and_sky_in_oblique_views(empty_world: World) -> None:
    cam = SimCamera(empty_world, SMALL, seed=0, effects=False)
    empty_world.objects = []
    f, _ = cam.render(_tel(empty_world, 0.0, -2000.0, 30.0, 330.0, -5.0))
    pose = cam.pose(f.telemetry)  # type: ignore[arg-type]
    hv = cam._horizon(pose)
    assert 0 < hv < 180
    sky = f.image[: int(hv) - 3].astype(float)
    ground = f.image[int(hv) + 5 :].astype(float)
    assert sky.mean() > ground.mean()  # bright sky over darker sea/land
    with pytest.raises(ValueError, match="altitude"):
        cam.render(_tel(empty_world, 0.0, 0.0, 0.0, 0.0, -30.0))


def test_world_time_is_validated() -> None:
    w = World(SITE, load_scenario("empty_beach"), 0)
    with pytest.raises(WorldError, match="time"):
        w.step_to(-1.0)
    walkers = [o for o in w.step_to(10.0) if o.kind == "walker"]
    assert len(walkers) == 24


def test_record_clip_writes_video_truth_tracks_and_telemetry(tmp_path: Path) -> None:
    import json

    import cv2

    sc = load_scenario("person_in_water")
    out = tmp_path / "clip.mp4"
    info = record_clip(sc, out, seconds=1.0, seed=1, width_px=640, height_px=360)
    assert info.frames == 10 and info.codec in ("avc1", "mp4v")
    cap = cv2.VideoCapture(str(out))
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == 10
    gt = json.loads((tmp_path / "clip.gt.json").read_text())
    assert len(gt["frames_gt"]) == 10 and gt["truth_launch"] is None
    assert any(o["kind"] == "swimmer" for fr in gt["frames_gt"] for o in fr["objects"])
    tel = [json.loads(line) for line in (tmp_path / "clip.telemetry.jsonl").read_text().splitlines()]
    assert [t["frame"] for t in tel] == list(range(10))
    assert tel[5]["timestamp_s"] == pytest.approx(0.5)
    mot = (tmp_path / "clip.mot.txt").read_text().splitlines()
    assert mot and all(len(line.split(",")) == 9 for line in mot)


def test_record_clip_of_the_launch_carries_the_truth(tmp_path: Path) -> None:
    import json

    sc = load_scenario("dawn_launch_wissant")
    t_water = World(SITE, sc, 0).planned_launch_time_s()
    assert t_water is not None
    out = tmp_path / "launch.mp4"
    info = record_clip(sc, out, seconds=0.5, seed=0, width_px=640, height_px=360, start_s=t_water - 0.2)
    assert info.frames == 5
    gt = json.loads((tmp_path / "launch.gt.json").read_text())
    assert gt["truth_launch"]["timestamp_s"] == pytest.approx(t_water, abs=1e-3)
    assert gt["frames_gt"][0]["timestamp_s"] == pytest.approx(t_water - 0.2)
    kinds = {o["kind"] for fr in gt["frames_gt"] for o in fr["objects"]}
    assert "inflatable" in kinds and "migrant" in kinds
    boats = [o for fr in gt["frames_gt"] for o in fr["objects"] if o["kind"] == "inflatable"]
    assert not boats[0]["in_water"] and boats[-1]["in_water"]  # it enters the water during the clip


def test_synth_writes_a_yolo_dataset(tmp_path: Path) -> None:
    from flight.sim.synth import write_dataset

    out = tmp_path / "ds"
    seen: list[int] = []
    counts = write_dataset(out, 10, seed=5, workers=1, progress=lambda done, total: seen.append(done))
    assert counts["images"] == 10 and counts["val"] == 1 and counts["train"] == 9
    assert seen[-1] == 10
    assert (out / "READY").read_text().strip() == "10"
    assert (out / "LABEL_PAD").read_text().strip() == "1"  # boxes drawn as people draw them
    data = (out / "data.yaml").read_text()
    assert "0: boat" in data and "1: person" in data and "train: train/images" in data
    imgs = sorted((out / "train" / "images").glob("*.jpg")) + sorted((out / "val" / "images").glob("*.jpg"))
    assert len(imgs) == 10
    n_boxes = 0
    import cv2

    for img in imgs:
        assert cv2.imread(str(img)).shape == (640, 640, 3)
        lbl = img.parent.parent / "labels" / (img.stem + ".txt")
        for line in lbl.read_text().splitlines():
            c, x, y, w, h = line.split()
            assert c in ("0", "1")
            x0, y0, x1, y1 = (
                float(x) - float(w) / 2,
                float(y) - float(h) / 2,
                float(x) + float(w) / 2,
                float(y) + float(h) / 2,
            )
            assert -1e-6 <= x0 < x1 <= 1 + 1e-6 and -1e-6 <= y0 < y1 <= 1 + 1e-6
            n_boxes += 1
    assert n_boxes == counts["boats"] + counts["people"] > 0
    # the same seed gives the same dataset
    again = write_dataset(tmp_path / "ds2", 10, seed=5, workers=1)
    assert again == counts
    assert (tmp_path / "ds2" / "train" / "labels" / "synth_5_000000.txt").read_text() == (
        out / "train" / "labels" / "synth_5_000000.txt"
    ).read_text()


@pytest.mark.parametrize(
    ("images", "val", "match"), [(0, 0.1, "positive"), (-5, 0.1, "positive"), (10, 1.0, "val_fraction")]
)
def test_synth_refuses_bad_arguments(tmp_path: Path, images: int, val: float, match: str) -> None:
    from flight.sim.synth import SynthError, write_dataset

    with pytest.raises(SynthError, match=match):
        write_dataset(tmp_path / "x", images, val_fraction=val, workers=1)


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["render", "--scenario", "no_such", "--out", "x.mp4"], "not found"),
        (["render", "--scenario", "empty_beach", "--out", "x.avi"], "must end in .mp4"),
        (["render", "--scenario", "empty_beach", "--out", "x.mp4", "--size", "big"], "WxH"),
        (["render", "--scenario", "empty_beach", "--out", "x.mp4", "--seconds", "0"], "positive"),
        (["synth", "--out", "d", "--images", "0"], "positive"),
        (["synth", "--out", "d", "--workers", "99"], "workers"),
        (["synth", "--out", "d", "--scenes", "closeup"], "clutter only"),
        (["synth", "--out", "d", "--style", "clutter", "--scenes", "closeups"], "unknown clutter scene kind"),
    ],
)
def test_cli_refuses_bad_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], match: str
) -> None:
    from api.cli import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match=match):
        main(argv)


def test_cli_render_writes_a_clip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from api.cli import main

    out = tmp_path / "c.mp4"
    assert (
        main(
            [
                "render",
                "--scenario",
                "person_in_water",
                "--out",
                str(out),
                "--seconds",
                "0.5",
                "--size",
                "320x180",
            ]
        )
        == 0
    )
    assert out.stat().st_size > 0 and (tmp_path / "c.gt.json").exists() and (tmp_path / "c.mot.txt").exists()
    assert "5 frames at 10 fps, 320x180" in capsys.readouterr().out


def test_a_car_in_front_hides_a_person(empty_world: World) -> None:
    """Unlabelled things (cars, chairs, houses) count as occluders too."""
    cam = SimCamera(empty_world, SMALL, seed=0, look=PLAIN, effects=False)
    cam.draw_structures = False
    empty_world.objects = []
    fr = empty_world.shore_frame("Wissant")
    te, tn = fr.to_local(0.0, -60.0)
    yaw = fr.seaward_heading_deg()
    s, c = math.sin(math.radians(yaw)), math.cos(math.radians(yaw))
    person = WorldObject(1, "person", "walker", float(te), float(tn), 0, 0.5, 0.35, 1.75)
    car = WorldObject(
        2, "", "vehicle", float(te) - 4 * s, float(tn) - 4 * c, yaw + 90, 4.5, 1.8, 1.5, labelled=False
    )
    tel = _tel(empty_world, float(te) - 20 * s, float(tn) - 20 * c, 1.5, yaw, -3)
    cam.extra_objects = [person]
    _, alone = cam.render(tel)
    assert len(alone) == 1 and alone[0].occlusion == 0
    cam.extra_objects = [person, car]
    _, hidden = cam.render(tel)
    assert not hidden or hidden[0].occlusion > 0.5


def test_a_shape_reaching_just_in_front_of_the_lens_is_drawn_clipped_not_scribbled() -> None:
    """A polygon corner a hair in front of the camera projects billions of pixels out; drawn as it
    was, OpenCV's fixed-point cast wrapped and filled stripes across the frame."""
    from flight.sim.camera import Look, _Canvas
    from shorewatch.camera import CameraPose
    from shorewatch.types import DEFAULT_INTRINSICS

    img = np.zeros((720, 1280, 3), np.uint8)
    ids = np.zeros((720, 1280), np.uint16)
    canvas = _Canvas(img, ids, CameraPose(0, 0, 50, 0, -30, 0), DEFAULT_INTRINSICS, Look())
    canvas.poly(7, np.array([[-3e9, 100.0], [200.0, 100.0], [200.0, 140.0], [-3e9, 140.0]]), (255, 255, 255))
    canvas.poly(8, np.array([[np.nan, 1.0], [5.0, 5.0], [9.0, 1.0]]), (255, 0, 0))
    rows = np.flatnonzero(img.any(axis=(1, 2)))
    assert rows.min() >= 99 and rows.max() <= 141  # the band between rows 100 and 140, nothing else
    assert img[120, 0:190].all() and not img[120, 220:].any()
    assert 8 not in canvas.extents  # the NaN shape is not drawn
