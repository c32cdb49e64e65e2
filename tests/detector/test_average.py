"""``shorewatch train --average``: a weight average ("model soup") of checkpoints of one model,
through the real command line, on the shipped weights."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import main
from detector.model import MODELS_DIR

SHIPPED = MODELS_DIR / "shorewatch-boats.pt"

torch = pytest.importorskip("torch")


def _load(p: Path) -> dict:
    return torch.load(str(p), map_location="cpu", weights_only=False)


def _shifted(src: Path, out: Path, by: float) -> Path:
    """The shipped weights with every float tensor shifted by ``by``, stored the way a training
    ``last.pt`` stores them (EMA weights, no ``model``): the average then reads both layouts."""
    ckpt = _load(src)
    net = ckpt["model"]
    with torch.no_grad():
        for v in net.state_dict().values():
            if v.is_floating_point():
                v += by
    ckpt.update(model=None, ema=net)
    torch.save(ckpt, str(out))
    return out


def test_the_average_is_the_mean_of_every_weight(
    tmp_path: Path, state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plus = _shifted(SHIPPED, tmp_path / "plus.pt", 1.0)
    assert main(["train", "--average", str(SHIPPED), str(plus), "--name", "soup"]) == 0
    out = state_dir.resolve() / "train" / "soup.pt"
    assert str(out) in capsys.readouterr().out.replace("\n", "")
    soup = _load(out)
    assert soup["ema"] is None and soup["optimizer"] is None
    assert soup["averaged_from"] == [str(SHIPPED), str(plus)]
    base = _load(SHIPPED)["model"].state_dict()
    got = soup["model"].state_dict()
    n_float = 0
    for k, v in base.items():
        if v.is_floating_point():
            n_float += 1
            torch.testing.assert_close(got[k].float(), v.float() + 0.5, atol=2e-3, rtol=2e-3)
        else:
            assert torch.equal(got[k], v), k
    assert n_float > 100
    # the average is a usable detector: it loads and keeps the class names
    from detector.yolo import load_torch_model

    _, names = load_torch_model(out, state_dir)
    assert names == {0: "boat", 1: "person"}


def test_checkpoints_of_different_models_are_refused(
    tmp_path: Path, state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ckpt = _load(SHIPPED)
    head = ckpt["model"].model[-1].cv2[0][0].conv
    head.weight = torch.nn.Parameter(torch.zeros(1, 1, 1, 1, dtype=head.weight.dtype))
    other = tmp_path / "other.pt"
    torch.save(ckpt, str(other))
    assert main(["train", "--average", str(SHIPPED), str(other), "--name", "bad"]) == 2
    msg = " ".join(capsys.readouterr().out.split())
    assert "cv2.0.0.conv.weight" in msg and "only checkpoints of one model" in msg
    assert not (state_dir / "train" / "bad.pt").exists()


def test_one_checkpoint_or_a_non_checkpoint_is_refused(
    tmp_path: Path, state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", "--average", str(SHIPPED), "--name", "one"]) == 2
    assert "at least two checkpoints" in " ".join(capsys.readouterr().out.split())
    junk = tmp_path / "junk.pt"
    torch.save({"weights": [1, 2, 3]}, str(junk))
    assert main(["train", "--average", str(SHIPPED), str(junk), "--name", "junk"]) == 2
    assert "not an ultralytics checkpoint" in " ".join(capsys.readouterr().out.split())


def test_a_checkpoint_with_other_layers_is_refused_naming_one(
    tmp_path: Path, state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ckpt = _load(SHIPPED)
    ckpt["model"].model[-1].register_buffer("extra_anchor", torch.zeros(3))
    other = tmp_path / "other.pt"
    torch.save(ckpt, str(other))
    assert main(["train", "--average", str(SHIPPED), str(other), "--name", "bad"]) == 2
    msg = " ".join(capsys.readouterr().out.split())
    assert "1 tensor names differ, first 'model.23.extra_anchor'" in msg
    safe = ["--models-dir", str(tmp_path / "m")]  # were the refusal missing, nothing lands in models/
    assert main(["train", "--average", str(SHIPPED), str(SHIPPED), "--ship-only", str(SHIPPED), *safe]) == 2
    assert "exclude each other" in " ".join(capsys.readouterr().out.split())
    assert not (state_dir / "train" / "bad.pt").exists()
