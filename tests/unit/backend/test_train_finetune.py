"""Fine-tuning from a pretrained checkpoint beats training the same model from scratch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from test_train_helpers import FINETUNE, PRETRAIN, shapes_config, single_thread  # noqa: E402

from initcfg.backend.torch.train import TrainOptions, train  # noqa: E402
from initcfg.config.load import tree_from_mapping  # noqa: E402

CHANNELS = [16, 32, 32]


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    yield from single_thread()


def _finetune_config(load_from: str | None) -> dict[str, Any]:
    config = shapes_config(classes=FINETUNE, size=96, val_size=96, max_epochs=6, lr=0.01)
    config["model"]["backbone"]["channels"] = CHANNELS
    config["model"]["head"]["init_cfg"] = {
        "type": "Normal", "layer": "Linear", "std": 0.01,
        "override": {"name": "fc", "type": "Normal", "std": 0.01},
    }
    config["load_from"] = load_from
    return config


def test_finetuned_beats_from_scratch(tmp_path: Path) -> None:
    pretrain = shapes_config(classes=PRETRAIN, size=384, batch_size=32, max_epochs=5)
    pretrain["model"]["backbone"]["channels"] = CHANNELS
    pretrain["param_scheduler"][1]["milestones"] = [4]
    pre = train(
        tree_from_mapping(pretrain), TrainOptions(work_dir=tmp_path / "pre", progress=False)
    )
    assert pre.val_history[-1]["accuracy"] > 60  # it learned the pretraining task
    checkpoint = str(tmp_path / "pre" / "epoch_5.pth")

    tuned = train(
        tree_from_mapping(_finetune_config(checkpoint)),
        TrainOptions(work_dir=tmp_path / "ft", progress=False),
    )
    scratch = train(
        tree_from_mapping(_finetune_config(None)),
        TrainOptions(work_dir=tmp_path / "scratch", progress=False),
    )
    # Everything but the resized head came from the checkpoint; the head kept its
    # fresh initialization because its shape no longer fits.
    assert tuned.load_report is not None
    skipped = [m.split()[0] for m in tuned.load_report["mismatched"]]
    assert skipped == ["head.fc.weight", "head.fc.bias"]
    assert "backbone.layers.0.weight" in tuned.load_report["loaded"]
    assert scratch.load_report is None

    tuned_acc = [v["accuracy"] for v in tuned.val_history]
    scratch_acc = [v["accuracy"] for v in scratch.val_history]
    assert len(tuned_acc) == len(scratch_acc) == 6
    assert tuned_acc[-1] >= scratch_acc[-1] + 20, (tuned_acc, scratch_acc)
    assert sum(tuned_acc) >= sum(scratch_acc) + 6 * 20, (tuned_acc, scratch_acc)
