"""``validate`` and ``validate_init_cfg``: every problem of a config, placed in its file."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from initcfg.check.diagnostics import Diagnostic, sort_key
from initcfg.check.finetune import check_finetune
from initcfg.check.init_rules import check_layer_names
from initcfg.check.rules import diagnostic
from initcfg.check.settings import Settings, project_extra_layers
from initcfg.config.load import load_tree, tree_from_mapping
from initcfg.config.source import Location
from initcfg.config.tree import ConfigTree
from initcfg.schema.document import build_document
from initcfg.schema.init_cfg import parse_init_cfg


def _place(diagnostics: Iterable[Diagnostic], tree: ConfigTree) -> list[Diagnostic]:
    placed = []
    for item in diagnostics:
        if item.file is None and item.key_path is not None:
            item = item.at(tree.location(item.key_path), tree.path)
        elif item.file is not None and tree.path is not None and item.file != tree.path:
            item = item.at(item.location, tree.path)
        placed.append(item)
    return placed


def _apply_suppressions(
    diagnostics: list[Diagnostic], tree: ConfigTree, strict: bool
) -> list[Diagnostic]:
    used: set[tuple[str, int, str]] = set()
    kept = []
    for item in diagnostics:
        codes = tree.suppressions.get(item.file or "", {}).get(item.line or 0, set())
        if item.code in codes and item.file is not None and item.line is not None:
            used.add((item.file, item.line, item.code))
            continue
        kept.append(item)
    if strict:
        for file, lines in tree.suppressions.items():
            for line, codes in lines.items():
                for code in sorted(codes):
                    if (file, line, code) not in used:
                        kept.append(
                            diagnostic(
                                "IC004",
                                f"suppression of {code} silences nothing on this line",
                            ).at(Location(file, line, 1), tree.path)
                        )
    return kept


def check_tree(tree: ConfigTree, settings: Settings | None = None) -> list[Diagnostic]:
    """Run every model-free check on a loaded config; diagnostics sorted by place."""
    settings = settings or Settings()
    extra_layers = settings.extra_layers | project_extra_layers(tree.path)
    found: list[Diagnostic] = list(tree.diagnostics)
    if tree.data:
        _document, grammar, located = build_document(tree)
        found.extend(grammar)
        found.extend(
            check_layer_names(located, extra_layers=extra_layers, strict=settings.strict)
        )
        found.extend(
            check_finetune(
                tree, fs_checks=settings.fs_checks, fs_checks_option=settings.fs_checks_option
            )
        )
    placed = _place(found, tree)
    return sorted(_apply_suppressions(placed, tree, settings.strict), key=sort_key)


def validate(
    path_or_mapping: str | os.PathLike[str] | Mapping[str, Any],
    *,
    strict: bool = False,
    extra_layers: Iterable[str] = (),
    fs_checks: bool = True,
    trust: bool = False,
) -> list[Diagnostic]:
    """Every problem in a config file (or a config given as a mapping).

    Args:
        path_or_mapping: A ``.py``, ``.yaml``, ``.yml`` or ``.json`` config file, or the
            config's values as a mapping.
        strict: Also report unknown layer names (IC119) and unused suppressions (IC004).
        extra_layers: Names of the project's own layer classes, added to those listed
            in ``[tool.initcfg] extra-layers``.
        fs_checks: Check that local checkpoint paths exist.
        trust: Execute Python configs that the safe evaluator refuses (as MMEngine does).

    Returns:
        Diagnostics sorted by file and position; never raises for bad input.
    """
    if isinstance(path_or_mapping, Mapping):
        tree = tree_from_mapping(dict(path_or_mapping))
    else:
        tree = load_tree(path_or_mapping, trust=trust)
    settings = Settings(frozenset(extra_layers), strict, fs_checks)
    return check_tree(tree, settings)


def validate_init_cfg(
    value: Any, *, strict: bool = False, extra_layers: Iterable[str] = ()
) -> list[Diagnostic]:
    """Every problem in one ``init_cfg`` value, without a model.

    Paths in the diagnostics are relative to the value (``override``, ``[1].layer``).
    """
    parsed = parse_init_cfg(value)
    layers = check_layer_names(
        parsed.located,
        extra_layers=frozenset(extra_layers) | project_extra_layers(None),
        strict=strict,
    )
    return [*parsed.diagnostics, *layers]
