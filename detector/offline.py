"""Keep ultralytics offline: call ``configure(state_dir)`` before its first import.

Sets YOLO_OFFLINE / YOLO_AUTOINSTALL, points YOLO_CONFIG_DIR into the state directory, puts a
TrueType font where ultralytics looks for Arial.ttf (so plotting never fetches one), and turns
settings sync off."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

logger = logging.getLogger(__name__)

_FONT_NAMES = ("Arial.ttf", "Arial.Unicode.ttf")


def _find_font() -> Path | None:
    try:
        import matplotlib

        p = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
        if p.is_file():
            return p
    except Exception:  # matplotlib missing: try the system fonts
        pass
    for cand in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        if Path(cand).is_file():
            return Path(cand)
    return None


def configure(state_dir: str | Path) -> Path:
    """Idempotent; returns ultralytics' config dir."""
    cfg = Path(state_dir).resolve() / "ultralytics"
    (cfg / "Ultralytics").mkdir(parents=True, exist_ok=True)
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ["YOLO_AUTOINSTALL"] = "0"
    os.environ["YOLO_CONFIG_DIR"] = str(cfg)
    os.environ.setdefault("YOLO_VERBOSE", "False")
    os.environ.setdefault("CI", "true")  # stops OpenVINO telemetry
    cfg = Path(os.environ["YOLO_CONFIG_DIR"])
    font = _find_font()
    for sub in (cfg, cfg / "Ultralytics"):
        sub.mkdir(parents=True, exist_ok=True)
        for name in _FONT_NAMES:
            if font is not None and not (sub / name).exists():
                shutil.copyfile(font, sub / name)
    settings = cfg / "Ultralytics" / "settings.json"
    if not settings.exists():
        # Written before ultralytics first loads, so it never tries to sync or fetch.
        settings.write_text('{"sync": false, "api_key": "", "hub": false}\n')
    return cfg


def disable_sync() -> None:
    """After ultralytics is imported: make sure its settings say no sync, no hub."""
    from ultralytics.utils import SETTINGS

    changes = {
        k: False
        for k in (
            "sync",
            "hub",
            "clearml",
            "comet",
            "dvc",
            "mlflow",
            "neptune",
            "raytune",
            "tensorboard",
            "wandb",
        )
        if k in SETTINGS and SETTINGS.get(k)
    }
    if changes:
        SETTINGS.update(changes)
