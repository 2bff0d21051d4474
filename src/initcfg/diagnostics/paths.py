"""Key paths and source locations: how a diagnostic says where."""

from __future__ import annotations

from typing import NamedTuple

KeyPath = tuple[str | int, ...]


class Location(NamedTuple):
    """A 1-based line and column in a file.

    A named tuple: a loaded config holds one for every key and list item, and tuples
    of plain values are cheap to build and drop out of the cyclic collector's work.
    """

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


def format_path(path: KeyPath) -> str:
    """``('model', 'heads', 1, 'init_cfg')`` → ``model.heads[1].init_cfg``."""
    parts: list[str] = []
    for key in path:
        if isinstance(key, int):
            parts.append(f"[{key}]")
        elif parts:
            parts.append(f".{key}")
        else:
            parts.append(str(key))
    return "".join(parts)
