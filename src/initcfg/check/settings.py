"""Project settings from ``[tool.initcfg]`` in the nearest pyproject.toml, merged with
the command line's, and the rule selection they make (ruff is the model).

Reading the table never raises: broken TOML (IC007), an unknown key (IC008, with a
did-you-mean) and a value of the wrong kind (IC009) are diagnostics placed in the
pyproject.toml, and the rest of the table still applies.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, cast

from initcfg.diagnostics import (
    SEVERITY_RANK,
    Diagnostic,
    Location,
    Severity,
    all_rules,
    closest,
    diagnostic,
    did_you_mean,
    suggest,
)

__all__ = [
    "ALWAYS_REPORTED",
    "SETTINGS_KEYS",
    "ProjectSettings",
    "Settings",
    "check_selector",
    "project_extra_layers",
    "project_settings",
]

FailOn = Literal["error", "warning", "info"]

# Problems that mean a file or the settings were not read: nothing was checked, so no
# selection may hide them.
ALWAYS_REPORTED = frozenset({"IC001", "IC002", "IC007", "IC009"})


def _beyond_selection(item: Diagnostic) -> bool:
    """A problem that ``select`` does not hide, though ``ignore`` may: the load's own
    errors (IC0xx, IC2xx: the config, or part of it, was not loaded as MMEngine loads it,
    so the selected checks did not see it) and a [tool.initcfg] key initcfg does not
    read (IC008: a misspelt setting that the selection would otherwise keep quiet)."""
    if item.code == "IC008":
        return True
    return item.severity == "error" and item.code.startswith(("IC0", "IC2"))

# The keys of [tool.initcfg] and what each holds.
SETTINGS_KEYS: dict[str, str] = {
    "extra-layers": "a list of class names",
    "extra-optimizers": "a list of optimizer type names",
    "extra-schedulers": "a list of parameter scheduler type names",
    "select": "a list of codes or code prefixes",
    "ignore": "a list of codes or code prefixes",
    "per-file-ignores": "a table of glob pattern = list of codes or code prefixes",
    "fail-on": "'error', 'warning' or 'info'",
}

_SELECTOR = re.compile(r"^IC\d{0,3}$")


@dataclass(frozen=True, slots=True)
class Settings:
    """Options that shape the checks (the command line's, or a library caller's).

    Attributes:
        extra_layers: Names of the project's own module classes, valid in ``layer``.
        strict: Also report unknown layer names and suppressions that silence nothing.
        fs_checks: Check that local paths (``load_from``) exist.
        fs_checks_option: The caller's option that turns ``fs_checks`` off, named in
            hints (``--no-fs-checks`` for the commands that have it); None names none.
        select: Codes or code prefixes to report (``IC3``, ``IC115``); None: all. Replaces
            ``[tool.initcfg] select``.
        ignore: Codes or code prefixes never to report; adds to ``[tool.initcfg] ignore``.
        fail_on: The least severity that fails the run (exit 1); None: the project's
            ``fail-on``, else ``"error"``.
        extra_optimizers: Optimizer types the project registers (``LARS``).
        extra_schedulers: Parameter scheduler types the project registers.
        registered_names: Also accept the names that the config's scope packages
            (``default_scope``, ``_scope_``, a ``mmpretrain.LARS`` spelling), when
            installed, register in their registries, and the classes they define as
            ``layer`` names (read from their source, never imported).
    """

    extra_layers: frozenset[str] = frozenset()
    strict: bool = False
    fs_checks: bool = True
    fs_checks_option: str | None = None
    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()
    fail_on: FailOn | None = None
    extra_optimizers: frozenset[str] = frozenset()
    extra_schedulers: frozenset[str] = frozenset()
    registered_names: bool = True


@dataclass(frozen=True, slots=True)
class ProjectSettings:
    """``[tool.initcfg]`` of one pyproject.toml, read and checked.

    Attributes:
        file: The pyproject.toml, or None when there is none.
        extra_layers: ``extra-layers``.
        extra_optimizers: ``extra-optimizers``.
        extra_schedulers: ``extra-schedulers``.
        select: ``select`` (None when absent: every code).
        ignore: ``ignore``.
        per_file_ignores: ``per-file-ignores`` as (glob pattern, selectors) pairs;
            patterns are relative to the pyproject.toml's folder.
        fail_on: ``fail-on`` (None when absent).
        diagnostics: Problems with the file or the table (IC007, IC008, IC009).
    """

    file: str | None = None
    extra_layers: frozenset[str] = frozenset()
    extra_optimizers: frozenset[str] = frozenset()
    extra_schedulers: frozenset[str] = frozenset()
    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()
    fail_on: FailOn | None = None
    diagnostics: tuple[Diagnostic, ...] = field(default=(), compare=False)

    def fail_threshold(self, settings: Settings) -> FailOn:
        """The least severity that fails a run: the command line's, the project's,
        else ``"error"``."""
        return settings.fail_on or self.fail_on or "error"

    def reports(self, item: Diagnostic, settings: Settings, config: str | None) -> bool:
        """Whether ``item`` (found checking ``config``) passes the selection."""
        if item.code in ALWAYS_REPORTED:
            return True
        select = settings.select if settings.select is not None else self.select
        if select is not None and not _matches(item.code, select) and not _beyond_selection(item):
            return False
        if _matches(item.code, settings.ignore | self.ignore):
            return False
        return not any(
            _matches(item.code, codes)
            for pattern, codes in self.per_file_ignores
            if self._file_matches(pattern, config) or self._file_matches(pattern, item.file)
        )

    def _file_matches(self, pattern: str, file: str | None) -> bool:
        if file is None:
            return False
        absolute = os.path.abspath(file)
        if self.file is not None:
            root = os.path.dirname(os.path.abspath(self.file))
            relative = os.path.relpath(absolute, root)
            if not relative.startswith(".."):
                absolute = relative
        shown = absolute.replace(os.sep, "/")
        # A pattern without a slash names files anywhere (as ruff and .gitignore do).
        if "/" not in pattern:
            return fnmatch.fnmatchcase(os.path.basename(shown), pattern)
        return fnmatch.fnmatchcase(shown, pattern.lstrip("./"))


def _setting_meant(key: str) -> str | None:
    """The setting ``key`` was meant to be: itself in kebab case, else the closest."""
    spelled = key.replace("_", "-").casefold()
    return spelled if spelled in SETTINGS_KEYS else closest(key, SETTINGS_KEYS)


def _matches(code: str, selectors: Iterable[str]) -> bool:
    return any(selector == "ALL" or code.startswith(selector) for selector in selectors)


def _known_codes() -> list[str]:
    return [rule.code for rule in all_rules()]


def check_selector(selector: str) -> str | None:
    """Why ``selector`` selects no code (with a did-you-mean), or None when it is a
    code, a prefix of codes (``IC3``) or ``ALL``."""
    text = selector.strip().upper()
    codes = _known_codes()
    if text == "ALL" or (_SELECTOR.match(text) and any(c.startswith(text) for c in codes)):
        return None
    hint = did_you_mean(text, codes)
    return f"{selector!r} is not a diagnostic code or a prefix of one" + (
        f"; {hint}" if hint else " (codes look like IC115; `initcfg explain` lists them)"
    )


# Set while project_lookups_kept() is active: folder -> (real folder, pyproject.toml).
_kept_lookups: dict[str, tuple[str, str | None]] | None = None


@contextlib.contextmanager
def project_lookups_kept() -> Iterator[None]:
    """Within the block, each folder's real path and nearest pyproject.toml are looked
    up once: the configs of one run share a few folders. Outside it every call looks
    again, so a long-lived caller sees a pyproject.toml created since its last call."""
    global _kept_lookups
    outer = _kept_lookups
    if outer is None:
        _kept_lookups = {}
    try:
        yield
    finally:
        _kept_lookups = outer


def _project_folder(folder: str) -> tuple[str, str | None]:
    """The real path of a config's folder, and the pyproject.toml nearest to it."""
    kept = _kept_lookups
    if kept is not None and folder in kept:
        return kept[folder]
    real = os.path.realpath(folder)
    found = (real, _pyproject_for(real))
    if kept is not None:
        kept[folder] = found
    return found


def _pyproject_for(directory: str) -> str | None:
    folder = directory
    while True:
        candidate = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


_ASSIGNMENT = re.compile(r"^\s*[\"']?([^\"'=\s]+)[\"']?\s*=")


def _key_lines(text: str, after: int) -> dict[str, int]:
    """Key → 1-based line of its first assignment from line ``after`` on, in one pass
    (TOML gives values no positions, so the text is searched)."""
    found: dict[str, int] = {}
    for number, line in enumerate(text.splitlines()[after:], after + 1):
        match = _ASSIGNMENT.match(line)
        if match is not None:
            found.setdefault(match.group(1), number)
    return found


class _Reader:
    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.text = text
        header = re.search(r"^\s*\[\s*tool\s*\.\s*initcfg\s*\]", text, re.MULTILINE)
        self.header_line = text.count("\n", 0, header.start()) + 1 if header else 1
        self.key_lines = _key_lines(text, self.header_line - 1)
        self.diagnostics: list[Diagnostic] = []

    def report(self, code: str, message: str, key: str | None, hint: str | None = None) -> None:
        line = self.key_lines.get(key, self.header_line) if key else self.header_line
        where = Location(self.file, line, 1)
        self.diagnostics.append(diagnostic(code, message, "", hint).at(where, self.file))

    def names(self, section: Mapping[str, Any], key: str) -> frozenset[str] | None:
        value = section.get(key)
        if value is None:
            return None
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return frozenset(value)
        self.report(
            "IC009",
            f"[tool.initcfg] {key} must be {SETTINGS_KEYS[key]} (got {_kind(value)}); "
            "it is ignored",
            key,
        )
        return None

    def selectors(self, section: Mapping[str, Any], key: str) -> frozenset[str] | None:
        names = self.names(section, key)
        if names is None:
            return None
        kept = set()
        for name in sorted(names):
            problem = check_selector(name)
            if problem is None:
                kept.add(name.strip().upper())
            else:
                self.report("IC009", f"[tool.initcfg] {key}: {problem}", key)
        if key == "select" and not kept:
            # An empty selection would hide every finding and pass every config.
            if not names:
                self.report(
                    "IC009", "[tool.initcfg] select is empty: it would report no code; "
                    "it is ignored", key, "remove it to report every code",
                )
            return None
        return frozenset(kept)

    def per_file_ignores(
        self, section: Mapping[str, Any]
    ) -> tuple[tuple[str, frozenset[str]], ...]:
        key = "per-file-ignores"
        value = section.get(key)
        if value is None:
            return ()
        if not isinstance(value, dict):
            self.report(
                "IC009", f"[tool.initcfg] {key} must be {SETTINGS_KEYS[key]} "
                f"(got {_kind(value)}); it is ignored", key,
            )
            return ()
        pairs = []
        for pattern, codes in value.items():
            selectors = self.selectors({key: codes}, key) if codes is not None else None
            if selectors:
                pairs.append((str(pattern), selectors))
        return tuple(pairs)

    def fail_on(self, section: Mapping[str, Any]) -> FailOn | None:
        value = section.get("fail-on")
        if value is None:
            return None
        if isinstance(value, str) and value in SEVERITY_RANK:
            return cast(FailOn, value)
        hint = did_you_mean(value, SEVERITY_RANK) if isinstance(value, str) else None
        self.report(
            "IC009",
            f"[tool.initcfg] fail-on must be {SETTINGS_KEYS['fail-on']} (got {value!r}); "
            "'error' applies",
            "fail-on",
            hint,
        )
        return None


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list holding " + ", ".join(sorted({type(item).__name__ for item in value}))
    return f"{type(value).__name__} {value!r}"[:80]


def _problem_place(error: Exception) -> tuple[int, int]:
    # tomllib puts "(at line N, column M)" at the end of its message.
    found = re.search(r"at line (\d+), column (\d+)", str(error))
    return (int(found.group(1)), int(found.group(2))) if found else (1, 1)


def _shown(path: str) -> str:
    """``path`` as a user in the working directory would write it: relative when it lies
    under that directory, else unchanged. Annotations and SARIF locations are resolved
    against the repository's root, where an absolute path of the CI machine names
    nothing."""
    try:
        relative = os.path.relpath(path, os.getcwd())
    except (OSError, ValueError):  # no working directory, or another drive on Windows
        return path
    return path if relative == os.pardir or relative.startswith(os.pardir + os.sep) else relative


@lru_cache(maxsize=64)
def _read(pyproject: Path, shown: str, _stamp: tuple[int, int]) -> ProjectSettings:
    # `file` (absolute) anchors per-file-ignores; `shown` is what diagnostics name.
    file = str(pyproject)
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problem = diagnostic("IC007", f"cannot read {shown}: {error}").at(
            Location(shown, 1, 1), shown
        )
        return ProjectSettings(file=file, diagnostics=(problem,))
    # Imported here: most configs have no pyproject.toml above them (and its parser
    # costs a share of a one-file validate's start-up).
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        table = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as error:
        # tomllib recurses into nested arrays and tables: absurd nesting is RecursionError.
        if "initcfg" not in text:
            return ProjectSettings(file=file)  # not ours to judge: no initcfg settings in it
        problem = diagnostic(
            "IC007",
            f"{os.path.basename(file)} is not valid TOML "
            f"({error if isinstance(error, tomllib.TOMLDecodeError) else 'nested too deeply'}); "
            "its [tool.initcfg] "
            "settings are not applied",
        ).at(Location(shown, *_problem_place(error)), shown)
        return ProjectSettings(file=file, diagnostics=(problem,))
    tool = table.get("tool")
    section = tool.get("initcfg") if isinstance(tool, dict) else None
    if section is None:
        return ProjectSettings(file=file)
    reader = _Reader(shown, text)
    if not isinstance(section, dict):
        reader.report("IC009", "[tool.initcfg] must be a table", None)
        return ProjectSettings(file=file, diagnostics=tuple(reader.diagnostics))
    for key in section:
        if key not in SETTINGS_KEYS:
            hint = suggest(key, matcher=_setting_meant)
            reader.report(
                "IC008",
                f"[tool.initcfg] has no setting {key!r}; it is ignored",
                key,
                hint or f"settings: {', '.join(SETTINGS_KEYS)}",
            )
    return ProjectSettings(
        file=file,
        extra_layers=reader.names(section, "extra-layers") or frozenset(),
        extra_optimizers=reader.names(section, "extra-optimizers") or frozenset(),
        extra_schedulers=reader.names(section, "extra-schedulers") or frozenset(),
        select=reader.selectors(section, "select"),
        ignore=reader.selectors(section, "ignore") or frozenset(),
        per_file_ignores=reader.per_file_ignores(section),
        fail_on=reader.fail_on(section),
        diagnostics=tuple(reader.diagnostics),
    )


def project_settings(config_file: str | None) -> ProjectSettings:
    """``[tool.initcfg]`` of the pyproject.toml nearest to the config file (or to the
    working directory for a config given as a mapping). Never raises."""
    try:
        if not config_file:
            found = _pyproject_for(os.getcwd())
        elif os.path.islink(config_file):
            found = _pyproject_for(os.path.dirname(os.path.realpath(config_file)))
        else:
            _, found = _project_folder(os.path.dirname(os.path.abspath(config_file)))
    except (OSError, ValueError):
        return ProjectSettings()
    if found is None:
        return ProjectSettings()
    pyproject = Path(found)
    try:
        status = pyproject.stat()
    except OSError:
        return ProjectSettings()
    # Keyed on size and mtime too, so an edited pyproject.toml is read again.
    # Named as the config is: absolute beside an absolute config, else from the
    # working directory.
    shown = found if config_file and os.path.isabs(config_file) else _shown(found)
    return _read(pyproject, shown, (status.st_size, status.st_mtime_ns))


def project_extra_layers(config_file: str | None) -> frozenset[str]:
    """``[tool.initcfg] extra-layers`` of the pyproject.toml nearest to the config file
    (or to the working directory for a config given as a mapping)."""
    return project_settings(config_file).extra_layers


def with_config(items: Iterable[Diagnostic], config: str | None) -> list[Diagnostic]:
    """``items`` with ``config`` set where it is not yet."""
    return [item if item.config is not None else replace(item, config=config) for item in items]


def fails(items: Iterable[Diagnostic], threshold: Severity) -> bool:
    """Whether any of ``items`` is at least as severe as ``threshold``."""
    limit = SEVERITY_RANK[threshold]
    return any(SEVERITY_RANK[item.severity] <= limit for item in items)
