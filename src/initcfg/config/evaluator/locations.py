"""Where each value was written: the identity-keyed :class:`LocTable`, the
:class:`LazySourceMap` answered from it, and character columns from the AST's byte offsets."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from initcfg.config.evaluator.values import Key
from initcfg.config.source import SourceMap
from initcfg.diagnostics import KeyPath, Location


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
