"""Old import path; use :mod:`initcfg.diagnostics` (the catalogue) instead."""

from initcfg.diagnostics.catalogue import Rule as Rule
from initcfg.diagnostics.catalogue import all_rules as all_rules
from initcfg.diagnostics.catalogue import define as define
from initcfg.diagnostics.catalogue import diagnostic as diagnostic
from initcfg.diagnostics.catalogue import get_rule as get_rule
