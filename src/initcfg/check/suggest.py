"""Old import path; use :func:`initcfg.diagnostics.suggest`."""

from initcfg.diagnostics.suggest import closest as closest
from initcfg.diagnostics.suggest import did_you_mean as did_you_mean
from initcfg.diagnostics.suggest import edit_distance as edit_distance
from initcfg.diagnostics.suggest import plausible_typo as plausible_typo
