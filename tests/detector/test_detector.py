"""BoatDetector's tiling path end to end, with the neural network replaced at its I/O seam by a
colour-threshold "model" that answers in YOLO-head format (4 + classes rows x anchors, boxes as
centre/size in input pixels): red blobs are boats, green blobs are people. Tiling, batching,
coordinate mapping, the cross-tile merge and the per-class thresholds are the real code."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from detector.model import BoatDetector, DetectorConfig
from detector.tiling import TilingConfig, plan_tiles
from shorewatch.types import DEFAULT_INTRINSICS, Frame, Telemetry


class ColourModel:
    names = ("boat", "person")

    def __init__(self, boat_conf: float = 0.9, person_conf: float = 0.8) -> None:
        self.boat_conf, self.person_conf = boat_conf, person_conf
        self.shapes: list[tuple[int, ...]] = []

    def describe(self) -> str:
        return "colour-threshold test model"

    def run(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        self.shapes.append(batch.shape)
        outs = []
        for img in batch:  # RGB, CHW, 0..1
            r, g, b = img[0], img[1], img[2]
            cols = []
            for mask, cls in (((r > 0.8) & (g < 0.2) & (b < 0.2), 0), ((g > 0.8) & (r < 0.2) & (b < 0.2), 1)):
                _n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
                for x, y, w, h, _area in stats[1:]:
                    col = np.zeros(6, np.float32)
                    col[:4] = (x + w / 2, y + h / 2, w, h)
                    col[4 + cls] = self.boat_conf if cls == 0 else self.person_conf
                    cols.append(col)
            cols += [np.zeros(6, np.float32)] * (8 - len(cols)) if len(cols) < 8 else []
            outs.append(np.stack(cols, axis=1))
        width = max(o.shape[1] for o in outs)
        return np.stack([np.pad(o, ((0, 0), (0, width - o.shape[1]))) for o in outs])


def _frame(img: npt.NDArray[np.uint8], tel: Telemetry | None = None) -> Frame:
    intr = DEFAULT_INTRINSICS.scaled(img.shape[1], img.shape[0]) if tel else None
    return Frame(img, 0.0, "test", 0, tel, intr)


def test_a_boat_across_a_tile_border_is_one_detection() -> None:
    img = np.full((1080, 2400, 3), 90, np.uint8)
    cfg = DetectorConfig(tiling=TilingConfig(max_tile_px=640, overlap_px=32, coarse_pass=False))
    det = BoatDetector(ColourModel(), cfg)
    tiles = det.plan(_frame(img))
    xs = sorted({t.x0 for t in tiles})
    border = xs[1] + 16  # inside the overlap of the first two columns
    cv2.rectangle(img, (border - 60, 500), (border + 70, 530), (0, 0, 255), -1)  # 131 px boat (BGR red)
    d = det.detect(_frame(img))
    assert len(d) == 1
    assert d.class_id[0] == 0
    assert d.xyxy[0] == pytest.approx([border - 60, 500, border + 71, 531], abs=1.5)


def test_people_and_boats_map_back_to_frame_pixels_through_every_tile() -> None:
    rng = np.random.default_rng(3)
    img = np.full((1080, 1920, 3), 90, np.uint8)
    truth = []
    for k in range(12):
        x, y = int(rng.integers(0, 1880)), int(rng.integers(0, 1050))
        boat = k % 2 == 0
        w, h = (30, 12) if boat else (5, 11)
        if any(abs(x - a) < 60 and abs(y - b) < 30 for a, b, *_ in truth):
            continue
        cv2.rectangle(img, (x, y), (x + w - 1, y + h - 1), (0, 0, 255) if boat else (0, 255, 0), -1)
        truth.append((x, y, x + w, y + h, 0 if boat else 1))
    cfg = DetectorConfig(tiling=TilingConfig(max_tile_px=512, overlap_px=48, coarse_pass=True))
    model = ColourModel()
    d = BoatDetector(model, cfg).detect(_frame(img))
    assert len(d) == len(truth)
    got = sorted((round(a), round(b), int(c)) for (a, b, _, _), c in zip(d.xyxy, d.class_id, strict=True))
    assert got == sorted((x0, y0, c) for x0, y0, _, _, c in truth)
    assert len(model.shapes) < 12  # tiles of one shape ran batched


@pytest.mark.parametrize(
    ("conf_boat", "conf_person", "n_boats", "n_people"),
    [(0.5, 0.5, 1, 1), (0.95, 0.5, 0, 1), (0.5, 0.85, 1, 0)],
)
def test_per_class_thresholds(conf_boat: float, conf_person: float, n_boats: int, n_people: int) -> None:
    img = np.full((400, 600, 3), 90, np.uint8)
    cv2.rectangle(img, (100, 100), (140, 115), (0, 0, 255), -1)
    cv2.rectangle(img, (300, 200), (305, 212), (0, 255, 0), -1)
    d = BoatDetector(
        ColourModel(0.9, 0.8), DetectorConfig(conf_boat=conf_boat, conf_person=conf_person)
    ).detect(_frame(img))
    assert int((d.class_id == 0).sum()) == n_boats
    assert int((d.class_id == 1).sum()) == n_people
    assert list(d.data["class_name"]) == ["boat"] * n_boats + ["person"] * n_people or len(d) < 2


def test_a_posed_frame_does_not_spend_compute_on_the_sky() -> None:
    img = np.full((720, 1280, 3), 90, np.uint8)
    cv2.rectangle(img, (600, 20), (640, 35), (0, 0, 255), -1)  # a "boat" in the sky: never looked at
    cv2.rectangle(img, (600, 600), (640, 615), (0, 0, 255), -1)  # a boat near the bottom
    tel = Telemetry(timestamp_s=0, lat_deg=50.88, lon_deg=1.66, alt_m=60, heading_deg=0, gimbal_pitch_deg=-10)
    model = ColourModel()
    det = BoatDetector(model, DetectorConfig(tiling=TilingConfig(coarse_pass=False)))
    d = det.detect(_frame(img, tel))
    assert len(d) == 1 and d.xyxy[0][1] > 500
    assert min(t.y0 for t in det.plan(_frame(img, tel))) > 100


def test_an_empty_frame_gives_empty_typed_detections() -> None:
    d = BoatDetector(ColourModel()).detect(_frame(np.zeros((200, 300, 3), np.uint8)))
    assert len(d) == 0 and d.xyxy.shape == (0, 4)


class CoarseOnlyModel(ColourModel):
    """Sees only in the coarse pass's input (a 640-px-wide batch): what the coarse pass adds."""

    def run(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        out = super().run(batch)
        if batch.shape[3] != 640:
            out[:, 4:] = 0.0
        return out


@pytest.mark.parametrize(("coarse_min_px", "kept"), [(0.0, ["boat", "person"]), (32.0, ["boat"])])
def test_the_coarse_pass_keeps_large_objects_and_leaves_small_ones_to_the_native_tiles(
    coarse_min_px: float, kept: list[str]
) -> None:
    """At half resolution a 24 px person is 12 px: the native pass sees it better, and the coarse
    box would swallow it in the merge. A 200 px boat is 100 coarse px: only the coarse pass sees
    such boats whole."""
    img = np.full((720, 1280, 3), 90, np.uint8)
    cv2.rectangle(img, (200, 400), (399, 440), (0, 0, 255), -1)  # boat, 200 px long
    cv2.rectangle(img, (900, 400), (909, 423), (0, 255, 0), -1)  # person, 24 px tall
    tiling = TilingConfig(max_tile_px=1280, coarse_px=640, coarse_min_px=coarse_min_px)
    det = BoatDetector(CoarseOnlyModel(), DetectorConfig(tiling=tiling))
    assert [t.pass_name for t in det.plan(_frame(img))] == ["native", "coarse"]
    d = det.detect(_frame(img))
    assert sorted(d.data["class_name"].tolist()) == kept
    assert d.xyxy[0] == pytest.approx([200, 400, 400, 441], abs=3)


class PieceModel(ColourModel):
    """The main model as the lock webcam shows it: blind to a ship's red hull, sure that its white
    bridge is a boat (a piece of the ship, never the ship whole)."""

    def run(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        seen = batch.copy()
        r, g, b = batch[:, 0], batch[:, 1], batch[:, 2]
        hull = (r > 0.8) & (g < 0.2) & (b < 0.2)
        bridge = (r > 0.9) & (g > 0.9) & (b > 0.9)
        for ch, val in ((0, 90 / 255), (1, 90 / 255), (2, 90 / 255)):
            seen[:, ch][hull] = val
        seen[:, 0][bridge], seen[:, 1][bridge], seen[:, 2][bridge] = 1.0, 0.0, 0.0  # a "boat"
        return super().run(seen)


def _ship_frame() -> npt.NDArray[np.uint8]:
    img = np.full((1080, 1920, 3), 90, np.uint8)
    cv2.rectangle(img, (100, 500), (1499, 700), (0, 0, 255), -1)  # a ship's hull, 1,400 px long
    cv2.rectangle(img, (1300, 420), (1399, 499), (255, 255, 255), -1)  # its white bridge
    cv2.rectangle(img, (1600, 900), (1699, 930), (0, 0, 255), -1)  # a boat, 100 px long
    return img


def test_the_ship_model_finds_the_whole_ship_and_keeps_only_ships() -> None:
    """A lock webcam's ship spans the frame; at 480 px it is the size the ship model knows. The
    ship pass keeps only boats of at least ship_min_px (the 100 px boat is 25 ship-pass px: left
    to the other passes), and its ship is not merged into the main model's confident piece."""
    img = _ship_frame()
    cfg = DetectorConfig(conf_boat=0.3, tiling=TilingConfig(ship_px=480, ship_min_px=96))
    main = PieceModel(0.9, 0.9)
    plain = BoatDetector(main, cfg)
    assert [t.pass_name for t in plain.plan(_frame(img))] == ["native", "native", "coarse"]
    det = BoatDetector(main, cfg, ship_backend=ColourModel(0.5, 0.5))
    assert det.ships and det.plan(_frame(img))[-1].pass_name == "ship"
    before, after = plain.detect(_frame(img)), det.detect(_frame(img))
    assert len(after) == len(before) + 1
    assert before.xyxy[:, 0].min() > 1000  # without it: the bridge and the small boat only
    ship = after.xyxy[np.argmin(after.xyxy[:, 0])]
    assert ship == pytest.approx([100, 500, 1500, 701], abs=6)  # the hull, whole
    assert after.confidence.max() == pytest.approx(0.9)  # the piece keeps its place
    off = det.with_config(cfg.model_copy(update={"ship_pass": False}))
    assert not off.ships and len(off.detect(_frame(img))) == len(before)
    # a ship the other passes already found whole is not added a second time
    sees_all = BoatDetector(ColourModel(0.9, 0.9), cfg)
    both = BoatDetector(ColourModel(0.9, 0.9), cfg, ship_backend=ColourModel(0.5, 0.5))
    found, again = sees_all.detect(_frame(img)), both.detect(_frame(img))
    assert len(again) == len(found) and again.confidence.tolist() == found.confidence.tolist()
    # ... but one the other passes saw below the threshold does not hide it
    unsure = BoatDetector(ColourModel(0.2, 0.9), cfg, ship_backend=ColourModel(0.5, 0.5)).detect(_frame(img))
    assert len(unsure) == 1 and unsure.xyxy[0] == pytest.approx([100, 500, 1500, 701], abs=6)
    assert unsure.confidence.tolist() == pytest.approx([0.5])


def test_a_posed_frame_gets_no_ship_pass() -> None:
    img = _ship_frame()
    tel = Telemetry(timestamp_s=0, lat_deg=50.88, lon_deg=1.66, alt_m=60, heading_deg=0, gimbal_pitch_deg=-30)
    det = BoatDetector(ColourModel(), ship_backend=ColourModel())
    assert all(t.pass_name != "ship" for t in det.plan(_frame(img, tel)))


class OneViewModel(ColourModel):
    """Sees the colour blobs only in the first half of each batch: the unmirrored tiles when the
    detector runs the mirror view too (a detector fooled by a texture it would not see mirrored)."""

    def run(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        out = super().run(batch)
        out[len(batch) // 2 :, 4:] = 0.0
        return out


def _scene() -> tuple[npt.NDArray[np.uint8], list[tuple[int, int, int, int, int]]]:
    """A 1500 x 700 frame (two native tiles of a width that is not a multiple of the stride, so
    the inputs are padded on the right, and a coarse pass at scale 0.5): boats and people off
    centre, where a box mirrored about the wrong axis would land elsewhere."""
    img = np.full((700, 1500, 3), 90, np.uint8)
    truth = [
        (37, 60, 97, 80, 0),
        (700, 300, 740, 316, 0),
        (1300, 500, 1306, 513, 1),
        (233, 610, 238, 622, 1),
        (900, 100, 1200, 190, 0),
    ]
    for x0, y0, x1, y1, c in truth:
        cv2.rectangle(img, (x0, y0), (x1 - 1, y1 - 1), (0, 0, 255) if c == 0 else (0, 255, 0), -1)
    return img, truth


def test_the_mirror_view_maps_back_onto_the_frame() -> None:
    img, truth = _scene()
    tiling = TilingConfig(max_tile_px=800, overlap_px=48, coarse_pass=True, coarse_min_px=100)
    plain = BoatDetector(ColourModel(), DetectorConfig(tiling=tiling))
    tta = BoatDetector(ColourModel(), DetectorConfig(tiling=tiling, flip_tta=True))
    assert {t.scale for t in plain.plan(_frame(img))} == {1.0, 0.5}
    a, b = plain.detect(_frame(img)), tta.detect(_frame(img))
    assert len(a) == len(b) == len(truth)
    for d in (a, b):
        got = sorted([*box, int(c)] for box, c in zip(d.xyxy.tolist(), d.class_id, strict=True))
        assert np.abs(np.asarray(got) - np.asarray(sorted(truth))).max() <= 1.0
    assert b.confidence.tolist() == pytest.approx(a.confidence.tolist())  # both views agree: same scores


@pytest.mark.parametrize(("conf_boat", "kept"), [(0.4, 3), (0.5, 0)])
def test_what_only_one_view_sees_keeps_half_its_score(conf_boat: float, kept: int) -> None:
    img, _ = _scene()
    cfg = DetectorConfig(conf_boat=conf_boat, conf_person=0.9, flip_tta=True)
    d = BoatDetector(OneViewModel(0.9, 0.8), cfg).detect(_frame(img))
    assert len(d) == kept
    assert d.confidence.tolist() == pytest.approx([0.45] * kept)


def test_other_scales_map_back_onto_the_frame() -> None:
    img, truth = _scene()
    tiling = TilingConfig(max_tile_px=800, overlap_px=48, coarse_pass=True, coarse_min_px=100)
    plain_model, full_model = ColourModel(), ColourModel()
    plain = BoatDetector(plain_model, DetectorConfig(tiling=tiling))
    full = BoatDetector(full_model, DetectorConfig(tiling=tiling, flip_tta=True, tta_scales=(0.83, 1.25)))
    a, b = plain.detect_image(img), full.detect_image(img)
    # the resized frames ran too: inputs of a 1245 x 581 and a 1875 x 875 frame
    assert len(full_model.shapes) > len(plain_model.shapes)
    assert len(a) == len(b) == len(truth)
    got = sorted([*box, int(c)] for box, c in zip(b.xyxy.tolist(), b.class_id, strict=True))
    assert np.abs(np.asarray(got) - np.asarray(sorted(truth))).max() <= 1.5
    assert b.confidence.tolist() == pytest.approx(a.confidence.tolist())  # all six views agree


class BigOnlyModel(ColourModel):
    """Reports only blobs at least 50 input pixels wide (a model that misses small objects)."""

    def run(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        out = super().run(batch)
        out[:, 4:, :] *= (out[:, 2, :] >= 50)[:, None, :]
        return out


@pytest.mark.parametrize(("scales", "score"), [((), None), ((1.25,), 0.45), ((0.8, 1.25), 0.3)])
def test_an_object_only_a_larger_scale_sees_is_found_at_its_share(
    scales: tuple[float, ...], score: float | None
) -> None:
    img = np.full((600, 900, 3), 90, np.uint8)
    cv2.rectangle(img, (300, 200), (343, 229), (0, 0, 255), -1)  # 44 px wide: 55 px at 1.25x
    cfg = DetectorConfig(conf_boat=0.2, tiling=TilingConfig(coarse_pass=False), tta_scales=scales)
    d = BoatDetector(BigOnlyModel(), cfg).detect_image(img)
    if score is None:
        assert len(d) == 0
        return
    assert d.confidence.tolist() == pytest.approx([score])  # its view's 0.9 over the views
    assert d.xyxy[0] == pytest.approx([300, 200, 344, 230], abs=1.0)


def test_a_posed_frame_runs_as_planned_without_other_scales() -> None:
    img, _ = _scene()
    tel = Telemetry(timestamp_s=0, lat_deg=50.88, lon_deg=1.66, alt_m=60, heading_deg=0, gimbal_pitch_deg=-30)
    one, many = ColourModel(), ColourModel()
    BoatDetector(one).detect(_frame(img, tel))
    BoatDetector(many, DetectorConfig(tta_scales=(0.83, 1.25))).detect(_frame(img, tel))
    assert many.shapes == one.shapes


@pytest.mark.parametrize("scales", [(1.0,), (0.1,), (5.0,)])
def test_tta_scales_must_be_other_sizes_within_reason(scales: tuple[float, ...]) -> None:
    with pytest.raises(ValueError, match="tta_scales"):
        DetectorConfig(tta_scales=scales)


def test_resized_views_run_native_tiles_only() -> None:
    """The frame's own coarse pass finds the large objects for every view; resized frames
    add their native tiles (a coarse pass each cost a quarter more time for the same AP50)."""
    img, _ = _scene()
    tiling = TilingConfig(max_tile_px=800, overlap_px=48, coarse_pass=True, coarse_min_px=100)
    plain_model, scaled_model = ColourModel(), ColourModel()
    BoatDetector(plain_model, DetectorConfig(tiling=tiling)).detect_image(img)
    BoatDetector(scaled_model, DetectorConfig(tiling=tiling, tta_scales=(1.25,))).detect_image(img)
    shapes = [s[2:] for s in scaled_model.shapes]
    assert len(shapes) > len(plain_model.shapes)  # the 1875 x 875 frame ran
    assert shapes.count((352, 768)) == 1  # the frame's own coarse pass (750 x 350, padded)
    resized_coarse = [t.input_hw for t in plan_tiles(1875, 875, tiling) if t.pass_name == "coarse"]
    assert resized_coarse == [(448, 960)]
    assert (448, 960) not in shapes
