"""Types of the shared fixtures, for the test functions that take them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

WriteFile = Callable[[str, str], Path]
"""The ``write`` fixture: ``write(name, text)`` writes under tmp_path, returns the path."""

MMEngineLoad = Callable[[Path], dict[str, Any]]
"""The ``mmengine`` fixture: ``Config.fromfile(path).to_dict()``."""

Normalize = Callable[[Any], Any]
"""The ``norm`` fixture: tuples as lists, for comparing values."""

MakeProject = Callable[..., Path]
"""The ``project`` fixture of the settings tests: a project folder with a pyproject.toml."""
