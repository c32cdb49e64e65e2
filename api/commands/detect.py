"""``shorewatch detect IMAGE|VIDEO|DIR``: run the detector (tiling included) on pictures or a
clip, save annotated copies, and optionally YOLO-format ``class cx cy w h confidence`` files."""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "detect",
        help="detect boats and people in an image, a video or a folder of images",
        description="Runs the service's detect path (native-resolution tiles + a coarse pass, merged), "
        "and by default also the picture at 0.83x and 1.25x and each view's mirror image, keeping what "
        "the six views agree on (--tta flip: the picture and its mirror only; --tta none: the live "
        "service's single view). Annotated copies go to --save (default <state_dir>/detect); --save-txt writes "
        "one 'class cx cy w h confidence' line (normalised) per detection, one file per image "
        "(videos: STEM_FRAME.txt).",
    )
    p.add_argument("source", type=Path, help="an image, a video, or a folder of images")
    p.add_argument(
        "--save", type=Path, metavar="OUT", help="annotated output: a folder, or a file for one image/video"
    )
    p.add_argument("--no-save", action="store_true", help="do not write annotated copies")
    p.add_argument(
        "--save-txt",
        type=Path,
        metavar="DIR",
        help="write YOLO-format detections (with confidence) here: NAME.txt per image, in the source "
        "folder's subfolders (photo.jpg and photo.png side by side: photo.jpg.txt, photo.png.txt)",
    )
    p.add_argument(
        "--model", type=Path, help="weights (.onnx or .pt); default: SHOREWATCH_MODEL or the shipped model"
    )
    p.add_argument("--conf-boat", type=float, default=None, help="boat confidence threshold (default 0.25)")
    p.add_argument(
        "--conf-person", type=float, default=None, help="person confidence threshold (default 0.25)"
    )
    p.add_argument(
        "--no-coarse", action="store_true", help="skip the shrunk whole-frame pass for large objects"
    )
    p.add_argument(
        "--txt-conf",
        type=float,
        default=0.05,
        help="--save-txt keeps detections down to this confidence, below the thresholds of the "
        "annotated copies (default 0.05: each line carries its confidence, and scoring AP needs the "
        "low ones; give the thresholds' value to write only what the annotated copies show)",
    )
    add_tta_arguments(p, "")
    p.add_argument(
        "--geojson",
        type=Path,
        metavar="FILE",
        help="drone photos: write each detection's position (lat/lon and error in metres, from the "
        "camera pose in the photo's DJI XMP and EXIF metadata) as a GeoJSON FeatureCollection",
    )
    p.add_argument(
        "--hfov",
        type=float,
        default=None,
        metavar="DEG",
        help="the camera's horizontal field of view, for photos whose EXIF has no 35 mm-equivalent focal length",
    )
    p.add_argument(
        "--takeoff-alt",
        type=float,
        default=0.0,
        metavar="M",
        help="height of the take-off point above sea level (the photo's RelativeAltitude is above it; default 0)",
    )
    p.add_argument(
        "--sea-level",
        type=float,
        default=0.0,
        metavar="M",
        help="the sea's surface above mean sea level when the photos were taken, where positions are "
        "computed (the tide: `shorewatch tide --at TIME` prints it; default 0)",
    )
    p.add_argument("--no-pose", action="store_true", help="ignore the photos' pose metadata (no positions)")
    p.add_argument("--max-frames", type=int, default=0, help="videos: stop after this many frames (0: all)")
    p.set_defaults(func=run)


def add_tta_arguments(p: Any, scope: str) -> None:
    """``--tta full|flip|none`` and its older spelling ``--no-tta`` (``scope``: which use they apply to)."""
    from detector.model import TTA_MODES

    p.add_argument(
        "--tta",
        choices=TTA_MODES,
        default="full",
        help=f"{scope}test-time views: full (default: the picture, 0.83x and 1.25x, each mirrored; about "
        "10x the time of one view), flip (the picture and its mirror image: about 2x), none (one view, "
        "as the live service runs); more views find more boats and people (see the model card)",
    )
    p.add_argument("--no-tta", action="store_true", help=f"{scope}the same as --tta none")


def tta_mode(args: argparse.Namespace) -> str:
    return "none" if args.no_tta else str(args.tta)


def _annotate(image: Any, dets: Any) -> Any:
    import numpy as np
    import supervision as sv

    if len(dets) == 0:
        return image.copy()
    shown = dets[:]
    b = shown.xyxy.copy()
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    w, h = np.maximum(b[:, 2] - b[:, 0], 12), np.maximum(b[:, 3] - b[:, 1], 12)
    shown.xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    palette = sv.ColorPalette.from_hex(["#ff3b30", "#ffcc00"])
    labels = [f"{n} {c:.2f}" for n, c in zip(shown.data["class_name"], shown.confidence, strict=True)]
    out = sv.BoxAnnotator(color=palette, thickness=2).annotate(image.copy(), shown)
    return sv.LabelAnnotator(color=palette, text_scale=0.4, text_padding=2).annotate(
        out, shown, labels=labels
    )


def output_names(images: list[Path], root: Path | None) -> list[Path]:
    """Each image's output name, without suffix: its path under ``root`` (a folder given to
    ``detect``) with the suffix dropped, so images in subfolders keep their folders (YOLO's
    images/ -> labels/ layout; drone cameras restart DJI_0001.JPG in every flight's folder);
    images that differ only by their suffix (photo.jpg, photo.png) keep it, so no output
    overwrites another."""
    rel = [p.relative_to(root) if root is not None else Path(p.name) for p in images]
    stems = [r.with_suffix("") for r in rel]
    counts = Counter(stems)
    return [r if counts[s] > 1 else s for r, s in zip(rel, stems, strict=True)]


def yolo_lines(dets: Any, width_px: int, height_px: int) -> list[str]:
    """One ``class cx cy w h confidence`` line per detection, normalised (ultralytics' save_txt + save_conf)."""
    from detector.boxes import xyxy_to_yolo

    if len(dets) == 0:
        return []
    yb = xyxy_to_yolo(dets.xyxy, width_px, height_px)
    return [
        f"{int(c)} {x:.6f} {y:.6f} {w:.6f} {h:.6f} {float(s):.6f}"
        for c, (x, y, w, h), s in zip(dets.class_id, yb, dets.confidence, strict=True)
    ]


def _summary(name: str, dets: Any, ms: float) -> str:
    boats = int((dets.class_id == 0).sum()) if len(dets) else 0
    people = int((dets.class_id == 1).sum()) if len(dets) else 0
    return f"{name}: {boats} boat(s), {people} person(s) ({ms:.0f} ms)"


MAX_PRINTED_POSITIONS = 10


def photo_positions(
    path: Path, image: Any, dets: Any, args: argparse.Namespace, *, level: bool = True
) -> tuple[list[dict[str, Any]], str]:
    """Each detection's ground position from the photo's own pose metadata
    (``shorewatch.photo``), as GeoJSON features, and a line saying where the camera was (or why
    there are no positions). ``level``: where the photo shows the sea's horizon, the camera's
    pitch is measured on it (``detector.horizon.find_horizon``) instead of taken from XMP."""
    import dataclasses

    import numpy as np

    from detector.georef import Georeferencer
    from detector.horizon import find_horizon
    from shorewatch.geo import LocalFrame
    from shorewatch.photo import PhotoPoseError, read_photo_pose
    from shorewatch.types import Frame

    try:
        pose = read_photo_pose(path, hfov_deg=args.hfov, takeoff_alt_m=args.takeoff_alt)
    except PhotoPoseError as exc:
        return [], f"no positions: {exc}"
    # read_photo_pose refuses pictures stored turned, so the pixels are the size EXIF gives
    tel = pose.telemetry
    levelled = ""
    fix = (
        find_horizon(image, pose.intrinsics, tel.gimbal_pitch_deg, tel.alt_m - args.sea_level)
        if level
        else None
    )
    if fix is not None:
        levelled = f"; pitch {fix.pitch_deg:.2f} deg measured on the horizon (+- {fix.sigma_deg:.2f})"
        tel = dataclasses.replace(tel, gimbal_pitch_deg=fix.pitch_deg, pitch_accuracy_deg=fix.sigma_deg)
    frame = Frame(image, 0.0, "photo", 0, telemetry=tel, intrinsics=pose.intrinsics)
    pts = Georeferencer(LocalFrame(tel.lat_deg, tel.lon_deg)).locate(
        frame, dets.xyxy, dets.class_id, surface_m=args.sea_level
    )
    features: list[dict[str, Any]] = []
    for k in np.flatnonzero(pts.ok):
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(float(pts.lon_deg[k]), 7), round(float(pts.lat_deg[k]), 7)],
                },
                "properties": {
                    "image": str(path),
                    "class": str(dets.data["class_name"][k]),
                    "confidence": round(float(dets.confidence[k]), 4),
                    "error_m": round(float(pts.error_m[k]), 1),
                    # the error ellipse: long along the camera's line of sight, narrow across it
                    "error_along_m": round(float(pts.along_m[k]), 1),
                    "error_across_m": round(float(pts.across_m[k]), 1),
                    "line_of_sight_deg": round(float(pts.bearing_deg[k]), 1),
                    "xyxy": [round(float(v), 1) for v in dets.xyxy[k]],
                },
            }
        )
    off = int(len(dets) - len(features))
    note = pose.describe() + levelled + (f"; sea at {args.sea_level:+.1f} m" if args.sea_level else "")
    note += f"; {off} detection(s) above the horizon or out of range" if off else ""
    return features, note


def run(args: argparse.Namespace, settings: Any) -> int:
    import cv2
    import numpy as np
    from rich.console import Console

    from detector.dataset import IMAGE_SUFFIXES, images_in
    from detector.errors import DetectorError
    from detector.model import DetectorConfig, load_detector, tta_settings
    from detector.tiling import TilingConfig
    from shorewatch.types import CameraIntrinsics, TypeValidationError

    con = Console()
    err = Console(stderr=True)
    src: Path = args.source
    if not src.exists():
        err.print(
            f"[red]shorewatch detect: {src} not found; expected an image, a video or a folder of images[/]"
        )
        return 2
    state = settings.ensure_state_dir()
    overrides: dict[str, Any] = {
        **tta_settings(tta_mode(args)),
        "runtime": settings.runtime,
        "ship_pass": settings.ship_pass,
    }
    if args.conf_boat is not None:
        overrides["conf_boat"] = args.conf_boat
    if args.conf_person is not None:
        overrides["conf_person"] = args.conf_person
    if args.no_coarse:
        overrides["tiling"] = TilingConfig(coarse_pass=False)
    try:
        shown_cfg = DetectorConfig(**overrides)
        if not 0.0 <= args.txt_conf <= 1.0:
            raise ValueError(f"--txt-conf must be between 0 and 1, got {args.txt_conf}")
        cfg = shown_cfg
        if args.save_txt is not None:  # run down to the txt floor; annotate only what passes the thresholds
            floor = min(args.txt_conf, shown_cfg.conf_boat, shown_cfg.conf_person)
            cfg = shown_cfg.model_copy(update={"conf_boat": floor, "conf_person": floor})
        det = load_detector(args.model or settings.model, state_dir=state, config=cfg)
    except (DetectorError, ValueError) as exc:
        err.print(f"[red]shorewatch detect: {exc}[/]")
        return 2

    def shown(dets: Any) -> Any:
        """The detections that pass the thresholds (what the annotated copies and counts show)."""
        return dets[dets.confidence >= shown_cfg.thresholds(dets.class_id)] if len(dets) else dets

    is_video = src.is_file() and src.suffix.lower() in VIDEO_SUFFIXES
    if args.hfov is not None:
        try:  # the lens's own check, before any picture is run
            CameraIntrinsics.from_hfov(16, 9, args.hfov)
        except TypeValidationError as exc:
            err.print(f"[red]shorewatch detect: --hfov: {exc}[/]")
            return 2
    if args.no_pose and args.geojson is not None:
        err.print(
            "[red]shorewatch detect: --geojson needs the photos' pose metadata, which --no-pose ignores[/]"
        )
        return 2
    if is_video and args.geojson is not None:
        err.print(
            "[red]shorewatch detect: --geojson places detections with each photo's own pose metadata; "
            "a video carries no per-frame pose here (`shorewatch replay CLIP` places the detections of a clip with a .telemetry.jsonl sidecar)[/]"
        )
        return 2
    if src.is_dir():
        images = images_in(src)
        if not images:
            err.print(f"[red]shorewatch detect: no images in {src}[/]")
            return 2
    elif is_video:
        images = []
    elif src.suffix.lower() in IMAGE_SUFFIXES:
        images = [src]
    else:
        err.print(
            f"[red]shorewatch detect: {src.name}: unsupported file type; expected an image ({', '.join(IMAGE_SUFFIXES)}) or a video ({', '.join(VIDEO_SUFFIXES)})[/]"
        )
        return 2

    save = None if args.no_save else (args.save or state / "detect")
    txt_dir: Path | None = args.save_txt
    if txt_dir is not None:
        txt_dir.mkdir(parents=True, exist_ok=True)

    names = output_names(images, src if src.is_dir() else None)

    def out_path(name: Path, suffix: str) -> Path | None:
        if save is None:
            return None
        single = len(images) == 1 or is_video
        if single and save.suffix:
            save.parent.mkdir(parents=True, exist_ok=True)
            return save
        dst = save / f"{name}{suffix}"
        dst.parent.mkdir(parents=True, exist_ok=True)
        return dst

    if is_video:
        cap = cv2.VideoCapture(str(src))
        if not cap.isOpened():
            err.print(f"[red]shorewatch detect: cannot open video {src}[/]")
            return 2
        fps = cap.get(cv2.CAP_PROP_FPS) or 10.0
        writer = None
        dst = out_path(Path(src.stem), ".mp4")
        n, t_all = 0, 0.0
        while True:
            ok, frame = cap.read()
            if not ok or (args.max_frames and n >= args.max_frames):
                break
            t0 = time.perf_counter()
            dets = det.detect_image(np.asarray(frame, dtype=np.uint8))
            t_all += time.perf_counter() - t0
            h, w = frame.shape[:2]
            if txt_dir is not None:
                (txt_dir / f"{src.stem}_{n}.txt").write_text(
                    "".join(line + "\n" for line in yolo_lines(dets, w, h))
                )
            if dst is not None:
                if writer is None:
                    writer = cv2.VideoWriter(str(dst), cv2.VideoWriter.fourcc(*"mp4v"), fps, (w, h))
                writer.write(_annotate(frame, shown(dets)))
            n += 1
        cap.release()
        if writer is not None:
            writer.release()
        con.print(
            f"{src.name}: {n} frames, {n / max(t_all, 1e-9):.1f} frames/s detect"
            + (f"; annotated: {dst}" if dst else "")
        )
        return 0

    geo_features: list[dict[str, Any]] = []
    for path, name in zip(images, names, strict=True):
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            err.print(f"[yellow]{path}: not a readable image, skipped[/]")
            continue
        t0 = time.perf_counter()
        dets = det.detect_image(np.asarray(img, dtype=np.uint8))
        ms = (time.perf_counter() - t0) * 1000
        h, w = img.shape[:2]
        if txt_dir is not None:
            txt = txt_dir / f"{name}.txt"
            txt.parent.mkdir(parents=True, exist_ok=True)
            txt.write_text("".join(line + "\n" for line in yolo_lines(dets, w, h)))
        dst = out_path(name, ".jpg")
        if dst is not None:
            cv2.imwrite(str(dst), _annotate(img, shown(dets)))
        con.print(_summary(path.name, shown(dets), ms))
        if not args.no_pose:
            features, note = photo_positions(path, img, shown(dets), args, level=settings.level_on_horizon)
            if features or args.geojson is not None or args.hfov is not None:
                con.print(f"  {note}", markup=False)
            for f in features[:MAX_PRINTED_POSITIONS]:
                q = f["properties"]
                lon, lat = f["geometry"]["coordinates"]
                con.print(
                    f"  {q['class']} {q['confidence']:.2f} at {lat:.6f}, {lon:.6f} (+- {q['error_m']:.0f} m)"
                )
            if len(features) > MAX_PRINTED_POSITIONS:
                con.print(f"  ... and {len(features) - MAX_PRINTED_POSITIONS} more")
            geo_features += features
    if args.geojson is not None:
        args.geojson.parent.mkdir(parents=True, exist_ok=True)
        args.geojson.write_text(json.dumps({"type": "FeatureCollection", "features": geo_features}, indent=1))
        con.print(f"positions of {len(geo_features)} detection(s): {args.geojson}")
    if save is not None:
        con.print(f"annotated images: {save}")
    if txt_dir is not None:
        con.print(f"detections (class cx cy w h conf, down to confidence {cfg.conf_boat:g}): {txt_dir}")
    return 0
