"""A drone photo's own metadata gives its camera pose: DJI XMP fields (both layouts, DJI's
misspelling), EXIF lens and GPS, in the detector's conventions; whatever is missing is refused
by name, never guessed."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from shorewatch.photo import FILM_DIAGONAL_MM, PhotoPoseError, read_photo_pose, xmp_values
from tests.shorewatch.photo_files import write_drone_jpeg

IMG = np.full((300, 400, 3), 120, np.uint8)
DJI = {
    "GpsLatitude": "50.8872738",
    "GpsLongitude": "1.6610707",
    "AbsoluteAltitude": "+97.40",
    "RelativeAltitude": "+45.00",
    "GimbalRollDegree": "+0.00",
    "GimbalYawDegree": "-58.90",
    "GimbalPitchDegree": "-22.00",
    "FlightYawDegree": "+50.90",
}


def test_dji_xmp_and_exif_lens_give_the_pose(tmp_path: Path) -> None:
    p = write_drone_jpeg(tmp_path / "DJI_0001.JPG", IMG, DJI, focal_35mm=24)
    pose = read_photo_pose(p, takeoff_alt_m=3.0)
    t, i = pose.telemetry, pose.intrinsics
    assert (t.lat_deg, t.lon_deg) == (50.8872738, 1.6610707)
    assert t.alt_m == pytest.approx(48.0)  # relative altitude + take-off height, not the barometric absolute
    assert t.camera_yaw_deg == pytest.approx(301.1)  # -58.9 deg from north, wrapped
    assert t.gimbal_pitch_deg == -22.0
    # 24 mm equivalent: the film diagonal spans the picture's diagonal
    diag_fov = 2 * math.degrees(math.atan(FILM_DIAGONAL_MM / 2 / 24))
    got = 2 * math.degrees(math.atan(math.hypot(400, 300) / 2 / i.fx_px))
    assert got == pytest.approx(diag_fov)
    assert (i.width_px, i.height_px, i.cx_px, i.cy_px) == (400, 300, 200.0, 150.0)
    assert "RelativeAltitude" in pose.sources["altitude"]
    assert "FocalLengthIn35mmFilm 24" in pose.sources["lens"]
    assert "-22.0 deg" in pose.describe()


def test_an_rtk_drones_position_accuracy_is_read(tmp_path: Path) -> None:
    rtk = write_drone_jpeg(
        tmp_path / "rtk.jpg",
        IMG,
        {**DJI, "RtkFlag": "50", "RtkStdLat": "0.030", "RtkStdLon": "0.040"},
        focal_35mm=24,
    )
    assert read_photo_pose(rtk).telemetry.gnss_accuracy_m == pytest.approx(0.05)
    plain = write_drone_jpeg(tmp_path / "plain.jpg", IMG, DJI, focal_35mm=24)
    assert read_photo_pose(plain).telemetry.gnss_accuracy_m is None
    bad = write_drone_jpeg(
        tmp_path / "bad.jpg", IMG, {**DJI, "RtkStdLat": "-1", "RtkStdLon": "0.04"}, focal_35mm=24
    )
    with pytest.raises(PhotoPoseError, match="RtkStdLat"):
        read_photo_pose(bad)


def test_element_layout_misspelt_longitude_and_absolute_altitude(tmp_path: Path) -> None:
    fields = {
        k: v for k, v in DJI.items() if k not in ("GpsLongitude", "RelativeAltitude", "GimbalYawDegree")
    }
    fields["GpsLongtitude"] = "-4.25"  # older DJI firmware's spelling
    p = write_drone_jpeg(tmp_path / "a.jpg", IMG, fields, elements=True)
    pose = read_photo_pose(p, hfov_deg=70.0)
    assert pose.telemetry.lon_deg == -4.25
    assert pose.telemetry.alt_m == pytest.approx(97.4)
    assert pose.telemetry.camera_yaw_deg == pytest.approx(50.9)  # no gimbal yaw: the aircraft's
    assert pose.intrinsics.hfov_deg == pytest.approx(70.0)


def test_exif_gps_fills_in_for_a_camera_without_xmp_position(tmp_path: Path) -> None:
    fields = {k: DJI[k] for k in ("GimbalPitchDegree", "GimbalYawDegree")}
    p = write_drone_jpeg(tmp_path / "b.jpg", IMG, fields, focal_35mm=35, gps=(-33.85, -151.2, 60.0))
    t = read_photo_pose(p).telemetry
    assert t.lat_deg == pytest.approx(-33.85, abs=1e-6)  # south and west are negative
    assert t.lon_deg == pytest.approx(-151.2, abs=1e-6)
    assert t.alt_m == pytest.approx(60.0)


@pytest.mark.parametrize(
    ("drop", "extra", "kwargs", "says"),
    [
        (("GimbalPitchDegree",), {}, {}, "GimbalPitchDegree"),
        (("GpsLatitude", "GpsLongitude"), {}, {}, "no position"),
        (("RelativeAltitude", "AbsoluteAltitude"), {}, {}, "no altitude"),
        (("GimbalYawDegree", "FlightYawDegree"), {}, {}, "no camera heading"),
        ((), {"GpsLatitude": "0", "GpsLongitude": "0"}, {}, "no GPS fix"),
        ((), {"GpsLatitude": "123.4"}, {}, "latitude"),
        ((), {"GimbalPitchDegree": "-135"}, {}, "-90 (down) to 90"),
        ((), {"RelativeAltitude": "-2"}, {}, "0.5 to 10,000 m"),
        ((), {}, {"focal": None}, "--hfov"),
    ],
)
def test_missing_or_bad_fields_are_refused_by_name(
    tmp_path: Path, drop: tuple[str, ...], extra: dict[str, str], kwargs: dict[str, None], says: str
) -> None:
    fields = {k: v for k, v in DJI.items() if k not in drop} | extra
    focal = kwargs.get("focal", 24)
    p = write_drone_jpeg(tmp_path / "c.jpg", IMG, fields, focal_35mm=focal)
    with pytest.raises(PhotoPoseError, match=r"c\.jpg") as exc:
        read_photo_pose(p)
    assert says in str(exc.value)


def test_a_picture_stored_turned_is_refused(tmp_path: Path) -> None:
    """A rotated phone-style picture's pixels are not the frame the gimbal angles describe."""
    p = write_drone_jpeg(tmp_path / "turned.jpg", IMG, DJI, focal_35mm=24, orientation=3)
    with pytest.raises(PhotoPoseError, match="Orientation 3"):
        read_photo_pose(p)
    upright = write_drone_jpeg(tmp_path / "upright.jpg", IMG, DJI, focal_35mm=24, orientation=1)
    assert read_photo_pose(upright).telemetry.gimbal_pitch_deg == -22.0


def test_a_plain_picture_or_not_a_picture_is_refused(tmp_path: Path) -> None:
    plain = write_drone_jpeg(tmp_path / "webcam.jpg", IMG)
    with pytest.raises(PhotoPoseError, match="no position"):
        read_photo_pose(plain)
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not a jpeg at all")
    with pytest.raises(PhotoPoseError, match="not a readable image"):
        read_photo_pose(junk)
    cut = tmp_path / "cut.jpg"  # a JPEG cut short after its header
    cut.write_bytes(plain.read_bytes()[:40])
    with pytest.raises(PhotoPoseError, match=r"cut\.jpg"):
        read_photo_pose(cut)


def test_refusals_hold_once_ultralytics_has_patched_pillow(tmp_path: Path) -> None:
    """ultralytics replaces Pillow's open with one that fetches a HEIF plugin for unknown files:
    a bad file must still be a clear refusal, not an import error (as in the full test run)."""
    import ultralytics  # noqa: F401  (its import installs the patch)

    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"\xff\xd8\xff" + b"garbage" * 10)
    with pytest.raises(PhotoPoseError, match=r"junk\.jpg"):
        read_photo_pose(junk)
    (tmp_path / "x.heic").write_bytes(b"\x00\x00\x00\x18ftypheic")
    with pytest.raises(PhotoPoseError, match="expected a JPEG, PNG or TIFF"):
        read_photo_pose(tmp_path / "x.heic")


def test_xmp_values_reads_signed_and_exponent_numbers_and_skips_text() -> None:
    text = b'drone-dji:A="+1.5" drone-dji:B="-2e1" drone-dji:Model="FC3582" <drone-dji:C> 7 </drone-dji:C>'
    assert xmp_values(text) == {"A": 1.5, "B": -20.0, "C": 7.0}
