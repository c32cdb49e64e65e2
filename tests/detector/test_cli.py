"""``shorewatch detect --save-txt`` and ``shorewatch eval --data`` on the shipped model, through the
real command line entry point."""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from api.cli import main
from detector.model import DetectorConfig, default_model_path, load_detector, tta_settings
from shorewatch.geo import bearing_deg, distance_m
from shorewatch.types import GroundTruthObject
from tests.shorewatch.photo_files import write_drone_jpeg

MODEL = Path(os.environ.get("SHOREWATCH_TEST_MODEL", default_model_path()))


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two small images with a dark hull and a few upright figures on a sea/sand background."""
    d = tmp_path_factory.mktemp("imgs")
    rng = np.random.default_rng(0)
    for k in range(2):
        img = np.zeros((360, 640, 3), np.uint8)
        img[:180] = (140, 110, 70)  # sea (BGR)
        img[180:] = (150, 190, 210)  # sand
        img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
        cv2.ellipse(img, (300 + 40 * k, 120), (40, 10), 0, 0, 360, (40, 40, 45), -1)
        for j in range(4):
            cv2.rectangle(img, (200 + 25 * j, 230), (204 + 25 * j, 244), (30, 30, 30), -1)
        cv2.imwrite(str(d / f"scene{k}.jpg"), img)
    return d


def _lines(p: Path) -> list[list[float]]:
    return [[float(v) for v in line.split()] for line in p.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("extra", "mode"), [([], "full"), (["--tta", "flip"], "flip"), (["--no-tta"], "none")]
)
def test_save_txt_writes_yolo_lines_from_the_full_detect_path(
    extra: list[str], mode: str, scene: Path, tmp_path: Path, state_dir: Path
) -> None:
    """By default with the 0.83x and 1.25x views and every view's mirror image fused in; with
    --tta flip the picture and its mirror image; with --no-tta, the live service's single view."""
    txt = tmp_path / "txt"
    out = tmp_path / "annotated"
    argv = [
        "detect",
        str(scene),
        "--model",
        str(MODEL),
        "--save",
        str(out),
        "--save-txt",
        str(txt),
        "--conf-boat",
        "0.001",
        "--conf-person",
        "0.001",
        *extra,
    ]
    assert main(argv) == 0
    assert sorted(p.name for p in txt.iterdir()) == ["scene0.txt", "scene1.txt"]
    assert sorted(p.name for p in out.iterdir()) == ["scene0.jpg", "scene1.jpg"]
    cfg = DetectorConfig(conf_boat=0.001, conf_person=0.001, **tta_settings(mode))
    det = load_detector(MODEL, state_dir=state_dir, config=cfg)
    for k in range(2):
        rows = _lines(txt / f"scene{k}.txt")
        img = cv2.imread(str(scene / f"scene{k}.jpg"))
        d = det.detect_image(img)
        assert len(rows) == len(d)
        for row in rows:
            assert len(row) == 6
            assert row[0] in (0.0, 1.0)
            assert all(0.0 <= v <= 1.0 for v in row[1:])
        if len(d):
            cx = (d.xyxy[:, 0] + d.xyxy[:, 2]) / 2 / img.shape[1]
            assert sorted(r[1] for r in rows) == pytest.approx(sorted(cx.tolist()), abs=2e-6)
            assert sorted(r[5] for r in rows) == pytest.approx(sorted(d.confidence.tolist()), abs=2e-6)


def test_outputs_keep_the_source_folders_and_never_overwrite_each_other(
    scene: Path, tmp_path: Path, state_dir: Path
) -> None:
    """Drone cameras restart DJI_0001.JPG in every flight's folder, and a folder may hold
    photo.jpg beside photo.png: each image gets its own txt file and annotated copy, laid out
    like the source (YOLO's images/ -> labels/), with its own detections."""
    src = tmp_path / "flights"
    img = cv2.imread(str(scene / "scene0.jpg"))
    other = cv2.imread(str(scene / "scene1.jpg"))
    for rel, pic in (
        ("a/DJI_0001.jpg", img),
        ("b/DJI_0001.jpg", other),
        ("photo.jpg", img),
        ("photo.png", other),
    ):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(src / rel), pic)
    txt, out = tmp_path / "txt", tmp_path / "annotated"
    argv = ["detect", str(src), "--model", str(MODEL), "--no-tta", "--save", str(out), "--save-txt", str(txt)]
    assert main([*argv, "--conf-boat", "0.001", "--conf-person", "0.001"]) == 0
    written = sorted(str(p.relative_to(txt)) for p in txt.rglob("*.txt"))
    assert written == ["a/DJI_0001.txt", "b/DJI_0001.txt", "photo.jpg.txt", "photo.png.txt"]
    copies = sorted(str(p.relative_to(out)) for p in out.rglob("*.jpg"))
    assert copies == ["a/DJI_0001.jpg", "b/DJI_0001.jpg", "photo.jpg.jpg", "photo.png.jpg"]
    det = load_detector(MODEL, state_dir=state_dir, config=DetectorConfig(conf_boat=0.001, conf_person=0.001))
    for name, rel in (
        ("a/DJI_0001", "a/DJI_0001.jpg"),
        ("b/DJI_0001", "b/DJI_0001.jpg"),
        ("photo.jpg", "photo.jpg"),
        ("photo.png", "photo.png"),
    ):
        rows = _lines(txt / f"{name}.txt")
        assert len(rows) == len(det.detect_image(cv2.imread(str(src / rel)))), name
    assert _lines(txt / "a/DJI_0001.txt") != _lines(txt / "b/DJI_0001.txt")


def test_output_names_for_a_single_file_and_a_folder() -> None:
    from api.commands.detect import output_names

    assert output_names([Path("/x/y/shot.JPG")], None) == [Path("shot")]
    root = Path("/data")
    got = output_names([root / "day1/a.jpg", root / "day2/a.jpg", root / "b.jpg", root / "b.tif"], root)
    assert got == [Path("day1/a"), Path("day2/a"), Path("b.jpg"), Path("b.tif")]


def _counts(rows: list[list[float]], thr: float) -> str:
    kept = [r for r in rows if r[5] >= thr]
    return f"{sum(r[0] == 0 for r in kept)} boat(s), {sum(r[0] == 1 for r in kept)} person(s)"


def test_txt_keeps_low_confidence_lines_the_annotated_copies_leave_out(
    scene: Path, tmp_path: Path, state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An evaluator ranks --save-txt lines by their confidence: they go down to --txt-conf, while
    the printed counts (and annotated copies) keep the 0.25 thresholds."""
    txt = tmp_path / "txt"
    base = ["detect", str(scene / "scene0.jpg"), "--model", str(MODEL), "--no-save", "--save-txt", str(txt)]
    assert main([*base, "--txt-conf", "0.001"]) == 0
    rows = _lines(txt / "scene0.txt")
    assert 0.001 <= min(r[5] for r in rows) < 0.25
    assert _counts(rows, 0.25) in capsys.readouterr().out
    assert main([*base, "--txt-conf", "0.25"]) == 0  # only what the annotated copies show
    rows = _lines(txt / "scene0.txt")
    assert all(r[5] >= 0.25 for r in rows)
    assert _counts(rows, 0.0) in capsys.readouterr().out
    assert main([*base, "--txt-conf", "2"]) == 2
    assert "--txt-conf" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.jpg", "not found"),
        (lambda d: (d / "notes.txt").write_text("x") and d / "notes.txt", "unsupported"),
        # a folder holding only a folder named like an image: no images, not a crash on reading it
        (lambda d: (d / "in" / "frames.jpg").mkdir(parents=True) or d / "in", "no images"),
    ],
)
def test_bad_sources_fail_with_a_clear_message(
    make: object, message: str, tmp_path: Path, state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = make(tmp_path)  # type: ignore[operator]
    assert main(["detect", str(src), "--model", str(MODEL)]) == 2
    assert message in " ".join(capsys.readouterr().err.split())


def test_a_missing_model_is_a_clear_error(
    scene: Path, tmp_path: Path, state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["detect", str(scene), "--model", str(tmp_path / "nope.onnx")]) == 2
    assert "not found" in " ".join(capsys.readouterr().err.split())


def test_eval_data_reports_per_class_metrics_as_json(scene: Path, tmp_path: Path, state_dir: Path) -> None:
    (scene.parent / "ds" / "images").mkdir(parents=True, exist_ok=True)
    ds = scene.parent / "ds"
    (ds / "labels").mkdir(exist_ok=True)
    img = cv2.imread(str(scene / "scene0.jpg"))
    cv2.imwrite(str(ds / "images" / "a.jpg"), img)
    (ds / "labels" / "a.txt").write_text("0 0.46875 0.333 0.125 0.0556\n")
    out = tmp_path / "m.json"
    assert main(["eval", "--data", str(ds), "--model", str(MODEL), "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["images"] == 1
    assert set(res["classes"]) == {"boat", "person"}
    assert res["classes"]["boat"]["n_gt"] == 1
    assert 0.0 <= res["classes"]["boat"]["ap50"] <= 1.0


@pytest.fixture(scope="module")
def drone_photo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[GroundTruthObject]]:
    """A rendered dawn-launch still saved as a DJI camera saves one (pose in XMP), with its truth."""
    from flight.sim.camera import SimCamera
    from flight.sim.render import ScriptedFlight
    from flight.sim.scenario import load_scenario
    from flight.sim.world import World
    from shorewatch.site import load_site

    sc = load_scenario("dawn_launch_wissant")
    world = World(load_site(sc.site), sc, 7)
    cam, flight = SimCamera(world, seed=7), ScriptedFlight(world, sc.drone)
    world.step_to(80.0)
    frame, truth = cam.render(flight.telemetry(80.0))
    tel = frame.telemetry
    assert tel is not None
    yaw = (tel.camera_yaw_deg + 180.0) % 360.0 - 180.0  # DJI writes -180..180
    xmp = {
        "GpsLatitude": f"{tel.lat_deg:.8f}",
        "GpsLongitude": f"{tel.lon_deg:.8f}",
        "RelativeAltitude": f"{tel.alt_m:+.2f}",  # taken off at sea level
        "GimbalPitchDegree": f"{tel.gimbal_pitch_deg:+.2f}",
        "GimbalYawDegree": f"{yaw:+.2f}",
    }
    d = tmp_path_factory.mktemp("drone")
    return write_drone_jpeg(d / "DJI_0042.JPG", frame.image, xmp), truth


def test_detect_puts_a_drone_photos_boats_on_the_map(
    drone_photo: tuple[Path, list[GroundTruthObject]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The launch boat in a drone still is placed within 15 m of where it is, from the photo's
    own pose metadata (the simulator's 84 degree lens given with --hfov)."""
    photo, truth = drone_photo
    out = tmp_path / "spots.geojson"
    argv = ["detect", str(photo), "--model", str(MODEL), "--no-save", "--tta", "none"]
    assert main([*argv, "--hfov", "84", "--geojson", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "camera at 50.887" in printed and "pitch -22.0 deg" in printed
    features = json.loads(out.read_text())["features"]
    boats = [f for f in features if f["properties"]["class"] == "boat"]
    assert boats, printed
    launch = next(t for t in truth if t.kind == "inflatable")
    misses = [
        distance_m(
            launch.lat_deg, launch.lon_deg, f["geometry"]["coordinates"][1], f["geometry"]["coordinates"][0]
        )
        for f in boats
    ]
    best = boats[int(np.argmin(misses))]["properties"]
    assert min(misses) <= 15.0, (misses, boats)
    assert best["image"] == str(photo) and 0 < best["error_m"] < 50
    assert best["error_across_m"] < best["error_along_m"] <= best["error_m"]  # seen at -22 deg
    cam = re.search(r"camera at ([\d.]+), ([\d.]+),", printed)
    assert cam is not None
    sight = bearing_deg(float(cam[1]), float(cam[2]), launch.lat_deg, launch.lon_deg)
    assert abs((best["line_of_sight_deg"] - sight + 180) % 360 - 180) < 3  # from the camera to the boat
    assert f"at {boats[0]['geometry']['coordinates'][1]:.6f}" in printed
    # at low water (the sea 3 m under its mean) the same boat lies about 3 / tan 22 deg = 7.4 m
    # nearer the camera than on mean sea level
    low = tmp_path / "low.geojson"
    assert main([*argv, "--hfov", "84", "--sea-level", "-3", "--geojson", str(low)]) == 0
    assert "sea at -3.0 m" in capsys.readouterr().out
    moved = next(
        f for f in json.loads(low.read_text())["features"] if f["properties"]["xyxy"] == best["xyxy"]
    )
    lon0, lat0 = boats[int(np.argmin(misses))]["geometry"]["coordinates"]
    lon1, lat1 = moved["geometry"]["coordinates"]
    assert distance_m(lat0, lon0, lat1, lon1) == pytest.approx(3 / math.tan(math.radians(22)), rel=0.25)

    # without a lens in EXIF or --hfov there are no positions, and the reason is said
    assert main([*argv, "--geojson", str(out)]) == 0
    assert "--hfov" in capsys.readouterr().out
    assert json.loads(out.read_text())["features"] == []
    # a photo without pose metadata prints what it always did
    plain = write_drone_jpeg(tmp_path / "plain.jpg", cv2.imread(str(photo)))
    assert main(["detect", str(plain), "--model", str(MODEL), "--no-save", "--tta", "none"]) == 0
    assert "no positions" not in capsys.readouterr().out


def test_a_photo_s_pitch_is_measured_on_the_horizon_when_its_xmp_is_off(
    drone_photo: tuple[Path, list[GroundTruthObject]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A gimbal that writes its pitch 2.5 deg shallower than it was: the horizon in the picture
    says the true pitch, and the launch boat is placed as well as from the right one; with
    levelling off it is placed further out."""
    photo, truth = drone_photo
    with open(photo, "rb") as fh:
        data = fh.read()
    assert b"-22.00" in data
    wrong = tmp_path / "DJI_0043.JPG"
    wrong.write_bytes(data.replace(b"-22.00", b"-19.50"))
    launch = next(t for t in truth if t.kind == "inflatable")

    def nearest_boat(env: str) -> tuple[float, str]:
        monkeypatch.setenv("SHOREWATCH_LEVEL_ON_HORIZON", env)
        out = tmp_path / f"spots{env}.geojson"
        argv = ["detect", str(wrong), "--model", str(MODEL), "--no-save", "--tta", "none", "--hfov", "84"]
        assert main([*argv, "--geojson", str(out)]) == 0
        printed = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
        boats = [f for f in json.loads(out.read_text())["features"] if f["properties"]["class"] == "boat"]
        lon_lat = [f["geometry"]["coordinates"] for f in boats]
        return min(distance_m(launch.lat_deg, launch.lon_deg, la, lo) for lo, la in lon_lat), printed

    levelled, printed = nearest_boat("1")
    assert "pitch -19.5 deg" in printed and "measured on the horizon" in printed
    pitch = re.search(r"pitch (-[\d.]+) deg measured on the horizon", printed)
    assert pitch is not None and float(pitch[1]) == pytest.approx(-22.0, abs=0.1)
    assert levelled <= 15.0
    reported, printed = nearest_boat("0")
    assert "measured on the horizon" not in printed
    assert reported > levelled + 5.0


def test_bad_pose_options_are_refused(
    drone_photo: tuple[Path, list[GroundTruthObject]], tmp_path: Path
) -> None:
    photo, _ = drone_photo
    assert main(["detect", str(photo), "--model", str(MODEL), "--no-save", "--hfov", "0"]) == 2
    spots = str(tmp_path / "s.geojson")
    assert main(["detect", str(photo), "--model", str(MODEL), "--no-pose", "--geojson", spots]) == 2
    clip = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter.fourcc(*"mp4v"), 5, (64, 48))
    writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.release()
    assert main(["detect", str(clip), "--model", str(MODEL), "--geojson", str(tmp_path / "x.geojson")]) == 2


SHORT_LAUNCH = """
name: short_launch
description: a crew drags an inflatable 12 m into the water, boards it in 5 s and motors out
duration_s: 40
time_of_day_h: 9
drone: {alt_m: 45, gimbal_pitch_deg: -22, speed_mps: 1,
        waypoints: [{along_m: 0, offshore_m: -110}], look_at: {along_m: 0, offshore_m: 0}}
actors:
  - {type: launch, people: 6, walk_from_m: -20, inflate_at_m: -12, inflate_s: 2, board_s: 5}
"""


@pytest.mark.parametrize("telemetry", ["none", "poor"])
def test_eval_scenario_scores_a_launch_from_the_simulators_truth(
    telemetry: str, tmp_path: Path, state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``eval --scenario --oracle``: tracking, georeferencing and events on perfect detections,
    with the pose the drone reports (its telemetry errors) rather than the one it rendered from."""
    sc = tmp_path / "short_launch.yaml"
    sc.write_text(SHORT_LAUNCH)
    out = tmp_path / "events.json"
    args = ["eval", "--scenario", str(sc), "--oracle", "--fps", "2", "--seeds", "3"]
    assert main([*args, "--telemetry-error", telemetry, "--json", str(out)]) == 0
    run = json.loads(out.read_text())["runs"][0]
    assert run["launch_expected"] and run["launch_detected"], run
    # raised while the boat is dragged into the water (the drag starts 12 s before it floats; a
    # pitch or altitude bias moves the boat, not the water's edge) or at most 5 s after it floats
    assert -12.0 < run["latency_s"] <= 5.0
    assert run["false_events"] == 0 and run["false_event_details"] == []
    assert run["position_error_m"] < run["stated_error_m"] * 2
    if telemetry == "none":  # placed where the boat was when raised: up to ~8 m short of where it floats
        assert run["position_error_m"] < 8.0
    assert "launches detected 1/1" in capsys.readouterr().out


def test_eval_oracle_needs_a_scenario(
    tmp_path: Path, state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "--data", str(tmp_path), "--oracle"]) == 2
    assert "--oracle needs --scenario" in capsys.readouterr().err
