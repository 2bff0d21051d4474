"""``validate_init_cfg`` never raises: any JSON-like value gets diagnostics, not a traceback.

Two generators, 2,000 values each: arbitrary JSON-like values, and "almost valid"
``init_cfg`` values built from the real type names and keys with random values.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import initcfg
from initcfg.diagnostics import Diagnostic, all_rules
from initcfg.schema.init_cfg import parse_init_cfg
from initcfg.schema.registry import initializer_types

CATALOGUE = {rule.code: rule.severity for rule in all_rules()}
TYPES = sorted(initializer_types())
KEYS = sorted(
    {name for model in initializer_types().values() for name in model.model_fields}
    | {"name", "override", "layer", "bias", "bias_prob", "_scope_", "bais", "stdd"}
)
LAYERS = ["Conv2d", "Conv2D", "Linear", "BatchNorm2d", "LSTM", "MultiheadAttention", "MyConv"]
ENUMS = ["normal", "uniform", "fan_in", "fan_out", "relu", "leaky_relu", "gelu", "fan_inn"]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=6)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=4) | st.sampled_from(KEYS), children, max_size=4),
    max_leaves=10,
)

# Values a key of an initializer might plausibly be given, right or wrong.
argument_values = (
    st.sampled_from(LAYERS)
    | st.lists(st.sampled_from(LAYERS) | st.integers(), max_size=3)
    | st.tuples(st.sampled_from(LAYERS))
    | st.sampled_from(ENUMS)
    | st.sampled_from(TYPES)
    | st.floats(min_value=-3, max_value=3)
    | st.integers(min_value=-3, max_value=3)
    | st.booleans()
    | st.none()
    | st.sampled_from(["reg", "cls", "neck.lateral", "", "0.5"])
    # An override value written inside an override item (IC112).
    | st.fixed_dictionaries({"name": st.sampled_from(["b", "c.d"])})
)


def _entry(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    base = st.dictionaries(st.sampled_from(KEYS), argument_values, max_size=5)
    typed = st.builds(
        lambda t, rest: {"type": t, **rest}, st.sampled_from(TYPES) | st.text(max_size=6), base
    )
    entry = typed | base
    if depth == 0:
        return entry
    override = _entry(depth - 1) | st.lists(_entry(depth - 1), max_size=2) | argument_values
    return st.builds(
        lambda item, over, with_override: {**item, "override": over} if with_override else item,
        entry,
        override,
        st.booleans(),
    )


almost_valid = _entry(1) | st.lists(_entry(1), max_size=3)


def _check(value: Any) -> list[Diagnostic]:
    diagnostics = initcfg.validate_init_cfg(value)
    assert isinstance(diagnostics, list)
    for d in diagnostics:
        assert isinstance(d, Diagnostic)
        assert CATALOGUE.get(d.code) == d.severity, d
        assert d.message and isinstance(d.path, str)
    return diagnostics


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_json_value_gives_diagnostics(value: Any) -> None:
    diagnostics = _check(value)
    if not isinstance(value, dict | list):
        assert [d.code for d in diagnostics] == ["IC101"]


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(almost_valid)
def test_almost_valid_init_cfg_gives_diagnostics(value: Any) -> None:
    diagnostics = _check(value)
    parsed = parse_init_cfg(value)
    has_error = any(d.severity == "error" for d in diagnostics)
    grammar_error = any(d.severity == "error" for d in parsed.diagnostics)
    # Entries come back exactly when the grammar found no error.
    assert (parsed.entries is None) == grammar_error
    if not has_error:
        assert parsed.entries is not None


@settings(max_examples=200, deadline=None)
@given(almost_valid, st.booleans())
def test_strict_adds_only_warnings(value: Any, extra: bool) -> None:
    plain = initcfg.validate_init_cfg(value)
    strict = initcfg.validate_init_cfg(value, strict=True, extra_layers=["MyConv"] if extra else [])
    added = [d for d in strict if d not in plain]
    assert all(d.code == "IC119" and d.severity == "warning" for d in added)
    if extra:
        assert all("'MyConv'" not in d.message for d in added)


_DOCUMENT_KEYS = st.sampled_from(
    ["model", "backbone", "neck", "bbox_head", "init_cfg", "type", "layer", "num_classes",
     "optim_wrapper", "param_scheduler", "train_cfg", "load_from", "lr", "_base_"]
)
documents = st.dictionaries(
    _DOCUMENT_KEYS,
    st.recursive(
        scalars | almost_valid,
        lambda children: st.lists(children, max_size=3)
        | st.dictionaries(_DOCUMENT_KEYS, children, max_size=4),
        max_leaves=10,
    ),
    max_size=4,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_whole_documents_give_diagnostics(document: dict[str, Any]) -> None:
    # init_cfg values at any depth of a config given as a mapping: still no traceback.
    diagnostics = initcfg.validate(document)
    for d in diagnostics:
        assert CATALOGUE.get(d.code) == d.severity, d
