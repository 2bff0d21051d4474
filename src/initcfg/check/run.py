"""Validate many paths at once: walk directories, collect results, decide the exit code."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from initcfg.check.diagnostics import Diagnostic, has_errors
from initcfg.check.settings import Settings
from initcfg.check.validate import check_tree
from initcfg.config.load import CONFIG_SUFFIXES, load_tree

EXIT_CLEAN = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2

_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv", "venv"})


@dataclass(slots=True)
class RunResult:
    """Diagnostics of every file checked, and problems with the paths themselves."""

    files: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    path_errors: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.path_errors or any(d.code == "IC001" for d in self.diagnostics):
            return EXIT_USAGE
        return EXIT_ERRORS if has_errors(self.diagnostics) else EXIT_CLEAN


_CODE_LINE = re.compile(r"^(?:async\s+def|def|class)\s", re.MULTILINE)


def looks_like_code(path: str) -> bool:
    """Whether a ``.py`` file defines functions or classes at module level: a module of
    the project (a model, a dataset), not a config, which MMEngine configs never do."""
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            return _CODE_LINE.search(stream.read()) is not None
    except OSError:
        return False  # let loading report why it cannot be read


def collect_files(paths: list[str]) -> tuple[list[str], list[str]]:
    """Config files named by ``paths``, and the paths that do not exist.

    Directories are walked in sorted order; there, ``.py`` files that define functions
    or classes are skipped as project code (and :func:`validate_paths` skips data files
    whose root is not a mapping, such as OpenMMLab metafiles). A file named explicitly
    is always checked.
    """
    files: list[str] = []
    missing: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
                for name in sorted(names):
                    if not name.endswith(CONFIG_SUFFIXES):
                        continue
                    found = os.path.join(root, name)
                    if not os.path.isfile(found):
                        continue  # a fifo or device named like a config would block
                    if name.endswith(".py") and looks_like_code(found):
                        continue
                    files.append(found)
        elif path.exists():
            files.append(raw)
        else:
            missing.append(raw)
    return files, missing


def validate_paths(
    paths: list[str], settings: Settings | None = None, *, trust: bool = False
) -> RunResult:
    """Validate every config file under ``paths``."""
    files, missing = collect_files(paths)
    named = set(paths)
    result = RunResult(path_errors=[f"no such file or directory: {name}" for name in missing])
    for file in files:
        tree = load_tree(file, trust=trust)
        if file not in named and any(d.code == "IC005" for d in tree.diagnostics):
            continue  # found by a walk, and not a mapping (a metafile): not a config
        result.files.append(file)
        result.diagnostics.extend(check_tree(tree, settings))
    return result
