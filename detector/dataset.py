"""YOLO-format folders: find the images of a split and read their label files.

Accepted: a ``data.yaml`` (or a folder holding one; its ``path`` and split entries are resolved
as ultralytics does), a folder with ``images/`` (and ``labels/`` beside it), or a folder of
images. Labels live where ultralytics looks: ``.../images/x.jpg`` -> ``.../labels/x.txt``;
one ``class cx cy w h`` line per object, normalised. A missing label file means no objects."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import yaml

from detector.boxes import yolo_to_xyxy
from detector.errors import DatasetError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


@dataclass(frozen=True, slots=True)
class Sample:
    image: Path
    label: Path


def label_path_for(image: Path) -> Path:
    parts = list(image.parts)
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            return Path(*parts).with_suffix(".txt")
    return image.with_suffix(".txt")


def images_in(d: Path) -> list[Path]:
    """Every image file under ``d``, sorted."""
    return sorted(p for p in d.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def resolve_images(path: str | Path, split: str = "val") -> list[Path]:
    p = Path(path)
    if not p.exists():
        raise DatasetError(f"dataset {str(p)!r} not found; expected a YOLO folder or its data.yaml")
    yml = p if p.is_file() else p / "data.yaml"
    if yml.is_file() and yml.suffix in (".yaml", ".yml"):
        try:
            meta = yaml.safe_load(yml.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise DatasetError(f"{str(yml)!r} is not valid YAML: {exc}") from exc
        root = Path(meta.get("path") or ".")
        if not root.is_absolute():
            root = (yml.parent / root).resolve()
        entry = meta.get(split) or meta.get("val") or meta.get("train")
        if entry is None:
            raise DatasetError(f"{str(yml)!r} has no {split!r} (or val/train) entry")
        entries = entry if isinstance(entry, list) else [entry]
        images: list[Path] = []
        for e in entries:
            q = root / str(e)
            if q.is_dir():
                images.extend(images_in(q))
            elif q.is_file() and q.suffix == ".txt":
                images.extend(
                    (root / line.strip()).resolve() for line in q.read_text().splitlines() if line.strip()
                )
            else:
                raise DatasetError(f"{str(yml)!r}: split entry {e!r} -> {str(q)!r} does not exist")
    elif p.is_dir() and (p / "images").is_dir():
        images = images_in(p / "images")
    elif p.is_dir():
        images = images_in(p)
    elif p.suffix.lower() in IMAGE_SUFFIXES:
        images = [p]
    else:
        raise DatasetError(f"{str(p)!r} is neither an image, a folder nor a data.yaml")
    if not images:
        raise DatasetError(f"no images found under {str(p)!r}")
    return images


def samples(path: str | Path, split: str = "val") -> list[Sample]:
    return [Sample(i, label_path_for(i)) for i in resolve_images(path, split)]


def read_labels(
    label: Path, width_px: int, height_px: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """(xyxy in pixels, class ids); empty arrays when the file does not exist."""
    if not label.is_file():
        return np.zeros((0, 4)), np.zeros(0, dtype=np.int64)
    rows: list[list[float]] = []
    for n, line in enumerate(label.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        vals = line.split()
        try:
            nums = [float(v) for v in vals[:5]]
        except ValueError as exc:
            raise DatasetError(f"{label}:{n}: expected 'class cx cy w h' numbers, got {line!r}") from exc
        if len(nums) != 5:
            raise DatasetError(f"{label}:{n}: expected 5 values 'class cx cy w h', got {len(vals)}")
        rows.append(nums)
    if not rows:
        return np.zeros((0, 4)), np.zeros(0, dtype=np.int64)
    a = np.asarray(rows)
    return yolo_to_xyxy(a[:, 1:5], width_px, height_px), a[:, 0].astype(np.int64)
