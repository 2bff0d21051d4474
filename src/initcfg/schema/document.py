"""The typed view of a whole config: every init_cfg found in it, parsed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Diagnostic, KeyPath
from initcfg.schema.init_cfg import ParsedEntry, parse_init_cfg
from initcfg.schema.initializers import BaseInit


@dataclass(frozen=True, slots=True)
class LocatedInitCfg:
    """One ``init_cfg`` value of a config: its key path and its typed entries."""

    path: KeyPath
    entries: list[BaseInit]
    located: list[ParsedEntry]


@dataclass(slots=True)
class Document:
    """A validated config, typed. ``init_cfgs`` holds the ones free of grammar errors."""

    init_cfgs: list[LocatedInitCfg] = field(default_factory=list)


def find_init_cfgs(value: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """Every ``init_cfg`` key at any depth whose value is not None, depth first."""
    if isinstance(value, dict):
        for key, item in value.items():
            child = (*path, key)
            if key == "init_cfg":
                if item is not None:
                    yield child, item
            elif isinstance(item, dict | list | tuple):
                yield from find_init_cfgs(item, child)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if isinstance(item, dict | list | tuple):
                yield from find_init_cfgs(item, (*path, index))


def build_document(tree: ConfigTree) -> tuple[Document, list[Diagnostic], list[ParsedEntry]]:
    """Parse every ``init_cfg`` of ``tree``.

    Returns the document, the grammar diagnostics (key paths absolute, not yet placed
    at source locations) and every parsed entry with its absolute path, for the rules
    that look at layer names.
    """
    document = Document()
    diagnostics: list[Diagnostic] = []
    located: list[ParsedEntry] = []
    for path, value in find_init_cfgs(tree.data):
        parsed = parse_init_cfg(value)
        diagnostics.extend(d.under(path) for d in parsed.diagnostics)
        absolute = [
            ParsedEntry(
                path + entry.path,
                entry.model,
                entry.initializer,
                None if entry.override_of is None else path + entry.override_of,
                entry.raw_layer,
            )
            for entry in parsed.located
        ]
        located.extend(absolute)
        if parsed.entries is not None:
            document.init_cfgs.append(LocatedInitCfg(path, parsed.entries, absolute))
    return document, diagnostics, located
