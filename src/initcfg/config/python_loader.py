"""A safe evaluator for MMEngine-style Python configs: it reads the AST, never executes it.

The evaluator understands what real OpenMMLab configs write — literals, ``dict(...)``,
names, arithmetic, comparisons, subscripts, attribute access on inherited values,
f-strings, comprehensions, module-level ``if``/``for``, method calls on the config's own
dicts and lists, imports recorded as dotted names — and refuses everything that could run
code: calls to anything but a short allow-list of pure builtins and the methods of config
values, dunder attributes, lambdas, function calls, ``while`` loops.

Refusals raise :class:`Unsafe`; operations that would also fail when MMEngine runs the file
(an undefined name, a missing key) raise :class:`EvalFailure`. Both carry the AST node so
the caller reports ``file:line:col``.

Where each value was written is tracked in a :class:`LocTable`, keyed by the identity of
the dict or list that holds it, so aliasing (``pipeline`` used twice) and in-place edits
(``model.backbone.depth = 101``) keep their locations. :class:`LazySourceMap` answers
key-path questions from the values and the table, and :func:`walk_locations` builds the
full key-path :class:`~initcfg.config.source.SourceMap` when one is needed.

Dicts the file writes are plain dicts, as in MMEngine; every other dict (inherited from a
base, or stored into an inherited one) behaves as MMEngine's ``ConfigDict``: attribute
access, a merging ``update``, a ``pop`` that defaults to None.
"""

from __future__ import annotations

import ast
import builtins
import functools
import marshal
import operator
import re
import string
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from initcfg.config.budget import MAX_TREE_ITEMS, Budget, OverBudget, tree_size
from initcfg.config.source import SourceMap
from initcfg.diagnostics import KeyPath, Location

Key = str | int
MAX_ITEMS = 1_000_000
"""Largest sequence a config may build (``[0] * n``, ``list(range(n))``): a bound on memory."""
MAX_CHARS = 10_000_000
"""Longest string a config may build (joins, replacements, format widths)."""
MAX_INT_BITS = 1_000_000
"""Largest integer a power or shift may produce, in bits."""
MAX_STEPS = 200_000
"""Loop and comprehension iterations allowed per file: a bound on time."""

_STDLIB = frozenset(sys.stdlib_module_names)


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


class EvalFailure(Exception):
    """Evaluating the file fails, as running it would."""

    def __init__(self, node: ast.AST | None, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


class LocTable:
    """Where the items of each dict and list were written, keyed by container identity.

    Containers are kept alive by the table so an identity is never reused while it
    is in use.
    """

    __slots__ = ("by_id", "keep", "parents")

    def __init__(self, parents: list[LocTable] | None = None) -> None:
        self.by_id: dict[int, dict[Key, Location]] = {}
        self.keep: list[object] = []
        self.parents: list[LocTable] = parents or []

    def inherit(self, other: LocTable) -> None:
        """Also find locations in ``other`` (a base's table, whose containers this
        file's values share) and in everything ``other`` inherits."""
        known = {id(table) for table in self.parents}
        known.add(id(self))
        for table in (other, *other.parents):
            if id(table) not in known:
                known.add(id(table))
                self.parents.append(table)

    def of(self, container: object) -> dict[Key, Location] | None:
        key = id(container)
        found = self.by_id.get(key)
        if found is None:
            for parent in self.parents:
                found = parent.by_id.get(key)
                if found is not None:
                    return found
        return found

    def table(self, container: object) -> dict[Key, Location]:
        found = self.by_id.get(id(container))
        if found is None:
            found = self.by_id[id(container)] = {}
            self.keep.append(container)
        return found

    def set(self, container: object, key: Key, location: Location) -> None:
        self.table(container)[key] = location

    def put(self, container: object, locations: dict[Key, Location]) -> None:
        """``locations`` become the table of ``container``, which has none yet."""
        self.by_id[id(container)] = locations
        self.keep.append(container)

    def share(self, target: object, source: object) -> None:
        """``target`` is a copy of ``source``: it gets the same item locations."""
        found = self.of(source)
        if found:
            self.table(target).update(found)


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


def walk_locations(
    data: dict[str, Any], table: LocTable, root: Location, into: SourceMap | None = None
) -> SourceMap:
    """The key-path source map of ``data`` from the identity-keyed ``table``."""
    source_map = into if into is not None else SourceMap()
    record = SourceMap.set
    record(source_map, (), root)
    seen: set[int] = set()

    def walk(node: Any, path: KeyPath) -> None:
        if isinstance(node, dict):
            items: Iterable[tuple[Key, Any]] = node.items()
        elif isinstance(node, (list, tuple)):
            items = enumerate(node)
        else:
            return
        # A container reachable twice (a pipeline used by two dataloaders) is walked
        # under each path, but a cycle is walked once.
        marker = id(node)
        if marker in seen:
            return
        seen.add(marker)
        locations = table.of(node) or {}
        for key, child in items:
            child_path = (*path, key)
            location = locations.get(key)
            if location is not None:
                record(source_map, child_path, location)
            walk(child, child_path)
        seen.discard(marker)

    walk(data, ())
    return source_map


class LazySourceMap(SourceMap):
    """A source map answered from the loaded values and their location table.

    ``get`` and ``lookup`` follow the key path through the values, so a config's
    locations cost nothing until asked for; the full key-path map is built on the
    first call that needs every entry (``items``, ``subtree``, ``graft``, ``set``).
    The values must not change while the map is in use: they are the loader's cached,
    never-mutated ones, not the copy a ConfigTree hands out.
    """

    __slots__ = ("_built", "_data", "_rename", "_root", "_table")

    def __init__(
        self,
        data: dict[str, Any],
        table: LocTable,
        root: Location,
        rename: Callable[[str], str] | None = None,
    ) -> None:
        super().__init__()
        self._data = data
        self._table = table
        self._root = root
        self._rename = rename
        self._built = False

    def _shown(self, location: Location) -> Location:
        if self._rename is None:
            return location
        return Location(self._rename(location.file), location.line, location.column)

    def _build(self) -> None:
        if not self._built:
            self._built = True
            walk_locations(self._data, self._table, self._root, into=self)
            if self._rename is not None:
                for path, location in list(super().items()):
                    SourceMap.set(self, path, self._shown(location))

    def _follow(self, path: KeyPath) -> tuple[Location, bool]:
        """The deepest location recorded along ``path``, and whether it is ``path``'s own."""
        best = self._root
        own = not path
        node: Any = self._data
        for depth, key in enumerate(path, 1):
            if not isinstance(node, (dict, list, tuple)):
                return best, False
            locations = self._table.of(node)
            location = locations.get(key) if locations else None
            try:
                node = node[key]  # type: ignore[index]
            except (KeyError, IndexError, TypeError):
                return best, False
            if location is not None:
                best = location
                own = depth == len(path)
            else:
                own = False
        return best, own

    def get(self, path: KeyPath) -> Location | None:
        if self._built:
            return super().get(path)
        location, own = self._follow(path)
        return self._shown(location) if own else None

    def lookup(self, path: KeyPath) -> Location | None:
        if self._built:
            return super().lookup(path)
        return self._shown(self._follow(path)[0])

    def set(self, path: KeyPath, location: Location) -> None:
        self._build()
        super().set(path, location)

    def items(self) -> Iterator[tuple[KeyPath, Location]]:
        self._build()
        return super().items()

    def subtree(self, prefix: KeyPath) -> SourceMap:
        self._build()
        return super().subtree(prefix)

    def graft(self, prefix: KeyPath, other: SourceMap) -> None:
        self._build()
        super().graft(prefix, other)

    def __len__(self) -> int:
        self._build()
        return super().__len__()


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
    return round(number) if digits is None else round(number, digits)


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
    elif op is ast.Mod and isinstance(left, str):
        # '%*d' % (10**9, 1) or '%999999999d' % 1 would pad to a gigabyte.
        if "*" in left:
            raise Unsafe(node, "a `%` format with a `*` width")
        _check_widths(left, node)


_LONG_NUMBER = re.compile(r"\d{8,}")


def _check_widths(text: str, node: ast.AST | None) -> None:
    """Refuse a format whose width or precision (any 8-digit number) is huge."""
    if _LONG_NUMBER.search(text):
        raise Unsafe(node, f"a format width over {MAX_CHARS} characters")


_NOT_DATA = (_Opaque, _Method)
# Values an operation may walk whole (a comparison, a hash): charged as work.
_WALKED = frozenset((list, tuple, dict, set, frozenset, str))

DELETE_KEY = "_delete_"
_MISSING: Any = object()
"""A key that one side of a ``ConfigDict.merge`` lacks."""


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


# Location(file, line, column) without the named tuple's Python-level constructor:
# the evaluator makes one for every key and item it reads.
_new_location: Callable[[tuple[str, int, int]], Location] = functools.partial(
    tuple.__new__, Location
)


# Every byte of UTF-8 text but the continuation bytes (0b10xxxxxx): deleting them
# leaves one byte per character.
_NOT_CONTINUATION = bytes(b for b in range(256) if not 0x80 <= b < 0xC0)
_COLUMN_BLOCK = 4096


class ColumnMap:
    """1-based character columns from the AST's UTF-8 byte offsets (they differ only on
    lines with non-ASCII text before the node).

    A column is the byte offset less the continuation bytes before it. They are counted
    per 4 KiB block of a line, once, so a column costs at most one block's count: a
    megabyte-long line of multibyte text is not rescanned for every node on it.
    """

    __slots__ = ("_blocks", "_wide", "ascii")

    def __init__(self, text: str) -> None:
        self._wide: dict[int, bytes] = {}
        self._blocks: dict[int, list[int]] = {}
        self.ascii = text.isascii()
        if not self.ascii:
            for number, line in enumerate(text.splitlines(), 1):
                if not line.isascii():
                    self._wide[number] = line.encode("utf-8")

    def column(self, line: int, byte_offset: int) -> int:
        encoded = self._wide.get(line)
        if encoded is None:
            return byte_offset + 1
        blocks = self._blocks.get(line)
        if blocks is None:
            # blocks[i]: continuation bytes before byte i * _COLUMN_BLOCK of the line.
            blocks = [0]
            for start in range(0, len(encoded), _COLUMN_BLOCK):
                chunk = encoded[start:start + _COLUMN_BLOCK]
                blocks.append(blocks[-1] + len(chunk.translate(None, _NOT_CONTINUATION)))
            self._blocks[line] = blocks
        byte_offset = max(0, min(byte_offset, len(encoded)))
        block = min(byte_offset // _COLUMN_BLOCK, len(blocks) - 1)
        start = block * _COLUMN_BLOCK
        chunk = encoded[start:byte_offset]
        continuation = blocks[block] + len(chunk.translate(None, _NOT_CONTINUATION))
        return byte_offset - continuation + 1


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class Evaluator:
    """Evaluates one config file's module body into its top-level names.

    Args:
        file: The file, for locations.
        table: Where item locations are recorded.
        lazy: The file is a new-style config (``with read_base():``, imports recorded
            as dotted names); otherwise a classic one, where imports are only bound.
        base: The merged bases, reachable as ``_base_`` (classic files).
        read_base: Called for each ``from <module> import ...`` inside
            ``with read_base():`` with the module (leading dots kept) and the node; it
            returns the base module's names.
        budget: The load's budget, shared by the files it reads (a fresh one if None).
    """

    def __init__(
        self,
        file: str,
        table: LocTable,
        *,
        lazy: bool = False,
        base: dict[str, Any] | None = None,
        read_base: Callable[[str, ast.ImportFrom], dict[str, Any]] | None = None,
        text: str = "",
        budget: Budget | None = None,
    ) -> None:
        self.file = file
        self.budget = budget if budget is not None else Budget()
        # Nodes under each loop body and comprehension, charged per iteration.
        self.loop_costs: dict[int, int] = {}
        self.columns = ColumnMap(text)
        self.table = table
        self.lazy = lazy
        self.names: dict[str, Any] = {}
        self.name_locations: dict[str, Location] = {}
        self.imported: set[str] = set()
        self.from_bases: set[str] = set()
        self.read_base = read_base
        self.scopes: list[dict[str, Any]] = []
        self.steps = 0
        # Dicts this file writes (literals, dict(), comprehensions) are plain dicts in
        # MMEngine; every other dict (inherited, or stored into an inherited one) is a
        # ConfigDict with attribute access and merging `update`.
        self.own: set[int] = set()
        self.own_keep: list[object] = []
        if base is not None:
            self.names["_base_"] = base

    # -- ConfigDict or plain dict -------------------------------------------------------

    def mine(self, value: dict[Any, Any]) -> dict[Any, Any]:
        """Mark ``value`` as a plain dict written by this file."""
        self.own.add(id(value))
        self.own_keep.append(value)
        return value

    def is_node(self, value: Any) -> bool:
        """Whether ``value`` behaves as MMEngine's ConfigDict."""
        return isinstance(value, dict) and id(value) not in self.own

    # -- locations ---------------------------------------------------------------------

    def loc(self, node: ast.AST) -> Location:
        try:
            line: int = node.lineno  # type: ignore[attr-defined]
            offset: int = node.col_offset  # type: ignore[attr-defined]
        except AttributeError:
            line, offset = 1, 0
        if self.columns.ascii:
            return _new_location((self.file, line, offset + 1))
        return Location(self.file, line, self.columns.column(line, offset))

    def _attr_loc(self, node: ast.Attribute) -> Location:
        end = node.end_col_offset
        if node.end_lineno == node.lineno and end is not None:
            # The attribute name is ASCII-or-not like the rest; count it in bytes too.
            start = end - len(node.attr.encode("utf-8"))
            return Location(self.file, node.lineno, self.columns.column(node.lineno, start))
        return self.loc(node)

    # -- statements --------------------------------------------------------------------

    def run(self, module: ast.Module) -> None:
        """Evaluate the module; raises :class:`Unsafe` or :class:`EvalFailure`."""
        self.block(module.body)

    def block(self, body: list[ast.stmt]) -> None:
        for statement in body:
            self.statement(statement)

    def _tick(self, node: ast.AST) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise Unsafe(node, f"more than {MAX_STEPS} loop iterations")

    def statement(self, node: ast.stmt) -> None:
        try:
            if isinstance(node, ast.Assign):
                if (
                    not self.lazy
                    and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id == "_base_"
                ):
                    # MMEngine drops `_base_ = ...` before running the file: it names bases.
                    return
                value = self.expr(node.value)
                for target in node.targets:
                    self.assign(target, value, node.value)
            elif isinstance(node, ast.AnnAssign):
                if node.value is not None:
                    self.assign(node.target, self.expr(node.value), node.value)
            elif isinstance(node, ast.AugAssign):
                self.augassign(node)
            elif isinstance(node, ast.Expr):
                self.expr(node.value)
            elif isinstance(node, ast.If):
                self.block(node.body if self.expr(node.test) else node.orelse)
            elif isinstance(node, ast.For):
                self.for_loop(node)
            elif isinstance(node, ast.Delete):
                for target in node.targets:
                    self.delete(target)
            elif isinstance(node, ast.Import):
                self.import_(node)
            elif isinstance(node, ast.ImportFrom):
                self.import_from(node)
            elif isinstance(node, ast.With):
                self.with_(node)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.decorator_list:
                    raise Unsafe(node.decorator_list[0], "a decorator")
                # Defining is harmless while nothing calls it; MMEngine drops functions
                # from the config, and calling one is refused. (A class is refused: its
                # body runs at definition, and MMEngine would keep the class object.)
                self.names[node.name] = _Opaque("function", node.name)
            elif isinstance(node, ast.Pass):
                return
            elif isinstance(node, ast.Break):
                raise _Break
            elif isinstance(node, ast.Continue):
                raise _Continue
            elif isinstance(node, ast.Assert):
                if not self.expr(node.test):
                    raise EvalFailure(node, "an `assert` in the config fails")
            else:
                raise Unsafe(node, describe(node))
        except (Unsafe, EvalFailure, _Break, _Continue):
            raise
        except OverBudget as error:
            if error.node is None:
                error.node = node
            raise
        except RecursionError as error:
            raise Unsafe(node, "expressions nested too deeply") from error
        except MemoryError as error:
            raise Unsafe(node, "a value too large to build") from error
        except Exception as error:  # an operation on plain values failed, as it would in Python
            raise EvalFailure(node, f"{type(error).__name__}: {error}") from error

    def _loop_cost(self, node: ast.AST, parts: Iterable[ast.AST]) -> int:
        """The nodes evaluated by one iteration of a loop (counted once per loop)."""
        cost = self.loop_costs.get(id(node))
        if cost is None:
            cost = self.loop_costs[id(node)] = 1 + sum(
                1 for part in parts for _ in ast.walk(part)
            )
        return cost

    def _spend_work(self, cost: int) -> None:
        budget = self.budget
        budget.work -= cost
        if budget.work < 0:
            budget.spend_work(0)

    def _scan(self, value: Any, node: ast.AST | None = None) -> None:
        """Charge an operation that walks ``value`` whole (a comparison, a hash, a
        sort) as work: every path to a shared container counts."""
        kind = type(value)
        if kind is str:
            if len(value) > 4096:
                self._spend_work(len(value) >> 4)
        elif kind is list or kind is tuple or kind is dict or kind is set or kind is frozenset:
            size = tree_size(value, MAX_TREE_ITEMS)
            if size < 0:
                raise OverBudget(
                    f"an operation that walks a value of more than {MAX_TREE_ITEMS:,} items "
                    "(each shared container counted once per path)", node
                )
            self._spend_work(size)

    def _spend_text(self, value: Any, node: ast.AST | None = None) -> None:
        """Charge the text ``str`` or ``repr`` of a container would make, before making
        it: aliasing makes a small value print to gigabytes."""
        kind = type(value)
        if kind is list or kind is tuple or kind is dict or kind is set or kind is frozenset:
            size = tree_size(value, self.budget.chars, strings=True)
            if size < 0:
                raise OverBudget(
                    "formatting a value whose text would pass the load's bound of "
                    "characters", node
                )
            self.budget.spend_chars(size)

    def for_loop(self, node: ast.For) -> None:
        iterable = self.expr(node.iter)
        broke = False
        cost = self._loop_cost(node, node.body)
        for item in self._iterate(iterable, node.iter):
            self._tick(node)
            self._spend_work(cost)
            self.assign(node.target, item, node.iter)
            try:
                self.block(node.body)
            except _Break:
                broke = True
                break
            except _Continue:
                continue
        if not broke:
            self.block(node.orelse)

    def _iterate(self, value: Any, node: ast.AST) -> Iterator[Any]:
        if isinstance(value, (_Opaque, _Builtin, _Method)):
            raise Unsafe(node, f"iterating over {value!r}")
        try:
            return iter(value)
        except TypeError as error:
            raise EvalFailure(node, f"TypeError: {error}") from error

    def import_(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                bound, dotted = alias.asname, alias.name
            else:
                bound = dotted = alias.name.split(".")[0]
            self.imported.add(bound)
            if self.lazy and alias.name.split(".")[0] not in _STDLIB:
                self.names[bound] = ImportedName(dotted)
            else:
                self.names[bound] = _Opaque("module", dotted)

    def import_from(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        builtin_module = node.level == 0 and (node.module or "").split(".")[0] in _STDLIB
        for alias in node.names:
            if alias.name == "*":
                raise EvalFailure(node, f"`from {module} import *` outside `with read_base():`")
            bound = alias.asname or alias.name
            self.imported.add(bound)
            if self.lazy and not builtin_module and node.level == 0:
                self.names[bound] = ImportedName(f"{module}.{alias.name}")
            else:
                self.names[bound] = _Opaque("imported name", f"{module}.{alias.name}")

    def with_(self, node: ast.With) -> None:
        item = node.items[0].context_expr
        if not (
            self.lazy
            and len(node.items) == 1
            and isinstance(item, ast.Call)
            and isinstance(item.func, ast.Name)
            and item.func.id == "read_base"
            and self.read_base is not None
        ):
            raise Unsafe(node, "a `with` statement other than `with read_base():`")
        for statement in node.body:
            if not isinstance(statement, ast.ImportFrom) or statement.module is None:
                raise EvalFailure(
                    statement, "only `from <config module> import ...` may appear in "
                    "`with read_base():`"
                )
            module = "." * statement.level + statement.module
            base = self.read_base(module, statement)
            for alias in statement.names:
                if alias.name == "*":
                    for key, value in base.items():
                        self.names[key] = value
                        self.from_bases.add(key)
                    continue
                if alias.name not in base:
                    raise EvalFailure(statement, f"base module {module} has no name {alias.name!r}")
                bound = alias.asname or alias.name
                self.names[bound] = base[alias.name]
                self.from_bases.add(bound)

    def assign(self, target: ast.expr, value: Any, value_node: ast.AST) -> None:
        if isinstance(target, ast.Name):
            if target.id.startswith("__") and target.id.endswith("__"):
                raise Unsafe(target, f"assigning the dunder name `{target.id}`")
            self._set_name(target.id, value, self.loc(target))
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = list(self._iterate(value, value_node))
            starred = [i for i, elt in enumerate(target.elts) if isinstance(elt, ast.Starred)]
            if not starred:
                if len(items) != len(target.elts):
                    raise EvalFailure(target, f"cannot unpack {len(items)} values into "
                                      f"{len(target.elts)} names")
                for elt, item in zip(target.elts, items, strict=True):
                    self.assign(elt, item, value_node)
                return
            at = starred[0]
            after = len(target.elts) - at - 1
            if len(items) < at + after:
                raise EvalFailure(target, "not enough values to unpack")
            for elt, item in zip(target.elts[:at], items[:at], strict=True):
                self.assign(elt, item, value_node)
            star = target.elts[at]
            assert isinstance(star, ast.Starred)
            self.assign(star.value, items[at:len(items) - after], value_node)
            for elt, item in zip(target.elts[at + 1:], items[len(items) - after:], strict=True):
                self.assign(elt, item, value_node)
        elif isinstance(target, ast.Subscript):
            container = self.expr(target.value)
            key = self.expr(target.slice)
            self._setitem(container, key, value, target, self.loc(target.slice))
        elif isinstance(target, ast.Attribute):
            self._check_attr(target)
            container = self.expr(target.value)
            if not self.is_node(container):
                raise EvalFailure(
                    target, f"AttributeError: cannot set attribute {target.attr!r} on "
                    f"{_kind(container)}"
                )
            self._setitem(container, target.attr, value, target, self._attr_loc(target))
        else:
            raise Unsafe(target, f"assignment to {describe(target)}")

    def _set_name(self, name: str, value: Any, location: Location) -> None:
        if self.scopes:
            self.scopes[-1][name] = value
            return
        self.names[name] = value
        self.name_locations[name] = location
        self.imported.discard(name)
        self.from_bases.discard(name)

    def _setitem(
        self, container: Any, key: Any, value: Any, node: ast.AST, location: Location
    ) -> None:
        if self.is_node(container):
            value = self.hook(value)
        if isinstance(container, (dict, list)):
            try:
                container[key] = value
            except (TypeError, IndexError, KeyError) as error:
                raise EvalFailure(node, f"{type(error).__name__}: {error}") from error
            if isinstance(key, int) and isinstance(container, list) and key < 0:
                key += len(container)
            if isinstance(key, (str, int)):
                self.table.set(container, key, location)
            return
        raise EvalFailure(node, f"TypeError: {_kind(container)} does not support item assignment")

    def hook(self, value: Any) -> Any:
        """What a ConfigDict stores for ``value``: the file's plain dicts become
        ConfigDicts (copies), lists and tuples are rebuilt with their items hooked."""
        kind = type(value)
        if kind is dict and id(value) in self.own:
            self.budget.spend_items(len(value))
            node = {key: self.hook(child) for key, child in value.items()}
            self.table.share(node, value)
            return node
        if kind is list or kind is tuple:
            self.budget.spend_items(len(value))
            items = kind(self.hook(child) for child in value)
            if items:
                self.table.share(items, value)
            return items
        return value

    def augassign(self, node: ast.AugAssign) -> None:
        op = _INPLACE.get(type(node.op))
        if op is None:  # pragma: no cover - every operator is listed
            raise Unsafe(node, describe(node.op))
        target = node.target
        right = self.expr(node.value)
        if isinstance(target, ast.Name):
            left = self.name(target.id, target)
            _guard_binary(type(node.op), left, right, node)
            result = self._augmented(op, left, right)
            if isinstance(left, list) and result is left and isinstance(right, (list, tuple)):
                self._extend_locations(left, len(left) - len(right), right)
            self._set_name(target.id, result, self.loc(target))
            return
        if isinstance(target, ast.Subscript):
            container = self.expr(target.value)
            key = self.expr(target.slice)
            left = self._subscript(container, key, target)
            _guard_binary(type(node.op), left, right, node)
            self._setitem(
                container, key, self._augmented(op, left, right), target, self.loc(target.slice)
            )
            return
        if isinstance(target, ast.Attribute):
            self._check_attr(target)
            container = self.expr(target.value)
            left = self._getattr(container, target.attr, target)
            _guard_binary(type(node.op), left, right, node)
            if not self.is_node(container):
                raise EvalFailure(target, f"AttributeError: cannot set {target.attr!r}")
            self._setitem(
                container, target.attr, self._augmented(op, left, right), target,
                self._attr_loc(target),
            )
            return
        raise Unsafe(target, f"augmented assignment to {describe(target)}")

    def _augmented(self, op: Callable[[Any, Any], Any], left: Any, right: Any) -> Any:
        """``left op= right``, its result counted: a list extended in place grows by
        ``right``'s items, anything else is new."""
        result = op(left, right)
        if result is left and isinstance(left, (list, dict, set)):
            if isinstance(right, (list, tuple, dict, set, frozenset)):
                self.budget.spend_items(len(right))
        else:
            self.budget.spend_value(result)
        return result

    def _extend_locations(self, target: list[Any], start: int, source: Any) -> None:
        found = self.table.of(source)
        if found:
            table = self.table.table(target)
            for index, location in found.items():
                if isinstance(index, int):
                    table[start + index] = location

    def delete(self, target: ast.expr) -> None:
        if isinstance(target, ast.Name):
            if target.id not in self.names:
                raise EvalFailure(target, f"NameError: name {target.id!r} is not defined")
            del self.names[target.id]
            self.name_locations.pop(target.id, None)
        elif isinstance(target, ast.Subscript):
            container = self.expr(target.value)
            key = self.expr(target.slice)
            if not isinstance(container, (dict, list)):
                raise EvalFailure(target, f"TypeError: cannot delete items of {_kind(container)}")
            size = len(container)
            try:
                del container[key]
            except (KeyError, IndexError, TypeError) as error:
                raise EvalFailure(target, f"{type(error).__name__}: {error}") from error
            if isinstance(container, list):
                if isinstance(key, int):
                    at = key + size if key < 0 else key
                    self._shift_locations(container, at + 1, -1)
                else:
                    self._drop_list_locations(container)
        elif isinstance(target, ast.Attribute):
            self._check_attr(target)
            container = self.expr(target.value)
            if not self.is_node(container) or target.attr not in container:
                raise EvalFailure(target, f"AttributeError: {target.attr!r}")
            del container[target.attr]
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self.delete(elt)
        else:
            raise Unsafe(target, f"deleting {describe(target)}")

    def _drop_list_locations(self, container: list[Any]) -> None:
        # Positions shift after a deletion; item locations become unknown rather than wrong.
        found = self.table.of(container)
        if found:
            found.clear()

    # -- expressions -------------------------------------------------------------------

    def expr(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.name(node.id, node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute):
            self._check_attr(node)
            return self._getattr(self.expr(node.value), node.attr, node)
        if isinstance(node, ast.List):
            return self._sequence(node.elts, list)
        if isinstance(node, ast.Tuple):
            return self._sequence(node.elts, tuple)
        if isinstance(node, ast.Set):
            items = self._sequence(node.elts, list)
            for item in items:
                if type(item) is tuple:
                    self._scan(item, node)
            try:
                return set(items)
            except TypeError as error:
                raise EvalFailure(node, f"TypeError: {error}") from error
        if isinstance(node, ast.Dict):
            return self.dict_literal(node)
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.UnaryOp):
            return self._apply(node, _UNARY[type(node.op)], self.expr(node.operand))
        if isinstance(node, ast.BoolOp):
            result: Any = None
            for value_node in node.values:
                result = self.expr(value_node)
                if isinstance(node.op, ast.And) and not result:
                    return result
                if isinstance(node.op, ast.Or) and result:
                    return result
            return result
        if isinstance(node, ast.Compare):
            left = self.expr(node.left)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = self.expr(right_node)
                if type(left) in _WALKED or type(right) in _WALKED:
                    self._scan(left, node)
                    self._scan(right, node)
                if not self._apply(node, _COMPARE[type(op)], left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            return self.expr(node.body) if self.expr(node.test) else self.expr(node.orelse)
        if isinstance(node, ast.Subscript):
            container = self.expr(node.value)
            key = self.expr(node.slice)
            if type(key) is tuple:
                self._scan(key, node)
            result = self._subscript(container, key, node)
            if type(key) is slice:
                self.budget.spend_value(result)
            return result
        if isinstance(node, ast.Slice):
            return slice(
                self.expr(node.lower) if node.lower else None,
                self.expr(node.upper) if node.upper else None,
                self.expr(node.step) if node.step else None,
            )
        if isinstance(node, ast.JoinedStr):
            text = "".join(self._fstring_part(part) for part in node.values)
            self.budget.spend_value(text)
            return text
        if isinstance(node, ast.FormattedValue):
            return self._fstring_part(node)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            items = self.comprehension(
                node.generators, lambda: self.expr(node.elt), self._comprehension_cost(node)
            )
            self.budget.spend_items(len(items))
            if isinstance(node, ast.SetComp):
                for item in items:
                    if type(item) is tuple:
                        self._scan(item, node)
                return set(items)
            if isinstance(node, ast.ListComp):
                self.table.table(items).update({i: self.loc(node.elt) for i in range(len(items))})
                return items
            return iter(items)
        if isinstance(node, ast.DictComp):
            pairs = self.comprehension(
                node.generators, lambda: (self.expr(node.key), self.expr(node.value)),
                self._comprehension_cost(node),
            )
            self.budget.spend_items(len(pairs))
            out: dict[Any, Any] = self.mine({})
            for key, value in pairs:
                self._dict_put(out, key, value, node.key)
            return out
        if isinstance(node, ast.Starred):
            raise Unsafe(node, "a starred expression here")
        raise Unsafe(node, describe(node))

    def _apply(self, node: ast.AST, function: Callable[..., Any], *args: Any) -> Any:
        for arg in args:
            if isinstance(arg, (_Opaque, _Method)):
                raise Unsafe(node, f"an operation on {arg!r}")
        try:
            return function(*args)
        except (Unsafe, EvalFailure, OverBudget) as error:
            if error.node is None:
                error.node = node
            raise
        except MemoryError as error:
            raise Unsafe(node, "a value too large to build") from error
        except Exception as error:
            raise EvalFailure(node, f"{type(error).__name__}: {error}") from error

    def name(self, name: str, node: ast.AST) -> Any:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name in self.names:
            value = self.names[name]
            if isinstance(value, _Opaque):
                what = (
                    f"the function `{name}` defined in the file" if value.kind == "function"
                    else f"`{name}`, bound by an import of `{value.name}` that is never run"
                )
                raise Unsafe(node, what)
            return value
        if name in SAFE_BUILTINS:
            return SAFE_BUILTINS[name]
        if name == "__name__":
            # Running a config, MMEngine's globals have no `__name__`: Python finds the
            # builtins module's, so `if __name__ == '__main__':` blocks never run.
            return "builtins"
        if name == "__file__" and self.lazy:
            return self.file
        if name.startswith("__") and name.endswith("__"):
            raise Unsafe(node, f"the dunder name `{name}`")
        if name in builtins.__dict__:
            if name in ("True", "False", "None", "Ellipsis"):
                return builtins.__dict__[name]
            raise Unsafe(node, f"the builtin `{name}`, which is not on the allow-list of pure "
                         "builtins")
        if name == "read_base":
            raise EvalFailure(node, "`read_base` used outside `with read_base():`")
        raise EvalFailure(node, f"NameError: name {name!r} is not defined")

    def _check_attr(self, node: ast.Attribute) -> None:
        if node.attr.startswith("__") or node.attr in ("gi_frame", "f_globals", "mro"):
            raise Unsafe(node, f"the dunder attribute `.{node.attr}`")

    def _getattr(self, value: Any, attr: str, node: ast.AST) -> Any:
        if isinstance(value, ImportedName):
            return ImportedName(f"{value}.{attr}")
        if isinstance(value, (_Opaque, _Builtin, _Method)):
            raise Unsafe(node, f"attribute `.{attr}` of {value!r}")
        if _method_allowed(value, attr) or (
            attr in _CONFIG_DICT_METHODS and self.is_node(value)
        ):
            return _Method(value, attr)
        if self.is_node(value):
            if attr in value:
                return value[attr]
            raise EvalFailure(node, f"AttributeError: the config has no key {attr!r}")
        if isinstance(value, (dict, list, tuple, str, set, int, float, bool, type(None))):
            raise EvalFailure(
                node, f"AttributeError: {_kind(value)} has no attribute {attr!r}"
                + (" (a dict written in this file is a plain dict; use ['...'])"
                   if isinstance(value, dict) else "")
            )
        raise Unsafe(node, f"attribute `.{attr}` of {_kind(value)}")

    def _subscript(self, container: Any, key: Any, node: ast.AST) -> Any:
        if not isinstance(container, (dict, list, tuple, str, range)):
            raise Unsafe(node, f"indexing {_kind(container)}")
        if isinstance(key, (_Opaque, _Method, _Builtin)):
            raise Unsafe(node, f"indexing with {key!r}")
        try:
            result = container[key]
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise EvalFailure(node, f"{type(error).__name__}: {error}") from error
        if isinstance(key, slice) and isinstance(container, (list, tuple)) and result:
            found = self.table.of(container)
            if found:
                indices = range(*key.indices(len(container)))
                table = self.table.table(result)
                for new, old in enumerate(indices):
                    if old in found:
                        table[new] = found[old]
        return result

    def _sequence(self, elts: list[ast.expr], kind: type) -> Any:
        items: list[Any] = []
        locations: dict[Key, Location] = {}
        for elt in elts:
            if isinstance(elt, ast.Starred):
                value = self.expr(elt.value)
                start = len(items)
                items.extend(self._iterate(value, elt))
                found = self.table.of(value)
                if found:
                    for index, location in found.items():
                        if isinstance(index, int):
                            locations[start + index] = location
                continue
            locations[len(items)] = self.loc(elt)
            items.append(elt.value if type(elt) is ast.Constant else self.expr(elt))
        if len(items) > MAX_ITEMS:
            raise Unsafe(elts[0] if elts else None, f"a sequence of more than {MAX_ITEMS} items")
        budget = self.budget
        budget.items -= len(items)
        if budget.items < 0:
            budget.spend_items(0)
        result = items if kind is list else kind(items)
        if result:
            self.table.table(result).update(locations)
        return result

    def _dict_put(
        self, out: dict[Any, Any], key: Any, value: Any, node: ast.AST,
        table: dict[Key, Location] | None = None,
    ) -> None:
        if type(key) is tuple:
            self._scan(key, node)
        try:
            out[key] = value
        except TypeError as error:
            raise EvalFailure(node, f"TypeError: {error}") from error
        if isinstance(key, (str, int)):
            (table if table is not None else self.table.table(out))[key] = self.loc(node)

    def _spread(self, out: dict[Any, Any], value: Any, node: ast.AST) -> None:
        if not isinstance(value, dict):
            raise EvalFailure(node, f"TypeError: `**` needs a mapping, not {_kind(value)}")
        self.budget.spend_items(len(value))
        out.update(value)
        found = self.table.of(value)
        table = self.table.table(out)
        for key in value:
            location = found.get(key) if found else None
            table[key] = location if location is not None else self.loc(node)

    def dict_literal(self, node: ast.Dict) -> dict[Any, Any]:
        out: dict[Any, Any] = self.mine({})
        table = self.table.table(out)
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            if key_node is None:
                self._spread(out, self.expr(value_node), value_node)
                continue
            key = self.expr(key_node)
            self._dict_put(out, key, self.expr(value_node), key_node, table)
        self.budget.spend_items(len(out))
        return out

    def binop(self, node: ast.BinOp) -> Any:
        left = self.expr(node.left)
        right = self.expr(node.right)
        op = type(node.op)
        if op not in _BINARY:
            raise Unsafe(node, describe(node.op))
        _guard_binary(op, left, right, node)
        if op is ast.Mod and isinstance(left, str) and not isinstance(left, ImportedName):
            for value in right if type(right) is tuple else (right,):
                self._spend_text(value, node)
            result = self._apply(node, operator.mod, left, right)
            self.budget.spend_value(result)
            return result
        result = self._apply(node, _BINARY[op], left, right)
        self.budget.spend_value(result)
        if op is ast.Add and isinstance(result, (list, tuple)) and result:
            table = self.table.table(result)
            for part, start in ((left, 0), (right, len(left))):
                found = self.table.of(part)
                if found:
                    for index, location in found.items():
                        if isinstance(index, int):
                            table[start + index] = location
        elif op is ast.Mult and isinstance(result, (list, tuple)) and result:
            # `[0.1] * 80`: every copy of an item was written where the item was.
            sequence = left if isinstance(left, (list, tuple)) else right
            found = self.table.of(sequence)
            if found and sequence:
                size = len(sequence)
                self.table.table(result).update(
                    (index, found[index % size])
                    for index in range(len(result)) if index % size in found
                )
        return result

    def _fstring_part(self, part: ast.expr) -> str:
        if isinstance(part, ast.Constant):
            return str(part.value)
        if not isinstance(part, ast.FormattedValue):
            raise Unsafe(part, describe(part))
        value = self.expr(part.value)
        if isinstance(value, (_Opaque, _Method)):
            raise Unsafe(part, f"formatting {value!r}")
        self._spend_text(value, part)
        if part.conversion == ord("r"):
            value = repr(value)
        elif part.conversion == ord("s"):
            value = str(value)
        elif part.conversion == ord("a"):
            value = ascii(value)
        spec = self.expr(part.format_spec) if part.format_spec is not None else ""
        _check_widths(spec, part)
        return self._apply(part, format, value, spec)  # type: ignore[no-any-return]

    def _comprehension_cost(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp
    ) -> int:
        """The nodes one iteration of a comprehension evaluates (at most)."""
        return self._loop_cost(node, [node])

    def comprehension(
        self, generators: list[ast.comprehension], element: Callable[[], Any], cost: int = 1
    ) -> list[Any]:
        results: list[Any] = []
        self.scopes.append({})
        try:
            self._generate(generators, 0, element, results, cost)
        finally:
            self.scopes.pop()
        return results

    def _generate(
        self,
        generators: list[ast.comprehension],
        index: int,
        element: Callable[[], Any],
        results: list[Any],
        cost: int = 1,
    ) -> None:
        if index == len(generators):
            results.append(element())
            if len(results) > MAX_ITEMS:
                raise Unsafe(generators[0].iter, f"a sequence of more than {MAX_ITEMS} items")
            return
        generator = generators[index]
        if generator.is_async:
            raise Unsafe(generator.iter, "`async for`")
        for item in self._iterate(self.expr(generator.iter), generator.iter):
            self._tick(generator.iter)
            self._spend_work(cost)
            self.assign(generator.target, item, generator.iter)
            if all(self.expr(condition) for condition in generator.ifs):
                self._generate(generators, index + 1, element, results, cost)

    # -- calls -------------------------------------------------------------------------

    def _arguments(self, node: ast.Call) -> tuple[list[Any], dict[str, Any], dict[str, Any]]:
        args: list[Any] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                args.extend(self._iterate(self.expr(arg.value), arg))
            else:
                args.append(self.expr(arg))
        kwargs: dict[str, Any] = {}
        locations: dict[str, Any] = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                spread = self.expr(keyword.value)
                if not isinstance(spread, dict):
                    raise EvalFailure(keyword, f"TypeError: `**` needs a mapping, not "
                                      f"{_kind(spread)}")
                found = self.table.of(spread)
                for key, value in spread.items():
                    if not isinstance(key, str):
                        raise EvalFailure(keyword, "TypeError: keywords must be strings")
                    if key in kwargs:
                        raise EvalFailure(
                            keyword, f"TypeError: got multiple values for keyword argument "
                            f"{key!r}"
                        )
                    kwargs[key] = value
                    location = found.get(key) if found else None
                    locations[key] = location if location is not None else self.loc(keyword)
            else:
                if keyword.arg in kwargs:
                    raise EvalFailure(
                        keyword, f"TypeError: got multiple values for keyword argument "
                        f"{keyword.arg!r}"
                    )
                kwargs[keyword.arg] = self.expr(keyword.value)
                locations[keyword.arg] = self.loc(keyword)
        for values in (args, kwargs.values()):
            for value in values:
                if isinstance(value, _NOT_DATA):
                    raise Unsafe(node, f"passing {value!r} to a call")
        return args, kwargs, locations

    def call(self, node: ast.Call) -> Any:
        func_node = node.func
        stdlib = self._stdlib_callee(func_node)
        if stdlib is not None:
            args, kwargs, _ = self._arguments(node)
            return self.call_stdlib(node, stdlib, args, kwargs)
        if isinstance(func_node, ast.Attribute):
            self._check_attr(func_node)
        try:
            function = self.expr(func_node)
        except Unsafe as error:
            dotted = _dotted(func_node)
            if dotted is None or "dunder" in error.construct:
                raise
            # `os.system(...)`: name the call, not the module it starts from.
            raise Unsafe(node, f"a call to `{dotted}` ({error.construct})") from error
        if isinstance(function, _Builtin):
            if function.name == "dict" and not node.args and all(
                keyword.arg is not None for keyword in node.keywords
            ):
                return self._keyword_dict(node)
            args, kwargs, locations = self._arguments(node)
            if function.name == "dict":
                result = self._call_dict(node, args, kwargs, locations)
                self.budget.spend_items(len(result))
                return result
            self._spend_call(function.name, args, kwargs, node)
            result = self._apply(node, lambda: function.function(*args, **kwargs))
            self.budget.spend_value(result)
            if isinstance(result, (list, tuple)) and result:
                if function.name in ("list", "tuple") and args:
                    self.table.share(result, args[0])
                # Items the call produced (`list(range(4))`) were written by the call.
                self._fill_locations(result, self.loc(node))
            return result
        if isinstance(function, _Method):
            args, kwargs, locations = self._arguments(node)
            return self._counted_method(node, function, args, kwargs, locations)
        if isinstance(function, ImportedName):
            raise Unsafe(node, f"a call to the imported `{function}`")
        if isinstance(function, _Opaque):
            raise Unsafe(node, f"a call to {function.kind} `{function.name}`")
        raise Unsafe(node, f"a call to {_kind(function)}")

    def _spend_call(
        self, name: str, args: list[Any], kwargs: dict[str, Any], node: ast.AST
    ) -> None:
        """Charge what an allow-listed builtin walks: the items it goes through, the
        whole tree where it compares, hashes or prints (``sorted``, ``set``, ``str``)."""
        for value in (*args, *kwargs.values()):
            if name in _PRINTING_BUILTINS:
                self._spend_text(value, node)
            if name in _DEEP_BUILTINS:
                self._scan(value, node)
            elif isinstance(value, (list, tuple, dict, set, frozenset)):
                # Past MAX_ITEMS the builtin's own bound refuses it.
                self._spend_work(min(len(value), MAX_ITEMS))

    def _counted_method(
        self,
        node: ast.Call,
        method: _Method,
        args: list[Any],
        kwargs: dict[str, Any],
        locations: dict[str, Location],
    ) -> Any:
        """A method call with what it walks and builds charged to the budget."""
        owner, name = method.owner, method.name
        if type(owner) is str:
            if len(owner) > 4096:
                self._spend_work(len(owner) >> 4)
            if name == "format":
                for value in (*args, *kwargs.values()):
                    self._spend_text(value, node)
        else:
            if name not in _STORING_METHODS:
                for value in (*args, *kwargs.values()):
                    self._scan(value, node)
            if name in _OWNER_WALKING_METHODS:
                self._scan(owner, node)
        size = len(owner) if isinstance(owner, (list, dict, set)) else 0
        result = self.call_method(node, method, args, kwargs, locations)
        if size:
            grown = len(owner) - size
            if grown > 0:
                self.budget.spend_items(grown)
        elif isinstance(owner, (list, dict, set)):
            self.budget.spend_items(len(owner))
        if type(owner) is str or name in _BUILDING_METHODS:
            self.budget.spend_value(result)
        return result

    def _keyword_dict(self, node: ast.Call) -> dict[Any, Any]:
        """``dict(a=1, b=...)``, the bulk of every config, built in one pass. (Python
        refuses a repeated keyword at parse time, so no key can come twice.)"""
        out: dict[Any, Any] = self.mine({})
        locations: dict[Key, Location] = {}
        refused: Any = None
        for keyword in node.keywords:
            value_node = keyword.value
            if type(value_node) is ast.Constant:
                value = value_node.value
            else:
                value = self.expr(value_node)
                if refused is None and isinstance(value, _NOT_DATA):
                    refused = value
            out[keyword.arg] = value
            locations[keyword.arg] = self.loc(keyword)  # type: ignore[index]
        if refused is not None:
            raise Unsafe(node, f"passing {refused!r} to a call")
        if out:
            budget = self.budget
            budget.items -= len(out)
            if budget.items < 0:
                budget.spend_items(0)
            self.table.put(out, locations)
        return out

    def _call_dict(
        self, node: ast.Call, args: list[Any], kwargs: dict[str, Any],
        locations: dict[str, Location],
    ) -> dict[Any, Any]:
        if len(args) > 1:
            raise EvalFailure(node, "TypeError: dict expected at most 1 argument")
        out: dict[Any, Any] = self.mine({})
        if args:
            source = args[0]
            if isinstance(source, dict):
                out.update(source)
                self.table.share(out, source)
            else:
                try:
                    out.update(_bounded(source, node))
                except (TypeError, ValueError) as error:
                    raise EvalFailure(node, f"{type(error).__name__}: {error}") from error
        out.update(kwargs)
        if out:
            table = self.table.table(out)
            table.update(locations)
        return out

    def call_method(
        self,
        node: ast.Call,
        method: _Method,
        args: list[Any],
        kwargs: dict[str, Any],
        locations: dict[str, Location],
    ) -> Any:
        owner, name = method.owner, method.name
        if isinstance(owner, str):
            if name == "format":
                _check_widths(owner, node)
                return self._apply(node, lambda: _FORMATTER.vformat(owner, args, kwargs))
            if name == "join" and len(args) == 1:
                items = list(_bounded(self._iterate(args[0], node), node))
                size = sum(len(item) for item in items if isinstance(item, str))
                if size + len(owner) * len(items) > MAX_CHARS:
                    raise Unsafe(node, f"a string of more than {MAX_CHARS} characters")
                return self._apply(node, lambda: owner.join(items))
            if name == "replace" and len(args) >= 2 and all(isinstance(a, str) for a in args[:2]):
                grows = owner.count(args[0]) * max(0, len(args[1]) - len(args[0]))
                if len(owner) + grows > MAX_CHARS:
                    raise Unsafe(node, f"a string of more than {MAX_CHARS} characters")
            if (
                name in _PADDING_METHODS and args and isinstance(args[0], int)
                and args[0] > MAX_ITEMS
            ):
                raise Unsafe(node, f"a string of more than {MAX_ITEMS} characters")
            return self._apply(node, lambda: getattr(str, name)(owner, *args, **kwargs))
        if isinstance(owner, list) and name == "sort":
            key = kwargs.get("key")
            if key is not None and not isinstance(key, _Builtin):
                raise Unsafe(node, "a `key=` that is not an allow-listed builtin")
            self._drop_list_locations(owner)
            return self._apply(node, lambda: owner.sort(**kwargs))
        if isinstance(owner, dict):
            return self._dict_method(node, owner, name, args, kwargs, locations)
        if isinstance(owner, list):
            return self._list_method(node, owner, name, args, kwargs)
        bound = getattr(owner, name)
        return self._apply(node, lambda: bound(*args, **kwargs))

    def _dict_method(
        self,
        node: ast.Call,
        owner: dict[Any, Any],
        name: str,
        args: list[Any],
        kwargs: dict[str, Any],
        locations: dict[str, Location],
    ) -> Any:
        is_node = self.is_node(owner)
        if name == "update":
            if len(args) > 1:
                raise EvalFailure(node, "TypeError: update expected at most 1 argument")
            other: dict[Any, Any] = {}
            other_locations: dict[Key, Location] = {}
            if args:
                if not isinstance(args[0], dict):
                    if is_node:
                        raise EvalFailure(node, "TypeError: update of a config needs a dict")
                    try:
                        other.update(args[0])
                    except (TypeError, ValueError) as error:
                        raise EvalFailure(node, f"{type(error).__name__}: {error}") from error
                else:
                    other.update(args[0])
                    other_locations.update(self.table.of(args[0]) or {})
            other.update(kwargs)
            other_locations.update(locations)
            for key, value in other.items():
                if (
                    is_node
                    and key in owner
                    and isinstance(owner[key], dict)
                    and isinstance(value, dict)
                ):
                    # A ConfigDict merges nested dicts instead of replacing them.
                    self._node_update(owner[key], value)
                    continue
                owner[key] = self.hook(value) if is_node else value
                location = other_locations.get(key)
                if location is None:
                    location = self.loc(node)
                if isinstance(key, (str, int)):
                    self.table.set(owner, key, location)
            return None
        if name == "merge":
            if len(args) != 1 or kwargs:
                raise EvalFailure(node, "TypeError: merge() takes one dict")
            return self._apply(node, _depth_guarded(lambda: self._merge(node, owner, args[0])))
        if name == "pop" and is_node and len(args) == 1:
            # ConfigDict.pop defaults to None rather than raising.
            return owner.pop(args[0], None)
        if name in ("copy", "deepcopy", "to_dict") and (args or kwargs):
            raise EvalFailure(node, f"TypeError: {name}() takes no arguments")
        if name == "copy":
            return self._apply(node, _depth_guarded(lambda: self._copy_value(owner, deep=False)))
        if name == "deepcopy":  # addict's Dict.deepcopy, inherited by ConfigDict
            return self._apply(node, _depth_guarded(lambda: self._copy_value(owner, deep=True)))
        if name == "to_dict":
            return self._apply(node, _depth_guarded(lambda: self._as_plain_dict(owner)))
        if name == "setdefault" and args and args[0] not in owner:
            if len(args) > 2 or kwargs:
                raise EvalFailure(node, "TypeError: setdefault expected at most 2 arguments")
            default = args[1] if len(args) > 1 else None
            # ConfigDict (addict's setdefault) stores the value converted to a ConfigDict
            # and returns the value given, not the stored copy.
            owner[args[0]] = self.hook(default) if is_node else default
            if isinstance(args[0], (str, int)):
                self.table.set(owner, args[0], self.loc(node))
            return default
        bound = getattr(owner, name)
        result = self._apply(node, lambda: bound(*args, **kwargs))
        if name in ("keys", "values", "items"):
            return list(result)
        return result

    def _merge(self, node: ast.Call, owner: dict[Any, Any], other: Any) -> None:
        """``ConfigDict.merge(other)`` as MMEngine 0.10.7 does it: both sides deep
        copied, ``other`` merged into the copy of ``owner`` (dicts recursively,
        ``_delete_`` clearing the value it merges into, everything else replaced), and
        ``owner`` refilled from the result, its keys first, in their order."""
        if not isinstance(other, dict):
            raise EvalFailure(
                node, f"AttributeError: merge() needs a dict, not {_kind(other)}"
            )
        merged = self._merge_a_into_b(
            self._copy_value(other, deep=True), self._copy_value(owner, deep=True)
        )
        assert isinstance(merged, dict)
        found = self.table.of(merged) or {}
        owner.clear()
        locations = self.table.table(owner)
        locations.clear()
        for key, value in merged.items():
            owner[key] = self.hook(value)
            location = found.get(key)
            if isinstance(key, (str, int)):
                locations[key] = location if location is not None else self.loc(node)

    def _merge_a_into_b(self, a: Any, b: Any) -> Any:
        """MMEngine's ``_merge_a_into_b`` inside ``ConfigDict.merge``; ``_MISSING`` stands
        for its ``default`` (a key one side lacks). ``a`` and ``b`` are fresh copies: the
        ``_delete_`` popped from ``a`` and the clearing of ``b`` change nothing else."""
        if not isinstance(a, dict):
            return b if a is _MISSING else a
        if not isinstance(b, dict):
            # Merged into nothing (or into a non-dict): ``a`` as it is, less its own
            # ``_delete_``; one deeper inside it stays, as in MMEngine.
            a.pop(DELETE_KEY, None)
            self._forget_location(a, DELETE_KEY)
            return a
        if a.pop(DELETE_KEY, False):
            b.clear()
        a_locations = self.table.of(a) or {}
        b_locations = self.table.of(b) or {}
        # A plain dict, as MMEngine's comprehension builds: storing the result into the
        # ConfigDict hooks it (and what it holds) into ConfigDicts.
        out: dict[Any, Any] = self.mine({})
        out_locations: dict[Key, Location] = {}
        for key in (*b, *a):
            if key == DELETE_KEY or key in out:
                continue
            out[key] = self._merge_a_into_b(a.get(key, _MISSING), b.get(key, _MISSING))
            location = a_locations.get(key) if key in a else b_locations.get(key)
            if location is not None:
                out_locations[key] = location
        if out_locations:
            self.table.put(out, out_locations)
        return out

    def _forget_location(self, container: dict[Any, Any], key: Key) -> None:
        found = self.table.of(container)
        if found:
            found.pop(key, None)

    def _copy_value(self, value: Any, *, deep: bool) -> Any:
        """``copy.deepcopy``/``copy.copy`` of a config value, as MMEngine's types copy:
        a dict the file wrote stays a plain dict, an inherited one a ConfigDict, whose
        shallow copy (``ConfigDict.__copy__``) stores every value through its hook and so
        rebuilds lists and tuples. Each copied container keeps its items' locations;
        a container reached twice is copied once (``deepcopy``'s memo)."""
        memo: dict[int, Any] = {}
        budget = [MAX_ITEMS]

        def spend(count: int) -> None:
            budget[0] -= count
            if budget[0] < 0:
                raise Unsafe(None, f"a copy of more than {MAX_ITEMS} items")

        def child_of(owner_is_node: bool, child: Any) -> Any:
            if deep:
                return copied(child)
            # ConfigDict.__copy__ stores each value through its hook (`other[k] = v`).
            return self.hook(child) if owner_is_node else child

        def copied(item: Any) -> Any:
            kind = type(item)
            if kind is not dict and kind is not list and kind is not tuple:
                if kind is set:
                    spend(len(item))
                    return set(item)
                return item  # scalars, strings, frozensets: immutable
            known = memo.get(id(item))
            if known is not None:
                return known
            spend(len(item))
            result: Any
            if kind is dict:
                result = {}
                memo[id(item)] = result
                node = id(item) not in self.own
                if not node:
                    self.mine(result)
                for key, child in item.items():
                    result[key] = child_of(node, child)
            elif kind is list:
                result = []
                memo[id(item)] = result
                result.extend(child_of(False, child) for child in item)
            elif deep:
                result = tuple(copied(child) for child in item)
                memo[id(item)] = result
            else:
                return item  # copy.copy of a tuple is the tuple
            if result:
                self.table.share(result, item)
            return result

        return copied(value)

    def _as_plain_dict(self, value: Any) -> Any:
        """``ConfigDict.to_dict()``: plain dicts all the way down, imported names as
        their dotted strings. A container reached twice is converted twice, as
        MMEngine's recursion does, so the items built are counted."""
        budget = [MAX_ITEMS]

        def converted(item: Any) -> Any:
            kind = type(item)
            if kind is ImportedName:
                return str(item)
            if kind is not dict and kind is not list and kind is not tuple:
                return item
            budget[0] -= len(item)
            if budget[0] < 0:
                raise Unsafe(None, f"a to_dict() of more than {MAX_ITEMS} items")
            result: Any
            if kind is dict:
                result = self.mine({key: converted(child) for key, child in item.items()})
            else:
                result = kind(converted(child) for child in item)
            if result:
                self.table.share(result, item)
            return result

        return converted(value)

    def _stdlib_callee(self, func_node: ast.expr) -> str | None:
        """The dotted name of the :data:`STDLIB_FUNCTIONS` entry that ``func_node`` calls
        (``copy.deepcopy`` after ``import copy``, ``deepcopy`` after ``from copy import
        deepcopy``), or None. Only the call is allowed: the function as a value stays
        refused, like every name an import binds."""
        # Called for every call in a config (mostly `dict(...)`): the common answers
        # come first and cheaply.
        if type(func_node) is ast.Name:
            name = func_node.id
            bound = self.names.get(name)
            if type(bound) is not _Opaque or bound.kind != "imported name":
                return None
            dotted = bound.name
        elif type(func_node) is ast.Attribute and type(func_node.value) is ast.Name:
            name = func_node.value.id
            bound = self.names.get(name)
            if type(bound) is not _Opaque or bound.kind != "module":
                return None
            dotted = f"{bound.name}.{func_node.attr}"
        else:
            return None
        if dotted not in STDLIB_FUNCTIONS or any(name in scope for scope in self.scopes):
            return None
        return dotted

    def call_stdlib(
        self, node: ast.Call, name: str, args: list[Any], kwargs: dict[str, Any]
    ) -> Any:
        """A call to one of :data:`STDLIB_FUNCTIONS`."""
        if len(args) != 1 or kwargs:
            # `copy.deepcopy(x, memo)` would hand the evaluator's memo to the file.
            raise Unsafe(node, f"`{name}` with arguments other than one value")
        deep = name == "copy.deepcopy"
        return self._apply(node, _depth_guarded(lambda: self._copy_value(args[0], deep=deep)))

    def _node_update(self, owner: dict[Any, Any], other: dict[Any, Any]) -> None:
        found = self.table.of(other) or {}
        for key, value in other.items():
            if key in owner and isinstance(owner[key], dict) and isinstance(value, dict):
                self._node_update(owner[key], value)
                continue
            owner[key] = self.hook(value)
            location = found.get(key)
            if location is not None:
                self.table.set(owner, key, location)

    def _fill_locations(self, items: list[Any] | tuple[Any, ...], location: Location) -> None:
        table = self.table.table(items)
        if len(table) < len(items):
            for index in range(len(items)):
                table.setdefault(index, location)

    def _shift_locations(self, owner: list[Any], at: int, by: int) -> None:
        """Items from ``at`` on moved by ``by`` (an insertion or a removal)."""
        found = self.table.of(owner)
        if not found:
            return
        moved = {
            (index + by if isinstance(index, int) and index >= at else index): location
            for index, location in found.items()
            if not (by < 0 and isinstance(index, int) and at + by <= index < at)
        }
        found.clear()
        found.update(moved)

    def _list_method(
        self, node: ast.Call, owner: list[Any], name: str, args: list[Any], kwargs: dict[str, Any]
    ) -> Any:
        if name == "append" and len(args) == 1:
            owner.append(args[0])
            self.table.set(owner, len(owner) - 1, self.loc(node.args[0]))
            return None
        if name == "extend" and len(args) == 1:
            start = len(owner)
            items = list(_bounded(self._iterate(args[0], node), node))
            if start + len(items) > MAX_ITEMS:
                raise Unsafe(node, f"a sequence of more than {MAX_ITEMS} items")
            owner.extend(items)
            self._extend_locations(owner, start, args[0])
            table = self.table.table(owner)
            for index in range(start, len(owner)):
                table.setdefault(index, self.loc(node.args[0]))
            return None
        if name == "copy":
            result = list(owner)
            self.table.share(result, owner)
            return result
        if name == "insert" and len(args) == 2 and isinstance(args[0], int):
            size = len(owner)
            at = args[0] + size if args[0] < 0 else args[0]
            at = min(max(at, 0), size)
            owner.insert(args[0], args[1])
            self._shift_locations(owner, at, 1)
            self.table.set(owner, at, self.loc(node.args[1]))
            return None
        if (name == "pop" and len(args) <= 1) or (name == "remove" and len(args) == 1):
            if name == "pop":
                index = args[0] if args else -1
                if not isinstance(index, int):
                    raise EvalFailure(node, "TypeError: list indices must be integers")
            else:
                index = self._apply(node, lambda: owner.index(args[0]))
            at = index + len(owner) if index < 0 else index
            result = self._apply(node, lambda: owner.pop(index))
            self._shift_locations(owner, at + 1, -1)
            return result if name == "pop" else None
        if name == "reverse":
            owner.reverse()
            found = self.table.of(owner)
            if found:
                last = len(owner) - 1
                flipped: dict[Key, Location] = {
                    last - i: loc for i, loc in found.items() if isinstance(i, int)
                }
                found.clear()
                found.update(flipped)
            return None
        if name == "clear":
            self._drop_list_locations(owner)
        bound = getattr(owner, name)
        return self._apply(node, lambda: bound(*args, **kwargs))


def _depth_guarded(function: Callable[[], Any]) -> Callable[[], Any]:
    """``function``, with running out of stack on deeply nested values (a copy or a merge
    recurses once per level) a refusal, not a failure of the config."""

    def run() -> Any:
        try:
            return function()
        except RecursionError as error:
            raise Unsafe(None, "values nested too deeply to copy or merge") from error

    return run


def unbindable(value: Any) -> bool:
    """Whether ``value`` is a function, an import or a builtin rather than config data:
    such names are dropped from the result, as MMEngine drops functions and modules."""
    return isinstance(value, (_Opaque, _Builtin, _Method))


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _kind(value: Any) -> str:
    if isinstance(value, (_Opaque, _Builtin, _Method)):
        return repr(value)
    return f"a value of type {type(value).__name__}"


def is_new_style(module: ast.Module) -> bool:
    """Whether MMEngine would load the file in its "lazy import" mode.

    As MMEngine decides it, walking the tree breadth first: the first of these wins —
    a ``_base_ = ...`` assignment (classic), a ``with`` block, a relative import, or an
    import of a module outside the standard library (new style). All of them are
    statements and expressions hold no statements, so only statements are walked:
    they come in the same order as in a walk of every node, at a fraction of the cost.
    """
    queue = deque[ast.AST](module.body)
    while queue:
        node = queue.popleft()
        if isinstance(node, ast.Assign):
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id == "_base_":
                return False
        elif isinstance(node, ast.With):
            return True
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                return True
            if node.module == "mmengine" and [a.name for a in node.names] == ["Config"]:
                continue
            if node.module and not _is_stdlib(node.module):
                return True
        elif isinstance(node, ast.Import):
            if any(not _is_stdlib(alias.name) for alias in node.names):
                return True
        else:
            for name in STATEMENT_FIELDS.get(type(node), ()):
                queue.extend(getattr(node, name))
    return False


# The fields holding statements (or the handlers and cases that hold them) of each
# compound statement, in the order `ast.iter_child_nodes` yields them.
STATEMENT_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {
    ast.If: ("body", "orelse"),
    ast.For: ("body", "orelse"),
    ast.AsyncFor: ("body", "orelse"),
    ast.While: ("body", "orelse"),
    ast.With: ("body",),
    ast.AsyncWith: ("body",),
    ast.Try: ("body", "handlers", "orelse", "finalbody"),
    ast.ExceptHandler: ("body",),
    ast.Match: ("cases",),
    ast.match_case: ("body",),
    ast.FunctionDef: ("body",),
    ast.AsyncFunctionDef: ("body",),
    ast.ClassDef: ("body",),
}
if sys.version_info >= (3, 11):
    STATEMENT_FIELDS[ast.TryStar] = STATEMENT_FIELDS[ast.Try]


def _is_stdlib(module: str) -> bool:
    return module.startswith("mmengine.config") or module.split(".")[0] in _STDLIB
