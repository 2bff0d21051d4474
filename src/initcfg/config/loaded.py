"""What loading one file gives (:class:`Loaded`), the process-wide cache of those
results, and what a load collects on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from initcfg.config.evaluator import LocTable
from initcfg.config.redact import EnvValue
from initcfg.diagnostics import Diagnostic, Location


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
        substituted: A classic Python file whose text had placeholders substituted (or
            reported): read through ``with read_base():``, where MMEngine substitutes
            nothing, it is read again as written.
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
    substituted: bool = False
    base_lines: tuple[int, ...] | None = None
    """The lines of this file's ``_base_`` statement (``with read_base():`` blocks), read
    off the syntax tree the load parsed; None for a file that was not parsed as Python."""
    sizes: dict[int, int] = field(default_factory=dict)
    """Tree sizes of the containers in ``data`` (see :func:`tree_size`), so that a file
    inheriting them does not walk them again."""
    environment: tuple[EnvValue, ...] = ()
    """The values environment variables put into this file and its bases."""


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
        self.substituted = False
        self.base_lines: tuple[int, ...] | None = None
        # The keys and items of the file's values when its reader counted them (a data
        # file read by the fast YAML reader, nothing merged in): no walk to size it.
        self.tree_items: int | None = None
        # A base reached by several inclusion paths brings the same findings each time:
        # each is reported once.
        self.reported: set[Diagnostic] = set()
        self.environment: list[EnvValue] = []

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
        self.environment.extend(
            value for value in base.environment if value not in self.environment
        )

    def done(self, data: dict[str, Any], **extra: Any) -> Loaded:
        extra.setdefault("style", self.style)
        return Loaded(
            self.path, data, self.table, self.root, self.diagnostics, self.files,
            self.suppressions, stamps=self.stamps, bases=self.bases, ok=self.ok,
            base_lines=self.base_lines, environment=tuple(self.environment),
            substituted=self.substituted, **extra,
        )
