"""ONNX post-processing for shipping: store weights as float16, compute in float32.

Every float32 initializer larger than ``min_elements`` is replaced by its float16 copy followed by
a ``Cast`` back to float32. onnxruntime folds those casts at session creation, so inference runs
at float32 speed while the file is half the size (the ``.pt`` checkpoint keeps its weights in
float16 too, so nothing is lost relative to it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from detector.errors import ModelLoadError


def fp16_storage(src: Path, dst: Path | None = None, *, min_elements: int = 16) -> Path:
    import onnx
    from onnx import helper, numpy_helper

    try:
        model = onnx.load(str(src))
    except Exception as exc:  # onnx raises DecodeError and others
        raise ModelLoadError(f"cannot read ONNX file {str(src)!r}: {exc}") from exc
    graph = model.graph
    new_inits = []
    casts = []
    for init in graph.initializer:
        if init.data_type == onnx.TensorProto.FLOAT and int(np.prod(init.dims)) >= min_elements:
            arr = numpy_helper.to_array(init).astype(np.float16)
            half_name = f"{init.name}__fp16"
            new_inits.append(numpy_helper.from_array(arr, half_name))
            casts.append(
                helper.make_node(
                    "Cast", [half_name], [init.name], to=onnx.TensorProto.FLOAT, name=f"{init.name}__cast"
                )
            )
        else:
            new_inits.append(init)
    del graph.initializer[:]
    graph.initializer.extend(new_inits)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    out = dst or src
    onnx.save(model, str(out))
    return out


def quantize_int8(src: Path, dst: Path, calibration_images: list[Path], *, size_px: int = 640) -> Path:
    """Static int8 quantisation (QDQ, per-channel weights) calibrated on ``calibration_images``
    (synthetic training pictures, resized to ``size_px`` squares)."""
    import cv2
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class _Reader(CalibrationDataReader):
        def __init__(self) -> None:
            import onnxruntime as ort

            self.name = (
                ort.InferenceSession(str(src), providers=["CPUExecutionProvider"]).get_inputs()[0].name
            )
            self.items = iter(calibration_images)

        def get_next(self) -> dict[str, np.ndarray] | None:
            for p in self.items:
                img = cv2.imread(str(p))
                if img is None:
                    continue
                img = cv2.resize(img, (size_px, size_px))
                x = np.ascontiguousarray(img[:, :, ::-1].transpose(2, 0, 1), dtype=np.float32)[None] / 255.0
                return {self.name: x}
            return None

    quantize_static(
        str(src),
        str(dst),
        _Reader(),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        # only convolutions: the head's final Concat mixes box coordinates (0..640) with class
        # scores (0..1), and one int8 scale for both would flatten every score to zero
        op_types_to_quantize=["Conv"],
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
    )
    return dst
