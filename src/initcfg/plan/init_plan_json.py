"""Init plan JSON format 1: steps, origins and diagnostics to plain JSON values and back.

:meth:`initcfg.plan.init_plan.InitPlan.to_json` and ``from_json`` use these; the format is
pinned by golden files (``tests/unit/plan/golden/``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from initcfg.diagnostics import Diagnostic
from initcfg.plan.checkpoint import LoadResult
from initcfg.plan.ops import TensorOp
from initcfg.plan.plan_file import PlanFileProblem
from initcfg.plan.steps import LoadSpec, Origin, Step, Write
from initcfg.plan.trace import ReplayOp, Trace, TracedWrite
from initcfg.schema.initializers import BaseInit
from initcfg.schema.registry import initializer_types, parse_initializer


def _origin_json(origin: Origin) -> dict[str, Any]:
    return {
        "owner": origin.owner,
        "key": origin.key,
        "source": origin.source,
        "file": origin.file,
        "line": origin.line,
    }


def _origin_from_json(value: Mapping[str, Any]) -> Origin:
    return Origin(value["owner"], value["key"], value["source"], value["file"], value["line"])


def _step_json(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": step.kind,
        "target": step.target,
        "whole": step.whole,
        "initializer": step.initializer.model_dump(mode="json") if step.initializer else None,
        "origin": _origin_json(step.origin),
        "writes": [
            {
                "module": w.module,
                "attr": w.attr,
                "tensor": w.tensor,
                "shape": list(w.shape),
                "op": w.op.to_json(),
            }
            for w in step.writes
        ],
        "touches": list(step.touches),
        "load": None,
    }
    if step.sets_init_cfg:
        out["init_cfg"] = step.init_cfg
    if step.trace is not None:
        out["trace"] = {
            "complete": step.trace.complete,
            "reason": step.trace.reason,
            "writes": [[w.tensor, w.op, w.where] for w in step.trace.writes],
            # Added within format 1: a reader that predates them ignores these keys and
            # calls init_weights; a plan without them is read as not replayable.
            "replay": None
            if step.trace.replay is None
            else [
                [r.tensor, list(r.shape), r.func, list(r.args), r.kwargs, r.slot]
                for r in step.trace.replay
            ],
            "replay_reason": step.trace.replay_reason,
            "flags": list(step.trace.flags),
        }
    if step.load is not None:
        spec = step.load
        result = spec.result
        out["load"] = {
            "checkpoint": spec.checkpoint,
            "prefix": spec.prefix,
            "map_location": spec.map_location,
            "tensors": dict(spec.tensors),
            "error": spec.error,
            "uninspected": spec.uninspected,
            "result": None
            if result is None
            else {
                "loaded": result.loaded,
                "missing": result.missing,
                "unexpected": result.unexpected,
                "mismatched": [[k, list(a), list(b)] for k, a, b in result.mismatched],
            },
        }
    return out


def _step_from_json(value: Mapping[str, Any]) -> Step:
    init = value["initializer"]
    load = value["load"]
    spec = None
    if load is not None:
        result = load["result"]
        spec = LoadSpec(
            load["checkpoint"],
            load["prefix"],
            load["map_location"],
            None
            if result is None
            else LoadResult(
                list(result["loaded"]),
                list(result["missing"]),
                list(result["unexpected"]),
                [(k, tuple(a), tuple(b)) for k, a, b in result["mismatched"]],
            ),
            dict(load["tensors"]),
            load["error"],
            bool(load.get("uninspected", False)),
        )
    trace = value.get("trace")
    return Step(
        value["kind"],
        value["target"],
        value["whole"],
        None if init is None else _initializer_from_json(init),
        _origin_from_json(value["origin"]),
        [
            Write(
                w["module"], w["attr"], w["tensor"], tuple(w["shape"]), TensorOp.from_json(w["op"])
            )
            for w in value["writes"]
        ],
        spec,
        list(value["touches"]),
        "init_cfg" in value,
        value.get("init_cfg"),
        None
        if trace is None
        else Trace(
            [TracedWrite(*w) for w in trace["writes"]],
            trace["complete"],
            trace["reason"],
            _replay_from_json(trace.get("replay")),
            trace.get("replay_reason"),
            list(trace.get("flags", [])),
        ),
    )


_TYPE_TAGS = frozenset({"int", "float", "str", "bool", "list", "dict", "none", "tuple"})


def _initializer_from_json(value: Mapping[str, Any]) -> BaseInit:
    """The typed initializer of a step, checked by the schema as a config's would be.

    Raises:
        PlanFileProblem: The schema refuses it; the path is the first field it names.
    """
    try:
        return parse_initializer(value)
    except KeyError as missing:
        if value["type"] not in initializer_types():
            problem = f"unknown initializer type {value['type']!r}"
            raise PlanFileProblem(("initializer", "type"), problem) from None
        raise PlanFileProblem(("initializer",), f"the key {missing} is missing") from None
    except ValidationError as error:
        first = error.errors()[0]
        # Pydantic's location goes on into the union member tried (``std.int``, a
        # ``function-after[...]``): the field is the part before it.
        at = []
        for part in first["loc"]:
            if isinstance(part, str) and (part in _TYPE_TAGS or "[" in part):
                break
            at.append(part)
        raise PlanFileProblem(("initializer", *at), first["msg"]) from None
    except (TypeError, ValueError, RecursionError) as error:
        raise PlanFileProblem(("initializer",), str(error) or type(error).__name__) from None


def _replay_from_json(value: Any) -> list[ReplayOp] | None:
    if value is None:
        return None
    return [
        ReplayOp(tensor, tuple(shape), func, tuple(args), dict(kwargs), slot)
        for tensor, shape, func, args, kwargs, slot in value
    ]


def _diagnostic_from_json(value: Mapping[str, Any]) -> Diagnostic:
    return Diagnostic(
        value["code"],
        value["severity"],
        value["message"],
        path=value.get("path") or "",
        file=value.get("file"),
        line=value.get("line"),
        column=value.get("column"),
        hint=value.get("hint"),
    )
