"""``parse_init_cfg``: every branch of the grammar, with codes, key paths and hints.

What MMEngine itself does with each value is asserted in
``tests/parity/test_grammar_vs_mmengine.py``; here the grammar's own answers are pinned.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from initcfg.diagnostics import get_rule
from initcfg.schema import (
    Caffe2Xavier,
    Constant,
    Kaiming,
    Normal,
    Pretrained,
    TruncNormal,
    Uniform,
    WeightInit,
    Xavier,
)
from initcfg.schema.init_cfg import InitCfgParse, parse_init_cfg, resolve_type_name


def found(value: Any) -> list[tuple[str, str]]:
    return [(d.code, d.path) for d in parse_init_cfg(value).diagnostics]


def only(value: Any) -> tuple[str, str, str | None, str]:
    """The single diagnostic for ``value``: (code, path, hint, message)."""
    parsed = parse_init_cfg(value)
    assert len(parsed.diagnostics) == 1, parsed.diagnostics
    (d,) = parsed.diagnostics
    return d.code, d.path, d.hint, d.message


def entries(value: Any) -> list[Any]:
    parsed = parse_init_cfg(value)
    assert parsed.entries is not None, parsed.diagnostics
    return parsed.entries


# --- the shape of init_cfg -------------------------------------------------------------


@pytest.mark.parametrize("value", ["Kaiming", 3, 1.5, None, True, {"type"}])
def test_init_cfg_not_dict_or_list(value: Any) -> None:
    code, path, _, message = only(value)
    assert (code, path) == ("IC101", "")
    assert "dict or a list of dicts" in message


def test_a_tuple_is_read_as_the_list_it_iterates_as() -> None:
    """MMEngine's BaseModule.init_weights loops over a module's init_cfg, so a tuple of
    dicts (a Python config's `init_cfg=(dict(...),)`) runs as a list does; an item that
    is no dict fails its `assert isinstance(init_cfg, dict)`."""
    [entry] = entries((dict(type="Normal", layer="Conv2d"),))
    assert entry.type == "Normal"
    code, path, _, message = only(("a",))
    assert (code, path) == ("IC101", "[0]") and "entry must be a dict" in message


def test_list_item_not_a_dict_is_reported_at_its_index() -> None:
    assert found([dict(type="Normal", layer="Conv2d"), "Kaiming", 3]) == [
        ("IC101", "[1]"),
        ("IC101", "[2]"),
    ]


def test_empty_dict_is_a_warning_and_gives_no_entries() -> None:
    parsed = parse_init_cfg({})
    assert [(d.code, d.severity) for d in parsed.diagnostics] == [("IC122", "warning")]
    assert parsed.entries == []


def test_empty_list_is_a_warning_like_the_empty_dict() -> None:
    parsed = parse_init_cfg([])
    assert [(d.code, d.severity) for d in parsed.diagnostics] == [("IC122", "warning")]
    assert parsed.entries == []


def test_errors_anywhere_drop_all_entries() -> None:
    parsed = parse_init_cfg([dict(type="Normal", layer="Conv2d"), dict(type="Nope")])
    assert parsed.entries is None
    assert [(d.code, d.path) for d in parsed.diagnostics] == [("IC103", "[1].type")]


def test_warnings_keep_entries() -> None:
    parsed = parse_init_cfg(dict(type="Normal", std=0.01))
    assert [d.code for d in parsed.diagnostics] == ["IC107"]
    assert parsed.entries is not None and len(parsed.entries) == 1


# --- type ------------------------------------------------------------------------------


def test_missing_type() -> None:
    code, path, hint, _ = only(dict(layer="Conv2d", std=0.01))
    assert (code, path) == ("IC102", "")
    assert hint is not None and "type" in hint


@pytest.mark.parametrize("value", [3, None, ["Normal"], {"name": "Normal"}])
def test_type_not_a_string(value: Any) -> None:
    code, path, _, _ = only(dict(type=value, layer="Conv2d"))
    assert (code, path) == ("IC102", "type")


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("kaiming", "Kaiming"),
        ("KaimingInit", "Kaiming"),
        ("XavierInit", "Xavier"),
        ("constant", "Constant"),
        ("Normall", "Normal"),
        ("TruncatedNormal", "TruncNormal"),
        ("pretrained", "Pretrained"),
        ("Caffe2XavierInit", "Caffe2Xavier"),
    ],
)
def test_unknown_type_did_you_mean(written: str, meant: str) -> None:
    code, path, hint, message = only(dict(type=written, layer="Conv2d"))
    assert (code, path) == ("IC103", "type")
    assert hint == f"did you mean {meant!r}?"
    assert repr(written) in message
    assert "Kaiming" in message  # the known types are listed


def test_unknown_type_far_from_everything_has_no_hint() -> None:
    code, _, hint, _ = only(dict(type="Orthogonal", layer="Conv2d"))
    assert code == "IC103"
    assert hint is None


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("Kaiming", "Kaiming"),
        ("mmengine.Constant", "Constant"),
        ("mmengine.model.KaimingInit", "Kaiming"),
        ("mmengine.model.weight_init.XavierInit", "Xavier"),
        ("kaiming", "kaiming"),
        ("other.Constant", "other.Constant"),
    ],
)
def test_resolve_type_name(written: str, name: str) -> None:
    assert resolve_type_name(written) == name


@pytest.mark.parametrize(
    "value",
    [
        dict(type="mmengine.Constant", layer="Conv2d", val=1),
        dict(type="mmengine.model.KaimingInit", layer="Conv2d"),
    ],
)
def test_scoped_type_names_are_valid(value: dict[str, Any]) -> None:
    assert found(value) == []


# --- arguments -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "key", "meant"),
    [
        (dict(type="Normal", layer="Conv2d", bais=0), "bais", "bias"),
        (dict(type="Normal", layer="Conv2d", stdd=0.01), "stdd", "std"),
        (dict(type="Kaiming", layer="Conv2d", nonlinerity="relu"), "nonlinerity", "nonlinearity"),
        (dict(type="Xavier", layer="Conv2d", distrib="uniform"), "distrib", "distribution"),
        (dict(type="Normal", layers="Conv2d"), "layers", "layer"),
        (dict(type="Pretrained", checkpoint="a", prefx="backbone"), "prefx", "prefix"),
        (dict(type="Normal", layer="Linear", overide=dict(name="fc")), "overide", "override"),
        (dict(type="Constant", val=1, overrides=[dict(name="fc")]), "overrides", "override"),
    ],
)
def test_unknown_key_did_you_mean(value: dict[str, Any], key: str, meant: str) -> None:
    diagnostics = parse_init_cfg(value).diagnostics
    unknown = [d for d in diagnostics if d.code == "IC104"]
    assert [(d.path, d.hint) for d in unknown] == [(key, f"did you mean {meant!r}?")]
    assert repr(key) in unknown[0].message


def test_override_is_not_offered_inside_an_override() -> None:
    # An override cannot hold another one (IC112), so a near miss there is no `override`.
    item = dict(name="fc", type="Constant", val=1, overide=1)
    value = dict(type="Normal", layer="Linear", override=item)
    [unknown] = parse_init_cfg(value).diagnostics
    assert (unknown.code, unknown.path, unknown.hint) == ("IC104", "override.overide", None)


def test_misspelt_required_key_reports_both_problems() -> None:
    assert found(dict(type="Pretrained", chekpoint="a.pth")) == [
        ("IC104", "chekpoint"),
        ("IC106", "checkpoint"),
    ]


def test_non_string_key() -> None:
    code, path, _, message = only({"type": "Normal", "layer": "Conv2d", 1: 2})
    assert (code, path) == ("IC104", "")
    assert "strings" in message


@pytest.mark.parametrize("key", ["a", "mode", "nonlinearity", "distribution"])
def test_caffe2xavier_fixed_arguments(key: str) -> None:
    value = {"type": "Caffe2Xavier", "layer": "Conv2d", key: "x"}
    code, path, hint, message = only(value)
    assert (code, path) == ("IC104", key)
    assert "fixes" in message and "multiple values" in message
    assert hint is not None and "Kaiming" in hint


def test_caffe2xavier_takes_the_common_arguments() -> None:
    (entry,) = entries(dict(type="Caffe2Xavier", layer=["Conv2d"], bias=0.5))
    assert isinstance(entry, Caffe2Xavier)
    assert (entry.bias, entry.layers, entry.fan_based) == (0.5, ("Conv2d",), True)
    (entry,) = entries(dict(type="Caffe2Xavier", layer="Conv2d", bias_prob=0.25))
    assert isinstance(entry, Caffe2Xavier)
    assert entry.bias_value == pytest.approx(-math.log(3))


def test_caffe2xavier_unknown_argument_is_not_called_fixed() -> None:
    code, path, _, message = only(dict(type="Caffe2Xavier", layer="Conv2d", gain=1))
    assert (code, path) == ("IC104", "gain")
    assert "fixes" not in message


@pytest.mark.parametrize("key", ["layer", "bias", "bias_prob"])
def test_pretrained_takes_no_layer_or_bias(key: str) -> None:
    value = {"type": "Pretrained", "checkpoint": "a.pth", key: "Conv2d"}
    code, path, _, message = only(value)
    assert (code, path) == ("IC104", key)
    assert "Pretrained" in message


def test_pretrained_arguments() -> None:
    (entry,) = entries(
        dict(type="Pretrained", checkpoint="a.pth", prefix="backbone.", map_location="cuda:0")
    )
    assert isinstance(entry, Pretrained)
    assert (entry.checkpoint, entry.prefix, entry.map_location) == (
        "a.pth",
        "backbone.",
        "cuda:0",
    )
    assert entry.layers == ()


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (dict(type="Constant", layer="Conv2d"), "val"),
        (dict(type="Pretrained"), "checkpoint"),
    ],
)
def test_missing_required_argument(value: dict[str, Any], field: str) -> None:
    code, path, _, message = only(value)
    assert (code, path) == ("IC106", field)
    assert repr(field) in message


# --- values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "field", "meant"),
    [
        (dict(type="Kaiming", layer="Conv2d", mode="fan_inn"), "mode", "fan_in"),
        (dict(type="Kaiming", layer="Conv2d", mode="FAN_OUTT"), "mode", "fan_out"),
        (dict(type="Xavier", layer="Conv2d", distribution="unifrom"), "distribution", "uniform"),
        (dict(type="Kaiming", layer="Conv2d", nonlinearity="relu6"), "nonlinearity", "relu"),
        (
            dict(type="Kaiming", layer="Conv2d", nonlinearity="leakyrelu"),
            "nonlinearity",
            "leaky_relu",
        ),
    ],
)
def test_enum_values_did_you_mean(value: dict[str, Any], field: str, meant: str) -> None:
    code, path, hint, message = only(value)
    assert (code, path) == ("IC105", field)
    assert hint == f"did you mean {meant!r}?"
    assert repr(value[field]) in message


@pytest.mark.parametrize("mode", ["FAN_IN", "Fan_Out", "fan_IN"])
def test_kaiming_mode_in_any_case_is_the_mode_torch_reads(mode: str) -> None:
    # torch's kaiming_* lower-case mode before checking it: MMEngine runs 'FAN_IN'
    (entry,) = entries(dict(type="Kaiming", layer="Conv2d", mode=mode))
    assert isinstance(entry, Kaiming) and entry.mode == mode.lower()


def test_kaiming_a_none_is_torchs_default_slope() -> None:
    (entry,) = entries(dict(type="Kaiming", layer="Conv2d", nonlinearity="leaky_relu", a=None))
    assert isinstance(entry, Kaiming) and entry.a is None


def test_enum_message_lists_the_choices() -> None:
    _, _, _, message = only(dict(type="Kaiming", layer="Conv2d", mode="fan"))
    assert "'fan_in' or 'fan_out'" in message


@pytest.mark.parametrize(
    "nonlinearity",
    [
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "selu",
    ],
)
def test_every_calculate_gain_name_is_accepted(nonlinearity: str) -> None:
    (entry,) = entries(dict(type="Kaiming", layer="Conv2d", nonlinearity=nonlinearity))
    assert isinstance(entry, Kaiming) and entry.nonlinearity == nonlinearity


def test_calculate_gain_names_match_torch() -> None:
    torch = pytest.importorskip("torch")
    from initcfg.schema.initializers import NONLINEARITIES

    for name in NONLINEARITIES:
        torch.nn.init.calculate_gain(name, 0.1)
    for name in ("gelu", "silu", "elu", "softplus"):
        with pytest.raises(ValueError):
            torch.nn.init.calculate_gain(name)
        assert name not in NONLINEARITIES


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (dict(type="Normal", layer="Conv2d", bias="0"), "bias"),
        (dict(type="Normal", layer="Conv2d", bias=None), "bias"),
        (dict(type="Normal", layer="Conv2d", bias=[0]), "bias"),
        (dict(type="Constant", layer="Conv2d", val="1"), "val"),
        (dict(type="Normal", layer="Conv2d", std="0.01"), "std"),
        (dict(type="Normal", layer="Conv2d", mean=None), "mean"),
        (dict(type="Uniform", layer="Conv2d", a="0"), "a"),
        (dict(type="Kaiming", layer="Conv2d", a="x"), "a"),
        (dict(type="Xavier", layer="Conv2d", gain="1"), "gain"),
        (dict(type="Normal", layer="Conv2d", bias_prob="0.1"), "bias_prob"),
        (dict(type="Pretrained", checkpoint=3), "checkpoint"),
        (dict(type="Pretrained", checkpoint="a", prefix=1), "prefix"),
        (dict(type="Normal", layer=3), "layer"),
        (dict(type="Normal", layer={"Conv2d": 1}), "layer"),
    ],
)
def test_wrong_value_type(value: dict[str, Any], field: str) -> None:
    code, path, _, message = only(value)
    assert (code, path) == ("IC105", field)
    assert message.startswith(f"{field!r} must be")


def test_bias_as_string_says_number() -> None:
    _, _, _, message = only(dict(type="Normal", layer="Conv2d", bias="0"))
    assert "a number" in message and "'0'" in message


@pytest.mark.parametrize("bias", [0, -1, 2.5, True])
def test_bias_numbers_and_bool(bias: Any) -> None:
    # MMEngine checks isinstance(bias, (int, float)), which a bool passes (True fills 1.0).
    (entry,) = entries(dict(type="Normal", layer="Conv2d", bias=bias))
    assert isinstance(entry, WeightInit) and entry.bias_value == float(bias)


@pytest.mark.parametrize("prob", [1e-6, 0.01, 0.5, 0.999])
def test_bias_prob_inside_bounds(prob: float) -> None:
    (entry,) = entries(dict(type="Normal", layer="Conv2d", bias_prob=prob))
    assert isinstance(entry, WeightInit)
    assert entry.bias_value == pytest.approx(-math.log((1 - prob) / prob))


@pytest.mark.parametrize("prob", [0.0, 1.0, -0.1, 1.5, 1, 0])
def test_bias_prob_outside_bounds(prob: float) -> None:
    code, path, _, message = only(dict(type="Normal", layer="Conv2d", bias_prob=prob))
    assert (code, path) == ("IC105", "bias_prob")
    assert "inf or NaN" in message or "number" in message


def test_bias_prob_outside_bounds_names_the_bound() -> None:
    assert "> 0" in only(dict(type="Normal", layer="Conv2d", bias_prob=-0.5))[3]
    assert "< 1" in only(dict(type="Normal", layer="Conv2d", bias_prob=1.5))[3]


def test_bias_and_bias_prob_warns_and_bias_prob_wins() -> None:
    parsed = parse_init_cfg(dict(type="Normal", layer="Conv2d", bias=3, bias_prob=0.5))
    assert [(d.code, d.severity, d.path) for d in parsed.diagnostics] == [
        ("IC108", "warning", "bias")
    ]
    assert parsed.entries is not None
    (entry,) = parsed.entries
    assert isinstance(entry, WeightInit) and entry.bias_value == 0.0


@pytest.mark.parametrize(
    ("value", "field", "bound"),
    [
        (dict(type="Normal", layer="Conv2d", std=-0.1), "std", ">= 0"),
        (dict(type="TruncNormal", layer="Conv2d", std=0), "std", "> 0"),
        (dict(type="TruncNormal", layer="Conv2d", std=-1), "std", "> 0"),
        (dict(type="Xavier", layer="Conv2d", gain=-1), "gain", ">= 0"),
    ],
)
def test_lower_bounds(value: dict[str, Any], field: str, bound: str) -> None:
    code, path, _, message = only(value)
    assert (code, path) == ("IC105", field)
    assert bound in message


def test_zero_std_is_valid_for_normal_and_zero_gain_for_xavier() -> None:
    assert found(dict(type="Normal", layer="Conv2d", std=0)) == []
    assert found(dict(type="Xavier", layer="Conv2d", gain=0)) == []


@pytest.mark.parametrize("kind", ["Uniform", "TruncNormal"])
def test_a_above_b_is_an_error(kind: str) -> None:
    code, path, _, message = only(dict(type=kind, layer="Linear", a=1, b=0))
    assert (code, path) == ("IC105", "")
    assert "a=1" in message and "b=0" in message


def test_uniform_a_equal_b_is_valid() -> None:
    # MMEngine's own tests fill constants this way.
    (entry,) = entries(dict(type="Uniform", layer="Linear", a=0.5, b=0.5))
    assert isinstance(entry, Uniform) and (entry.a, entry.b) == (0.5, 0.5)
    assert found(dict(type="Uniform", layer="Linear", a=0.5, b=0.5)) == []


def test_truncnormal_a_equal_b_warns() -> None:
    code, path, hint, message = only(dict(type="TruncNormal", layer="Linear", a=1, b=1))
    assert (code, path) == ("IC120", "")
    assert hint == "use Constant"
    assert "a == b" in message


def test_truncnormal_inside_bounds_is_quiet() -> None:
    (entry,) = entries(dict(type="TruncNormal", layer="Linear", std=0.02, a=-0.04, b=0.04))
    assert isinstance(entry, TruncNormal) and entry.std == 0.02
    assert found(dict(type="TruncNormal", layer="Linear", mean=4, std=1)) == []


def test_truncnormal_mean_far_above_warns_with_a() -> None:
    # MMEngine fills every value with a when the mean lies above b + 2 std.
    code, path, _, message = only(dict(type="TruncNormal", layer="Linear", mean=5, std=0.02))
    assert (code, path) == ("IC120", "")
    assert "every value -2" in message


def test_truncnormal_mean_far_below_warns_with_b() -> None:
    code, _, _, message = only(dict(type="TruncNormal", layer="Linear", mean=-5, std=0.02))
    assert code == "IC120"
    assert "every value 2" in message


# --- layer -----------------------------------------------------------------------------


def test_layer_string_and_list() -> None:
    (entry,) = entries(dict(type="Normal", layer="Conv2d"))
    assert isinstance(entry, Normal) and entry.layers == ("Conv2d",)
    (entry,) = entries(dict(type="Normal", layer=["Conv2d", "Linear"]))
    assert isinstance(entry, Normal) and entry.layers == ("Conv2d", "Linear")


def test_tuple_layer_is_an_error_with_hint() -> None:
    code, path, hint, message = only(dict(type="Normal", layer=("Conv2d", "Linear")))
    assert (code, path) == ("IC105", "layer")
    assert hint == "write it as a list"
    assert "tuple" in message


def test_non_string_in_layer_list_warns_and_is_dropped_from_layers() -> None:
    parsed = parse_init_cfg(dict(type="Normal", layer=["Conv2d", 2, None]))
    assert [(d.code, d.severity, d.path) for d in parsed.diagnostics] == [
        ("IC121", "warning", "layer[1]"),
        ("IC121", "warning", "layer[2]"),
    ]
    assert parsed.entries is not None
    (entry,) = parsed.entries
    assert isinstance(entry, WeightInit) and entry.layers == ("Conv2d",)


def test_neither_layer_nor_override_warns() -> None:
    code, path, hint, _ = only(dict(type="Kaiming"))
    assert (code, path) == ("IC107", "")
    assert hint is not None and "layer" in hint
    assert found(dict(type="Kaiming", layer=None)) == [("IC107", "")]


def test_override_alone_is_enough() -> None:
    assert found(dict(type="Kaiming", override=dict(name="conv"))) == []


def test_pretrained_without_layer_is_not_idle() -> None:
    assert found(dict(type="Pretrained", checkpoint="a.pth")) == []


# --- override --------------------------------------------------------------------------


def test_name_only_override_inherits_everything_but_layer() -> None:
    value = dict(
        type="Kaiming",
        layer="Conv2d",
        mode="fan_in",
        a=0.2,
        nonlinearity="leaky_relu",
        bias_prob=0.01,
        override=[dict(name="cls"), dict(name="reg")],
    )
    (entry,) = entries(value)
    resolved = entry.resolved_overrides()
    assert [name for name, _ in resolved] == ["cls", "reg"]
    for _, child in resolved:
        assert isinstance(child, Kaiming)
        assert (child.mode, child.a, child.nonlinearity, child.bias_prob) == (
            "fan_in",
            0.2,
            "leaky_relu",
            0.01,
        )
        assert child.layer is None and child.override is None
    # The parent keeps its own layer.
    assert isinstance(entry, Kaiming) and entry.layers == ("Conv2d",)


def test_name_only_override_of_pretrained_reuses_the_checkpoint() -> None:
    (entry,) = entries(
        dict(type="Pretrained", checkpoint="a.pth", prefix="backbone", override=dict(name="neck"))
    )
    ((name, child),) = entry.resolved_overrides()
    assert name == "neck"
    assert isinstance(child, Pretrained)
    assert (child.checkpoint, child.prefix, child.override) == ("a.pth", "backbone", None)


def test_typed_override_is_its_own_entry() -> None:
    (entry,) = entries(
        dict(
            type="Normal",
            layer="Conv2d",
            std=0.01,
            override=dict(name="retina_cls", type="Normal", std=0.01, bias_prob=0.01),
        )
    )
    ((name, child),) = entry.resolved_overrides()
    assert name == "retina_cls"
    assert isinstance(child, Normal)
    assert (child.std, child.bias_prob, child.layer) == (0.01, 0.01, None)


def test_mixed_override_list_resolves_in_order() -> None:
    (entry,) = entries(
        dict(
            type="Constant",
            val=1,
            layer="Linear",
            override=[dict(name="a"), dict(name="b", type="Uniform", a=-1, b=1)],
        )
    )
    resolved = entry.resolved_overrides()
    assert [(name, type(child)) for name, child in resolved] == [("a", Constant), ("b", Uniform)]


def test_empty_override_list_is_accepted() -> None:
    (entry,) = entries(dict(type="Normal", layer="Conv2d", override=[]))
    assert entry.resolved_overrides() == []


def test_override_without_name() -> None:
    code, path, hint, _ = only(dict(type="Normal", layer="Conv2d", override=dict(type="Normal")))
    assert (code, path) == ("IC109", "override")
    assert hint is not None and "name" in hint


def test_override_with_arguments_but_no_type() -> None:
    code, path, hint, message = only(
        dict(type="Normal", layer="Conv2d", override=dict(name="reg", std=0.1, bias=1))
    )
    assert (code, path) == ("IC110", "override")
    assert "'reg'" in message and "std" in message and "bias" in message
    assert hint is not None and "type" in hint


def test_layer_in_override_warns_and_is_dropped() -> None:
    parsed = parse_init_cfg(
        dict(
            type="Normal",
            layer="Conv2d",
            override=dict(name="cls", type="Normal", layer="Linear", std=0.01),
        )
    )
    assert [(d.code, d.severity, d.path) for d in parsed.diagnostics] == [
        ("IC111", "warning", "override.layer")
    ]
    assert "'cls'" in parsed.diagnostics[0].message
    assert parsed.entries is not None
    ((_, child),) = parsed.entries[0].resolved_overrides()
    assert isinstance(child, Normal) and child.layer is None


@pytest.mark.parametrize("layer", [("Conv2d",), 3])
def test_bad_layer_type_in_override_is_still_an_error(layer: Any) -> None:
    value = dict(type="Normal", layer="Conv2d", override=dict(name="c", type="Normal", layer=layer))
    codes = {code for code, _ in found(value)}
    assert "IC105" in codes


def test_nested_override() -> None:
    value = dict(
        type="Normal",
        layer="Conv2d",
        override=dict(name="a", type="Constant", val=1, override=dict(name="b")),
    )
    code, path, hint, _ = only(value)
    assert (code, path) == ("IC112", "override.override")
    assert hint is not None and "override" in hint


@pytest.mark.parametrize("name", ["neck.lateral_convs", "a.b.c", "."])
def test_dotted_override_name(name: str) -> None:
    code, path, hint, message = only(
        dict(type="Xavier", layer="Conv2d", override=dict(name=name, type="Xavier"))
    )
    assert (code, path) == ("IC113", "override.name")
    assert "hasattr" in message
    assert hint is not None and repr(name.rsplit(".", 1)[-1]) in hint


@pytest.mark.parametrize("name", [3, None, ["cls"]])
def test_override_name_not_a_string(name: Any) -> None:
    code, path, _, _ = only(dict(type="Normal", layer="Conv2d", override=dict(name=name)))
    assert (code, path) == ("IC105", "override.name")


@pytest.mark.parametrize("override", ["cls", 3, ("cls",)])
def test_override_not_dict_or_list(override: Any) -> None:
    code, path, _, message = only(dict(type="Normal", layer="Conv2d", override=override))
    assert (code, path) == ("IC114", "override")
    assert "dict or a list" in message


def test_override_none_is_like_no_override() -> None:
    assert found(dict(type="Normal", layer="Conv2d", override=None)) == []


def test_non_dict_override_item_is_reported_at_its_index() -> None:
    value = dict(
        type="Normal",
        layer="Conv2d",
        override=[dict(name="a"), dict(type="Normal"), "x", dict(name="b.c")],
    )
    assert found(value) == [
        ("IC109", "override[1]"),
        ("IC114", "override[2]"),
        ("IC113", "override[3].name"),
    ]


def test_errors_inside_a_typed_override_carry_its_path() -> None:
    assert found(
        dict(type="Normal", layer="Conv2d", override=dict(name="reg", type="Normal", stdd=1))
    ) == [("IC104", "override.stdd")]
    assert found(
        [dict(type="Normal", layer="Conv2d", override=[dict(name="a", type="kaiming")])]
    ) == [("IC103", "[0].override[0].type")]
    assert found(
        dict(type="Normal", layer="Conv2d", override=dict(name="reg", type="Constant"))
    ) == [("IC106", "override.val")]


def test_override_under_list_entry_paths() -> None:
    value = [
        dict(type="Normal", layer="Conv2d"),
        dict(type="Constant", val=1, layer="Linear", override=[dict(name="x"), dict(val=2)]),
    ]
    assert found(value) == [("IC109", "[1].override[1]")]


# --- located entries (what the layer rules read) -----------------------------------------


def test_located_entries_carry_paths_and_raw_layers() -> None:
    parsed = parse_init_cfg(
        [
            dict(type="Normal", layer="Conv2d"),
            dict(
                type="Xavier",
                layer=["Linear", 3],
                override=dict(name="reg", type="Normal", layer="Conv1d"),
            ),
        ]
    )
    got = sorted(
        (entry.path, entry.override_of, repr(entry.raw_layer), entry.model.__name__)
        for entry in parsed.located
    )
    assert got == [
        ((0,), None, "'Conv2d'", "Normal"),
        ((1,), None, "['Linear', 3]", "Xavier"),
        ((1, "override"), (1,), "'Conv1d'", "Normal"),
    ]


def test_located_keeps_entries_with_bad_arguments() -> None:
    # Layer rules still see an entry whose arguments are wrong.
    parsed = parse_init_cfg(dict(type="Kaiming", layer="BatchNorm2d", mode="x"))
    assert parsed.entries is None
    (entry,) = parsed.located
    assert entry.initializer is None and entry.model is Kaiming
    assert entry.raw_layer == "BatchNorm2d"


# --- every type with its defaults ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dict(type="Constant", layer="Conv2d", val=2), dict(val=2, bias=0)),
        (dict(type="Xavier", layer="Conv2d"), dict(gain=1, distribution="normal")),
        (dict(type="Normal", layer="Conv2d"), dict(mean=0, std=1)),
        (dict(type="TruncNormal", layer="Conv2d"), dict(mean=0, std=1, a=-2, b=2)),
        (dict(type="Uniform", layer="Conv2d"), dict(a=0, b=1)),
        (
            dict(type="Kaiming", layer="Conv2d"),
            dict(a=0, mode="fan_out", nonlinearity="relu", distribution="normal"),
        ),
        (dict(type="Caffe2Xavier", layer="Conv2d"), dict(bias=0, bias_prob=None)),
        (dict(type="Pretrained", checkpoint="c"), dict(prefix=None, map_location="cpu")),
    ],
)
def test_mmengine_defaults(value: dict[str, Any], expected: dict[str, Any]) -> None:
    (entry,) = entries(value)
    assert type(entry).__name__ == value["type"]
    assert {key: getattr(entry, key) for key in expected} == expected


def test_fan_based_types() -> None:
    fan = {t.__name__ for t in (Xavier, Kaiming, Caffe2Xavier, Normal, Constant) if t.fan_based}
    assert fan == {"Xavier", "Kaiming", "Caffe2Xavier"}


# --- robustness --------------------------------------------------------------------------


def test_every_code_is_in_the_catalogue_with_its_severity() -> None:
    values: list[Any] = [
        "x",
        {},
        dict(layer="a"),
        dict(type="x"),
        dict(type="Normal", x=1),
        dict(type="Normal", std=-1),
        dict(type="Constant"),
        dict(type="Normal"),
        dict(type="Normal", layer="a", bias=0, bias_prob=0.1),
        dict(type="Normal", layer="a", override=dict(type="Normal")),
        dict(type="Normal", layer="a", override=dict(name="a", std=1)),
        dict(type="Normal", layer="a", override=dict(name="a", type="Normal", layer="b")),
        dict(type="Normal", layer="a", override=dict(name="a", type="Normal", override=[])),
        dict(type="Normal", layer="a", override=dict(name="a.b")),
        dict(type="Normal", layer="a", override=1),
        dict(type="TruncNormal", layer="a", a=0, b=0),
        dict(type="Normal", layer=["a", 1]),
    ]
    seen = set()
    for value in values:
        parsed: InitCfgParse = parse_init_cfg(value)
        for d in parsed.diagnostics:
            rule = get_rule(d.code)
            assert rule is not None and rule.severity == d.severity
            seen.add(d.code)
    grammar_codes = {f"IC{n}" for n in range(101, 115)} | {"IC120", "IC121", "IC122"}
    assert seen == grammar_codes


def test_parse_does_not_mutate_its_input() -> None:
    value = [
        dict(type="Normal", layer=["Conv2d"], override=[dict(name="a", type="Normal", layer="x")])
    ]
    before = repr(value)
    parse_init_cfg(value)
    assert repr(value) == before
