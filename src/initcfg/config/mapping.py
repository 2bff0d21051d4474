"""A config given as a mapping, held to the bounds a config file's values are held to.

A file's values are bounded while they are built (see :mod:`initcfg.config.budget`); a
mapping built in code arrives whole, and may be anything a program can build: a dict
inside itself, a thousand levels of nesting, ten million list items, one list held a
thousand times over at each of four levels (a small value whose tree has 10^12 paths).
:func:`plain_config` walks it once, without recursion, and either returns a copy made of
plain dicts, lists and tuples (what a file's load makes; shared values stay shared) or
the diagnostic a file with those values would get: IC006 for a value inside itself or
nesting past :data:`MAX_MAPPING_DEPTH`, IC214 past a load's bounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from initcfg.config.budget import MAX_LOAD_CHARS, MAX_TREE_ITEMS
from initcfg.config.evaluator.values import MAX_CHARS, MAX_INT_BITS, MAX_ITEMS
from initcfg.diagnostics import Diagnostic, KeyPath, diagnostic, format_path

# Real configs nest fewer than 20 levels; far deeper values would exhaust Python's
# recursion limit in the checks and copies that walk them.
MAX_MAPPING_DEPTH = 100

_CONTAINERS = (Mapping, list, tuple, set, frozenset)


class _Refused(Exception):
    def __init__(self, found: Diagnostic) -> None:
        super().__init__(found.message)
        self.found = found


def _under(path: KeyPath) -> str:
    return (format_path(path[:3]) + ("…" if len(path) > 3 else "")) or "its root"


def _too_large(what: str, path: KeyPath) -> _Refused:
    return _Refused(diagnostic(
        "IC214", f"the config is too large to load: {what} (under {_under(path)})", path[:1],
        hint="pass the values a config file would hold; build large data elsewhere",
    ))


def _scalar(value: object, path: KeyPath) -> int:
    """The characters ``value`` counts for; raises past a single value's bound."""
    if isinstance(value, str):
        if len(value) > MAX_CHARS:
            raise _too_large(f"a string of more than {MAX_CHARS:,} characters", path)
        return len(value)
    if isinstance(value, int) and not isinstance(value, bool) and (
        value.bit_length() > MAX_INT_BITS
    ):
        raise _too_large(f"an integer of more than {MAX_INT_BITS:,} bits", path)
    return 0


def _children(node: Any, path: KeyPath) -> list[tuple[Any, Any]]:
    """``(key, value)`` of a container's entries (positions for sequences)."""
    size = len(node)
    if size > MAX_ITEMS:
        raise _too_large(f"a container of more than {MAX_ITEMS:,} items", path)
    if isinstance(node, Mapping):
        return list(node.items())
    return list(enumerate(node))


_PLAIN_CONTAINERS = frozenset((dict, list, tuple, set, frozenset))
_PLAIN_SCALARS = frozenset((str, int, float, bool, type(None)))


def _is_container(value: object) -> bool:
    kind = type(value)  # exact types first: an ABC's isinstance costs ten times more
    if kind in _PLAIN_CONTAINERS:
        return True
    return kind not in _PLAIN_SCALARS and isinstance(value, _CONTAINERS)


def _rebuild(node: Any, entries: list[tuple[Any, Any]], copies: dict[int, Any]) -> Any:
    values = [copies[id(v)] if _is_container(v) else v for _, v in entries]
    if isinstance(node, Mapping):
        return {key: value for (key, _), value in zip(entries, values, strict=True)}
    if isinstance(node, list):
        return values
    if isinstance(node, tuple):
        return tuple(values)
    return frozenset(values) if isinstance(node, frozenset) else set(values)


def plain_config(value: Mapping[str, Any]) -> tuple[dict[str, Any], Diagnostic | None]:
    """A plain copy of ``value`` within the bounds of a file's load, or ``({}, the
    diagnostic)`` that says which bound it passes and where."""
    try:
        plain: dict[str, Any] = _walk(value)
    except _Refused as refused:
        return {}, refused.found
    return plain, None


def plain_value(value: Any) -> tuple[Any, Diagnostic | None]:
    """:func:`plain_config` for any value (one ``init_cfg``: a dict, a list, a scalar);
    ``(None, the diagnostic)`` past a bound, its path relative to the value."""
    if not _is_container(value):
        return value, None
    try:
        return _walk(value), None
    except _Refused as refused:
        return None, refused.found


def _walk(value: Any) -> Any:
    # Per container (by id): its copy, its height, and the items and characters of its
    # tree with every path to a shared container counted (what a walk would visit).
    copies: dict[int, Any] = {}
    heights: dict[int, int] = {}
    items: dict[int, int] = {}
    chars: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Any, KeyPath, list[tuple[Any, Any]] | None]] = [(value, (), None)]
    while stack:
        node, path, entries = stack.pop()
        marker = id(node)
        if entries is not None:  # leaving: every child is done
            on_path.discard(marker)
            kids = [v for _, v in entries if _is_container(v)]
            heights[marker] = 1 + max((heights[id(k)] for k in kids), default=0)
            count = len(entries) + sum(items[id(k)] for k in kids)
            text = sum(chars[id(k)] for k in kids) + sum(
                _scalar(k, path) + (0 if _is_container(v) else _scalar(v, (*path, k)))
                for k, v in entries)
            if count > MAX_TREE_ITEMS:
                raise _too_large(f"a tree of more than {MAX_TREE_ITEMS:,} keys and items "
                                 "(each shared container counted once per path)", path)
            if text > MAX_LOAD_CHARS:
                raise _too_large(f"strings of more than {MAX_LOAD_CHARS:,} characters "
                                 "(each shared container counted once per path)", path)
            items[marker], chars[marker] = count, text
            copies[marker] = _rebuild(node, entries, copies)
            continue
        if marker in on_path:
            raise _Refused(diagnostic(
                "IC006", f"the config contains itself: the value at {format_path(path)} "
                "is the same object as one that holds it", path,
            ))
        known = heights.get(marker)
        if (known if known is not None else 1) + len(path) > MAX_MAPPING_DEPTH:
            raise _Refused(diagnostic(
                "IC006", f"the config nests more than {MAX_MAPPING_DEPTH} levels deep "
                f"(under {_under(path)})", path[:1],
            ))
        if known is not None:
            continue  # walked already, by another path
        on_path.add(marker)
        children = _children(node, path)
        stack.append((node, path, children))
        for key, child in children:
            if _is_container(child):
                height = heights.get(id(child))
                if height is None:
                    stack.append((child, (*path, key), None))
                elif height + len(path) + 1 > MAX_MAPPING_DEPTH:  # walked: only its depth
                    stack.append((child, (*path, key), None))  # reported as above
    return copies[id(value)]
