"""Shoreline coverage: a frame shows the stretches of waterline its camera really looks at, the
sighting's ground sampling distance and detection probability follow the geometry and the
measured recall, and stretches not seen recently, or seen too coarsely, are gaps."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from detector.coverage import (
    RECALL_FILE,
    ClassRecall,
    CoverageConfig,
    CoverageError,
    CoverageMap,
    RecallCurve,
)
from shorewatch.camera import project
from shorewatch.geo import distance_m
from shorewatch.site import load_site
from shorewatch.types import DEFAULT_INTRINSICS, Frame, Telemetry

SITE = load_site(None)
IMG = np.zeros((720, 1280, 3), np.uint8)
CURVE = RecallCurve(
    boat=ClassRecall((4.0, 8.0, 16.0, 32.0), (0.1, 0.4, 0.8, 0.9)),
    person=ClassRecall((4.0, 8.0, 16.0, 32.0), (0.05, 0.3, 0.7, 0.8)),
)


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def _over(cov: CoverageMap, k: int, *, alt_m: float, pitch_deg: float, back_m: float = 0.0) -> Frame:
    """A frame from a drone ``back_m`` landward of stretch k's middle (looking seaward across it)."""
    st = cov.stretches[k]
    line = SITE.waterline_local
    d = (st.from_m + st.to_m) / 2
    a, b = line.interpolate(max(0.0, d - 1)), line.interpolate(min(line.length, d + 1))
    tx, ty = b.x - a.x, b.y - a.y
    # seaward normal: the side away from land
    nx, ny = ty, -tx
    norm = math.hypot(nx, ny)
    nx, ny = nx / norm, ny / norm
    probe_lat, probe_lon = SITE.frame.to_geo(st.mid_east_m + 30 * nx, st.mid_north_m + 30 * ny)
    if SITE.is_land(probe_lat, probe_lon):
        nx, ny = -nx, -ny
    e, n = st.mid_east_m - back_m * nx, st.mid_north_m - back_m * ny
    lat, lon = SITE.frame.to_geo(e, n)
    heading = math.degrees(math.atan2(nx, ny)) % 360
    tel = Telemetry(0.0, lat, lon, alt_m, heading, gimbal_pitch_deg=pitch_deg)
    return Frame(IMG, 0.0, "drone-1", 0, tel, DEFAULT_INTRINSICS)


def test_the_waterline_is_cut_into_stretches_that_follow_it() -> None:
    cov = CoverageMap(SITE, CoverageConfig(segment_m=100))
    lengths = [s.to_m - s.from_m for s in cov.stretches]
    assert len(cov.stretches) == math.ceil(SITE.waterline_local.length / 100 - 1e-9)
    assert max(lengths) <= 100 + 1e-6 and min(lengths) > 50
    assert cov.length_m == pytest.approx(SITE.waterline_local.length, abs=0.5)
    # consecutive stretches meet, and their ends lie on the site's waterline
    for a, b in zip(cov.stretches, cov.stretches[1:], strict=False):
        assert a.lonlat[-1] == pytest.approx(b.lonlat[0], abs=1e-6)
        assert a.to_m == pytest.approx(b.from_m)
    lon, lat = cov.stretches[0].lonlat[0]
    lon0, lat0 = SITE.waterline.coords[0]
    assert distance_m(lat, lon, lat0, lon0) < 0.5


def test_a_frame_sees_the_stretch_under_it_and_not_the_far_ones() -> None:
    cov = CoverageMap(SITE, CoverageConfig(segment_m=50, min_p_person=0.5), CURVE, clock=Clock())
    k = len(cov.stretches) // 2
    seen = cov.observe(_over(cov, k, alt_m=15, pitch_deg=-90))
    assert k in seen
    # straight down from 15 m with an 84 deg lens: the footprint is ~27 m wide, so at most 2 stretches
    assert 1 <= len(seen) <= 3 and all(abs(i - k) <= 1 for i in seen)
    props = cov.snapshot()["features"][k]["properties"]
    assert props["gap"] is False and props["source_id"] == "drone-1" and props["age_s"] == 0
    # straight down: the GSD at the middle is altitude / focal length
    assert props["gsd_m"] == pytest.approx(15 / DEFAULT_INTRINSICS.fx_px, rel=0.05)


def test_no_pose_or_looking_at_the_sky_sees_nothing() -> None:
    cov = CoverageMap(SITE, clock=Clock())
    f = _over(cov, 3, alt_m=60, pitch_deg=-90)
    assert cov.observe(Frame(IMG, 0.0, "cam", 0)) == []
    assert cov.observe(Frame(IMG, 0.0, "cam", 0, f.telemetry, None)) == []
    up = _over(cov, 3, alt_m=60, pitch_deg=10)
    assert cov.observe(up) == []
    assert cov.snapshot()["summary"]["seen_m"] == 0


def test_higher_means_coarser_and_less_likely_to_find_a_person() -> None:
    probs = []
    for alt in (30, 60, 120):
        cov = CoverageMap(SITE, CoverageConfig(segment_m=50, min_p_person=0.5), CURVE, clock=Clock())
        k = 10
        cov.observe(_over(cov, k, alt_m=alt, pitch_deg=-90))
        p = cov.snapshot()["features"][k]["properties"]
        fx = DEFAULT_INTRINSICS.fx_px
        # straight down: a person is the top of a 0.5 x 0.3 m box 1.75 m up; a boat an 8 x 2.5 m
        # box turned 45 degrees (7.4 m square in the picture), its top 1.2 m up
        assert p["person_px"] == pytest.approx(math.sqrt(0.5 * 0.3) * fx / (alt - 1.75), rel=0.05)
        assert p["boat_px"] == pytest.approx((8 + 2.5) / math.sqrt(2) * fx / (alt - 1.2), rel=0.05)
        assert p["p_person"] == pytest.approx(CURVE.recall("person", p["person_px"]), abs=5e-3)
        probs.append((p["gsd_m"], p["p_person"], p["p_boat"]))
    gsds, pp, pb = zip(*probs, strict=True)
    assert gsds[0] < gsds[1] < gsds[2]
    assert pp[0] > pp[1] > pp[2] and pb[0] >= pb[1] >= pb[2]


def test_a_coarse_sighting_is_a_gap_and_a_finer_one_fills_it() -> None:
    clock = Clock()
    cov = CoverageMap(SITE, CoverageConfig(segment_m=50, min_p_person=0.5), CURVE, clock=clock)
    k = 12
    cov.observe(_over(cov, k, alt_m=60, pitch_deg=-90))  # a person ~5 px from above: p ~0.1
    p = cov.snapshot()["features"][k]["properties"]
    assert p["p_person"] < 0.5 and p["gap"] is True
    clock.t += 5
    cov.observe(_over(cov, k, alt_m=12, pitch_deg=-90))  # ~27 px
    p = cov.snapshot()["features"][k]["properties"]
    assert p["p_person"] > 0.5 and p["gap"] is False
    # a later, coarser sighting updates "last seen" but keeps the better one of the window
    clock.t += 5
    cov.observe(_over(cov, k, alt_m=120, pitch_deg=-90))
    p = cov.snapshot()["features"][k]["properties"]
    assert p["age_s"] == 0 and p["p_person"] > 0.5 and p["gap"] is False


def test_adjacent_gaps_are_summed_up_as_runs_longest_first() -> None:
    cov = CoverageMap(SITE, CoverageConfig(segment_m=50, min_p_person=0.5), CURVE, clock=Clock())
    n = len(cov.stretches)
    fine = set(cov.observe(_over(cov, 10, alt_m=12, pitch_deg=-90)))
    coarse = set(cov.observe(_over(cov, n - 40, alt_m=300, pitch_deg=-90))) - fine
    s = cov.snapshot()["summary"]
    assert s["person_px_needed"] == pytest.approx(CURVE.person.size_for(0.5), abs=0.05)
    assert s["gaps"] == 2  # before the fine stretches, and after them (the coarse ones included)
    first, second = sorted(s["gap_runs"], key=lambda r: r["from_m"])
    assert first["from_m"] == 0 and first["to_m"] == cov.stretches[min(fine)].from_m
    assert first["reason"] == "unseen" and second["reason"] == "mixed"
    assert second["to_m"] == pytest.approx(cov.length_m, abs=0.5)
    assert s["gap_runs"][0]["length_m"] >= s["gap_runs"][1]["length_m"]  # longest first
    assert s["gap_m"] == pytest.approx(
        cov.length_m - sum(cov.stretches[i].to_m - cov.stretches[i].from_m for i in fine), abs=1
    )
    assert coarse and s["seen_m"] > s["waterline_m"] - s["gap_m"]  # coarse stretches are seen, and gaps


def test_a_stretch_not_seen_within_the_window_becomes_a_gap_again() -> None:
    clock = Clock()
    cov = CoverageMap(SITE, CoverageConfig(segment_m=50, window_s=600, min_p_person=0.5), CURVE, clock=clock)
    k = 5
    cov.observe(_over(cov, k, alt_m=12, pitch_deg=-90))
    clock.t += 599
    snap = cov.snapshot()
    assert snap["features"][k]["properties"]["gap"] is False
    assert snap["summary"]["seen_m"] > 0
    clock.t += 2
    snap = cov.snapshot()
    p = snap["features"][k]["properties"]
    assert p["gap"] is True and p["age_s"] == pytest.approx(601) and p["gsd_m"] is None
    assert snap["summary"]["seen_m"] == 0
    assert snap["summary"]["gap_m"] == pytest.approx(cov.length_m, abs=0.5)


def test_an_oblique_view_sees_far_along_the_coast_at_growing_gsd() -> None:
    cov = CoverageMap(SITE, CoverageConfig(segment_m=50, min_p_person=0.5), CURVE, clock=Clock())
    k = len(cov.stretches) // 2
    f = _over(cov, k, alt_m=45, pitch_deg=-20, back_m=200)
    seen = cov.observe(f)
    assert k in seen
    feats = cov.snapshot()["features"]
    ranges = [(feats[i]["properties"]["range_m"], feats[i]["properties"]["gsd_m"]) for i in seen]
    ranges.sort()
    assert all(r <= 2500 for r, _ in ranges)
    # further away, coarser
    assert ranges[0][1] < ranges[-1][1]
    # seen from 12.7 degrees above the horizon a standing person shows mostly its height:
    # sqrt(0.5 m x (1.75 cos + 0.3 sin)) at 205 m
    p = feats[k]["properties"]
    depression = math.atan2(45, 200)
    want = math.sqrt(0.5 * (1.75 * math.cos(depression) + 0.3 * math.sin(depression)))
    assert p["person_px"] == pytest.approx(want * DEFAULT_INTRINSICS.fx_px / math.hypot(200, 45), rel=0.1)
    # every seen stretch's middle really projects into the picture
    from detector.georef import pose_from_telemetry

    assert f.telemetry is not None
    pose = pose_from_telemetry(f.telemetry, SITE.frame)
    for i in seen:
        st = cov.stretches[i]
        px, ok = project([[st.mid_east_m, st.mid_north_m, 0.0]], pose, DEFAULT_INTRINSICS)
        assert ok[0] and 0 <= px[0, 0] < 1280 and 0 <= px[0, 1] < 720


def test_recall_curve_interpolates_and_refuses_bad_files(tmp_path: Path) -> None:
    assert CURVE.recall("boat", 4.0) == pytest.approx(0.1)
    assert CURVE.recall("boat", 2.0) == pytest.approx(0.05)  # below what was measured: down to 0 at 0
    assert CURVE.recall("person", 1000.0) == pytest.approx(0.8)  # flat beyond the largest
    assert CURVE.recall("person", math.sqrt(8 * 16)) == pytest.approx(0.5)  # halfway in log size
    assert CURVE.recall("boat", 0.0) == 0.0
    assert CURVE.person.size_for(0.5) == pytest.approx(math.sqrt(8 * 16), rel=0.02)
    assert CURVE.person.size_for(0.95) is None  # it never gets there
    with pytest.raises(CoverageError, match="ascending"):
        ClassRecall((8.0, 4.0), (0.1, 0.2))
    with pytest.raises(CoverageError, match=r"in \[0, 1\]"):
        ClassRecall((4.0, 8.0), (0.1, 1.2))
    with pytest.raises(CoverageError, match="2 values for 3 sizes"):
        ClassRecall((4.0, 8.0, 9.0), (0.1, 0.2))
    with pytest.raises(CoverageError, match="no recall file"):
        RecallCurve.load(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"boat": {"sizes_px": [4, 8], "recall": [0.1, 0.2]}}))
    with pytest.raises(CoverageError, match="expected"):
        RecallCurve.load(bad)
    bad.write_text("{nope")
    with pytest.raises(CoverageError, match="not a readable JSON"):
        RecallCurve.load(bad)


def test_bad_configuration_is_refused_with_the_field() -> None:
    from pydantic import ValidationError

    for bad in ({"segment_m": 1}, {"person_box_m": (0.5, 0.0, 1.75)}, {"min_p_person": 1.5}, {"window": 3}):
        with pytest.raises(ValidationError, match=next(iter(bad))):
            CoverageConfig(**bad)


def test_the_shipped_recall_file_loads_and_rises_with_size() -> None:
    rc = RecallCurve.load(RECALL_FILE)
    assert rc.source
    for cls in ("boat", "person"):
        assert rc.recall(cls, 64.0) > rc.recall(cls, 6.0)


def test_at_low_tide_a_stretch_is_judged_at_the_water_edge_not_at_the_mapped_line() -> None:
    cov = CoverageMap(SITE, CoverageConfig(segment_m=50), tide=lambda _t: 1.0)  # low water
    lp = SITE.launch_point("Wissant")
    e, n = SITE.frame.to_local(lp.lat_deg, lp.lon_deg)
    k = int(np.argmin([math.hypot(s.mid_east_m - e, s.mid_north_m - n) for s in cov.stretches]))
    drying = float(SITE.water_edge_shift_m(cov.stretches[k].mid_east_m, cov.stretches[k].mid_north_m, 1.0)[0])
    assert drying > 300
    # straight down over the mapped waterline: dry sand at low water, the water's edge is not in view
    assert k not in cov.observe(_over(cov, k, alt_m=30, pitch_deg=-90))
    # straight down over the low-tide edge (the drone "back_m" negative: seaward of the line)
    assert k in cov.observe(_over(cov, k, alt_m=30, pitch_deg=-90, back_m=-drying))
    # the tide unknown: the mapped waterline, as before
    cov.tide = lambda _t: None
    assert k in cov.observe(_over(cov, k, alt_m=30, pitch_deg=-90))
