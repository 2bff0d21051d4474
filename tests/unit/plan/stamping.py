"""Planning a model with and without repeat kinds, for the tests that hold stamped plans
to the plans a visit of every module makes."""

from __future__ import annotations

import copy
from typing import Any

from torch import nn

from initcfg.plan.init_cfg_source import _frozen
from initcfg.plan.module_index import ModuleIndex
from initcfg.plan.planner import Planner


def planned(model: nn.Module, *, kinds: bool, **options: Any) -> Planner:
    """The planner after ``init_weights`` on ``model``: with ``kinds``, repeated blocks
    are stamped; without, every module is visited. ``source`` is deep-copied first."""
    source = options.pop("source", None)
    index = ModuleIndex(model, init_cfg_key=_frozen) if kinds else ModuleIndex(model)
    planner = Planner(model, copy.deepcopy(source), index=index, **options)
    planner.init_weights()
    return planner
