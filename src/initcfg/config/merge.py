"""Merging a file's values into its bases' as MMEngine does (``_delete_``, the child
winning), and sharing the cached bases with a file or copying them when it may change them."""

from __future__ import annotations

import ast
import re
from typing import Any

from initcfg.config import evaluator
from initcfg.config.evaluator import LocTable
from initcfg.config.loaded import Loaded, _Context
from initcfg.diagnostics import KeyPath, Location, diagnostic, format_path

DELETE_KEY = "_delete_"


def add_scope(value: Any, scope: str, table: LocTable, where: Location) -> None:
    """Give each outermost dict with a ``type`` the ``_scope_`` of a package base, as
    MMEngine does for bases named ``pkg::path``."""
    if isinstance(value, dict):
        if "type" in value:
            if value.get("_scope_") is None:
                value["_scope_"] = scope
                table.set(value, "_scope_", where)
            return
        for child in value.values():
            add_scope(child, scope, table, where)
    elif isinstance(value, (list, tuple)):
        for child in value:
            add_scope(child, scope, table, where)


def unshare(value: Any, table: LocTable) -> Any:
    """A copy of ``value`` in which no container is reachable twice (locations kept)."""
    kind = type(value)
    if kind is dict:
        out = {key: unshare(child, table) for key, child in value.items()}
        table.share(out, value)
        return out
    if kind is list or kind is tuple:
        items = kind(unshare(child, table) for child in value)
        if items:
            table.share(items, value)
        return items
    return value


def merge_into(
    child: dict[Any, Any], base: dict[Any, Any], table: LocTable, context: _Context,
    path: KeyPath = (),
) -> dict[Any, Any]:
    """MMEngine's merge of a child's values into its bases' (``_merge_a_into_b``).

    A new dict is returned: ``base`` is copied, then each of ``child``'s keys written;
    a dict merges into a base dict unless it says ``_delete_=True``. ``_delete_`` is
    dropped only where a base value existed, as MMEngine does. Unlike MMEngine, which
    pops ``_delete_`` from the child's (freshly deep-copied) dicts, nothing is changed in
    place: values stay shared with the cache, and a dict the file uses twice is merged
    the same way both times, as MMEngine's copies are.
    """
    out = dict(base)
    table.share(out, base)
    out_locations = table.table(out)
    child_locations = table.of(child) or {}
    for key, value in child.items():
        location = child_locations.get(key)
        if isinstance(value, dict):
            if key in out and not value.get(DELETE_KEY, False):
                if DELETE_KEY in value:  # `_delete_=False`: dropped, then merged
                    value = _without_delete(value, table)
                if not isinstance(out[key], dict):
                    context.report(
                        diagnostic(
                            "IC210", f"{format_path((*path, key))} is a dict here but a "
                            f"{type(out[key]).__name__} in the base; MMEngine cannot merge them",
                            format_path((*path, key)),
                            hint="add _delete_=True to replace the base value",
                        ).at(location)
                    )
                    out[key] = value
                else:
                    out[key] = merge_into(value, out[key], table, context, (*path, key))
            elif key in out:
                out[key] = _without_delete(value, table)
            else:
                _report_kept_deletes(value, (*path, key), table, context, location)
                out[key] = value
        else:
            if isinstance(value, list | tuple):
                _report_kept_deletes(value, (*path, key), table, context, location)
            out[key] = value
        if location is not None:
            out_locations[key] = location
    return out


def _report_kept_deletes(
    value: Any, path: KeyPath, table: LocTable, context: _Context, location: Location | None
) -> None:
    """IC212 for every ``_delete_=True`` in a value no base value is merged with (a new
    key, a list's items at any depth): MMEngine keeps it there as an ordinary key, which
    the constructor then receives."""
    pending: list[tuple[Any, KeyPath, Location | None]] = [(value, path, location)]
    while pending:
        item, where, near = pending.pop()
        if not isinstance(item, dict | list | tuple):
            continue
        found = table.of(item) or {}
        if isinstance(item, dict):
            if item.get(DELETE_KEY):
                context.report(
                    diagnostic(
                        "IC212", f"`_delete_=True` in {format_path(where)} has nothing to "
                        "delete: no base value is merged there, so MMEngine keeps `_delete_` "
                        "as an ordinary key",
                        format_path((*where, DELETE_KEY)),
                    ).at(found.get(DELETE_KEY, near))
                )
            children: Any = item.items()
        else:
            children = enumerate(item)
        pending.extend(
            (child, (*where, key), found.get(key, near))
            for key, child in reversed(list(children))
        )


def _without_delete(value: dict[Any, Any], table: LocTable) -> dict[Any, Any]:
    out = {key: child for key, child in value.items() if key != DELETE_KEY}
    table.share(out, value)
    return out


_MUTATING_METHODS = frozenset(
    (
        "update", "merge", "pop", "popitem", "setdefault", "clear", "append", "extend", "insert",
        "remove", "sort", "reverse", "add", "discard",
    )
)


_MUTATING_CALL = re.compile(r"\.\s*(?:" + "|".join(sorted(_MUTATING_METHODS)) + r")\s*\(")


def mutates(module: ast.Module, text: str) -> bool:
    """Whether the file may change a value in place: only then are the bases' values
    copied before the file is evaluated.

    Statements are checked on the tree (an item or attribute assignment, ``del``, any
    augmented assignment: ``x += [...]`` extends a shared list); a mutating method call
    (``.update(``) may sit inside any expression, so it is searched for in the text,
    where a match inside a string or comment only costs a copy."""
    return _mutating_statements(module.body) or _MUTATING_CALL.search(text) is not None


def _mutating_statements(body: list[ast.stmt]) -> bool:
    for statement in body:
        if isinstance(statement, ast.Assign):
            if any(_writes_into(target) for target in statement.targets):
                return True
            continue
        if isinstance(statement, (ast.AugAssign, ast.Delete)):
            return True
        if isinstance(statement, (ast.AnnAssign, ast.For, ast.AsyncFor)) and _writes_into(
            statement.target
        ):
            return True
        if isinstance(statement, (ast.With, ast.AsyncWith)) and any(
            item.optional_vars is not None and _writes_into(item.optional_vars)
            for item in statement.items
        ):
            return True
        # Read through the package: its statements part loads with the first Python config.
        nested = evaluator.STATEMENT_FIELDS.get(type(statement))
        if nested is not None and any(
            _mutating_statements(getattr(statement, name)) for name in nested
        ):
            return True
    return False


def _writes_into(target: ast.expr) -> bool:
    """Whether assigning to ``target`` stores into a container (``x.a``, ``x[k]``)."""
    if isinstance(target, (ast.Attribute, ast.Subscript)):
        return True
    if isinstance(target, (ast.Tuple, ast.List)):
        return any(_writes_into(item) for item in target.elts)
    if isinstance(target, ast.Starred):
        return _writes_into(target.value)
    return False


def share_or_copy(base: Loaded, table: LocTable, copy: bool) -> dict[str, Any]:
    """A base's values for a file to use: shared with the cache (``table`` then finds
    their locations in the base's table) or, when the file may mutate them, copied.

    The copy shares nothing, as MMEngine's bases share nothing (it rebuilds every
    inherited dict and list as a ConfigDict): a change through one path
    (``_base_.train_pipeline[0]``) never shows through another
    (``_base_.train_dataloader.dataset.pipeline``), and ``_scope_`` lands only where
    MMEngine puts it.
    """
    table.inherit(base.table)
    if copy:
        copied: dict[str, Any] = unshare(base.data, table)
        return copied
    return base.data
