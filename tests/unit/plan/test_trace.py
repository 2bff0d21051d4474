"""Tracing a module's own init_weights on the meta model."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from initcfg.plan.init_plan import InitPlan, compile_init_plan
from initcfg.plan.meta import build_on_meta


class Own(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.norm = nn.LayerNorm(4)
        self.token = nn.Parameter(torch.zeros(1, 4))
        self.spare = nn.Linear(2, 2)

    def init_weights(self) -> None:
        nn.init.normal_(self.fc.weight, std=0.02)
        self.fc.bias.data.zero_()
        self.token.data[0].normal_(std=0.5)


class ReadsValues(Own):
    def init_weights(self) -> None:
        if self.fc.weight.abs().sum().item() > 0:
            nn.init.zeros_(self.fc.weight)


class ChecksMeta(Own):
    def init_weights(self) -> None:
        nn.init.trunc_normal_(self.fc.weight, std=0.02)  # returns at once on meta


class Outer(nn.Module):
    def __init__(self, inner: type[nn.Module]) -> None:
        super().__init__()
        self.init_cfg = dict(type="Constant", layer="LayerNorm", val=2)
        self.inner = inner()


def test_a_traced_call_names_its_writes_ops_and_lines() -> None:
    model = build_on_meta(lambda: Outer(Own))
    plan = compile_init_plan(None, model)
    call = plan.final_writer("inner.fc.weight")
    assert call is not None and call.kind == "call" and call.traced
    assert sorted(call.written()) == ["inner.fc.bias", "inner.fc.weight", "inner.token"]
    assert plan.final_writer("inner.spare.weight") is None  # the call does not write it
    rows = {row[0]: row for row in plan.rows()}
    assert rows["inner.fc.weight"][2].startswith("normal_(")
    assert "std=0.02" in rows["inner.fc.weight"][2]
    assert rows["inner.fc.weight"][3].endswith(f"test_trace.py:{_line('nn.init.normal_(self.fc')}")
    assert rows["inner.fc.bias"][2] == "zero_()"
    counts = plan.counts()
    assert counts["traced"] == 3 and counts["init_weights"] == 0
    assert not any(d.code == "IC412" for d in plan.diagnostics)
    again = InitPlan.loads(plan.dumps())
    assert again.counts() == counts and again.rows() == plan.rows()


@pytest.mark.parametrize(
    ("inner", "reason"),
    [(ReadsValues, "reads tensor values (item)"), (ChecksMeta, "checks is_meta")],
)
def test_value_reads_stop_the_trace_and_leave_the_call_opaque(
    inner: type[nn.Module], reason: str
) -> None:
    model = build_on_meta(lambda: Outer(inner))
    plan = compile_init_plan(None, model)
    call = plan.final_writer("inner.fc.weight")
    assert call is not None and call.trace is not None and not call.trace.complete
    assert reason in (call.trace.reason or "")
    assert plan.counts()["traced"] == 0 and plan.counts()["init_weights"] == 7
    notes = [d.message for d in plan.diagnostics if d.code == "IC412"]
    assert notes and "tracing it on meta stopped" in notes[0]


def test_tracing_changes_nothing_and_apply_runs_the_real_call() -> None:
    model = build_on_meta(lambda: Outer(Own))
    state = torch.get_rng_state()
    first = compile_init_plan(None, model).to_json()
    assert compile_init_plan(None, model).to_json() == first
    assert torch.equal(state, torch.get_rng_state())
    assert not any(getattr(m, "_is_init", False) for m in model.modules())
    real = Outer(Own)
    torch.manual_seed(1)
    compile_init_plan(None, model).apply(real)
    torch.manual_seed(1)
    expected = Outer(Own)
    expected.load_state_dict(real.state_dict())
    torch.manual_seed(1)
    nn.init.constant_(expected.inner.norm.weight, 2)
    nn.init.constant_(expected.inner.norm.bias, 0)
    expected.inner.init_weights()
    assert all(torch.equal(a, b) for a, b in zip(real.state_dict().values(),
                                                  expected.state_dict().values(), strict=True))


def _line(text: str) -> int:
    with open(__file__) as source:
        lines = source.read().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)
