"""``validate`` and ``validate_init_cfg``: every problem of a config, placed in its file."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from initcfg.check.base_lines import base_lines
from initcfg.check.finetune import (
    check_finetune,
    check_pretrained_checkpoints,
    settings_complete,
)
from initcfg.check.init_rules import check_layer_names
from initcfg.check.settings import (
    ProjectSettings,
    Settings,
    check_selector,
    project_extra_layers,
    project_settings,
    with_config,
)
from initcfg.config.load import (
    config_mapping,
    config_path,
    load_tree,
    require_flag,
    tree_from_mapping,
)
from initcfg.config.mapping import plain_value
from initcfg.config.redact import redact
from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Diagnostic, Location, diagnostic, place, sort_key
from initcfg.schema.config_facts import has_values
from initcfg.schema.document import Document, parse_document
from initcfg.schema.init_cfg import parse_init_cfg
from initcfg.schema.initializers import BaseInit
from initcfg.schema.scopes import registry_scopes

if TYPE_CHECKING:
    from initcfg.check.registered import RegisteredNames


def _own_key(tree: ConfigTree) -> str | None:
    """The config's own entry in ``tree.suppressions`` (spelt as the loader names it,
    which may differ from the user's spelling: ``./c.py`` and ``c.py``)."""
    if tree.path is None:
        return None
    if tree.path in tree.suppressions:
        return tree.path
    wanted = os.path.abspath(tree.path)
    return next((key for key in tree.suppressions if os.path.abspath(key) == wanted), None)


def _from_a_base(item: Diagnostic, config: str) -> bool:
    if item.file is None or item.file == config:
        return False
    return os.path.abspath(item.file) != os.path.abspath(config)


def _apply_suppressions(
    diagnostics: list[Diagnostic], tree: ConfigTree, strict: bool
) -> list[Diagnostic]:
    used: set[tuple[str, int, str]] = set()
    kept = []
    # A finding inherited from a base is silenced from the child too, by a comment on
    # the child's `_base_` statement: bases from a package cannot carry comments.
    own_key = _own_key(tree)
    own = tree.suppressions.get(own_key or "", {})
    statement = tree.base_lines if tree.base_lines is not None else base_lines(tree.path)
    on_base_lines = [(line, own[line]) for line in statement if line in own]
    for item in diagnostics:
        codes = tree.suppressions.get(item.file or "", {}).get(item.line or 0, set())
        if item.code in codes and item.file is not None and item.line is not None:
            used.add((item.file, item.line, item.code))
            continue
        if own_key is not None and tree.path is not None and _from_a_base(item, tree.path):
            silenced_at = next((line for line, codes in on_base_lines if item.code in codes), 0)
            if silenced_at:
                used.add((own_key, silenced_at, item.code))
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


def _registered(tree: ConfigTree, settings: Settings) -> RegisteredNames | None:
    """What the config's scope packages register; None when it names no scope (the
    scan of packages' sources, and its module, are then not needed)."""
    if settings.registered_names and has_values(tree):
        scopes = registry_scopes(tree)
        if scopes:
            from initcfg.check.registered import scope_names

            return scope_names(scopes)
    return None


_NONE: frozenset[str] = frozenset()


def document_for(tree: ConfigTree, settings: Settings | None = None) -> Document:
    """The config's :class:`~initcfg.schema.document.Document`, parsed with the types the
    project and the config's scope packages register (what :func:`check_tree` judges);
    a command builds it once and hands it on."""
    settings = settings or Settings()
    return _parse(tree, settings, project_settings(tree.path), _registered(tree, settings))


def _parse(
    tree: ConfigTree, settings: Settings, project: ProjectSettings, scoped: RegisteredNames | None
) -> Document:
    return parse_document(
        tree,
        extra_optimizers=settings.extra_optimizers | project.extra_optimizers
        | (scoped.optimizers if scoped is not None else _NONE),
        extra_schedulers=settings.extra_schedulers | project.extra_schedulers
        | (scoped.schedulers if scoped is not None else _NONE),
    )


def check_tree(
    tree: ConfigTree,
    settings: Settings | None = None,
    *,
    document: Document | None = None,
    project: ProjectSettings | None = None,
) -> list[Diagnostic]:
    """Run every model-free check on a loaded config.

    The project's ``[tool.initcfg]`` settings (nearest pyproject.toml) apply with
    ``settings``; their own problems are reported too. Every diagnostic names the
    config in ``config``; they are sorted config by config, each file's by line.
    ``document`` is the config's document from :func:`document_for` with the same
    settings, when the caller has it (it is parsed here otherwise); ``project`` the
    config's :func:`~initcfg.check.settings.project_settings`, likewise.
    """
    settings = settings or Settings()
    if project is None:
        project = project_settings(tree.path)
    scoped = _registered(tree, settings)
    extra_layers = (
        settings.extra_layers | project.extra_layers
        | (scoped.models | scoped.classes if scoped is not None else _NONE)
    )
    found: list[Diagnostic] = list(tree.diagnostics)
    if has_values(tree):
        if document is None:  # the project settings and scope names found above serve both
            document = _parse(tree, settings, project, scoped)
        found.extend(document.init_diagnostics)
        found.extend(
            check_layer_names(document.located, extra_layers=extra_layers, strict=settings.strict)
        )
        found.extend(
            check_finetune(
                tree,
                fs_checks=settings.fs_checks,
                fs_checks_option=settings.fs_checks_option,
                document=document,
            )
        )
        if settings_complete(tree):
            found.extend(check_pretrained_checkpoints(
                tree, document.located, settings.fs_checks, settings.fs_checks_option
            ))
            found.extend(document.runtime_diagnostics)
            if document.runtime.uses_factories:
                found.extend(document.runtime.factory_diagnostics)
    placed = redact(place(found, tree.location, tree.path), tree.environment)
    kept = with_config(_apply_suppressions(placed, tree, settings.strict), tree.path)
    kept.extend(project.diagnostics)
    return sorted(
        (item for item in kept if project.reports(item, settings, tree.path)), key=sort_key
    )


def validate(
    path_or_mapping: str | os.PathLike[str] | Mapping[str, Any] | ConfigTree | Document,
    *,
    strict: bool = False,
    extra_layers: Iterable[str] = (),
    fs_checks: bool = True,
    trust: bool = False,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] = (),
) -> list[Diagnostic]:
    """Every problem in a config file (or a config given as a mapping, a loaded
    :class:`~initcfg.ConfigTree`, a :class:`~initcfg.schema.Document` or an MMEngine
    ``Config``).

    The ``[tool.initcfg]`` settings of the pyproject.toml nearest to the file apply
    (``extra-layers``, ``select``, ``ignore``, ``per-file-ignores``...), and their own
    problems are reported.

    Args:
        path_or_mapping: A ``.py``, ``.yaml``, ``.yml`` or ``.json`` config file, the
            config's values as a mapping (findings then have no file or line), or a
            ConfigTree or Document, whose findings keep the places its files give.
        strict: Also report unknown layer names (IC119) and unused suppressions (IC004).
        extra_layers: Names of the project's own layer classes (one name may be given as
            a plain string, here and in ``select`` and ``ignore``), added to those listed
            in ``[tool.initcfg] extra-layers``.
        fs_checks: Check that local checkpoint paths exist.
        trust: Execute Python configs that the safe evaluator refuses (as MMEngine does).
        select: Codes or code prefixes to report (``["IC3"]``); replaces the project's
            ``select``. None: the project's, else every code.
        ignore: Codes or code prefixes not to report, added to the project's.

    Returns:
        Diagnostics sorted by config, file and position; never raises for bad input.

    Raises:
        ValueError: ``select`` or ``ignore`` names no diagnostic code.
        TypeError: ``path_or_mapping`` is neither a path nor a mapping, or ``trust`` is
            not a bool (a caller's mistake, not a config's).
    """
    require_flag(trust, "trust", "validate")
    extra_layers, ignore = _names(extra_layers), _names(ignore)
    select = _names(select) if select is not None else None
    selectors = [*(select or ()), *ignore]
    for selector in selectors:
        problem = check_selector(selector)
        if problem is not None:
            raise ValueError(problem)
    # A loaded tree (or a Document's) is checked as it is: read as a mapping through
    # its to_dict(), it would lose the file, lines and columns of every finding.
    if isinstance(path_or_mapping, Document):
        tree = path_or_mapping.tree if path_or_mapping.tree is not None else (
            tree_from_mapping({})
        )
    elif isinstance(path_or_mapping, ConfigTree):
        tree = path_or_mapping
    elif (mapping := config_mapping(path_or_mapping)) is not None:
        tree = tree_from_mapping(dict(mapping))
    else:
        tree = load_tree(config_path(path_or_mapping), trust=trust)
    settings = Settings(
        frozenset(extra_layers),
        strict,
        fs_checks,
        select=frozenset(code.upper() for code in select) if select is not None else None,
        ignore=frozenset(code.upper() for code in ignore),
    )
    return check_tree(tree, settings)


def validate_init_cfg(
    value: Any, *, strict: bool = False, extra_layers: Iterable[str] = ()
) -> list[Diagnostic]:
    """Every problem in one ``init_cfg`` value, without a model.

    Paths in the diagnostics are relative to the value (``override``, ``[1].layer``).
    A value inside itself, nested too deeply or past a load's bounds is one IC006 or
    IC214 diagnostic, as a config given as a mapping is. Typed initializer models from
    :mod:`initcfg.schema` (alone, in a list, or mixed with dicts), which
    :func:`initcfg.initialize` takes too, are checked as the dicts that spell them.
    """
    if isinstance(value, BaseInit):
        value = _as_written(value)
    elif isinstance(value, list) and any(isinstance(item, BaseInit) for item in value):
        value = [_as_written(item) if isinstance(item, BaseInit) else item for item in value]
    value, problem = plain_value(value)
    if problem is not None:
        return [problem]
    parsed = parse_init_cfg(value)
    layers = check_layer_names(
        parsed.located,
        extra_layers=frozenset(_names(extra_layers)) | project_extra_layers(None),
        strict=strict,
    )
    return [*parsed.diagnostics, *layers]


def _names(given: Iterable[str]) -> tuple[str, ...]:
    """``given`` as its names: one string is one name. Iterated, ``select="IC115"``
    was the codes 'I', 'C', '1'... (a ValueError about 'I') and
    ``extra_layers="MyConv"`` the letters of the name, which then matched nothing."""
    return (given,) if isinstance(given, str) else tuple(given)


def _as_written(init: BaseInit) -> dict[str, Any]:
    """The init_cfg dict a typed initializer stands for: its type and the arguments it
    was given (defaults left out, as a config leaves them out), each override item as
    ``name`` plus its own initializer's keys. Pydantic's own dump nests an override's
    initializer under ``initializer``, which is no init_cfg grammar."""
    written: dict[str, Any] = {
        "type": init.type,
        **init.model_dump(exclude_unset=True, exclude={"type", "override"}),
    }
    if init.override is not None:
        written["override"] = [
            {
                "name": item.name,
                **(_as_written(item.initializer) if item.initializer is not None else {}),
            }
            for item in init.override
        ]
    return written
