"""compile_init_plan / InitPlan: provenance, apply, JSON, config overlay, diagnostics."""

from __future__ import annotations

import copy
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from initcfg.backend.torch import InitError
from initcfg.config.load import load_config
from initcfg.plan.init_plan import InitPlan, compile_init_plan
from initcfg.plan.meta import build_on_meta

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from examples.models import FasterRCNN, build_detector, save_backbone_checkpoint  # noqa: E402

EXAMPLES = REPO / "examples" / "plan"


class WriteRecorder(TorchFunctionMode):
    """Records, for every tensor of a model, each step index that writes it in place."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.names: dict[int, str] = {}
        for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
            self.names.setdefault(tensor.data_ptr(), name)
        self.step: int | None = None
        self.writes: dict[str, list[int]] = {}

    def on_step(self, index: int, _step: Any) -> None:
        self.step = index

    def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        name = getattr(func, "__name__", "")
        # nn.init functions arrive whole (tensor as keyword); Tensor methods as args[0].
        target = args[0] if args else (kwargs or {}).get("tensor")
        in_place = name.endswith("_") and not name.endswith("__")
        if in_place and isinstance(target, torch.Tensor) and self.step is not None:
            tensor = self.names.get(target.data_ptr())
            if tensor is not None:
                seen = self.writes.setdefault(tensor, [])
                if not seen or seen[-1] != self.step:
                    seen.append(self.step)
        return func(*args, **(kwargs or {}))


def _detector_config(checkpoint: str) -> dict[str, Any]:
    tree = load_config(EXAMPLES / "faster_rcnn.yaml")
    data = copy.deepcopy(tree.data)
    data["model"]["backbone"]["init_cfg"]["checkpoint"] = checkpoint
    return data


@pytest.fixture
def checkpoint(tmp_path: Path) -> str:
    path = tmp_path / "detector.pth"
    save_backbone_checkpoint(str(path))
    return str(path)


def _check_provenance(plan: InitPlan, model: nn.Module) -> WriteRecorder:
    recorder = WriteRecorder(model)
    with recorder:
        plan.apply(model, on_step=recorder.on_step)
    provenance = plan.provenance()
    for name, _ in model.named_parameters():
        observed = recorder.writes.get(name, [])
        planned = provenance[name]
        expected = [*planned.overwritten, planned.final] if planned.final is not None else []
        calls = {i for i in expected if plan.steps[i].kind == "call"}
        if calls:
            # A module's own init_weights *may* write everything under it.
            assert [i for i in observed if i not in calls] == [
                i for i in expected if i not in calls
            ], name
            assert set(observed) <= set(expected), name
        else:
            assert observed == expected, name
    return recorder


def test_final_writers_match_instrumented_apply(checkpoint: str) -> None:
    config = _detector_config(checkpoint)
    model = build_detector(config["model"])
    plan = compile_init_plan(config, model)
    assert not plan.errors
    recorder = _check_provenance(plan, model)
    assert recorder.writes  # the instrumentation saw the writes
    assert plan.final_writer("backbone.conv1.weight").kind == "load"  # type: ignore[union-attr]
    fc_cls = plan.final_writer("roi_head.bbox_head.fc_cls.weight")
    assert fc_cls is not None and fc_cls.whole and fc_cls.target == "roi_head.bbox_head.fc_cls"


def test_overwrites_recorded_and_observed() -> None:
    class Head(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.init_cfg = [
                dict(type="Normal", layer="Linear", std=1),
                dict(type="Constant", val=0, override=dict(name="cls")),
            ]
            self.cls = nn.Linear(2, 2)
            self.reg = nn.Linear(2, 2)

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.init_cfg = dict(type="Uniform", layer="Linear")
            self.head = Head()

    model = Model()
    plan = compile_init_plan(None, model)
    prov = plan.provenance()
    assert len(prov["head.cls.weight"].overwritten) == 2
    assert len(prov["head.reg.weight"].overwritten) == 1
    _check_provenance(plan, model)


def test_apply_bit_exact_with_init_weights_and_meta_plan(checkpoint: str) -> None:
    config = _detector_config(checkpoint)
    with torch.device("meta"):
        meta_model = build_detector(config["model"])
    plan = compile_init_plan(config, meta_model)
    assert all(p.is_meta for p in meta_model.parameters())
    model_a = build_detector(config["model"])
    model_b = copy.deepcopy(model_a)
    torch.manual_seed(3)
    plan.apply(model_a)
    torch.manual_seed(3)
    compile_init_plan(config, model_b).apply(model_b)
    for (name, a), (_, b) in zip(
        model_a.state_dict().items(), model_b.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), name


def _as_mmengine(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in which every module that sets ``init_cfg`` is a real
    ``mmengine.model.BaseModule`` (its class gains BaseModule as a base, its name kept),
    so MMEngine's own ``init_weights`` runs on the same structure and tensors."""
    from mmengine.model import BaseModule

    copied = copy.deepcopy(model)
    made: dict[type, type] = {}
    for module in copied.modules():
        cls = type(module)
        if "init_cfg" not in module.__dict__ or isinstance(module, BaseModule):
            continue
        if cls not in made:
            made[cls] = type(cls.__name__, (cls, BaseModule), {"__module__": cls.__module__})
        module.__class__ = made[cls]
        module._is_init = False  # type: ignore[assignment]
    return copied


def test_plan_without_config_equals_init_weights() -> None:
    pytest.importorskip("mmengine")
    import logging

    from mmengine.logging import MMLogger

    MMLogger.get_instance("mmengine").setLevel(logging.ERROR)
    model_a = FasterRCNN()
    model_b = _as_mmengine(model_a)
    torch.manual_seed(11)
    compile_init_plan(None, model_a).apply(model_a)
    ours = torch.get_rng_state()
    torch.manual_seed(11)
    model_b.init_weights()  # type: ignore[operator]  # MMEngine's BaseModule.init_weights
    assert torch.equal(ours, torch.get_rng_state()), "a different number of random draws"
    for (name, a), (_, b) in zip(
        model_a.state_dict().items(), model_b.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), name


def test_json_round_trip_applies_identically(checkpoint: str) -> None:
    config = _detector_config(checkpoint)
    model = build_detector(config["model"])
    plan = compile_init_plan(config, model)
    text = json.dumps(plan.to_json())
    again = InitPlan.loads(text)
    assert again.to_json() == plan.to_json()
    other = copy.deepcopy(model)
    torch.manual_seed(5)
    plan.apply(model)
    torch.manual_seed(5)
    again.apply(other)
    pairs = zip(model.state_dict().values(), other.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)


def test_save_is_atomic_and_loadable(tmp_path: Path) -> None:
    plan = compile_init_plan(None, FasterRCNN())
    target = tmp_path / "plan.json"
    plan.save(target)
    assert InitPlan.loads(target.read_text()).to_json() == plan.to_json()
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_config_init_cfg_replaces_attribute_with_location(checkpoint: str) -> None:
    config = _detector_config(checkpoint)
    model = build_detector(config["model"])
    plan = compile_init_plan(config, model)
    rpn = plan.final_writer("rpn_head.rpn_conv.weight")
    assert rpn is not None and rpn.origin.source == "config"
    assert rpn.origin.key == "model.rpn_head.init_cfg"
    backbone = plan.final_writer("backbone.layer1.0.conv1.weight")
    assert backbone is not None and backbone.load is not None
    assert backbone.load.prefix == "backbone"
    assert backbone.load.tensors["layer1.0.conv1.weight"] == "backbone.layer1.0.conv1.weight"


def test_config_list_items_map_to_indices() -> None:
    class Box(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.heads = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])

    class Outer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.box = Box()

    config = {
        "model": {
            "box": {
                "heads": [{}, {"init_cfg": {"type": "Constant", "layer": "Linear", "val": 2}}]
            }
        }
    }
    model = Outer()
    plan = compile_init_plan(config, model, reach="all")
    assert plan.final_writer("box.heads.1.weight") is not None
    assert plan.final_writer("box.heads.0.weight") is None
    default = compile_init_plan(config, model)
    assert [u.module for u in default.unreached] == ["box.heads.1"]
    assert [d.code for d in default.diagnostics if d.code == "IC403"] == ["IC403"]


def test_model_dependent_diagnostics(tmp_path: Path) -> None:
    model = FasterRCNN()
    config = {
        "model": {
            "rpn_head": {"init_cfg": {"type": "Normal", "layer": "Conv2D"}},
            "roi_head": {
                "bbox_head": {
                    "init_cfg": {"type": "Normal", "override": {"name": "fc_clss"}}
                },
                "mask_head": {"init_cfg": {"type": "Normal", "layer": "Conv2d"}},
            },
            "neck": {"init_cfg": {"type": "Kaiming", "override": {"name": "fpn_convs"}}},
        }
    }
    plan = compile_init_plan(config, model)
    codes = {d.code: d for d in plan.diagnostics}
    assert codes["IC402"].hint == "did you mean 'Conv2d'?"
    assert codes["IC401"].severity == "error" and codes["IC401"].hint == "did you mean 'fc_cls'?"
    assert codes["IC408"].severity == "warning"
    assert "IC405" in codes and "parameters keep torch's default" in codes["IC405"].message
    with pytest.raises(InitError, match="IC401"):
        plan.apply(model)


def test_fan_based_override_on_norm_is_error() -> None:
    class Neck(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.init_cfg = dict(type="Kaiming", override=dict(name="block"))
            self.block = nn.Sequential(nn.Conv2d(2, 2, 1), nn.BatchNorm2d(2))

    plan = compile_init_plan(None, Neck())
    assert [d.code for d in plan.errors] == ["IC406"]


def test_pretrained_overwritten_is_reported(tmp_path: Path) -> None:
    class Child(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.init_cfg = dict(type="Constant", layer="Linear", val=1)
            self.fc = nn.Linear(2, 2)

    class Parent(nn.Module):
        def __init__(self, ckpt: str) -> None:
            super().__init__()
            load = dict(name="child", type="Pretrained", checkpoint=ckpt)
            self.init_cfg = dict(type="Normal", layer="Conv2d", override=load)
            self.child = Child()

    path = tmp_path / "c.pth"
    torch.save(Child().state_dict(), path)
    plan = compile_init_plan(None, Parent(str(path)))
    (note,) = [d for d in plan.diagnostics if d.code == "IC404"]
    assert "child.fc.weight" in note.message and note.severity == "info"


def test_load_from_is_the_last_step(checkpoint: str) -> None:
    model = FasterRCNN()
    plan = compile_init_plan({"load_from": checkpoint}, model)
    assert plan.steps[-1].origin.source == "load_from"
    assert plan.final_writer("roi_head.bbox_head.fc_cls.weight") is plan.steps[-1]


@pytest.mark.parametrize("load_from", [False, 0, "", ["a.pth"], {"path": "a.pth"}])
def test_a_load_from_that_is_no_path_is_ic302_not_left_out(load_from: Any) -> None:
    # MMEngine's runner loads every load_from that is not None and fails on these; the
    # plan left them out, reported nothing, and --apply wrote weights.
    plan = compile_init_plan({"load_from": load_from}, nn.Linear(2, 2))
    assert [(d.code, d.path) for d in plan.errors] == [("IC302", "load_from")]
    assert all(step.origin.source != "load_from" for step in plan.steps)


def test_a_checkpoint_that_fails_when_applied_names_the_config_line(tmp_path: Path) -> None:
    # Read only at apply (a download planning skipped, a file removed since), the error
    # named neither the config line nor the key.
    from initcfg.errors import CheckpointError

    checkpoint = tmp_path / "weights.pth"
    torch.save(nn.Linear(2, 2).state_dict(), checkpoint)
    config = tmp_path / "c.py"
    config.write_text(f"model = dict()\nload_from = {str(checkpoint)!r}\n")
    plan = compile_init_plan(str(config), nn.Linear(2, 2))
    assert plan.errors == []
    checkpoint.unlink()
    with pytest.raises(CheckpointError) as raised:
        InitPlan.loads(plan.dumps()).apply(nn.Linear(2, 2))
    message = str(raised.value)
    assert message.startswith(f"{config}:2:1: checkpoint file {checkpoint} does not exist")
    assert message.endswith("(load_from)")


def test_missing_checkpoint_is_a_diagnostic() -> None:
    model = FasterRCNN()
    config = {"model": {"backbone": {"init_cfg": {"type": "Pretrained", "checkpoint": "nope.pth"}}}}
    plan = compile_init_plan(config, model)
    assert [d.code for d in plan.errors] == ["IC409"]


def test_user_defined_init_weights_is_a_call_step() -> None:
    class Custom(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def init_weights(self) -> None:
            nn.init.constant_(self.fc.weight, 4)

    class Outer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.init_cfg = dict(type="Normal", layer="Linear")
            self.custom = Custom()

    model = Outer()
    plan = compile_init_plan(None, model)
    assert [s.kind for s in plan.steps] == ["init", "call"]
    _check_provenance(plan, model)
    assert torch.all(model.custom.fc.weight == 4)


def test_yaml_and_python_examples_compile(checkpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    for name in ("faster_rcnn.yaml", "faster_rcnn.py"):
        tree = load_config(EXAMPLES / name)
        data = copy.deepcopy(tree.data)
        data["model"]["backbone"]["init_cfg"]["checkpoint"] = checkpoint
        plan = compile_init_plan(data, build_detector(data["model"]))
        assert not plan.errors, name
        assert plan.tensors["roi_head.bbox_head.fc_cls.weight"].shape == (7, 32)
    codes = {d.code for d in plan.diagnostics}
    assert {"IC402", "IC403"} <= codes  # the Python example's deliberate mistakes


def test_config_grammar_errors_are_located(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "model:\n"
        "  rpn_head:\n"
        "    init_cfg:\n"
        "      type: normal\n"
        "      layer: Conv2d\n"
    )
    plan = compile_init_plan(path, FasterRCNN())
    (error,) = plan.errors
    assert error.code == "IC103"
    assert error.file is not None and error.file.endswith("bad.yaml") and error.line == 4
    assert error.path == "model.rpn_head.init_cfg.type"
    with pytest.raises(InitError):
        plan.apply(FasterRCNN())


def test_config_init_cfg_none_removes_attribute() -> None:
    model = FasterRCNN()
    plan = compile_init_plan({"model": {"rpn_head": {"init_cfg": None}}}, model)
    assert plan.final_writer("rpn_head.rpn_conv.weight") is None
    assert plan.final_writer("backbone.conv1.weight") is not None


def test_inexact_apply_skips_overwritten_draws_only() -> None:
    class Head(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.init_cfg = dict(type="Constant", layer="Linear", val=2, bias=1)
            self.fc = nn.Linear(3, 3)

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.init_cfg = dict(type="Normal", layer=["Linear", "Conv2d"], std=5)
            self.head = Head()
            self.conv = nn.Conv2d(2, 2, 1)

    exact_model = Model()
    fast_model = copy.deepcopy(exact_model)
    plan = compile_init_plan(None, exact_model)
    assert plan.dead_writes() == {0: frozenset({0, 1})}  # head.fc written twice
    torch.manual_seed(0)
    plan.apply(exact_model)
    torch.manual_seed(0)
    plan.apply(fast_model, exact=False)
    assert torch.all(fast_model.head.fc.weight == 2)
    assert torch.equal(fast_model.head.fc.bias, exact_model.head.fc.bias)
    # The conv is drawn first in exact mode's stream only after head.fc's dead draw.
    assert not torch.equal(fast_model.conv.weight, exact_model.conv.weight)


class _OwnInit(nn.Module):
    """A block whose own init_weights applies its init_cfg first, as MMEngine's
    ``super().init_weights()`` does (mmpretrain's ResNet)."""

    def __init__(self, init_cfg: Any = None) -> None:
        super().__init__()
        self.init_cfg = init_cfg
        self.conv = nn.Conv2d(3, 3, 1)

    def init_weights(self) -> None:
        from initcfg.backend.torch import initialize

        initialize(self, self.init_cfg)


class _WithOwnInit(nn.Module):
    def __init__(self, backbone: Any = None) -> None:
        super().__init__()
        self.backbone = _OwnInit(**(backbone or {}))


@pytest.mark.parametrize("built_from_config", [False, True])
def test_grammar_errors_of_an_init_cfg_an_own_init_weights_reads_are_the_plans(
    tmp_path: Path, built_from_config: bool
) -> None:
    """validate calls mode='fan_inn' an error; the plan did not when the module it
    configures has its own init_weights, whose trace on meta then stopped on it (it exited
    0, and --apply raised in MMEngine)."""
    path = tmp_path / "bad.yaml"
    path.write_text(
        "model:\n"
        "  backbone:\n"
        "    init_cfg: {type: Kaiming, layer: Conv2d, mode: fan_inn}\n"
    )
    section = load_config(path).to_dict()["model"]
    model = build_on_meta(lambda: _WithOwnInit(**section))  # as a registry config plans
    plan = compile_init_plan(path, model, built_from_config=built_from_config)
    (error,) = plan.errors
    assert error.code == "IC105" and error.path == "model.backbone.init_cfg.mode"
    assert error.file is not None and error.file.endswith("bad.yaml") and error.line == 3


def test_configured_at_names_library_files_as_traced_rows_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An installed package's file is shown relative to its sys.path root in every row
    (an mmpretrain head's default init_cfg was shown by its whole site-packages path,
    beside traced rows of the same package shown as mmpretrain/models/...)."""
    library = tmp_path / "lib"
    (library / "somepkg").mkdir(parents=True)
    (library / "somepkg" / "__init__.py").write_text("")
    (library / "somepkg" / "heads.py").write_text(
        "from torch import nn\n"
        "class Head(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.init_cfg = dict(type='Constant', layer='Linear', val=1)\n"
        "        self.fc = nn.Linear(2, 2)\n"
    )
    monkeypatch.syspath_prepend(str(library))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    from somepkg.heads import Head  # type: ignore[import-not-found]

    rows = {row[0]: row for row in compile_init_plan(None, Head()).rows()}
    assert rows["fc.weight"][3] == os.path.join("somepkg", "heads.py") + ":2"


def test_apply_writes_a_tensor_an_on_step_hook_replaced() -> None:
    # The tensors found before the first write are written directly only when no hook
    # runs between the check and the writes: a hook replacing one left the new tensor
    # unwritten (its zeros stayed) and wrote the detached old one.
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    plan = compile_init_plan(
        {"model": {"init_cfg": dict(type="Constant", val=2.0, layer="Linear")}}, model
    )
    replacement = nn.Parameter(torch.zeros(4, 4))

    def replace_second_weight(index: int, _step: Any) -> None:
        if index == 0:
            model[1].weight = replacement

    plan.apply(model, on_step=replace_second_weight)
    assert model[1].weight is replacement
    assert torch.equal(replacement.detach(), torch.full((4, 4), 2.0))


def test_a_step_recorder_keeps_the_tensors_the_fit_check_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The command lines pass a StepRecorder to name a step whose model code raises; it
    # promises to leave the model alone, so the writes need no second lookup (an
    # arbitrary hook costs one per write: about 1.7x the apply at 10k modules).
    from initcfg.backend.torch import _execute
    from initcfg.plan.steps import StepRecorder

    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    plan = compile_init_plan(
        {"model": {"init_cfg": dict(type="Constant", val=2.0, layer="Linear")}}, model
    )
    lookups: list[str] = []
    real_lookup = _execute.written_tensor

    def counting_lookup(module: nn.Module, attr: str) -> Any:
        lookups.append(attr)
        return real_lookup(module, attr)

    monkeypatch.setattr(_execute, "written_tensor", counting_lookup)
    recorder = StepRecorder()
    plan.apply(model, on_step=recorder)
    assert lookups == []
    assert recorder.running is plan.steps[-1]
    assert all(torch.equal(layer.weight.detach(), torch.full((4, 4), 2.0)) for layer in model)

    plan.apply(model, on_step=lambda _index, _step: None)
    assert len(lookups) == 4  # weight and bias of both layers, each looked up again
