"""The planner moved from backend/torch/ to plan/: the old import paths keep working."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src"
SHIMS = ["_steps", "_trace", "_ops", "_checkpoint", "_planner", "_errors"]


@pytest.mark.parametrize("name", SHIMS)
def test_each_name_of_a_shim_is_the_object_of_its_new_home(name: str) -> None:
    module = importlib.import_module(f"initcfg.backend.torch.{name}")
    tree = ast.parse((SRC / "initcfg/backend/torch" / f"{name}.py").read_text())
    found = 0
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
            ("initcfg.plan.", "initcfg.errors")
        ):
            home = importlib.import_module(node.module)
            for alias in node.names:
                assert getattr(module, alias.asname or alias.name) is getattr(home, alias.name)
                found += 1
    assert found >= 3


def test_names_the_code_imported_from_the_backend_before_the_move() -> None:
    from initcfg.backend.torch._checkpoint import load_into, resolve_checkpoint  # noqa: F401
    from initcfg.backend.torch._execute import StepHook, execute  # noqa: F401
    from initcfg.backend.torch._ops import TensorOp, bias_op, run_op, weight_op  # noqa: F401
    from initcfg.backend.torch._planner import (  # noqa: F401
        ConfigSource,
        Planner,
        Reach,
        checkpoint_available,
        gc_paused,
        join,
    )
    from initcfg.backend.torch._steps import LoadSpec, Origin, Step, Unreached, Write
    from initcfg.backend.torch._trace import Trace, TracedWrite  # noqa: F401
    from initcfg.plan.steps import Step as NewStep

    assert Step is NewStep and {LoadSpec, Origin, Unreached, Write}
    assert TensorOp("fill", (1,)).random is False


def test_plan_imports_the_backend_only_inside_init_plan_apply() -> None:
    hits = []
    for path in sorted((SRC / "initcfg/plan").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "initcfg.backend"
            ):
                hits.append((path.name, node.module))
    assert hits == [("init_plan.py", "initcfg.backend.torch._api")]
