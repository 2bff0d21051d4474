"""Differential: MMEngine 0.10.7's EMAHook and the averaged models it builds, run beside
what initcfg validate says of the same settings: a momentum the models assert against
and a start past the run (IC302), and a momentum written as a decay (IC336)."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mmengine")

from mmengine.model import ExponentialMovingAverage, MomentumAnnealingEMA  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

import initcfg  # noqa: E402
from openmmlab import import_mmpretrain  # noqa: E402
from runner_toy import Toy  # noqa: E402

logging.getLogger("mmengine").setLevel(logging.ERROR)


def _ema_types() -> list[type[nn.Module]]:
    from openmmlab_mmdet import import_mmdet

    import_mmpretrain()
    import_mmdet()
    from mmdet.models.layers import ExpMomentumEMA
    from mmpretrain.models.utils import CosineEMA

    return [ExponentialMovingAverage, MomentumAnnealingEMA, ExpMomentumEMA, CosineEMA]


def _findings(hook: dict[str, Any], train_cfg: dict[str, Any] | None = None) -> list[
    tuple[str, str | None]
]:
    config: dict[str, Any] = {"custom_hooks": [{"type": "EMAHook", **hook}]}
    if train_cfg is not None:
        config["train_cfg"] = train_cfg
    return sorted((d.code, d.path) for d in initcfg.validate(config))


def test_the_momentum_is_the_current_model_s_weight() -> None:
    # After the first update (a copy), one update towards weights of 0 from 1.
    def after_update(momentum: float) -> float:
        model = nn.Linear(1, 1, bias=False)
        nn.init.constant_(model.weight, 1.0)
        ema = ExponentialMovingAverage(model, momentum=momentum)
        ema.update_parameters(model)
        nn.init.constant_(model.weight, 0.0)
        ema.update_parameters(model)
        return float(ema.module.weight)

    assert after_update(0.0002) == pytest.approx(0.9998, abs=1e-6)  # the average's
    # Built and updated (MMEngine only logs a warning): the current model's, almost.
    assert after_update(0.9998) == pytest.approx(0.0002, abs=1e-6)
    assert _findings({"momentum": 0.9998}) == [("IC336", "custom_hooks[0].momentum")]
    assert _findings({"momentum": 0.0002}) == []
    assert _findings({"momentum": 0.5}) == []  # MMEngine warns above 0.5 only


@pytest.mark.parametrize("momentum", [0, 1.0, -0.1, 1.5])
def test_a_momentum_outside_0_1_is_what_each_ema_type_asserts_against(momentum: float) -> None:
    for ema_type in _ema_types():
        with pytest.raises(AssertionError, match="momentum"):
            ema_type(nn.Linear(1, 1), momentum=momentum)
        found = _findings({"ema_type": ema_type.__name__, "momentum": momentum})
        assert found == [("IC302", "custom_hooks[0].momentum")], ema_type


def test_the_argument_table_is_each_ema_type_s_signature() -> None:
    import inspect

    from mmengine.model import StochasticWeightAverage

    from initcfg.schema.ema_hooks import EMA_ARGUMENTS

    classes = [*_ema_types(), StochasticWeightAverage]
    found = {cls.__name__: frozenset(inspect.signature(cls.__init__).parameters) - {
        "self", "model"} for cls in classes}
    assert found == EMA_ARGUMENTS


def test_an_argument_the_ema_type_does_not_take_is_ic301(tmp_path: Path) -> None:
    # timm's and YOLOv5's name for the EMA's parameter, passed on to the averaged model.
    with pytest.raises(TypeError, match="decay"):
        _train(tmp_path, EPOCHS, {"decay": 0.9998})
    found = _findings({"decay": 0.9998, "priority": 49}, EPOCHS)
    assert found == [("IC301", "custom_hooks[0].decay")]
    hints = [d.hint for d in initcfg.validate(
        {"custom_hooks": [{"type": "EMAHook", "decay": 0.9998}]})]
    assert hints == ["MMEngine's EMA takes momentum = 1 - decay (decay=0.9998 is "
                     "momentum=0.0002)"]
    # Keys EMAHook, MMPretrain's EMAHook and the Runner read are not passed on.
    assert _findings({"momentum": 0.0002, "strict_load": True, "evaluate_on_origin": True,
                      "priority": "ABOVE_NORMAL"}, EPOCHS) == []


def test_an_ema_type_without_a_momentum_is_not_judged_by_ic336() -> None:
    # StochasticWeightAverage takes no momentum: not IC336's, but IC301's.
    assert _findings({"ema_type": "StochasticWeightAverage", "momentum": 0.9}) == [
        ("IC301", "custom_hooks[0].momentum")
    ]


def _train(work_dir: Path, train_cfg: dict[str, Any], hook: dict[str, Any]) -> None:
    loader = DataLoader([dict(inputs=torch.ones(2)) for _ in range(2)], batch_size=1)
    runner = Runner(
        model=Toy(),
        work_dir=str(work_dir),
        train_dataloader=loader,
        train_cfg=train_cfg,
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01)),
        custom_hooks=[dict(type="EMAHook", **hook)],
        default_hooks=dict(checkpoint=None, logger=None),
        log_level="ERROR",
        default_scope=None,
        experiment_name=f"ema-{uuid.uuid4().hex}",
    )
    runner.train()


EPOCHS = {"type": "EpochBasedTrainLoop", "max_epochs": 2}
ITERS = {"type": "IterBasedTrainLoop", "max_iters": 4}


@pytest.mark.parametrize(
    ("train_cfg", "hook", "path"),
    [
        (EPOCHS, {"begin_epoch": 3}, "custom_hooks[0].begin_epoch"),
        (ITERS, {"begin_iter": 5}, "custom_hooks[0].begin_iter"),
        # An IterBasedTrainLoop has one epoch.
        (ITERS, {"begin_epoch": 2}, "custom_hooks[0].begin_epoch"),
        (EPOCHS, {"begin_epoch": 1, "begin_iter": 1}, "custom_hooks[0].begin_iter"),
        (EPOCHS, {"begin_iter": -1}, "custom_hooks[0].begin_iter"),
        (EPOCHS, {"begin_epoch": 2}, None),  # the last epoch: it starts there
        (ITERS, {"begin_iter": 4}, None),
        (ITERS, {"begin_epoch": 1}, None),
    ],
)
def test_a_start_the_runner_asserts_against_is_ic302(
    tmp_path: Path, train_cfg: dict[str, Any], hook: dict[str, Any], path: str | None
) -> None:
    if path is None:
        _train(tmp_path, train_cfg, hook)
        assert _findings(hook, train_cfg) == []
    else:
        with pytest.raises(AssertionError, match="begin_"):
            _train(tmp_path, train_cfg, hook)
        assert _findings(hook, train_cfg) == [("IC302", path)]
