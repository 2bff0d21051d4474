"""IC304 against MMEngine 0.10.7's own registries: every optimizer, scheduler, wrapper and
constructor name MMEngine registers is accepted, plain or with the `mmengine.` scope, and
a dotted path is told exactly when MMEngine's registry cannot resolve it."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

import mmengine.optim  # noqa: F401 - registers MMEngine's and torch's classes
import pytest
import torch
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, PARAM_SCHEDULERS
from mmengine.registry import OPTIMIZERS as MM_OPTIMIZERS

import initcfg
from initcfg.plan.train_plan import build_optimizer
from initcfg.schema.class_paths import OPTIMIZERS, SCHEDULERS

# torch.optim.Optimizer, the abstract base: registered, but MMEngine cannot build it
# (`Optimizer.__init__() got an unexpected keyword argument 'lr'`), so IC304 is right.
_NOT_BUILDABLE = {"Optimizer"}


def _ic304(config: dict[str, Any]) -> list[str]:
    return [d.message for d in initcfg.validate(config) if d.code == "IC304"]


def _optimizer(type_: str) -> dict[str, Any]:
    return {"optim_wrapper": {"optimizer": {"type": type_, "lr": 0.01}}}


def _scheduler(type_: str) -> dict[str, Any]:
    return {**_optimizer("SGD"), "param_scheduler": [{"type": type_}]}


@pytest.mark.parametrize("scope", ["", "mmengine."])
def test_every_optimizer_mmengine_registers_is_accepted(scope: str) -> None:
    names = sorted(set(MM_OPTIMIZERS.module_dict) - _NOT_BUILDABLE)
    assert {"TorchAdafactor", "ZeroRedundancyOptimizer", "AdamW"} <= set(names)
    told = {name: _ic304(_optimizer(scope + name)) for name in names}
    assert {name: found for name, found in told.items() if found} == {}


def test_torch_adafactor_is_checked_as_torch_s_adafactor() -> None:
    """MMEngine builds `TorchAdafactor` as torch.optim.Adafactor: its arguments are
    torch's, and one it does not take is told."""
    assert MM_OPTIMIZERS.get("TorchAdafactor") is torch.optim.Adafactor
    config = _optimizer("TorchAdafactor")
    config["optim_wrapper"]["optimizer"]["betas"] = (0.9, 0.99)
    found = [d for d in initcfg.validate(config) if d.code == "IC301"]
    assert len(found) == 1 and "'betas'" in found[0].message


@pytest.mark.parametrize("scope", ["", "mmengine."])
def test_a_plain_adafactor_is_transformers_s_not_torch_s(scope: str) -> None:
    """MMEngine keeps the name `Adafactor` for transformers' optimizer (registered only
    where transformers imports): torch's arguments are not its arguments, and the train
    plan does not build torch's under that name."""
    assert MM_OPTIMIZERS.get(scope + "Adafactor") is not torch.optim.Adafactor
    config = _optimizer(scope + "Adafactor")
    config["optim_wrapper"]["optimizer"].update(scale_parameter=False, relative_step=False)
    # transformers is not installed here: MMEngine has no Adafactor at all (below)
    assert _ic304(config) == [
        f"optimizer type '{scope}Adafactor' comes from transformers: MMEngine registers it "
        "only where that package is installed, and it is not installed here"
    ]
    assert [d.code for d in initcfg.validate(config)] == ["IC304"]  # no IC301
    assert OPTIMIZERS.name(scope + "Adafactor") == "transformers.Adafactor"
    plan = initcfg.compile_train_plan(config, torch.nn.Linear(2, 2))
    assert [d.code for d in plan.diagnostics] == ["IC304", "IC456"]  # not torch.optim's
    with pytest.raises(ValueError, match=r"not a torch\.optim class"):
        build_optimizer(plan, torch.nn.Linear(2, 2))  # initcfg's loop refuses it
    # torch's under its path and under MMEngine's name for it: its arguments are checked
    for written in ("torch.optim.Adafactor", scope + "TorchAdafactor"):
        config["optim_wrapper"]["optimizer"]["type"] = written
        assert [d.code for d in initcfg.validate(config)] == ["IC301", "IC301"], written


@pytest.mark.parametrize(
    ("name", "package"),
    [("Lion", "lion_pytorch"), ("DAdaptAdam", "dadaptation"), ("DAdaptSGD", "dadaptation"),
     ("bnb_Adam", "bitsandbytes"), ("PagedAdamW8bit", "bitsandbytes"),
     ("Adafactor", "transformers")],
)
def test_an_optimizer_of_a_package_not_installed_is_told_so(
    name: str, package: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MMEngine registers these only where their package imports; none is installed
    here, so MMEngine's registry has none of them, and validate says which package."""
    assert importlib.util.find_spec(package) is None
    assert name not in MM_OPTIMIZERS.module_dict
    told = _ic304(_optimizer(name))
    assert len(told) == 1 and f"comes from {package}:" in told[0]
    # The package installed (found on the path): MMEngine would register the name.
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    assert _ic304(_optimizer(name)) == []


def test_a_project_optimizer_named_like_a_package_s_is_the_project_s(tmp_path: Path) -> None:
    for project in ("plain", "registers"):
        (tmp_path / project).mkdir()
        (tmp_path / project / "c.yaml").write_text(
            "optim_wrapper:\n  optimizer: {type: Mine8bit, lr: 0.1}\n"
        )
    (tmp_path / "registers" / "pyproject.toml").write_text(
        '[tool.initcfg]\nextra-optimizers = ["Mine8bit"]\n'
    )
    told = initcfg.validate(tmp_path / "plain" / "c.yaml")
    assert ["bitsandbytes" in d.message for d in told] == [True]
    assert initcfg.validate(tmp_path / "registers" / "c.yaml") == []


@pytest.mark.parametrize("scope", ["", "mmengine."])
def test_every_scheduler_mmengine_registers_is_accepted(scope: str) -> None:
    told = {
        name: _ic304(_scheduler(scope + name)) for name in sorted(PARAM_SCHEDULERS.module_dict)
    }
    assert {name: found for name, found in told.items() if found} == {}


def test_every_wrapper_and_constructor_mmengine_registers_is_accepted() -> None:
    for name in OPTIM_WRAPPERS.module_dict:
        config = _optimizer("SGD")
        config["optim_wrapper"]["type"] = name
        assert _ic304(config) == [], name
    for name in OPTIM_WRAPPER_CONSTRUCTORS.module_dict:
        config = _optimizer("SGD")
        config["optim_wrapper"]["constructor"] = name
        assert _ic304(config) == [], name


def test_a_dotted_scheduler_is_told_exactly_when_mmengine_cannot_resolve_it() -> None:
    """Every known module with every modelled lr scheduler: `mmengine.optim` does not
    re-export CosineRestartLR."""
    disagree = []
    for module in sorted(SCHEDULERS.modules):
        for name in sorted(set(SCHEDULERS.paths.values())):
            written = f"{module}.{name}"
            resolved = PARAM_SCHEDULERS.get(written) is not None
            if bool(_ic304(_scheduler(written))) == resolved:
                disagree.append((written, resolved))
    assert len(SCHEDULERS.modules) * len(set(SCHEDULERS.paths.values())) == 27
    assert disagree == []
    assert _ic304(_scheduler("mmengine.optim.CosineRestartLR")) == [
        "scheduler type 'mmengine.optim.CosineRestartLR': mmengine.optim has no lr "
        "scheduler 'CosineRestartLR'"
    ]


def test_no_dotted_optimizer_mmengine_resolves_is_told() -> None:
    """A torch module holds the optimizers it imports as well (`torch.optim.adamw.Adam`)."""
    told = []
    for module in sorted(OPTIMIZERS.modules):
        for name in sorted(set(OPTIMIZERS.paths.values())):
            written = f"{module}.{name}"
            if MM_OPTIMIZERS.get(written) is not None and _ic304(_optimizer(written)):
                told.append(written)
    assert len(OPTIMIZERS.modules) > 10
    assert told == []


@pytest.mark.parametrize("type_", ["Optimizer", "mmengine.Optimizer", "torch.optim.Optimizer"])
def test_the_abstract_base_is_told_as_such(type_: str) -> None:
    """It is in torch.optim and registered: 'not in torch.optim; it must be registered by
    your project' sent the user the wrong way."""
    with pytest.raises(TypeError, match="unexpected keyword argument 'lr'"):
        MM_OPTIMIZERS.build({"type": type_, "params": torch.nn.Linear(2, 2).parameters(),
                             "lr": 0.01})
    assert _ic304(_optimizer(type_)) == [
        f"optimizer type {type_!r} is torch's abstract base class: MMEngine registers it, "
        "but building it fails (it takes no lr)"
    ]


def test_a_package_imported_without_a_spec_counts_as_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # importlib.util.find_spec raises ValueError for a module made at run time; it is
    # importable, so MMEngine would register its optimizer.
    made = types.ModuleType("lion_pytorch")
    made.__spec__ = None
    monkeypatch.setitem(sys.modules, "lion_pytorch", made)
    assert _ic304(_optimizer("Lion")) == []
