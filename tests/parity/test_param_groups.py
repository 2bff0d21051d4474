"""Differential: per-parameter lr and weight decay equal MMEngine 0.10.7's constructor."""

from __future__ import annotations

import logging
from typing import Any

import pytest

torch = pytest.importorskip("torch")
mmengine_optim = pytest.importorskip("mmengine.optim")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch import nn  # noqa: E402

from initcfg.plan.param_groups import (  # noqa: E402
    ParamwiseRules,
    resolve_param_groups,
    torch_param_groups,
    unwrap_model,
)

logging.getLogger("mmengine").setLevel(logging.ERROR)


class Block(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn = nn.BatchNorm2d(channels)
        self.dw = nn.Conv2d(channels, channels, 3, padding=1, groups=channels)
        self.pw = nn.Conv2d(channels, channels, 1, bias=False)
        self.gn = nn.GroupNorm(2, channels)


class Net(nn.Module):
    """Norms, depthwise convs, biases, a root parameter, a frozen stem, nested names."""

    def __init__(self) -> None:
        super().__init__()
        self.pos_embed = nn.Parameter(torch.zeros(1, 4))
        self.backbone = nn.Module()
        self.backbone.stem = nn.Conv2d(1, 4, 3)  # in_channels == groups == 1: "depthwise"
        self.backbone.layer1 = nn.Sequential(Block(4), Block(4))
        self.backbone.norm = nn.LayerNorm(4)
        self.backbone.inorm = nn.InstanceNorm2d(4, affine=True)
        self.neck = nn.Sequential(nn.Conv2d(4, 8, 1), nn.SyncBatchNorm(8))
        self.head = nn.Module()
        self.head.fc = nn.Linear(8, 3)
        self.head.cls_token = nn.Parameter(torch.zeros(8))
        self.backbone.stem.weight.requires_grad_(False)
        self.backbone.layer1[1].bn.bias.requires_grad_(False)


class Shared(nn.Module):
    """Tied weights: one Linear registered under two parents."""

    def __init__(self) -> None:
        super().__init__()
        shared = nn.Linear(4, 4)
        self.encoder = nn.Sequential(shared, nn.LayerNorm(4))
        self.decoder = nn.Sequential(nn.Linear(4, 4), shared)


def mmengine_groups(
    model: nn.Module, optimizer: dict[str, Any], paramwise: dict[str, Any] | None
) -> dict[int, dict[str, Any]]:
    ctor = mmengine_optim.DefaultOptimWrapperConstructor(
        dict(type="OptimWrapper", optimizer=dict(optimizer)), paramwise
    )
    wrapper = ctor(model)
    out: dict[int, dict[str, Any]] = {}
    for group in wrapper.optimizer.param_groups:
        for param in group["params"]:
            assert id(param) not in out
            out[id(param)] = group
    return out


def ours(
    model: nn.Module, optimizer: dict[str, Any], paramwise: dict[str, Any] | None
) -> dict[int, tuple[float | None, float | None, dict[str, Any]]]:
    kwargs = {k: v for k, v in optimizer.items() if k != "type"}
    plan, diagnostics = resolve_param_groups(
        model, optimizer["type"], kwargs, ParamwiseRules.from_mapping(paramwise)
    )
    assert not [d for d in diagnostics if d.severity == "error"], diagnostics
    root = unwrap_model(model)[0]
    named = dict(root.named_parameters(remove_duplicate=False))
    out: dict[int, tuple[float | None, float | None, dict[str, Any]]] = {}
    for item in plan.params:
        if item.in_optimizer:
            assert id(named[item.name]) not in out
            out[id(named[item.name])] = (item.lr, item.weight_decay, item.extra)
    # The torch groups built from the plan carry the same values.
    for group in torch_param_groups(plan, model):
        for param in group["params"]:
            lr, wd, _ = out[id(param)]
            assert group.get("lr") == lr and group.get("weight_decay") == wd
    return out


def assert_same(model: nn.Module, optimizer: dict[str, Any], paramwise: dict[str, Any] | None):
    theirs = mmengine_groups(model, optimizer, paramwise)
    mine = ours(model, optimizer, paramwise)
    assert set(mine) == set(theirs)
    names = {id(p): n for n, p in model.named_parameters(remove_duplicate=False)}
    for key, (lr, wd, extra) in mine.items():
        group = theirs[key]
        assert lr == group["lr"], names[key]
        assert wd == group["weight_decay"], names[key]
        for option, value in extra.items():
            assert group[option] == value, (names[key], option)


SGD = dict(type="SGD", lr=0.02, momentum=0.9, weight_decay=1e-4)
ADAMW = dict(type="AdamW", lr=1e-3, weight_decay=0.05)

CASES: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = [
    ("no paramwise: one group, frozen included", SGD, None),
    ("empty paramwise is no paramwise", SGD, {}),
    ("a paramwise key MMEngine ignores still walks the model", SGD, dict(unused_key=1.0)),
    ("norm decay", SGD, dict(norm_decay_mult=0.0)),
    ("bias lr and decay", SGD, dict(bias_lr_mult=2.0, bias_decay_mult=0.0)),
    ("dwconv decay", SGD, dict(dwconv_decay_mult=0.5)),
    ("flat decay", ADAMW, dict(flat_decay_mult=0.0)),
    (
        "all multipliers: norm beats bias beats dwconv beats flat",
        SGD,
        dict(
            bias_lr_mult=2.0,
            bias_decay_mult=0.3,
            norm_decay_mult=0.0,
            dwconv_decay_mult=0.7,
            flat_decay_mult=0.1,
        ),
    ),
    (
        "custom keys: longest wins, other rules ignored",
        SGD,
        dict(
            custom_keys={
                "backbone": dict(lr_mult=0.1, decay_mult=0.9),
                "backbone.layer1": dict(lr_mult=0.5),
                "head": dict(lr_mult=10.0, decay_mult=0.0),
            },
            norm_decay_mult=0.0,
            bias_lr_mult=2.0,
        ),
    ),
    (
        "custom keys: ties by alphabet, root params as '.name'",
        ADAMW,
        dict(custom_keys={"conv": dict(lr_mult=3.0), "bn.w": dict(lr_mult=4.0),
                          ".pos": dict(decay_mult=0.0), "norm": dict(decay_mult=0.5),
                          "dw.b": dict(lr_mult=0.25)}),
    ),
    (
        "custom keys copy other options into the group",
        SGD,
        dict(custom_keys={"head": dict(lr_mult=0.5, momentum=0.5)}),
    ),
    (
        "custom keys copy a sequence option and None into the group",
        ADAMW,
        dict(custom_keys={"head": dict(lr_mult=0.5, betas=(0.8, 0.9), foreach=None)}),
    ),
    ("adamw without weight_decay: torch's default", dict(type="AdamW", lr=1e-3),
     dict(bias_lr_mult=2.0)),
    ("a key that matches nothing", SGD, dict(custom_keys={"nothing": dict(lr_mult=9.0)})),
    ("bypass_duplicate on a model without duplicates", SGD, dict(bypass_duplicate=True)),
]


@pytest.mark.parametrize(("case", "optimizer", "paramwise"), CASES, ids=[c[0] for c in CASES])
def test_net_matches_mmengine(case: str, optimizer: dict[str, Any], paramwise: Any) -> None:
    assert_same(Net(), optimizer, paramwise)


def test_frozen_excluded_only_with_paramwise() -> None:
    model = Net()
    stem = id(model.backbone.stem.weight)
    assert stem in mmengine_groups(model, SGD, None)
    assert stem in ours(model, SGD, None)
    assert stem not in mmengine_groups(model, SGD, dict(norm_decay_mult=0.0))
    assert stem not in ours(model, SGD, dict(norm_decay_mult=0.0))


def test_shared_params_bypass_duplicate() -> None:
    assert_same(Shared(), SGD, dict(bypass_duplicate=True, norm_decay_mult=0.0))


def test_shared_params_without_bypass_is_an_error_like_mmengine() -> None:
    with pytest.raises(ValueError, match="more than one parameter group"):
        mmengine_groups(Shared(), SGD, dict(norm_decay_mult=0.0))
    plan, diagnostics = resolve_param_groups(
        Shared(), "SGD", {k: v for k, v in SGD.items() if k != "type"},
        ParamwiseRules.from_mapping(dict(norm_decay_mult=0.0)),
    )
    assert [d.code for d in diagnostics] == ["IC453", "IC453"]
    assert [p.name for p in plan.params if p.status == "duplicate"] == [
        "decoder.1.weight", "decoder.1.bias",
    ]


def test_missing_weight_decay_is_an_error_like_mmengine() -> None:
    with pytest.raises(ValueError, match="base_wd"):
        mmengine_groups(Net(), dict(type="SGD", lr=0.1), dict(norm_decay_mult=0.0))
    _, diagnostics = resolve_param_groups(
        Net(), "SGD", dict(lr=0.1), ParamwiseRules.from_mapping(dict(norm_decay_mult=0.0))
    )
    assert "IC451" in [d.code for d in diagnostics]


@pytest.mark.parametrize(
    "paramwise",
    [dict(bias_decay_mult=None), dict(norm_decay_mult=None, bias_lr_mult=2.0),
     dict(dwconv_decay_mult=None)],
    ids=["bias_decay_mult", "norm_decay_mult", "dwconv_decay_mult"],
)
def test_a_decay_mult_written_as_none_needs_weight_decay_like_mmengine(
    paramwise: dict[str, Any],
) -> None:
    # MMEngine asks whether the key is in paramwise_cfg, not whether it holds a value.
    with pytest.raises(ValueError, match="base_wd"):
        mmengine_groups(Net(), dict(type="SGD", lr=0.1), paramwise)
    _, diagnostics = resolve_param_groups(
        Net(), "SGD", dict(lr=0.1), ParamwiseRules.from_mapping(paramwise)
    )
    assert "IC451" in [d.code for d in diagnostics]
    import initcfg

    found = initcfg.validate(dict(
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1), paramwise_cfg=paramwise),
    ))
    assert [(d.code, d.severity) for d in found] == [("IC451", "error")]


def test_module_attribute_is_unwrapped_like_mmengine() -> None:
    class Holder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.module = nn.Linear(2, 2)
            self.other = nn.Linear(2, 2)

    model = Holder()
    theirs = mmengine_groups(model, SGD, dict(bias_lr_mult=2.0))
    assert id(model.other.weight) not in theirs
    plan, diagnostics = resolve_param_groups(
        model, "SGD", dict(lr=0.02, weight_decay=1e-4), ParamwiseRules.from_mapping(
            dict(bias_lr_mult=2.0))
    )
    assert plan.unwrapped and [p.name for p in plan.params] == ["weight", "bias"]
    assert "IC455" in [d.code for d in diagnostics]
    assert_same(model, SGD, dict(bias_lr_mult=2.0))


KEYS = st.sampled_from(
    ["backbone", "layer1", "layer1.0", "bn", "conv", "dw", "head", "fc.b", ".pos",
     "neck.1", "gn.weight", "norm", "stem", "weight", "bias", "x"]
)
MULT = st.sampled_from([0.0, 0.1, 0.5, 1.0, 2.0, 3.0])


@st.composite
def paramwise_cfgs(draw: st.DrawFn) -> dict[str, Any]:
    cfg: dict[str, Any] = {}
    for name in ("bias_lr_mult", "bias_decay_mult", "norm_decay_mult", "dwconv_decay_mult",
                 "flat_decay_mult"):
        if draw(st.booleans()):
            cfg[name] = draw(MULT)
    keys = draw(st.lists(KEYS, max_size=4, unique=True))
    custom = {}
    for key in keys:
        entry = {}
        if draw(st.booleans()):
            entry["lr_mult"] = draw(MULT)
        if draw(st.booleans()):
            entry["decay_mult"] = draw(MULT)
        custom[key] = entry
    if custom or draw(st.booleans()):
        cfg["custom_keys"] = custom
    return cfg


@settings(max_examples=60, deadline=None)
@given(paramwise_cfgs(), st.sampled_from([SGD, ADAMW]))
def test_random_paramwise_matches_mmengine(paramwise: dict[str, Any], optimizer: Any) -> None:
    assert_same(Net(), optimizer, paramwise)
