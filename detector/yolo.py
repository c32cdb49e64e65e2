"""The one module that imports ultralytics (lazily, after ``detector.offline.configure``).

Everything ultralytics-specific is converted here, once: a ``.pt`` checkpoint becomes a plain
torch module plus class names; training, ONNX export, optimizer stripping and the reference
``predict`` the benchmarks compare against all go through these functions."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from detector.errors import ModelLoadError, TrainingError
from detector.offline import configure, disable_sync

logger = logging.getLogger(__name__)


def _import(state_dir: str | Path) -> Any:
    configure(state_dir)
    import ultralytics

    disable_sync()
    return ultralytics


def load_torch_model(path: str | Path, state_dir: str | Path) -> tuple[Any, dict[int, str]]:
    """A ``.pt`` checkpoint -> (fused eval-mode torch module on CPU, {class id: name})."""
    ul = _import(state_dir)
    p = Path(path)
    try:
        yolo = ul.YOLO(str(p), task="detect")
    except Exception as exc:  # ultralytics raises many types for a bad file
        raise ModelLoadError(f"cannot load YOLO weights {str(p)!r}: {exc}") from exc
    net = yolo.model
    if not hasattr(net, "fuse"):
        raise ModelLoadError(f"{str(p)!r} is not a PyTorch detection checkpoint")
    net = net.float().eval()
    try:
        net = net.fuse()
    except Exception:  # already fused or not fusable: fine either way
        logger.debug("model %s not fused", p)
    for prm in net.parameters():
        prm.requires_grad_(False)
    return net, {int(k): str(v) for k, v in yolo.names.items()}


def _set_cpu_training_threads(n: int) -> None:
    """ultralytics' ``select_device`` sets ``torch.set_num_threads(NUM_THREADS)`` for CPU training,
    and ``NUM_THREADS`` is ``os.cpu_count() - 1`` (at most 8): one thread on a 2-core machine, where
    two threads make the forward and backward passes 1.8x and a whole step 1.4x faster (the data
    loader runs in the training process between steps, on one core: BENCHMARKS.md)."""
    from ultralytics.utils import torch_utils

    torch_utils.NUM_THREADS = max(1, int(n))


def _add_realism_augment(style_p: float = 0.0, style_kernel: int = 3) -> None:
    """Insert ``detector.augment.RealismAugment`` (random convolutions on ``style_p`` of the
    pictures) before the final formatting step of every augmented (training) dataset ultralytics
    builds in this process; a later call replaces the earlier one's setting."""
    from ultralytics.data.dataset import YOLODataset

    from detector.augment import RealismAugment

    original = getattr(YOLODataset.build_transforms, "_shorewatch_original", YOLODataset.build_transforms)

    def build_transforms(self: Any, hyp: Any = None) -> Any:
        transforms = original(self, hyp)
        if self.augment:
            transforms.insert(-1, RealismAugment(style_p=style_p, style_kernel=style_kernel))
        return transforms

    build_transforms._shorewatch_original = original  # type: ignore[attr-defined]
    YOLODataset.build_transforms = build_transforms  # type: ignore[method-assign]


def reference_predictor(
    path: str | Path, state_dir: str | Path, **predict_kwargs: Any
) -> Callable[[Any], Any]:
    """ultralytics' own default ``predict`` on an image (the speed/accuracy reference)."""
    ul = _import(state_dir)
    yolo = ul.YOLO(str(path), task="detect")

    def predict(image_bgr: Any) -> Any:
        res = yolo.predict(image_bgr, verbose=False, **predict_kwargs)[0]
        b = res.boxes
        return b.xyxy.cpu().numpy(), b.conf.cpu().numpy(), b.cls.cpu().numpy().astype(int)

    return predict


def export_onnx(
    pt_path: str | Path, state_dir: str | Path, *, imgsz: int = 640, simplify: bool = True
) -> Path:
    """Export to ONNX with dynamic batch and image size (next to the ``.pt``); returns its path."""
    ul = _import(state_dir)
    yolo = ul.YOLO(str(pt_path), task="detect")
    out = yolo.export(format="onnx", imgsz=imgsz, dynamic=True, simplify=simplify, opset=17, device="cpu")
    return Path(out)


def strip_checkpoint(pt_path: str | Path, state_dir: str | Path, out_path: str | Path | None = None) -> Path:
    """Drop the optimizer state and EMA duplicate (a ~6 MB n-size file instead of ~18 MB)."""
    _import(state_dir)
    from ultralytics.utils.torch_utils import strip_optimizer

    out = Path(out_path) if out_path else Path(pt_path)
    strip_optimizer(str(pt_path), str(out))
    return out


def average_checkpoints(paths: Sequence[str | Path], out_path: str | Path, state_dir: str | Path) -> Path:
    """Average the weights of checkpoints of one architecture (a "model soup"): every float
    tensor becomes the mean over ``paths``, in the first checkpoint's dtype; integer buffers come
    from the first. Each checkpoint contributes its EMA weights when it has them (a training
    ``last.pt``), else its ``model`` (a shipped, stripped file). The result is written like a
    stripped checkpoint (weights in ``model``, no EMA or optimizer), to fine-tune or ship.

    Averaging only makes sense for models fine-tuned from the same starting weights; it is
    refused when the architectures differ (names or shapes of the tensors)."""
    _import(state_dir)
    import torch

    if len(paths) < 2:
        raise ModelLoadError(f"averaging needs at least two checkpoints, got {len(paths)}")
    nets = []
    for p in paths:
        try:
            ckpt = torch.load(str(p), map_location="cpu", weights_only=False)
        except Exception as exc:  # torch raises many types for a bad file
            raise ModelLoadError(f"cannot load checkpoint {str(p)!r}: {exc}") from exc
        net = (ckpt.get("ema") or ckpt.get("model")) if isinstance(ckpt, dict) else None
        if net is None or not hasattr(net, "state_dict"):
            raise ModelLoadError(f"{str(p)!r} is not an ultralytics checkpoint (no 'ema' or 'model' weights)")
        nets.append((ckpt, net))
    first_ckpt, first = nets[0]
    ref = first.state_dict()
    states = []
    for p, (_, net) in zip(paths, nets, strict=True):
        sd = net.state_dict()
        if sd.keys() != ref.keys():
            differ = sorted(sd.keys() ^ ref.keys())
            raise ModelLoadError(
                f"{str(p)!r} has a different architecture from {str(paths[0])!r} ({len(differ)} tensor "
                f"names differ, first {differ[0]!r}): only checkpoints of one model can be averaged"
            )
        bad = [k for k, v in sd.items() if v.shape != ref[k].shape]
        if bad:
            raise ModelLoadError(
                f"{str(p)!r} does not match {str(paths[0])!r} in tensor {bad[0]!r} "
                f"({tuple(sd[bad[0]].shape)} vs {tuple(ref[bad[0]].shape)}): only checkpoints of one model can be averaged"
            )
        states.append(sd)
    mean = {
        k: (sum(sd[k].float() for sd in states) / len(states)).to(v.dtype) if v.is_floating_point() else v
        for k, v in ref.items()
    }
    first.load_state_dict(mean)
    first_ckpt.update(
        model=first,
        ema=None,
        optimizer=None,
        scaler=None,
        updates=None,
        best_fitness=None,
        averaged_from=[str(p) for p in paths],
    )
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(first_ckpt, str(out))
    return out


def new_model(model_yaml: str, state_dir: str | Path) -> Any:
    ul = _import(state_dir)
    return ul.YOLO(model_yaml, task="detect")


def train(
    *,
    state_dir: str | Path,
    model: str,
    data_yaml: str | Path,
    project: str | Path,
    name: str,
    resume_from: str | Path | None = None,
    on_epoch_end: Callable[[int, int, dict[str, float]], None] | None = None,
    cpu_threads: int | None = None,
    callbacks: dict[str, Callable[[Any], None]] | None = None,
    **hyp: Any,
) -> Path:
    """Train (or resume) a detector; returns the best checkpoint path. On the CPU, torch runs
    ``cpu_threads`` threads (default: every core). ``callbacks`` maps ultralytics callback
    events (``on_train_batch_end``, ...) to functions of the trainer (the benchmarks time steps)."""
    ul = _import(state_dir)
    _set_cpu_training_threads(cpu_threads or os.cpu_count() or 1)
    style_p = float(hyp.pop("style", 0.0) or 0.0)
    style_kernel = int(hyp.pop("style_kernel", 3))
    if hyp.pop("realism", False):
        _add_realism_augment(style_p, style_kernel)
    if resume_from is not None:
        if not Path(resume_from).is_file():
            raise TrainingError(f"nothing to resume: {str(resume_from)!r} does not exist")
        yolo = ul.YOLO(str(resume_from), task="detect")
    else:
        yolo = ul.YOLO(model, task="detect")

    if on_epoch_end is not None:

        def _cb(trainer: Any) -> None:
            metrics = {k: float(v) for k, v in (trainer.metrics or {}).items() if isinstance(v, int | float)}
            on_epoch_end(int(trainer.epoch) + 1, int(trainer.epochs), metrics)

        yolo.add_callback("on_fit_epoch_end", _cb)
    for event, fn in (callbacks or {}).items():
        yolo.add_callback(event, fn)
    try:
        if resume_from is not None:
            yolo.train(resume=True, **({"device": hyp["device"]} if "device" in hyp else {}))
        else:
            yolo.train(data=str(data_yaml), project=str(project), name=name, **{"exist_ok": True, **hyp})
    except (FileNotFoundError, RuntimeError, AssertionError) as exc:
        raise TrainingError(f"training failed: {exc}") from exc
    trainer = yolo.trainer
    best = Path(trainer.best) if trainer is not None and Path(trainer.best).is_file() else None
    if best is None:
        raise TrainingError("training ended without a checkpoint")
    return best
