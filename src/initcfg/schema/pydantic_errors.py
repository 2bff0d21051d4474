"""Pydantic's validation errors, read once into what initcfg reports.

Both grammars (init_cfg and the fine-tune settings) turn a ``ValidationError`` into
diagnostics; each names its own codes and words, but reads pydantic's error dicts only
through :func:`field_errors`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from pydantic import ValidationError

from initcfg.diagnostics import KeyPath, suggest

BOUND_TYPES = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal"})
_SIGNS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
# The step pydantic appends to the location of an error about a dict key.
_KEY_STEP = "[key]"


class CodedValueError(ValueError):
    """A validator's failure that is a problem of its own code, not the grammar's generic
    "invalid value" one (the fine-tune settings' IC302): the diagnostic carries ``code``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# A NamedTuple rather than a dataclass: defining it costs a tenth as much at import,
# which every `initcfg validate` pays (issue 15).
class FieldError(NamedTuple):
    """One pydantic error: where, what kind, what arrived and what was expected.

    Attributes:
        type: Pydantic's error type (``missing``, ``literal_error``, ``greater_than``...).
        loc: The key path inside the validated value (union variants left out).
        got: The value that arrived, when pydantic gives it.
        msg: Pydantic's message.
        reason: A validator's own message (``ctx['error']``), else ``msg``.
        expected: A literal's expected values as pydantic spells them
            (``'fan_in' or 'fan_out'``), else ``""``.
        bounds: A bound's conditions (``["> 0"]``).
        code: The code a :class:`CodedValueError` names, else None.
        on_key: The error is about a dict key itself (``got`` is the key), which pydantic
            places under a ``'[key]'`` step: ``loc`` then ends at the key, as a path into
            the config does.
    """

    type: str
    loc: KeyPath
    got: Any
    msg: str
    reason: str
    expected: str
    bounds: tuple[str, ...]
    code: str | None = None
    on_key: bool = False

    @property
    def allowed(self) -> list[str]:
        """A literal's expected values, one string each."""
        return [a.strip().strip("'") for a in self.expected.replace(" or ", ",").split(",")]

    def literal_hint(self) -> str | None:
        """The hint naming the allowed value nearest to what arrived, for a literal."""
        if not isinstance(self.got, str):
            return None
        # 'FAN_INN' is as near to 'fan_in' as 'fan_inn' is (torch lower-cases a mode)
        return suggest(self.got, self.allowed) or suggest(self.got.lower(), self.allowed)


def field_errors(error: ValidationError) -> list[FieldError]:
    """Every error of ``error``, in pydantic's order."""
    out = []
    for item in error.errors(include_url=False):
        ctx: dict[str, Any] = dict(item.get("ctx") or {})
        loc = tuple(part for part in item["loc"] if isinstance(part, str | int))
        on_key = bool(loc) and loc[-1] == _KEY_STEP
        out.append(
            FieldError(
                type=item["type"],
                loc=loc[:-1] if on_key else loc,
                got=item.get("input"),
                msg=item["msg"],
                reason=str(ctx.get("error", item["msg"])),
                expected=str(ctx.get("expected", "")),
                bounds=tuple(f"{sign} {ctx[key]}" for key, sign in _SIGNS.items() if key in ctx),
                code=getattr(ctx.get("error"), "code", None),
                on_key=on_key,
            )
        )
    return out


def bounds_of(errors: Sequence[FieldError]) -> list[str]:
    """Every bound the errors name, in order."""
    return [bound for item in errors for bound in item.bounds]


def data_location(value: Any, item: FieldError) -> tuple[KeyPath, bool]:
    """The part of a pydantic error's location that indexes the validated data, and
    whether it named a member of a union field besides (``save_best.list[str]``)."""
    node, kept, variant = value, [], False
    for index, step in enumerate(item.loc):
        if _indexes(node, step):
            node = node[step]
        elif item.type == "missing" and index == len(item.loc) - 1:
            pass  # the absent field itself
        else:
            variant = True
            continue
        kept.append(step)
    return tuple(kept), variant


def _indexes(node: Any, step: str | int) -> bool:
    if isinstance(node, Mapping):
        return step in node
    return isinstance(node, list | tuple) and isinstance(step, int) and 0 <= step < len(node)


def union_member_wants(item: FieldError) -> str:
    """What one union member asks for: 'a valid string', 'a number', "'inf'"."""
    if item.type == "literal_error":
        return item.expected
    if item.type in BOUND_TYPES:
        return " and ".join(item.bounds)
    text = item.reason if item.type == "value_error" else item.msg
    return text.removeprefix("Input should be ").removeprefix("Value error, ")
