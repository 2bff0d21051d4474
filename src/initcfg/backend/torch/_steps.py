"""Old import path; use :mod:`initcfg.plan.steps`."""

from __future__ import annotations

from initcfg.plan.steps import LoadSpec as LoadSpec
from initcfg.plan.steps import Origin as Origin
from initcfg.plan.steps import Source as Source
from initcfg.plan.steps import Step as Step
from initcfg.plan.steps import StepKind as StepKind
from initcfg.plan.steps import Unreached as Unreached
from initcfg.plan.steps import Write as Write
