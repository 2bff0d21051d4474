"""The class paths a fine-tune ``type`` may name are where MMEngine 0.10.7 and torch
really put each modelled class, all of them, and each reads as the registry name that
builds the same class."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from initcfg.schema.class_paths import (
    CONSTRUCTORS,
    HOOKS,
    LOOPS,
    OPTIM_WRAPPERS,
    OPTIMIZERS,
    SCHEDULERS,
    ClassPaths,
    TypeName,
)
from initcfg.schema.optimizers_table import OPTIMIZER_ARGS
from initcfg.schema.schedulers import scheduler_types

KINDS = {
    "optimizers": OPTIMIZERS,
    "param schedulers": SCHEDULERS,
    "loops": LOOPS,
    "optim wrappers": OPTIM_WRAPPERS,
    "optim wrapper constructors": CONSTRUCTORS,
    "hooks": HOOKS,
}


def _object_at(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name, None)


def _registry(kind: str) -> Any:
    registry = importlib.import_module("mmengine.registry")
    attribute = {
        "optimizers": "OPTIMIZERS",
        "param schedulers": "PARAM_SCHEDULERS",
        "loops": "LOOPS",
        "optim wrappers": "OPTIM_WRAPPERS",
        "optim wrapper constructors": "OPTIM_WRAPPER_CONSTRUCTORS",
        "hooks": "HOOKS",
    }[kind]
    return getattr(registry, attribute)


# MMEngine registers torch's Adafactor as `TorchAdafactor` (`Adafactor` is kept for
# transformers' one); the table, read from torch, knows it by its class name.
REGISTERED_AS = {"Adafactor": "TorchAdafactor"}


@pytest.mark.parametrize("kind", KINDS)
def test_each_path_is_the_class_its_registry_name_builds(kind: str) -> None:
    pytest.importorskip("mmengine")
    importlib.import_module("mmengine.optim")  # registers torch's optimizers
    registry = _registry(kind)
    for path, name in KINDS[kind].paths.items():
        found = _object_at(path)
        assert found is not None, path
        assert found is registry.get(REGISTERED_AS.get(name, name)), path
        # What MMEngine's Registry.get does with the dotted string itself.
        assert registry.get(path) is found, path


@pytest.mark.parametrize("kind", KINDS)
def test_every_public_home_of_a_modelled_class_is_listed(kind: str) -> None:
    pytest.importorskip("mmengine")
    paths = KINDS[kind]
    for name in set(paths.paths.values()):
        defining = next(_object_at(path) for path, known in paths.paths.items() if known == name)
        # The defining module and every package above it that re-exports the class.
        parts = defining.__module__.split(".")
        for depth in range(1, len(parts) + 1):
            module = ".".join(parts[:depth])
            if _object_at(f"{module}.{name}") is defining:
                assert paths.paths.get(f"{module}.{name}") == name, (module, name)


def test_the_tables_cover_what_the_schema_models() -> None:
    assert set(SCHEDULERS.paths.values()) == set(scheduler_types())
    assert set(OPTIMIZERS.paths.values()) == set(OPTIMIZER_ARGS)
    assert set(LOOPS.paths.values()) == {
        "EpochBasedTrainLoop", "IterBasedTrainLoop", "ValLoop", "TestLoop",
    }


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("AdamW", TypeName("AdamW")),
        ("mmengine.SGD", TypeName("SGD")),  # the scope spelling
        ("mmpretrain.LARS", TypeName("mmpretrain.LARS")),
        ("torch.optim.AdamW", TypeName("AdamW", "torch.optim")),
        ("torch.optim.adamw.AdamW", TypeName("AdamW", "torch.optim.adamw")),
        ("torch.optim.Adamw", TypeName("Adamw", "torch.optim")),  # not there: the name is told
        ("timm.optim.Lamb", TypeName("timm.optim.Lamb", elsewhere=True)),
        ("mmengine.optim.ZeroRedundancyOptimizer",
         TypeName("mmengine.optim.ZeroRedundancyOptimizer", elsewhere=True)),
    ],
)
def test_an_optimizer_type_reads_as(written: str, read: TypeName) -> None:
    assert OPTIMIZERS.read(written) == read


def test_torch_schedulers_of_the_same_names_are_not_mmengines() -> None:
    # torch.optim.lr_scheduler.MultiStepLR takes no by_epoch: not the modelled class.
    assert SCHEDULERS.read("torch.optim.lr_scheduler.MultiStepLR").elsewhere
    assert SCHEDULERS.name("mmengine.optim.MultiStepLR") == "MultiStepLR"
    assert "CosineRestartLR" not in {
        name for path, name in SCHEDULERS.paths.items() if path.startswith("mmengine.optim.C")
    }


def test_repr_names_the_modules() -> None:
    assert repr(ClassPaths({"a.b.C": "C"})) == "ClassPaths(['a.b'])"


def test_a_modelled_scheduler_at_a_module_that_lacks_it_is_reported_and_not_planned() -> None:
    # mmengine.optim re-exports every lr scheduler but CosineRestartLR: MMEngine cannot
    # import that path and the Runner raises KeyError. It was read as CosineRestartLR,
    # validated without a word and put in the lr table.
    assert SCHEDULERS.misplaced("mmengine.optim.CosineRestartLR") == (
        "mmengine.optim.scheduler.CosineRestartLR"
    )
    assert SCHEDULERS.misplaced("mmengine.optim.scheduler.CosineRestartLR") is None
    assert SCHEDULERS.misplaced("mmengine.optim.CosineAnnealingMomentum") is None  # unmodelled
    pytest.importorskip("mmengine")
    importlib.import_module("mmengine.optim")
    assert _registry("param schedulers").get("mmengine.optim.CosineRestartLR") is None
    import initcfg

    scheduler = dict(type="mmengine.optim.CosineRestartLR", periods=[4],
                     restart_weights=[1.0], eta_min=1e-4)
    config = dict(train_cfg=dict(by_epoch=True, max_epochs=2),
                  optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
                  param_scheduler=[scheduler])
    found = initcfg.validate(config)
    assert [(d.code, d.path) for d in found] == [("IC304", "param_scheduler[0].type")]
    assert "mmengine.optim has no lr scheduler 'CosineRestartLR'" in found[0].message
    pytest.importorskip("torch")
    from torch import nn

    plan = initcfg.compile_train_plan(config, nn.Linear(2, 2))
    assert [d.code for d in plan.diagnostics] == ["IC304", "IC464"]
    assert plan.lr is not None and plan.lr.values == [[0.1]]


def test_a_scheduler_path_told_as_misplaced_is_one_mmengine_cannot_build() -> None:
    # `misplaced` is asked of the scheduler table only, which lists every class its
    # modules hold; torch's optimizer modules import one another's classes (MMEngine
    # builds torch.optim.adamw.Adam), so no optimizer path is judged that way.
    pytest.importorskip("mmengine")
    importlib.import_module("mmengine.optim")
    registry = _registry("param schedulers")
    names = set(SCHEDULERS.paths.values())
    told = [
        f"{module}.{name}" for module in SCHEDULERS.modules for name in names
        if SCHEDULERS.misplaced(f"{module}.{name}") is not None
    ]
    assert "mmengine.optim.CosineRestartLR" in told
    for path in told:
        assert registry.get(path) is None, path
