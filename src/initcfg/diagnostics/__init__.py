"""What every stage reports with: the diagnostic type, the rule catalogue, where a
value was written, and the one helper that suggests what a typo meant.

A stage returns :class:`Diagnostic` values (made with :func:`diagnostic`, which takes
a code's severity from the catalogue); :func:`place` puts them at the file, line and
column of their key path; renderers print them late. This package is the bottom
layer: it imports nothing else of initcfg (the catalogue reads the rule texts from
the ``initcfg.check.rules_*`` modules by name, at its first look-up).
"""

from initcfg.diagnostics.catalogue import (
    GROUPS,
    Rule,
    all_rules,
    define,
    diagnostic,
    get_rule,
    group,
)
from initcfg.diagnostics.diagnostic import (
    SEVERITY_RANK,
    Diagnostic,
    Severity,
    has_errors,
    sort_key,
)
from initcfg.diagnostics.paths import KeyPath, Location, format_path
from initcfg.diagnostics.place import place
from initcfg.diagnostics.suggest import (
    closest,
    did_you_mean,
    edit_distance,
    plausible_typo,
    suggest,
)

__all__ = [
    "GROUPS",
    "SEVERITY_RANK",
    "Diagnostic",
    "KeyPath",
    "Location",
    "Rule",
    "Severity",
    "all_rules",
    "closest",
    "define",
    "diagnostic",
    "did_you_mean",
    "edit_distance",
    "format_path",
    "get_rule",
    "group",
    "has_errors",
    "place",
    "plausible_typo",
    "sort_key",
    "suggest",
]
