"""render_train_plan: the text of `initcfg plan --train`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from initcfg.plan.train_plan import compile_train_plan  # noqa: E402
from initcfg.plan.train_render import render_train_plan  # noqa: E402


class Net(nn.Module):
    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        self.head = nn.Module()
        self.head.fc = nn.Linear(4, num_classes)


def finetune(checkpoint: str, **extra: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = dict(
        model=dict(type="Net", head=dict(init_cfg=dict(type="Normal", layer="Linear", std=0.01))),
        train_cfg=dict(type="EpochBasedTrainLoop", max_epochs=8),
        optim_wrapper=dict(
            optimizer=dict(type="SGD", lr=0.01, momentum=0.9, weight_decay=1e-4),
            paramwise_cfg=dict(custom_keys={"backbone": dict(lr_mult=0.1)}),
        ),
        param_scheduler=[
            dict(type="LinearLR", start_factor=0.001, by_epoch=False, end=10),
            dict(type="MultiStepLR", milestones=[6, 11]),
        ],
        load_from=checkpoint,
    )
    cfg.update(extra)
    return cfg


@pytest.fixture
def checkpoint(tmp_path: Path) -> str:
    path = tmp_path / "epoch_12.pth"
    torch.save({"state_dict": Net(10).state_dict()}, path)
    return str(path)


def test_sections(checkpoint: str) -> None:
    plan = compile_train_plan(finetune(checkpoint), Net(3), iters_per_epoch=5)
    text = render_train_plan(plan)
    lines = text.splitlines()
    assert lines[0] == "Train plan: Net"
    assert "EpochBasedTrainLoop, 8 epochs × 5 iterations = 40 iterations" in lines[1]
    assert "SGD(lr=0.01, momentum=0.9, weight_decay=0.0001)" in lines[2]
    group_rows = [line.split() for line in lines if line.startswith(("  0 ", "  1 "))]
    assert group_rows[0][:3] == ["0", "0.001", "0.0001"]
    assert "custom_keys['backbone']" in group_rows[0]
    assert group_rows[1][:3] == ["1", "0.01", "0.0001"]
    # the table folds equal epochs and shows the warm-up inside epochs 1 and 2
    assert any(line.split()[:2] == ["3-6", "0.01"] for line in lines)
    assert any(line.split()[:2] == ["7-8", "0.001"] for line in lines)
    assert any(line.split()[:4] == ["1", "1e-05", "→", "0.00445"] for line in lines)
    fresh = [line.split() for line in lines if line.startswith("    head.fc.")]
    assert [row[0] for row in fresh] == ["head.fc.weight", "head.fc.bias"]
    assert all(row[-1] == "Normal(std=0.01)" for row in fresh)
    assert "7 keys loaded, 0 missing, 0 unexpected, 2 skipped for shape" in text
    assert "IC306 warning: MultiStepLR milestone 11 is never reached" in text
    assert text.endswith("\n")


def test_iteration_table_and_unreadable_checkpoint(tmp_path: Path) -> None:
    cfg = finetune(
        str(tmp_path / "nope.pth"),
        train_cfg=dict(type="IterBasedTrainLoop", max_iters=30),
        param_scheduler=[dict(type="StepLR", step_size=10, gamma=0.5, by_epoch=False)],
    )
    text = render_train_plan(compile_train_plan(cfg, Net(3)))
    rows = [line.split() for line in text.splitlines() if line[:3] == "  1" or line[:3] == "  2"]
    assert ["1-10", "0.01", "0.001"] in rows
    assert ["21-30", "0.0025", "0.00025"] in rows
    assert "not read: checkpoint file" in text
    assert "IC470" in text


def test_frozen_and_no_paramwise(checkpoint: str) -> None:
    model = Net(3)
    model.backbone.requires_grad_(False)
    cfg = finetune(checkpoint)
    cfg["optim_wrapper"].pop("paramwise_cfg")
    text = render_train_plan(compile_train_plan(cfg, model, iters_per_epoch=5))
    assert "no paramwise_cfg: one group" in text
    assert "still held by the optimizer, never updated" in text


def test_long_tables_are_elided(checkpoint: str) -> None:
    cfg = finetune(
        checkpoint,
        train_cfg=dict(type="EpochBasedTrainLoop", max_epochs=100),
        param_scheduler=[dict(type="CosineAnnealingLR", eta_min=0.0)],
    )
    text = render_train_plan(compile_train_plan(cfg, Net(3)), diagnostics=False)
    rows = [line.split() for line in text.splitlines()]
    header = next(i for i, row in enumerate(rows) if row and row[0] == "epoch")
    end = next(i for i in range(header, len(rows)) if not rows[i])
    table = rows[header + 1 : end]
    epochs = [row[0] for row in table if row and (row[0].isdigit() or row[0] == "…")]
    assert epochs[:3] == ["1", "2", "3"] and epochs[10] == "…" and epochs[-1] == "100"
    assert len(epochs) == 21
    assert "Diagnostics" not in text


@pytest.mark.parametrize(
    ("val", "validates"),
    [
        ({}, False),
        # MMEngine's Runner builds its ValLoop from all three or raises for a part
        ({"val_dataloader": {"batch_size": 1}, "val_evaluator": {"type": "Accuracy"}}, False),
        ({"val_dataloader": {"batch_size": 1}, "val_evaluator": {"type": "Accuracy"},
          "val_cfg": {}}, True),
    ],
    ids=["none", "no val_cfg", "all three"],
)
def test_the_loop_line_says_whether_the_run_validates(
    checkpoint: str, val: dict[str, Any], validates: bool
) -> None:
    plan = compile_train_plan(finetune(checkpoint, **val), Net(3), iters_per_epoch=5)
    assert plan.loop is not None and plan.loop.validates is validates
    loop_line = render_train_plan(plan).splitlines()[1]
    assert ("validate from epoch 1 every 1" in loop_line) is validates
    assert ("no validation" in loop_line) is not validates


def test_a_factory_config_s_own_loop_validates_without_val_cfg(tmp_path: Path) -> None:
    config = dict(
        model=dict(type="mymodels:build"),
        train_cfg=dict(type="EpochBasedTrainLoop", max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01)),
        val_dataloader=dict(batch_size=1, dataset=dict(type="mydata:build")),
        val_evaluator=dict(type="mymetric:Accuracy"),
    )
    plan = compile_train_plan(config, Net(3))
    assert plan.loop is not None and plan.loop.validates
