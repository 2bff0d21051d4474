"""Differential: what MMEngine 0.10.7's AmpOptimWrapper accepts as ``loss_scale``
(exactly 'dynamic', a float, or a dict of torch GradScaler keyword arguments), beside
what initcfg validate says of each. AmpOptimWrapper asserts a GPU before it reads
``loss_scale``, so that part runs only where CUDA is; the GradScaler part runs anywhere."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mmengine")

import initcfg  # noqa: E402
from initcfg.schema.optim_wrapper import (  # noqa: E402
    GRAD_SCALER_ARGS,
    SHARDED_GRAD_SCALER_ARGS,
)


def _grad_scaler() -> Any:
    # The class AmpOptimWrapper imports on a CUDA machine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.cuda.amp.GradScaler is deprecated
        from torch.cuda.amp import GradScaler
    return GradScaler


def _parameters(cls: type) -> tuple[str, ...]:
    return tuple(name for name in inspect.signature(cls.__init__).parameters if name != "self")


def test_the_grad_scaler_tables_are_torch_s_signatures() -> None:
    from torch.distributed.fsdp.sharded_grad_scaler import ShardedGradScaler

    assert sorted(GRAD_SCALER_ARGS) == sorted(_parameters(_grad_scaler()))
    assert sorted(SHARDED_GRAD_SCALER_ARGS) == sorted(_parameters(ShardedGradScaler))


def _findings(loss_scale: Any, **wrapper: Any) -> list[tuple[str, str | None]]:
    config = {"optim_wrapper": {"type": "AmpOptimWrapper",
                                "optimizer": {"type": "SGD", "lr": 0.01},
                                "loss_scale": loss_scale, **wrapper}}
    return [(d.code, d.path) for d in initcfg.validate(config)]


def test_a_dict_key_grad_scaler_does_not_take_is_ic301() -> None:
    scaler = _grad_scaler()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scaler(init_scale=512.0, growth_interval=100)
        with pytest.raises(TypeError, match="growth"):
            scaler(init_scale=512.0, growth=2.0)
    assert _findings({"init_scale": 512.0, "growth_interval": 100}) == []
    assert _findings({"init_scale": 512.0, "growth": 2.0}) == [
        ("IC301", "optim_wrapper.loss_scale.growth")
    ]
    # With use_fsdp AmpOptimWrapper builds ShardedGradScaler, which takes a device too.
    assert _findings({"device": "cuda"}, use_fsdp=True) == []
    assert _findings({"device": "cuda"}) == [("IC301", "optim_wrapper.loss_scale.device")]


REFUSED = [512, "Dynamic", None, True, [512.0]]
ACCEPTED = ["dynamic", 512.0, {"init_scale": 512.0}]


@pytest.mark.parametrize("loss_scale", REFUSED)
def test_what_amp_optim_wrapper_refuses_is_ic302(loss_scale: Any) -> None:
    assert _findings(loss_scale) == [("IC302", "optim_wrapper.loss_scale")]


@pytest.mark.parametrize("loss_scale", ACCEPTED)
def test_what_amp_optim_wrapper_takes_is_quiet(loss_scale: Any) -> None:
    assert _findings(loss_scale) == []


@pytest.mark.skipif(not torch.cuda.is_available(), reason="AmpOptimWrapper asserts a GPU")
@pytest.mark.parametrize(
    ("loss_scale", "refused"),
    [*((value, True) for value in REFUSED), *((value, False) for value in ACCEPTED)],
)
def test_amp_optim_wrapper_refuses_exactly_those(loss_scale: Any, refused: bool) -> None:
    from mmengine.optim import AmpOptimWrapper

    optimizer = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.01)
    if refused:
        with pytest.raises(TypeError, match="loss_scale must be of type float"):
            AmpOptimWrapper(optimizer=optimizer, loss_scale=loss_scale)
    else:
        AmpOptimWrapper(optimizer=optimizer, loss_scale=loss_scale)
