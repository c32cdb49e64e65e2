"""ONNX rewrites made when a model is shipped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from detector.errors import ModelLoadError
from detector.export import fast_dfl

ANCHORS = 12


def _dfl_graph(path: Path) -> Path:
    """The DFL decode as ultralytics exports it: (1, 64, a) -> (1, 4, a) expected distances."""
    a = ANCHORS
    inits = [
        numpy_helper.from_array(np.array([1, 4, 16, a], np.int64), "shape4"),
        numpy_helper.from_array(np.array([1, 4, a], np.int64), "shape3"),
        numpy_helper.from_array(
            np.arange(16, dtype=np.float32).reshape(1, 16, 1, 1), "model.23.dfl.conv.weight"
        ),
    ]
    nodes = [
        helper.make_node("Reshape", ["x", "shape4"], ["r"], name="/model.23/dfl/Reshape"),
        helper.make_node("Transpose", ["r"], ["t"], name="/model.23/dfl/Transpose", perm=[0, 2, 1, 3]),
        helper.make_node("Softmax", ["t"], ["sm"], name="/model.23/dfl/Softmax", axis=1),
        helper.make_node("Conv", ["sm", "model.23.dfl.conv.weight"], ["c"], name="/model.23/dfl/conv/Conv"),
        helper.make_node("Reshape", ["c", "shape3"], ["y"], name="/model.23/dfl/Reshape_1"),
    ]
    graph = helper.make_graph(
        nodes,
        "dfl",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64, a])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, a])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def _run(path: Path, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return np.asarray(sess.run(None, {"x": x})[0])


def test_fast_dfl_gives_the_same_distances_with_the_softmax_on_the_last_axis(tmp_path: Path) -> None:
    src = _dfl_graph(tmp_path / "dfl.onnx")
    x = np.random.default_rng(0).normal(0, 3, (1, 64, ANCHORS)).astype(np.float32)
    before = _run(src, x)
    # the expected value of a softmax over bins 0..15: between 0 and 15, and not all equal
    assert before.shape == (1, 4, ANCHORS) and before.min() >= 0 and before.max() <= 15 and before.std() > 0.5
    dst = fast_dfl(src, tmp_path / "fast.onnx")
    after = _run(dst, x)
    np.testing.assert_allclose(after, before, rtol=1e-5, atol=1e-5)
    g = onnx.load(str(dst)).graph
    softmax = [n for n in g.node if n.op_type == "Softmax"]
    assert [a.i for a in softmax[0].attribute if a.name == "axis"] == [-1]
    assert not any(n.op_type == "Conv" for n in g.node)


def test_fast_dfl_leaves_other_models_alone(tmp_path: Path) -> None:
    src = _dfl_graph(tmp_path / "dfl.onnx")
    model = onnx.load(str(src))
    model.graph.node[1].attribute[0].ints[:] = [0, 1, 2, 3]  # not the DFL transpose
    onnx.save(model, str(src))
    dst = fast_dfl(src, tmp_path / "same.onnx")
    assert [n.op_type for n in onnx.load(str(dst)).graph.node] == [n.op_type for n in model.graph.node]


def test_fast_dfl_refuses_a_file_that_is_not_onnx(tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelLoadError, match="cannot read ONNX"):
        fast_dfl(bad)
