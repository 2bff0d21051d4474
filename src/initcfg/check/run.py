"""Validate many paths at once: walk directories, collect results, decide the exit code."""

from __future__ import annotations

import gc
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from initcfg.check.settings import Settings, fails, project_lookups_kept, project_settings
from initcfg.check.validate import check_tree
from initcfg.config.bases import package_roots_kept
from initcfg.config.files import MAX_CONFIG_BYTES, read_regular_file
from initcfg.config.load import CONFIG_SUFFIXES, load_tree
from initcfg.diagnostics import Diagnostic, diagnostic
from initcfg.errors import EXIT_CLEAN, EXIT_ERRORS, EXIT_USAGE

# A file, a path or the settings could not be read: exit 2, whatever else was found.
USAGE_CODES = frozenset({"IC001", "IC007", "IC009"})

_COLLECT_EVERY = 1000  # files validated between two passes of the cyclic collector

_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv", "venv"})


@dataclass(slots=True)
class RunResult:
    """Diagnostics of every file checked, and problems with the paths themselves.

    Attributes:
        files: The config files checked.
        diagnostics: What was found, missing paths included (IC001).
        path_errors: One sentence per path that does not exist.
        skipped: ``(file, why)`` for each file a directory walk found and did not check.
        failed: Whether a finding reached the fail-on severity of its config's settings.
    """

    files: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    path_errors: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: bool = False

    @property
    def exit_code(self) -> int:
        if self.path_errors or any(d.code in USAGE_CODES for d in self.diagnostics):
            return EXIT_USAGE
        return EXIT_ERRORS if self.failed else EXIT_CLEAN


_CODE_LINE = re.compile(r"^(?:async\s+def|def|class)\s", re.MULTILINE)


def looks_like_code(path: str) -> bool:
    """Whether a ``.py`` file defines functions or classes at module level: a module of
    the project (a model, a dataset), not a config, which MMEngine configs never do."""
    try:
        # Bounded as loading is: a huge file named like a config is never read whole.
        data, _ = read_regular_file(path, MAX_CONFIG_BYTES)
    except OSError:
        return False  # let loading report why it cannot be read
    return _CODE_LINE.search(data.decode("utf-8", errors="replace")) is not None


# Why a walk skipped a file, as the summary line counts them.
SKIPPED_AS_CODE = "project code"  # a .py file that defines functions or classes
SKIPPED_AS_DATA = "not a config"  # its root is not a mapping (an OpenMMLab metafile)
SKIPPED_AS_SPECIAL = "not a regular file"  # a fifo or a device named like a config


def collect_files(
    paths: list[str],
    skipped: list[tuple[str, str]] | None = None,
    *,
    skip_non_configs: bool = False,
) -> tuple[list[str], list[str]]:
    """Config files named by ``paths``, and the paths that do not exist.

    Directories are walked in sorted order; there, ``.py`` files that define functions
    or classes are skipped as project code (and :func:`validate_paths` skips data files
    whose root is not a mapping, such as OpenMMLab metafiles); each is added to
    ``skipped`` with the reason. A file named explicitly is always checked, unless
    ``skip_non_configs`` applies the walk's rules to it too.
    """
    files: list[str] = []
    missing: list[str] = []
    # Each file once, however it is named (a.py, ./a.py, its folder). Not through
    # symlinks: a link resolves its relative bases from where it is, as MMEngine does.
    met: set[str] = set()

    def add(name: str) -> None:
        real = os.path.abspath(name)
        if real not in met:
            met.add(real)
            files.append(name)

    for raw in paths:
        path = Path(raw)
        if not raw:
            missing.append(raw)  # Path("") is the working folder: never walk it unasked
        elif path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
                for name in sorted(names):
                    if not name.endswith(CONFIG_SUFFIXES):
                        continue
                    found = os.path.join(root, name)
                    if not os.path.isfile(found):
                        # A fifo or device named like a config would block reading.
                        if skipped is not None:
                            skipped.append((found, SKIPPED_AS_SPECIAL))
                        continue
                    if name.endswith(".py") and looks_like_code(found):
                        if skipped is not None:
                            skipped.append((found, SKIPPED_AS_CODE))
                        continue
                    add(found)
        elif path.exists():
            if skip_non_configs:
                # What a walk from here never looks at (the folders of a relative path
                # are those a walk from the working folder would pass).
                inside = () if path.is_absolute() else path.parts[:-1]
                if not raw.endswith(CONFIG_SUFFIXES) or _SKIPPED_DIRS.intersection(inside):
                    continue
                why = (
                    SKIPPED_AS_SPECIAL if not path.is_file()
                    else SKIPPED_AS_CODE if raw.endswith(".py") and looks_like_code(raw)
                    else None
                )
                if why is not None:
                    if skipped is not None:
                        skipped.append((raw, why))
                    continue
            add(raw)
        else:
            missing.append(raw)
    return files, missing


def validate_paths(
    paths: list[str],
    settings: Settings | None = None,
    *,
    trust: bool = False,
    skip_non_configs: bool = False,
) -> RunResult:
    """Validate every config file under ``paths`` (``skip_non_configs``: skip the files
    named that a walk would skip, see :func:`collect_files`).

    A path that does not exist is an IC001 diagnostic (and a ``path_errors`` entry).
    Problems of a pyproject.toml that several configs share are reported once.
    """
    settings = settings or Settings()
    result = RunResult()
    files, missing = collect_files(paths, result.skipped, skip_non_configs=skip_non_configs)
    named = set() if skip_non_configs else set(paths)
    for name in missing:
        why = (f"no such file or directory: {name}" if name
               else "an empty path names no file (an unset variable?)")
        result.path_errors.append(why)
        result.diagnostics.append(
            replace(
                diagnostic("IC001", why),
                file=name,
                config=name,
            )
        )
    reported: set[tuple[str, str | None, int | None, str]] = set()
    # The installed packages are looked up once per run (scopes, `pkg::` bases).
    # The checks allocate many small objects and free them by reference counting; the
    # cyclic collector's passes over everything kept (the base cache, the findings so
    # far) cost about a tenth of the run. It is paused for the run, as load_tree pauses
    # it for a load, and collects what a thousand files left (a few cycles each), even
    # for a caller that keeps it off: memory stays bounded on a long run.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with package_roots_kept(), project_lookups_kept():
            for index, file in enumerate(files):
                if index % _COLLECT_EVERY == _COLLECT_EVERY - 1:
                    gc.collect(1)
                _validate_file(file, trust, settings, named, reported, result)
    finally:
        if collecting:
            gc.enable()
    return result


def _validate_file(
    file: str,
    trust: bool,
    settings: Settings,
    named: set[str],
    reported: set[tuple[str, str | None, int | None, str]],
    result: RunResult,
) -> None:
    """Load and check one file of a run, adding what it finds to ``result``."""
    tree = load_tree(file, trust=trust)
    if file not in named and any(d.code == "IC005" for d in tree.diagnostics):
        result.skipped.append((file, SKIPPED_AS_DATA))
        return  # found by a walk, and not a mapping (a metafile): not a config
    result.files.append(file)
    found = []
    project = project_settings(file)
    for item in check_tree(tree, settings, project=project):
        if item.file is not None and item.file == item.config and item.code in (
            "IC007", "IC008", "IC009"
        ):
            key = (item.code, item.file, item.line, item.message)
            if key in reported:
                continue  # the same pyproject.toml, met again through another config
            reported.add(key)
        found.append(item)
    threshold = project.fail_threshold(settings)
    result.failed = result.failed or fails(found, threshold)
    result.diagnostics.extend(found)
