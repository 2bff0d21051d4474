"""The one diagnostic type every stage reports with.

A diagnostic is data: stages return them, renderers print them. The severity of a
code is fixed by the rule catalogue (:mod:`initcfg.diagnostics.catalogue`), so producers only
name the code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Literal

from initcfg.diagnostics.paths import KeyPath, Location, format_path

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a config.

    Attributes:
        code: Stable rule code such as ``IC103`` (``initcfg explain IC103``).
        severity: ``"error"``, ``"warning"`` or ``"info"``.
        message: What is wrong, in the user's words.
        path: Config key path (``model.backbone.init_cfg[1].layer``); empty for the file.
        file: File the offending value was written in, if known.
        line: 1-based line in ``file``.
        column: 1-based column in ``file``.
        hint: How to fix it; for a typo, the one :func:`initcfg.diagnostics.suggest` makes.
        config: The config file the user asked to check, as given; differs from
            ``file`` when the value came from a base config. None for a config given
            as a mapping.
        key_path: ``path`` as a tuple, when known; used to look up source locations.
    """

    code: str
    severity: Severity
    message: str
    path: str = ""
    file: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None
    config: str | None = field(default=None, compare=False)
    key_path: KeyPath | None = field(default=None, compare=False, repr=False)

    @property
    def inherited(self) -> bool:
        """Whether the value lies in another file than the config that was checked
        (a base config)."""
        if self.config is None or self.file is None or self.file == self.config:
            return False
        return os.path.abspath(self.file) != os.path.abspath(self.config)

    @property
    def location(self) -> Location | None:
        if self.file is None:
            return None
        return Location(self.file, self.line or 1, self.column or 1)

    def at(self, location: Location | None, config: str | None = None) -> Diagnostic:
        """This diagnostic placed at ``location`` (kept as is when ``location`` is None),
        found checking ``config``."""
        if location is None:
            return replace(self, config=config) if config else self
        file = location.file
        if config is not None:
            if os.path.abspath(config) == os.path.abspath(location.file):
                file = config  # the user's own spelling of the file they asked about
            elif not os.path.isabs(config):
                file = _relative_if_below_cwd(file)
        return replace(
            self,
            file=file,
            line=location.line,
            column=location.column,
            config=config if config is not None else self.config,
        )

    def under(self, prefix: KeyPath) -> Diagnostic:
        """This diagnostic with its key path moved under ``prefix``."""
        if not prefix:
            return self
        key_path = prefix + self.key_path if self.key_path is not None else None
        head = format_path(prefix)
        if not self.path:
            return replace(self, path=head, key_path=key_path)
        joiner = "" if self.path.startswith("[") else "."
        return replace(self, path=f"{head}{joiner}{self.path}", key_path=key_path)

    def to_json(self) -> dict[str, object]:
        """The JSON object of the ``--format json`` contract."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
            "config": self.config,
        }


def _relative_if_below_cwd(file: str) -> str:
    """``file`` relative to the working directory when it lies below it."""
    if not os.path.isabs(file):
        return file
    try:
        relative = os.path.relpath(file)
    except ValueError:  # another drive on Windows
        return file
    return file if relative.startswith("..") else relative


def sort_key(diagnostic: Diagnostic) -> tuple[str, bool, str, int, int, int, str]:
    """Config by config; in each, the config's own findings first, then each base
    file's, every file's by line and column."""
    return (
        diagnostic.config or diagnostic.file or "",
        diagnostic.inherited,
        diagnostic.file or "",
        diagnostic.line or 0,
        diagnostic.column or 0,
        SEVERITY_RANK[diagnostic.severity],
        diagnostic.code,
    )


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)
