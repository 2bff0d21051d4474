"""Python's operators on config values, and the guards that refuse results too large
to compute (huge powers, shifts, repetitions and format widths)."""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from typing import Any

from initcfg.config.evaluator.values import MAX_CHARS, MAX_INT_BITS, MAX_ITEMS, Unsafe

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow, ast.LShift: operator.lshift, ast.RShift: operator.rshift,
    ast.BitOr: operator.or_, ast.BitXor: operator.xor, ast.BitAnd: operator.and_,
}
_INPLACE: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.iadd, ast.Sub: operator.isub, ast.Mult: operator.imul,
    ast.Div: operator.itruediv, ast.FloorDiv: operator.ifloordiv, ast.Mod: operator.imod,
    ast.Pow: operator.ipow, ast.LShift: operator.ilshift, ast.RShift: operator.irshift,
    ast.BitOr: operator.ior, ast.BitXor: operator.ixor, ast.BitAnd: operator.iand,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_,
    ast.IsNot: operator.is_not, ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos, ast.USub: operator.neg, ast.Not: operator.not_,
    ast.Invert: operator.invert,
}


def _guard_binary(op: type[ast.operator], left: Any, right: Any, node: ast.AST) -> None:
    """Refuse operations whose result would exhaust memory or time."""
    if op is ast.Mult:
        for seq, times in ((left, right), (right, left)):
            if (
                isinstance(seq, (str, list, tuple, bytes))
                and isinstance(times, int)
                and len(seq) * max(times, 0) > MAX_ITEMS
            ):
                raise Unsafe(node, f"a sequence of more than {MAX_ITEMS} items")
        if (
            isinstance(left, int) and isinstance(right, int)
            and left.bit_length() + right.bit_length() > MAX_INT_BITS
        ):
            raise Unsafe(node, "an integer product too large to compute")
    elif op is ast.Pow:
        if (
            isinstance(left, int) and isinstance(right, int) and abs(left) > 1
            and left.bit_length() * right > MAX_INT_BITS
        ):
            raise Unsafe(node, "an integer power too large to compute")
    elif op is ast.LShift:
        if isinstance(left, int) and isinstance(right, int) and (
            left.bit_length() + right > MAX_INT_BITS
        ):
            raise Unsafe(node, "an integer shift too large to compute")
    elif op is ast.Mod and isinstance(left, (str, bytes)):
        # '%*d' % (10**9, 1) or '%999999999d' % 1 would pad to a gigabyte; so would
        # b'%999999999d' % 1, bytes having their own `%`.
        text = left.decode("latin-1") if isinstance(left, bytes) else left
        if "*" in text:
            raise Unsafe(node, "a `%` format with a `*` width")
        _check_widths(text, node)


_LONG_NUMBER = re.compile(r"\d{8,}")


def _check_widths(text: str, node: ast.AST | None) -> None:
    """Refuse a format whose width or precision (any 8-digit number) is huge."""
    if _LONG_NUMBER.search(text):
        raise Unsafe(node, f"a format width over {MAX_CHARS} characters")
