"""``BoatDetector``: a YOLO boat/person detector run over tiles, returning ``sv.Detections``.

Two inference backends behind one small protocol (``InferenceBackend.run(batch)`` ->
raw YOLO head output, B x (4 + classes) x anchors, boxes as centre/size in input pixels):

* ``OnnxBackend``: an exported ``.onnx`` (dynamic batch and size) in onnxruntime; needs no
  ultralytics at all, so it also loads fastest. The shipped default.
* ``TorchBackend``: a ``.pt`` checkpoint as a plain fused torch module (loaded through
  ``detector.yolo``, the only ultralytics importer).

Tiles of equal input shape run as one batch; per-tile NMS, then a cross-tile merge
(``detector.boxes.merge_tiled``), then per-class confidence thresholds.
"""

from __future__ import annotations

import ast
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import cv2
import numpy as np
import numpy.typing as npt
import supervision as sv
from pydantic import BaseModel, ConfigDict, Field, field_validator

from detector.boxes import Merged, fuse_views, merge_tiled, nms, pairwise_iou
from detector.errors import ModelLoadError
from detector.georef import pose_for_frame
from detector.tiling import Tile, TilingConfig, plan_tiles
from detector.verdict import int8_trusted
from shorewatch.types import CLASS_NAMES, Frame

logger = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
MODEL_STEM = "shorewatch-boats"
SHIP_MODEL_STEM = "shorewatch-ships"  # the ship pass's own weights (see ``load_detector``)
PAD_VALUE = 114
MAX_CANDIDATES = 3000  # per tile, before NMS
OV_STATIC_AFTER = 3  # OpenVINO: an input shape seen this often gets its own static model
OV_STATIC_SHAPES = 8  # at most this many (a posed stream's changing bands stay dynamic)


def default_model_path(models_dir: Path = MODELS_DIR) -> Path:
    """The shipped model: the int8 ONNX when its verdict (``shorewatch-boats-int8.json``, see
    ``detector.verdict``) says it passed validation against the float ONNX next to it, else
    ``shorewatch-boats.onnx``, else the ``.pt``."""
    int8 = models_dir / f"{MODEL_STEM}-int8.onnx"
    fp32 = models_dir / f"{MODEL_STEM}.onnx"
    if int8.is_file():
        ok, why = int8_trusted(int8, fp32)
        if ok:
            return int8
        logger.info("not using %s by default: %s", int8.name, why)
    for p in (fp32, models_dir / f"{MODEL_STEM}.pt"):
        if p.is_file():
            return p
    return fp32


TTA_MODES = ("full", "flip", "none")
TTA_SCALES = (0.83, 1.25)  # with the frame itself: three sizes, each also mirrored


def tta_settings(mode: str) -> dict[str, Any]:
    """``DetectorConfig`` fields for a test-time augmentation mode: ``full`` (the frame, 0.83x and
    1.25x, each also mirrored: six views fused), ``flip`` (the frame and its mirror image),
    ``none`` (one view, as the live service runs)."""
    if mode not in TTA_MODES:
        raise ValueError(f"TTA mode must be one of {', '.join(TTA_MODES)}, got {mode!r}")
    return {"flip_tta": mode != "none", "tta_scales": TTA_SCALES if mode == "full" else ()}


class DetectorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    conf_boat: float = Field(0.25, ge=0.0, le=1.0, description="minimum confidence for a boat")
    conf_person: float = Field(0.25, ge=0.0, le=1.0, description="minimum confidence for a person")
    nms_iou: float = Field(
        0.6, gt=0.0, le=1.0, description="IoU above which one tile's boxes suppress each other"
    )
    merge_iou: float = Field(
        0.5, gt=0.0, le=1.0, description="IoU above which boxes from different tiles merge"
    )
    merge_ios: float = Field(
        0.6, gt=0.0, le=1.0, description="intersection-over-smaller above which boxes merge"
    )
    merge_across_tiles_only: bool = Field(
        True, description="merge only boxes of different tiles (one tile's boxes are already NMS'd)"
    )
    max_det: int = Field(300, ge=1, le=10_000, description="most detections returned per frame")
    flip_tta: bool = Field(
        False,
        description=(
            "also run every tile (of every tta_scales size) mirrored left to right and keep what "
            "the views agree on "
            "(detector.boxes.fuse_views): about twice the inference time for fewer false alarms "
            "and better ranked detections; `shorewatch detect` and `eval --data` turn it on"
        ),
    )
    tta_scales: tuple[float, ...] = Field(
        (),
        max_length=4,
        description=(
            "frames without a pose also run resized by each of these factors (0.25-4, not 1), each "
            "a further view (its native tiles, mirrored too with flip_tta; the frame's coarse pass "
            "serves them all), fused as the mirror view is "
            "(detector.boxes.fuse_views): objects are found at the sizes the model knows best, for "
            "the time of the resized frames' tiles; `shorewatch detect` and `eval --data` use "
            "TTA_SCALES (0.83, 1.25) with the mirror view, about 10x one view's time"
        ),
    )
    tta_iou: float = Field(
        0.55, gt=0.0, le=1.0, description="IoU at which boxes of different views are one object"
    )
    tta_min_px: float = Field(
        16.0, ge=0.0, le=256.0, description="the views' boxes are compared as if at least this big"
    )
    max_batch: int = Field(8, ge=1, le=64, description="most tiles per inference call")
    threads: int = Field(0, ge=0, le=256, description="inference threads (0: the runtime's default)")
    runtime: Literal["auto", "onnxruntime", "openvino"] = Field(
        "auto",
        description="what runs an ONNX model: onnxruntime, or OpenVINO (the float model, in bfloat16 "
        "on CPUs that compute it natively; the default model is then the float ONNX); auto: OpenVINO "
        "where it is installed and the CPU has native bfloat16, else onnxruntime (int8 by its verdict)",
    )
    ship_pass: bool = Field(
        True,
        description=(
            "run the ship pass (the whole frame at tiling.ship_px, frames without a pose) when a "
            "ship model is loaded: ships that fill a lock or port webcam's frame"
        ),
    )
    tiling: TilingConfig = Field(default_factory=TilingConfig, description="how frames are cut into tiles")

    @field_validator("tta_scales")
    @classmethod
    def _check_scales(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        for f in v:
            if not 0.25 <= f <= 4.0 or f == 1.0:
                raise ValueError(
                    f"tta_scales: each factor must be 0.25-4 and not 1 (the frame itself), got {f:g}"
                )
        return v

    def threshold(self, class_id: int) -> float:
        return self.conf_boat if class_id == 0 else self.conf_person

    def thresholds(self, class_ids: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """``threshold`` for every detection of an array of class ids."""
        return np.where(np.asarray(class_ids) == 0, self.conf_boat, self.conf_person).astype(np.float64)


class InferenceBackend(Protocol):
    names: tuple[str, ...]

    def run(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]: ...

    def describe(self) -> str: ...


def _check_names(names: dict[int, str] | tuple[str, ...], path: Path) -> tuple[str, ...]:
    seq = tuple(names[i] for i in range(len(names))) if isinstance(names, dict) else tuple(names)
    if seq != CLASS_NAMES:
        raise ModelLoadError(
            f"{str(path)!r} detects {list(seq)}; shorewatch expects exactly {list(CLASS_NAMES)} "
            "(train one with `shorewatch train`)"
        )
    return seq


def _parse_names(raw_text: str, path: Path) -> tuple[str, ...]:
    try:
        raw = ast.literal_eval(raw_text or "{}")
    except (ValueError, SyntaxError) as exc:
        raise ModelLoadError(f"{str(path)!r}: unreadable class names in its metadata") from exc
    return _check_names(raw, path)


_OV_BF16: list[bool] = []


def openvino_bf16() -> bool:
    """Whether OpenVINO is installed and this CPU computes bfloat16 natively (AMX, AVX-512 BF16):
    where ``runtime='auto'`` picks OpenVINO. Asked once per process."""
    if not _OV_BF16:
        try:
            import openvino as ov

            _OV_BF16.append("BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"))
        except Exception:  # not installed, or no CPU plugin: onnxruntime it is
            _OV_BF16.append(False)
    return _OV_BF16[0]


class OpenVinoBackend:
    """The float ONNX through OpenVINO's CPU plugin, in bfloat16 where the CPU computes it natively
    (AMX / AVX-512 BF16: about 1.7x onnxruntime's float speed on such a machine), else float32.
    Not for the int8 QDQ model: OpenVINO runs that one slower than onnxruntime does."""

    def __init__(self, path: Path, threads: int = 0) -> None:
        try:
            import openvino as ov
        except ImportError as exc:
            raise ModelLoadError(
                "the OpenVINO runtime is not installed (pip install openvino), or pick runtime 'onnxruntime'"
            ) from exc
        if path.name.endswith("-int8.onnx"):
            raise ModelLoadError(
                f"{str(path)!r}: OpenVINO runs the int8 QDQ model slower than onnxruntime; give it the float "
                "ONNX (models/shorewatch-boats.onnx) or use runtime 'onnxruntime'"
            )
        try:
            core = ov.Core()
            caps = core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
        except RuntimeError as exc:
            raise ModelLoadError(
                f"OpenVINO has no CPU plugin here ({exc}); use runtime 'onnxruntime'"
            ) from exc
        self.precision = "bf16" if "BF16" in caps else "f32"
        props: dict[str, object] = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": self.precision}
        if threads:
            props["INFERENCE_NUM_THREADS"] = threads
        self._core, self._props = core, props
        try:
            model = core.read_model(str(path))
            names = (
                model.get_rt_info(["framework", "names"]).astype(str)
                if model.has_rt_info(["framework", "names"])
                else ""
            )
            self._compiled = core.compile_model(model, "CPU", props)
        except RuntimeError as exc:
            raise ModelLoadError(f"cannot load ONNX model {str(path)!r} into OpenVINO: {exc}") from exc
        self.names = _parse_names(names, path)
        self._request = self._compiled.create_infer_request()
        # input shapes seen often get a model compiled for exactly that shape (a quarter faster
        # than the dynamic one when tile and coarse shapes alternate); rare ones run dynamic
        self._seen: dict[tuple[int, ...], int] = {}
        self._static: dict[tuple[int, ...], Any] = {}
        self._lock = threading.Lock()  # one infer request per model: one batch at a time
        self.path = path

    def _request_for(self, shape: tuple[int, ...]) -> Any:
        if shape in self._static:
            return self._static[shape]
        self._seen[shape] = self._seen.get(shape, 0) + 1
        if self._seen[shape] >= OV_STATIC_AFTER and len(self._static) < OV_STATIC_SHAPES:
            try:
                model = self._core.read_model(str(self.path))
                model.reshape({0: list(shape)})
                self._static[shape] = self._core.compile_model(
                    model, "CPU", self._props
                ).create_infer_request()
                return self._static[shape]
            except RuntimeError as exc:  # keep the dynamic model; never fail a frame over this
                logger.warning("OpenVINO: no static model for input %s (%s); staying dynamic", shape, exc)
                self._seen[shape] = -(10**9)
        return self._request

    def run(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        with self._lock:
            req = self._request_for(tuple(batch.shape))
            out = req.infer({0: batch})[0]
            return np.array(out, dtype=np.float32)  # a copy: the request reuses its buffer

    def describe(self) -> str:
        return f"openvino {self.path.name} ({self.precision})"


class OnnxBackend:
    def __init__(self, path: Path, threads: int = 0) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        # one batch at a time through one graph: sequential execution, all threads inside the ops
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.intra_op_num_threads = threads or (os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # no busy-waiting between ops: on a shared CPU spinning threads steal time from everyone
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
            raise ModelLoadError(f"cannot load ONNX model {str(path)!r}: {exc}") from exc
        self.names = _parse_names(self._sess.get_modelmeta().custom_metadata_map.get("names", ""), path)
        self._input = self._sess.get_inputs()[0].name
        self.path = path

    def run(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        return np.asarray(self._sess.run(None, {self._input: batch})[0], dtype=np.float32)

    def describe(self) -> str:
        return f"onnxruntime {self.path.name}"


class TorchBackend:
    def __init__(self, path: Path, state_dir: str | Path, threads: int = 0) -> None:
        import torch

        from detector import yolo

        self._torch = torch
        self._net, names = yolo.load_torch_model(path, state_dir)
        self.names = _check_names(names, path)
        self.path = path
        self._run_lock = threading.Lock()  # ultralytics' head caches anchors per input shape: not thread-safe
        if threads:
            torch.set_num_threads(threads)

    def run(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        with self._run_lock, self._torch.inference_mode():
            out = self._net(self._torch.from_numpy(batch))
        y = out[0] if isinstance(out, list | tuple) else out
        return np.asarray(y.float().numpy(), dtype=np.float32)

    def describe(self) -> str:
        return f"torch {self.path.name}"


_TileDetections = tuple[
    npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.bool_]
]
"""One tile's detections in frame pixels: boxes, scores, classes, cut-by-the-tile-border flags."""


@dataclass(frozen=True, slots=True)
class DetectStats:
    tiles: int
    batches: int
    infer_s: float
    total_s: float


def _fill_input(slot: npt.NDArray[np.float32], image: npt.NDArray[np.uint8], tile: Tile) -> None:
    """Write one tile's model input (RGB, CHW, 0..1, padded with grey 114) into ``slot``, a
    3 x H x W view of the batch: one pass over the pixels, no intermediate float copies."""
    crop = image[tile.y0 : tile.y1, tile.x0 : tile.x1]
    if tile.scale != 1.0:
        w = max(1, round(tile.width_px * tile.scale))
        h = max(1, round(tile.height_px * tile.scale))
        interp = cv2.INTER_AREA if tile.scale < 1.0 else cv2.INTER_LINEAR
        crop = np.asarray(cv2.resize(crop, (w, h), interpolation=interp), dtype=np.uint8)
    h, w = crop.shape[:2]
    slot[:, h:, :] = PAD_VALUE / 255.0
    slot[:, :h, w:] = PAD_VALUE / 255.0
    # BGR HWC uint8 -> RGB CHW float32, scaled, straight into the batch
    np.multiply(crop.transpose(2, 0, 1)[::-1], np.float32(1 / 255.0), out=slot[:, :h, :w], casting="unsafe")


def _batch_input(image: npt.NDArray[np.uint8], tiles: list[Tile]) -> npt.NDArray[np.float32]:
    """The model input for tiles of one input shape, as one N x 3 x H x W batch."""
    h_in, w_in = tiles[0].input_hw
    batch = np.empty((len(tiles), 3, h_in, w_in), dtype=np.float32)
    for slot, t in zip(batch, tiles, strict=True):
        _fill_input(slot, image, t)
    return batch


class BoatDetector:
    """Detects boats and people in a ``Frame``; safe to call from several threads."""

    def __init__(
        self,
        backend: InferenceBackend,
        config: DetectorConfig | None = None,
        *,
        source: str = "",
        ship_backend: InferenceBackend | None = None,
    ) -> None:
        self.backend = backend
        self.ship_backend = ship_backend  # runs the ship pass, when there is one
        self.config = config or DetectorConfig()
        self.source = source
        self.last_stats: DetectStats | None = None
        self._lock = threading.Lock()

    def with_config(self, config: DetectorConfig) -> BoatDetector:
        """The same loaded model(s) with other thresholds/tiling (shares the backends)."""
        return BoatDetector(self.backend, config, source=self.source, ship_backend=self.ship_backend)

    @property
    def ships(self) -> bool:
        """Whether frames without a pose also get the ship pass (a ship model is loaded and on)."""
        return self.ship_backend is not None and self.config.ship_pass and self.config.tiling.ship_px > 0

    def describe(self) -> str:
        c = self.config
        return (
            f"{self.backend.describe()}, classes {'/'.join(self.backend.names)}, "
            f"tiles <= {c.tiling.max_tile_px}px (+coarse at {c.tiling.coarse_scale:g}x, >= {c.tiling.coarse_px}px), "
            f"conf boat >= {c.conf_boat:g}, person >= {c.conf_person:g}"
            + (
                f", ship pass at {c.tiling.ship_px}px ({self.ship_backend.describe()})"
                if self.ships and self.ship_backend is not None
                else ""
            )
        )

    def plan(self, frame: Frame) -> list[Tile]:
        h, w = frame.image.shape[:2]
        pose = pose_for_frame(frame)
        intr = frame.intrinsics if pose is not None else None
        return plan_tiles(w, h, self.config.tiling, pose, intr, ships=self.ships)

    def detect(self, frame: Frame) -> sv.Detections:
        return self.detect_image(frame.image, self.plan(frame))

    def detect_image(self, image: npt.NDArray[np.uint8], tiles: list[Tile] | None = None) -> sv.Detections:
        """Detect on a bare BGR image (no pose: the native + coarse (+ ship) plan unless ``tiles``
        given). Ship-pass tiles run on the ship model (else the main one), one view, and their
        boats are added to the rest unless one of them, reported, already covers it (IoU >=
        ``merge_iou``): merged like tiles, a confident piece of a ship (a window row, the bridge) would absorb
        the whole ship's box. Without ``tiles``, ``tta_scales`` adds the frame resized by each
        factor as further views (a caller's plan, such as a posed frame's, runs as planned)."""
        t0 = time.perf_counter()
        h, w = image.shape[:2]
        cfg = self.config
        scales = cfg.tta_scales if tiles is None else ()
        if tiles is None:
            tiles = plan_tiles(w, h, cfg.tiling, ships=self.ships)
        ship_tiles = [t for t in tiles if t.pass_name == "ship"]
        tiles = [t for t in tiles if t.pass_name != "ship"]
        if not tiles and not ship_tiles:
            self.last_stats = DetectStats(0, 0, 0.0, time.perf_counter() - t0)
            return _empty()
        n_tiles, infer_s, batches = len(tiles) + len(ship_tiles), 0.0, 0
        if tiles:
            fused = cfg.flip_tta or bool(scales)
            per_view, infer_s, batches = self._views(image, tiles, fused)
            # no coarse pass for the resized frames: the frame's own covers large objects (with
            # one per resized frame too, real-dev AP50 was the same at a quarter more time)
            native_only = cfg.tiling.model_copy(update={"coarse_pass": False})
            for f in scales:
                sw, sh = max(1, round(w * f)), max(1, round(h * f))
                interp = cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
                resized: npt.NDArray[np.uint8] = np.asarray(cv2.resize(image, (sw, sh), interpolation=interp))
                scaled_tiles = plan_tiles(sw, sh, native_only)
                views, s_infer, s_batches = self._views(resized, scaled_tiles, fused)
                back = np.array([w / sw, h / sh, w / sw, h / sh])
                per_view += [Merged(v.xyxy * back, v.confidence, v.class_id) for v in views]
                n_tiles += len(scaled_tiles)
                infer_s += s_infer
                batches += s_batches
            merged = fuse_views(per_view, cfg.tta_iou, cfg.tta_min_px) if len(per_view) > 1 else per_view[0]
        else:
            merged = Merged(np.zeros((0, 4)), np.zeros(0), np.zeros(0, np.int64))
        if ship_tiles:
            ti = time.perf_counter()
            ships = self._ship_pass(image, ship_tiles)
            infer_s += time.perf_counter() - ti
            batches += 1
            # a boat the other passes report (at or above the boat threshold) is not added twice;
            # one they saw below it does not hide a ship the ship pass is sure of
            reported = merged.xyxy[(merged.class_id == 0) & (merged.confidence >= cfg.conf_boat)]
            if len(ships.xyxy) and len(reported):
                new = pairwise_iou(ships.xyxy, reported).max(axis=1) < cfg.merge_iou
                ships = Merged(ships.xyxy[new], ships.confidence[new], ships.class_id[new])
            merged = Merged(
                np.concatenate([merged.xyxy, ships.xyxy]),
                np.concatenate([merged.confidence, ships.confidence]),
                np.concatenate([merged.class_id, ships.class_id]),
            )
        keep = np.flatnonzero(merged.confidence >= cfg.thresholds(merged.class_id))
        keep = keep[np.argsort(-merged.confidence[keep], kind="stable")][: cfg.max_det]
        self.last_stats = DetectStats(n_tiles, batches, infer_s, time.perf_counter() - t0)
        if len(keep) == 0:
            return _empty()
        cls = merged.class_id[keep]
        return sv.Detections(
            xyxy=merged.xyxy[keep].astype(np.float32),
            confidence=merged.confidence[keep].astype(np.float32),
            class_id=cls.astype(int),
            data={"class_name": np.array([CLASS_NAMES[int(k)] for k in cls])},
        )

    def _views(
        self, image: npt.NDArray[np.uint8], tiles: list[Tile], fused: bool
    ) -> tuple[list[Merged], float, int]:
        """Each view's merged detections of ``tiles`` (the picture, then its mirror image when
        ``flip_tta``), with the seconds spent in inference and the number of calls. When views
        are fused, a view's detection below the threshold still counts towards the fused score,
        so each view keeps down to a quarter of it."""
        cfg = self.config
        min_conf = min(cfg.conf_boat, cfg.conf_person)
        views = (False, True) if cfg.flip_tta else (False,)
        if fused:
            min_conf /= 4
        h, w = image.shape[:2]
        groups: dict[tuple[int, int], list[Tile]] = {}
        for t in tiles:
            groups.setdefault(t.input_hw, []).append(t)
        found: dict[bool, list[_TileDetections]] = {v: [] for v in views}
        infer_s, batches = 0.0, 0
        for _hw, group in groups.items():
            for i in range(0, len(group), cfg.max_batch):
                chunk = group[i : i + cfg.max_batch]
                batch = _batch_input(image, chunk)
                if cfg.flip_tta:  # the mirrored tiles ride in the same call
                    batch = np.concatenate([batch, _mirrored(batch, chunk)])
                ti = time.perf_counter()
                out = self.backend.run(batch)
                infer_s += time.perf_counter() - ti
                batches += 1
                for k, pred in enumerate(out):
                    t, flipped = chunk[k % len(chunk)], k >= len(chunk)
                    b, s, c, tr = _decode(pred, t, w, h, min_conf, cfg.nms_iou, cfg.max_det, flipped=flipped)
                    if t.pass_name == "coarse" and cfg.tiling.coarse_min_px > 0 and len(b):
                        keep_big = _long_enough(b, t.scale, cfg.tiling.coarse_min_px)
                        b, s, c, tr = b[keep_big], s[keep_big], c[keep_big], tr[keep_big]
                    found[flipped].append((b, s, c, tr))
        return [self._merge_tiles(found[v]) for v in views], infer_s, batches

    def _ship_pass(self, image: npt.NDArray[np.uint8], tiles: list[Tile]) -> Merged:
        """The boats of the ship-pass tiles at least ``tiling.ship_min_px`` long."""
        cfg = self.config
        h, w = image.shape[:2]
        out = (self.ship_backend or self.backend).run(_batch_input(image, tiles))
        found = []
        for pred, t in zip(out, tiles, strict=True):
            b, s, c, _tr = _decode(pred, t, w, h, cfg.conf_boat, cfg.nms_iou, cfg.max_det)
            keep = (c == 0) & _long_enough(b, t.scale, cfg.tiling.ship_min_px)
            found.append((b[keep], s[keep], c[keep]))
        return Merged(
            np.concatenate([f[0] for f in found]).reshape(-1, 4),
            np.concatenate([f[1] for f in found]),
            np.concatenate([f[2] for f in found]).astype(np.int64),
        )

    def _merge_tiles(self, found: list[_TileDetections]) -> Merged:
        cfg = self.config
        ids = [np.full(len(f[0]), k, dtype=np.int64) for k, f in enumerate(found)]
        return merge_tiled(
            np.concatenate([f[0] for f in found]),
            np.concatenate([f[1] for f in found]),
            np.concatenate([f[2] for f in found]),
            np.concatenate([f[3] for f in found]),
            iou_threshold=cfg.merge_iou,
            ios_threshold=cfg.merge_ios,
            tile_ids=np.concatenate(ids) if cfg.merge_across_tiles_only else None,
        )


def _long_enough(b: npt.NDArray[np.float64], scale: float, floor: float) -> npt.NDArray[np.bool_]:
    """Which boxes (frame pixels) are at least ``floor`` long (long side) in a pass's input at
    ``scale``: the whole-frame passes keep only the large objects they see best."""
    return np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) * scale >= floor


def _mirrored(batch: npt.NDArray[np.float32], tiles: list[Tile]) -> npt.NDArray[np.float32]:
    """The batch with each tile's picture mirrored left to right; the grey padding stays on the
    right, where ``_fill_input`` put it, so a mirrored box decodes like any other."""
    out = batch.copy()
    for slot, src, t in zip(out, batch, tiles, strict=True):
        wr = _real_width(t)
        slot[:, :, :wr] = src[:, :, wr - 1 :: -1]
    return out


def _real_width(tile: Tile) -> int:
    """Width of the picture (without padding) in a tile's model input, as ``_fill_input`` sizes it."""
    return tile.width_px if tile.scale == 1.0 else max(1, round(tile.width_px * tile.scale))


def _empty() -> sv.Detections:
    d = sv.Detections.empty()
    d.data["class_name"] = np.array([], dtype=str)
    return d


def _decode(
    pred: npt.NDArray[np.float32],
    tile: Tile,
    width: int,
    height: int,
    min_conf: float,
    nms_iou: float,
    max_det: int,
    *,
    flipped: bool = False,
) -> _TileDetections:
    """One tile's raw head output (4 + nc) x A -> boxes in frame pixels, scores, classes, truncated;
    ``flipped``: the output of the tile's mirror image (``_mirrored``), mirrored back."""
    p = pred.T
    cls_scores = p[:, 4:]
    cls = cls_scores.argmax(axis=1)
    conf = cls_scores[np.arange(len(p)), cls]
    m = np.flatnonzero(conf >= min_conf)
    if len(m) > MAX_CANDIDATES:  # as ultralytics' max_nms: only the best go to NMS
        m = m[np.argpartition(-conf[m], MAX_CANDIDATES)[:MAX_CANDIDATES]]
    p, cls, conf = p[m], cls[m], conf[m]
    if len(p) == 0:
        return np.zeros((0, 4)), np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    xy = p[:, :2].astype(np.float64)
    half = p[:, 2:4].astype(np.float64) / 2
    b = np.concatenate([xy - half, xy + half], axis=1)
    # only what lies in the real (unpadded) part of the input
    in_w, in_h = tile.width_px * tile.scale, tile.height_px * tile.scale
    b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0, in_w)
    b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0, in_h)
    if flipped:
        b[:, [0, 2]] = _real_width(tile) - b[:, [2, 0]]
    ok = (b[:, 2] - b[:, 0] > 0.5) & (b[:, 3] - b[:, 1] > 0.5)
    b, cls, conf = b[ok], cls[ok], conf[ok]
    keep = nms(b, conf, cls, nms_iou)[:max_det]
    b, cls, conf = b[keep], cls[keep], conf[keep]
    edge = 2.0
    trunc = np.zeros(len(b), dtype=bool)
    if tile.x0 > 0:
        trunc |= b[:, 0] <= edge
    if tile.y0 > 0:
        trunc |= b[:, 1] <= edge
    if tile.x1 < width:
        trunc |= b[:, 2] >= in_w - edge
    if tile.y1 < height:
        trunc |= b[:, 3] >= in_h - edge
    b = b / tile.scale + np.array([tile.x0, tile.y0, tile.x0, tile.y0], dtype=np.float64)
    return b, conf.astype(np.float64), cls.astype(np.int64), trunc


def default_ship_model_path(models_dir: Path = MODELS_DIR) -> Path | None:
    """The shipped ship-pass model (``shorewatch-ships.onnx``), or ``None`` where there is none."""
    p = models_dir / f"{SHIP_MODEL_STEM}.onnx"
    return p if p.is_file() else None


def load_detector(
    path: str | Path | None = None,
    state_dir: str | Path = ".shorewatch",
    config: DetectorConfig | None = None,
    *,
    ship_path: str | Path | None = None,
) -> BoatDetector:
    """Load ``path`` (``.onnx`` or ``.pt``; default: the shipped model) and, for the ship pass,
    ``ship_path`` (default: the shipped ship model, but only with the shipped main model: weights
    named by hand are measured on their own); ``config.ship_pass=False`` loads no ship model."""
    cfg = config or DetectorConfig()
    use_ov = cfg.runtime == "openvino" or (cfg.runtime == "auto" and openvino_bf16())
    fp32 = MODELS_DIR / f"{MODEL_STEM}.onnx"
    if path is not None:
        p = Path(path)
    elif use_ov and fp32.is_file():  # OpenVINO runs the float model (in bfloat16 where it can)
        p = fp32
    else:
        p = default_model_path()
    backend = _open_backend(p, cfg, use_ov, state_dir)
    ship_backend = None
    sp = Path(ship_path) if ship_path is not None else (default_ship_model_path() if path is None else None)
    if sp is not None and cfg.ship_pass:
        ship_backend = _open_backend(sp, cfg, use_ov, state_dir)
    logger.info(
        "detector loaded: %s%s",
        backend.describe(),
        f"; ship pass: {ship_backend.describe()}" if ship_backend is not None else "",
    )
    return BoatDetector(backend, cfg, source=str(p), ship_backend=ship_backend)


def _open_backend(p: Path, cfg: DetectorConfig, use_ov: bool, state_dir: str | Path) -> Any:
    """The runtime that runs weights ``p``: OpenVINO or onnxruntime for ONNX, PyTorch for ``.pt``."""
    if cfg.runtime == "auto" and p.name.endswith("-int8.onnx"):
        use_ov = False  # an int8 model asked for by name runs where it is fast: onnxruntime
    if not p.is_file():
        raise ModelLoadError(
            f"model file {str(p)!r} not found; expected a .onnx or .pt boat/person detector "
            "(the shipped one is models/shorewatch-boats.onnx; `shorewatch train` makes new ones)"
        )
    if p.suffix == ".onnx" and use_ov:
        return OpenVinoBackend(p, cfg.threads)
    if p.suffix == ".onnx":
        if p.name.endswith("-int8.onnx"):
            ok, why = int8_trusted(p, p.with_name(p.name.replace("-int8.onnx", ".onnx")))
            if not ok:
                logger.warning("loading %s although it is not a validated int8 model: %s", p, why)
        return OnnxBackend(p, cfg.threads)
    if p.suffix == ".pt":
        return TorchBackend(p, state_dir, cfg.threads)
    raise ModelLoadError(f"unsupported model format {p.suffix!r} for {str(p)!r}; expected .onnx or .pt")
