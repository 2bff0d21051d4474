"""The loaded, merged config: plain values plus where each was written."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from initcfg.config.redact import EnvValue
from initcfg.config.source import SourceMap
from initcfg.diagnostics import Diagnostic, KeyPath, Location
from initcfg.diagnostics.place import parse_path


@dataclass(slots=True)
class ConfigTree:
    """A config file after loading: ``_base_`` merged, placeholders substituted.

    Attributes:
        data: The plain merged values (dicts, lists, tuples, scalars).
        source_map: Key path → location of the final value.
        path: The config file, or None for a config built from a mapping.
        files: Every file read to build it, the config itself first.
        diagnostics: Problems found while loading (syntax, missing bases, unsafe code).
        suppressions: ``file → line → codes`` silenced by ``# initcfg: ignore[CODE]``.
        base: The merged result of the bases alone (before this file's own keys), when
            the file has ``_base_``; rules that compare a fine-tune with its base use it.
        base_lines: The lines of the file's ``_base_`` statement (or ``with
            read_base():`` blocks) as the load found them; None when the load did not
            parse the file as Python (read them from the file then).
        environment: The values ``{{$NAME}}`` placeholders took from the environment, in
            the config and its bases; diagnostics show the placeholders instead.
    """

    data: dict[str, Any]
    source_map: SourceMap = field(default_factory=SourceMap)
    path: str | None = None
    files: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    suppressions: dict[str, dict[int, set[str]]] = field(default_factory=dict)
    base: ConfigTree | None = None
    base_lines: tuple[int, ...] | None = None
    environment: tuple[EnvValue, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the merged values, like MMEngine's ``Config.to_dict()``."""
        return copy.deepcopy(self.data)

    @property
    def has_base(self) -> bool:
        """The config has a ``base``, asked without building it (see ``LoadedTree``)."""
        return self.base is not None

    def location(self, path: KeyPath | str) -> Location | None:
        """Where the value at ``path`` (or its nearest located ancestor) was written.

        ``path`` is a key path tuple, or a diagnostic's ``path`` text
        (``"model.heads[1].init_cfg"``); a key that itself holds a dot needs the tuple.
        """
        if isinstance(path, str):  # iterated, its letters would be the keys
            path = parse_path(path)
        return self.source_map.lookup(path)

    def get(self, path: KeyPath | str, default: Any = None) -> Any:
        """The value at ``path`` (a tuple or a path text, as for :meth:`location`), or
        ``default`` when any step is missing."""
        if isinstance(path, str):
            path = parse_path(path)
        node: Any = self.data
        for key in path:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                return default
        return node
