"""Real MMPretrain models from their shipped configs: planned on the meta device through
the registry, applied to a real build, bit-exact with MMEngine's ``init_weights``: with
the traced writes replayed (the default for these models), and with the calls made."""

from __future__ import annotations

import copy

import pytest
import torch
from test_init_harness import assert_same, changed, tensors

from initcfg.config.load import load_config
from initcfg.plan.init_plan import InitPlan, compile_init_plan
from initcfg.plan.registry_model import build_registry_model
from openmmlab import build_mmpretrain, import_mmpretrain, mmpretrain_config, model_section

FAMILIES = {
    "resnet50": "resnet/resnet50_8xb32_in1k.py",
    "vit-b16": "vision_transformer/vit-base-p16_64xb64_in1k.py",
    "swin-t": "swin_transformer/swin-tiny_16xb64_in1k.py",
    "convnext-t": "convnext/convnext-tiny_32xb128_in1k.py",
    "mobilenet-v2": "mobilenet_v2/mobilenet-v2_8xb32_in1k.py",
}


def _flags(model: torch.nn.Module) -> list[tuple[str, object]]:
    return [(name, m.__dict__.get("_is_init")) for name, m in model.named_modules()]


def _against_mmengine(relative: str, plan: InitPlan, seed: int, *, replayed: bool) -> None:
    """Apply ``plan`` to one real build and MMEngine's init_weights to another: every
    tensor, the generator state and every module's ``_is_init`` agree. ``replayed``: whether
    apply must replay every call step (a fallback to the call is bit-exact too, so only
    counting the calls tells them apart)."""
    section = model_section(mmpretrain_config(relative))
    torch.manual_seed(0)
    theirs = build_mmpretrain(copy.deepcopy(section))
    ours = build_mmpretrain(copy.deepcopy(section))
    ours.load_state_dict(theirs.state_dict())
    before = tensors(ours)
    torch.manual_seed(seed)
    theirs.init_weights()
    their_rng = torch.get_rng_state()
    targets = [step.target for step in plan.steps if step.kind == "call"]
    made: list[str] = []
    for path in targets:  # an instance attribute in front of the class's init_weights
        method = ours.get_submodule(path).init_weights
        ours.get_submodule(path).__dict__["init_weights"] = (
            lambda method=method, path=path: (made.append(path), method())
        )
    torch.manual_seed(seed)
    plan.apply(ours)
    for path in targets:
        del ours.get_submodule(path).__dict__["init_weights"]
    assert made == ([] if replayed else targets), "replayed" if not replayed else "called"
    assert torch.equal(their_rng, torch.get_rng_state()), "a different number of draws"
    assert_same(theirs, ours)
    assert changed(before, ours)
    assert _flags(ours) == _flags(theirs)


@pytest.mark.slow
@pytest.mark.parametrize("relative", FAMILIES.values(), ids=FAMILIES.keys())
def test_planned_on_meta_and_bit_exact(relative: str) -> None:
    """Every call step's trace is replayable, so apply runs no init_weights of the
    model's; read back from its JSON, the plan replays the same."""
    import_mmpretrain()
    tree = load_config(mmpretrain_config(relative))
    meta_model = build_registry_model(tree)  # the constructors' linspace(...).item() runs
    assert all(t.is_meta for t in [*meta_model.parameters(), *meta_model.buffers()])
    plan = compile_init_plan(tree, meta_model, built_from_config=True)
    assert not plan.errors, [d.message for d in plan.errors]
    calls = [step for step in plan.steps if step.kind == "call"]
    unreplayed = [
        (s.target, s.trace.replay_reason if s.trace else None)
        for s in calls
        if s.trace is None or s.trace.replay is None
    ]
    assert not unreplayed, unreplayed
    assert calls or relative == FAMILIES["convnext-t"], "no call step: nothing replays"
    _against_mmengine(relative, InitPlan.loads(plan.dumps()), 11, replayed=True)


@pytest.mark.slow
@pytest.mark.parametrize("relative", [FAMILIES["resnet50"], FAMILIES["vit-b16"]],
                         ids=["resnet50", "vit-b16"])
def test_the_calls_made_instead_of_replayed_give_the_same(relative: str) -> None:
    """The fallback: with the replay records dropped (a plan from before replay, or one
    whose records do not fit), apply calls each init_weights, still bit-exact."""
    import_mmpretrain()
    tree = load_config(mmpretrain_config(relative))
    plan = compile_init_plan(tree, build_registry_model(tree), built_from_config=True)
    for step in plan.steps:
        if step.trace is not None:
            step.trace.replay = None
    _against_mmengine(relative, plan, 12, replayed=False)


@pytest.mark.slow
@pytest.mark.parametrize("relative", FAMILIES.values(), ids=FAMILIES.keys())
def test_traced_provenance_names_exactly_what_init_weights_writes(relative: str) -> None:
    """Traced on meta, the plan's writers agree with what MMEngine changes on a real
    model: every changed tensor has a planned writer, every tensor planned untouched
    keeps its value, and at most 1% of parameters stay opaque."""
    import_mmpretrain()
    config = mmpretrain_config(relative)
    tree = load_config(config)
    plan = compile_init_plan(tree, build_registry_model(tree), built_from_config=True)
    counts = plan.counts()
    assert counts["init_weights"] <= counts["parameters"] // 100, counts
    torch.manual_seed(0)
    model = build_mmpretrain(copy.deepcopy(model_section(config)))
    before = tensors(model)
    model.init_weights()
    writers = plan.writers()
    moved = {key.split(":", 1)[1] for key in changed(before, model)}
    unwritten = sorted(name for name in moved if not writers.get(name))
    assert not unwritten, f"changed by MMEngine but planned untouched: {unwritten[:5]}"
    for name in moved:
        final = plan.steps[writers[name][-1]]
        if final.kind == "call":
            assert final.traced, f"{name} is written by an untraced call"
