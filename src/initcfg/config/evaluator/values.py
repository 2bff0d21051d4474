"""The values a config evaluates to, the evaluator's bounds and its two exceptions."""

from __future__ import annotations

import ast
import marshal
from collections.abc import Callable
from typing import Any

Key = str | int
MAX_ITEMS = 1_000_000
"""Largest sequence a config may build (``[0] * n``, ``list(range(n))``): a bound on memory."""
MAX_CHARS = 10_000_000
"""Longest string a config may build (joins, replacements, format widths)."""
MAX_INT_BITS = 1_000_000
"""Largest integer a power or shift may produce, in bits."""
MAX_STEPS = 200_000
"""Loop and comprehension iterations allowed per file: a bound on time."""


class ConfigNode(dict[Any, Any]):
    """A dict with attribute access, standing for MMEngine's ``ConfigDict`` where a
    trusted config is executed (``trust=True``).

    The safe evaluator does not need it: there a dict that the file did not write
    itself (an inherited value) behaves as a ConfigDict — ``_base_.model.backbone``
    works, ``update`` merges recursively — and a dict the file writes stays plain.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None


class ImportedName(str):
    """The dotted name an import binds (``mmdet.models.RetinaNet``); never imported."""

    __slots__ = ()


class _Opaque:
    """A name bound by something the evaluator does not run (a ``def``, an import in a
    classic config): it may be bound and dropped, never used."""

    __slots__ = ("kind", "name")

    def __init__(self, kind: str, name: str) -> None:
        self.kind = kind
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.kind} {self.name}>"


STDLIB_FUNCTIONS = frozenset(("copy.deepcopy", "copy.copy"))
"""The standard-library functions a config may call: the ones the official OpenMMLab
configs use (the MMPretrain MobileOne configs copy a pipeline with ``copy.deepcopy``).
They are evaluated, not imported: a copy keeps each value's locations and whether it
is a ConfigDict, as MMEngine's copies do."""


class Unsafe(Exception):
    """A construct the evaluator refuses to evaluate."""

    def __init__(self, node: ast.AST | None, construct: str) -> None:
        super().__init__(construct)
        self.node = node
        self.construct = construct


class Reported(Exception):
    """Evaluation stops for a reason its raiser has already reported (a base that
    cannot be loaded): passed through as it is, never wrapped as a failure of the file."""


class EvalFailure(Exception):
    """Evaluating the file fails, as running it would."""

    def __init__(self, node: ast.AST | None, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


def plain(value: Any) -> Any:
    """A deep copy of ``value`` with imported names as ``str`` and ConfigNodes as dicts,
    as MMEngine's ``to_dict`` gives them. Shared containers are copied once each."""
    try:
        # Plain config values (dicts, lists, tuples, sets, scalars) survive a marshal
        # round trip exactly, and it is several times faster than a Python-level copy.
        # Format version 2 writes a container reachable twice as two copies, so the
        # result shares nothing, like MMEngine's.
        return marshal.loads(marshal.dumps(value, 2))
    except ValueError:  # a str subclass (an imported name) or a ConfigNode
        return _plain(value)


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is dict or kind is ConfigNode:
        return {key: _plain(child) for key, child in value.items()}
    if kind is list or kind is tuple:
        return kind(_plain(child) for child in value)
    if kind is set:
        return {_plain(child) for child in value}
    if kind is ImportedName:
        return str(value)
    return value


def describe(node: ast.AST) -> str:
    """A short name for a construct, for messages."""
    names = {
        ast.Lambda: "a lambda", ast.FunctionDef: "a function definition",
        ast.AsyncFunctionDef: "a function definition", ast.ClassDef: "a class definition",
        ast.While: "a `while` loop", ast.Try: "a `try` statement", ast.Raise: "`raise`",
        ast.Await: "`await`", ast.Yield: "`yield`", ast.YieldFrom: "`yield from`",
        ast.Global: "`global`", ast.Nonlocal: "`nonlocal`", ast.AsyncFor: "`async for`",
        ast.AsyncWith: "`async with`", ast.NamedExpr: "an assignment expression (`:=`)",
    }
    return names.get(type(node), f"the `{type(node).__name__}` construct")


def _depth_guarded(function: Callable[[], Any]) -> Callable[[], Any]:
    """``function``, with running out of stack on deeply nested values (a copy or a merge
    recurses once per level) a refusal, not a failure of the config."""

    def run() -> Any:
        try:
            return function()
        except RecursionError as error:
            raise Unsafe(None, "values nested too deeply to copy or merge") from error

    return run
