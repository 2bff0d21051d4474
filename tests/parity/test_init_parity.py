"""Differential tests: initcfg's init_weights/initialize against MMEngine 0.10.7.

Each scenario builds a model once, deep-copies it, seeds torch identically, runs MMEngine
on one copy and initcfg on the other, and requires every parameter and buffer to be
``torch.equal`` and the global generator to end in the same state. The scenarios follow
the cases of MMEngine's own tests/test_model/test_weight_init.py and
test_base_module.py, rewritten, plus the behaviours in MMENGINE_SEMANTICS.md.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from mmengine.model import BaseModule, ModuleList, Sequential
from mmengine.model import initialize as mm_initialize
from test_init_harness import (
    Convs,
    FooHead,
    Holder,
    Leaf,
    Middle,
    Net,
    Shared,
    Subclassed,
    Top,
    WithAttention,
    WithCustom,
    assert_same,
    changed,
    compare_init_weights,
    compare_initialize,
    tensors,
)
from torch import nn

from initcfg import compile_init_plan
from initcfg.backend.torch import InitError, init_weights, initialize

ALL_LAYERS = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d", "Linear"]

# -- initialize(): every initializer type with non-default arguments ----------------------

INITIALIZE_CASES: dict[str, Any] = {
    "constant": dict(type="Constant", layer=ALL_LAYERS, val=0.5, bias=-2),
    "constant_int_bool": dict(type="Constant", layer="Linear", val=3, bias=True),
    "xavier_normal": dict(type="Xavier", layer=ALL_LAYERS, gain=2.5, bias=0.1),
    "xavier_uniform": dict(
        type="Xavier", layer=ALL_LAYERS, gain=0.7, distribution="uniform", bias=3
    ),
    "normal": dict(type="Normal", layer=[*ALL_LAYERS, "Embedding"], mean=0.3, std=0.02, bias=1),
    "trunc_normal": dict(
        type="TruncNormal", layer=ALL_LAYERS, mean=0.1, std=0.5, a=-0.4, b=0.9, bias=-1
    ),
    "trunc_normal_degenerate": dict(type="TruncNormal", layer="Linear", a=0.3, b=0.3),
    "uniform": dict(type="Uniform", layer=ALL_LAYERS, a=-0.3, b=0.6, bias=0.25),
    "uniform_equal_bounds": dict(type="Uniform", layer="Conv2d", a=0.4, b=0.4),
    "kaiming_normal_fan_out": dict(type="Kaiming", layer=ALL_LAYERS, bias=0.5),
    "kaiming_uniform_fan_in_leaky": dict(
        type="Kaiming",
        layer=ALL_LAYERS,
        a=0.2,
        mode="fan_in",
        nonlinearity="leaky_relu",
        distribution="uniform",
    ),
    "kaiming_tanh": dict(type="Kaiming", layer="Conv2d", nonlinearity="tanh", mode="fan_in"),
    "kaiming_mode_in_capitals": dict(type="Kaiming", layer=ALL_LAYERS, mode="FAN_IN"),
    "kaiming_leaky_default_slope": dict(
        type="Kaiming", layer=ALL_LAYERS, a=None, nonlinearity="leaky_relu",
        distribution="uniform",
    ),
    "caffe2xavier": dict(type="Caffe2Xavier", layer=ALL_LAYERS, bias=0.2),
    "bias_prob": dict(type="Normal", layer=["Conv2d", "Linear"], std=0.01, bias_prob=0.01),
    "private_base_convnd": dict(type="Normal", layer="_ConvNd", std=0.2),
    "private_base_batchnorm": dict(type="Constant", layer="_BatchNorm", val=2, bias=3),
    "module_base_matches_direct_subclasses": dict(type="Uniform", layer="Module", a=1, b=2),
    "list_of_entries": [
        dict(type="Constant", layer="Conv1d", val=1),
        dict(type="Normal", layer="Conv2d", std=0.3),
        dict(type="Kaiming", layer="Linear", mode="fan_in"),
    ],
    "later_entry_wins": [
        dict(type="Normal", layer="Linear", std=5),
        dict(type="Uniform", layer="Linear", a=-1, b=1),
    ],
    "override_own_type": dict(
        type="Constant",
        layer="Linear",
        val=1,
        override=dict(name="conv2d", type="Normal", std=0.4, bias=2),
    ),
    "override_name_only_inherits": dict(
        type="Normal", layer="Linear", std=0.1, bias_prob=0.2, override=dict(name="bn")
    ),
    "override_list": dict(
        type="Xavier",
        layer="Conv2d",
        override=[
            dict(name="linear", type="Constant", val=4),
            dict(name="conv3d", type="Kaiming", mode="fan_in"),
            dict(name="ln", type="Uniform", a=-2, b=-1),
        ],
    ),
    "override_without_layer": dict(
        type="Normal", std=0.2, override=dict(name="linear", type="TruncNormal", std=0.1)
    ),
    "layer_inside_override_ignored": dict(
        type="Constant",
        val=1,
        layer="Conv1d",
        override=dict(name="bn", type="Constant", val=7, layer="Conv2d"),
    ),
    "no_match_is_silent": dict(type="Normal", layer="Conv2D", std=3),
}


@pytest.mark.parametrize("name", sorted(INITIALIZE_CASES))
def test_initialize_matches_mmengine(name: str) -> None:
    expect = name != "no_match_is_silent"
    compare_initialize(Convs, INITIALIZE_CASES[name], expect_change=expect)


def test_initialize_direct_bases_only() -> None:
    _, ours = compare_initialize(Subclassed, dict(type="Constant", layer="Conv2d", val=5))
    assert torch.all(ours.direct.weight == 5)
    assert not torch.all(ours.grand.weight == 5)


def test_initialize_mixin_base_counts() -> None:
    _, ours = compare_initialize(Subclassed, dict(type="Constant", layer="Mixin", val=2))
    assert torch.all(ours.mixed.weight == 2)


def test_initialize_override_sequential_with_batchnorm() -> None:
    cfg = dict(
        type="Normal",
        layer="Conv2d",
        std=0.05,
        override=dict(name="branch", type="Constant", val=3),
    )
    _, ours = compare_initialize(FooHead, cfg)
    assert torch.all(ours.branch[1].weight == 3)  # BatchNorm reached by the whole-module walk


def test_initialize_docstring_example() -> None:
    cfg = dict(
        type="Constant",
        val=1,
        bias=2,
        layer="Conv2d",
        override=dict(type="Constant", name="reg", val=3, bias=4),
    )
    _, ours = compare_initialize(FooHead, cfg)
    assert torch.all(ours.reg.weight == 3) and torch.all(ours.cls.weight == 1)


def test_initialize_shared_module_visited_twice() -> None:
    compare_initialize(Shared, dict(type="Normal", layer="Linear", std=0.3))


def test_initialize_multihead_attention_out_proj() -> None:
    _, ours = compare_initialize(WithAttention, dict(type="Constant", layer="Linear", val=0.5))
    assert torch.all(ours.attn.out_proj.weight == 0.5)


# -- init_weights(): levels, order, reach, second calls ----------------------------------


def test_init_weights_all_types_on_one_module() -> None:
    cfg = [
        dict(type="Kaiming", layer="Conv1d", a=1, mode="fan_in"),
        dict(type="Xavier", layer="Conv2d", gain=3, distribution="uniform"),
        dict(type="TruncNormal", layer="Conv3d", std=0.2),
        dict(type="Caffe2Xavier", layer="ConvTranspose2d"),
        dict(type="Uniform", layer="Linear", a=-5, b=5),
        dict(type="Constant", layer="BatchNorm2d", val=1, bias=0),
        dict(type="Normal", layer="LayerNorm", mean=1, std=0.1),
    ]
    compare_init_weights(lambda: Net(cfg))


def test_nested_lower_level_wins() -> None:
    def build() -> Top:
        return Top(
            init_cfg=dict(type="Constant", layer=["Conv2d", "Linear"], val=1, bias=1),
            middle_cfg=dict(type="Normal", layer="Conv2d", std=0.5),
            leaf_cfg=dict(type="Uniform", layer="Linear", a=2, b=3),
        )

    _, ours = compare_init_weights(build)
    assert torch.all(ours.fc.weight == 1)
    assert ours.middle.leaf.fc.weight.min() >= 2


def test_parent_entry_reaches_grandchild_without_own_cfg() -> None:
    compare_init_weights(lambda: Top(init_cfg=dict(type="Kaiming", layer="Conv2d")))


def test_parent_override_on_child_basemodule() -> None:
    cfg = dict(type="Normal", layer="Linear", std=2, override=dict(name="middle"))
    leaf_cfg = dict(type="Constant", layer="Linear", val=4)
    compare_init_weights(lambda: Top(init_cfg=cfg, leaf_cfg=leaf_cfg))


def test_pretrained_applied_after_children(tmp_path: Path) -> None:
    ckpt = _save(tmp_path, Top())

    def build() -> Top:
        return Top(
            init_cfg=[
                dict(type="Pretrained", checkpoint=ckpt),
                dict(type="Constant", layer="Linear", val=3),
            ],
            leaf_cfg=dict(type="Normal", layer="Conv2d", std=9),
        )

    _, ours = compare_init_weights(build)
    saved = torch.load(ckpt, weights_only=True)
    assert torch.equal(ours.middle.leaf.conv.weight, saved["middle.leaf.conv.weight"])


def test_pretrained_with_prefix_on_child(tmp_path: Path) -> None:
    ckpt = _save(tmp_path, Top(), wrap="state_dict")

    def build() -> Top:
        return Top(
            middle_cfg=dict(type="Pretrained", checkpoint=ckpt, prefix="middle"),
            init_cfg=dict(type="Normal", layer="Conv2d", std=1),
        )

    compare_init_weights(build)


def test_pretrained_prefix_with_dot_same(tmp_path: Path) -> None:
    ckpt = _save(tmp_path, Top())
    for prefix in ("middle.leaf", "middle.leaf."):
        compare_init_weights(
            lambda p=prefix: Top(leaf_cfg=dict(type="Pretrained", checkpoint=ckpt, prefix=p))
        )


def test_pretrained_module_prefix_stripped(tmp_path: Path) -> None:
    source = Top()
    path = tmp_path / "ddp.pth"
    torch.save({f"module.{k}": v for k, v in source.state_dict().items()}, path)
    compare_init_weights(lambda: Top(init_cfg=dict(type="Pretrained", checkpoint=str(path))))


def test_pretrained_weights_under_a_model_key_load_nothing(tmp_path: Path) -> None:
    # timm and DeiT save {'model': state_dict}; MMEngine takes only a 'state_dict' entry
    # or the top level, so every tensor stays as initialized. initcfg refuses the file
    # (saying why) rather than loading weights MMEngine would not.
    from initcfg.errors import CheckpointError

    path = tmp_path / "timm.pth"
    torch.save({"model": Top().state_dict(), "epoch": 3}, path)
    theirs = Top(init_cfg=dict(type="Pretrained", checkpoint=str(path)))
    before = tensors(theirs)
    theirs.init_weights()
    assert all(torch.equal(before[k], v) for k, v in tensors(theirs).items())
    mine = Top(init_cfg=dict(type="Pretrained", checkpoint=str(path)))
    with pytest.raises(CheckpointError, match="under 'model'"):
        init_weights(mine)


def test_pretrained_shape_mismatch_and_missing_skipped(tmp_path: Path) -> None:
    class Wider(BaseModule):
        def __init__(self, init_cfg: Any = None) -> None:
            super().__init__(init_cfg)
            self.conv = nn.Conv2d(2, 3, 1)
            self.fc = nn.Linear(3, 7)  # checkpoint has 2 outputs
            self.extra = nn.Linear(2, 2)  # missing from checkpoint

    ckpt = _save(tmp_path, Leaf())
    compare_init_weights(
        lambda: Wider(
            [dict(type="Normal", layer="Linear", std=0.3), dict(type="Pretrained", checkpoint=ckpt)]
        )
    )


def test_pretrained_loads_buffers(tmp_path: Path) -> None:
    source = FooHead()
    source.branch[1].running_mean.fill_(0.25)
    source.branch[1].num_batches_tracked.fill_(11)
    ckpt = _save(tmp_path, source)
    _, ours = compare_init_weights(lambda: FooHead(dict(type="Pretrained", checkpoint=ckpt)))
    assert int(ours.branch[1].num_batches_tracked) == 11


def test_pretrained_override_name_only(tmp_path: Path) -> None:
    ckpt = _save(tmp_path, Leaf())

    class Box(BaseModule):
        def __init__(self, init_cfg: Any = None) -> None:
            super().__init__(init_cfg)
            self.inner = Leaf()
            self.fc = nn.Linear(3, 2)

    compare_init_weights(
        lambda: Box(dict(type="Pretrained", checkpoint=ckpt, override=dict(name="inner")))
    )


def test_pretrained_inside_override_not_deferred(tmp_path: Path) -> None:
    ckpt = _save(tmp_path, Leaf())

    def build() -> Middle:
        return Middle(
            init_cfg=dict(
                type="Normal",
                layer="Conv2d",
                std=0.1,
                override=dict(name="leaf", type="Pretrained", checkpoint=ckpt),
            ),
            leaf_cfg=dict(type="Constant", layer="Linear", val=6),
        )

    _, ours = compare_init_weights(build)
    assert torch.all(ours.leaf.fc.weight == 6)


def test_plain_modulelist_not_reached() -> None:
    _, ours = compare_init_weights(
        lambda: Holder(leaf_cfg=dict(type="Constant", layer="Linear", val=8))
    )
    assert not torch.all(ours.plain[0].fc.weight == 8)
    assert torch.all(ours.mm[0].fc.weight == 8)


def test_plain_modulelist_gets_ancestor_entries() -> None:
    compare_init_weights(
        lambda: Holder(
            init_cfg=dict(type="Normal", layer="Linear", std=0.7),
            leaf_cfg=dict(type="Constant", layer="Conv2d", val=8),
        )
    )


def test_mmengine_sequential_and_moduledict_reached() -> None:
    _, ours = compare_init_weights(
        lambda: Holder(leaf_cfg=dict(type="Uniform", layer="Conv2d", a=5, b=6))
    )
    assert ours.seq[0].conv.weight.min() >= 5 and ours.dct["a"].conv.weight.min() >= 5


def test_mmengine_containers_with_own_init_cfg() -> None:
    def build() -> BaseModule:
        class Box(BaseModule):
            def __init__(self) -> None:
                super().__init__(dict(type="Constant", layer="Linear", val=1))
                self.heads = ModuleList(
                    [Leaf(), Leaf(dict(type="Normal", layer="Linear", std=4))],
                    init_cfg=dict(type="Uniform", layer="Linear", a=-9, b=-8),
                )
                self.seq = Sequential(
                    nn.Linear(2, 2), init_cfg=dict(type="Kaiming", layer="Linear")
                )

        return Box()

    compare_init_weights(build)


def test_user_defined_init_weights_called() -> None:
    _, ours = compare_init_weights(
        lambda: WithCustom(dict(type="Constant", layer=["Linear", "Conv2d"], val=2))
    )
    assert not torch.all(ours.a.fc.weight == 9)


def test_second_call_does_nothing() -> None:
    theirs, ours = compare_init_weights(lambda: Net(dict(type="Normal", layer="Linear", std=3)))
    before = tensors(ours)
    torch.manual_seed(99)
    theirs.init_weights()
    torch.manual_seed(99)
    report = init_weights(ours)
    assert report.skipped
    assert all(torch.equal(before[k], v) for k, v in tensors(ours).items())


def test_child_initialized_earlier_skipped_but_parent_entries_apply() -> None:
    def build() -> Top:
        model = Top(
            init_cfg=dict(type="Constant", layer="Conv2d", val=5),
            leaf_cfg=dict(type="Normal", layer="Linear", std=2),
        )
        model.middle.leaf._is_init = True
        return model

    compare_init_weights(build)


def test_root_is_init_true_does_nothing() -> None:
    def build() -> Net:
        model = Net(dict(type="Constant", layer="Linear", val=4))
        model._is_init = True
        return model

    compare_init_weights(build, expect_change=False)


def test_empty_list_init_cfg_still_recurses() -> None:
    compare_init_weights(lambda: Top(init_cfg=[], leaf_cfg=dict(type="Normal", layer="Conv2d")))


def test_shared_module_under_init_weights() -> None:
    compare_init_weights(lambda: Shared(dict(type="Xavier", layer="Linear", gain=2)))


def test_override_of_basemodule_child_then_child_wins() -> None:
    def build() -> Top:
        return Top(
            init_cfg=dict(
                type="Constant", val=2, override=dict(name="middle", type="Normal", std=3)
            ),
            middle_cfg=dict(type="Constant", layer="Conv2d", val=-1),
        )

    _, ours = compare_init_weights(build)
    assert torch.all(ours.middle.conv.weight == -1)


def test_two_overrides_same_module_both_run() -> None:
    cfg = [
        dict(type="Normal", layer="Linear", override=dict(name="reg", type="Normal", std=1)),
        dict(type="Normal", layer="Conv2d", std=2, override=dict(name="reg", type="Kaiming")),
    ]
    compare_init_weights(lambda: FooHead(cfg))


def test_duck_typed_plain_module_with_init_cfg() -> None:
    """A plain nn.Module tree whose members set init_cfg: initcfg treats them as
    BaseModules; the same tree built from BaseModules is the MMEngine reference."""

    class PlainLeaf(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.init_cfg = dict(type="Normal", layer="Linear", std=0.5)
            self.fc = nn.Linear(3, 3)

    class PlainRoot(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.init_cfg = dict(type="Constant", layer="Linear", val=1)
            self.leaf = PlainLeaf()
            self.fc = nn.Linear(3, 3)

    class MMLeaf(BaseModule):
        def __init__(self) -> None:
            super().__init__(dict(type="Normal", layer="Linear", std=0.5))
            self.fc = nn.Linear(3, 3)

    class MMRoot(BaseModule):
        def __init__(self) -> None:
            super().__init__(dict(type="Constant", layer="Linear", val=1))
            self.leaf = MMLeaf()
            self.fc = nn.Linear(3, 3)

    torch.manual_seed(0)
    theirs = MMRoot()
    torch.manual_seed(0)
    ours = PlainRoot()
    torch.manual_seed(5)
    theirs.init_weights()
    torch.manual_seed(5)
    init_weights(ours)
    assert torch.equal(theirs.leaf.fc.weight, ours.leaf.fc.weight)
    assert torch.equal(theirs.fc.weight, ours.fc.weight)


def _save(tmp_path: Path, model: nn.Module, wrap: str | None = None) -> str:
    path = tmp_path / f"ckpt_{len(list(tmp_path.iterdir()))}.pth"
    state = model.state_dict()
    torch.save({wrap: state} if wrap else state, path)
    return str(path)


# -- more ports of MMEngine's own test cases ---------------------------------------------


class _Conv1dPart(BaseModule):
    def __init__(self, init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.conv1d = nn.Conv1d(4, 1, 4)


class _Conv2dPart(BaseModule):
    def __init__(self, init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.conv2d = nn.Conv2d(3, 1, 3)


class _LinearPart(BaseModule):
    def __init__(self, init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.linear = nn.Linear(3, 4)


class _LinearConv1d(BaseModule):
    def __init__(self, linear: Any = None, conv1d: Any = None, init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.linear = _LinearPart(linear)
        self.conv1d = _Conv1dPart(conv1d)


class _Composite(BaseModule):
    """Four components at two depths and a plain `reg` Linear, as in MMEngine's own
    base-module test (rewritten)."""

    def __init__(self, parts: dict[str, Any], init_cfg: Any = None) -> None:
        super().__init__(init_cfg)
        self.component1 = _Conv1dPart(parts.get("c1"))
        self.component2 = _Conv2dPart(parts.get("c2"))
        self.component3 = _LinearPart(parts.get("c3"))
        self.component4 = _LinearConv1d(
            parts.get("c4_linear"), parts.get("c4_conv1d"), parts.get("c4")
        )
        self.reg = nn.Linear(3, 4)


def _composite() -> _Composite:
    return _Composite(
        {
            "c1": dict(type="Constant", val=3, bias=4, layer="Conv1d"),
            "c2": dict(type="Constant", val=5, bias=6, layer="Conv2d"),
            "c3": dict(type="Normal", std=0.2, layer="Linear"),
            "c4_linear": dict(type="Xavier", layer="Linear", distribution="uniform"),
        },
        init_cfg=[
            dict(type="Constant", val=1, bias=2, layer="Conv1d"),
            dict(type="Constant", val=3, bias=4, layer="Conv2d"),
            dict(
                type="Uniform",
                a=-1,
                b=1,
                layer="Linear",
                override=dict(type="Constant", name="reg", val=13, bias=14),
            ),
        ],
    )


def test_composite_two_depths_with_override() -> None:
    _, ours = compare_init_weights(_composite)
    assert torch.all(ours.reg.weight == 13)
    assert torch.all(ours.component1.conv1d.weight == 3)  # the component's own cfg wins
    assert torch.all(ours.component4.conv1d.conv1d.weight == 1)  # only the root's applies


@pytest.mark.parametrize("seed", [0, 1, 2024])
def test_composite_any_seed(seed: int) -> None:
    compare_init_weights(_composite, seed=seed)


def test_checkpoint_without_metadata_missing_num_batches(tmp_path: Path) -> None:
    source = FooHead()
    state = {k: v for k, v in source.state_dict().items() if "num_batches" not in k}
    path = tmp_path / "nometa.pth"
    torch.save(dict(state), path)

    def build() -> FooHead:
        model = FooHead(dict(type="Pretrained", checkpoint=str(path)))
        model.branch[1].num_batches_tracked.fill_(5)
        return model

    compare_init_weights(build)


def test_initialize_pretrained_with_prefix(tmp_path: Path) -> None:
    ckpt = _save(tmp_path, Top(), wrap="state_dict")
    compare_initialize(
        Leaf, dict(type="Pretrained", checkpoint=ckpt, prefix="middle.leaf.")
    )


def test_pretrained_override_with_own_prefix(tmp_path: Path) -> None:
    ckpt = _save(tmp_path, Top())
    cfg = dict(
        type="Pretrained",
        checkpoint=ckpt,
        prefix="fc",
        override=dict(name="middle", type="Pretrained", checkpoint=ckpt, prefix="middle"),
    )
    compare_init_weights(lambda: Top(init_cfg=cfg))


def test_mmengine_sequential_override_reaches_batchnorm() -> None:
    def build() -> BaseModule:
        return Sequential(
            nn.Conv2d(2, 2, 1),
            nn.BatchNorm2d(2),
            nn.Sequential(nn.Linear(2, 2), nn.LayerNorm(2)),
            init_cfg=[
                dict(type="Kaiming", layer="Conv2d", mode="fan_in"),
                dict(type="Constant", val=2, bias=-1, override=dict(name="1")),
                dict(type="Uniform", a=3, b=4, override=dict(name="2")),
            ],
        )

    _, ours = compare_init_weights(build)
    assert torch.all(ours[1].weight == 2) and ours[2][1].weight.min() >= 3


def test_xavier_bias_prob_embedding_and_transposed() -> None:
    cfg = [
        dict(type="Xavier", layer=["Embedding", "_ConvTransposeNd"], bias_prob=0.3, gain=2),
        dict(type="Kaiming", layer="ConvTranspose2d", nonlinearity="leaky_relu"),
    ]
    compare_initialize(Convs, cfg)


def test_shared_basemodule_child_initialized_once() -> None:
    def build() -> BaseModule:
        class Holds(BaseModule):
            def __init__(self, leaf: Leaf) -> None:
                super().__init__(dict(type="Constant", layer="Conv2d", val=0.5))
                self.leaf = leaf

        class Twice(BaseModule):
            def __init__(self) -> None:
                super().__init__(dict(type="Normal", layer="Conv2d", std=0.1))
                shared = Leaf(dict(type="Uniform", layer="Linear", a=-2, b=2))
                self.first = Holds(shared)
                self.second = Holds(shared)
                self.tail = Leaf(dict(type="Normal", layer="Linear", std=3))

        return Twice()

    compare_init_weights(build)


def test_config_overlay_equals_modules_built_with_those_init_cfgs(tmp_path: Path) -> None:
    """A config's model.X.init_cfg applied by a plan == MMEngine on modules constructed with
    that init_cfg (what MMEngine's registry does when it builds the model from the config)."""
    import copy as _copy

    from initcfg.plan.init_plan import compile_init_plan

    ckpt = _save(tmp_path, Top())
    root = [
        dict(type="Normal", layer="Linear", std=0.3),
        dict(type="Pretrained", checkpoint=ckpt, prefix="middle.leaf"),
    ]
    middle = dict(type="Kaiming", layer="Conv2d", override=dict(name="leaf", type="Uniform"))
    leaf = dict(type="Constant", layer="Linear", val=2)
    torch.manual_seed(0)
    theirs = Top(init_cfg=_copy.deepcopy(root), middle_cfg=middle, leaf_cfg=leaf)
    ours = Top()
    ours.load_state_dict(theirs.state_dict())
    config = {
        "model": {
            "init_cfg": root,
            "middle": {"init_cfg": middle, "leaf": {"init_cfg": leaf}},
        }
    }
    torch.manual_seed(21)
    theirs.init_weights()
    torch.manual_seed(21)
    compile_init_plan(config, ours).apply(ours)
    assert_same(theirs, ours)


RECOMPUTED_WEIGHTS: dict[str, Callable[[], nn.Module]] = {
    "parametrized-orthogonal": lambda: nn.utils.parametrizations.orthogonal(nn.Linear(3, 3)),
    "parametrized-weight-norm": lambda: nn.utils.parametrizations.weight_norm(nn.Linear(3, 3)),
    "old-style-weight-norm": lambda: nn.utils.weight_norm(nn.Linear(3, 3)),
}


@pytest.mark.parametrize("make", RECOMPUTED_WEIGHTS.values(), ids=RECOMPUTED_WEIGHTS.keys())
def test_a_weight_recomputed_when_read_is_written_in_vain_and_said_so(
    make: Callable[[], nn.Module],
) -> None:
    # MMEngine's Normal fills the tensor `layer.weight` computes on the spot: it draws,
    # and no parameter changes. initcfg must draw the same and warn (IC416), not stay
    # silent. (Built twice: old-style weight_norm cannot be deep-copied.)
    def build() -> nn.Module:
        torch.manual_seed(1234)
        return nn.Sequential(make(), nn.Linear(3, 2))

    cfg = dict(type="Normal", layer="Linear", std=0.5, bias=2)
    theirs, ours = build(), build()
    before = tensors(ours)
    torch.manual_seed(7)
    mm_initialize(theirs, copy.deepcopy(cfg))
    their_rng = torch.get_rng_state()
    torch.manual_seed(7)
    report = initialize(ours, copy.deepcopy(cfg))
    assert_same(theirs, ours)
    assert torch.equal(their_rng, torch.get_rng_state())
    untouched = {k for k in before if k.startswith("p:0.") and not k.endswith("bias")}
    assert untouched and untouched.isdisjoint(changed(before, ours))
    assert [d.code for d in report.diagnostics] == ["IC416"]
    assert "0.weight" in report.diagnostics[0].message
    ours.init_cfg = cfg
    assert "IC416" in {d.code for d in compile_init_plan(None, ours).diagnostics}


class ReplacesWeight(BaseModule):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def init_weights(self) -> None:
        self.fc.weight = nn.Parameter(torch.ones(2, 2))


class AddsParameter(BaseModule):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def init_weights(self) -> None:
        self.scale = nn.Parameter(torch.ones(2))


class ParentOf(BaseModule):
    def __init__(self, child: nn.Module) -> None:
        super().__init__(dict(type="Normal", layer="Linear"))
        self.child = child


@pytest.mark.parametrize(
    ("child", "named"),
    [(ReplacesWeight, "child.fc.weight"), (AddsParameter, "child.scale")],
    ids=["replaces", "adds"],
)
def test_a_child_init_weights_that_changes_the_parameters_raises_as_in_mmengine(
    child: type[nn.Module], named: str
) -> None:
    # MMEngine's bookkeeping asserts after each child's init_weights that its parameters
    # are the model's own; initcfg called the child and went on as if nothing happened
    with pytest.raises(AssertionError, match="Find a new :obj:`Parameter`"):
        ParentOf(child()).init_weights()
    with pytest.raises(InitError, match=rf"added or replaced the parameter '{named}'"):
        init_weights(ParentOf(child()))


def test_a_root_init_weights_may_replace_a_parameter_after_super() -> None:
    # MMEngine checks only after a child's call: the root's own code runs unchecked
    class Root(BaseModule):
        def __init__(self) -> None:
            super().__init__(dict(type="Normal", layer="Linear"))
            self.fc = nn.Linear(2, 2)

        def init_weights(self) -> None:
            super().init_weights()
            self.fc.bias = nn.Parameter(torch.full((2,), 3.0))

    Root().init_weights()
    model = Root()
    init_weights(model)
    assert torch.equal(model.fc.bias, torch.full((2,), 3.0))
