"""The catalogue of diagnostic codes.

Every code is defined once, with its severity and the four parts of its
documentation (what, why, example, fix). Codes are grouped by the stage that
reports them: ``IC0xx`` files and suppressions, ``IC1xx`` the init_cfg grammar,
``IC2xx`` loading configs, ``IC3xx`` fine-tune settings, ``IC4xx`` a config checked
against a model. Each group lives in its own ``rules_*`` module, beside the checks
that report it; the catalogue imports those modules by name at its first look-up
(names only: the texts are data, so this package needs no stage to be imported).
"""

from __future__ import annotations

import importlib
from typing import NamedTuple

from initcfg.diagnostics.diagnostic import Diagnostic, Severity
from initcfg.diagnostics.paths import KeyPath, format_path

# The modules whose import defines the rules (each calls define()).
_RULE_MODULES = (
    "initcfg.check.rules_general",
    "initcfg.check.rules_init",
    "initcfg.check.rules_config",
    "initcfg.check.rules_finetune",
    "initcfg.check.rules_plan",
    "initcfg.check.rules_train",
    "initcfg.check.rules_mmengine",
)


# A NamedTuple rather than a dataclass: defining it costs a tenth as much at import,
# which every `initcfg validate` pays (issue 15).
class Rule(NamedTuple):
    """One diagnostic code: its severity, and the text `initcfg explain` prints."""

    code: str
    severity: Severity
    title: str
    why: str
    example: str
    fix: str


_catalogue: dict[str, Rule] = {}
_loaded = False


def define(code: str, severity: Severity, title: str, *, why: str, example: str, fix: str) -> None:
    """Add a rule to the catalogue (called by the ``rules_*`` modules at import)."""
    if code in _catalogue:
        raise ValueError(f"diagnostic code {code} is defined twice")
    _catalogue[code] = Rule(code, severity, title, why.strip(), example.strip(), fix.strip())


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in _RULE_MODULES:
        importlib.import_module(module)


# The stage that reports each group of codes, by the digit after ``IC``.
GROUPS = {"0": "files", "1": "init_cfg", "2": "load", "3": "finetune", "4": "model"}


def group(code: str) -> str:
    """The stage that reports ``code`` (``"init_cfg"`` for ``IC103``); ``""`` if unknown."""
    return GROUPS.get(code[2:3], "") if code[:2].upper() == "IC" else ""


def all_rules() -> list[Rule]:
    """Every rule, ordered by code."""
    _load()
    return sorted(_catalogue.values(), key=lambda rule: rule.code)


def get_rule(code: str) -> Rule | None:
    _load()
    return _catalogue.get(code.upper())


def diagnostic(
    code: str, message: str, path: KeyPath | str = (), hint: str | None = None
) -> Diagnostic:
    """A diagnostic for ``code``, its severity taken from the catalogue.

    ``path`` is a key path tuple (preferred: the checker can then place the diagnostic
    at the value's source location) or an already formatted path string.
    """
    _load()
    severity = _catalogue[code].severity
    if isinstance(path, str):
        return Diagnostic(code, severity, message, path=path, hint=hint)
    return Diagnostic(code, severity, message, path=format_path(path), hint=hint, key_path=path)
