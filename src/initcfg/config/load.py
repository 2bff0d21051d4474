"""``load_config``: read a config file of any supported format into a ConfigTree."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from initcfg.check.rules import diagnostic
from initcfg.config.source import Location, SourceMap
from initcfg.config.suppress import find_suppressions
from initcfg.config.tree import ConfigTree
from initcfg.config.yaml_loader import parse_json, parse_yaml

CONFIG_SUFFIXES = (".py", ".yaml", ".yml", ".json")


def read_text(path: str) -> tuple[str | None, ConfigTree | None]:
    """The file's text, or a ConfigTree holding the IC001 diagnostic that says why not."""
    try:
        return Path(path).read_text(encoding="utf-8"), None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        failed = ConfigTree({}, path=path, files=[path])
        failed.diagnostics.append(
            diagnostic("IC001", f"cannot read {path}: {reason}").at(Location(path, 1, 1))
        )
        return None, failed


def load_data_file(path: str, text: str) -> ConfigTree:
    """One YAML or JSON file on its own, no ``_base_`` handling."""
    parse = parse_json if path.endswith(".json") else parse_yaml
    value, source_map, diagnostics = parse(text, path)
    tree = ConfigTree({}, source_map, path=path, files=[path], diagnostics=diagnostics)
    tree.suppressions[path] = find_suppressions(text)
    if value is None:
        return tree
    if not isinstance(value, dict):
        tree.diagnostics.append(
            diagnostic(
                "IC005", f"the root of a config must be a mapping (got {type(value).__name__})"
            ).at(Location(path, 1, 1))
        )
        return tree
    tree.data = value
    return tree


def load_config(path: str | os.PathLike[str], *, trust: bool = False) -> ConfigTree:
    """Load a config file (``.py``, ``.yaml``, ``.yml``, ``.json``) without executing it.

    Args:
        path: The config file.
        trust: Execute Python configs the way MMEngine does when they use constructs the
            safe evaluator refuses. Off by default: configs are never executed.

    Returns:
        The merged config. Problems found while loading are in ``diagnostics``; this
        function does not raise for bad input.
    """
    name = os.fspath(path)
    text, failed = read_text(name)
    if failed is not None or text is None:
        return failed or ConfigTree({}, path=name)
    return load_data_file(name, text)


def tree_from_mapping(value: dict[str, Any]) -> ConfigTree:
    """A ConfigTree for a config given as a mapping (no file, no locations)."""
    return ConfigTree(dict(value), SourceMap(), path=None)
