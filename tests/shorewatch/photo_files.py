"""Drone-style JPEGs for the tests: DJI XMP fields in an APP1 segment and EXIF lens/GPS tags,
written the way a DJI camera lays them out (PIL writes the EXIF, the XMP packet is spliced in
after the start-of-image marker)."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"


def _dms(deg: float) -> tuple[float, float, float]:
    d = int(abs(deg))
    m = int((abs(deg) - d) * 60)
    s = (abs(deg) - d - m / 60) * 3600
    return (float(d), float(m), round(s, 4))


def xmp_packet(fields: dict[str, float | str], *, elements: bool = False) -> bytes:
    if elements:
        body = "".join(f"<drone-dji:{k}>{v}</drone-dji:{k}>" for k, v in fields.items())
        desc = f'<rdf:Description rdf:about="DJI Meta Data">{body}</rdf:Description>'
    else:
        attrs = " ".join(f'drone-dji:{k}="{v}"' for k, v in fields.items())
        desc = f'<rdf:Description rdf:about="DJI Meta Data" {attrs}/>'
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/">'
        f"{desc}</rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def write_drone_jpeg(
    path: Path,
    bgr: npt.NDArray[np.uint8],
    xmp: dict[str, float | str] | None = None,
    *,
    focal_35mm: float | None = None,
    gps: tuple[float, float, float] | None = None,
    elements: bool = False,
    orientation: int | None = None,
) -> Path:
    """``bgr`` saved as a JPEG with the given DJI XMP fields, EXIF FocalLengthIn35mmFilm and an
    EXIF GPS fix (lat, lon, altitude)."""
    im = Image.fromarray(np.ascontiguousarray(bgr[:, :, ::-1]))
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if focal_35mm is not None:
        exif.get_ifd(0x8769)[0xA405] = round(focal_35mm)
    if gps is not None:
        lat, lon, alt = gps
        g = exif.get_ifd(0x8825)
        g.update({1: "N" if lat >= 0 else "S", 2: _dms(lat), 3: "E" if lon >= 0 else "W", 4: _dms(lon)})
        g.update({5: 0, 6: float(alt)})
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=92, exif=exif.tobytes())
    data = buf.getvalue()
    if xmp:
        payload = XMP_HEADER + xmp_packet(xmp, elements=elements)
        data = data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:]
    path.write_bytes(data)
    return path
