"""What a fine-tune config changes relative to its base, for the fine-tune settings.

:func:`summarize_finetune` compares a loaded config with ``ConfigTree.base`` (the merged
bases before the file's own keys) and returns a :class:`FinetuneSummary`; nothing here
prints. :func:`render_summary_text` and :meth:`FinetuneSummary.to_json` turn it into
the ``initcfg finetune-summary`` outputs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from initcfg.check.finetune import check_finetune
from initcfg.check.render import text_table
from initcfg.check.settings import with_config
from initcfg.config.load import load_tree
from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Diagnostic, KeyPath, Location, format_path, has_errors
from initcfg.schema.config_facts import ConfigFacts
from initcfg.schema.document import parse_finetune_document

__all__ = [
    "Change",
    "FinetuneSummary",
    "render_summary_text",
    "summarize_finetune",
    "summarize_finetune_file",
]

Status = Literal["changed", "added", "removed", "kept"]

_MISSING = object()

# (label, key path) of the scalar settings the summary follows, in display order.
_SETTINGS: tuple[tuple[str, KeyPath], ...] = (
    ("train loop", ("train_cfg", "type")),
    ("max_epochs", ("train_cfg", "max_epochs")),
    ("max_iters", ("train_cfg", "max_iters")),
    ("val_interval", ("train_cfg", "val_interval")),
    ("optim wrapper", ("optim_wrapper", "type")),
    ("optimizer", ("optim_wrapper", "optimizer", "type")),
    ("lr", ("optim_wrapper", "optimizer", "lr")),
    ("momentum", ("optim_wrapper", "optimizer", "momentum")),
    ("weight_decay", ("optim_wrapper", "optimizer", "weight_decay")),
    ("clip_grad", ("optim_wrapper", "clip_grad")),
    ("batch_size", ("train_dataloader", "batch_size")),
    ("load_from", ("load_from",)),
    ("resume", ("resume",)),
    ("auto_scale_lr", ("auto_scale_lr",)),
)


@dataclass(frozen=True, slots=True)
class Change:
    """One setting compared with the base.

    Attributes:
        setting: What the row is about (``lr``, ``num_classes``, ``scheduler[1]``).
        path: The key path in the config.
        status: ``changed``, ``added`` (not in the base), ``removed`` (only in the base)
            or ``kept`` (same value as the base, or a config without base).
        before: The base's value (None when absent).
        after: The config's value (None when absent).
        location: Where ``after`` is written.
        base_location: Where ``before`` is written.
    """

    setting: str
    path: str
    status: Status
    before: Any = None
    after: Any = None
    location: Location | None = None
    base_location: Location | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "setting": self.setting,
            "path": self.path,
            "status": self.status,
            "before": self.before,
            "after": self.after,
            "location": str(self.location) if self.location else None,
            "base_location": str(self.base_location) if self.base_location else None,
        }


@dataclass(slots=True)
class FinetuneSummary:
    """The fine-tune settings of one config next to its base's.

    Attributes:
        config: The config file (None for a config built from a mapping).
        has_base: Whether the config inherits (``_base_``).
        changes: One row per followed setting present in the config or its base.
        diagnostics: Loading problems and fine-tune diagnostics (IC3xx) of the config.
        loaded: False when loading the config (or one of its bases) failed: there are
            no rows then, only the loading errors, since a partial config compares wrong.
    """

    config: str | None
    has_base: bool
    changes: list[Change] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    loaded: bool = True

    @property
    def changed(self) -> list[Change]:
        """The rows whose value differs from the base (added and removed included)."""
        return [change for change in self.changes if change.status != "kept"]

    def to_json(self) -> dict[str, Any]:
        """The ``--format json`` object."""
        return {
            "config": self.config,
            "has_base": self.has_base,
            "loaded": self.loaded,
            "changes": [change.to_json() for change in self.changes],
            "diagnostics": [item.to_json() for item in self.diagnostics],
        }


def _plain(value: Any) -> Any:
    """A JSON-friendly copy (tuples as lists)."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _row(
    setting: str, path: KeyPath, tree: ConfigTree, base: ConfigTree | None,
    after: Any, before: Any,
) -> Change | None:
    if after is _MISSING and before is _MISSING:
        return None
    status: Status
    if base is None:
        status = "kept" if after is not _MISSING else "removed"
    elif before is _MISSING:
        status = "added"
    elif after is _MISSING:
        status = "removed"
    else:
        status = "kept" if _plain(after) == _plain(before) else "changed"
    return Change(
        setting,
        format_path(path),
        status,
        before=None if before is _MISSING else _plain(before),
        after=None if after is _MISSING else _plain(after),
        location=tree.location(path) if after is not _MISSING else None,
        base_location=base.location(path) if base is not None and before is not _MISSING
        else None,
    )


def _scheduler_label(value: Any) -> str:
    if not isinstance(value, Mapping):
        return repr(value)
    name = value.get("type", "?")
    shown = ", ".join(
        f"{key}={_plain(item)}" for key, item in value.items() if key != "type"
    )
    return f"{name}({shown})"


def _scheduler_rows(
    tree: ConfigTree, base: ConfigTree | None, facts: ConfigFacts, base_facts: ConfigFacts | None
) -> Iterator[Change]:
    mine = list(facts.schedulers)
    theirs = list(base_facts.schedulers) if base_facts is not None else []
    single = facts.single_scheduler
    for index in range(max(len(mine), len(theirs))):
        path: KeyPath = ("param_scheduler",) if single and index == 0 else (
            "param_scheduler", index)
        after = _scheduler_label(mine[index]) if index < len(mine) else _MISSING
        before = _scheduler_label(theirs[index]) if index < len(theirs) else _MISSING
        row = _row(f"scheduler[{index}]", path, tree, base, after, before)
        if row is not None:
            yield row


def _num_classes_rows(
    tree: ConfigTree, base: ConfigTree | None, facts: ConfigFacts, base_facts: ConfigFacts | None
) -> Iterator[Change]:
    mine = dict(facts.num_classes)
    theirs = dict(base_facts.num_classes) if base_facts is not None else {}
    for path in list(mine) + [path for path in theirs if path not in mine]:
        row = _row(
            "num_classes", path, tree, base, mine.get(path, _MISSING), theirs.get(path, _MISSING)
        )
        if row is not None:
            yield row


def summarize_finetune(
    tree: ConfigTree, *, fs_checks: bool = True, fs_checks_option: str | None = None
) -> FinetuneSummary:
    """Compare a loaded config's fine-tune settings with its base's.

    Args:
        tree: The loaded config; ``tree.base`` holds its bases merged (None: no base).
        fs_checks: Passed to :func:`~initcfg.check.finetune.check_finetune`.
        fs_checks_option: Passed to :func:`~initcfg.check.finetune.check_finetune`.

    Returns:
        The summary; never raises for bad input.
    """
    base = tree.base
    # Loading problems of the file itself carry no config yet; every record names it,
    # as validate's do.
    loading = with_config(tree.diagnostics, tree.path)
    if has_errors(loading):
        return FinetuneSummary(tree.path, base is not None, diagnostics=loading, loaded=False)
    summary = FinetuneSummary(tree.path, base is not None)
    document = parse_finetune_document(tree)
    facts, base_facts = document.facts, document.base_facts
    for setting, path in _SETTINGS:
        after = facts.value(path, _MISSING)
        before = base_facts.value(path, _MISSING) if base_facts is not None else _MISSING
        row = _row(setting, path, tree, base, after, before)
        if row is not None:
            summary.changes.append(row)
    summary.changes.extend(_num_classes_rows(tree, base, facts, base_facts))
    summary.changes.extend(_scheduler_rows(tree, base, facts, base_facts))
    summary.diagnostics = loading + check_finetune(
        tree, fs_checks=fs_checks, fs_checks_option=fs_checks_option, document=document
    )
    return summary


def summarize_finetune_file(
    path: str | os.PathLike[str],
    *,
    trust: bool = False,
    fs_checks: bool = True,
    fs_checks_option: str | None = None,
) -> FinetuneSummary:
    """Load a config file (with its ``_base_``) and summarize its fine-tune settings."""
    return summarize_finetune(
        load_tree(path, trust=trust), fs_checks=fs_checks, fs_checks_option=fs_checks_option
    )


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _at(location: Location | None) -> str:
    if location is None:
        return ""
    return f"{os.path.basename(location.file)}:{location.line}"


def render_summary_text(summary: FinetuneSummary, *, show_all: bool = False) -> str:
    """A plain-text table: setting, base value, this config's value, where it is written.

    Only rows that differ from the base are shown unless ``show_all``; a config without
    a base shows all its settings.
    """
    title = summary.config or "<config>"
    if not summary.loaded:
        return f"{title}: not summarized: the config did not load"
    rows = summary.changes if show_all or not summary.has_base else summary.changed
    if not summary.has_base:
        header = f"{title}: no _base_; fine-tune settings as written"
    else:
        header = f"{title}: fine-tune settings changed relative to its base"
    if not rows:
        return f"{header}\n(no changes)"
    table = [("setting", "path", "base", "this config", "where")]
    for row in rows:
        before = _cell(row.before) if summary.has_base else ""
        after = _cell(row.after) if row.status != "removed" else "(removed)"
        if row.status == "added":
            before = "(not set)"
        table.append((row.setting, row.path, before, after, _at(row.location)))
    return "\n".join([header, *text_table(table, rule=True)])
