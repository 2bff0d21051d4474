"""Old import path; use :mod:`initcfg.diagnostics`."""

from initcfg.diagnostics.diagnostic import SEVERITY_RANK as SEVERITY_RANK
from initcfg.diagnostics.diagnostic import Diagnostic as Diagnostic
from initcfg.diagnostics.diagnostic import Severity as Severity
from initcfg.diagnostics.diagnostic import has_errors as has_errors
from initcfg.diagnostics.diagnostic import sort_key as sort_key
