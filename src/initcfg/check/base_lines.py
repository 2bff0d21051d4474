"""Where a config names its bases: the lines of its ``_base_`` statement.

Findings inherited from a base are silenced from the child with a suppression comment
on these lines, and GitHub annotations of inherited findings point at the first one.
"""

from __future__ import annotations

import ast
import os
import re
import stat
from functools import lru_cache

from initcfg.config.base_statement import base_statement_lines
from initcfg.config.files import MAX_CONFIG_BYTES, read_regular_file

__all__ = ["base_lines"]

_YAML_KEY = re.compile(r"^_base_\s*:")
_JSON_KEY = re.compile(r"[\"']_base_[\"']\s*:")


def _python_lines(text: str) -> tuple[int, ...]:
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ()  # loading the config reports why it cannot be read
    return base_statement_lines(module)


def _yaml_lines(text: str) -> list[int]:
    rows = text.splitlines()
    for index, row in enumerate(rows):
        if _YAML_KEY.match(row):
            lines = [index + 1]
            for later in range(index + 1, len(rows)):
                following = rows[later]
                starts_key = not following[0].isspace() and not following.startswith("-")
                if following.strip() and starts_key:
                    break
                lines.append(later + 1)
            return lines
    return []


def _json_lines(text: str) -> list[int]:
    rows = text.splitlines()
    for index, row in enumerate(rows):
        match = _JSON_KEY.search(row)
        if match is None:
            continue
        rest = row[match.end():].lstrip()
        if not rest.startswith("[") or "]" in rest:
            return [index + 1]
        for later in range(index + 1, len(rows)):
            if "]" in rows[later]:
                return list(range(index + 1, later + 2))
        return [index + 1]
    return []


@lru_cache(maxsize=1024)
def _lines(path: str, _stamp: tuple[int, int]) -> tuple[int, ...]:
    try:
        # Bounded as loading is: a file too large to load is never read whole here.
        data, _ = read_regular_file(path, MAX_CONFIG_BYTES)
    except OSError:
        return ()
    text = data.decode("utf-8", errors="replace")
    if "_base_" not in text and "read_base" not in text:
        return ()
    if path.endswith(".py"):
        return _python_lines(text)
    if path.endswith(".json"):
        return tuple(_json_lines(text))
    return tuple(_yaml_lines(text))


def base_lines(path: str | None) -> tuple[int, ...]:
    """The 1-based lines of the ``_base_`` statement (or ``with read_base():`` blocks)
    of the config file ``path``; empty when it has none or cannot be read."""
    if path is None:
        return ()
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return ()
    if not stat.S_ISREG(status.st_mode):
        return ()  # a fifo or a device would block the read (loading refused it already)
    return _lines(path, (status.st_size, status.st_mtime_ns))
