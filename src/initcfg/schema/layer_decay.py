"""``paramwise_cfg`` as the two OpenMMLab layer-decay constructors read it.

Both subclass MMEngine's ``DefaultOptimWrapperConstructor`` (so its ``__init__`` checks
still apply: ``custom_keys`` is a dict, a decay multiplier needs ``weight_decay``) and
replace its ``add_params``, which is where the keys take effect:

* MMPretrain 1.2.0's ``LearningRateDecayOptimWrapperConstructor`` reads
  ``layer_decay_rate``, ``custom_keys`` (their ``decay_mult`` and other options),
  ``bias_decay_mult``, ``norm_decay_mult`` and ``flat_decay_mult``. It copies a custom
  key's options into the group and then sets the group's ``lr`` from the layer depth,
  so a custom key's ``lr_mult`` changes nothing. It raises NotImplementedError for a
  model without ``get_layer_depth`` (or an ``ImageClassifier`` whose backbone has none:
  :mod:`layer_depth_table`).
* MMDetection 3.3.0's ``LearningRateDecayOptimizerConstructor`` (ConvNeXt only) reads
  ``num_layers`` and ``decay_rate`` (both needed: it computes with them, a missing one
  is a TypeError on None) and ``decay_type`` (``'layer_wise'`` anywhere in it, or
  exactly ``'stage_wise'``; anything else leaves the layer id unset and raises), and
  nothing else: ``custom_keys`` and the multipliers do nothing (a zero bias, norm or
  flat decay multiplier asks for what it does anyway, so is not reported). It raises
  NotImplementedError unless the backbone's class name contains ``ConvNeXt``.

Every one of these fails or takes effect when the Runner builds the optimizer wrapper,
after the model and the dataloaders are built. An empty (or no) ``paramwise_cfg`` never
reaches ``add_params``: MMEngine then builds one group of all parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from initcfg.diagnostics import KeyPath, did_you_mean
from initcfg.schema.layer_depth_table import (
    DELEGATES_TO_BACKBONE,
    DEPTH_18_RESNETS,
    NO_LAYER_DEPTH,
)

__all__ = [
    "LayerDecayConstructor",
    "layer_decay_constructor",
    "layer_decay_problems",
    "optim_wrapper_layer_decay",
]


class LayerDecayConstructor(NamedTuple):
    """One layer-decay constructor: who defines it and which keys its groups read."""

    name: str
    project: str  # the package that registers it, and its name in messages
    reads: tuple[str, ...]
    # The other constructor's spelling of a key this one spells differently.
    other_spelling: Mapping[str, str]


_MMPRETRAIN = LayerDecayConstructor(
    "LearningRateDecayOptimWrapperConstructor",
    "mmpretrain",
    ("layer_decay_rate", "custom_keys", "bias_decay_mult", "norm_decay_mult",
     "flat_decay_mult"),
    {"decay_rate": "layer_decay_rate"},
)
_MMDET = LayerDecayConstructor(
    "LearningRateDecayOptimizerConstructor",
    "mmdet",
    ("num_layers", "decay_rate", "decay_type"),
    {"layer_decay_rate": "decay_rate"},
)
_BY_NAME = {found.name: found for found in (_MMPRETRAIN, _MMDET)}
_PROJECT = {"mmpretrain": "MMPretrain", "mmdet": "MMDetection"}


def layer_decay_constructor(written: Any) -> LayerDecayConstructor | None:
    """The layer-decay constructor ``optim_wrapper.constructor = written`` names: its
    registry name (``mmdet.`` scope or not) or a class path into its package."""
    if not isinstance(written, str):
        return None
    module, _, name = written.rpartition(".")
    found = _BY_NAME.get(name)
    if found is None or (module and module.split(".")[0] != found.project):
        return None
    return found


# One finding: code, message, where (under the optim_wrapper), hint.
Problem = tuple[str, str, KeyPath, str | None]


def optim_wrapper_layer_decay(
    optim_wrapper: Mapping[str, Any],
    model: Callable[[], Any],
    root: KeyPath = ("optim_wrapper",),
) -> Iterator[Problem]:
    """:func:`layer_decay_problems` of an ``optim_wrapper`` dict whose ``constructor``
    is a layer-decay one (nothing for any other, or a ``paramwise_cfg`` that is no dict:
    the parser reports that). ``model`` reads the config's ``model``, only for a
    layer-decay constructor: the fine-tune parser reads no ``model`` otherwise."""
    constructor = layer_decay_constructor(optim_wrapper.get("constructor"))
    paramwise = optim_wrapper.get("paramwise_cfg")
    if constructor is not None and (paramwise is None or isinstance(paramwise, Mapping)):
        yield from layer_decay_problems(constructor, paramwise, model(), root)
        optimizer = optim_wrapper.get("optimizer")
        if constructor is _MMPRETRAIN and paramwise and isinstance(optimizer, Mapping) and (
            optimizer.get("weight_decay") is None
        ):
            # Its last step logs each group's weight_decay, which only base_wd sets.
            yield (
                "IC303",
                "MMPretrain's LearningRateDecayOptimWrapperConstructor needs "
                "optimizer.weight_decay: it gives a group a weight_decay only from it, then "
                "reads every group's and raises KeyError('weight_decay') when the Runner "
                "builds the optimizer wrapper",
                (*root, "optimizer"),
                "write optimizer.weight_decay (AdamW's default is 0.01)",
            )


def _registry_name(entry: Any, project: str) -> str | None:
    """The registry name ``entry['type']`` gives, when it is one of ``project``'s: a
    plain name, ``project.Name`` or a class path into ``project``."""
    kind = entry.get("type") if isinstance(entry, Mapping) else None
    if not isinstance(kind, str):
        return None
    module, _, name = kind.rpartition(".")
    return name if not module or module.split(".")[0] == project else None


def layer_decay_problems(
    constructor: LayerDecayConstructor,
    paramwise: Mapping[str, Any] | None,
    model: Any,
    root: KeyPath = ("optim_wrapper",),
) -> Iterator[Problem]:
    """What ``constructor`` makes of ``paramwise`` (None: not set) for the config's
    ``model``: keys it ignores, and what it raises on."""
    if not paramwise:
        # MMEngine's __call__ hands an empty paramwise_cfg's model.parameters() to the
        # optimizer as they are: add_params, the subclass's own code, never runs.
        return
    path: KeyPath = (*root, "paramwise_cfg")
    owner = f"{_PROJECT[constructor.project]}'s {constructor.name}"
    given = paramwise
    for key in given:
        if key in constructor.reads or (constructor is _MMDET and _met(key, given[key])):
            continue
        spelled = constructor.other_spelling.get(key)
        yield (
            "IC305",
            f"paramwise_cfg key {key!r} is not read by {owner}, which builds its "
            f"parameter groups from {', '.join(constructor.reads)} alone; it does nothing",
            (*path, key),
            f"{owner} spells it {spelled!r}" if spelled else did_you_mean(key, constructor.reads),
        )
    backbone = model.get("backbone") if isinstance(model, Mapping) else None
    if constructor is _MMPRETRAIN:
        yield from _ignored_lr_mults(given, path, owner)
        yield from _no_layer_depth(model, backbone, root, owner)
        return
    for key in ("num_layers", "decay_rate"):
        if given.get(key) is None:
            yield (
                "IC303",
                f"{owner} needs paramwise_cfg {key!r}: it computes with it when it builds "
                "the optimizer wrapper, and raises TypeError on None",
                path,
                None,
            )
    decay_type = given.get("decay_type", "layer_wise")
    if not (isinstance(decay_type, str) and (
        "layer_wise" in decay_type or decay_type == "stage_wise"
    )):
        yield (
            "IC302",
            f"{owner} knows decay_type 'layer_wise' and 'stage_wise' (got {decay_type!r}): "
            "any other leaves the layer id unset and it raises",
            (*path, "decay_type"),
            None,
        )
    backbone_type = backbone.get("type") if isinstance(backbone, Mapping) else None
    if isinstance(backbone_type, str) and "ConvNeXt" not in backbone_type.rpartition(".")[2]:
        yield (
            "IC302",
            f"{owner} supports ConvNeXt backbones only and raises NotImplementedError for "
            f"model.backbone.type {backbone_type!r} when it builds the optimizer wrapper",
            (*root, "constructor"),
            "use MMEngine's default constructor (remove constructor and its paramwise_cfg "
            "with _delete_=True) or a ConvNeXt backbone",
        )


# What MMDetection's constructor does on its own: every bias and 1-D parameter (norm
# weights among them) in a group without weight decay, and each parameter once
# (`named_parameters` skips a shared one). A key asking for just that is not read, but
# nothing it asks for is missing (RTMDet's ConvNeXt config inherits these three).
_MMDET_ALREADY = {"bias_decay_mult": 0, "norm_decay_mult": 0, "flat_decay_mult": 0}


def _met(key: str, value: Any) -> bool:
    if key == "bypass_duplicate":
        return True
    return key in _MMDET_ALREADY and value == _MMDET_ALREADY[key] and not isinstance(value, bool)


def _no_layer_depth(model: Any, backbone: Any, root: KeyPath, owner: str) -> Iterator[Problem]:
    # The constructor asks the model for get_layer_depth and raises NotImplementedError
    # without one; ImageClassifier and the self-supervised algorithms ask their backbone.
    kind = _registry_name(model, "mmpretrain")
    backbone_kind = _registry_name(backbone, "mmpretrain")
    if kind in NO_LAYER_DEPTH:
        what = f"model.type {kind!r} has none"
    elif kind in DELEGATES_TO_BACKBONE and backbone_kind in NO_LAYER_DEPTH:
        what = f"{kind} asks its backbone, and model.backbone.type {backbone_kind!r} has none"
    elif (kind in DELEGATES_TO_BACKBONE and backbone_kind in DEPTH_18_RESNETS
          and isinstance(backbone, Mapping) and backbone.get("depth") == 18):
        what = (f"{kind} asks its backbone, and {backbone_kind}'s maps depths 34 to 200, "
                "not 18")
    else:
        return
    yield (
        "IC302",
        f"{owner} gives each layer its lr from the model's get_layer_depth; {what}: "
        "it raises NotImplementedError when the Runner builds the optimizer wrapper",
        (*root, "constructor"),
        "use MMEngine's default constructor (remove constructor and its paramwise_cfg with "
        "_delete_=True) or a backbone with a layer-depth map (ViT, Swin, ConvNeXt, ResNet)",
    )


def _ignored_lr_mults(given: Mapping[str, Any], path: KeyPath, owner: str) -> Iterator[Problem]:
    keys = given.get("custom_keys")
    if not isinstance(keys, Mapping):
        return
    for name, options in keys.items():
        if isinstance(options, Mapping) and "lr_mult" in options:
            yield (
                "IC305",
                f"custom_keys[{name!r}] sets lr_mult, which {owner} does not read: it sets "
                "each parameter's lr from layer_decay_rate and its layer depth alone",
                (*path, "custom_keys", name, "lr_mult"),
                "scale the lr through layer_decay_rate, or use MMEngine's default "
                "constructor for per-key lr multipliers",
            )
