"""Project settings from ``[tool.initcfg]`` in the nearest pyproject.toml."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


@dataclass(frozen=True, slots=True)
class Settings:
    """Options that shape the checks.

    Attributes:
        extra_layers: Names of the project's own module classes, valid in ``layer``.
        strict: Also report unknown layer names and suppressions that silence nothing.
        fs_checks: Check that local paths (``load_from``) exist.
        fs_checks_option: The caller's option that turns ``fs_checks`` off, named in
            hints (``--no-fs-checks`` for the commands that have it); None names none.
    """

    extra_layers: frozenset[str] = frozenset()
    strict: bool = False
    fs_checks: bool = True
    fs_checks_option: str | None = None


@lru_cache(maxsize=256)
def _pyproject_for(directory: Path) -> Path | None:
    for folder in (directory, *directory.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


@lru_cache(maxsize=64)
def _extra_layers_in(pyproject: Path) -> frozenset[str]:
    try:
        table = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return frozenset()
    tool = table.get("tool")
    section = tool.get("initcfg") if isinstance(tool, dict) else None
    names = section.get("extra-layers") if isinstance(section, dict) else None
    if not isinstance(names, list):  # absent, or not the documented list of names
        return frozenset()
    return frozenset(name for name in names if isinstance(name, str))


def project_extra_layers(config_file: str | None) -> frozenset[str]:
    """``[tool.initcfg] extra-layers`` of the pyproject.toml nearest to the config file
    (or to the working directory for a config given as a mapping)."""
    start = Path(config_file).resolve().parent if config_file else Path.cwd()
    pyproject = _pyproject_for(start)
    return _extra_layers_in(pyproject) if pyproject else frozenset()
