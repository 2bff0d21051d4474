"""Param-group rules MMEngine applies only with mmcv-full installed (deformable convs).

mmcv-full is not a test dependency, so these follow MMEngine 0.10.7's
DefaultOptimWrapperConstructor source: a child of a DeformConv2d whose prefix holds
``conv_offset`` takes ``dcn_offset_lr_mult``, and no bias or flat rule reaches it.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from initcfg.plan.param_groups import ParamwiseRules, resolve_param_groups  # noqa: E402


def deform_classes(module_name: str) -> type[nn.Module]:
    class DeformConv2d(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.zeros(4, 4, 3, 3))
            self.bias = nn.Parameter(torch.zeros(4))

    class DeformConv2dPack(DeformConv2d):
        def __init__(self) -> None:
            super().__init__()
            self.conv_offset = nn.Conv2d(4, 18, 3)

    DeformConv2d.__module__ = module_name
    DeformConv2dPack.__module__ = module_name
    return DeformConv2dPack


class Net(nn.Module):
    def __init__(self, dcn: type[nn.Module]) -> None:
        super().__init__()
        self.dcn = dcn()
        self.fc = nn.Linear(4, 2)


RULES = dict(dcn_offset_lr_mult=0.1, bias_lr_mult=2.0, bias_decay_mult=0.0, flat_decay_mult=0.5)
OPT = dict(lr=1.0, weight_decay=0.01)


def assignments(module_name: str) -> dict[str, tuple[float | None, float | None]]:
    plan, diagnostics = resolve_param_groups(
        Net(deform_classes(module_name)), "SGD", OPT, ParamwiseRules.from_mapping(RULES)
    )
    assert diagnostics == []
    return {p.name: (p.lr, p.weight_decay) for p in plan.params}


def test_mmcv_deform_conv_offset() -> None:
    got = assignments("mmcv.ops.deform_conv")
    assert got["dcn.conv_offset.weight"] == (pytest.approx(0.1), 0.01)
    # bias_lr_mult, bias_decay_mult and flat_decay_mult skip a DCN child's bias
    assert got["dcn.conv_offset.bias"] == (pytest.approx(0.1), 0.01)
    # the DCN's own parameters follow the ordinary rules
    assert got["dcn.weight"] == (1.0, 0.01)
    assert got["dcn.bias"] == (2.0, 0.0)
    assert got["fc.bias"] == (2.0, 0.0)


def test_lookalike_outside_mmcv_is_an_ordinary_module() -> None:
    got = assignments("my_project.ops")
    assert got["dcn.conv_offset.weight"] == (1.0, 0.01)
    assert got["dcn.conv_offset.bias"] == (2.0, 0.0)


def test_rules_from_mapping_keep_custom_key_options() -> None:
    rules = ParamwiseRules.from_mapping(
        dict(custom_keys={"fc": dict(lr_mult=0.5, momentum=0.0), "dcn.conv": {}})
    )
    assert rules.given and rules.sorted_keys() == ["dcn.conv", "fc"]
    plan, _ = resolve_param_groups(Net(deform_classes("x")), "SGD", OPT, rules)
    fc = plan.by_name()["fc.weight"]
    assert (fc.lr, fc.extra, fc.lr_rule) == (0.5, {"momentum": 0.0}, "custom_keys['fc']")
    assert plan.by_name()["dcn.conv_offset.bias"].lr_rule == "custom_keys['dcn.conv']"
    assert ParamwiseRules.from_mapping({}).given is False
