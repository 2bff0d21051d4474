"""Compilers from a validated config plus a torch model to an init plan and a train plan."""

from initcfg.plan.init_plan import InitPlan, compile_init_plan
from initcfg.plan.train_plan import TrainPlan, compile_train_plan

__all__ = ["InitPlan", "TrainPlan", "compile_init_plan", "compile_train_plan"]
