"""What a config may call: the allow-listed builtins and the methods of config values,
with their size bounds; and what is a function or an import rather than data."""

from __future__ import annotations

import ast
import string
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from initcfg.config.evaluator.operators import _check_widths
from initcfg.config.evaluator.values import MAX_ITEMS, Unsafe, _Opaque

# ----------------------------------------------------------------------------------------
# Allow-listed builtins: pure functions of plain values, with size bounds.


def _bounded(items: Iterable[Any], node: ast.AST | None) -> Iterable[Any]:
    """``items``, refused past :data:`MAX_ITEMS` (sized ones at once, iterators lazily)."""
    if isinstance(items, (range, list, tuple, set, frozenset, dict, str)):
        if len(items) > MAX_ITEMS:
            raise Unsafe(node, f"a sequence of more than {MAX_ITEMS} items")
        return items
    return _limited(iter(items), node)


def _limited(items: Iterator[Any], node: ast.AST | None) -> Iterator[Any]:
    for count, item in enumerate(items):
        if count >= MAX_ITEMS:
            raise Unsafe(node, f"a sequence of more than {MAX_ITEMS} items")
        yield item


class _Builtin:
    """An allow-listed builtin; calling it runs the pure function on config values."""

    __slots__ = ("function", "name")

    def __init__(self, name: str, function: Callable[..., Any]) -> None:
        self.name = name
        self.function = function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Reached when a builtin is passed as `key=` to sorted/min/max.
        return self.function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<builtin {self.name}>"


def _consuming(function: Callable[..., Any]) -> Callable[..., Any]:
    """A builtin that walks its first argument: bounded, and ``key=`` must be one of
    the allow-listed builtins (a function defined in the file is never called)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        key = kwargs.get("key")
        if key is not None and not isinstance(key, _Builtin):
            raise Unsafe(None, "a `key=` that is not an allow-listed builtin")
        if len(args) == 1:
            args = (_bounded(args[0], None),)
        return function(*args, **kwargs)

    return call


def _range(*args: int) -> range:
    return range(*args)


def _round(number: Any, digits: Any = None) -> Any:
    if digits is None:
        return round(number)
    # Python rounds an integer to -digits places through 10 ** -digits, which for
    # `round(5, -10**8)` is a power that takes minutes. Past the number's own digits
    # (a decimal digit is log10(2) ~ 0.30103 of a bit) the answer is 0 anyway.
    if (
        isinstance(number, int) and isinstance(digits, int)
        and -digits > number.bit_length() * 0.30103 + 2
    ):
        return 0
    return round(number, digits)


def _sum(items: Iterable[Any], start: Any = 0) -> Any:
    if not isinstance(start, (int, float)):
        # sum(lists, []) concatenates: quadratic, and a way to build huge lists.
        raise Unsafe(None, "sum() with a start value that is not a number")
    return sum(_bounded(items, None), start)


SAFE_BUILTINS: dict[str, _Builtin] = {
    name: _Builtin(name, function)
    for name, function in dict[str, Callable[..., Any]]({
        "dict": dict,
        "list": _consuming(list),
        "tuple": _consuming(tuple),
        "set": _consuming(set),
        "frozenset": _consuming(frozenset),
        "len": len,
        "range": _range,
        "min": _consuming(min),
        "max": _consuming(max),
        "abs": abs,
        "round": _round,
        "int": int,
        "float": float,
        "str": str,
        "bool": bool,
        "sorted": _consuming(sorted),
        "zip": zip,
        "enumerate": enumerate,
        "reversed": reversed,
        "sum": _sum,
        "any": _consuming(any),
        "all": _consuming(all),
    }).items()
}

_TYPE_NAMES = {"dict": dict, "list": list, "tuple": tuple, "set": set, "str": str,
               "int": int, "float": float, "bool": bool}


def _isinstance(value: Any, kinds: Any) -> bool:
    wanted = kinds if isinstance(kinds, tuple) else (kinds,)
    types: list[type] = []
    for kind in wanted:
        if not isinstance(kind, _Builtin) or kind.name not in _TYPE_NAMES:
            raise Unsafe(None, "isinstance() with something other than a builtin type")
        types.append(_TYPE_NAMES[kind.name])
    return isinstance(value, tuple(types))


SAFE_BUILTINS["isinstance"] = _Builtin("isinstance", _isinstance)


class _SafeFormatter(string.Formatter):
    """``str.format`` without ``{0.__class__}``: private attributes are refused."""

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        if "._" in field_name or "__" in field_name:
            raise Unsafe(None, f"a format field reaching a private attribute ({field_name!r})")
        if "." in field_name:
            raise Unsafe(None, f"a format field with attribute access ({field_name!r})")
        return super().get_field(field_name, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> Any:
        # A nested field (`'{:>{w}}'.format('a', w=10**9)`) puts the width into the
        # spec only now, after the literal format string was checked.
        _check_widths(format_spec, None)
        return super().format_field(value, format_spec)


_FORMATTER = _SafeFormatter()

_STR_METHODS = frozenset(
    (
        "join", "replace", "split", "rsplit", "strip", "lstrip", "rstrip", "upper", "lower",
        "startswith", "endswith", "capitalize", "title", "find", "rfind", "index", "rindex",
        "count", "splitlines", "partition", "rpartition", "isdigit", "isalpha", "isalnum",
        "isnumeric", "isspace", "isupper", "islower", "removeprefix", "removesuffix",
        "casefold", "swapcase",
    )
)
_PADDING_METHODS = frozenset(
    (
        "ljust", "rjust", "center", "zfill",
    )
)
_LIST_METHODS = frozenset(
    (
        "append", "extend", "insert", "pop", "remove", "index", "count", "copy", "reverse",
        "clear",
    )
)
_DICT_METHODS = frozenset(
    (
        "get", "keys", "values", "items", "copy", "update", "pop", "setdefault", "clear",
        "popitem",
    )
)
_CONFIG_DICT_METHODS = frozenset(("merge", "deepcopy", "to_dict"))
"""Methods of MMEngine's ``ConfigDict`` (and its base, addict's ``Dict``) that a plain
dict lacks: an inherited value has them, a dict the file writes does not."""
_SET_METHODS = frozenset(
    (
        "add", "discard", "remove", "union", "intersection", "difference",
        "symmetric_difference", "issubset", "issuperset", "isdisjoint", "copy", "update",
        "clear", "pop",
    )
)
_TUPLE_METHODS = frozenset({"index", "count"})
# For the budget: methods that only store their arguments (others may compare or hash
# them whole), methods that walk their owner whole, methods whose result is new.
_STORING_METHODS = frozenset(("append", "insert", "extend", "update", "setdefault", "add"))
_OWNER_WALKING_METHODS = frozenset(
    ("count", "index", "remove", "sort", "union", "intersection", "difference",
     "symmetric_difference", "issubset", "issuperset", "isdisjoint")
)
_BUILDING_METHODS = frozenset(
    ("copy", "keys", "values", "items", "union", "intersection", "difference",
     "symmetric_difference")
)
_PRINTING_BUILTINS = frozenset(("str",))
_CONSUMING_BUILTINS = frozenset(
    ("list", "tuple", "set", "frozenset", "min", "max", "sorted", "sum", "any", "all")
)
"""Builtins that walk their first argument to its end."""
_DEEP_BUILTINS = frozenset(("sorted", "min", "max", "set", "frozenset", "sum", "str"))


class _Method:
    """A method looked up on a config value; called only through the evaluator."""

    __slots__ = ("name", "owner")

    def __init__(self, owner: Any, name: str) -> None:
        self.owner = owner
        self.name = name

    def __repr__(self) -> str:
        return f"<method {type(self.owner).__name__}.{self.name}>"


def _method_allowed(owner: Any, name: str) -> bool:
    if isinstance(owner, dict):
        return name in _DICT_METHODS
    if isinstance(owner, list):
        return name in _LIST_METHODS or name == "sort"
    if isinstance(owner, str):
        return name in _STR_METHODS or name in _PADDING_METHODS or name == "format"
    if isinstance(owner, tuple):
        return name in _TUPLE_METHODS
    if isinstance(owner, (set, frozenset)):
        return name in _SET_METHODS
    return False


_NOT_DATA = (_Opaque, _Method)
# Values an operation may walk whole (a comparison, a hash): charged as work.
_WALKED = frozenset((list, tuple, dict, set, frozenset, str))


def unbindable(value: Any) -> bool:
    """Whether ``value`` is a function, an import or a builtin rather than config data:
    such names are dropped from the result, as MMEngine drops functions and modules."""
    return isinstance(value, (_Opaque, _Builtin, _Method))


def _kind(value: Any) -> str:
    if isinstance(value, (_Opaque, _Builtin, _Method)):
        return repr(value)
    return f"a value of type {type(value).__name__}"
