"""Tracing a module's own init_weights on the meta model."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable

import pytest
import torch
from torch import nn

from initcfg.errors import PlanFileError
from initcfg.plan.init_plan import InitPlan, compile_init_plan
from initcfg.plan.meta import build_on_meta
from initcfg.plan.trace import resolve_func


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


# -- replay: the traced writes run in place of the call ---------------------------------

CALLS: list[str] = []  # init_weights calls, tracing included (a module attribute would be
# a side effect the trace must refuse to replay)


class Whole(nn.Module):
    def __init__(self, width: int = 4, scale_width: int | None = None) -> None:
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.norm = nn.LayerNorm(width)
        self.register_buffer("scale", torch.ones(scale_width or width))

    def init_weights(self) -> None:
        CALLS.append(type(self).__name__)
        nn.init.xavier_uniform_(self.fc.weight)
        self.fc.bias.data.uniform_(-0.1, 0.1)
        self.scale.mul_(0.5)
        nn.init.constant_(tensor=self.norm.weight, val=3.0)


class DrawsAside(Whole):
    def init_weights(self) -> None:
        noise = torch.randn(4, 4)  # a draw replay would not make
        self.fc.weight.data.copy_(noise)


class UsesRandom(Whole):
    def init_weights(self) -> None:
        self.fc.bias.data.fill_(random.random())


class SetsAttribute(Whole):
    def init_weights(self) -> None:
        self.fc.bias.data.zero_()
        self.done = True


def _calls_of(build: Callable[[], nn.Module]) -> tuple[InitPlan, nn.Module, nn.Module]:
    """The plan compiled on meta, applied to one real build; the other real build with
    the call made directly after the same config init, both from the same seed."""
    plan = compile_init_plan(None, build_on_meta(build))
    torch.manual_seed(0)
    ours = build()
    theirs = copy.deepcopy(ours)
    torch.manual_seed(3)
    random.seed(3)
    CALLS.clear()
    plan.apply(ours)
    ours_rng = torch.get_rng_state()
    torch.manual_seed(3)
    random.seed(3)
    nn.init.constant_(theirs.inner.norm.weight, 2)
    nn.init.constant_(theirs.inner.norm.bias, 0)
    theirs.inner.init_weights()
    assert torch.equal(ours_rng, torch.get_rng_state()), "a different number of draws"
    for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values(),
                            strict=True):
        assert torch.equal(a, b), name
    return plan, ours, theirs


def test_a_replayable_trace_runs_its_writes_instead_of_the_call() -> None:
    plan, ours, _ = _calls_of(lambda: Outer(Whole))
    call = plan.final_writer("inner.fc.weight")
    assert call is not None and call.trace is not None and call.trace.replay is not None
    assert [op.func for op in call.trace.replay] == [
        "Tensor.uniform_", "Tensor.uniform_", "Tensor.mul_", "nn.init.constant_",
    ]
    assert call.trace.replay[3].slot == "tensor"
    assert CALLS == ["Whole"], "apply called init_weights instead of replaying it"
    # (the one call recorded is the direct call on the other build)
    # A plan read back from its JSON replays the same way.
    CALLS.clear()
    again = InitPlan.loads(plan.dumps())
    copied = Outer(Whole)
    torch.manual_seed(3)
    again.apply(copied)
    assert CALLS == []
    assert all(torch.equal(a, b) for a, b in zip(copied.state_dict().values(),
                                                  ours.state_dict().values(), strict=True))


def test_a_record_that_does_not_fit_the_model_falls_back_to_the_call() -> None:
    plan = compile_init_plan(None, build_on_meta(lambda: Outer(Whole)))
    CALLS.clear()
    plan.apply(Outer(Whole))
    assert CALLS == []
    # Only a tensor the call alone writes is wider: one an init step writes with another
    # shape stops the whole apply first (tests/hostile/test_apply_to_another_model.py).
    wider = Outer(lambda: Whole(4, scale_width=5))  # type: ignore[arg-type, return-value]
    plan.apply(wider)
    assert CALLS == ["Whole"]
    assert torch.equal(wider.inner.scale, torch.full((5,), 0.5))


@pytest.mark.parametrize(
    ("inner", "reason"),
    [
        (Own, "writes part of inner.token"),
        (DrawsAside, "computes with tensors (randn)"),
        (UsesRandom, "draws from Python's random"),
        (SetsAttribute, "sets module attributes"),
    ],
)
def test_what_replay_cannot_repeat_keeps_the_call(inner: type[nn.Module], reason: str) -> None:
    plan, ours, theirs = _calls_of(lambda: Outer(inner))
    call = plan.steps[-1]
    assert call.kind == "call" and call.traced, "still traced: the writes are known"
    assert call.trace is not None and call.trace.replay is None
    assert reason in (call.trace.replay_reason or "")
    if inner is SetsAttribute:
        assert ours.inner.done is True and theirs.inner.done is True


def test_replay_sets_the_flags_the_call_sets() -> None:
    from mmengine.model import BaseModule

    class Block(BaseModule):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(init_cfg=dict(type="Constant", layer="Linear", val=0.5))
            self.fc = nn.Linear(3, 3)

    class Net(BaseModule):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.block = Block()
            self.head = nn.Linear(3, 2)

        def init_weights(self) -> None:
            super().init_weights()
            nn.init.normal_(self.head.weight, std=0.1)

    plan = compile_init_plan(None, build_on_meta(Net))
    call = plan.steps[0]
    assert call.kind == "call" and call.trace is not None and call.trace.replay is not None
    assert sorted(call.trace.flags) == ["", "block"]
    torch.manual_seed(0)
    ours = Net()
    theirs = copy.deepcopy(ours)
    torch.manual_seed(5)
    plan.apply(ours)
    torch.manual_seed(5)
    theirs.init_weights()
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(),
                                                  theirs.state_dict().values(), strict=True))
    flags = [(n, m.__dict__.get("_is_init")) for n, m in ours.named_modules()]
    assert flags == [(n, m.__dict__.get("_is_init")) for n, m in theirs.named_modules()]


def test_a_plan_file_names_only_torch_functions_to_replay() -> None:
    assert resolve_func("Tensor.normal_") is torch.Tensor.normal_
    assert resolve_func("nn.init.kaiming_normal_") is nn.init.kaiming_normal_
    for name in ("os.system", "Tensor.abs", "torch.load", "Tensor.__class__", "init.normal_"):
        assert resolve_func(name) is None, name


# -- tracing a real copy (--trace-real) --------------------------------------------------


class LeafWrite(Whole):
    def init_weights(self) -> None:
        self.fc.bias.zero_()  # outside no_grad on a leaf that requires grad: raises


def test_a_write_the_real_call_would_refuse_is_not_replayed() -> None:
    plan = compile_init_plan(None, build_on_meta(lambda: Outer(LeafWrite)))
    call = plan.steps[-1]
    assert call.traced and call.trace is not None and call.trace.replay is None
    assert "with gradients enabled" in (call.trace.replay_reason or "")
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        plan.apply(Outer(LeafWrite))  # as MMEngine's call raises


class RefusedArguments(Own):
    """Writes torch refuses before writing; on meta the trace records them without
    running them, so it must refuse them itself."""

    def __init__(self, write: Callable[[RefusedArguments], object]) -> None:
        super().__init__()
        self.write = write

    def init_weights(self) -> None:
        self.write(self)


@pytest.mark.parametrize(
    ("write", "error"),
    [
        (lambda m: nn.init.kaiming_uniform_(m.norm.weight), "Fan in and fan out"),
        (lambda m: nn.init.kaiming_uniform_(m.fc.weight, mode="fan_avg"), "Mode fan_avg"),
        (lambda m: nn.init.kaiming_uniform_(m.fc.weight, nonlinearity="gelu"), "nonlinearity"),
        (lambda m: nn.init.uniform_(m.fc.weight, 1, 0), "from=1 > to=0"),
        (lambda m: m.fc.weight.data.uniform_(1, 0), "from=1 > to=0"),
        (lambda m: nn.init.normal_(m.fc.weight, std=-1), "std >= 0.0"),
        (lambda m: m.token.data.normal_(0, -0.5), "std >= 0.0"),
    ],
)
def test_a_write_torch_refuses_stops_the_trace_as_the_call_raises(
    write: Callable[[RefusedArguments], object], error: str
) -> None:
    with pytest.raises((ValueError, RuntimeError), match=error.replace("(", r"\(")):
        write(RefusedArguments(write))  # what the real call does
    plan = compile_init_plan(None, build_on_meta(lambda: Outer(lambda: RefusedArguments(write))))
    call = plan.steps[-1]
    assert call.kind == "call" and call.trace is not None and not call.trace.complete
    assert call.trace.reason is not None and error in call.trace.reason
    assert call.trace.reason.startswith("raised")


def test_writes_torch_accepts_still_trace() -> None:
    def write(m: RefusedArguments) -> None:
        nn.init.kaiming_uniform_(m.fc.weight, a=1, mode="fan_out")
        nn.init.kaiming_uniform_(m.spare.weight[:0])  # zero elements: torch only warns
        m.fc.bias.data.uniform_(0.5, 0.5)
        nn.init.normal_(m.token, std=0)

    plan = compile_init_plan(None, build_on_meta(lambda: Outer(lambda: RefusedArguments(write))))
    call = plan.steps[-1]
    assert call.traced, call.trace.reason if call.trace else None


def test_a_real_copy_traces_code_that_reads_values_and_leaves_the_model_alone() -> None:
    torch.manual_seed(0)
    model = Outer(ReadsValues)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rng = torch.get_rng_state()
    on_meta = compile_init_plan(None, build_on_meta(lambda: Outer(ReadsValues)))
    assert on_meta.counts()["init_weights"] == 7  # opaque on meta: it reads values
    plan = compile_init_plan(None, model, trace_real=True)
    assert torch.equal(rng, torch.get_rng_state())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert not any(getattr(m, "_is_init", False) for m in model.modules())
    call = plan.final_writer("inner.fc.weight")
    assert call is not None and call.traced and call.trace is not None
    assert call.written() == ["inner.fc.weight"]
    assert call.trace.replay is None  # what it writes depends on the values it read
    assert "computes with tensors (abs)" in (call.trace.replay_reason or "")
    assert plan.counts()["init_weights"] == 0
    assert not any(d.code == "IC412" for d in plan.diagnostics)
    expected = copy.deepcopy(model)
    plan.apply(model)  # the call itself
    nn.init.constant_(expected.inner.norm.weight, 2)
    nn.init.constant_(expected.inner.norm.bias, 0)
    expected.inner.init_weights()
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                  expected.state_dict().values(), strict=True))


def test_a_real_copy_that_reads_nothing_replays() -> None:
    torch.manual_seed(0)
    model = Outer(Whole)
    plan = compile_init_plan(None, model, trace_real=True)
    call = plan.steps[-1]
    assert call.trace is not None and call.trace.replay is not None
    CALLS.clear()
    theirs = copy.deepcopy(model)
    torch.manual_seed(4)
    plan.apply(model)
    assert CALLS == []
    torch.manual_seed(4)
    nn.init.constant_(theirs.inner.norm.weight, 2)
    nn.init.constant_(theirs.inner.norm.bias, 0)
    theirs.inner.init_weights()
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                  theirs.state_dict().values(), strict=True))


def test_a_second_apply_leaves_initialized_modules_to_the_call() -> None:
    from mmengine.model import BaseModule

    class Net(BaseModule):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(init_cfg=dict(type="Constant", layer="Linear", val=0.5))
            self.fc = nn.Linear(3, 3)

        def init_weights(self) -> None:
            super().init_weights()  # skipped, with a warning, once _is_init is set

    plan = compile_init_plan(None, build_on_meta(Net))
    assert plan.steps[0].trace is not None and plan.steps[0].trace.flags == [""]
    ours, theirs = Net(), Net()
    theirs.load_state_dict(ours.state_dict())
    plan.apply(ours)
    theirs.init_weights()
    with torch.no_grad():
        ours.fc.weight.zero_()
        theirs.fc.weight.zero_()
    plan.apply(ours)  # the call again, which skips the flagged module
    theirs.init_weights()
    assert torch.equal(ours.fc.weight, theirs.fc.weight)
    assert torch.equal(ours.fc.weight, torch.zeros(3, 3))


def test_a_plan_file_with_a_foreign_replay_record_falls_back_to_the_call() -> None:
    plan = compile_init_plan(None, build_on_meta(lambda: Outer(Whole)))
    data = plan.to_json()
    record = data["steps"][-1]["trace"]["replay"]
    for edit in ({2: "os.system"}, {5: 3}):
        changed = [list(r) for r in record]
        for position, value in edit.items():
            changed[0][position] = value
        data["steps"][-1]["trace"]["replay"] = changed
        CALLS.clear()
        InitPlan.from_json(data).apply(Outer(Whole))
        assert CALLS == ["Whole"], edit
    # A record of the wrong types (a list among the scalar arguments) is not a plan
    # file's: it is refused when read, naming the field, before a model is touched.
    changed = [list(r) for r in record]
    changed[0][3] = [[1, 2]]
    data["steps"][-1]["trace"]["replay"] = changed
    with pytest.raises(PlanFileError) as refused:
        InitPlan.from_json(data)
    [found] = refused.value.diagnostics
    assert found.code == "IC010"
    assert found.path == f"steps[{len(data['steps']) - 1}].trace.replay[0][3][0]"


def test_a_trace_logs_nothing_through_mmengine() -> None:
    """MMEngine's top-level init_weights logs every parameter's init info (into the
    Runner's log file when it has one); a trace on a copy or on meta initializes nothing,
    so it must not log: `initcfg plan --format json` printed those lines before the JSON."""
    import logging

    from mmengine.logging import MMLogger
    from mmengine.model import BaseModule

    class Net(BaseModule):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(init_cfg=dict(type="Constant", layer="Linear", val=0.5))
            self.fc = nn.Linear(3, 3)

        def init_weights(self) -> None:
            super().init_weights()
            nn.init.normal_(self.fc.bias, std=0.1)

    logged: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = logged.append  # type: ignore[method-assign]
    # A logger of this test's own: an earlier Runner's may log into a file instead.
    logger = MMLogger.get_instance(f"trace-test-{id(logged)}")
    assert MMLogger.get_current_instance() is logger
    logger.addHandler(handler)
    try:
        plan = compile_init_plan(None, build_on_meta(Net))
        assert plan.steps[0].traced
        assert not [r.getMessage() for r in logged if "fc.weight" in r.getMessage()]
        Net().init_weights()  # the real call does log, so the check above could fail
        assert [r for r in logged if "fc.weight" in r.getMessage()]
    finally:
        logger.removeHandler(handler)


class AssignsWeight(Own):
    def init_weights(self) -> None:
        self.fc.weight = nn.Parameter(torch.ones(4, 4))


class AddsScale(Own):
    def init_weights(self) -> None:
        nn.init.normal_(self.fc.weight)
        self.scale = nn.Parameter(torch.ones(4))


class Holds(nn.Module):
    def __init__(self, child: Callable[[], nn.Module]) -> None:
        super().__init__()
        self.child = child()


@pytest.mark.parametrize(
    ("child", "named"),
    [(AssignsWeight, "child.fc.weight"), (AddsScale, "child.scale")],
    ids=["assigns", "adds"],
)
def test_a_child_call_that_makes_a_parameter_is_an_error_on_meta(
    child: Callable[[], nn.Module], named: str
) -> None:
    # MMEngine asserts after a child's init_weights that no parameter is new; the meta
    # trace saw the call do it and the plan said nothing (AddsScale even replayed)
    model = build_on_meta(lambda: Holds(child))
    plan = compile_init_plan(None, model)
    found = [d for d in plan.diagnostics if d.code == "IC417"]
    assert [d.severity for d in found] == ["error"]
    assert repr(named) in found[0].message
    assert not hasattr(model.child, "scale")  # the trace left the model as it was
    # the model's own root call is not checked, as MMEngine does not check it
    alone = compile_init_plan(None, build_on_meta(child))
    assert "IC417" not in {d.code for d in alone.diagnostics}
