"""Generated models and init_cfgs, initialized by MMEngine 0.10.7 and by initcfg.

Hypothesis builds trees of BaseModules (each with an init_cfg of any initializer type,
overrides by name, with and without a type, on children that may not exist),
mmengine and plain containers, and leaves of many kinds: subclasses and grandchildren of
torch layers, norm layers with and without affine, float16/bfloat16/float64 layers,
zero-element weights, parametrized weights, RNNs, attention, modules with their own
init_weights, and Pretrained entries with and without a prefix. Each tree is initialized
three ways from the same seed: MMEngine's ``init_weights``, ``initcfg.init_weights`` and a
compiled plan's ``apply``. Where MMEngine runs, every tensor and the generator state must
be equal; where it raises, initcfg must raise its own error and leave the model as it was.
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mmengine.model import BaseModule, ModuleDict, ModuleList, Sequential
from test_init_harness import tensors
from torch import nn

import initcfg
from initcfg.errors import CheckpointError, InitCfgError, InitError


class SubConv(nn.Conv2d):
    """Matched by 'Conv2d' (a direct base)."""


class SubSubConv(SubConv):
    """Not matched by 'Conv2d' (a grandchild)."""


class OwnInit(BaseModule):
    """Applies its init_cfg through super(), then writes a bias of its own."""

    def __init__(self) -> None:
        super().__init__(dict(type="Constant", val=2, layer="Linear", bias=1))
        self.fc = nn.Linear(2, 2)

    def init_weights(self) -> None:
        super().init_weights()
        nn.init.normal_(self.fc.bias, 0, 0.1)


class PlainOwnInit(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 3)

    def init_weights(self) -> None:
        nn.init.uniform_(self.fc.weight)


LEAVES: dict[str, Any] = {
    "Linear": lambda: nn.Linear(3, 4),
    "LinearNoBias": lambda: nn.Linear(3, 2, bias=False),
    "Conv1d": lambda: nn.Conv1d(2, 3, 2),
    "Conv2d": lambda: nn.Conv2d(2, 3, 3),
    "ConvTranspose2d": lambda: nn.ConvTranspose2d(3, 2, 2),
    "BatchNorm2d": lambda: nn.BatchNorm2d(3),
    "BatchNorm1dNoAffine": lambda: nn.BatchNorm1d(3, affine=False),
    "LayerNorm": lambda: nn.LayerNorm(4),
    "GroupNorm": lambda: nn.GroupNorm(2, 4),
    "InstanceNorm2d": lambda: nn.InstanceNorm2d(2, affine=True),
    "Embedding": lambda: nn.Embedding(5, 3),
    "PReLU": lambda: nn.PReLU(2),
    "SubConv": lambda: SubConv(2, 2, 1),
    "SubSubConv": lambda: SubSubConv(2, 2, 1),
    "HalfLinear": lambda: nn.Linear(2, 3).half(),
    "BFloat16Conv": lambda: nn.Conv2d(2, 2, 1).bfloat16(),
    "DoubleLinear": lambda: nn.Linear(3, 3).double(),
    "EmptyLinear": lambda: nn.Linear(0, 3),
    "EmptyKernel": lambda: nn.Conv2d(2, 2, 0),
    "Orthogonal": lambda: nn.utils.parametrizations.orthogonal(nn.Linear(3, 3)),
    "LSTM": lambda: nn.LSTM(2, 2),
    "Attention": lambda: nn.MultiheadAttention(4, 2),
    "OwnInit": OwnInit,
    "PlainOwnInit": PlainOwnInit,
}
LAYER_NAMES = [
    "Linear", "Conv1d", "Conv2d", "ConvTranspose2d", "BatchNorm2d", "BatchNorm1d",
    "LayerNorm", "GroupNorm", "InstanceNorm2d", "Embedding", "PReLU", "SubConv", "Conv",
    "_ConvNd", "_BatchNorm", "_NormBase", "Module", "Sequential", "Node", "LSTM",
    "MultiheadAttention", "NonDynamicallyQuantizableLinear", "ParametrizedLinear",
]


class Node(BaseModule):
    def __init__(self, init_cfg: Any, children: list[tuple[str, nn.Module]]) -> None:
        super().__init__(init_cfg)
        for name, child in children:
            self.add_module(name, child)


class PlainNode(nn.Module):
    def __init__(self, children: list[tuple[str, nn.Module]]) -> None:
        super().__init__()
        for name, child in children:
            self.add_module(name, child)


_number = st.integers(-3, 3) | st.floats(-2, 2, allow_nan=False, width=32)
_positive = st.integers(0, 3) | st.floats(0, 2, allow_nan=False, width=32)


def _entries(names: list[str], checkpoint: str) -> st.SearchStrategy[Any]:
    layer = st.sampled_from(LAYER_NAMES) | st.lists(st.sampled_from(LAYER_NAMES), max_size=3)
    common = dict(layer=layer, bias=_number)
    kinds = [
        st.fixed_dictionaries(dict(type=st.just("Constant"), val=_number), optional=common),
        st.fixed_dictionaries(
            dict(type=st.just("Normal")),
            optional=dict(common, mean=_number, std=_positive, bias_prob=st.floats(0.01, 0.9)),
        ),
        st.fixed_dictionaries(
            dict(type=st.just("Uniform")), optional=dict(common, a=st.just(-1), b=st.just(1.5))
        ),
        st.fixed_dictionaries(
            dict(type=st.just("Xavier")),
            optional=dict(common, gain=_positive,
                          distribution=st.sampled_from(["normal", "uniform"])),
        ),
        st.fixed_dictionaries(
            dict(type=st.just("Kaiming")),
            optional=dict(
                common,
                a=_positive | st.none(),
                mode=st.sampled_from(["fan_in", "fan_out", "FAN_IN"]),
                nonlinearity=st.sampled_from(["relu", "leaky_relu", "tanh", "linear", "selu"]),
                distribution=st.sampled_from(["normal", "uniform"]),
            ),
        ),
        st.fixed_dictionaries(
            dict(type=st.just("TruncNormal")),
            optional=dict(common, mean=_number, std=st.floats(0.1, 2),
                          a=st.just(-1.5), b=st.just(1.0)),
        ),
        st.fixed_dictionaries(dict(type=st.just("Caffe2Xavier")), optional=common),
        st.fixed_dictionaries(
            dict(type=st.just("Pretrained"), checkpoint=st.just(checkpoint)),
            optional=dict(prefix=st.sampled_from(names)),
        ),
    ]
    entry = st.one_of(*kinds)
    item = st.fixed_dictionaries(dict(name=st.sampled_from(names))) | st.tuples(
        st.sampled_from(names), entry
    ).map(lambda pair: dict(pair[1], name=pair[0]))
    override = st.none() | item | st.lists(item, max_size=2)
    return st.tuples(entry, override).map(
        lambda pair: pair[0] if pair[1] is None else dict(pair[0], override=pair[1])
    )


@st.composite
def _tree(draw: st.DrawFn, checkpoint: str, depth: int = 0) -> Any:
    children = []
    for index in range(draw(st.integers(1, 3))):
        if depth < 2 and draw(st.booleans()):
            children.append((f"c{index}", draw(_tree(checkpoint, depth + 1))))
        else:
            children.append((f"l{index}", ("leaf", draw(st.sampled_from(sorted(LEAVES))))))
    names = [name for name, _ in children] + ["missing"]
    kind = "node" if depth == 0 else draw(st.sampled_from(
        ["node", "node", "plain_sequential", "plain", "mm_sequential", "mm_list", "mm_dict"]
    ))
    entries = _entries(names, checkpoint)
    init_cfg = draw(st.none() | entries | st.lists(entries, max_size=3)) if kind == "node" \
        else None
    return (kind, init_cfg, children)


def _build(spec: Any) -> nn.Module:
    if spec[0] == "leaf":
        return LEAVES[spec[1]]()
    kind, init_cfg, children = spec
    built = [(name, _build(child)) for name, child in children]
    modules = [module for _, module in built]
    if kind == "node":
        return Node(copy.deepcopy(init_cfg), built)
    if kind == "plain":
        return PlainNode(built)
    if kind == "plain_sequential":
        return nn.Sequential(*modules)
    if kind == "mm_sequential":
        return Sequential(*modules)
    if kind == "mm_list":
        return ModuleList(modules)
    return ModuleDict(dict(built))


def _equal(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> list[str]:
    assert a.keys() == b.keys()
    return [key for key in a if not torch.equal(a[key], b[key])]


@pytest.mark.filterwarnings("ignore")
def test_generated_trees_initialize_as_mmengine_does(tmp_path: Path) -> None:
    checkpoint = str(tmp_path / "donor.pth")

    @settings(
        max_examples=100,
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(_tree(checkpoint))
    def check(spec: Any) -> None:
        torch.manual_seed(1)
        donor = _build(spec)
        torch.save(
            {key: value.clone().fill_(0.25) if value.is_floating_point() else value.clone()
             for key, value in donor.state_dict().items()},
            checkpoint,
        )
        torch.manual_seed(1)
        theirs = _build(spec)
        ours, planned = copy.deepcopy(theirs), copy.deepcopy(theirs)
        before = tensors(ours)
        torch.manual_seed(5)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs.init_weights()  # type: ignore[operator]
        except Exception:  # MMEngine raises whatever torch raises
            with pytest.raises((InitCfgError, InitError, CheckpointError)):
                initcfg.init_weights(ours)
            assert _equal(before, tensors(ours)) == [], "initcfg raised after writing"
            return
        their_rng = torch.get_rng_state()
        torch.manual_seed(5)
        initcfg.init_weights(ours)
        assert _equal(tensors(theirs), tensors(ours)) == []
        assert torch.equal(their_rng, torch.get_rng_state()), "a different number of draws"
        plan = initcfg.compile_init_plan(None, planned)
        assert plan.errors == []
        torch.manual_seed(5)
        plan.apply(planned)
        assert _equal(tensors(theirs), tensors(planned)) == []
        assert torch.equal(their_rng, torch.get_rng_state()), "the plan draws differently"

    check()
