"""Finding a file's bases: ``_base_`` entries and ``pkg::path`` resolved to files, each
base loaded, and the bases of a classic file merged into one dict."""

from __future__ import annotations

import ast
import contextlib
import importlib.machinery
import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from initcfg.config.base_statement import BASE_KEY as BASE_KEY  # its home before base_statement
from initcfg.config.base_statement import ignored_base_assignments
from initcfg.config.files import not_a_regular_file
from initcfg.config.loaded import Loaded, _Context
from initcfg.config.merge import add_scope, share_or_copy
from initcfg.diagnostics import Diagnostic, Location, diagnostic, format_path, suggest

DATA_SUFFIXES = (".yaml", ".yml", ".json")
_PACKAGE_BASE = re.compile(r"\w*::\w*/\w*")


class BasesMixin:
    """The part of the :class:`~initcfg.config.loader.Loader` that loads bases."""

    if TYPE_CHECKING:
        # What the Loader has that this part uses.
        stack: list[str]

        def load(self, path: str) -> Loaded:
            ...

        def cached(self, path: str) -> Loaded | None:
            ...

        def load_verbatim(self, path: str) -> Loaded:
            ...

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

    def _load_base(self, entry: str, parent: str, where: Location, context: _Context,
                   verbatim: bool = False) -> tuple[Loaded, str | None] | None:
        """Load the base ``entry`` of ``parent`` (None where that is reported); with
        ``verbatim``, as a file read through ``with read_base():``, whose text MMEngine
        does not substitute."""
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
        unreadable = None if base is not None else not_a_regular_file(target)
        if unreadable is not None:
            context.report(
                diagnostic("IC001", f"cannot read base config {entry!r} ({target}): "
                           f"{unreadable}").at(where)
            )
            context.ok = False
            return None
        if base is None and not os.path.isfile(target):
            looked = f"looked for {target}"
            if os.path.islink(target):
                looked += f": a symbolic link to {os.readlink(target)}, which does not exist"
            context.report(
                diagnostic("IC202", f"base config {entry!r} does not exist ({looked})",
                           hint=_near_files(target)).at(where)
            )
            context.ok = False
            return None
        if base is None and not target.endswith((".py", *DATA_SUFFIXES)):
            context.report(
                diagnostic("IC211", f"base {entry!r} is not a .py, .yaml, .yml or .json file; "
                           "MMEngine reads no other kind of base").at(where)
            )
            context.ok = False
            return None
        if base is None:
            base = self.load(target)
        if verbatim and base.substituted and not base.bases:
            base = self.load_verbatim(target)
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

    def _report_ignored_bases(
        self, module: ast.Module, path: str, text: str, context: _Context
    ) -> None:
        """IC211 where dropping a nested ``_base_ = ...`` empties a block (MMEngine fails
        to compile the file), IC217 for any other ``_base_`` that names no base."""
        ignored = ignored_base_assignments(module)
        if not ignored:
            return
        from initcfg.config.evaluator import ColumnMap  # a Python config: loaded

        columns = ColumnMap(text)
        for statement, emptied in ignored:
            where = Location(path, statement.lineno,
                             columns.column(statement.lineno, statement.col_offset))
            if emptied is not None:
                context.report(diagnostic(
                    "IC211", f"MMEngine removes every `_base_ = ...` before running the file, "
                    f"which leaves this {emptied} block empty: compiling the file then "
                    "fails (ValueError: empty body)",
                    hint="list every base in one top-level `_base_ = [...]`",
                ).at(where))
                context.ok = False
            else:
                inside = "a second top-level" if statement in module.body else "a nested"
                context.report(diagnostic(
                    "IC217", f"this is {inside} `_base_ = ...`: MMEngine reads bases only "
                    "from the first top-level one and drops this one, so it inherits "
                    "nothing",
                    hint="list every base in one top-level `_base_ = [...]`",
                ).at(where))


def _near_files(target: str) -> str | None:
    folder, name = os.path.split(target)
    try:
        candidates = [
            n for n in os.listdir(folder)
            # Not the name itself: listed, yet missing, it is a link to nothing.
            if n.endswith((".py", *DATA_SUFFIXES)) and n != name
        ]
    except OSError:
        return None
    # Compare names without their suffix: a shared '.py' makes any two names look alike.
    stem, suffix = os.path.splitext(name)
    by_stem: dict[str, str] = {}
    for candidate in sorted(candidates, key=lambda n: os.path.splitext(n)[1] != suffix):
        by_stem.setdefault(os.path.splitext(candidate)[0], candidate)
    return suggest(stem, by_stem, shown=by_stem)


# Set while package_roots_kept() is active: package → root, each looked up once.
_kept_roots: dict[str, str | None] | None = None


@contextlib.contextmanager
def package_roots_kept() -> Iterator[None]:
    """Within the block, :func:`package_root` looks each package up once: a run over
    many configs asks for the same few packages (``mmdet``, ``mmengine``) again and
    again, and takes what is installed as it was when it started."""
    global _kept_roots
    outer = _kept_roots
    if outer is None:
        _kept_roots = {}
    try:
        yield
    finally:
        _kept_roots = outer


def package_root(package: str) -> str | None:
    """The folder of an installed package, found without importing it."""
    kept = _kept_roots
    if kept is not None:
        if package not in kept:
            kept[package] = _find_package_root(package)
        return kept[package]
    return _find_package_root(package)


def _find_package_root(package: str) -> str | None:
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

