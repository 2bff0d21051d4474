"""Where every value of a config was written: the source map.

``KeyPath``, ``Location`` and ``format_path`` live in :mod:`initcfg.diagnostics`;
they stay importable here (old import path).
"""

from __future__ import annotations

from collections.abc import Iterator

from initcfg.diagnostics.paths import KeyPath as KeyPath
from initcfg.diagnostics.paths import Location as Location
from initcfg.diagnostics.paths import format_path as format_path


class SourceMap:
    """Maps key paths of a config tree to the location their value was written at.

    A path without an entry of its own resolves to its nearest ancestor that has one,
    so a diagnostic about a value built by an expression still points into the file.
    """

    __slots__ = ("_locations",)

    def __init__(self, locations: dict[KeyPath, Location] | None = None) -> None:
        self._locations: dict[KeyPath, Location] = dict(locations or {})

    def set(self, path: KeyPath, location: Location) -> None:
        self._locations[path] = location

    def get(self, path: KeyPath) -> Location | None:
        """The location recorded for exactly ``path``."""
        return self._locations.get(path)

    def lookup(self, path: KeyPath) -> Location | None:
        """The location of ``path`` or of its nearest recorded ancestor."""
        for end in range(len(path), -1, -1):
            found = self._locations.get(path[:end])
            if found is not None:
                return found
        return None

    def items(self) -> Iterator[tuple[KeyPath, Location]]:
        return iter(self._locations.items())

    def subtree(self, prefix: KeyPath) -> SourceMap:
        """The entries under ``prefix``, re-rooted at it."""
        size = len(prefix)
        return SourceMap(
            {path[size:]: loc for path, loc in self._locations.items() if path[:size] == prefix}
        )

    def graft(self, prefix: KeyPath, other: SourceMap) -> None:
        """Drop the entries under ``prefix`` and put ``other``'s there instead."""
        size = len(prefix)
        for path in [p for p in self._locations if p[:size] == prefix and len(p) > size]:
            del self._locations[path]
        for path, loc in other.items():
            self._locations[prefix + path] = loc

    def __len__(self) -> int:
        return len(self._locations)
