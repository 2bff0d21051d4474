"""Replay against MMEngine's call where the model code's effect is not in its writes:
reseeding torch's generator, drawing from NumPy's, branching on a tensor's device."""

from __future__ import annotations

import copy
import random
import warnings
from typing import Any

import pytest
import torch
from torch import nn

from initcfg.plan.init_plan import InitPlan, compile_init_plan
from initcfg.plan.meta import build_on_meta

np = pytest.importorskip("numpy")
BaseModule = pytest.importorskip("mmengine.model").BaseModule


class Leaf(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)


class Reseeds(Leaf):
    def init_weights(self) -> None:
        torch.manual_seed(123)  # the draws below come from this seed, not the caller's
        nn.init.normal_(self.fc.weight)


class ReseedsAfter(Leaf):
    def init_weights(self) -> None:
        nn.init.normal_(self.fc.weight)
        torch.manual_seed(123)  # what the caller draws next depends on it


class DrawsNumpy(Leaf):
    def init_weights(self) -> None:
        nn.init.normal_(self.fc.weight, 0.0, np.random.uniform(0.5, 2.0))


class AsksDevice(Leaf):
    def init_weights(self) -> None:
        if self.fc.weight.device.type == "meta":  # true while tracing, never at apply
            return
        nn.init.normal_(self.fc.weight)


def _root(child: type[nn.Module]) -> type[nn.Module]:
    class Root(BaseModule):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.child = child()

    return Root


def _states() -> tuple[Any, ...]:
    state = np.random.get_state()
    return torch.get_rng_state(), state[1].copy(), state[2], random.getstate()


def _seed(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def _against_mmengine(child: type[nn.Module], *, real: bool = False) -> InitPlan:
    """Plan (on meta, or on a real copy), apply the plan read back from JSON to one real
    build and MMEngine's ``init_weights`` to another, from the same seeds: every tensor
    and the torch, NumPy and Python generator states agree."""
    build = _root(child)
    torch.manual_seed(0)
    ours = build()
    theirs = copy.deepcopy(ours)
    _seed(1)  # planning happens under other generator states than applying
    plan = compile_init_plan(None, copy.deepcopy(ours) if real else build_on_meta(build),
                             trace_real=real)
    plan = InitPlan.loads(plan.dumps())
    _seed(7)
    plan.apply(ours)
    after_ours = _states()
    _seed(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.init_weights()
    after_theirs = _states()
    for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values(),
                            strict=True):
        assert torch.equal(a, b), name
    assert torch.equal(after_ours[0], after_theirs[0]), "torch's generator differs"
    assert (after_ours[1] == after_theirs[1]).all() and after_ours[2] == after_theirs[2], (
        "NumPy's generator differs"
    )
    assert after_ours[3] == after_theirs[3], "Python's generator differs"
    return plan


def _reason(plan: InitPlan) -> str:
    call = next(step for step in plan.steps if step.kind == "call")
    assert call.trace is not None and call.trace.replay is None, "replayed"
    return (call.trace.replay_reason if call.trace.complete else call.trace.reason) or ""


@pytest.mark.parametrize("real", [False, True], ids=["meta", "real-copy"])
@pytest.mark.parametrize("child", [Reseeds, ReseedsAfter])
def test_code_that_reseeds_torch_is_called_not_replayed(
    child: type[nn.Module], real: bool
) -> None:
    plan = _against_mmengine(child, real=real)
    assert "random generator" in _reason(plan)


@pytest.mark.parametrize("real", [False, True], ids=["meta", "real-copy"])
def test_code_that_draws_from_numpy_is_called_not_replayed(real: bool) -> None:
    before = np.random.get_state()[1].copy()
    plan = _against_mmengine(DrawsNumpy, real=real)
    assert "NumPy" in _reason(plan)
    np.random.seed(1)
    expected = np.random.get_state()[1].copy()
    np.random.seed(1)
    compile_init_plan(None, build_on_meta(_root(DrawsNumpy)))
    assert (np.random.get_state()[1] == expected).all(), "planning moved NumPy's generator"
    assert before.shape == expected.shape


@pytest.mark.parametrize("real", [False, True], ids=["meta", "real-copy"])
def test_code_that_asks_a_tensors_device_is_not_replayed(real: bool) -> None:
    # On a real copy the answer is true, but apply may run on another device.
    plan = _against_mmengine(AsksDevice, real=real)
    assert "checks device of child.fc.weight" in _reason(plan)


class RegistersHook(Leaf):
    def init_weights(self) -> None:
        nn.init.normal_(self.fc.weight)
        self.fc.register_forward_hook(_double)  # changes forward, sets no attribute


def _double(_module: nn.Module, _inputs: Any, output: torch.Tensor) -> torch.Tensor:
    return output * 2


class Counts(Leaf):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def init_weights(self) -> None:
        self.calls.append("init_weights")
        nn.init.normal_(self.fc.weight)


@pytest.mark.parametrize("child", [RegistersHook, Counts])
def test_code_that_changes_a_modules_containers_is_called_not_replayed(
    child: type[nn.Module],
) -> None:
    plan = _against_mmengine(child)
    assert "sets module attributes" in _reason(plan)
    ours = _root(child)()
    plan.apply(ours)
    if child is Counts:
        assert ours.child.calls == ["init_weights"]
    else:
        assert len(ours.child.fc._forward_hooks) == 1


# -- a plan file names only writes of values --------------------------------------------


class Plain(Leaf):
    def init_weights(self) -> None:
        nn.init.normal_(self.fc.weight)


@pytest.mark.parametrize(
    ("func", "args"),
    [
        ("Tensor.set_", []),  # the parameter left with no elements
        ("Tensor.resize_", [2]),
        ("Tensor.requires_grad_", [False]),  # a parameter silently frozen
        ("Tensor.share_memory_", []),  # a shared-memory file created
        ("Tensor.t_", []),
        ("torch.detach_", []),
    ],
)
def test_a_plan_file_cannot_change_a_tensors_shape_storage_or_autograd(
    func: str, args: list[Any]
) -> None:
    from initcfg.plan.trace import resolve_func

    assert resolve_func(func) is None, func
    plan = compile_init_plan(None, build_on_meta(_root(Plain)))
    data = plan.to_json()
    step = next(s for s in data["steps"] if s["kind"] == "call")
    assert step["trace"]["replay"][0][2] == "nn.init.normal_"
    step["trace"]["replay"] = [["child.fc.weight", [4, 4], func, args, {}, 0]]
    torch.manual_seed(0)
    ours = _root(Plain)()
    theirs = copy.deepcopy(ours)
    torch.manual_seed(2)
    InitPlan.from_json(data).apply(ours)  # falls back to the call
    torch.manual_seed(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.init_weights()
    weight = ours.child.fc.weight
    assert weight.shape == (4, 4) and weight.requires_grad and not weight.is_shared()
    assert torch.equal(weight, theirs.child.fc.weight)


@pytest.mark.parametrize(
    "kwargs", [{"tensor": 1.0}, {"": 1.0}], ids=["the tensor's own keyword", "no name"]
)
def test_a_plan_file_whose_keywords_no_tracer_writes_falls_back_to_the_call(
    kwargs: dict[str, Any],
) -> None:
    plan = compile_init_plan(None, build_on_meta(_root(Plain)))
    data = plan.to_json()
    step = next(s for s in data["steps"] if s["kind"] == "call")
    step["trace"]["replay"][0][4] = {**step["trace"]["replay"][0][4], **kwargs}
    torch.manual_seed(0)
    ours = _root(Plain)()
    theirs = copy.deepcopy(ours)
    torch.manual_seed(2)
    InitPlan.from_json(data).apply(ours)  # was a TypeError from the replayed call
    torch.manual_seed(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.init_weights()
    assert torch.equal(ours.child.fc.weight, theirs.child.fc.weight)
