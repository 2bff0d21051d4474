"""Old import path; use :mod:`initcfg.plan.trace`."""

from __future__ import annotations

from initcfg.plan.trace import Trace as Trace
from initcfg.plan.trace import TracedWrite as TracedWrite
from initcfg.plan.trace import trace_init_weights as trace_init_weights
