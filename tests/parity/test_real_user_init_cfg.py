"""A user's init_cfg on a real MMPretrain backbone that defines its own init_weights.

MMPretrain's ResNet (like ViT, Swin and the heads with a hidden layer) applies its
``init_cfg`` through ``super().init_weights()``. A plan calls that ``init_weights``
instead of applying the entries, so an entry MMEngine raises on (an override name the
backbone lacks, a fan-based initializer on BatchNorm, a Pretrained override whose prefix
no key has) was only an IC412 note: the plan had no error, and ``apply`` stopped inside
the call with tensors already written. Where the trace records a write without running
it (``nn.init.kaiming_uniform_``, which Caffe2Xavier draws through, and ``uniform_``),
it did not even stop: torch's own checks of the arguments were skipped. Each case here
is a config on the shipped ResNet-18 config: MMEngine's ``init_weights`` raises on a
real build, and the plan of a meta build has the error at the line the user wrote.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from test_init_harness import assert_same

from initcfg.config.load import load_config
from initcfg.plan.init_plan import compile_init_plan
from initcfg.plan.registry_model import build_registry_model
from openmmlab import build_mmpretrain, import_mmpretrain, mmpretrain_config, model_section

RESNET18 = "resnet/resnet18_8xb32_in1k.py"
CHECKPOINT = "CHECKPOINT"  # replaced by a checkpoint of the same model, saved per test

# (the backbone's init_cfg as the user writes it, the code initcfg reports, or None: valid)
CASES = {
    "override-name-missing": (
        "dict(type='Kaiming', layer='Conv2d',\n"
        "     override=dict(name='stem'))",
        "IC401",
    ),
    "override-name-dotted": (
        "dict(type='Normal', std=0.01, override=dict(name='layer1.0'))",
        "IC113",  # the grammar's: a dotted name never matches
    ),
    "override-name-not-a-module": (
        "dict(type='Constant', val=1, override=dict(name='depth'))",
        "IC411",
    ),
    "fan-based-on-batchnorm": (
        "[dict(type='Constant', val=1, layer='Conv2d'),\n"
        " dict(type='Xavier', layer='BatchNorm2d')]",
        "IC406",
    ),
    # Caffe2Xavier draws through nn.init.kaiming_uniform_, which a trace on meta records
    # without running (and so without its fan check); likewise uniform_'s from <= to.
    "caffe2xavier-override-on-batchnorm": (
        "dict(type='Normal', std=0.01,\n"
        "     override=dict(name='bn1', type='Caffe2Xavier'))",
        "IC406",
    ),
    "uniform-from-above-to": (
        "dict(type='Uniform', a=1, b=0, layer='Conv2d')",
        "IC105",
    ),
    "pretrained-override-name-missing": (
        "dict(type='Pretrained', checkpoint=CHECKPOINT, prefix='backbone',\n"
        "     override=dict(name='stem', type='Constant', val=0))",
        "IC401",
    ),
    "pretrained-override-prefix-missing": (
        "dict(type='Normal', std=0.01, layer='Linear',\n"
        "     override=dict(name='conv1', type='Pretrained', checkpoint=CHECKPOINT,\n"
        "                   prefix='neck'))",
        "IC409",
    ),
    "valid-pretrained-with-override": (
        "dict(type='Pretrained', checkpoint=CHECKPOINT, prefix='backbone',\n"
        "     override=dict(name='conv1', type='Constant', val=0.5))",
        None,
    ),
    "valid-override": (
        "[dict(type='Kaiming', layer='Conv2d', override=dict(name='norm1', type='Constant',\n"
        "                                                     val=2))]",
        None,
    ),
}


@pytest.fixture(scope="module")
def donor_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A state dict of the shipped ResNet-18 (other values than a fresh build's)."""
    import_mmpretrain()
    torch.manual_seed(99)
    donor = build_mmpretrain(model_section(mmpretrain_config(RESNET18)))
    path = tmp_path_factory.mktemp("donor") / "resnet18.pth"
    torch.save(donor.state_dict(), path)
    return str(path)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("case", CASES, ids=CASES)
def test_a_backbone_init_cfg_mmengine_raises_on_is_a_plan_error(
    case: str, donor_checkpoint: str, tmp_path: Path
) -> None:
    init_cfg, code = CASES[case]
    config = tmp_path / "user.py"
    base = str(mmpretrain_config(RESNET18))
    config.write_text(
        f"_base_ = [{base!r}]\n"
        f"CHECKPOINT = {donor_checkpoint!r}\n"
        "model = dict(\n"
        "    backbone=dict(\n"
        f"        init_cfg={init_cfg}))\n"
    )
    section = model_section(config)
    torch.manual_seed(0)
    theirs = build_mmpretrain(copy.deepcopy(section))
    ours = copy.deepcopy(theirs)
    tree = load_config(config)
    plan = compile_init_plan(tree, build_registry_model(tree), built_from_config=True)
    torch.manual_seed(3)
    if code is None:
        theirs.init_weights()
        their_rng = torch.get_rng_state()
        assert plan.errors == []
        torch.manual_seed(3)
        plan.apply(ours)
        assert torch.equal(their_rng, torch.get_rng_state())
        assert_same(theirs, ours)
        return
    with pytest.raises(Exception):  # noqa: B017 - whatever MMEngine raises
        theirs.init_weights()
    assert {d.code for d in plan.errors} == {code}, [d.message for d in plan.errors]
    for error in plan.errors:  # one per entry, or per weight for IC406
        assert error.file == str(config)
        assert error.line is not None and 5 <= error.line <= 8, error
