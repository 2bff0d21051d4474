"""compile_train_plan: groups, lr table, load map, JSON, optimizer, diagnostics."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from initcfg.plan.train_plan import TrainPlan, build_optimizer, compile_train_plan  # noqa: E402


class Net(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())
        self.neck = nn.Conv2d(8, 8, 1)
        self.head = nn.Module()
        self.head.fc = nn.Linear(8, num_classes)


def config(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = dict(
        model=dict(
            type="Net",
            head=dict(init_cfg=dict(type="Normal", layer="Linear", std=0.01)),
        ),
        train_cfg=dict(type="EpochBasedTrainLoop", max_epochs=4),
        optim_wrapper=dict(
            optimizer=dict(type="SGD", lr=0.02, momentum=0.9, weight_decay=1e-4),
            paramwise_cfg=dict(norm_decay_mult=0.0, custom_keys={"backbone": dict(lr_mult=0.1)}),
        ),
        param_scheduler=[
            dict(type="LinearLR", start_factor=0.1, by_epoch=False, end=3),
            dict(type="MultiStepLR", milestones=[2, 3]),
        ],
    )
    base.update(extra)
    return base


@pytest.fixture
def pretrained(tmp_path: Path) -> str:
    torch.manual_seed(0)
    path = tmp_path / "pretrain.pth"
    torch.save({"state_dict": Net(10).state_dict(), "meta": {"epoch": 12}}, path)
    return str(path)


def test_groups_and_table() -> None:
    plan = compile_train_plan(config(), Net(), iters_per_epoch=2)
    assert plan.diagnostics == []
    assert plan.param_groups is not None and plan.lr is not None
    by_name = plan.param_groups.by_name()
    assert by_name["backbone.0.weight"].lr == pytest.approx(0.002)
    assert by_name["backbone.1.weight"].lr_rule == "custom_keys['backbone']"
    assert by_name["neck.weight"].lr == 0.02 and by_name["neck.weight"].weight_decay == 1e-4
    assert by_name["head.fc.bias"].decay_rule == "base"
    assert [len(g.params) for g in plan.param_groups.groups] == [4, 4]
    # warm-up over iterations 0..2, then epoch milestones 2 and 3
    column = [plan.lr.lr_at(epoch, it) for epoch in range(4) for it in range(2)]
    assert column[0] == pytest.approx(0.002)
    assert column[1] == pytest.approx(0.011) and column[2:4] == pytest.approx([0.02, 0.02])
    assert column[4:6] == pytest.approx([0.002, 0.002])
    assert column[6:] == pytest.approx([0.0002, 0.0002])
    assert [row[0] for row in plan.lr.per_epoch] == pytest.approx([0.002, 0.02, 0.002, 0.0002])
    assert plan.group_tracks() == [plan.lr.track_of(0.002), plan.lr.track_of(0.02)]


def test_json_round_trip(tmp_path: Path, pretrained: str) -> None:
    plan = compile_train_plan(config(load_from=pretrained), Net(3), iters_per_epoch=2)
    again = TrainPlan.model_validate_json(plan.dumps())
    assert again == plan
    target = tmp_path / "plan.json"
    plan.write_json(target)
    assert json.loads(target.read_text())["load"]["fresh"] == ["head.fc.weight", "head.fc.bias"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".plan.json")] == []



def test_plan_method_set(tmp_path: Path, pretrained: str) -> None:
    # The method set InitPlan has: a dict, its text, the text read back, an atomic save
    # and the text `plan --train` prints.
    plan = compile_train_plan(config(load_from=pretrained), Net(3), iters_per_epoch=2)
    as_dict = plan.to_json()
    assert isinstance(as_dict, dict) and as_dict["model"] == plan.model
    assert json.loads(plan.dumps()) == as_dict
    assert plan.dumps() == plan.model_dump_json(indent=2)
    assert "\n" not in plan.dumps(indent=None)
    assert TrainPlan.loads(plan.dumps(indent=None)) == plan
    target = tmp_path / "saved.json"
    plan.save(target)
    assert TrainPlan.loads(target.read_text()) == plan
    assert TrainPlan.read_file(target) == plan
    assert [p.name for p in tmp_path.iterdir() if "saved" in p.name] == ["saved.json"]
    from initcfg.plan.train_render import render_train_plan

    assert plan.render_text() == render_train_plan(plan)
    assert plan.model in plan.render_text()

def test_new_num_classes_keeps_the_head_fresh(pretrained: str) -> None:
    plan = compile_train_plan(config(load_from=pretrained), Net(3), iters_per_epoch=2)
    load = plan.load
    assert load is not None and load.readable
    assert load.fresh == ["head.fc.weight", "head.fc.bias"]
    assert [(s.key, s.checkpoint_shape, s.model_shape) for s in load.shape_skipped] == [
        ("head.fc.weight", [10, 8], [3, 8]),
        ("head.fc.bias", [10], [3]),
    ]
    assert "backbone.1.running_mean" in load.loaded and "neck.weight" in load.loaded
    assert load.missing == [] and load.unexpected == []
    assert load.fresh_init["head.fc.weight"].startswith("Normal(")


def test_same_num_classes_loads_everything(pretrained: str) -> None:
    plan = compile_train_plan(config(load_from=pretrained), Net(10), iters_per_epoch=2)
    assert plan.load is not None and plan.load.fresh == [] and plan.load.shape_skipped == []


def test_unreadable_checkpoint_is_a_diagnostic(tmp_path: Path) -> None:
    plan = compile_train_plan(
        config(load_from=str(tmp_path / "missing.pth")), Net(), iters_per_epoch=2
    )
    assert plan.load is not None and not plan.load.readable
    assert "IC470" in [d.code for d in plan.diagnostics]


def test_table_needs_iters_per_epoch() -> None:
    plan = compile_train_plan(config(), Net())
    assert plan.lr is None
    assert [d.code for d in plan.diagnostics] == ["IC460"]
    epoch_only = config(param_scheduler=dict(type="StepLR", step_size=1, gamma=0.5))
    plan = compile_train_plan(epoch_only, Net())
    assert plan.lr is not None and plan.lr.granularity == "epoch"
    assert [row[0] for row in plan.lr.per_epoch] == pytest.approx([0.02, 0.01, 0.005, 0.0025])


def test_build_optimizer_follows_the_plan() -> None:
    model = Net()
    plan = compile_train_plan(config(), model, iters_per_epoch=2)
    optimizer = build_optimizer(plan, model)
    assert isinstance(optimizer, torch.optim.SGD)
    assert [g["lr"] for g in optimizer.param_groups] == [0.002, 0.02]
    assert [g["weight_decay"] for g in optimizer.param_groups] == [1e-4, 1e-4]
    held = {id(p) for g in optimizer.param_groups for p in g["params"]}
    assert held == {id(p) for p in model.parameters()}
    plan.set_lrs(optimizer, 7)
    assert [g["lr"] for g in optimizer.param_groups] == pytest.approx([0.00002, 0.0002])


def test_a_custom_key_s_sequence_option_reaches_the_optimizer_and_the_json() -> None:
    # MMEngine copies every other key of a custom key into the group: Adam's betas is a
    # pair, foreach may be None. Planning such a config raised pydantic's error.
    wrapper = dict(
        optimizer=dict(type="AdamW", lr=0.001, weight_decay=0.05),
        paramwise_cfg=dict(custom_keys={"head": dict(lr_mult=10.0, betas=(0.8, 0.9),
                                                     foreach=None)}),
    )
    model = Net()
    plan = compile_train_plan(config(optim_wrapper=wrapper), model, iters_per_epoch=2)
    assert not [d for d in plan.diagnostics if d.severity == "error"], plan.diagnostics
    assert TrainPlan.loads(plan.dumps()) == plan
    head = next(g for g in build_optimizer(plan, model).param_groups if g["lr"] == 0.01)
    assert head["betas"] == (0.8, 0.9) and head["foreach"] is None
    assert "betas=(0.8, 0.9)" in plan.render_text()


@pytest.mark.parametrize(
    ("option", "why"),
    [({"params": []}, "never trained"), ({"betas": {"a": 1}}, "no optimizer option")],
    ids=["params", "dict"],
)
def test_a_custom_key_option_no_group_can_hold_is_an_error(option: Any, why: str) -> None:
    import initcfg

    wrapper = dict(optimizer=dict(type="AdamW", lr=0.001),
                   paramwise_cfg=dict(custom_keys={"head": option}))
    for found in (initcfg.validate(config(optim_wrapper=wrapper)),
                  compile_train_plan(config(optim_wrapper=wrapper), Net()).diagnostics):
        assert [(d.code, d.path) for d in found] == [
            ("IC302", "optim_wrapper.paramwise_cfg.custom_keys.head")
        ]
        assert why in found[0].message


def test_norm_decay_reaches_the_optimizer() -> None:
    model = Net()
    cfg = config()
    cfg["optim_wrapper"]["paramwise_cfg"] = dict(norm_decay_mult=0.0)
    plan = compile_train_plan(cfg, model, iters_per_epoch=2)
    optimizer = build_optimizer(plan, model)
    decay = {id(p): g["weight_decay"] for g in optimizer.param_groups for p in g["params"]}
    assert decay[id(model.backbone[1].weight)] == 0.0
    assert decay[id(model.backbone[0].weight)] == 1e-4


def test_auto_scale_lr() -> None:
    cfg = config(
        auto_scale_lr=dict(enable=True, base_batch_size=16),
        train_dataloader=dict(batch_size=4),
        param_scheduler=[],
    )
    plan = compile_train_plan(cfg, Net(), iters_per_epoch=2, world_size=2)
    assert plan.optimizer is not None and plan.optimizer.lr_scale == 0.5
    assert plan.optimizer.kwargs["lr"] == 0.01
    assert plan.param_groups is not None
    assert [g.lr for g in plan.param_groups.groups] == pytest.approx([0.001, 0.01])


def test_custom_constructor_is_not_planned() -> None:
    cfg = config()
    cfg["optim_wrapper"]["constructor"] = "LearningRateDecayOptimizerConstructor"
    plan = compile_train_plan(cfg, Net(), iters_per_epoch=2)
    assert plan.param_groups is None and plan.lr is None
    assert "IC467" in [d.code for d in plan.diagnostics]


def test_iteration_loop() -> None:
    cfg = config(
        train_cfg=dict(type="IterBasedTrainLoop", max_iters=6),
        param_scheduler=[dict(type="PolyLR", power=1.0, eta_min=0.0, by_epoch=False)],
    )
    plan = compile_train_plan(cfg, Net())
    assert plan.lr is not None and plan.lr.loop == "iter" and plan.lr.total_steps == 6
    assert [plan.lr.lr_at(0, i, track=0) for i in range(6)] == pytest.approx(
        [0.02, 0.02 * 4 / 5, 0.02 * 3 / 5, 0.02 * 2 / 5, 0.02 / 5, 0.0]
    )


def test_bad_scheduler_gives_no_table() -> None:
    cfg = config(param_scheduler=[dict(type="LinearLR", start_factor=2.0, by_epoch=False)])
    plan = compile_train_plan(cfg, Net(), iters_per_epoch=2)
    assert plan.lr is None
    assert any(d.severity == "error" for d in plan.diagnostics)


def test_from_file_locates_diagnostics(tmp_path: Path) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_text(
        "train_cfg: {type: EpochBasedTrainLoop, max_epochs: 8}\n"
        "optim_wrapper:\n"
        "  optimizer: {type: SGD, lr: 0.01, weight_decay: 0.0001}\n"
        "  paramwise_cfg:\n"
        "    custom_keys:\n"
        "      bakbone: {lr_mult: 0.1}\n"
        "param_scheduler:\n"
        "  - {type: MultiStepLR, milestones: [8, 11]}\n"
    )
    plan = compile_train_plan(str(path), Net())
    found = {d.code: d for d in plan.diagnostics}
    assert found["IC454"].line == 6
    assert found["IC306"].line == 8 and found["IC306"].file == str(path)
    assert plan.config == str(path)


def test_frozen_backbone_is_left_out() -> None:
    model = Net()
    model.backbone.requires_grad_(False)
    plan = compile_train_plan(config(), model, iters_per_epoch=2)
    assert plan.param_groups is not None
    frozen = [p.name for p in plan.param_groups.params if p.status == "frozen"]
    assert frozen == [
        "backbone.0.weight", "backbone.0.bias", "backbone.1.weight", "backbone.1.bias"
    ]
    optimizer = build_optimizer(plan, model)
    assert sum(len(g["params"]) for g in optimizer.param_groups) == 4


def test_checkpoint_reading_can_be_skipped(pretrained: str) -> None:
    plan = compile_train_plan(
        config(load_from=pretrained), Net(3), iters_per_epoch=2, read_checkpoint=False
    )
    assert plan.load is not None and not plan.load.readable and plan.load.fresh == []
    assert plan.diagnostics == []


@pytest.mark.parametrize(
    "scheduler",
    [
        dict(type="MultiStepLR", milestones=[4, 8, 11]),
        dict(type="MultiStepLR", milestones=[7, 8], begin=1),
        dict(type="MultiStepLR", milestones=[6, 9], convert_to_iter_based=True),
    ],
    ids=["epochs", "begin", "converted"],
)
def test_late_milestone_has_one_code_in_validate_and_in_the_train_plan(
    tmp_path: Path, scheduler: dict[str, Any]
) -> None:
    import initcfg

    cfg = dict(
        train_cfg=dict(type="EpochBasedTrainLoop", max_epochs=8),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01)),
        param_scheduler=[scheduler],
    )
    path = tmp_path / "cfg.py"
    path.write_text("".join(f"{key} = {value!r}\n" for key, value in cfg.items()))

    def milestones(found: Any) -> list[tuple[str, str]]:
        return sorted((d.code, d.path) for d in found if "milestone" in d.message)

    from_validate = milestones(initcfg.validate(path))
    from_plan = milestones(compile_train_plan(str(path), Net(), iters_per_epoch=5).diagnostics)
    assert from_validate and from_plan == from_validate
    assert {code for code, _ in from_plan} == {"IC306"}


def test_a_file_that_is_no_train_plan_is_a_plan_file_error(tmp_path: Path) -> None:
    from initcfg.errors import PlanFileError

    text = compile_train_plan(config(), Net(3), iters_per_epoch=2).dumps()
    changed = json.loads(text)
    changed["lr"]["values"] = "x"
    cases = {
        "cut.json": (text[: len(text) // 2], "IC002", None),
        "kind.json": (json.dumps(changed, indent=2), "IC010", ("lr", "values")),
        "list.json": ("[1, 2]", "IC010", ()),
    }
    for name, (body, code, path) in cases.items():
        (tmp_path / name).write_text(body)
        with pytest.raises(PlanFileError) as raised:
            TrainPlan.read_file(tmp_path / name)
        [problem] = raised.value.diagnostics
        assert problem.code == code and problem.file == str(tmp_path / name)
        assert problem.line is not None and problem.line > 0
        if path is not None:
            assert problem.key_path == path
        with pytest.raises(ValueError):  # what loads raised before, as pydantic's error
            TrainPlan.loads(body)
    with pytest.raises(PlanFileError) as missing:
        TrainPlan.read_file(tmp_path / "nope.json")
    assert missing.value.diagnostics[0].code == "IC001"


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda d: d["lr"].update(base_lrs=[]), ("lr", "base_lrs")),
        (lambda d: d["lr"].update(values=[]), ("lr", "values")),
        (lambda d: d["lr"]["values"][0].pop(), ("lr", "values", 0)),
        (lambda d: d["lr"].update(total_steps=-1), ("lr", "total_steps")),
        (lambda d: d["lr"].update(max_epochs=10**30), ("lr", "total_steps")),
        (lambda d: d["lr"]["starts"].__setitem__(0, 5), ("lr", "starts")),
        (lambda d: d["lr"]["starts"].append(10**6), ("lr", "values")),
        (lambda d: d["param_groups"]["groups"][0].update(lr=1.5),
         ("param_groups", "groups", 0, "lr")),
    ],
)
def test_a_plan_file_whose_parts_disagree_is_ic010_not_an_error_later(
    tmp_path: Path, edit: Any, path: tuple[str | int, ...]
) -> None:
    # Every field has a valid type, so the plan loaded, and lrs_at, set_lrs or
    # render_text failed later with an IndexError or ValueError (max_epochs: a loop
    # over 10**30 epochs).
    from initcfg.errors import PlanFileError

    text = compile_train_plan(config(), Net(3), iters_per_epoch=2).dumps()
    changed = json.loads(text)
    edit(changed)
    target = tmp_path / "edited.json"
    target.write_text(json.dumps(changed, indent=2))
    with pytest.raises(PlanFileError) as raised:
        TrainPlan.read_file(target)
    [problem] = raised.value.diagnostics
    assert (problem.code, problem.key_path) == ("IC010", path)
    assert problem.file == str(target) and problem.line is not None


class Tied(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(10, 4)
        self.out = nn.Linear(4, 10, bias=False)
        self.out.weight = self.emb.weight  # tied: one tensor, two keys
        self.shared = nn.Linear(4, 4)
        self.alias = self.shared  # the same module under a second name
        self.bn = nn.BatchNorm1d(4)


def test_second_names_of_tied_parameters_are_not_called_buffers(tmp_path: Path) -> None:
    model = Tied()
    kept = ("emb.weight", "shared.weight")
    checkpoint = tmp_path / "part.pth"
    torch.save({k: v for k, v in model.state_dict().items() if k in kept}, checkpoint)
    plan = compile_train_plan(config(load_from=str(checkpoint)), model)
    assert plan.load is not None
    assert plan.load.tied_missing == ["out.weight", "alias.weight", "alias.bias"]
    assert plan.load.fresh == ["shared.bias", "bn.weight", "bn.bias"]
    text = plan.render_text()
    buffers = "bn.running_mean, bn.running_var, bn.num_batches_tracked"
    assert f"buffers not in checkpoint: {buffers}" in text
    assert "second names of tied parameters not in checkpoint" in text
    assert "out.weight, alias.weight, alias.bias" in text
    assert TrainPlan.loads(plan.dumps()) == plan


@pytest.mark.parametrize("code", ["IC454", "IC461", "IC462", "IC463", "IC468"])
def test_the_catalogue_example_compiles_to_its_code(code: str, tmp_path: Path) -> None:
    """`initcfg explain` shows these examples as keyword arguments of a config; read as
    one (by initcfg's own loader, never run) beside the rest of a config, each must give
    its code. 'backbon' matched backbone.* by substring (no IC454), and IC462's and
    IC463's examples gave IC463 and IC302."""
    from initcfg import load_config
    from initcfg.diagnostics import get_rule

    rule = get_rule(code)
    assert rule is not None
    example = rule.example.split("  #", 1)[0]
    written = tmp_path / "example.py"
    written.write_text(f"example = dict({example})\n")
    given = load_config(written).to_dict()["example"]
    if "paramwise_cfg" in given:
        given["optim_wrapper"] = dict(
            optimizer=dict(type="SGD", lr=0.02), paramwise_cfg=given.pop("paramwise_cfg"))
    if "train_cfg" in given:
        given["train_cfg"].setdefault("type", "EpochBasedTrainLoop")
    plan = compile_train_plan(config(**given), Net(), iters_per_epoch=10)
    assert code in [d.code for d in plan.diagnostics], plan.diagnostics


@pytest.mark.parametrize(
    ("arguments", "error", "said"),
    [
        ({"iters_per_epoch": -5}, ValueError, "iters_per_epoch must be at least 0 (got -5)"),
        ({"iters_per_epoch": 2.5}, TypeError, "iters_per_epoch must be an int or None, not float"),
        ({"iters_per_epoch": True}, TypeError, "iters_per_epoch must be an int or None, not bool"),
        ({"world_size": 0}, ValueError, "world_size must be at least 1 (got 0)"),
        ({"world_size": -1}, ValueError, "world_size must be at least 1 (got -1)"),
        ({"batch_size": 0}, ValueError, "batch_size must be at least 1 (got 0)"),
    ],
)
def test_counts_that_cannot_be_are_refused_by_name(
    arguments: dict[str, Any], error: type[Exception], said: str
) -> None:
    """-5 iterations per epoch failed with an IndexError inside the lr table; a world
    size of 0 or -1 scaled the lr by 0 or a negative factor without a word."""
    settings = config(auto_scale_lr=dict(enable=True, base_batch_size=16),
                      train_dataloader=dict(batch_size=2))
    with pytest.raises(error, match=rf"^compile_train_plan: {re.escape(said)}$"):
        compile_train_plan(settings, Net(), **arguments)
    # 0 iterations (an empty loader) is planned as unknown, as before.
    assert compile_train_plan(settings, Net(), iters_per_epoch=0).optimizer is not None


def test_build_optimizer_unwraps_a_module_attribute_once() -> None:
    # MMEngine replaces a model that has a `module` attribute by that attribute, once.
    # build_optimizer unwrapped it, then torch_param_groups unwrapped it again: an inner
    # model with a `module` of its own lost its other parameters (KeyError).
    inner = nn.Module()
    inner.module = nn.Linear(2, 2)
    inner.head = nn.Linear(2, 1)
    outer = nn.Module()
    outer.module = inner
    plan = compile_train_plan(config(), outer, iters_per_epoch=2)
    assert plan.param_groups is not None and plan.param_groups.unwrapped
    optimizer = build_optimizer(plan, outer)
    held = {id(p) for g in optimizer.param_groups for p in g["params"]}
    assert held == {id(p) for p in inner.parameters()}
