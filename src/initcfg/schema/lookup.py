"""Reading a value at a key path of plain config data, for the schema's fact finders."""

from __future__ import annotations

from typing import Any

from initcfg.diagnostics import KeyPath

__all__ = ["ABSENT", "value_at"]

ABSENT = object()
"""What :func:`value_at` gives for a path that is not there."""


def value_at(data: Any, path: KeyPath) -> Any:
    """The value at ``path`` in nested dicts and lists, or :data:`ABSENT`."""
    node: Any = data
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return ABSENT
    return node
