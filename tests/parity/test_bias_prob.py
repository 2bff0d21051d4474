"""``bias_prob``: one formula, bit-exact with MMEngine's ``bias_init_with_prob``."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
pytest.importorskip("mmengine")

from mmengine.model import initialize  # noqa: E402
from mmengine.model.weight_init import bias_init_with_prob  # noqa: E402
from torch import nn  # noqa: E402

from initcfg.plan.ops import bias_op  # noqa: E402
from initcfg.schema.init_cfg import parse_init_cfg  # noqa: E402
from initcfg.schema.initializers import WeightInit, bias_from_prob  # noqa: E402


def _bits(value: float) -> bytes:
    return struct.pack("<d", value)


PROBS = st.floats(min_value=1e-12, max_value=1 - 1e-12, allow_nan=False, exclude_min=True)


@given(PROBS)
def test_the_formula_is_bit_exact_with_mmengine(prob: float) -> None:
    assert _bits(bias_from_prob(prob)) == _bits(bias_init_with_prob(prob))


@pytest.mark.parametrize("prob", [0.01, 0.1, 1 / 3, 0.5, 0.999, 1e-6])
def test_bias_value_and_the_planned_fill_use_it(prob: float) -> None:
    parsed = parse_init_cfg({"type": "Normal", "layer": "Linear", "bias_prob": prob})
    assert parsed.entries is not None
    entry = parsed.entries[0]
    assert isinstance(entry, WeightInit)
    expected = _bits(bias_init_with_prob(prob))
    assert _bits(entry.bias_value) == expected
    op = bias_op(entry)
    assert op.kind == "fill" and _bits(float(op.args[0])) == expected


@pytest.mark.parametrize("prob", [0.01, 0.3])
def test_the_planned_bias_equals_what_mmengine_writes(prob: float) -> None:
    from initcfg.plan.init_plan import compile_init_plan

    cfg = {"type": "Constant", "layer": "Linear", "val": 0, "bias_prob": prob}
    ours, theirs = nn.Linear(3, 3), nn.Linear(3, 3)
    compile_init_plan({"model": {"init_cfg": cfg}}, ours).apply(ours)
    initialize(theirs, dict(cfg))
    assert torch.equal(ours.bias, theirs.bias) and torch.equal(ours.weight, theirs.weight)
