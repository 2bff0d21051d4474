"""The cases of the MMDetection initialization tutorial, each with its stated outcome.

Each case goes through ``initcfg.validate_init_cfg`` (one ``init_cfg`` value, no model);
paths are relative to the value. The same values run through MMEngine in
``tests/parity/test_grammar_vs_mmengine.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

import initcfg
from initcfg.schema import Constant, Pretrained, Xavier
from initcfg.schema.init_cfg import parse_init_cfg

# (id, value, expected [(code, path)]); an empty list means valid.
TUTORIAL_CASES: list[tuple[str, Any, list[tuple[str, str]]]] = [
    (
        "constant_layer_list",
        dict(type="Constant", layer=["Conv1d", "Conv2d", "Linear"], val=1),
        [],
    ),
    (
        "constant_per_layer",
        [
            dict(type="Constant", layer="Conv1d", val=1),
            dict(type="Constant", layer="Conv2d", val=2),
            dict(type="Constant", layer="Linear", val=3),
        ],
        [],
    ),
    (
        "override_with_type",
        dict(
            type="Constant",
            layer=["Conv1d", "Conv2d"],
            val=1,
            bias=2,
            override=dict(type="Constant", name="reg", val=3, bias=4),
        ),
        [],
    ),
    (
        "override_name_only",
        dict(type="Constant", val=1, bias=2, override=dict(name="reg")),
        [],
    ),
    (
        "no_layer_no_override",
        dict(type="Constant", val=1, bias=2),
        [("IC107", "")],
    ),
    (
        "override_without_name",
        dict(
            type="Constant",
            layer=["Conv1d", "Conv2d"],
            val=1,
            bias=2,
            override=dict(type="Constant", val=3, bias=4),
        ),
        [("IC109", "override")],
    ),
    (
        "override_args_without_type",
        dict(
            type="Constant",
            layer=["Conv1d", "Conv2d"],
            val=1,
            bias=2,
            override=dict(name="reg", val=3, bias=4),
        ),
        [("IC110", "override")],
    ),
    (
        "pretrained_torchvision",
        dict(type="Pretrained", checkpoint="torchvision://resnet50"),
        [],
    ),
    (
        "fpn_default_xavier",
        dict(type="Xavier", layer="Conv2d", distribution="uniform"),
        [],
    ),
    (
        "multihead_attention",
        dict(type="Xavier", layer="MultiheadAttention"),
        [("IC116", "layer")],
    ),
]


@pytest.mark.parametrize(
    ("value", "expected"),
    [case[1:] for case in TUTORIAL_CASES],
    ids=[case[0] for case in TUTORIAL_CASES],
)
def test_tutorial_case(value: Any, expected: list[tuple[str, str]]) -> None:
    diagnostics = initcfg.validate_init_cfg(value)
    assert [(d.code, d.path) for d in diagnostics] == expected
    for d in diagnostics:
        assert d.message
        assert d.file is None and d.line is None  # a bare value has no location


def test_every_tutorial_severity_is_as_stated() -> None:
    severities = {
        name: sorted({d.severity for d in initcfg.validate_init_cfg(value)})
        for name, value, _ in TUTORIAL_CASES
    }
    assert severities["no_layer_no_override"] == ["warning"]
    assert severities["multihead_attention"] == ["warning"]
    assert severities["override_without_name"] == ["error"]
    assert severities["override_args_without_type"] == ["error"]
    valid = [name for name, severity in severities.items() if not severity]
    assert len(valid) == 6


def test_tutorial_does_not_mutate_the_value() -> None:
    value = dict(type="Constant", val=1, bias=2, override=dict(name="reg"))
    before = repr(value)
    initcfg.validate_init_cfg(value)
    assert repr(value) == before


def test_name_only_override_initializes_only_reg_with_parent_values() -> None:
    # "only reg is initialized, with val=1, bias=2"
    parsed = parse_init_cfg(dict(type="Constant", val=1, bias=2, override=dict(name="reg")))
    assert parsed.entries is not None
    (entry,) = parsed.entries
    assert isinstance(entry, Constant)
    assert entry.layers == ()
    ((name, inherited),) = entry.resolved_overrides()
    assert name == "reg"
    assert isinstance(inherited, Constant)
    assert (inherited.val, inherited.bias, inherited.layer, inherited.override) == (
        1,
        2,
        None,
        None,
    )


def test_override_with_type_keeps_its_own_values() -> None:
    parsed = parse_init_cfg(TUTORIAL_CASES[2][1])
    assert parsed.entries is not None
    (entry,) = parsed.entries
    assert isinstance(entry, Constant)
    assert entry.layers == ("Conv1d", "Conv2d")
    assert (entry.val, entry.bias) == (1, 2)
    ((name, override),) = entry.resolved_overrides()
    assert name == "reg"
    assert isinstance(override, Constant)
    assert (override.val, override.bias, override.bias_value) == (3, 4, 4.0)


def test_list_case_keeps_entry_order() -> None:
    parsed = parse_init_cfg(TUTORIAL_CASES[1][1])
    assert parsed.entries is not None
    got = [(e.layers, e.val) for e in parsed.entries if isinstance(e, Constant)]
    assert got == [(("Conv1d",), 1), (("Conv2d",), 2), (("Linear",), 3)]


def test_pretrained_and_fpn_defaults() -> None:
    pretrained = parse_init_cfg(TUTORIAL_CASES[7][1]).entries
    assert pretrained is not None
    (loaded,) = pretrained
    assert isinstance(loaded, Pretrained)
    assert (loaded.checkpoint, loaded.prefix, loaded.map_location) == (
        "torchvision://resnet50",
        None,
        "cpu",
    )
    fpn = parse_init_cfg(TUTORIAL_CASES[8][1]).entries
    assert fpn is not None
    (xavier,) = fpn
    assert isinstance(xavier, Xavier)
    assert (xavier.gain, xavier.distribution, xavier.layers, xavier.bias) == (
        1,
        "uniform",
        ("Conv2d",),
        0,
    )


@pytest.mark.parametrize(
    "value",
    [case[1] for case in TUTORIAL_CASES if not any(c in ("IC109", "IC110") for c, _ in case[2])],
)
def test_tutorial_valid_and_warning_cases_parse_to_entries(value: Any) -> None:
    parsed = parse_init_cfg(value)
    assert parsed.entries is not None
    assert len(parsed.entries) == (len(value) if isinstance(value, list) else 1)


def test_tutorial_error_cases_give_no_entries() -> None:
    for _, value, expected in TUTORIAL_CASES:
        if any(code in ("IC109", "IC110") for code, _ in expected):
            assert parse_init_cfg(value).entries is None
