"""The fine-tune schema: MMEngine 0.10.7's defaults, its refusals, and parse_finetune."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import initcfg
from initcfg.config.source import SourceMap
from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Location
from initcfg.schema import finetune as ft
from initcfg.schema.document import parse_document
from initcfg.schema.finetune import (
    INF,
    EpochBasedTrainLoop,
    FinetuneSettings,
    IterBasedTrainLoop,
    MultiStepLR,
    OptimizerCfg,
    OptimWrapperCfg,
    parse_finetune,
)

mmengine_scheduler = pytest.importorskip("mmengine.optim.scheduler.param_scheduler")
torch = pytest.importorskip("torch")

_PARAM_SCHEDULERS = {
    "LinearLR": "LinearParamScheduler",
    "ConstantLR": "ConstantParamScheduler",
    "MultiStepLR": "MultiStepParamScheduler",
    "StepLR": "StepParamScheduler",
    "ExponentialLR": "ExponentialParamScheduler",
    "CosineAnnealingLR": "CosineAnnealingParamScheduler",
    "PolyLR": "PolyParamScheduler",
    "OneCycleLR": "OneCycleParamScheduler",
    "CosineRestartLR": "CosineRestartParamScheduler",
}


def _signature_defaults(function: Any) -> dict[str, Any]:
    return {
        name: parameter.default
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.default is not parameter.empty
    }


@pytest.mark.parametrize("name", sorted(_PARAM_SCHEDULERS))
def test_scheduler_defaults_are_mmengines(name: str) -> None:
    model = getattr(ft, name)
    mmengine_cls = getattr(mmengine_scheduler, _PARAM_SCHEDULERS[name])
    theirs = _signature_defaults(mmengine_cls.__init__)
    arguments = set(inspect.signature(mmengine_cls.__init__).parameters) - {
        "self", "optimizer", "param_name",
    }
    ours = set(model.model_fields) - {"type", "convert_to_iter_based"}
    assert ours == arguments
    for field, default in theirs.items():
        if field == "param_name":
            continue
        mine = model.model_fields[field].get_default(call_default_factory=True)
        assert mine == (list(default) if isinstance(default, tuple) else default), field


def test_loop_and_wrapper_defaults_are_mmengines() -> None:
    from mmengine.hooks import CheckpointHook
    from mmengine.optim import OptimWrapper
    from mmengine.runner import loops

    for ours, theirs in (
        (EpochBasedTrainLoop, loops.EpochBasedTrainLoop),
        (IterBasedTrainLoop, loops.IterBasedTrainLoop),
    ):
        defaults = _signature_defaults(theirs.__init__)
        for field in ("val_begin", "val_interval", "dynamic_intervals"):
            assert ours.model_fields[field].default == defaults[field]
    assert OptimWrapperCfg.model_fields["accumulative_counts"].default == _signature_defaults(
        OptimWrapper.__init__
    )["accumulative_counts"]
    hook = _signature_defaults(CheckpointHook.__init__)
    for field in ("interval", "by_epoch", "max_keep_ckpts", "save_last", "save_begin"):
        assert ft.CheckpointHookCfg.model_fields[field].default == hook[field]
    assert INF == mmengine_scheduler.INF


def test_by_epoch_shorthand_normalizes_to_a_typed_loop() -> None:
    settings_ = FinetuneSettings.model_validate(
        {"train_cfg": {"by_epoch": True, "max_epochs": 8}}
    )
    assert isinstance(settings_.train_cfg, EpochBasedTrainLoop)
    assert settings_.train_cfg.max_epochs == 8 and settings_.train_cfg.val_interval == 1
    settings_ = FinetuneSettings.model_validate(
        {"train_cfg": {"by_epoch": False, "max_iters": 9000}}
    )
    assert isinstance(settings_.train_cfg, IterBasedTrainLoop)
    assert settings_.train_cfg.val_interval == 1000


def test_optimizer_kwargs_are_what_was_given() -> None:
    cfg = OptimizerCfg(type="SGD", lr=0.01, momentum=0.9, weight_decay=1e-4)
    assert cfg.kwargs() == {"lr": 0.01, "momentum": 0.9, "weight_decay": 1e-4}
    assert cfg.argument("dampening") == 0  # torch's default, from the table
    adam = OptimizerCfg.model_validate({"type": "Adam", "lr": 1e-3, "betas": [0.9, 0.99]})
    assert adam.kwargs() == {"lr": 1e-3, "betas": (0.9, 0.99)}


@pytest.mark.parametrize(
    "arguments",
    [
        {"type": "Adam", "lr": 0.001, "momentum": 0.9},
        {"type": "SGD", "lr": 0.01, "nesterov": True},
        {"type": "SGD", "lr": 0.0},
        {"type": "Adam", "lr": 0.001, "betas": (0.9, 1.0)},
        {"type": "Adam", "lr": 0.001, "eps": 0.0},
    ],
)
def test_optimizer_model_refuses(arguments: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        OptimizerCfg.model_validate(arguments)


def test_milestones_may_come_in_any_order_as_mmengine_counts_them() -> None:
    # MMEngine keeps them in a Counter: [11, 8] decays at 8 and 11 as [8, 11] does, and a
    # repeated one (IC325, a check over the settings) is no schema error.
    assert MultiStepLR(milestones=[11, 8, 8]).milestones == [11, 8, 8]
    assert MultiStepLR(milestones=[8, 11]).end == INF
    with pytest.raises(ValidationError):
        MultiStepLR(milestones=[8, "11"])


def _tree(data: dict[str, Any], path: str = "cfg.yaml") -> ConfigTree:
    locations = {(key,): Location(path, line, 1) for line, key in enumerate(data, start=3)}
    return ConfigTree(data, SourceMap(locations), path=path, files=[path])


def test_parse_places_diagnostics_at_key_paths() -> None:
    tree = _tree(
        {
            "train_cfg": {"type": "EpochBasedTrainLoop", "max_epochs": 8},
            "optim_wrapper": {"optimizer": {"type": "Adam", "lr": 1e-3, "momentum": 0.9}},
        }
    )
    settings_, found = parse_finetune(tree)
    assert settings_ is not None and isinstance(settings_.train_cfg, EpochBasedTrainLoop)
    assert settings_.optim_wrapper is None
    assert [(d.code, d.path, d.file, d.line) for d in found] == [
        ("IC301", "optim_wrapper.optimizer.momentum", "cfg.yaml", 4)
    ]


def test_parse_keeps_project_types_without_complaint() -> None:
    tree = _tree(
        {
            "train_cfg": {"type": "mmdet.MyLoop", "max_epochs": 3},
            "optim_wrapper": {"type": "DeepSpeedOptimWrapper", "optimizer": {"type": "AdamW",
                                                                           "lr": 1e-4}},
            "param_scheduler": [{"type": "QuadraticWarmupLR", "end": 5}],
        }
    )
    settings_, found = parse_finetune(tree)
    assert found == []
    assert settings_ is not None
    assert settings_.train_cfg is None and settings_.optim_wrapper is None
    assert settings_.param_scheduler == []


def test_parse_reads_every_section() -> None:
    tree = _tree(
        {
            "train_cfg": {"by_epoch": False, "max_iters": 57300.0, "val_interval": 5730.0},
            "optim_wrapper": {
                "type": "AmpOptimWrapper",
                "loss_scale": "dynamic",
                "optimizer": {"type": "AdamW", "lr": 1e-4, "weight_decay": 0.05},
                "paramwise_cfg": {"custom_keys": {"backbone": {"lr_mult": 0.1}}},
                "clip_grad": {"max_norm": 0.1, "norm_type": 2},
            },
            "param_scheduler": {"type": "CosineAnnealingLR", "T_max": 10, "eta_min": 0.0},
            "load_from": "ckpt.pth",
            "resume": True,
            "auto_scale_lr": {"enable": True, "base_batch_size": 16},
            "randomness": {"seed": 0, "deterministic": True},
            "default_hooks": {"checkpoint": {"type": "CheckpointHook", "interval": 1,
                                             "max_keep_ckpts": 3}},
        }
    )
    settings_, found = parse_finetune(tree)
    assert found == []
    assert settings_ is not None
    assert isinstance(settings_.train_cfg, IterBasedTrainLoop)
    assert settings_.train_cfg.max_iters == 57300
    wrapper = settings_.optim_wrapper
    assert wrapper is not None and wrapper.type == "AmpOptimWrapper"
    assert wrapper.paramwise_cfg is not None
    assert wrapper.paramwise_cfg.custom_keys["backbone"].lr_mult == 0.1
    assert wrapper.clip_grad is not None and wrapper.clip_grad.max_norm == 0.1
    assert [s.type for s in settings_.param_scheduler] == ["CosineAnnealingLR"]
    assert settings_.scheduler_paths == [("param_scheduler",)]
    assert settings_.load_from == "ckpt.pth" and settings_.resume
    assert settings_.randomness is not None and settings_.randomness.seed == 0
    assert settings_.checkpoint is not None and settings_.checkpoint.max_keep_ckpts == 3


def test_class_paths_are_typed_as_their_registry_names() -> None:
    # What a new-style config's imported classes load as: the settings the planners and
    # the train loop read name the classes as the string form does.
    tree = _tree(
        {
            "train_cfg": {"type": "mmengine.runner.loops.EpochBasedTrainLoop", "max_epochs": 3},
            "val_cfg": {"type": "mmengine.runner.ValLoop"},
            "optim_wrapper": {
                "type": "mmengine.optim.AmpOptimWrapper",
                "constructor": "mmengine.optim.optimizer.DefaultOptimWrapperConstructor",
                "optimizer": {"type": "torch.optim.sgd.SGD", "lr": 0.1, "momentum": 0.9},
            },
            "param_scheduler": [
                {"type": "mmengine.optim.scheduler.lr_scheduler.MultiStepLR", "milestones": [2]},
                {"type": "mmengine.optim.QuadraticWarmupLR", "end": 1},
            ],
            "default_hooks": {"checkpoint": {"type": "mmengine.hooks.CheckpointHook"}},
        }
    )
    settings_, found = parse_finetune(tree)
    assert found == []
    assert settings_ is not None
    assert isinstance(settings_.train_cfg, EpochBasedTrainLoop)
    assert settings_.val_cfg is not None and settings_.val_cfg.type == "ValLoop"
    wrapper = settings_.optim_wrapper
    assert wrapper is not None and wrapper.type == "AmpOptimWrapper"
    assert wrapper.constructor == "DefaultOptimWrapperConstructor"
    assert wrapper.optimizer.type == "SGD" and wrapper.optimizer.known
    assert [s.type for s in settings_.param_scheduler] == ["MultiStepLR"]
    assert settings_.checkpoint is not None
    written = parse_document(tree).finetune_written
    assert written.unmodelled_schedulers == (
        (("param_scheduler", 1), "mmengine.optim.QuadraticWarmupLR"),
    )


def test_loss_scale_needs_amp() -> None:
    tree = _tree({"optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.1},
                                    "loss_scale": 512.0}})
    _, found = parse_finetune(tree)
    assert [(d.code, d.path) for d in found] == [("IC302", "optim_wrapper.loss_scale")]


_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 20) | st.floats(allow_nan=True)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(
        st.sampled_from(["type", "lr", "max_epochs", "milestones", "optimizer", "by_epoch",
                         "begin", "end", "momentum", "betas", "clip_grad", "custom_keys",
                         "paramwise_cfg", "val_interval", "x"]),
        inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["train_cfg", "optim_wrapper", "param_scheduler", "load_from",
                         "resume", "auto_scale_lr", "randomness", "default_hooks", "val_cfg"]),
        _values, max_size=5,
    )
)
def test_parse_never_raises(data: dict[str, Any]) -> None:
    settings_, found = parse_finetune(ConfigTree(data))
    assert settings_ is not None
    assert all(d.code.startswith("IC3") for d in found)


def test_init_cfg_as_a_type_dispatches_each_entry_on_its_type() -> None:
    import pydantic

    from initcfg.schema import InitCfg, Kaiming, Normal, Xavier

    adapter = pydantic.TypeAdapter(InitCfg)
    entries = adapter.validate_python(
        [{"type": "Kaiming", "layer": "Conv2d"}, {"type": "Normal", "std": 0.01}]
    )
    assert [type(entry) for entry in entries] == [Kaiming, Normal]
    assert entries[0].layer == "Conv2d" and entries[1].std == 0.01
    [one] = adapter.validate_python({"type": "Xavier", "layer": "Linear"})  # a dict: one entry
    assert isinstance(one, Xavier)
    assert adapter.validate_python([Kaiming(layer="Linear")]) == [Kaiming(layer="Linear")]
    # scoped and class-path spellings, as validate reads them, overrides included
    scoped = adapter.validate_python([
        {"type": "mmengine.model.KaimingInit", "layer": "Conv2d"},
        {"type": "mmengine.Normal", "std": 0.1,
         "override": {"name": "fc", "type": "mmengine.Constant", "val": 0}},
    ])
    assert [type(entry) for entry in scoped] == [Kaiming, Normal]
    assert scoped[1].resolved_overrides()[0][1].type == "Constant"
    for bad, words in (
        ([{"type": "Kaimin"}], "unknown initializer type 'Kaimin'"),
        ([{"type": "Normal", "std": -1}], "greater than or equal to 0"),
        ([{"type": "Kaiming", "nope": 1}], "Extra inputs are not permitted"),
        (5, "valid list"),
    ):
        with pytest.raises(pydantic.ValidationError, match=words):
            adapter.validate_python(bad)


def test_a_key_that_is_no_string_is_reported_at_the_key() -> None:
    """Pydantic places a dict key's error under a '[key]' step; the diagnostic's path
    ends at the key (MMEngine's `key in name` raises TypeError for the int)."""
    tree = _tree(
        {"optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.1},
                           "paramwise_cfg": {"custom_keys": {"head": {"lr_mult": 1},
                                                             3: {"lr_mult": 2}}}}}
    )
    _, found = parse_finetune(tree)
    assert [(d.code, d.path, d.message) for d in found] == [(
        "IC302", "optim_wrapper.paramwise_cfg.custom_keys[3]",
        "key 3 of custom_keys: input should be a valid string (got 3)",
    )]


def test_a_section_with_a_key_that_is_no_string_names_that_key(write: Any) -> None:
    # It is a dict: "train_cfg must be a dict (got {...})" sent the reader looking for
    # a list or a scalar where there was none, and pointed at the section, not the key.
    import initcfg

    path = write("k.yaml", (
        "train_cfg: {by_epoch: true, max_epochs: 2, 7: 8}\n"
        "optim_wrapper:\n"
        "  optimizer: {type: SGD, lr: 0.1, 9: 1}\n"
        "param_scheduler: [{type: MultiStepLR, milestones: [1], 11: 2}]\n"
    ))
    found = [(d.code, d.path, d.line, d.message) for d in initcfg.validate(path)]
    assert [entry[:3] for entry in found] == [
        ("IC302", "train_cfg[7]", 1),
        ("IC302", "optim_wrapper.optimizer[9]", 3),
        ("IC302", "param_scheduler[0][11]", 4),
    ]
    assert found[0][3].startswith("key 7 of train_cfg is not a string")
    assert not [entry for entry in found if "must be a dict" in entry[3]]


@pytest.mark.parametrize("written", ["2", "2.5", "inf", "1"])
def test_a_clip_norm_type_torch_reads_with_float_is_accepted(written: str) -> None:
    # MMEngine hands clip_grad to torch's clip_grad_norm_, which takes float(norm_type).
    def clipped(norm_type: object) -> torch.Tensor:
        weight = torch.nn.Parameter(torch.ones(3))
        weight.grad = torch.tensor([3.0, -4.0, 12.0])
        torch.nn.utils.clip_grad_norm_([weight], 1.0, norm_type=norm_type)
        return weight.grad

    assert torch.equal(clipped(written), clipped(float(written)))
    config = {"optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.1},
                                "clip_grad": {"max_norm": 1.0, "norm_type": written}}}
    assert initcfg.validate(config) == []


@pytest.mark.parametrize("written", ["fro", True, [2], float("nan")])
def test_a_clip_norm_type_torch_cannot_read_is_one_plain_ic302(written: object) -> None:
    config = {"optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.1},
                                "clip_grad": {"max_norm": 1.0, "norm_type": written}}}
    [found] = initcfg.validate(config)
    assert (found.code, found.path) == ("IC302", "optim_wrapper.clip_grad.norm_type")
    assert "norm_type must be" in found.message and "function-" not in found.message


_ODD_VALUES = st.one_of(
    st.integers(), st.floats(allow_nan=True), st.text(max_size=4), st.booleans(),
    st.lists(st.one_of(st.integers(), st.text(max_size=2)), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(best=_ODD_VALUES, norm=_ODD_VALUES)
def test_a_union_field_s_problem_names_the_config_s_key_never_a_union_member(
    best: Any, norm: Any
) -> None:
    # save_best is a string or a list of strings, norm_type a number or 'inf': pydantic
    # reports each member's failure under a step of its own ('list[str]', "literal['inf']").
    config = {
        "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.1},
                          "clip_grad": {"max_norm": 1.0, "norm_type": norm}},
        "default_hooks": {"checkpoint": {"type": "CheckpointHook", "save_best": best}},
    }
    for found in initcfg.validate(config):
        assert found.path is not None
        assert found.path.startswith(("optim_wrapper.clip_grad.norm_type",
                                      "default_hooks.checkpoint.save_best")), found
        for fragment in ("[str]", "literal[", "function-", "'str'", "'list"):
            assert fragment not in found.message + found.path, found


def test_a_union_field_is_told_once_with_what_each_member_takes() -> None:
    config = {"default_hooks": {"checkpoint": {"type": "CheckpointHook", "save_best": 5}}}
    [found] = initcfg.validate(config)
    assert (found.code, found.path) == ("IC302", "default_hooks.checkpoint.save_best")
    assert found.message == "'save_best' must be a valid string or a valid list (got 5)"
