"""Checks of an init plan's JSON (format 1) before a plan is built from it.

A plan file is input like a config: it may have been edited, cut short or written by
something else. :func:`check_plan_json` walks every field :meth:`InitPlan.from_json`
reads and raises :class:`PlanFileProblem` at the first that is missing or of the wrong
kind, naming its JSON path (``steps[3].trace.replay[0][3][1]``), so a plan is either
built from values of the types its code expects or not built at all; nothing is
written to a model from a file that would fail part way. Keys the format does not
name are ignored (format 1 gained keys over time, and older readers ignore them).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from initcfg.diagnostics import Diagnostic, KeyPath, Location, diagnostic
from initcfg.errors import PlanFileError

# Plans of the largest models are tens of megabytes; a far larger file is not a plan.
MAX_PLAN_BYTES = 1024 * 1024 * 1024

# JSON numbers torch takes as a tensor size or a scalar argument: a Python int past
# int64 raises OverflowError inside torch, mid-apply.
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
# A shape deeper than torch allows (64 dims) is not a shape a model can have.
_MAX_DIMS = 64
# An ``init_cfg`` value is set on the module and deep-copied; real ones nest a few
# levels, far deeper ones would exhaust the recursion limit in that copy.
_MAX_INIT_CFG_DEPTH = 100

_STEP_KINDS = ("init", "load", "call")
_SOURCES = ("config", "attribute", "argument", "load_from")
_OP_ARITY = {"fill": 1, "normal": 2, "uniform": 2, "trunc_normal": 6, "skip": 0}
_SEVERITIES = ("error", "warning", "info")


class PlanFileProblem(Exception):
    """One field of a plan's JSON that the format does not allow.

    Attributes:
        path: The field's JSON path as a key path (keys and list indices).
        message: What is wrong with it.
    """

    def __init__(self, path: KeyPath, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _fail(path: KeyPath, expected: str, value: object) -> PlanFileProblem:
    return PlanFileProblem(path, f"expected {expected}, got {_kind(value)}")


def _str(value: object, path: KeyPath) -> None:
    if not isinstance(value, str):
        raise _fail(path, "a string", value)


def _opt_str(value: object, path: KeyPath) -> None:
    if value is not None and not isinstance(value, str):
        raise _fail(path, "a string or null", value)


def _bool(value: object, path: KeyPath) -> None:
    if not isinstance(value, bool):
        raise _fail(path, "true or false", value)


def _int(value: object, path: KeyPath, low: int = _INT_MIN) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, "an integer", value)
    if not low <= value <= _INT_MAX:
        # Not printed whole: str() refuses integers past 4300 digits.
        got = f"one of {value.bit_length()} bits" if abs(value) > _INT_MAX else str(value)
        raise PlanFileProblem(path, f"expected an integer from {low} to {_INT_MAX}, got {got}")


def _opt_int(value: object, path: KeyPath) -> None:
    if value is not None:
        _int(value, path, 0)


def _number(value: object, path: KeyPath) -> None:
    if isinstance(value, float):
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, "a number", value)
    _int(value, path)


def _scalar(value: object, path: KeyPath) -> None:
    """An argument a traced call was made with: null, true/false, a number, a string."""
    if value is None or isinstance(value, bool | str | float):
        return
    if isinstance(value, int):
        _int(value, path)
        return
    raise _fail(path, "null, true, false, a number or a string", value)


def _choice(value: object, path: KeyPath, choices: tuple[object, ...]) -> None:
    if isinstance(value, bool) or value not in choices or type(value) not in (str, int):
        shown = ", ".join(repr(choice) for choice in choices)
        got = _kind(value)
        if isinstance(value, str):
            got = repr(value) if len(value) <= 80 else repr(value[:80]) + "…"
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**64:
            got = str(value)
        raise PlanFileProblem(path, f"expected one of {shown}, got {got}")


def _list(value: object, path: KeyPath, item: Callable[[Any, KeyPath], None]) -> None:
    if not isinstance(value, list):
        raise _fail(path, "a list", value)
    for index, entry in enumerate(value):
        item(entry, (*path, index))


def _tuple(value: object, path: KeyPath, items: tuple[Callable[[Any, KeyPath], None], ...]
           ) -> None:
    if not isinstance(value, list):
        raise _fail(path, f"a list of {len(items)} items", value)
    if len(value) != len(items):
        raise PlanFileProblem(path, f"expected a list of {len(items)} items, got {len(value)}")
    for index, (entry, item) in enumerate(zip(value, items, strict=True)):
        item(entry, (*path, index))


def _shape(value: object, path: KeyPath) -> None:
    if not isinstance(value, list):
        raise _fail(path, "a list", value)
    if len(value) > _MAX_DIMS:
        raise PlanFileProblem(path, f"expected at most {_MAX_DIMS} sizes, got {len(value)}")
    for index, size in enumerate(value):
        _int(size, (*path, index), 0)


def _object(value: object, path: KeyPath, fields: Mapping[str, Callable[[Any, KeyPath], None]],
            optional: Mapping[str, Callable[[Any, KeyPath], None]] | None = None) -> None:
    if not isinstance(value, Mapping):
        raise _fail(path, "an object", value)
    for key, check in fields.items():
        if key not in value:
            raise PlanFileProblem(path, f"the key {key!r} is missing")
        check(value[key], (*path, key))
    for key, check in (optional or {}).items():
        if key in value:
            check(value[key], (*path, key))


def _json_value(value: object, path: KeyPath) -> None:
    """Any JSON value (an ``init_cfg``), nested at most ``_MAX_INIT_CFG_DEPTH`` levels.
    A tuple is a list: :meth:`InitPlan.to_json` keeps the config's own value, and a
    Python config's ``layer=('Conv2d', 'Linear')`` is a tuple until it is dumped."""
    stack: list[tuple[object, KeyPath]] = [(value, path)]
    while stack:
        node, at = stack.pop()
        if len(at) - len(path) > _MAX_INIT_CFG_DEPTH:
            raise PlanFileProblem(at[: len(path) + 3],
                                  f"nests more than {_MAX_INIT_CFG_DEPTH} levels deep")
        if isinstance(node, Mapping):
            for key, child in node.items():
                if not isinstance(key, str):
                    raise _fail(at, "an object with string keys", node)
                stack.append((child, (*at, key)))
        elif isinstance(node, list | tuple):
            stack.extend((child, (*at, index)) for index, child in enumerate(node))
        else:
            _scalar(node, at)


def _str_map(value: object, path: KeyPath) -> None:
    if not isinstance(value, Mapping):
        raise _fail(path, "an object", value)
    for key, entry in value.items():
        _str(entry, (*path, key))


def _origin(value: object, path: KeyPath) -> None:
    _object(value, path, {
        "owner": _str, "key": _str, "source": lambda v, p: _choice(v, p, _SOURCES),
        "file": _opt_str, "line": _opt_int,
    })


def _op(value: object, path: KeyPath) -> None:
    _object(value, path, {"kind": lambda v, p: _choice(v, p, tuple(_OP_ARITY)),
                          "args": lambda v, p: _list(v, p, _number)})
    kind, args = value["kind"], value["args"]  # type: ignore[index]
    if len(args) != _OP_ARITY[kind]:
        raise PlanFileProblem((*path, "args"), f"a {kind} op takes {_OP_ARITY[kind]} "
                              f"arguments, got {len(args)}")
    # The checks torch makes when the op runs, made before anything runs.
    if kind == "normal" and not args[1] >= 0:
        raise PlanFileProblem((*path, "args", 1), f"a normal op's std must be >= 0, got "
                              f"{args[1]}")
    if kind in ("uniform", "trunc_normal") and not args[0] <= args[1]:
        raise PlanFileProblem((*path, "args"), f"a {kind} op's range must have its low end "
                              f"first, got {args[0]} and {args[1]}")


def _write(value: object, path: KeyPath) -> None:
    _object(value, path, {"module": _str, "attr": _str, "tensor": _str, "shape": _shape,
                          "op": _op})


def _replay_op(value: object, path: KeyPath) -> None:
    # Only types are checked here: a record of the right types that replay cannot use
    # (a function this torch lacks or that writes no values, a keyword no tracer writes)
    # makes apply call init_weights instead, as for any record that does not fit.
    def kwargs(entry: object, at: KeyPath) -> None:
        if not isinstance(entry, Mapping):
            raise _fail(at, "an object", entry)
        for key, argument in entry.items():
            _scalar(argument, (*at, key))

    def slot(entry: object, at: KeyPath) -> None:
        if isinstance(entry, bool) or not isinstance(entry, int | str):
            raise _fail(at, "a position or a keyword", entry)
        if isinstance(entry, int):
            _int(entry, at)

    _tuple(value, path, (_str, _shape, _str, lambda v, p: _list(v, p, _scalar), kwargs, slot))


def _trace(value: object, path: KeyPath) -> None:
    _object(value, path, {
        "complete": _bool, "reason": _opt_str,
        "writes": lambda v, p: _list(v, p, lambda w, at: _tuple(w, at, (_str, _str, _str))),
    }, {
        "replay": lambda v, p: None if v is None else _list(v, p, _replay_op),
        "replay_reason": _opt_str,
        "flags": lambda v, p: _list(v, p, _str),
    })


def _load(value: object, path: KeyPath) -> None:
    def result(entry: object, at: KeyPath) -> None:
        if entry is None:
            return
        names = lambda v, p: _list(v, p, _str)  # noqa: E731
        _object(entry, at, {
            "loaded": names, "missing": names, "unexpected": names,
            "mismatched": lambda v, p: _list(v, p, lambda m, q: _tuple(m, q, (
                _str, _shape, _shape))),
        })

    _object(value, path, {
        "checkpoint": _str, "prefix": _opt_str, "map_location": _opt_str,
        "tensors": _str_map, "error": _opt_str, "result": result,
    }, {"uninspected": _bool})


def _initializer(value: object, path: KeyPath) -> None:
    if value is not None:
        _object(value, path, {"type": _str})  # the rest is the schema's (see from_json)
        # as deep as an init_cfg may be: the schema takes any list as a ``layer`` (as
        # MMEngine does) and Pydantic cannot dump one past its serialization depth
        _json_value(value, path)


def _step(value: object, path: KeyPath) -> None:
    _object(value, path, {
        "kind": lambda v, p: _choice(v, p, _STEP_KINDS), "target": _str, "whole": _bool,
        "initializer": _initializer, "origin": _origin,
        "writes": lambda v, p: _list(v, p, _write), "touches": lambda v, p: _list(v, p, _str),
        "load": lambda v, p: None if v is None else _load(v, p),
    }, {"init_cfg": _json_value, "trace": lambda v, p: None if v is None else _trace(v, p)})
    step: Mapping[str, Any] = value  # type: ignore[assignment]
    if step["kind"] == "init" and step["initializer"] is None:
        raise PlanFileProblem((*path, "initializer"), "an init step needs its initializer")
    if step["kind"] == "load" and step["load"] is None:
        raise PlanFileProblem((*path, "load"), "a load step needs its checkpoint")


def _diagnostic(value: object, path: KeyPath) -> None:
    _object(value, path, {
        "code": _str, "severity": lambda v, p: _choice(v, p, _SEVERITIES), "message": _str,
    }, {"path": _opt_str, "file": _opt_str, "line": _opt_int, "column": _opt_int,
        "hint": _opt_str})


def _unreached(value: object, path: KeyPath) -> None:
    _object(value, path, {"module": _str, "origin": _origin, "blocker": _str,
                          "blocker_type": _str})


def check_plan_json(value: object) -> None:
    """Check that ``value`` has every field of an init plan of format 1, each of its type.

    Raises:
        PlanFileProblem: The first field that is missing or of the wrong kind.
    """
    _object(value, (), {"format": lambda v, p: _choice(v, p, (1,))})
    _object(value, (), {
        "reach": lambda v, p: _choice(v, p, ("mmengine", "all")),
        "tensors": lambda v, p: _list(v, p, lambda t, at: _object(t, at, {
            "name": _str, "shape": _shape,
            "kind": lambda k, q: _choice(k, q, ("parameter", "buffer"))})),
        "marked": lambda v, p: _list(v, p, _str),
        "steps": lambda v, p: _list(v, p, _step),
        "unreached": lambda v, p: _list(v, p, _unreached),
        "diagnostics": lambda v, p: _list(v, p, _diagnostic),
    }, {"config": _opt_str})


def read_plan_file(path: str | os.PathLike[str]) -> str:
    """The text of a plan file.

    Raises:
        PlanFileError: IC001, the file cannot be read as UTF-8 text of a regular file.
    """
    from initcfg.config.files import read_regular_file

    name = os.fspath(path)
    try:
        return read_regular_file(name, MAX_PLAN_BYTES)[0].decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise PlanFileError([diagnostic("IC001", f"cannot read {name}: {reason}")
                             .at(Location(name, 1, 1))]) from None


def read_plan_json(text: str, file: str | None) -> Any:
    """The JSON value of a plan's text.

    Raises:
        PlanFileError: IC002, the text is not JSON (located when ``file`` is given).
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        found = diagnostic("IC002", f"invalid JSON: {error.msg}")
        line, column = error.lineno, error.colno
    except (ValueError, RecursionError) as error:  # integers too long, nesting too deep
        found = diagnostic("IC002", "invalid JSON: " + (
            "nested too deeply" if isinstance(error, RecursionError) else str(error)))
        line, column = 1, 1
    raise PlanFileError([found.at(Location(file, line, column)) if file else found])


def plan_file_diagnostic(
    problem: PlanFileProblem, text: str | None = None, file: str | None = None
) -> Diagnostic:
    """The IC010 diagnostic of ``problem``: its JSON path, and where in ``file`` the
    field (or the nearest enclosing one) is written when the text is known."""
    found = diagnostic("IC010", problem.message, problem.path,
                       hint="write the plan again with plan.save(path)")
    if text is None or file is None:
        return found
    from initcfg.config.json_loader import parse_json

    try:
        _, locations, _ = parse_json(text, file)
    except (ValueError, RecursionError):
        return found
    location = locations.lookup(problem.path)
    return found.at(location) if location is not None else found
