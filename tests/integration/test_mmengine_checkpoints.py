"""Checkpoints MMEngine writes load weights-only through exactly the allowlisted objects;
anything else a pickle asks for is still refused, and nothing leaks outside the block."""

from __future__ import annotations

import pickle
import subprocess
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mmengine")

from mmengine.logging import MessageHub  # noqa: E402
from mmengine.logging.history_buffer import HistoryBuffer  # noqa: E402

from initcfg.errors import CheckpointError  # noqa: E402
from initcfg.plan.checkpoint import (  # noqa: E402
    HistoryBufferState,
    mmengine_checkpoints_allowed,
    read_checkpoint,
)


def _mmengine_style(path: Path, hub_extra: Any = None) -> dict[str, torch.Tensor]:
    """What Runner.save_checkpoint writes: state_dict plus the message hub's state."""
    hub = MessageHub(f"hub_{path.stem}")
    for step in range(3):
        hub.update_scalar("train/loss", 1.0 / (step + 1))
        hub.update_info("iter", step)
    state = {"fc.weight": torch.randn(2, 3), "fc.bias": torch.zeros(2)}
    checkpoint: dict[str, Any] = {
        "meta": {"epoch": 1, "iter": 3, "seed": 0},
        "state_dict": state,
        "message_hub": hub.state_dict(),
    }
    if hub_extra is not None:
        checkpoint["extra"] = hub_extra
    torch.save(checkpoint, path)
    return state


def test_the_state_dict_of_an_mmengine_checkpoint_is_read(tmp_path: Path) -> None:
    path = tmp_path / "epoch_1.pth"
    state = _mmengine_style(path)
    with pytest.raises(pickle.UnpicklingError):  # torch alone refuses it
        torch.load(path, weights_only=True)
    loaded = read_checkpoint(str(path))
    assert loaded.keys() == state.keys()
    assert all(torch.equal(loaded[k], state[k]) for k in state)
    with pytest.raises(pickle.UnpicklingError):  # and still does after
        torch.load(path, weights_only=True)


def test_mmengine_s_own_types_come_back_when_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "epoch_1.pth"
    _mmengine_style(path)
    with mmengine_checkpoints_allowed(HistoryBuffer):
        checkpoint = torch.load(path, weights_only=True)
    loss = checkpoint["message_hub"]["log_scalars"]["train/loss"]
    assert isinstance(loss, HistoryBuffer)
    assert loss.current() == pytest.approx(1 / 3) and loss.mean() == pytest.approx(11 / 18)
    with mmengine_checkpoints_allowed():
        inert = torch.load(path, weights_only=True)
    assert isinstance(inert["message_hub"]["log_scalars"]["train/loss"], HistoryBufferState)


class _Sneaky:
    """Pickles as ``getattr(Popen, 'communicate')``: a hostile checkpoint's lookup."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (getattr, (subprocess.Popen, "communicate"))


class _SneakyOnBuffer:
    """``getattr(HistoryBuffer, '__init__')``: the right class, not a statistics method."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (getattr, (HistoryBuffer, "__init__"))


class _Unknown:
    pass


@pytest.mark.parametrize(
    "payload",
    [_Sneaky(), _SneakyOnBuffer(), _Unknown()],
    ids=["other-class", "buffer-method", "class"],
)
def test_anything_else_is_still_refused(tmp_path: Path, payload: Any) -> None:
    path = tmp_path / "hostile.pth"
    _mmengine_style(path, hub_extra=payload)
    with pytest.raises(CheckpointError, match="not a weights-only checkpoint"):
        read_checkpoint(str(path))
    with mmengine_checkpoints_allowed(HistoryBuffer), pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)


class _ModuleListModel(torch.nn.Module):
    """A child whose name starts with 'module' (YOLO-style ``module_list``)."""

    def __init__(self) -> None:
        super().__init__()
        self.module_list = torch.nn.ModuleList([torch.nn.Linear(2, 2)])
        self.modulex = torch.nn.Linear(2, 2)
        self.head = torch.nn.Linear(2, 1)


def test_load_from_revises_keys_as_the_runner_does(tmp_path: Path) -> None:
    # Runner.load_checkpoint strips r'^module.' (any character after 'module'), so
    # 'module_list.0.weight' arrives as 'list.0.weight' and that child keeps its init;
    # a Pretrained entry strips only 'module.' (r'^module\.').
    import logging

    from mmengine.runner import Runner

    from initcfg.backend.torch import init_weights
    from initcfg.plan.init_plan import compile_init_plan
    from openmmlab import make_torchvision_importable

    make_torchvision_importable()  # Runner logs its environment with torchvision
    logging.getLogger("mmengine").setLevel(logging.ERROR)
    source = _ModuleListModel()
    path = tmp_path / "yolo.pth"
    torch.save({"state_dict": source.state_dict()}, path)
    torch.manual_seed(1)  # both targets start from the same fresh weights
    runner = Runner(
        model=_ModuleListModel(), work_dir=str(tmp_path / "wd"), log_level="ERROR",
        default_scope=None, experiment_name=f"revise_{tmp_path.name}",
    )
    runner.load_checkpoint(str(path))
    theirs = runner.model.state_dict()
    loaded_by_runner = {k for k, v in theirs.items() if torch.equal(v, source.state_dict()[k])}
    assert loaded_by_runner == {"head.weight", "head.bias"}

    torch.manual_seed(1)
    mine = _ModuleListModel()
    plan = compile_init_plan({"load_from": str(path)}, mine)
    plan.apply(mine)
    assert all(torch.equal(v, theirs[k]) for k, v in mine.state_dict().items())
    step = plan.steps[-1]
    assert step.load is not None and step.load.result is not None
    assert step.load.result.loaded == ["head.weight", "head.bias"]
    assert step.load.result.unexpected == [
        "list.0.weight", "list.0.bias", ".weight", ".bias"
    ]

    pretrained = _ModuleListModel()
    pretrained.init_cfg = {"type": "Pretrained", "checkpoint": str(path)}
    init_weights(pretrained)
    assert all(torch.equal(v, source.state_dict()[k]) for k, v in pretrained.state_dict().items())
