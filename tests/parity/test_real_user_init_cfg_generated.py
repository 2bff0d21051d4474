"""Generated user init_cfgs on real MMPretrain models, against MMEngine 0.10.7.

test_real_models.py plans MMPretrain's shipped configs as they are, and
test_init_parity_generated.py generates init_cfgs on synthetic models; here the model is
real and the generated part is what a user writes on top of a shipped config: an
``init_cfg`` at the model, backbone and head (None, a dict or a list, beside the shipped
config's own), of every initializer type, with ``layer`` names of classes the model has
and has not, overrides naming real children, properties (ResNet's ``norm1``), attributes
that are no module, dotted paths and nothing at all, and Pretrained entries (and
overrides) loading a checkpoint of the same model, with and without ``prefix`` and
``map_location``. The configs are small versions of ResNet-18, MobileNetV2, DeiT-tiny,
Swin-T and ConvNeXt, each a file whose ``_base_`` is the shipped config.

Each config is built by MMPretrain's registry and initialized from one seed three ways:
MMEngine's ``init_weights``, ``initcfg.init_weights`` on a copy, and the plan compiled on
a meta build of the config (``built_from_config``) applied to another copy. Where
MMEngine runs, every parameter and buffer and the generator state must be equal, and
the plan must name the final writer MMEngine used for every tensor: the initializer
class for an init_cfg entry (the user's, or the shipped config's), Pretrained for a load,
model code for a module's own writes (:class:`FinalWriters` watches MMEngine's run).
Where MMEngine raises, the plan has an error at a config line, and ``init_weights``
raises before writing (an ``InitcfgError``) or, inside a module's own ``init_weights``
it calls, MMEngine's own error. Where MMEngine refuses to merge the file into its base
(a dict over the base's list), initcfg's loader refuses it too. The scratch runs behind
this file ran thousands of examples; the suite runs a few, derandomized.
"""

from __future__ import annotations

import copy
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_init_harness import tensors
from torch import nn
from torch.overrides import TorchFunctionMode

import initcfg
from initcfg.config.load import load_config
from initcfg.errors import InitcfgError
from initcfg.plan.init_plan import InitPlan, compile_init_plan
from initcfg.plan.registry_model import build_registry_model
from openmmlab import build_mmpretrain, import_mmpretrain, mmpretrain_config, model_section

# A small version of each shipped config: what the user's file sets beside its init_cfgs.
MODELS: dict[str, tuple[str, dict[str, Any]]] = {
    "resnet18": (
        "resnet/resnet18_8xb32_in1k.py",
        dict(backbone=dict(stem_channels=8, base_channels=8), head=dict(in_channels=64)),
    ),
    "mobilenet-v2": (
        "mobilenet_v2/mobilenet-v2_8xb32_in1k.py", dict(backbone=dict(widen_factor=0.25))
    ),
    "deit-tiny": (
        "deit/deit-tiny_4xb256_in1k.py",
        dict(
            backbone=dict(
                arch=dict(_delete_=True, embed_dims=32, num_layers=2, num_heads=2,
                          feedforward_channels=64),
                img_size=32, patch_size=8,
            ),
            head=dict(in_channels=32, hidden_dim=16),
        ),
    ),
    "swin-t": (
        "swin_transformer/swin-tiny_16xb64_in1k.py",
        dict(
            backbone=dict(
                arch=dict(_delete_=True, embed_dims=16, depths=[1, 2, 1, 1],
                          num_heads=[1, 1, 2, 2]),
                img_size=64, window_size=2,
            ),
            head=dict(in_channels=128),
        ),
    ),
    "convnext": (
        "convnext/convnext-tiny_32xb128_in1k.py",
        dict(
            backbone=dict(arch=dict(_delete_=True, depths=[1, 1, 2, 1], channels=[8, 16, 24, 32])),
            head=dict(in_channels=32),
        ),
    ),
}
LAYERS = [
    "Conv2d", "Linear", "BatchNorm2d", "LayerNorm", "_BatchNorm", "GroupNorm", "_ConvNd",
    "LayerNorm2d", "ConvModule", "Conv2D", "Module", "PatchEmbed", "MultiheadAttention",
    "FFN", "Sequential", "BasicBlock", "InvertedResidual", "ConvNeXtBlock", "WindowMSA",
]
# Override names by where the init_cfg is: real children, properties, attributes that are
# no module, dotted paths and missing names.
NAMES = {
    "model": ["backbone", "neck", "head", "data_preprocessor", "missing", "backbone.conv1"],
    "resnet18": ["conv1", "norm1", "layer1", "layer4", "layer1.0", "depth", "missing"],
    "mobilenet-v2": ["conv1", "layer1", "layer7", "conv2", "widen_factor", "missing"],
    "deit-tiny": ["patch_embed", "layers", "ln1", "cls_token", "layers.0", "missing"],
    "swin-t": ["patch_embed", "stages", "norm3", "stages.0", "missing"],
    "convnext": ["downsample_layers", "stages", "norm3", "gap_before_final_norm", "missing"],
    "head": ["fc", "layers", "loss_module", "num_classes", "layers.head", "missing"],
}
PREFIXES = ["backbone", "backbone.", "head", "nope", "backbone.layers"]
# Each saved from the model itself (other values than a fresh build's): the state dict as
# it is, wrapped in 'state_dict' with DataParallel's 'module.', and the backbone's alone.
CHECKPOINTS = ["full", "wrapped", "backbone"]

_number = st.sampled_from([-1, 0, 2, 0.5, -1.25])
_positive = st.sampled_from([0.01, 0.02, 0.5, 1, 1.5])


def _entry(checkpoints: dict[str, str]) -> st.SearchStrategy[dict[str, Any]]:
    layer = st.sampled_from(LAYERS) | st.lists(st.sampled_from(LAYERS), min_size=1, max_size=3)
    common = dict(layer=layer, bias=_number)
    prob = st.sampled_from([0.01, 0.3, 0.9])
    return st.one_of(
        st.fixed_dictionaries(dict(type=st.just("Constant"), val=_number), optional=common),
        st.fixed_dictionaries(
            dict(type=st.just("Normal")),
            optional=dict(common, mean=_number, std=_positive, bias_prob=prob),
        ),
        st.fixed_dictionaries(
            # Not a > b: initcfg's grammar refuses it (IC105, a meaningless value) even
            # where no module matches and MMEngine draws nothing (a deliberate difference).
            dict(type=st.just("Uniform")), optional=dict(common, a=st.just(-1), b=st.just(1.5))
        ),
        st.fixed_dictionaries(
            dict(type=st.just("Xavier")),
            optional=dict(common, gain=_positive,
                          distribution=st.sampled_from(["normal", "uniform"])),
        ),
        st.fixed_dictionaries(
            dict(type=st.just("Kaiming")),
            optional=dict(
                common, a=_positive, mode=st.sampled_from(["fan_in", "fan_out"]),
                nonlinearity=st.sampled_from(["relu", "leaky_relu", "linear"]),
                distribution=st.sampled_from(["normal", "uniform"]),
            ),
        ),
        st.fixed_dictionaries(
            dict(type=st.just("TruncNormal")),
            optional=dict(common, mean=_number, std=_positive, a=st.just(-1.5),
                          b=st.just(1.0), bias_prob=prob),
        ),
        st.fixed_dictionaries(dict(type=st.just("Caffe2Xavier")), optional=common),
        st.fixed_dictionaries(
            dict(type=st.just("Pretrained"),
                 checkpoint=st.sampled_from(sorted(checkpoints.values()))),
            optional=dict(prefix=st.sampled_from(PREFIXES),
                          map_location=st.sampled_from(["cpu", None])),
        ),
    )


def _init_cfg(names: list[str], checkpoints: dict[str, str]) -> st.SearchStrategy[Any]:
    entry = _entry(checkpoints)
    item = st.fixed_dictionaries(dict(name=st.sampled_from(names))) | st.tuples(
        st.sampled_from(names), entry
    ).map(lambda pair: dict(pair[1], name=pair[0]))
    override = st.none() | item | st.lists(item, min_size=1, max_size=2)
    one = st.tuples(entry, override).map(
        lambda pair: pair[0] if pair[1] is None else dict(pair[0], override=pair[1])
    )
    # "keep": the shipped config's own value (or the constructor's default) stays.
    return st.just("keep") | st.none() | one | st.lists(one, max_size=3)


@st.composite
def _user_model(draw: st.DrawFn, checkpoints: dict[str, dict[str, str]]) -> tuple[str, Any]:
    """A model name and the ``model`` dict of the user's config (merged into the base)."""
    name = draw(st.sampled_from(sorted(MODELS)))
    model = copy.deepcopy(MODELS[name][1])
    for level, names in (("model", NAMES["model"]), ("backbone", NAMES[name]),
                         ("head", NAMES["head"])):
        value = draw(_init_cfg(names, checkpoints[name]))
        if value != "keep":
            (model if level == "model" else model.setdefault(level, {}))["init_cfg"] = value
    return name, model


class FinalWriters(TorchFunctionMode):
    """Watches MMEngine's ``init_weights``: for every in-place write to one of the model's
    tensors, which MMEngine initializer object's ``__call__`` made it (its class name,
    ``KaimingInit``, ``PretrainedInit``), or ``code`` for the model's own code."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        named = [*model.named_parameters(), *model.named_buffers()]
        self.tensors = {(t.data_ptr(), t.dtype): n for n, t in named if t.numel()}
        self.last: dict[str, str] = {}

    def __torch_function__(
        self, func: Callable[..., Any], types: Any, args: Any = (), kwargs: Any = None
    ) -> Any:
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        target = args[0] if args else kwargs.get("tensor")
        if isinstance(target, torch.Tensor) and name.endswith("_") and not name.endswith("__"):
            written = self.tensors.get((target.data_ptr(), target.dtype))
            source = args[1] if name == "copy_" and len(args) > 1 else None
            # BatchNorm loading a checkpoint without module versions copies its own
            # num_batches_tracked into itself: no value changes.
            same = isinstance(source, torch.Tensor) and source.data_ptr() == target.data_ptr()
            if written is not None and not same:
                self.last[written] = _initializer_on_stack()
        return func(*args, **kwargs)


def _initializer_on_stack() -> str:
    from mmengine.model.weight_init import BaseInit, PretrainedInit

    frame = sys._getframe(2)
    while frame is not None:
        owner = frame.f_locals.get("self")
        if frame.f_code.co_name == "__call__" and isinstance(owner, BaseInit | PretrainedInit):
            return type(owner).__name__
        frame = frame.f_back
    return "code"


def _planned_writers(plan: InitPlan) -> tuple[dict[str, str | None], int]:
    """Each tensor's final writer as :class:`FinalWriters` names it (None: untouched),
    and how many tensors an untraced call leaves opaque (left out)."""
    out: dict[str, str | None] = {}
    opaque = 0
    for name, found in plan.provenance().items():
        step = None if found.final is None else plan.steps[found.final]
        if step is None:
            out[name] = None
        elif step.kind == "init" and step.initializer is not None:
            out[name] = f"{step.initializer.type}Init"
        elif step.kind == "load":
            out[name] = "PretrainedInit"
        elif step.trace is not None and step.trace.complete:
            op = [w.op for w in step.trace.writes if w.tensor == name][-1]
            out[name] = op.split("(")[0] if op.endswith(" via init_cfg") else "code"
        else:
            opaque += 1
    return out, opaque


def _config_text(relative: str, model: Any, checkpoints: dict[str, str]) -> str:
    import pprint

    text = pprint.pformat(model, width=88, sort_dicts=False)
    for key, path in checkpoints.items():  # named, as a user writes a path once
        text = text.replace(repr(path), f"CKPT_{key.upper()}")
    names = "".join(f"CKPT_{key.upper()} = {path!r}\n" for key, path in checkpoints.items())
    return f"_base_ = [{str(mmpretrain_config(relative))!r}]\n{names}model = {text}\n"


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    import_mmpretrain()
    folder = tmp_path_factory.mktemp("donors")
    out: dict[str, dict[str, str]] = {}
    for name, (relative, small) in MODELS.items():
        config = folder / f"{name}.py"
        config.write_text(_config_text(relative, small, {}))
        torch.manual_seed(99)
        state = build_mmpretrain(model_section(config)).state_dict()
        paths = {key: str(folder / f"{name}-{key}.pth") for key in CHECKPOINTS}
        torch.save(state, paths["full"])
        torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}}, paths["wrapped"])
        backbone = {k[len("backbone."):]: v for k, v in state.items() if k.startswith("backbone.")}
        torch.save(backbone, paths["backbone"])
        out[name] = paths
    return out


def _differ(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> list[str]:
    assert a.keys() == b.keys()
    return [key for key in a if not torch.equal(a[key], b[key])]


def check_user_config(name: str, model: Any, paths: dict[str, str], folder: Path) -> str:
    """One generated config against MMEngine; returns what happened ("raised", "equal")."""
    config = folder / "user.py"
    config.write_text(_config_text(MODELS[name][0], model, paths))
    try:
        section = model_section(config)
    except Exception as refused:  # a dict merged into a base's list or str: MMEngine's
        with pytest.raises(InitcfgError):  # TypeError at load
            load_config(config)
        return f"load refused: {refused!r}"[:60]
    tree = load_config(config)
    torch.manual_seed(0)
    theirs = build_mmpretrain(copy.deepcopy(section))
    ours, planned, watched = (copy.deepcopy(theirs) for _ in range(3))
    before = tensors(ours)
    plan = compile_init_plan(tree, build_registry_model(tree), built_from_config=True)
    torch.manual_seed(5)
    try:
        theirs.init_weights()
    except Exception as raised:  # whatever MMEngine raises
        assert plan.errors, f"MMEngine raised {raised!r}; the plan has no error"
        # At a line of the user's file, or of the base file a merged value came from.
        assert all(d.file and d.line and d.config == str(config) for d in plan.errors), plan.errors
        try:
            initcfg.init_weights(ours)
        except InitcfgError:
            assert _differ(before, tensors(ours)) == [], "initcfg raised after writing"
        except Exception as theirs_too:
            assert type(theirs_too) is type(raised), (theirs_too, raised)
        else:
            raise AssertionError(f"MMEngine raised {raised!r}; initcfg.init_weights did not")
        return "raised"
    their_rng = torch.get_rng_state()
    assert plan.errors == [], [d.message for d in plan.errors]
    torch.manual_seed(5)
    initcfg.init_weights(ours)
    assert _differ(tensors(theirs), tensors(ours)) == [], "init_weights differs"
    assert torch.equal(their_rng, torch.get_rng_state()), "init_weights draws differently"
    torch.manual_seed(5)
    plan.apply(planned)
    assert _differ(tensors(theirs), tensors(planned)) == [], "the plan differs"
    assert torch.equal(their_rng, torch.get_rng_state()), "the plan draws differently"
    watch = FinalWriters(watched)
    torch.manual_seed(5)
    with watch:
        watched.init_weights()
    assert _differ(tensors(theirs), tensors(watched)) == []
    writers, opaque = _planned_writers(plan)
    wrong = [(n, w, watch.last.get(n)) for n, w in writers.items() if watch.last.get(n) != w]
    assert not wrong, f"final writers differ from MMEngine's: {wrong[:5]} of {len(wrong)}"
    # Only a module whose subtree loads a checkpoint is called untraced (opaque).
    assert opaque == 0 or "Pretrained" in repr(model), plan.counts()
    return "equal"


@pytest.mark.filterwarnings("ignore")
def test_user_init_cfgs_on_real_models_as_mmengine(
    checkpoints: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    outcomes: list[str] = []

    @settings(max_examples=14, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_user_model(checkpoints))
    def check(example: tuple[str, Any]) -> None:
        name, model = example
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outcomes.append(check_user_config(name, model, checkpoints[name], tmp_path))

    check()
    assert {"raised", "equal"} <= set(outcomes), outcomes  # both sides were exercised
