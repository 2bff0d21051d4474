"""The deep import paths that README, docs and examples name keep working.

The layering refactor (issue 12) moves modules between packages; each old path named in
the docs stays importable (as the module itself or as a re-export) so user code that
followed the docs does not break.
"""

from __future__ import annotations

import importlib

import pytest

DOCUMENTED = [
    ("initcfg.config.load", ["ConfigLoadError", "load_config"]),
    ("initcfg.config.inherit", []),
    ("initcfg.schema", ["register_initializer", "Pretrained", "Override"]),
    ("initcfg.schema.finetune", []),
    ("initcfg.check.validate", ["validate"]),
    ("initcfg.check.render", ["render_text"]),
    ("initcfg.check.run", []),
    ("initcfg.plan.init_plan", ["InitPlan", "compile_init_plan"]),
    ("initcfg.plan.train_plan", ["TrainPlan", "build_optimizer", "compile_train_plan"]),
    ("initcfg.plan.train_render", ["render_train_plan"]),
    ("initcfg.plan.meta", ["meta_model_building", "build_on_meta"]),
    ("initcfg.plan.registry_model", []),
    ("initcfg.mmengine", ["InitcfgHook", "InitcfgStop"]),
    ("initcfg.cli.train", ["train_command"]),
]

NEEDS_TORCH = [
    ("initcfg.backend.torch", ["CheckpointError", "InitCfgError", "InitError", "init_weights"]),
    ("initcfg.backend.torch.train", ["TrainOptions", "train"]),
    ("initcfg.backend.torch.train_factory", ["build"]),
    ("initcfg.backend.torch.train_settings", ["read_train_settings"]),
    ("initcfg.backend.torch._trace", []),
    ("initcfg.backend.torch._checkpoint", ["mmengine_checkpoint_globals"]),
]


@pytest.mark.parametrize(("module", "names"), DOCUMENTED + NEEDS_TORCH, ids=lambda v: str(v))
def test_documented_path_imports(module: str, names: list[str]) -> None:
    if (module, names) in NEEDS_TORCH:
        pytest.importorskip("torch")
    imported = importlib.import_module(module)
    missing = [name for name in names if not hasattr(imported, name)]
    assert missing == [], f"{module} lost {missing}"
