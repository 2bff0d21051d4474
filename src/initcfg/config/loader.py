"""``_base_`` inheritance with MMEngine's semantics, for Python, YAML and JSON configs.

One :class:`Loader` reads a config and, recursively, its bases:

1. the text gets MMEngine's substitutions: predefined variables (``{{fileDirname}}``…),
   environment variables (``{{$NAME:default}}``), and ``{{_base_.a.b}}`` placeholders,
   which become same-length string markers so every column stays where it was written;
2. the bases named by ``_base_`` (a path, a list of paths, ``pkg::path``) or imported in
   ``with read_base():`` are loaded, and those of one file merged — the same top-level key
   in two of them is an error, as in MMEngine;
3. the file is evaluated by the safe evaluator (:mod:`initcfg.config.evaluator`) with
   the merged bases as ``_base_``, markers are replaced by the bases' values, and the
   file's values are merged into the bases: dicts recursively, the child winning, lists
   and scalars replaced, ``_delete_=True`` replacing the whole dict.

A file's result is cached by absolute path, modification time and size (and those of every
file it read), so the few dozen bases of a corpus are parsed once per process.
"""

from __future__ import annotations

import ast
import os
from dataclasses import replace
from typing import Any

from initcfg.config.base_statement import BASE_KEY, base_statement_lines
from initcfg.config.bases import BasesMixin, module_path
from initcfg.config.budget import MAX_TREE_ITEMS, Budget, OverBudget, tree_size
from initcfg.config.evaluator import ColumnMap, EvalFailure, LocTable, Reported, Unsafe
from initcfg.config.files import read_config_file
from initcfg.config.json_loader import parse_json
from initcfg.config.loaded import Loaded, _cache, _Context
from initcfg.config.merge import merge_into, mutates, share_or_copy, unshare
from initcfg.config.placeholders import Placeholder, preprocess, substitute
from initcfg.config.suppress import find_suppressions
from initcfg.config.trusted import TrustedMixin, _execute_with_mmengine
from initcfg.config.yaml_loader import parse_yaml
from initcfg.diagnostics import Diagnostic, Location, diagnostic

DEPRECATION_KEY = "_deprecation_"


def _deprecation_problem(value: object) -> str | None:
    """Why MMEngine fails on a file's ``_deprecation_`` value, or None: it looks for the
    keys ``expected`` and ``reference`` with ``in`` and reads them by subscript."""
    if isinstance(value, dict):
        return None
    if not isinstance(value, str | list | tuple | set | frozenset):
        return f"a {type(value).__name__} has no keys to look in"
    for key in ("expected", "reference"):
        if key in value:
            return f"a {type(value).__name__} holding {key!r} cannot be read by that key"
    return None


def key_not_a_name(key: object) -> Diagnostic:
    """IC005 for a top-level ``key`` that is not a string, in a file or a mapping alike."""
    return diagnostic(
        "IC005", f"top-level key {key!r} ({type(key).__name__}) is not a name: a config's "
        "top-level keys are strings",
    )


class Loader(BasesMixin, TrustedMixin):
    """Loads config files with their bases, sharing the process-wide cache.

    Args:
        trust: Execute classic Python configs that use a construct the safe evaluator
            refuses, the way MMEngine does (``exec`` with the merged bases as ``_base_``).
    """

    def __init__(self, *, trust: bool = False) -> None:
        self.trust = trust
        self.budget = Budget()
        # One diagnostic when the budget runs out: the files that include the one that
        # ran out stop too, silently.
        self.budget_reported = False
        # Files this load read that the process cache does not keep (those that
        # failed): a base reached by many inclusion paths is read once all the same.
        self.read: dict[str, Loaded] = {}
        self.stack: list[str] = []
        # One load checks each file against the cache once, however many of the files
        # it reads inherit that file.
        self.stamps: dict[str, tuple[str, int, int] | None] = {}
        # Classic files read through `with read_base():` as written (no placeholder
        # substituted, as MMEngine reads them there), each once per load; the paths of
        # those being read now.
        self.verbatim: dict[str, Loaded] = {}
        self.reading_verbatim: set[str] = set()

    def load(self, path: str) -> Loaded:
        """Load ``path`` (absolute, normalized) and its bases; never raises for bad input."""
        cached = self.cached(path)
        if cached is not None:
            return cached
        cached = self.read.get(path)
        if cached is not None:
            return cached
        context = _Context(path)
        loaded = self._load(path, context)
        if not any(d.code == "IC203" for d in loaded.diagnostics):
            if loaded.ok:
                _cache[(path, self.trust)] = loaded
            else:
                self.read[path] = loaded
        return loaded

    def load_verbatim(self, path: str) -> Loaded:
        """``path`` read with no placeholder substituted (not kept in the process cache:
        it is rare, and the cache keeps the classic reading)."""
        loaded = self.verbatim.get(path)
        if loaded is None:
            self.reading_verbatim.add(path)
            try:
                loaded = self.verbatim[path] = self._load(path, _Context(path))
            finally:
                self.reading_verbatim.discard(path)
        return loaded

    def over_budget(
        self, error: OverBudget, path: str, context: _Context, columns: ColumnMap | None = None
    ) -> None:
        """Report that the load ran out of budget (once per load) at the line that did."""
        context.ok = False
        if self.budget_reported:
            return
        self.budget_reported = True
        node = error.node
        line = getattr(node, "lineno", None) or error.line or 1
        offset = getattr(node, "col_offset", 0) or 0
        column = columns.column(line, offset) if columns is not None else offset + 1
        context.report(
            diagnostic(
                "IC214", f"the config is too large to load: {error.what}",
                hint="configs build a few thousand values; see `initcfg explain IC214` "
                "for the bounds",
            ).at(Location(path, line, column))
        )

    def cached(self, path: str) -> Loaded | None:
        """The cached result for ``path`` if no file it read has changed since."""
        cached = _cache.get((path, self.trust))
        if cached is None:
            return None
        for stamp in cached.stamps:
            if self._stamp(stamp[0]) != stamp:
                return None
        return cached

    def _stamp(self, path: str) -> tuple[str, int, int] | None:
        if path in self.stamps:
            return self.stamps[path]
        try:
            info = os.stat(path)
        except OSError:
            stamp = None
        else:
            stamp = (path, info.st_mtime_ns, info.st_size)
        self.stamps[path] = stamp
        return stamp

    def _load(self, path: str, context: _Context) -> Loaded:
        try:
            text, status = read_config_file(path)
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(
                error)
            problem = diagnostic("IC001", f"cannot read {path}: {reason}")
            # A file that is not there has no line 1 to point at (as `initcfg validate`
            # reports a missing path: line null); one that is there but unreadable is
            # placed at its start.
            missing = isinstance(error, FileNotFoundError | NotADirectoryError)
            context.report(replace(problem, file=path) if missing else problem.at(context.root))
            context.ok = False
            return context.done({})
        # The status of the text read, not of the name: the cache then never keeps a
        # result for a file whose text changed after it was looked at.
        stamp = self.stamps[path] = (path, status.st_mtime_ns, status.st_size)
        context.stamps.append(stamp)
        context.suppressions[path] = find_suppressions(text)
        self.stack.append(path)
        try:
            if path.endswith(".py"):
                return self._load_python(path, text, context)
            text, placeholders, problems = preprocess(text, path, context.environment)
            context.diagnostics.extend(problems)
            return self._load_data(path, text, placeholders, context)
        finally:
            self.stack.pop()

    @staticmethod
    def _parse(path: str, text: str, context: _Context, note: str = "") -> ast.Module | None:
        """The syntax tree of ``text``, or None with the IC002 reported."""
        try:
            return ast.parse(text, filename=path)
        except SyntaxError as error:
            location = Location(path, error.lineno or 1, error.offset or 1)
            context.report(diagnostic("IC002", f"invalid Python{note}: {error.msg}").at(location))
        except ValueError as error:  # null bytes
            context.report(diagnostic("IC002", f"invalid Python: {error}").at(context.root))
        except (RecursionError, MemoryError):
            # CPython's parser gives up on expressions nested a few thousand deep
            # (`- - - … 1`, `not not … x`) with these rather than a SyntaxError; running
            # the file, MMEngine's parse fails the same way.
            context.report(
                diagnostic("IC002", "invalid Python: expressions nested too deeply for "
                           "Python's parser").at(context.root)
            )
        context.ok = False
        return None

    def _load_python(self, path: str, written: str, context: _Context) -> Loaded:
        placeholders: dict[str, Placeholder]
        problems: list[Diagnostic]
        recorded = len(context.environment)
        if path in self.reading_verbatim:
            text, placeholders, problems = written, {}, []
        else:
            text, placeholders, problems = preprocess(written, path, context.environment)
        try:
            self.budget.spend_source(text)
        except OverBudget as error:
            context.diagnostics.extend(problems)
            self.over_budget(error, path, context)
            return context.done({})
        # MMEngine parses the file as written first, to tell a new-style (`read_base`)
        # config from a classic one: the text must be Python before any placeholder is
        # substituted (`lr = {{$LR:0.1}}` is not), and a new-style file gets no
        # substitution at all.
        module = self._parse(
            path, written, context, " before its placeholders are substituted (MMEngine "
            "parses the file as written)" if text != written else "",
        )
        if module is None:
            return context.done({})
        # The evaluator is imported by the first Python config: a run over YAML and JSON
        # files never needs it (it is most of config/'s import time).
        from initcfg.config.evaluator import Evaluator, is_new_style, unbindable

        if is_new_style(module):
            context.base_lines = base_statement_lines(module)
            # MMEngine substitutes nothing in a new-style file: no value came from here.
            del context.environment[recorded:]
            return self._load_new_style(path, module, written, context)
        context.diagnostics.extend(problems)
        context.substituted = text != written or bool(problems)
        if text != written:
            module = self._parse(path, text, context)
            if module is None:
                return context.done({})
        # Where the file names its bases, for the checks (suppressions on those lines):
        # read here so the file is parsed once.
        context.base_lines = base_statement_lines(module)
        entries = self._base_entries(module, path, text, context)
        self._report_ignored_bases(module, path, text, context)
        base: dict[str, Any] | None = None
        if entries is not None:
            base = self._merge_bases(entries, path, context, mutates(module, text))
        # With trust, a refusal re-runs the file from the start: it must see the bases
        # as they were, not as the refused run left them.
        pristine = (
            unshare(base, context.table)
            if self.trust and base is not None else None
        )
        evaluator = Evaluator(path, context.table, base=base, text=text, budget=self.budget)
        try:
            evaluator.run(module)
        except OverBudget as error:
            self.over_budget(error, path, context, evaluator.columns)
            return context.done({})
        except (Unsafe, EvalFailure) as error:
            if isinstance(error, Unsafe) and self.trust:
                return self._execute(path, module, pristine, placeholders, context)
            context.report(_refusal(error, path, evaluator.columns))
            context.ok = False
        names = {
            key: value for key, value in evaluator.names.items()
            if key != BASE_KEY and not key.startswith("__")
            and key not in evaluator.imported and not unbindable(value)
        }
        return self._finish(path, names, evaluator.name_locations, base, placeholders, context)

    def _base_entries(
        self, module: ast.Module, path: str, text: str, context: _Context
    ) -> list[tuple[str, Location]] | None:
        """The ``_base_`` entries of a classic file: the first top-level assignment."""
        for statement in module.body:
            if (
                isinstance(statement, ast.Assign)
                and isinstance(statement.targets[0], ast.Name)
                and statement.targets[0].id == BASE_KEY
            ):
                return self._entries_from(statement.value, path, text, context)
        return None

    def _entries_from(
        self, node: ast.expr, path: str, text: str, context: _Context
    ) -> list[tuple[str, Location]]:
        from initcfg.config.evaluator import Evaluator  # imported: a Python config

        # The text counts the columns in characters where a line is not ASCII.
        evaluator = Evaluator(path, LocTable(), text=text, budget=self.budget)
        try:
            value = evaluator.expr(node)
        except OverBudget as error:
            if error.node is None:
                error.node = node
            self.over_budget(error, path, context, evaluator.columns)
            return []
        except (Unsafe, EvalFailure) as error:
            context.report(_refusal(error, path, evaluator.columns))
            context.ok = False
            return []
        items = value if isinstance(value, list) else [value]
        element_nodes = node.elts if isinstance(node, ast.List) else None
        entries: list[tuple[str, Location]] = []
        for index, item in enumerate(items):
            where = evaluator.loc(
                element_nodes[index]
                if element_nodes is not None and index < len(element_nodes) else node
            )
            if not isinstance(item, str):
                context.report(
                    diagnostic("IC211", f"`_base_` entries must be paths (strings), got "
                               f"{type(item).__name__}").at(where)
                )
                context.ok = False
                continue
            entries.append((item, where))
        return entries

    def _load_new_style(
        self, path: str, module: ast.Module, text: str, context: _Context
    ) -> Loaded:
        from initcfg.config.evaluator import Evaluator, unbindable  # imported: a Python config

        imported: set[str] = set()

        def read_base(name: str, node: ast.ImportFrom) -> dict[str, Any]:
            where = Location(path, node.lineno, node.col_offset + 1)
            target = module_path(name, path)
            if target is None:
                raise EvalFailure(node, f"cannot locate base module {name!r}: an absolute "
                                  "base must be `package.path.to.config` of an installed "
                                  "package")
            found = self._load_base(target, path, where, context, verbatim=True)
            if found is None:
                raise _Stop
            base, _ = found
            if not base.ok:
                # Its values are incomplete (its own base is missing, say): reading names
                # from it would only add failures that follow from the one reported.
                context.ok = False
                raise _Stop
            if base.style != "new" and base.bases:
                context.report(
                    diagnostic(
                        "IC211", f"base module {name!r} inherits with `_base_`; MMEngine "
                        "refuses `_base_` in a file read through `with read_base():`",
                    ).at(where)
                )
                context.ok = False
                raise _Stop
            context.bases.append(found)
            imported.update(base.imported)
            copied = share_or_copy(base, context.table, copy)
            if not isinstance(copied, dict):  # pragma: no cover - data is a dict
                raise _Stop
            return copied

        copy = mutates(module, text)

        evaluator = Evaluator(
            path, context.table, lazy=True, read_base=read_base, text=text, budget=self.budget
        )
        try:
            evaluator.run(module)
        except _Stop:
            context.ok = False
        except OverBudget as error:
            self.over_budget(error, path, context, evaluator.columns)
            return context.done({}, style="new")
        except (Unsafe, EvalFailure) as error:
            if isinstance(error, Unsafe) and self.trust:
                executed = _execute_with_mmengine(path, context)
                if executed is not None:
                    return executed
            context.report(_refusal(error, path, evaluator.columns))
            context.ok = False
        names: dict[str, Any] = {}
        top = context.table.table(names)
        for key, value in evaluator.names.items():
            if key.startswith("__") or unbindable(value):
                continue
            names[key] = value
            location = evaluator.name_locations.get(key)
            if location is None:
                location = _first_location(value, context.table, context.root)
            top[key] = location
        imported |= evaluator.imported
        return self._sized(
            names, path, context, imported=frozenset(imported),
            base_names=frozenset(evaluator.from_bases), style="new",
        )

    def _load_data(
        self, path: str, text: str, placeholders: dict[str, Placeholder], context: _Context
    ) -> Loaded:
        context.style = "data"
        parse = parse_json if path.endswith(".json") else parse_yaml
        counted: list[int] = []
        value, _, problems = parse(text, path, context.table.set, self.budget,
                                   put=context.table.put, counted=counted)
        context.diagnostics.extend(problems)
        if value is None:
            if not problems:
                # MMEngine reads `_base_` from what the file loads to, and None has no
                # `.get`: an empty or `null` document is no config to it.
                context.report(
                    diagnostic("IC005", "the file holds no mapping: its document is "
                               "empty or null, and MMEngine fails to load it",
                               hint="write `{}` for a config without settings").at(context.root)
                )
            context.ok = False
            return context.done({})
        if not isinstance(value, dict):
            context.report(
                diagnostic("IC005", f"the root of a config must be a mapping (got "
                           f"{type(value).__name__})").at(context.root)
            )
            context.ok = False
            return context.done({})
        named_only = self._names_only(value, context)
        if named_only is not value:
            value = named_only
            counted.clear()  # the reader's count included what was dropped
        base: dict[str, Any] | None = None
        if BASE_KEY in value:
            where = context.table.table(value).get(BASE_KEY) or context.root
            raw = value.pop(BASE_KEY)
            items = raw if isinstance(raw, list) else [raw]
            entries: list[tuple[str, Location]] = []
            for index, item in enumerate(items):
                item_where = (
                    context.table.table(raw).get(index) if isinstance(raw, list) else None
                )
                if not isinstance(item, str):
                    context.report(
                        diagnostic("IC211", "`_base_` entries must be paths (strings), got "
                                   f"{type(item).__name__}").at(item_where or where)
                    )
                    continue
                entries.append((item, item_where or where))
            base = self._merge_bases(entries, path, context, copy=False)
        if base is None and not placeholders and counted:
            # Nothing is merged in or substituted: the tree is the one the reader built
            # and counted (less what _finish drops), and need not be walked again.
            context.tree_items = counted[0]
        top = context.table.table(value)
        locations = {key: location for key in value if (location := top.get(key)) is not None}
        return self._finish(path, value, locations, base, placeholders, context)

    @staticmethod
    def _names_only(value: dict[Any, Any], context: _Context) -> dict[str, Any]:
        """``value`` without its top-level keys that are not strings, each reported:
        MMEngine reads every top-level key as a name (and crashes on another)."""
        if all(type(key) is str for key in value):
            return value
        top = context.table.table(value)
        for key in value:
            if not isinstance(key, str):
                context.report(key_not_a_name(key).at(top.get(key) or context.root))
        context.ok = False
        kept = {key: item for key, item in value.items() if isinstance(key, str)}
        context.table.share(kept, value)
        return kept

    def _finish(
        self,
        path: str,
        names: dict[str, Any],
        locations: dict[str, Location],
        base: dict[str, Any] | None,
        placeholders: dict[str, Placeholder],
        context: _Context,
    ) -> Loaded:
        table = context.table
        top = table.table(names)
        for key in names:
            location = locations.get(key)
            top[key] = location if location is not None else context.root
        if DEPRECATION_KEY in names:
            problem = _deprecation_problem(names.pop(DEPRECATION_KEY))
            if problem is not None:
                context.report(
                    diagnostic(
                        "IC207", f"evaluating the config fails: MMEngine reads "
                        f"`{DEPRECATION_KEY}` as a dict of 'expected' and 'reference', "
                        f"and {problem}",
                        DEPRECATION_KEY, hint="write _deprecation_ = dict(expected='...')",
                    ).at(top[DEPRECATION_KEY])
                )
                context.ok = False
        if placeholders:
            substitute(names, placeholders, base, table, context)
        if base is None:
            merged: dict[str, Any] = names
        else:
            merged = merge_into(names, base, table, context)
        if any(key.startswith("__") for key in merged):
            kept = {key: value for key, value in merged.items() if not key.startswith("__")}
            table.share(kept, merged)
            merged = kept
        return self._sized(merged, path, context)

    def _sized(self, merged: dict[str, Any], path: str, context: _Context, **extra: Any
               ) -> Loaded:
        """The file's result, unless its tree is past :data:`MAX_TREE_ITEMS`."""
        if context.tree_items is not None and context.tree_items <= MAX_TREE_ITEMS:
            # Its containers' sizes are not recorded: a file inheriting it walks them.
            return context.done(merged, **extra)
        sizes: dict[int, int] = {}
        inherited = [base.sizes for base, _ in context.bases]
        if tree_size(merged, MAX_TREE_ITEMS, sizes, inherited=inherited) < 0:
            problem = _oversized(merged, context.table.of(merged) or {}, path)
            self.over_budget(problem, path, context)
            return context.done({}, **extra)
        return context.done(merged, sizes=sizes, **extra)


def _oversized(merged: dict[str, Any], locations: dict[Any, Location], path: str) -> OverBudget:
    """Why ``merged``, a tree of more than :data:`MAX_TREE_ITEMS` keys and items (each
    shared container counted once per path, as the copies and the walk of the locations
    count it), is refused: the top-level key that crossed the bound."""
    sizes: dict[int, int] = {}
    total = 0
    for key, value in merged.items():
        size = tree_size(value, MAX_TREE_ITEMS, sizes)
        total += 1 + (size if size >= 0 else MAX_TREE_ITEMS)
        if total > MAX_TREE_ITEMS:
            location = locations.get(key)
            return OverBudget(
                f"its values make a tree of more than {MAX_TREE_ITEMS:,} keys and items "
                f"(each shared container counted once per path), {key!r} crossing the bound",
                line=location.line if location is not None and location.file == path else None,
            )
    return OverBudget(f"its values make a tree of more than {MAX_TREE_ITEMS:,} keys and items")


class _Stop(Reported):
    """A base could not be loaded; its diagnostic is already recorded."""


def _first_location(value: Any, table: LocTable, default: Location) -> Location:
    found = table.of(value)
    if found:
        return min(found.values(), key=lambda loc: (loc.line, loc.column))
    return default


def _refusal(
    error: Unsafe | EvalFailure, path: str, columns: ColumnMap | None = None
) -> Diagnostic:
    node = error.node
    line = getattr(node, "lineno", 1) or 1
    offset = getattr(node, "col_offset", 0) or 0
    column = columns.column(line, offset) if columns is not None else offset + 1
    location = Location(path, line, column)
    if isinstance(error, Unsafe):
        return diagnostic(
            "IC201", f"initcfg's safe evaluator does not support {error.construct}, so "
            "this file was not checked; a limit of initcfg, which reads configs without "
            "running them, not necessarily a mistake in the config",
            hint="if you trust the file, pass --trust-python (API: `load_config(path, "
            "trust=True)`) to run it as MMEngine does; or write the value as plain data",
        ).at(location)
    return diagnostic("IC207", f"evaluating the config fails: {error.message}").at(location)
