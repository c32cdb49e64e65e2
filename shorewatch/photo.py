"""Where a drone photo was taken from, read from the photo itself.

A drone's stills carry their camera pose: DJI writes the gimbal's attitude and the aircraft's
position and altitudes into the picture's XMP packet (``drone-dji:GimbalPitchDegree``,
``GimbalYawDegree``, ``RelativeAltitude``, ``GpsLatitude`` ...), and every camera writes the
lens's 35 mm-equivalent focal length (and usually the GPS fix) into EXIF. With them, a detection
in the picture can be put on the map the way the live pipeline does (``detector.georef``):
``shorewatch detect`` prints and exports each boat's and person's latitude and longitude.

What is read, in order of preference:

* position: XMP ``GpsLatitude`` / ``GpsLongitude`` (DJI also spells it ``GpsLongtitude``), else
  EXIF GPS;
* height of the camera above the sea-level plane the detector intersects rays with:
  XMP ``RelativeAltitude`` (above the take-off point) plus ``takeoff_alt_m`` (the take-off
  point's height above sea level: 0 to 5 m on a beach) when present, else XMP
  ``AbsoluteAltitude``, else EXIF ``GPSAltitude``. DJI's absolute altitude is barometric and often
  tens of metres off, which is why the relative one comes first;
* camera yaw: XMP ``GimbalYawDegree`` (DJI reports it against north, as the aircraft's
  ``FlightYawDegree``), else ``FlightYawDegree``;
* camera pitch: XMP ``GimbalPitchDegree`` (0 = horizon, -90 = straight down: the detector's own
  convention); roll is taken as 0 (a stabilised gimbal);
* lens: EXIF ``FocalLengthIn35mmFilm`` (the 35 mm film diagonal, 43.27 mm, spans the picture's
  diagonal), or a horizontal field of view given by the caller;
* position accuracy (optional): XMP ``RtkStdLat`` and ``RtkStdLon``, the standard deviations an
  RTK drone writes, metres, as ``Telemetry.gnss_accuracy_m`` (their quadrature sum); without them
  georeferencing states its configured GNSS error.

Anything missing or out of range is refused with the field's name and what was expected
(``PhotoPoseError``), so a photo is never placed with a made-up pose.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shorewatch.types import CameraIntrinsics, Telemetry, TypeValidationError

FILM_DIAGONAL_MM = math.hypot(36.0, 24.0)
"""The 35 mm film frame's diagonal: a 35 mm-equivalent focal length is relative to it."""

XMP_SCAN_BYTES = 512 * 1024
"""How much of the file is searched for the XMP packet (it sits in the JPEG header)."""

_NUMBER = r"([+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)"


class PhotoPoseError(ValueError):
    """The photo does not say where it was taken from (the message says which field and why)."""


@dataclass(frozen=True, slots=True)
class PhotoPose:
    """A still's camera pose and lens, and where each value came from (for the user to check)."""

    telemetry: Telemetry
    intrinsics: CameraIntrinsics
    sources: dict[str, str]

    def describe(self) -> str:
        t, i = self.telemetry, self.intrinsics
        return (
            f"camera at {t.lat_deg:.6f}, {t.lon_deg:.6f}, {t.alt_m:.1f} m above sea level "
            f"({self.sources['altitude']}), looking {t.camera_yaw_deg:.0f} deg from north, "
            f"pitch {t.gimbal_pitch_deg:.1f} deg, horizontal field of view {i.hfov_deg:.1f} deg "
            f"({self.sources['lens']})"
        )


def xmp_values(data: bytes) -> dict[str, float]:
    """The numeric ``drone-dji:`` fields of an XMP packet, written as attributes
    (``drone-dji:GimbalPitchDegree="-30.0"``) or as elements (``<drone-dji:X>-30.0</drone-dji:X>``)."""
    text = data.decode("utf-8", errors="replace")
    out: dict[str, float] = {}
    for pattern in (
        rf'drone-dji:(\w+)\s*=\s*"\s*{_NUMBER}\s*"',
        rf"<drone-dji:(\w+)>\s*{_NUMBER}\s*</drone-dji:\1>",
    ):
        for name, value in re.findall(pattern, text):
            out.setdefault(name, float(value))
    return out


IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"II*\x00", b"MM\x00*")
"""JPEG, PNG and TIFF: the formats a drone camera writes its EXIF into."""


def _exif(path: Path, head: bytes) -> tuple[dict[int, Any], dict[int, Any], tuple[int, int]]:
    """(the Exif IFD, the GPS IFD, (width, height)) of an image; empty IFDs where it has none;
    refused where EXIF says the picture is stored turned or mirrored (its pixels are then not the
    camera's upright frame that the gimbal angles describe).
    Anything but a JPEG, PNG or TIFF is refused before Pillow sees it (once ultralytics is
    imported, Pillow's ``open`` tries to fetch a HEIF plugin for files it cannot identify)."""
    from PIL import Image, UnidentifiedImageError

    if not head.startswith(IMAGE_MAGIC):
        raise PhotoPoseError(f"{path.name}: not a readable image: expected a JPEG, PNG or TIFF photo")
    try:
        with Image.open(path) as im:
            exif = im.getexif()
            orientation = exif.get(0x0112, 1)
            ifds = dict(exif.get_ifd(0x8769)), dict(exif.get_ifd(0x8825)), im.size
    except (UnidentifiedImageError, OSError, ImportError, SyntaxError, ValueError) as exc:
        raise PhotoPoseError(f"{path.name}: not a readable image ({exc})") from exc
    if orientation not in (0, 1):
        raise PhotoPoseError(
            f"{path.name}: EXIF Orientation {orientation}: the picture is stored turned or mirrored; "
            "expected the camera's own upright frame (Orientation 1), which the gimbal angles describe"
        )
    return ifds


@contextmanager
def _exif_field(path: Path, what: str) -> Iterator[None]:
    """EXIF values that do not parse as numbers are refused with the field's name."""
    try:
        yield
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise PhotoPoseError(f"{path.name}: EXIF {what} unreadable ({exc})") from exc


def _rational(v: Any) -> float:
    return float(v[0]) / float(v[1]) if isinstance(v, tuple) and len(v) == 2 else float(v)


def _gps_degrees(dms: Any, ref: Any, negative: str) -> float:
    d, m, s = (_rational(x) for x in dms)
    value = d + m / 60.0 + s / 3600.0
    return -value if str(ref).strip().upper().startswith(negative) else value


def _finite(name: str, value: float, lo: float, hi: float, expected: str) -> float:
    if not math.isfinite(value) or not lo <= value <= hi:
        raise PhotoPoseError(f"{name} = {value:g}: expected {expected}")
    return value


def read_photo_pose(
    path: str | Path, *, hfov_deg: float | None = None, takeoff_alt_m: float = 0.0
) -> PhotoPose:
    """The camera pose of a drone still (see the module docstring); ``hfov_deg`` overrides the
    lens (needed where EXIF has no 35 mm-equivalent focal length), ``takeoff_alt_m`` is the
    take-off point's height above sea level. Raises ``PhotoPoseError`` saying what is missing."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            head = fh.read(XMP_SCAN_BYTES)
    except OSError as exc:
        raise PhotoPoseError(f"{p.name}: cannot read ({exc})") from exc
    xmp = xmp_values(head)
    exif, gps, (width, height) = _exif(p, head)
    sources: dict[str, str] = {}

    if "GpsLatitude" in xmp and ("GpsLongitude" in xmp or "GpsLongtitude" in xmp):
        lat, lon = xmp["GpsLatitude"], xmp.get("GpsLongitude", xmp.get("GpsLongtitude", math.nan))
        sources["position"] = "XMP GpsLatitude/GpsLongitude"
    elif 2 in gps and 4 in gps:
        with _exif_field(p, "GPS position"):
            lat = _gps_degrees(gps[2], gps.get(1, "N"), "S")
            lon = _gps_degrees(gps[4], gps.get(3, "E"), "W")
        sources["position"] = "EXIF GPS"
    else:
        raise PhotoPoseError(
            f"{p.name}: no position: expected XMP drone-dji:GpsLatitude/GpsLongitude or an EXIF GPS fix"
        )
    lat = _finite(f"{p.name}: latitude", lat, -90, 90, "degrees in [-90, 90]")
    lon = _finite(f"{p.name}: longitude", lon, -180, 180, "degrees in [-180, 180]")
    if lat == 0.0 and lon == 0.0:
        raise PhotoPoseError(f"{p.name}: position 0, 0: the camera had no GPS fix")

    if "RelativeAltitude" in xmp:
        alt = xmp["RelativeAltitude"] + takeoff_alt_m
        sources["altitude"] = f"XMP RelativeAltitude + take-off height {takeoff_alt_m:g} m"
    elif "AbsoluteAltitude" in xmp:
        alt = xmp["AbsoluteAltitude"]
        sources["altitude"] = "XMP AbsoluteAltitude"
    elif 6 in gps:
        with _exif_field(p, "GPSAltitude"):
            alt = _rational(gps[6]) * (-1.0 if gps.get(5) in (1, b"\x01") else 1.0)
        sources["altitude"] = "EXIF GPSAltitude"
    else:
        raise PhotoPoseError(
            f"{p.name}: no altitude: expected XMP drone-dji:RelativeAltitude or AbsoluteAltitude, or EXIF GPSAltitude"
        )
    alt = _finite(f"{p.name}: camera height above sea level", alt, 0.5, 10_000, "0.5 to 10,000 m")

    if "GimbalPitchDegree" not in xmp:
        raise PhotoPoseError(
            f"{p.name}: no camera pitch: expected XMP drone-dji:GimbalPitchDegree (0 = horizon, -90 = down)"
        )
    pitch = _finite(f"{p.name}: GimbalPitchDegree", xmp["GimbalPitchDegree"], -90, 90, "-90 (down) to 90")
    yaw_key = "GimbalYawDegree" if "GimbalYawDegree" in xmp else "FlightYawDegree"
    if yaw_key not in xmp:
        raise PhotoPoseError(
            f"{p.name}: no camera heading: expected XMP drone-dji:GimbalYawDegree or FlightYawDegree"
        )
    yaw = _finite(f"{p.name}: {yaw_key}", xmp[yaw_key], -360, 360, "degrees from north") % 360.0
    sources["attitude"] = f"XMP GimbalPitchDegree, {yaw_key}"
    accuracy = None
    if "RtkStdLat" in xmp and "RtkStdLon" in xmp:
        accuracy = math.hypot(
            _finite(f"{p.name}: RtkStdLat", xmp["RtkStdLat"], 0, 10_000, "metres"),
            _finite(f"{p.name}: RtkStdLon", xmp["RtkStdLon"], 0, 10_000, "metres"),
        )
        sources["position accuracy"] = "XMP RtkStdLat, RtkStdLon"

    try:
        if hfov_deg is not None:
            intr = CameraIntrinsics.from_hfov(width, height, hfov_deg)
            sources["lens"] = f"given field of view {hfov_deg:g} deg"
        elif 0xA405 in exif and _rational(exif[0xA405]) > 0:
            f35 = _rational(exif[0xA405])
            f_px = f35 * math.hypot(width, height) / FILM_DIAGONAL_MM
            intr = CameraIntrinsics(width, height, f_px, f_px, width / 2.0, height / 2.0)
            sources["lens"] = f"EXIF FocalLengthIn35mmFilm {f35:g} mm"
        else:
            raise PhotoPoseError(
                f"{p.name}: no lens: EXIF has no FocalLengthIn35mmFilm; give the camera's horizontal "
                "field of view (shorewatch detect --hfov DEG)"
            )
        tel = Telemetry(
            timestamp_s=0.0,
            lat_deg=lat,
            lon_deg=lon,
            alt_m=alt,
            heading_deg=yaw,
            gimbal_pitch_deg=pitch,
            rel_alt_m=xmp.get("RelativeAltitude", 0.0),
            vehicle_id="photo",
            gnss_accuracy_m=accuracy,
        )
    except TypeValidationError as exc:
        raise PhotoPoseError(f"{p.name}: {exc}") from exc
    return PhotoPose(tel, intr, sources)
