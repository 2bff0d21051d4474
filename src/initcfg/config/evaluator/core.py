"""The :class:`Evaluator`: the evaluator's parts put together into one class."""

from __future__ import annotations

from initcfg.config.evaluator.calls import CallsMixin
from initcfg.config.evaluator.containers import ContainersMixin
from initcfg.config.evaluator.expressions import ExpressionsMixin
from initcfg.config.evaluator.imports import ImportsMixin
from initcfg.config.evaluator.statements import StatementsMixin


class Evaluator(StatementsMixin, ImportsMixin, ExpressionsMixin, CallsMixin, ContainersMixin):
    """Evaluates one config file's module body into its top-level names.

    Args:
        file: The file, for locations.
        table: Where item locations are recorded.
        lazy: The file is a new-style config (``with read_base():``, imports recorded
            as dotted names); otherwise a classic one, where imports are only bound.
        base: The merged bases, reachable as ``_base_`` (classic files).
        read_base: Called for each ``from <module> import ...`` inside
            ``with read_base():`` with the module (leading dots kept) and the node; it
            returns the base module's names.
        budget: The load's budget, shared by the files it reads (a fresh one if None).
    """
