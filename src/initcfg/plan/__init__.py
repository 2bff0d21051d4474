"""Compilers from a validated config plus a torch model to an init plan and a train plan.

The init side, compiled without writing a tensor (the model may live on the meta device):

- :mod:`~initcfg.plan.init_plan`: :func:`compile_init_plan` and :class:`InitPlan` (its
  JSON format in :mod:`~initcfg.plan.init_plan_json`, its text in
  :mod:`~initcfg.plan.init_describe`, the diagnostics found around the walk in
  :mod:`~initcfg.plan.init_diagnostics`);
- :mod:`~initcfg.plan.planner`: the walk of MMEngine's ``init_weights`` that records the
  steps, over :mod:`~initcfg.plan.model_walk` (one module index per compile) and
  :mod:`~initcfg.plan.init_cfg_source` (where ``init_cfg`` values come from);
- the plan's data: :mod:`~initcfg.plan.steps` (steps, origins, writes, loads) and
  :mod:`~initcfg.plan.ops` (the tensor op each write performs, as a description);
- :mod:`~initcfg.plan.trace`: tracing modules' own ``init_weights`` on the meta model;
- :mod:`~initcfg.plan.checkpoint`: resolving and reading checkpoints (weights only) and
  matching their keys to a model. Reading a checkpoint is not executing a plan: the
  compiler needs the keys to say which tensors a ``Pretrained`` writes, so reading lives
  here and the backend imports it from here; only loading tensors into a model
  (``load_into``) stays in the backend.

:mod:`~initcfg.plan.commands` is ``initcfg plan`` as one library call
(:func:`~initcfg.plan.commands.run_plan`): the config's Document built once, the model,
the plan, ``--apply``; the CLI only renders its outcome.

plan/ never imports :mod:`initcfg.backend` but in one place: :meth:`InitPlan.apply`
imports the backend's executor lazily (running ops on real tensors is the backend's job).
The errors it raises come from :mod:`initcfg.errors`.
"""

from initcfg.plan.init_plan import InitPlan, compile_init_plan
from initcfg.plan.train_plan import TrainPlan, compile_train_plan

__all__ = ["InitPlan", "TrainPlan", "compile_init_plan", "compile_train_plan"]
