"""One model per setting (issue 12): the planners read the schema's scheduler, paramwise
and loop models instead of declaring the fields again."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from initcfg.backend.torch.train_settings import LoopSettings
from initcfg.plan.lr_schedule import SchedulerEntry, SchedulerSpec, compute_lr_schedule
from initcfg.plan.param_groups import ParamwiseRules
from initcfg.schema.loops import EpochBasedTrainLoop, IterBasedTrainLoop
from initcfg.schema.optim_wrapper import ParamwiseCfg
from initcfg.schema.schedulers import LinearLR, MultiStepLR


def test_scheduler_entry_holds_the_schema_model() -> None:
    model = MultiStepLR.model_validate({"type": "MultiStepLR", "milestones": [2]})
    entry = SchedulerEntry.from_model(model, "param_scheduler[0]")
    assert (entry.type, entry.path, entry.model) == ("MultiStepLR", "param_scheduler[0]", model)
    # defaults are the schema's; `written` tells what the user left out
    assert entry.arg("gamma") == 0.1 and entry.written("gamma") is None
    assert entry.written("end") is None and entry.arg("end") == model.end
    assert SchedulerSpec is SchedulerEntry


def test_scheduler_entry_from_mapping_is_not_validated() -> None:
    entry = SchedulerEntry.from_mapping({"type": "LinearLR", "start_factor": 2.0, "foo": 1})
    assert isinstance(entry.model, LinearLR) and entry.written("start_factor") == 2.0
    # the replay refuses it, as MMEngine's constructor does
    schedule, found = compute_lr_schedule([entry], [0.1], max_epochs=2)
    assert schedule is None and [d.code for d in found] == ["IC463"]
    unknown = SchedulerEntry.from_mapping({"type": "ReduceOnPlateauLR"})
    assert unknown.model is None
    with pytest.raises(TypeError):
        unknown.arg("begin")


def test_validated_and_plain_schedulers_give_the_same_table() -> None:
    written = {"type": "MultiStepLR", "milestones": [1, 3], "gamma": 0.5}
    plain = SchedulerEntry.from_mapping(written)
    typed = SchedulerEntry.from_model(MultiStepLR.model_validate(written))
    one, _ = compute_lr_schedule([plain], [0.1], max_epochs=4)
    two, _ = compute_lr_schedule([typed], [0.1], max_epochs=4)
    assert one is not None and one == two
    assert one.iteration_table() == [[0.1], [0.05], [0.05], [0.025]]


def test_paramwise_rules_wrap_the_schema_model() -> None:
    cfg = ParamwiseCfg.model_validate(
        {"norm_decay_mult": 0.0, "custom_keys": {"head": {"momentum": 0.5, "lr_mult": 2}}}
    )
    rules = ParamwiseRules.from_cfg(cfg)
    assert rules.cfg is cfg and rules.given
    assert rules.custom_keys["head"].values == (("lr_mult", 2.0), ("momentum", 0.5))
    assert rules.custom_keys["head"].get("decay_mult") is None
    assert ParamwiseRules.from_cfg(None).given is False
    assert ParamwiseRules.from_cfg(ParamwiseCfg(), given=True).given is True


def test_loop_settings_build_the_schema_loop() -> None:
    epochs = LoopSettings(by_epoch=True, max_epochs=4, val_interval=2)
    iters = LoopSettings(by_epoch=False, max_iters=50)
    assert isinstance(epochs, EpochBasedTrainLoop) and epochs.length == 4
    assert isinstance(iters, IterBasedTrainLoop) and iters.length == 50
    typed = EpochBasedTrainLoop.model_validate(
        {"max_epochs": 10, "val_interval": 4, "dynamic_intervals": [(3, 2)]}
    )
    assert [typed.interval_after(n) for n in range(4)] == [4, 4, 2, 2]
