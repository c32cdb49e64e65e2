"""Training set-up that needs no training: dataset checks, path resolution, dataset mixing, and
the refusal to resume what does not exist."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from detector.errors import DatasetError, TrainingError
from detector.training import TrainConfig, check_dataset, mix_datasets, resolved_yaml, train


def make_ds(root: Path, n_train: int, n_val: int, names: str = "{0: boat, 1: person}") -> Path:
    for split, n in (("train", n_train), ("val", n_val)):
        (root / split / "images").mkdir(parents=True)
        (root / split / "labels").mkdir(parents=True)
        for i in range(n):
            cv2.imwrite(str(root / split / "images" / f"{split}{i}.jpg"), np.zeros((8, 8, 3), np.uint8))
            (root / split / "labels" / f"{split}{i}.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (root / "data.yaml").write_text(f"path: .\ntrain: train/images\nval: val/images\nnames: {names}\n")
    return root


def test_check_dataset_wants_boat_and_person(tmp_path: Path) -> None:
    ok = make_ds(tmp_path / "ok", 1, 1)
    assert check_dataset(ok) == ok / "data.yaml"
    bad = make_ds(tmp_path / "bad", 1, 1, names="{0: car}")
    with pytest.raises(DatasetError, match="expected \\['boat', 'person'\\]"):
        check_dataset(bad)
    with pytest.raises(DatasetError, match=r"no data\.yaml"):
        check_dataset(tmp_path / "nothing")


def test_resolved_yaml_makes_the_path_absolute(tmp_path: Path) -> None:
    ds = make_ds(tmp_path / "ds", 1, 1)
    out = resolved_yaml(ds / "data.yaml", tmp_path / "run")
    meta = yaml.safe_load(out.read_text())
    assert Path(meta["path"]) == ds.resolve()
    assert meta["train"] == "train/images"


def test_mix_datasets_samples_across_folders(tmp_path: Path) -> None:
    a = make_ds(tmp_path / "a", 6, 2)
    b = make_ds(tmp_path / "b", 6, 2)
    y = mix_datasets([a, b], tmp_path / "mix", n_train=8, seed=1)
    train = (tmp_path / "mix" / "train.txt").read_text().split()
    val = (tmp_path / "mix" / "val.txt").read_text().split()
    assert len(train) == 8 and len(set(train)) == 8
    assert {Path(p).parents[2].name for p in train} == {"a", "b"}
    assert len(val) == 4
    assert all(Path(p).is_file() for p in train + val)
    assert check_dataset(y) == y


def test_resume_without_a_checkpoint_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="nothing to resume"):
        train(TrainConfig(data=tmp_path), tmp_path / "state", resume=True)


def test_hyperparameters_switch_off_what_cpu_training_does_not_need(tmp_path: Path) -> None:
    h = TrainConfig(data=tmp_path, time_h=1.5, cache="none").hyperparameters()
    assert h["amp"] is False and h["plots"] is False and h["cache"] is False
    assert h["time"] == 1.5 and "time_h" not in h and h["realism"] is True


def test_crop_dataset_keeps_objects_at_native_scale(tmp_path: Path) -> None:
    from detector.dataset import read_labels, samples
    from detector.training import crop_dataset

    (tmp_path / "src" / "images").mkdir(parents=True)
    (tmp_path / "src" / "labels").mkdir(parents=True)
    img = np.zeros((640, 640, 3), np.uint8)
    cv2.rectangle(img, (400, 500), (439, 515), (0, 0, 255), -1)  # a 40 x 16 boat
    cv2.imwrite(str(tmp_path / "src" / "images" / "a.png"), img)
    (tmp_path / "src" / "labels" / "a.txt").write_text(f"0 {420 / 640} {508 / 640} {40 / 640} {16 / 640}\n")
    y = crop_dataset(
        [tmp_path / "src" / "images" / "a.png"], tmp_path / "crops", crop_px=160, background_frac=0.0
    )
    s = samples(y, "train")
    assert len(s) == 1
    crop = cv2.imread(str(s[0].image))
    assert crop.shape == (160, 160, 3)
    boxes, cls = read_labels(s[0].label, 160, 160)
    assert list(cls) == [0]
    assert boxes[0, 2] - boxes[0, 0] == pytest.approx(40, abs=0.5)  # native scale: not resized
    x0, y0 = int(np.rint(boxes[0, 0])), int(np.rint(boxes[0, 1]))
    assert crop[y0 + 8, x0 + 20, 2] > 200  # the red boat is where its box says


def test_pad_dataset_labels_grows_boxes_by_pixels_once(tmp_path: Path) -> None:
    from detector.dataset import read_labels, samples
    from detector.training import label_pad_of, pad_dataset_labels

    ds = tmp_path / "ds"
    (ds / "train" / "images").mkdir(parents=True)
    (ds / "train" / "labels").mkdir(parents=True)
    cv2.imwrite(str(ds / "train" / "images" / "a.jpg"), np.zeros((100, 200, 3), np.uint8))
    # a 4 x 12 px person in the middle and a boat cut by the left edge
    (ds / "train" / "labels" / "a.txt").write_text(
        f"1 0.5 0.5 {4 / 200} {12 / 100}\n0 {5 / 200} 0.5 {10 / 200} 0.1\n"
    )
    assert label_pad_of(ds) == 0.0
    assert pad_dataset_labels(ds, 1.0) == 1
    boxes, cls = read_labels(samples(ds, "train")[0].label, 200, 100)
    assert list(cls) == [1, 0]
    assert boxes[0] == pytest.approx([97, 43, 103, 57], abs=1e-3)  # 1 px more on every side
    assert boxes[1] == pytest.approx([0, 44, 11, 56], abs=1e-3)  # clipped at the image's edge
    assert label_pad_of(ds) == 1.0
    assert pad_dataset_labels(ds, 1.0) == 0  # already done: nothing changes
    assert read_labels(samples(ds, "train")[0].label, 200, 100)[0][0] == pytest.approx(
        [97, 43, 103, 57], abs=1e-3
    )
    pad_dataset_labels(ds, 0.0)  # and back
    assert read_labels(samples(ds, "train")[0].label, 200, 100)[0][0] == pytest.approx(
        [98, 44, 102, 56], abs=1e-3
    )


@pytest.mark.parametrize(("flag", "value"), [("--lr0", "5"), ("--warmup-epochs", "-1"), ("--style", "1.5")])
def test_train_refuses_a_bad_schedule_with_the_field_named(
    flag: str, value: str, tmp_path: Path, state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--lr0 / --warmup-epochs reach the training config (to fine-tune shipped weights gently)."""
    from api.cli import main

    rc = main(["train", "--data", str(tmp_path), "--optimizer", "MuSGD", flag, value])
    printed = " ".join(capsys.readouterr().out.split())
    assert rc == 2
    assert flag.lstrip("-").replace("-", "_") in printed


def test_train_refuses_lr0_that_ultralytics_would_ignore(
    tmp_path: Path, state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With optimizer 'auto' ultralytics picks its own learning rate and drops lr0 without a
    word (stages 9-15 ran at MuSGD 0.01 whatever --lr0 said): the CLI says so instead."""
    from api.cli import main

    rc = main(["train", "--data", str(tmp_path), "--lr0", "0.002"])
    printed = " ".join(capsys.readouterr().out.split())
    assert rc == 2
    assert "ignored with optimizer 'auto'" in printed


def test_an_explicit_optimizer_carries_lr0_to_ultralytics(tmp_path: Path) -> None:
    from detector.training import TrainConfig

    hp = TrainConfig(data=tmp_path, optimizer="MuSGD", lr0=0.002, warmup_epochs=0).hyperparameters()
    assert (hp["optimizer"], hp["lr0"], hp["warmup_epochs"]) == ("MuSGD", 0.002, 0)
    assert TrainConfig(data=tmp_path).hyperparameters()["optimizer"] == "auto"


def test_style_reaches_training_and_needs_the_realism_augmentation(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from detector.training import TrainConfig

    hp = TrainConfig(data=tmp_path, style=0.5, style_kernel=1).hyperparameters()
    assert (hp["style"], hp["style_kernel"]) == (0.5, 1)
    with pytest.raises(ValidationError, match="realism"):
        TrainConfig(data=tmp_path, style=0.5, realism=False)


def _boxes_ds(root: Path, n_train: int = 8, n_val: int = 4, px: int = 64) -> Path:
    """Pictures with a labelled dark 'boat' bar and a small 'person' blob on a sea-blue ground."""
    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("val", n_val)):
        (root / split / "images").mkdir(parents=True)
        (root / split / "labels").mkdir(parents=True)
        for i in range(n):
            img = np.full((px, px, 3), (140, 110, 60), np.uint8)
            x, y = (int(v) for v in rng.integers(8, px - 24, 2))
            cv2.rectangle(img, (x, y), (x + 16, y + 6), (30, 30, 30), -1)
            cv2.circle(img, (x + 8, y + 14), 3, (40, 60, 200), -1)
            cv2.imwrite(str(root / split / "images" / f"{i}.jpg"), img)
            (root / split / "labels" / f"{i}.txt").write_text(
                f"0 {(x + 8) / px} {(y + 3) / px} {17 / px} {7 / px}\n1 {(x + 8) / px} {(y + 14) / px} {7 / px} {7 / px}\n"
            )
    (root / "data.yaml").write_text(
        "path: .\ntrain: train/images\nval: val/images\nnames: {0: boat, 1: person}\n"
    )
    return root


def test_cpu_training_runs_end_to_end_on_every_core(tmp_path: Path, state_dir: Path) -> None:
    """A real (tiny) training run from the architecture yaml: a checkpoint comes out, the
    progress callback gets each epoch's validation metrics, and torch trains on every core
    (ultralytics' own CPU default is cores - 1: one thread on a 2-core machine)."""
    import torch

    seen: list[tuple[int, int, int, dict[str, float]]] = []
    cfg = TrainConfig(data=_boxes_ds(tmp_path / "ds"), name="tiny", epochs=1, imgsz=64, batch=4, cache="none")
    best = train(cfg, state_dir, on_epoch_end=lambda e, n, m: seen.append((e, n, torch.get_num_threads(), m)))
    assert best.is_file() and best.parent == state_dir.resolve() / "train" / "tiny" / "weights"
    epoch, epochs, threads, metrics = seen[0]
    assert (epoch, epochs) == (1, 1)
    assert threads == (os.cpu_count() or 1)
    assert "metrics/mAP50(B)" in metrics
