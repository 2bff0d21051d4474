"""The one placer: a diagnostic's key path -> the file, line and column it was written at."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from initcfg.diagnostics.diagnostic import Diagnostic
from initcfg.diagnostics.paths import KeyPath, Location

Locate = Callable[[KeyPath], "Location | None"]

_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> KeyPath:
    """``model.heads[1].init_cfg`` → ``('model', 'heads', 1, 'init_cfg')``: the inverse
    of :func:`format_path` for a diagnostic that carries its path only as text."""
    out: list[str | int] = []
    for name, index in _PATH_TOKEN.findall(path):
        out.append(int(index) if index else name)
    return tuple(out)


def place(
    diagnostics: Iterable[Diagnostic],
    locate: Locate,
    config: str | None,
    *,
    text_paths: bool = False,
) -> list[Diagnostic]:
    """Each diagnostic at the source location of its key path, found checking ``config``.

    ``locate`` maps a key path to where its value (or nearest located ancestor) was
    written, such as ``ConfigTree.location``. A diagnostic already placed in another
    file than ``config`` (a base config) is kept there and learns which config was
    checked, so renderers can say "from base". One without a location is about the whole
    config: it learns ``config`` too, so that no renderer has to show it nameless.
    With ``text_paths``, a diagnostic that has its path only as text is placed too
    (:func:`parse_path`); producers should pass key path tuples instead.
    """
    placed = []
    for item in diagnostics:
        if item.file is None and item.key_path is not None:
            item = item.at(locate(item.key_path), config)
        elif item.file is None and text_paths and item.path:
            item = item.at(locate(parse_path(item.path)), config)
        elif item.file is not None and config is not None and item.file != config:
            item = item.at(item.location, config)
        if item.file is None and item.config is None and config is not None:
            item = item.at(None, config)
        placed.append(item)
    return placed
