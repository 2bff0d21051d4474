"""Every error initcfg raises for its callers, and the exit status each stands for.

::

    Exception
     └─ InitcfgError              the root: ``exit_code``, the status a command exits with
         ├─ ConfigLoadError       a config cannot be loaded completely (also ValueError)
         ├─ InitError             an initializer cannot run on this model (also ValueError)
         │   ├─ InitCfgError      the init_cfg value itself is malformed (carries diagnostics)
         │   │   └─ InitCfgKeyError  an entry has no 'type' (also a KeyError, as in MMEngine)
         │   └─ CheckpointError   a checkpoint cannot be read or does not fit
         ├─ FactoryError          a ``module:callable`` factory fails (also ValueError)
         ├─ PlanFileError         a plan file is not an init plan of a known format (also
         │                        ValueError)
         └─ TrainError            a problem that stops ``initcfg train``

The exit statuses of every command are defined here once: 0 clean, 1 errors found,
2 usage (or input that cannot be read), 130 interrupted. This module imports only
:mod:`initcfg.diagnostics` (no torch), so any layer may raise or catch these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from initcfg.diagnostics import Diagnostic, KeyPath, Location, format_path, group

EXIT_CLEAN = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

__all__ = [
    "EXIT_CLEAN",
    "EXIT_ERRORS",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "CheckpointError",
    "ConfigLoadError",
    "FactoryError",
    "InitCfgError",
    "InitCfgKeyError",
    "InitError",
    "InitcfgError",
    "PlanFileError",
    "TrainError",
    "error_for",
]


class InitcfgError(Exception):
    """The root of initcfg's errors; ``exit_code`` is the status a command exits with."""

    exit_code: int = EXIT_ERRORS


class _Locates(Protocol):
    def location(self, path: KeyPath) -> Location | None: ...


class ConfigLoadError(InitcfgError, ValueError):
    """A config that cannot be loaded completely, raised by :func:`load_config`.

    A load that fails part way (a missing base, a syntax error, a construct the safe
    evaluator does not support, a merge MMEngine refuses) would leave values that look
    complete but are not: ``load_config`` raises this instead of returning them.

    Attributes:
        path: The config file, as given.
        diagnostics: Every problem the load found (at least one is an error), located
            as :func:`initcfg.validate` reports them.
    """

    exit_code = EXIT_USAGE

    def __init__(self, path: str, diagnostics: list[Diagnostic]) -> None:
        self.path = path
        self.diagnostics = diagnostics
        errors = [item for item in diagnostics if item.severity == "error"]
        summary = "; ".join(
            f"{item.code} {item.message}"
            + (f" ({item.file}" + (f":{item.line})" if item.line else ")")
               if item.file is not None else "")
            for item in errors[:3]
        )
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        super().__init__(f"cannot load {path}: {summary}{more}")


class InitError(InitcfgError, ValueError):
    """An initializer cannot be applied to this model (MMEngine would raise too)."""

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.diagnostics: list[Diagnostic] = list(diagnostics)


class InitCfgError(InitError):
    """An ``init_cfg`` value breaks the grammar; ``diagnostics`` says where and why."""

    @classmethod
    def from_diagnostics(cls, diagnostics: Sequence[Diagnostic], what: str) -> InitCfgError:
        errors = [d for d in diagnostics if d.severity == "error"]
        lines = [f"{what} is not a valid init_cfg:"]
        for item in errors:
            where = f"{item.path}: " if item.path else ""
            hint = f" ({item.hint})" if item.hint else ""
            lines.append(f"  {item.code} {where}{item.message}{hint}")
        return cls("\n".join(lines), diagnostics)


class InitCfgKeyError(InitCfgError, KeyError):
    """An entry given to ``initialize`` has no ``type``: ``{}`` included.

    ``mmengine.model.initialize`` raises KeyError there, so this is a KeyError too; code
    written against MMEngine catches it unchanged.
    """

    def __str__(self) -> str:
        # KeyError quotes its message as a key; this one is a sentence.
        return BaseException.__str__(self)


class CheckpointError(InitError):
    """A checkpoint cannot be resolved, read, or has no key under the prefix."""


class FactoryError(InitcfgError, ValueError):
    """A factory cannot be imported or called, or returns something unexpected.

    Attributes:
        message: What went wrong.
        path: The config key path of the ``type`` value, when it came from a config.
        hint: How to fix it.
        code: The diagnostic code (``IC24x``) of a refusal, None for other failures.
    """

    exit_code = EXIT_USAGE

    def __init__(
        self, message: str, path: KeyPath = (), hint: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.hint = hint
        self.code = code


class PlanFileError(InitcfgError, ValueError):
    """A plan's JSON that cannot be read back (:meth:`InitPlan.load`, ``loads``,
    ``from_json``): not JSON, not of a known format, or a field missing or of the wrong
    kind. Nothing was built from it, so nothing was written to a model.

    Attributes:
        diagnostics: One diagnostic (IC001 unreadable, IC002 not JSON, IC010 not a plan
            of format 1) whose ``path`` is the JSON path of the field
            (``steps[3].trace.replay[0][3]``), located in the file when there is one.
    """

    exit_code = EXIT_USAGE

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        first = self.diagnostics[0]
        where = f"{first.file}:{first.line}:{first.column}: " if first.file else ""
        at = f"{first.path}: " if first.path else ""
        super().__init__(f"{where}{first.code} {at}{first.message}")


class TrainError(InitcfgError):
    """A problem that stops ``initcfg train``; the CLI prints it without a traceback.

    Attributes:
        message: What went wrong, in the user's words.
        path: The config key path it concerns, when there is one.
        hint: How to fix it.
        exit_code: The process exit status (1 for bad input, 130 for an interrupt).
        code: The diagnostic code (``IC24x`` factories, ``IC47x`` the work dir), when
            the problem has one.
    """

    def __init__(
        self,
        message: str,
        path: KeyPath = (),
        hint: str | None = None,
        exit_code: int = EXIT_ERRORS,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.hint = hint
        self.exit_code = exit_code
        self.code = code

    def render(self, tree: _Locates | None = None) -> str:
        """``file:line:col: path: message (hint)``, the compiler-style one-liner."""
        where = ""
        if tree is not None and self.path:
            location = tree.location(self.path)
            if location is not None:
                where = f"{location.file}:{location.line}:{location.column}: "
        key = f"{format_path(self.path)}: " if self.path else ""
        hint = f"\n  hint: {self.hint}" if self.hint else ""
        return f"{where}{key}{self.message}{hint}"


# The error a failed init plan raises, by the group of its first error's code.
_ERROR_FOR_GROUP: dict[str, type[InitError]] = {"init_cfg": InitCfgError}


def error_for(diagnostics: Sequence[Diagnostic], what: str) -> InitError | None:
    """The error the error diagnostics stand for (None when there are none): an
    :class:`InitCfgError` for the init_cfg grammar's, a :class:`CheckpointError` when
    every one is a checkpoint that cannot be read, else an :class:`InitError`."""
    errors = [d for d in diagnostics if d.severity == "error"]
    if not errors:
        return None
    for item in errors:
        if _ERROR_FOR_GROUP.get(group(item.code)) is InitCfgError:
            return InitCfgError.from_diagnostics(diagnostics, what)
    message = "; ".join(
        f"{d.code} {d.message}" + (f" ({d.hint})" if d.hint else "") for d in errors
    )
    if all(d.code == "IC409" for d in errors):
        return CheckpointError(message, diagnostics)
    return InitError(message, diagnostics)
