"""One budget per load: what a config may build, however it builds it.

Each value a config builds is bounded on its own (a sequence, a string, an integer, the
loop iterations of one file; see :mod:`initcfg.config.evaluator`), but small values
add up: ``x += x`` forty times, a set of ten thousand large integers, a list holding the
same list a thousand times over four levels (a small value whose tree has 10^12 paths).
A :class:`Budget` is shared by every file one load reads and counts, as they are built,

- the items of every container (list, tuple and set items, dict entries),
- the characters of every string an expression builds,
- the bytes of every integer an expression builds,
- the work: statements and expressions evaluated in loops, items walked by
  comparisons, formatting and copies, YAML and JSON nodes read;

and the tree a file's values make, counted with every path a shared container is
reachable by (what a copy or a walk of the locations would build), is bounded by
:data:`MAX_TREE_ITEMS`. Over budget, :class:`OverBudget` is raised and the load reports
one IC214 at the line that crossed the bound.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import repeat
from typing import Any

MAX_LOAD_ITEMS = 5_000_000
"""Container items (list, tuple and set items, dict entries) one load may build."""
MAX_LOAD_CHARS = 100_000_000
"""Characters of the strings one load's expressions may build."""
MAX_LOAD_INT_BYTES = 16_000_000
"""Bytes of the integers one load's expressions may build."""
MAX_LOAD_WORK = 20_000_000
"""Units of work one load may do (an evaluated node in a loop, an item walked)."""
MAX_TREE_ITEMS = 2_000_000
"""Keys and items of one file's values, each shared container counted once per path."""
MAX_SOURCE_CHARS = 2_000_000
"""Characters other than spaces of the Python files one load parses: an upper bound on
their syntax trees' nodes, which cost Python's parser up to a kilobyte each."""


class OverBudget(Exception):
    """The load exceeded one of its bounds.

    Attributes:
        what: What was exceeded, for the message (``"more than 5,000,000 items"``).
        node: The AST node being evaluated, when known.
        line: The line in the file, when known without a node.
    """

    def __init__(self, what: str, node: Any = None, line: int | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.node = node
        self.line = line


class Budget:
    """What remains of one load's bounds; every method raises :class:`OverBudget`
    when a count goes past its bound."""

    __slots__ = ("chars", "int_bytes", "items", "source", "work")

    def __init__(self) -> None:
        self.items = MAX_LOAD_ITEMS
        self.chars = MAX_LOAD_CHARS
        self.int_bytes = MAX_LOAD_INT_BYTES
        self.work = MAX_LOAD_WORK
        self.source = MAX_SOURCE_CHARS

    def spend_source(self, text: str) -> None:
        """Count a Python file's text before it is parsed."""
        self.source -= len(text) - text.count(" ")
        if self.source < 0:
            raise OverBudget(f"the Python files it reads have more than {MAX_SOURCE_CHARS:,} "
                             "characters other than spaces")

    def spend_items(self, count: int) -> None:
        self.items -= count
        if self.items < 0:
            raise OverBudget(f"the load builds more than {MAX_LOAD_ITEMS:,} container items")

    def spend_chars(self, count: int) -> None:
        self.chars -= count
        if self.chars < 0:
            raise OverBudget(f"the load builds more than {MAX_LOAD_CHARS:,} characters of "
                             "strings")

    def spend_int_bytes(self, count: int) -> None:
        self.int_bytes -= count
        if self.int_bytes < 0:
            raise OverBudget(f"the load builds more than {MAX_LOAD_INT_BYTES:,} bytes of "
                             "integers")

    def spend_work(self, count: int) -> None:
        self.work -= count
        if self.work < 0:
            raise OverBudget(f"the load does more than {MAX_LOAD_WORK:,} units of work")

    def spend_value(self, value: Any) -> None:
        """Count a value an expression built: its items, characters or integer bytes
        (shallow: the items of a new container were counted when they were built)."""
        kind = type(value)
        if kind is str or kind is bytes:  # `b += b` doubles as `s += s` does
            size = len(value)
            if size > 64:
                self.spend_chars(size)
        elif kind is int:
            bits = value.bit_length()
            if bits > 64:
                self.spend_int_bytes(bits >> 3)
        elif kind is list or kind is tuple or kind is dict or kind is set or kind is frozenset:
            self.spend_items(len(value))

    def spend_tree(self, value: Any, limit: int = MAX_TREE_ITEMS) -> int:
        """Walk ``value`` as a copy would, every path to a shared container counted,
        and charge the walk as work; raises when the tree has more than ``limit`` items.

        The walk visits each container once (its size is remembered), so its cost is
        the number of distinct containers and their items, never the tree's paths.
        """
        size = tree_size(value, limit)
        if size < 0:
            raise OverBudget(f"a value whose tree (each shared container counted once per "
                             f"path) has more than {limit:,} items")
        return size


_CONTAINERS = frozenset((dict, list, tuple, set, frozenset))


def tree_size(
    value: Any,
    limit: int,
    known: dict[int, int] | None = None,
    *,
    strings: bool = False,
    inherited: Iterable[dict[int, int]] = (),
) -> int:
    """The keys and items of ``value`` with every path to a shared container counted,
    or -1 when there are more than ``limit``; each container is walked once.

    With ``strings``, the characters of the strings in it count too (an estimate of the
    text ``repr`` would make). ``known`` maps ids of containers that stay alive to their
    sizes, already found; sizes found here are added to it, and so are those found in
    ``inherited`` (the ``known`` of other walks whose containers stay alive).
    """
    kind = type(value)
    if kind is str:
        return len(value) if strings else 0
    if kind not in _CONTAINERS:
        return 0
    sizes: dict[int, int] = {} if known is None else known
    inherited = list(inherited)
    size_of = sizes.get
    containers = _CONTAINERS
    on_path: set[int] = set()
    # Post-order without recursion: a container is pushed with None on the way in and
    # with its child containers on the way out, when their sizes are known.
    stack: list[tuple[Any, list[Any] | None]] = [(value, None)]
    push = stack.append
    while stack:
        node, kids = stack.pop()
        marker = id(node)
        if kids is None:
            if marker in sizes or marker in on_path:  # walked, or a cycle (walked once)
                continue
            if inherited:
                found = None
                for other in inherited:
                    found = other.get(marker)
                    if found is not None:
                        break
                if found is not None:
                    sizes[marker] = found
                    continue
            children = node.values() if type(node) is dict else node
            kids = [child for child in children if type(child) in containers]
            if kids:
                on_path.add(marker)
                push((node, kids))
                for child in kids:
                    if id(child) not in sizes:
                        push((child, None))
                continue
        else:
            on_path.discard(marker)
        total = len(node)
        if kids:
            total += sum(map(size_of, map(id, kids), repeat(0)))
        if strings:
            children = node.values() if type(node) is dict else node
            total += sum([len(child) for child in children if type(child) is str])
        if total > limit:
            return -1
        sizes[marker] = total
    return sizes.get(id(value), 0)
