"""Old import path; use :mod:`initcfg.plan.planner` (and the modules it names)."""

from __future__ import annotations

from initcfg.plan.checkpoint import checkpoint_available as checkpoint_available
from initcfg.plan.init_cfg_source import ConfigSource as ConfigSource
from initcfg.plan.init_cfg_source import Locate as Locate
from initcfg.plan.model_walk import Reach as Reach
from initcfg.plan.model_walk import children as children
from initcfg.plan.model_walk import gc_paused as gc_paused
from initcfg.plan.model_walk import has_own_init_weights as has_own_init_weights
from initcfg.plan.model_walk import is_initialized as is_initialized
from initcfg.plan.model_walk import is_mmengine_init_weights as is_mmengine_init_weights
from initcfg.plan.model_walk import join as join
from initcfg.plan.model_walk import named_tensors as named_tensors
from initcfg.plan.model_walk import postorder as postorder
from initcfg.plan.planner import Planner as Planner
