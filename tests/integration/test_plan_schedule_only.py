"""``initcfg plan --train`` without a model: the schedule from --iters-per-epoch, or from
--dataset-size, --batch-size and --gpus as MMEngine's sampler splits the data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")

from initcfg.cli import main  # noqa: E402
from initcfg.plan.train_plan import compile_train_plan, dataloader_length  # noqa: E402

CONFIG = """\
model = dict(type='RetinaNet', bbox_head=dict(num_classes=3))
train_dataloader = dict(batch_size=2, dataset=dict(type='CocoDataset'))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=1)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1),
]
auto_scale_lr = dict(enable=True, base_batch_size=16)
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "retinanet_ft.py"
    path.write_text(CONFIG)
    return path


def _plan(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["plan", *args])
    return result.exit_code, result.output


def test_a_registry_model_gets_its_schedule_without_building_anything(config: Path) -> None:
    code, output = _plan(str(config), "--train", "--iters-per-epoch", "100")
    assert code == 0, output
    assert "Train plan: (no model)" in output
    assert "12 epochs × 100 iterations = 1200 iterations" in output
    assert "info[IC482]" in output
    # 1 process × batch 2 over base batch 16: the rate is scaled by 1/8
    assert "auto_scale_lr ×0.125" in output and "lr (starts 0.0025)" in output


def test_dataset_size_batch_and_gpus_give_the_iterations_and_the_scale(config: Path) -> None:
    code, output = _plan(
        str(config), "--train", "--dataset-size", "1001", "--batch-size", "4", "--gpus", "4",
        "--format", "json",
    )
    assert code == 0, output
    plan = json.loads(output)
    assert plan["loop"]["iters_per_epoch"] == 63  # ceil(ceil(1001 / 4) / 4)
    assert plan["optimizer"]["lr_scale"] == 1.0  # 4 GPUs × 4 = 16 = base_batch_size
    assert plan["optimizer"]["kwargs"]["lr"] == pytest.approx(0.02)
    assert plan["lr"]["total_steps"] == 12 * 63


def test_the_batch_size_comes_from_the_config_by_default(config: Path) -> None:
    code, output = _plan(str(config), "--train", "--dataset-size", "100", "--format", "json")
    assert code == 0, output
    assert json.loads(output)["loop"]["iters_per_epoch"] == 50


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset-size", "10", "--iters-per-epoch", "5"], "not both"),
        (["--no-model", "--dataset-size", "10"], None),
    ],
)
def test_usage(config: Path, args: list[str], message: str | None) -> None:
    code, output = _plan(str(config), "--train", *args)
    if message is None:
        assert code == 0, output
    else:
        assert code == 2 and message in output


def test_dataset_size_needs_train(config: Path) -> None:
    code, output = _plan(str(config), "--dataset-size", "10")
    assert code == 2 and "need --train" in output


def test_the_model_free_table_equals_the_one_with_a_model(config: Path) -> None:
    # Without paramwise_cfg every group starts at the optimizer's rate, so the table a
    # model gives (checked against MMEngine's schedulers elsewhere) is the same one.
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    with_model = compile_train_plan(str(config), model, iters_per_epoch=7, world_size=2)
    without = compile_train_plan(str(config), None, iters_per_epoch=7, world_size=2)
    assert with_model.lr is not None and without.lr is not None
    assert without.lr.base_lrs == with_model.lr.base_lrs[:1]
    steps = with_model.lr.total_steps
    assert without.lr.total_steps == steps
    for step in range(steps):
        assert without.lr.lrs_at_step(step)[0] == with_model.lr.lrs_at_step(step)[0]
    assert without.optimizer == with_model.optimizer
    assert without.param_groups is None and "IC482" in {d.code for d in without.diagnostics}


@pytest.mark.parametrize("size", [1, 7, 8, 9, 1001])
@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize("world", [1, 3])
@pytest.mark.parametrize("drop_last", [False, True])
def test_dataloader_length_is_the_sampler_s(
    size: int, batch: int, world: int, drop_last: bool
) -> None:
    dataset = list(range(size))
    if world == 1:
        mmengine_dataset = pytest.importorskip("mmengine.dataset")
        sampler = mmengine_dataset.DefaultSampler(dataset, shuffle=False)
    else:
        # DefaultSampler pads each rank to ceil(size / world), as DistributedSampler does
        sampler = torch.utils.data.DistributedSampler(
            dataset, num_replicas=world, rank=0, shuffle=False
        )
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch, sampler=sampler, drop_last=drop_last
    )
    assert dataloader_length(size, batch, world, drop_last=drop_last) == len(loader)


def test_a_scope_package_that_is_not_installed_gets_the_schedule(tmp_path: Path) -> None:
    # An OpenMMLab config planned where its package is not installed (a laptop without
    # mmrotate): nothing can be built, but the schedule needs no model.
    import importlib.util

    assert importlib.util.find_spec("mmrotate") is None
    path = tmp_path / "rotated_retinanet.py"
    path.write_text("default_scope = 'mmrotate'\n" + CONFIG)
    code, output = _plan(str(path), "--train", "--iters-per-epoch", "100")
    assert code == 0, output
    assert "Train plan: (no model)" in output and "info[IC482]" in output
    assert "12 epochs × 100 iterations = 1200 iterations" in output
    # The init plan has nothing to show without the model: that stays an error.
    code, output = _plan(str(path))
    assert code == 2 and "mmrotate is not installed" in output


def test_without_optimizer_ic482_speaks_of_the_load_only(tmp_path: Path) -> None:
    """IC482 spoke of an lr table following the optimizer's base rate right under IC458,
    which says there is neither optimizer nor lr table."""
    config = tmp_path / "schedule.py"
    config.write_text("train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=8)\n")
    plan = compile_train_plan(str(config), None)
    found = {d.code: d.message for d in plan.diagnostics}
    assert "IC458" in found
    assert found["IC482"] == "planned without a model: the load_from map is not shown"
    (tmp_path / "full.py").write_text(
        "train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=8)\n"
        "optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))\n"
    )
    with_optimizer = compile_train_plan(str(tmp_path / "full.py"), None)
    [message] = [d.message for d in with_optimizer.diagnostics if d.code == "IC482"]
    assert "the lr table follows the optimizer's base rate" in message
