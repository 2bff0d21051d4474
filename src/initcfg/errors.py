"""Errors initcfg raises when initializing a model (planning or executing it).

::

    ValueError
     └─ InitError          an initializer cannot run on this model
         ├─ InitCfgError   the init_cfg value itself is malformed (carries diagnostics)
         │   └─ InitCfgKeyError  an entry has no 'type' (also a KeyError, as in MMEngine)
         └─ CheckpointError a checkpoint cannot be read or does not fit
"""

from __future__ import annotations

from collections.abc import Sequence

from initcfg.check.diagnostics import Diagnostic


class InitError(ValueError):
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
