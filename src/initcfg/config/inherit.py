"""``_base_`` inheritance with MMEngine's semantics, for Python, YAML and JSON configs.

One :class:`Loader` reads a config and, recursively, its bases:

1. the text gets MMEngine's substitutions: predefined variables (``{{fileDirname}}``…),
   environment variables (``{{$NAME:default}}``), and ``{{_base_.a.b}}`` placeholders,
   which become same-length string markers so every column stays where it was written;
2. the bases named by ``_base_`` (a path, a list of paths, ``pkg::path``) or imported in
   ``with read_base():`` are loaded, and those of one file merged — the same top-level key
   in two of them is an error, as in MMEngine;
3. the file is evaluated by the safe evaluator (:mod:`initcfg.config.python_loader`) with
   the merged bases as ``_base_``, markers are replaced by the bases' values, and the
   file's values are merged into the bases: dicts recursively, the child winning, lists
   and scalars replaced, ``_delete_=True`` replacing the whole dict.

A file's result is cached by absolute path, modification time and size (and those of every
file it read), so the few dozen bases of a corpus are parsed once per process.
"""

from __future__ import annotations

import ast
import importlib.machinery
import os
import re
import traceback
from dataclasses import dataclass, field
from typing import Any

from initcfg.check.diagnostics import Diagnostic
from initcfg.check.rules import diagnostic
from initcfg.check.suggest import closest, did_you_mean
from initcfg.config.budget import MAX_TREE_ITEMS, Budget, OverBudget, tree_size
from initcfg.config.files import read_config_file
from initcfg.config.python_loader import (
    STATEMENT_FIELDS,
    ColumnMap,
    ConfigNode,
    EvalFailure,
    Evaluator,
    LocTable,
    Unsafe,
    is_new_style,
    plain,
    unbindable,
)
from initcfg.config.source import KeyPath, Location, format_path
from initcfg.config.suppress import find_suppressions
from initcfg.config.yaml_loader import parse_json, parse_yaml

BASE_KEY = "_base_"
DELETE_KEY = "_delete_"
DEPRECATION_KEY = "_deprecation_"
DATA_SUFFIXES = (".yaml", ".yml", ".json")

_PREDEFINED = re.compile(
    r"\{\{\s*(fileDirname|fileBasename|fileBasenameNoExtension|fileExtname)\s*\}\}"
)
_ENVIRON = re.compile(r"\{\{['\"]?\s*\$(\w+)\s*\:\s*(\S*?)\s*['\"]?\}\}")
_BASE_VAR = re.compile(r"\{\{\s*_base_\.([\w\.]+)\s*\}\}")
_PACKAGE_BASE = re.compile(r"\w*::\w*/\w*")


@dataclass(slots=True)
class Placeholder:
    """A ``{{_base_.a.b}}`` placeholder, replaced in the text by ``marker``."""

    dotted: str
    location: Location


@dataclass(slots=True)
class Loaded:
    """One file loaded with its bases. Cached and shared: never mutated once built.

    Attributes:
        path: Absolute path of the file.
        data: The file's merged values (containers located in ``table``).
        table: Item locations of the containers in ``data``.
        root: The file's own location (line 1, column 1).
        diagnostics: Problems in this file and its bases.
        files: Every file read, this one first.
        suppressions: ``file → line → codes`` for every file read.
        imported: Names bound by imports (new-style configs): kept for files that
            import this one, left out of the final result as MMEngine's ``to_dict`` does.
        bases: The bases this file merged, with the scope (``pkg`` of ``pkg::path``) each
            was named with.
        base_names: For a new-style file, the names that came from its bases.
        stamps: ``(path, mtime_ns, size)`` of every file read, to validate the cache.
        ok: False when the file could not be evaluated (its ``data`` is incomplete).
        style: ``"classic"`` (``_base_``), ``"new"`` (``with read_base():``) or ``"data"``
            (YAML, JSON); MMEngine refuses to mix the two Python styles in one chain.
    """

    path: str
    data: dict[str, Any]
    table: LocTable
    root: Location
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    suppressions: dict[str, dict[int, set[str]]] = field(default_factory=dict)
    imported: frozenset[str] = frozenset()
    bases: list[tuple[Loaded, str | None]] = field(default_factory=list)
    base_names: frozenset[str] = frozenset()
    stamps: list[tuple[str, int, int]] = field(default_factory=list)
    ok: bool = True
    style: str = "classic"
    sizes: dict[int, int] = field(default_factory=dict)
    """Tree sizes of the containers in ``data`` (see :func:`tree_size`), so that a file
    inheriting them does not walk them again."""


_cache: dict[tuple[str, bool], Loaded] = {}


def clear_cache() -> None:
    """Forget every cached file (tests and long-running processes call it)."""
    _cache.clear()


class _Context:
    """What one file's load collects before it becomes a :class:`Loaded`."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.root = Location(path, 1, 1)
        self.table = LocTable()
        self.diagnostics: list[Diagnostic] = []
        self.files: list[str] = [path]
        self.suppressions: dict[str, dict[int, set[str]]] = {}
        self.stamps: list[tuple[str, int, int]] = []
        self.bases: list[tuple[Loaded, str | None]] = []
        self.ok = True
        self.style = "classic"
        # A base reached by several inclusion paths brings the same findings each time:
        # each is reported once.
        self.reported: set[Diagnostic] = set()

    def report(self, item: Diagnostic) -> None:
        if item not in self.reported:
            self.reported.add(item)
            self.diagnostics.append(item)

    def absorb(self, base: Loaded) -> None:
        for item in base.diagnostics:
            self.report(item)
        for name in base.files:
            if name not in self.files:
                self.files.append(name)
        for name, lines in base.suppressions.items():
            self.suppressions.setdefault(name, lines)
        for stamp in base.stamps:
            if stamp not in self.stamps:
                self.stamps.append(stamp)

    def done(self, data: dict[str, Any], **extra: Any) -> Loaded:
        extra.setdefault("style", self.style)
        return Loaded(
            self.path, data, self.table, self.root, self.diagnostics, self.files,
            self.suppressions, stamps=self.stamps, bases=self.bases, ok=self.ok, **extra,
        )


def preprocess(text: str, path: str) -> tuple[str, dict[str, Placeholder], list[Diagnostic]]:
    """MMEngine's text substitutions, in its order: predefined variables, environment
    variables, then ``{{_base_.x}}`` placeholders turned into same-length string markers."""
    problems: list[Diagnostic] = []
    if "{{" not in text:
        return text, {}, problems
    names = {
        "fileDirname": os.path.dirname(path),
        "fileBasename": os.path.basename(path),
        "fileBasenameNoExtension": os.path.splitext(os.path.basename(path))[0],
        "fileExtname": os.path.splitext(path)[1],
    }
    text = _PREDEFINED.sub(lambda m: names[m.group(1)].replace("\\", "/"), text)

    def environ(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = os.environ.get(name, default)
        if not value:
            problems.append(
                diagnostic(
                    "IC205", f"environment variable {name} is not set and the placeholder "
                    "gives no default",
                    hint=f"set {name}, or write {{{{${name}:default}}}}",
                ).at(_offset_location(text, match.start(), path))
            )
            return match.group(0)
        return value

    text = _ENVIRON.sub(environ, text)
    placeholders: dict[str, Placeholder] = {}
    by_name: dict[str, str] = {}

    def base_var(match: re.Match[str]) -> str:
        width = match.end() - match.start()
        dotted = match.group(1)
        marker = by_name.get(dotted)
        if marker is None:
            inner = f"@ph{len(by_name)}@"
            marker = by_name[dotted] = inner + "@" * max(0, width - 2 - len(inner))
            placeholders[marker] = Placeholder(dotted, _offset_location(text, match.start(), path))
        # The marker keeps the placeholder's width where it can, so columns after it on
        # the line stay right; each occurrence of one name shares the marker.
        return f'"{marker}"'

    text = _BASE_VAR.sub(base_var, text)
    return text, placeholders, problems


def _offset_location(text: str, offset: int, path: str) -> Location:
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return Location(path, line, offset - start + 1)


class Loader:
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

    # -- one file ----------------------------------------------------------------------

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
            context.report(diagnostic("IC001", f"cannot read {path}: {reason}").at(context.root))
            context.ok = False
            return context.done({})
        # The status of the text read, not of the name: the cache then never keeps a
        # result for a file whose text changed after it was looked at.
        stamp = self.stamps[path] = (path, status.st_mtime_ns, status.st_size)
        context.stamps.append(stamp)
        context.suppressions[path] = find_suppressions(text)
        text, placeholders, problems = preprocess(text, path)
        context.diagnostics.extend(problems)
        self.stack.append(path)
        try:
            if path.endswith(".py"):
                return self._load_python(path, text, placeholders, context)
            return self._load_data(path, text, placeholders, context)
        finally:
            self.stack.pop()

    # -- bases -------------------------------------------------------------------------

    def _resolve(self, entry: str, parent: str, where: Location) -> tuple[str, str | None] | None:
        """The absolute path of a ``_base_`` entry and its scope, or None (reported)."""
        if "::" not in entry:
            return os.path.abspath(os.path.join(os.path.dirname(parent), entry)), None
        if _PACKAGE_BASE.match(entry) is None or entry.count("::") > 1:
            self._pending.append(
                diagnostic("IC211", f"{entry!r} is not a package-scoped base of the form "
                           "'pkg::path/to/config.py'").at(where)
            )
            return None
        package, relative = entry.split("::")
        root = package_root(package)
        if root is None:
            self._pending.append(
                diagnostic(
                    "IC206", f"base {entry!r} needs the package {package!r}, which is not "
                    "installed", hint=f"pip install {package}",
                ).at(where)
            )
            return None
        return os.path.join(root, ".mim", "configs", relative), package

    _pending: list[Diagnostic]

    def _load_base(self, entry: str, parent: str, where: Location, context: _Context
                   ) -> tuple[Loaded, str | None] | None:
        self._pending = []
        resolved = self._resolve(entry, parent, where)
        context.diagnostics.extend(self._pending)
        if resolved is None:
            context.ok = False
            return None
        target, scope = resolved
        if target in self.stack:
            cycle = " → ".join(os.path.basename(p) for p in [*self.stack, target])
            context.report(
                diagnostic("IC203", f"base configs form a cycle: {cycle}",
                           hint="move the shared keys into a file both can inherit").at(where)
            )
            context.ok = False
            return None
        base = self.cached(target)
        if base is None and not os.path.isfile(target):
            context.report(
                diagnostic("IC202", f"base config {entry!r} does not exist (looked for "
                           f"{target})", hint=_near_files(target)).at(where)
            )
            context.ok = False
            return None
        if base is None:
            base = self.load(target)
        context.absorb(base)
        if not base.ok:
            context.ok = False
        return base, scope

    def _merge_bases(
        self, entries: list[tuple[str, Location]], path: str, context: _Context, copy: bool
    ) -> dict[str, Any]:
        """The bases of a classic file merged into one dict.

        The bases' values are shared with the cache unless ``copy`` says the file may
        change them in place (``_base_.model.update(...)``): merging never mutates them.
        """
        merged: dict[str, Any] = {}
        merged_at = context.table.table(merged)
        owners: dict[str, tuple[str, Location]] = {}
        for entry, where in entries:
            found = self._load_base(entry, path, where, context)
            if found is None:
                continue
            base, scope = found
            if base.style == "new":
                context.report(
                    diagnostic(
                        "IC211", f"base {entry!r} is a new-style config (`with read_base():`); "
                        "MMEngine refuses to mix it into a `_base_` chain",
                    ).at(where)
                )
                context.ok = False
                continue
            context.bases.append((base, scope))
            copied = share_or_copy(base, context.table, copy or scope is not None)
            if scope is not None:
                add_scope(copied, scope, context.table, where)
            clashes = copied.keys() & owners.keys()
            for key in (key for key in copied if key in clashes) if clashes else ():
                first, first_where = owners[key]
                context.report(
                    diagnostic(
                        "IC204", f"key {key!r} is defined by two bases: {first} and "
                        f"{entry} (MMEngine refuses to merge them)", format_path((key,)),
                        hint=f"first defined by the base named at line {first_where.line}",
                    ).at(where)
                )
            owners.update({key: (entry, where) for key in copied if key not in owners})
            merged.update(copied)
            top = base.table.of(base.data) or {}
            root = base.root
            merged_at.update({key: top.get(key, root) for key in copied})
        return merged

    # -- Python ------------------------------------------------------------------------

    def _load_python(
        self, path: str, text: str, placeholders: dict[str, Placeholder], context: _Context
    ) -> Loaded:
        try:
            self.budget.spend_source(text)
        except OverBudget as error:
            self.over_budget(error, path, context)
            return context.done({})
        try:
            module = ast.parse(text, filename=path)
        except SyntaxError as error:
            location = Location(path, error.lineno or 1, error.offset or 1)
            context.report(diagnostic("IC002", f"invalid Python: {error.msg}").at(location))
            context.ok = False
            return context.done({})
        except ValueError as error:  # null bytes
            context.report(diagnostic("IC002", f"invalid Python: {error}").at(context.root))
            context.ok = False
            return context.done({})
        if is_new_style(module):
            return self._load_new_style(path, module, text, context)
        entries = self._base_entries(module, path, context)
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
        self, module: ast.Module, path: str, context: _Context
    ) -> list[tuple[str, Location]] | None:
        """The ``_base_`` entries of a classic file: the first top-level assignment."""
        for statement in module.body:
            if (
                isinstance(statement, ast.Assign)
                and isinstance(statement.targets[0], ast.Name)
                and statement.targets[0].id == BASE_KEY
            ):
                return self._entries_from(statement.value, path, context)
        return None

    def _entries_from(
        self, node: ast.expr, path: str, context: _Context
    ) -> list[tuple[str, Location]]:
        evaluator = Evaluator(path, LocTable(), budget=self.budget)
        try:
            value = evaluator.expr(node)
        except OverBudget as error:
            if error.node is None:
                error.node = node
            self.over_budget(error, path, context)
            return []
        except (Unsafe, EvalFailure) as error:
            context.report(_refusal(error, path))
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
        imported: set[str] = set()

        def read_base(name: str, node: ast.ImportFrom) -> dict[str, Any]:
            where = Location(path, node.lineno, node.col_offset + 1)
            target = module_path(name, path)
            if target is None:
                raise EvalFailure(node, f"cannot locate base module {name!r}: an absolute "
                                  "base must be `package.path.to.config` of an installed "
                                  "package")
            found = self._load_base(target, path, where, context)
            if found is None:
                raise _Stop
            base, _ = found
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

    def _execute(
        self,
        path: str,
        module: ast.Module,
        base: dict[str, Any] | None,
        placeholders: dict[str, Placeholder],
        context: _Context,
    ) -> Loaded:
        """Run the file as MMEngine does (``trust=True`` only)."""
        import types

        body = [
            statement for statement in module.body
            if not (isinstance(statement, ast.Assign)
                    and isinstance(statement.targets[0], ast.Name)
                    and statement.targets[0].id == BASE_KEY)
        ]
        code = compile(ast.Module(body=body, type_ignores=[]), path, "exec")
        # The merge below uses the same ConfigNodes the code saw as `_base_`, so what
        # the file changed through `_base_` is kept, as in MMEngine.
        nodes = _as_nodes(base if base is not None else {}, context.table)
        namespace: dict[str, Any] = {BASE_KEY: nodes}
        try:
            exec(code, namespace, namespace)
        except (Exception, SystemExit) as error:  # `exit()` in a config ends the config
            line = _failing_line(error, path)
            context.report(
                diagnostic("IC207", f"running the config failed: {type(error).__name__}: "
                           f"{error}").at(Location(path, line, 1))
            )
            context.ok = False
            return context.done({})
        context.report(
            diagnostic("IC209", "the config was executed because --trust-python was given")
            .at(context.root)
        )
        locations = _assignment_locations(module, path)
        names = {
            key: plain(value) for key, value in namespace.items()
            if key != BASE_KEY and not key.startswith("__")
            and not isinstance(value, (types.FunctionType, types.ModuleType, type))
        }
        return self._finish(
            path, names, locations, nodes if base is not None else None, placeholders, context
        )

    # -- YAML / JSON -------------------------------------------------------------------

    def _load_data(
        self, path: str, text: str, placeholders: dict[str, Placeholder], context: _Context
    ) -> Loaded:
        context.style = "data"
        parse = parse_json if path.endswith(".json") else parse_yaml
        value, _, problems = parse(text, path, context.table.set, self.budget,
                                   put=context.table.put)
        context.diagnostics.extend(problems)
        if value is None:
            context.ok = not problems
            return context.done({})
        if not isinstance(value, dict):
            context.report(
                diagnostic("IC005", f"the root of a config must be a mapping (got "
                           f"{type(value).__name__})").at(context.root)
            )
            context.ok = False
            return context.done({})
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
        top = context.table.table(value)
        locations = {key: location for key in value if (location := top.get(key)) is not None}
        return self._finish(path, value, locations, base, placeholders, context)

    # -- shared end --------------------------------------------------------------------

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
        names.pop(DEPRECATION_KEY, None)
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


def _failing_line(error: BaseException, path: str) -> int:
    """The line of ``path`` that raised ``error`` (the deepest frame in the file)."""
    lines = [
        frame.lineno for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename == path and frame.lineno
    ]
    return lines[-1] if lines else getattr(error, "lineno", None) or 1


class _Stop(Exception):
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


def _near_files(target: str) -> str | None:
    folder, name = os.path.split(target)
    try:
        candidates = [n for n in os.listdir(folder) if n.endswith((".py", *DATA_SUFFIXES))]
    except OSError:
        return None
    # Compare names without their suffix: a shared '.py' makes any two names look alike.
    stem, suffix = os.path.splitext(name)
    by_stem: dict[str, str] = {}
    for candidate in sorted(candidates, key=lambda n: os.path.splitext(n)[1] != suffix):
        by_stem.setdefault(os.path.splitext(candidate)[0], candidate)
    match = closest(stem, by_stem)
    return f"did you mean {by_stem[match]!r}?" if match is not None else None


def package_root(package: str) -> str | None:
    """The folder of an installed package, found without importing it."""
    try:
        spec = importlib.machinery.PathFinder.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or spec.origin in ("built-in", "frozen"):
        return None
    return os.path.dirname(spec.origin)


def module_path(module: str, importer: str) -> str | None:
    """The file of a base module named in ``with read_base():``."""
    level = len(module) - len(module.lstrip("."))
    if level:
        parts = module[level:].split(".")
        return os.path.abspath(
            os.path.join(os.path.dirname(importer), *[".."] * (level - 1), *parts) + ".py"
        )
    parts = module.split(".")
    if len(parts) < 2:
        return None
    root = package_root(parts[0])
    if root is None:
        return None
    return os.path.join(root, *parts[1:]) + ".py"


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


def substitute(
    names: dict[str, Any],
    placeholders: dict[str, Placeholder],
    base: dict[str, Any] | None,
    table: LocTable,
    context: _Context,
) -> None:
    """Replace placeholder markers that ended up as values by the bases' values.

    Like MMEngine, only markers that are dict values or list and tuple items are
    replaced (after the file is evaluated), and a missing name is reported only then.
    A container holding a marker is replaced by a copy, never changed: the file's
    values may be shared with the cached bases. The bases' values are put in as they
    are, shared too, since nothing changes a loaded value afterwards (the merge builds
    new dicts), and the final result is copied whole.
    """

    def lookup(marker: str) -> tuple[bool, Any]:
        placeholder = placeholders[marker]
        node: Any = base
        walked: list[str] = []
        for part in placeholder.dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                keys = [str(k) for k in node] if isinstance(node, dict) else []
                where = ".".join(["_base_", *walked])
                reason = (
                    "the config has no bases" if base is None
                    else f"{where} has no key {part!r}"
                )
                context.report(
                    diagnostic(
                        "IC205", f"placeholder {{{{_base_.{placeholder.dotted}}}}} cannot be "
                        f"substituted: {reason}", hint=did_you_mean(part, keys),
                    ).at(placeholder.location)
                )
                return False, None
            node = node[part]
            walked.append(part)
        return True, node

    def substituted(value: Any) -> Any:
        """``value`` with its markers replaced: the same object when it holds none."""
        kind = type(value)
        if kind is str:
            if value in placeholders:
                found, replacement = lookup(value)
                return replacement if found else value
            return value
        if isinstance(value, dict):
            changed: dict[Any, Any] | None = None
            for key, child in value.items():
                new = substituted(child)
                if new is not child:
                    if changed is None:
                        changed = kind(value)
                        table.share(changed, value)
                    changed[key] = new
            return value if changed is None else changed
        if kind is list or kind is tuple:
            items = [substituted(child) for child in value]
            if all(new is old for new, old in zip(items, value, strict=True)):
                return value
            rebuilt = items if kind is list else tuple(items)
            table.share(rebuilt, value)
            return rebuilt
        return value

    for key, value in list(names.items()):
        names[key] = substituted(value)


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
                if value.get(DELETE_KEY):
                    delete_at = (table.of(value) or {}).get(DELETE_KEY, location)
                    context.report(
                        diagnostic(
                            "IC212", f"`_delete_=True` in {format_path((*path, key))} has "
                            "nothing to delete: no base defines this key, so MMEngine keeps "
                            "`_delete_` as an ordinary key",
                            format_path((*path, key, DELETE_KEY)),
                        ).at(delete_at)
                    )
                out[key] = value
        else:
            out[key] = value
        if location is not None:
            out_locations[key] = location
    return out


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
        nested = STATEMENT_FIELDS.get(type(statement))
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


def _assignment_locations(module: ast.Module, path: str) -> dict[str, Location]:
    found: dict[str, Location] = {}
    for statement in module.body:
        targets: list[ast.expr] = []
        if isinstance(statement, ast.Assign):
            targets = list(statement.targets)
        elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
            targets = [statement.target]
        for target in targets:
            if isinstance(target, ast.Name):
                found[target.id] = Location(path, target.lineno, target.col_offset + 1)
    return found


def _as_nodes(value: Any, table: LocTable) -> Any:
    """A copy with every dict a :class:`ConfigNode` (attribute access for executed
    code), locations kept."""
    if isinstance(value, dict):
        node = ConfigNode({key: _as_nodes(child, table) for key, child in value.items()})
        table.share(node, value)
        return node
    if isinstance(value, (list, tuple)):
        items = type(value)(_as_nodes(child, table) for child in value)
        if items:
            table.share(items, value)
        return items
    return value


def _execute_with_mmengine(path: str, context: _Context) -> Loaded | None:
    """A new-style file run by MMEngine itself (``trust=True``, when it is installed)."""
    try:
        from mmengine.config import Config  # type: ignore[import-untyped]
    except ImportError:
        return None
    try:
        data = Config.fromfile(path, import_custom_modules=False).to_dict()
    except (Exception, SystemExit) as error:
        context.report(
            diagnostic("IC207", f"running the config failed: {type(error).__name__}: "
                       f"{error}").at(context.root)
        )
        context.ok = False
        return context.done({})
    context.report(
        diagnostic("IC209", "the config was executed because --trust-python was given")
        .at(context.root)
    )
    names = {str(key): value for key, value in data.items()}
    context.table.table(names).update({key: context.root for key in names})
    return context.done(names)

