"""Plan files as hostile input: a plan read back from JSON is checked before it acts.

A real plan (initializers, a Pretrained load from a checkpoint file, a traced and
replayable ``init_weights``) is written to JSON, then mutated: values of other types,
keys missing or added, values nested deeper or shallower. Each mutated file either
loads and applies (identically, when it reads back as the same plan) or is refused with
one diagnostic naming the field, and a refused or failing apply leaves the model and the
checkpoint as they were.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from torch import nn

from initcfg.errors import InitcfgError, InitError, PlanFileError
from initcfg.plan.init_plan import InitPlan, compile_init_plan
from initcfg.plan.meta import build_on_meta

CALLS: list[str] = []


class Block(nn.Module):
    """Writes its own tensors in init_weights (traced on meta, replayed by apply)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.norm = nn.LayerNorm(3)

    def init_weights(self) -> None:
        CALLS.append("Block")
        nn.init.normal_(self.fc.weight, std=0.02)
        nn.init.constant_(self.fc.bias, 0.5)
        self.norm.weight.data.uniform_(0.5, 1.5)


class Net(nn.Module):
    def __init__(self, checkpoint: str) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.block = Block()
        self.head = nn.Linear(3, 2)
        self.init_cfg = [
            dict(type="Kaiming", layer="Conv2d", mode="fan_out"),
            dict(type="Constant", layer="BatchNorm2d", val=1, bias=0),
            dict(type="Normal", layer="Linear", std=0.01,
                 override=dict(type="Normal", name="head", std=0.1)),
            dict(type="Pretrained", checkpoint=checkpoint, prefix="net"),
        ]


Key = str | int
Path_ = tuple[Key, ...]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("plan")
    checkpoint = folder / "weights.pth"
    torch.manual_seed(1)
    source = Net("unused")
    torch.save({f"net.{key}": value for key, value in source.state_dict().items()
                if key.startswith("head.")}, checkpoint)
    plan = compile_init_plan(None, build_on_meta(lambda: Net(str(checkpoint))))
    kinds = [step.kind for step in plan.steps]
    assert {"init", "load", "call"} <= set(kinds), kinds
    [call] = [step for step in plan.steps if step.kind == "call"]
    assert call.trace is not None and call.trace.replay, "the call must be replayable"
    target = folder / "plan.json"
    plan.save(target)
    model = _fresh(str(checkpoint))
    torch.manual_seed(0)
    InitPlan.load(target).apply(model)
    return {
        "checkpoint": str(checkpoint),
        "digest": _digest(checkpoint),
        "json": json.loads(target.read_text()),
        "reference": _state(model),
    }


def _fresh(checkpoint: str) -> Net:
    torch.manual_seed(123)  # the same constructor values every time
    return Net(checkpoint)


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {key: value.detach().clone() for key, value in model.state_dict().items()}


def _same(left: dict[str, torch.Tensor], right: dict[str, torch.Tensor]) -> bool:
    return left.keys() == right.keys() and all(
        torch.equal(left[key], right[key]) for key in left
    )


def _digest(path: Path | str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _paths(value: Any, at: Path_ = ()) -> list[Path_]:
    found = [at]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*at, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*at, index))
    return found


def _get(value: Any, path: Path_) -> Any:
    for key in path:
        value = value[key]
    return value


def _deep(levels: int) -> Any:
    value: Any = 0
    for _ in range(levels):
        value = [value]
    return value


JUNK = st.sampled_from([
    "x", "0.02", "", "Tensor.set_", "nn.init.normal_", -1, 0, 1, 2**63, -(2**63) - 1, 10**400,
    0.5, -0.5, 1e308, math.nan, math.inf, -math.inf, None, True, False, [], [1, [2]],
    [[3, 3]], {}, {"a": {"b": []}}, {"type": "Normal"}, {"type": "NoSuchInit"}, _deep(300),
])


@st.composite
def mutations(draw: st.DrawFn, value: Any) -> tuple[Path_, Any]:
    """A path into ``value`` and a copy of ``value`` changed there."""
    paths = _paths(value)
    path = draw(st.sampled_from(paths))
    changed = copy.deepcopy(value)
    node = _get(changed, path)
    actions = ["replace", "wrap"]
    if path:
        actions.append("delete" if isinstance(path[-1], str) else "drop_item")
    if isinstance(node, dict):
        actions.append("add_key")
    if isinstance(node, list) and node:
        actions.append("unwrap")
    action = draw(st.sampled_from(actions))
    if action == "add_key":
        node[draw(st.sampled_from(["zzz", "kind", "type", "extra"]))] = draw(JUNK)
        return path, changed
    if action == "unwrap":
        new: Any = node[0]
    elif action == "wrap":
        new = draw(st.sampled_from([[node], {"value": node}]))
    elif action in ("delete", "drop_item"):
        del _get(changed, path[:-1])[path[-1]]
        return path, changed
    else:
        new = draw(JUNK)
    if not path:
        return path, new
    _get(changed, path[:-1])[path[-1]] = new
    return path, changed


def _check_refusal(refused: PlanFileError, path: Path_) -> None:
    [found] = refused.diagnostics
    assert found.code in ("IC010", "IC002"), found
    assert found.file == "plan.json" and found.line is not None and found.line >= 1
    # The field named is the one changed, lies in the object that holds it, or holds it.
    named = tuple(found.key_path or ())
    common = min(len(named), max(len(path) - 1, 0))
    assert named[:common] == path[:common], (found, path)
    assert str(refused).startswith("plan.json:")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_mutated_plan_file_applies_exactly_or_is_refused_untouched(
    files: dict[str, Any], data: st.DataObject
) -> None:
    original = files["json"]
    path, mutated = data.draw(mutations(original))
    text = json.dumps(mutated)
    model = _fresh(files["checkpoint"])
    before = _state(model)
    try:
        plan = InitPlan.loads(text, file="plan.json")
    except PlanFileError as refused:
        _check_refusal(refused, path)
        event("refused when read")
        return
    plan.render_text()  # a plan that loads can be shown
    plan.counts()
    torch.manual_seed(0)
    try:
        plan.apply(model)
    except InitcfgError:
        assert _same(_state(model), before), "a refused apply wrote to the model"
        event("refused by apply")
        return
    finally:
        assert _digest(files["checkpoint"]) == files["digest"]
    if plan.to_json() == original:  # read back as the same plan: the same tensors
        assert _same(_state(model), files["reference"]), path
        event("applied, the same plan")
    else:
        event("applied, another plan")


def _plan_with(files: dict[str, Any], path: Path_, value: Any) -> str:
    changed = copy.deepcopy(files["json"])
    _get(changed, path[:-1])[path[-1]] = value
    return json.dumps(changed, indent=1)


def _first(files: dict[str, Any], kind: str) -> int:
    """The first step of ``kind``; for ``init``, the Normal one (a normal op, std second)."""
    return next(i for i, s in enumerate(files["json"]["steps"]) if s["kind"] == kind and (
        kind != "init" or s["initializer"]["type"] == "Normal"))


@pytest.mark.parametrize(("where", "value", "says"), [
    (("init", "writes", 0, "op", "args", 1), "0.02", "expected a number, got a string"),
    (("init", "writes", 0, "shape"), [[4, 3]], "expected an integer, got a list"),
    (("init", "writes", 0, "shape", 0), 2**64, "expected an integer from 0"),
    (("init", "writes", 0, "op", "args", 1), math.nan, "std must be >= 0"),
    (("init", "writes", 0, "op", "args"), [0, [0.1]], "expected a number, got a list"),
    (("init", "writes", 0, "op", "args"), [0], "takes 2 arguments, got 1"),
    (("call", "trace", "replay", 0, 1), "3x4", "expected a list, got a string"),
    (("call", "trace", "replay", 0, 3), [{"std": 0.02}], "expected null, true, false"),
    (("call", "trace", "replay", 0, 4), [], "expected an object, got a list"),
    (("call", "trace", "replay", 0), ["fc.weight"], "expected a list of 6 items, got 1"),
    (("call", "trace", "complete"), "yes", "expected true or false"),
    (("load", "load", "prefix"), 5, "expected a string or null"),
    (("load", "load", "tensors"), ["head.weight"], "expected an object"),
    (("init", "initializer", "std"), "wide", "Input should be a valid"),
    # the schema takes any list as a layer; one this deep loaded, then to_json raised
    (("init", "initializer", "layer"), _deep(300), "nests more than 100 levels deep"),
    (("init", "origin", "source"), "elsewhere", "expected one of"),
])
def test_a_badly_typed_field_is_refused_by_its_json_path_and_line(
    files: dict[str, Any], tmp_path: Path, where: Path_, value: Any, says: str
) -> None:
    kind, *rest = where
    path: Path_ = ("steps", _first(files, str(kind)), *rest)
    target = tmp_path / "plan.json"
    target.write_text(_plan_with(files, path, value))
    with pytest.raises(PlanFileError) as refused:
        InitPlan.load(target)
    [found] = refused.value.diagnostics
    assert found.code == "IC010" and says in found.message, found
    assert found.key_path is not None and found.key_path[:len(path) - 1] == path[:-1]
    # Located where the field (or the object missing it) is written in the file.
    assert found.file == str(target) and found.line is not None and found.line > 1
    assert found.column is not None and found.column >= 1


@pytest.mark.parametrize("text", ["", "{", "[]", "null", '{"format": 2}', '{"format": true}',
                                  "[" * 100_000, '{"format": 1}', "\ud800"])
def test_text_that_is_no_plan_is_refused(text: str) -> None:
    with pytest.raises(PlanFileError) as refused:
        InitPlan.loads(text, file="p.json")
    [found] = refused.value.diagnostics
    assert found.code in ("IC002", "IC010") and found.file == "p.json"


@pytest.mark.parametrize("make", ["missing", "folder", "fifo", "binary", "latin1"])
def test_a_plan_file_that_cannot_be_read_is_ic001_or_ic002(make: str, tmp_path: Path) -> None:
    import os

    target = tmp_path / "plan.json"
    if make == "folder":
        target.mkdir()
    elif make == "fifo":
        os.mkfifo(target)
    elif make == "binary":
        target.write_bytes(b"\x00\x01\x02PK\x03\x04" * 100)
    elif make == "latin1":
        target.write_bytes('{"format": 1, "config": "caf\xe9"}'.encode("latin-1"))
    with pytest.raises(PlanFileError) as refused:
        InitPlan.load(target)
    [found] = refused.value.diagnostics
    assert found.code == ("IC002" if make == "binary" else "IC001"), found
    assert found.file == str(target)


def test_an_integer_too_long_to_print_is_refused_from_code_too(files: dict[str, Any]) -> None:
    # json.loads refuses integers past 4300 digits (IC002); a dict built in code can
    # hold one, and the message must not try to print it.
    changed = copy.deepcopy(files["json"])
    changed["tensors"][0]["shape"][0] = 10**5000
    with pytest.raises(PlanFileError, match="16610 bits") as refused:
        InitPlan.from_json(changed)
    assert refused.value.diagnostics[0].path == "tensors[0].shape[0]"
    changed = copy.deepcopy(files["json"])
    changed["format"] = 10**5000
    with pytest.raises(PlanFileError, match="got a number"):
        InitPlan.from_json(changed)


def _overflowing_fill_on_a_half_model(files: dict[str, Any]) -> tuple[InitPlan, nn.Module]:
    """A well-typed plan read from JSON whose last write fills 1e300, and a half model
    that value overflows."""
    changed = copy.deepcopy(files["json"])
    last_init = max(i for i, s in enumerate(changed["steps"]) if s["kind"] == "init")
    changed["steps"][last_init]["writes"][-1]["op"] = {"kind": "fill", "args": [1e300]}
    return InitPlan.from_json(changed), _fresh(files["checkpoint"]).half()


def test_an_op_the_tensors_dtype_refuses_stops_apply_before_any_write(
    files: dict[str, Any]
) -> None:
    # Well typed, so it loads, but fill_(1e300) overflows a half tensor: found before the
    # first step writes, not at that step with the earlier ones done.
    plan, model = _overflowing_fill_on_a_half_model(files)
    before = _state(model)
    with pytest.raises(InitError, match="nothing was written"):
        plan.apply(model)
    assert _same(_state(model), before)


def test_ops_are_tried_on_the_cpu_whatever_the_default_device(files: dict[str, Any]) -> None:
    # A model built and initialized inside `with torch.device(...)`: the probes made
    # there checked nothing on meta (the overflow then raised mid-apply, half written).
    plan, model = _overflowing_fill_on_a_half_model(files)
    before = _state(model)
    with pytest.raises(InitError, match="nothing was written"), torch.device("meta"):
        plan.apply(model)
    assert _same(_state(model), before)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_plan_file_applied_under_a_cuda_default_device_draws_as_compiled(
    files: dict[str, Any]
) -> None:
    # Probes made on the default device drew from the CUDA generator, which the
    # preflight does not put back: the model's draws then came from another stream.
    compiled = compile_init_plan(None, build_on_meta(lambda: Net(files["checkpoint"])))
    from_file = InitPlan.from_json(files["json"])
    states = []
    for plan in (compiled, from_file):
        with torch.device("cuda"):
            model = _fresh(files["checkpoint"])
            torch.manual_seed(0)
            plan.apply(model)
        states.append((_state(model), torch.cuda.get_rng_state()))
    assert _same(states[0][0], states[1][0])
    assert torch.equal(states[0][1], states[1][1])


def test_a_plan_for_another_model_stops_before_any_write(files: dict[str, Any]) -> None:
    changed = copy.deepcopy(files["json"])
    last_init = max(i for i, s in enumerate(changed["steps"]) if s["kind"] == "init")
    changed["steps"][last_init]["writes"][-1]["module"] = "no.such.module"
    model = _fresh(files["checkpoint"])
    before = _state(model)
    with pytest.raises(InitError, match=r"no tensor 'no\.such\.module"):
        InitPlan.from_json(changed).apply(model)
    assert _same(_state(model), before)
    compiled = compile_init_plan(None, build_on_meta(lambda: Net(files["checkpoint"])))
    smaller = _fresh(files["checkpoint"])
    # The root's Linear entry writes block.fc before the block's call step: the first step
    # that names a missing part is found, before any step writes.
    del smaller.block
    before = _state(smaller)
    with pytest.raises(InitError, match=r"step 2 .* no tensor 'block\.fc\.weight'"):
        compiled.apply(smaller)
    assert _same(_state(smaller), before)


def test_a_replay_record_torch_refuses_falls_back_to_the_call_with_the_same_draws(
    files: dict[str, Any]
) -> None:
    # A string where a number goes passes the type check (strings are arguments too:
    # mode='fan_out'); torch refuses it on the real tensor after earlier records ran.
    # The generator is put back, so init_weights draws what it would have drawn.
    changed = copy.deepcopy(files["json"])
    call = _first(files, "call")
    replay = changed["steps"][call]["trace"]["replay"]
    assert len(replay) >= 2
    replay[-1][3] = ["wide", "narrow"]
    model = _fresh(files["checkpoint"])
    CALLS.clear()
    torch.manual_seed(0)
    InitPlan.from_json(changed).apply(model)
    assert CALLS == ["Block"]
    assert _same(_state(model), files["reference"])


@pytest.mark.parametrize("keep", [0.01, 0.25, 0.5, 0.75, 0.999])
def test_a_plan_file_cut_short_is_ic002_at_the_place_it_ends(
    files: dict[str, Any], tmp_path: Path, keep: float
) -> None:
    text = json.dumps(files["json"], indent=1)
    target = tmp_path / "plan.json"
    target.write_text(text[: int(len(text) * keep)])
    with pytest.raises(PlanFileError) as refused:
        InitPlan.load(target)
    [found] = refused.value.diagnostics
    assert found.code == "IC002" and found.file == str(target)
    assert found.line == target.read_text().count("\n") + 1  # the last line, where it stops


class Own(nn.Module):
    """A module with its own init_weights: the config's init_cfg is set on it first."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def init_weights(self) -> None:
        nn.init.normal_(self.fc.weight, std=0.2)


def test_to_json_with_a_tuple_in_an_init_cfg_reads_back() -> None:
    # A Python config's tuples stay tuples in the init_cfg a call step sets; the file
    # checks took only lists and refused from_json(plan.to_json()) (json.dumps had made
    # them lists, so only the in-code route was refused).
    model = nn.Module()
    model.own = Own()
    config = {"model": {"own": {"init_cfg": {"type": "Normal", "layer": ("Linear",)}}}}
    plan = compile_init_plan(config, model)
    assert not plan.errors and any(step.sets_init_cfg for step in plan.steps)
    read = InitPlan.from_json(plan.to_json())
    assert read.to_json() == plan.to_json()
    applied = []
    for each in (plan, read):
        copied = copy.deepcopy(model)
        torch.manual_seed(0)
        each.apply(copied)
        applied.append((_state(copied), torch.get_rng_state(), copied.own.init_cfg))
    assert _same(applied[0][0], applied[1][0]) and torch.equal(applied[0][1], applied[1][1])
    assert applied[1][2] == {"type": "Normal", "layer": ("Linear",)}
