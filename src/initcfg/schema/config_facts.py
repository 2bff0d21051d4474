"""What the fine-tune rules and the fine-tune summary read of a config beyond the typed
fine-tune settings, typed and with key paths: the top-level keys, the heads'
``num_classes`` and the datasets' class counts, the scalar settings as written, the
schedulers as written, and the scopes the config builds in.

:func:`config_facts` walks the merged values once; the :class:`~initcfg.schema.document.Document`
holds the result for the config (``facts``) and for its merged bases (``base_facts``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any, TypeGuard

from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import KeyPath
from initcfg.schema.ema_hooks import EmaHook, ema_hooks
from initcfg.schema.lookup import ABSENT as _ABSENT
from initcfg.schema.lookup import value_at as _get
from initcfg.schema.mmcv1_keys import MMCV1_REPLACEMENTS as MMCV1_REPLACEMENTS
from initcfg.schema.mmcv1_keys import mmcv1_keys as mmcv1_keys

__all__ = [
    "FINETUNE_VALUE_PATHS",
    "MMCV1_REPLACEMENTS",
    "OWN_LOOP_VALIDATION",
    "ConfigFacts",
    "config_facts",
    "config_scopes",
    "dataset_class_counts",
    "has_values",
    "mmcv1_keys",
    "num_classes_fields",
    "tree_scopes",
]

_SPLITS = ("train_dataloader", "val_dataloader", "test_dataloader")

OWN_LOOP_VALIDATION = frozenset({"val_dataloader", "val_evaluator"})
"""What initcfg's own loop (a factory ``model.type``) validates with: it reads no
``val_cfg``, which MMEngine's Runner needs as well."""

# Keys that hold text-encoder / language-model configs: a model with one of these is an
# open-vocabulary detector whose num_classes counts text slots, not dataset classes
# (GroundingDINO's `language_model`, GLIP's `language_model`, DetCLIP-style `text_encoder`).
_LANGUAGE_KEYS = frozenset({"language_model", "text_encoder", "lang_model", "text_model"})

# Heads whose num_classes is not the detection label set, measured on MMDetection 3.3.0
# (tests/corpus/test_finetune_corpus.py): HTC/DetectoRS `semantic_head` predicts the
# 183 COCO-stuff classes from separate segmentation maps (21 configs), and an
# `rpn_head` built from a one-stage head (FCOS as RPN) is class-agnostic with
# num_classes=1 (1 config).
_OTHER_LABEL_SET_KEYS = frozenset({"semantic_head", "rpn_head"})

# The scalar settings the fine-tune summary follows, as written (key paths).
FINETUNE_VALUE_PATHS: tuple[KeyPath, ...] = (
    ("train_cfg", "type"),
    ("train_cfg", "max_epochs"),
    ("train_cfg", "max_iters"),
    ("train_cfg", "val_interval"),
    ("optim_wrapper", "type"),
    ("optim_wrapper", "optimizer", "type"),
    ("optim_wrapper", "optimizer", "lr"),
    ("optim_wrapper", "optimizer", "momentum"),
    ("optim_wrapper", "optimizer", "weight_decay"),
    ("optim_wrapper", "clip_grad"),
    ("train_dataloader", "batch_size"),
    ("load_from",),
    ("resume",),
    ("auto_scale_lr",),
)

_BACKBONE_INIT_CFG: KeyPath = ("model", "backbone", "init_cfg")


class ConfigFacts:
    """What a config writes, for the rules that judge it beyond the typed settings.

    Each fact is worked out from the merged values when first asked for (a rule that
    does not apply never walks the model), then kept.

    Attributes:
        top_level_keys: The config's top-level keys, in order.
        val_cfg: ``val_cfg`` is set (not None).
        model_is_mapping: ``model`` is a dict.
        open_vocabulary: The model has a language model or text encoder (its
            num_classes counts text slots).
        num_classes: ``(key path, value)`` of every integer ``num_classes`` under
            ``model`` that counts the detection classes.
        num_things_classes: The integer ``num_things_classes`` values under ``model``.
        dataset_classes: ``(key path of metainfo.classes, count)`` for every
            train/val/test dataset that names its classes.
        values: The scalar settings of :data:`FINETUNE_VALUE_PATHS` that are written,
            by key path, as written.
        schedulers: The ``param_scheduler`` entries as written (a dict is one entry).
        single_scheduler: ``param_scheduler`` is one dict, not a list.
        backbone_pretrained: ``model.backbone.init_cfg`` has a ``Pretrained`` entry.
        factory_model: ``model.type`` names a ``module:callable`` factory (initcfg's own
            loop trains the config, not MMEngine's Runner).
        mmcv1_keys: The top-level keys that MMCV 1.x (MMDetection 2.x) configs set and
            MMEngine reads no more, in order (see :func:`mmcv1_keys`).
        onehot_classes: ``(key path, value)`` of the ``num_classes`` of the data
            preprocessor the model gets (its own, else the top-level one) when it turns
            labels into one-hot targets (batch augments such as Mixup, or
            ``to_onehot``), as MMPretrain's ClsDataPreprocessor does; else None.
        accuracy_topk: ``(key path of topk, largest k)`` of each MMPretrain
            ``Accuracy`` metric of ``val_evaluator`` and ``test_evaluator`` that writes
            ``topk``.
        loss_classes: ``(key path, value)`` of a head's ``num_classes`` and of its
            MMPretrain ``LabelSmoothLoss``'s own, for each head where the two differ.
        pretrained_depths: ``(key path of the checkpoint, depth, depth in its name)`` of
            each module under ``model`` with an integer ``depth`` whose ``init_cfg``
            loads a ResNet-family checkpoint (``torchvision://resnet50``,
            ``open-mmlab://resnext101_32x4d``) named for another depth.
        pipeline_switches: ``(index, switch_epoch)`` of each MMDetection
            ``PipelineSwitchHook`` in ``custom_hooks`` with an integer ``switch_epoch``.
        yolox_switches: ``(index, num_last_epochs)`` of each MMDetection
            ``YOLOXModeSwitchHook`` in ``custom_hooks`` (15 when not written).
        dynamic_interval_lists: ``(index, item)`` of each ``train_cfg.dynamic_intervals``
            item written as a list, not a tuple, or ``(None, value)`` for a tuple of them.
        ema_hooks: Each ``EMAHook`` of ``custom_hooks`` (see :mod:`ema_hooks`).
    """

    __slots__ = ("__dict__", "_data")

    def __init__(self, data: Any = None) -> None:
        self._data: Mapping[str, Any] = data if isinstance(data, Mapping) else {}

    def __repr__(self) -> str:
        return f"ConfigFacts(top_level_keys={self.top_level_keys!r})"

    @cached_property
    def top_level_keys(self) -> tuple[Any, ...]:
        return tuple(self._data)

    @cached_property
    def set_keys(self) -> frozenset[str]:
        """The top-level keys whose value is not None (what the Runner gets as set)."""
        return frozenset(
            key for key, value in self._data.items() if isinstance(key, str) and value is not None
        )

    @property
    def complete_runner_config(self) -> bool:
        """The config sets ``model`` and ``default_scope``: one MMEngine's Runner builds as
        it stands, not a fragment (a schedule, a dataset) that another config completes,
        nor a config for initcfg's own loop (factories), which takes its settings one by
        one."""
        return {"model", "default_scope"} <= self.set_keys

    @cached_property
    def ema_hooks(self) -> tuple[EmaHook, ...]:
        return tuple(ema_hooks(self._data))

    @cached_property
    def val_cfg(self) -> bool:
        return self._data.get("val_cfg") is not None

    @cached_property
    def model_is_mapping(self) -> bool:
        return isinstance(self._data.get("model"), Mapping)

    @cached_property
    def open_vocabulary(self) -> bool:
        return _contains_key(self._data.get("model"), _LANGUAGE_KEYS)

    @cached_property
    def num_classes(self) -> tuple[tuple[KeyPath, int], ...]:
        return tuple(num_classes_fields(self._data.get("model")))

    @cached_property
    def num_things_classes(self) -> frozenset[int]:
        return frozenset(_int_values(self._data.get("model"), "num_things_classes"))

    @cached_property
    def dataset_classes(self) -> tuple[tuple[KeyPath, int], ...]:
        return tuple(dataset_class_counts(self._data))

    @cached_property
    def values(self) -> dict[KeyPath, Any]:
        found = {}
        for path in FINETUNE_VALUE_PATHS:
            value = _get(self._data, path)
            if value is not _ABSENT:
                found[path] = value
        return found

    @cached_property
    def schedulers(self) -> tuple[Any, ...]:
        raw = self._data.get("param_scheduler")
        if isinstance(raw, Mapping):
            return (raw,)
        if isinstance(raw, list | tuple):
            return tuple(raw)
        return ()

    @cached_property
    def single_scheduler(self) -> bool:
        return isinstance(self._data.get("param_scheduler"), Mapping)

    @cached_property
    def backbone_pretrained(self) -> bool:
        init = _get(self._data, _BACKBONE_INIT_CFG)
        return _is_pretrained(None if init is _ABSENT else init)

    @cached_property
    def factory_model(self) -> bool:
        model = self._data.get("model")
        kind = model.get("type") if isinstance(model, Mapping) else None
        return isinstance(kind, str) and ":" in kind

    @cached_property
    def mmcv1_keys(self) -> tuple[str, ...]:
        return tuple(mmcv1_keys(self._data))

    @cached_property
    def onehot_classes(self) -> tuple[KeyPath, int] | None:
        model = self._data.get("model")
        if not isinstance(model, Mapping):
            return None
        # The Runner gives the model the top-level data_preprocessor unless the model
        # sets its own (model.setdefault('data_preprocessor', ...)).
        path: KeyPath = ("model", "data_preprocessor")
        preprocessor = model.get("data_preprocessor")
        if preprocessor is None:
            path, preprocessor = ("data_preprocessor",), self._data.get("data_preprocessor")
        if not isinstance(preprocessor, Mapping):
            return None
        count = preprocessor.get("num_classes")
        if not isinstance(count, int) or isinstance(count, bool):
            return None
        # Batch augments turn on one-hot targets. ImageClassifier passes its train_cfg
        # on with setdefault('batch_augments', ...), TimmClassifier and
        # HuggingFaceClassifier when it has 'augments', over the preprocessor's.
        train_cfg = model.get("train_cfg")
        augments = train_cfg.get("augments", _ABSENT) if isinstance(train_cfg, Mapping) else _ABSENT
        given = augments is not _ABSENT
        batch = train_cfg if given and augments not in ([], ()) else None
        if "batch_augments" in preprocessor and (
            _type_name(model) in (None, "ImageClassifier") or not given
        ):
            batch = preprocessor["batch_augments"]
        if batch or preprocessor.get("to_onehot"):
            return (*path, "num_classes"), count
        return None

    @cached_property
    def accuracy_topk(self) -> tuple[tuple[KeyPath, int], ...]:
        found = []
        for key in ("val_evaluator", "test_evaluator"):
            evaluator = self._data.get(key)
            entries: list[tuple[KeyPath, Any]] = (
                [((key,), evaluator)] if isinstance(evaluator, Mapping)
                else [((key, index), item) for index, item in enumerate(evaluator)]
                if isinstance(evaluator, list | tuple) else []
            )
            for path, entry in entries:
                if _type_name(entry) != "Accuracy":
                    continue
                topk = entry.get("topk")
                written = list(topk) if isinstance(topk, list | tuple) else [topk]
                ks = [k for k in written if isinstance(k, int) and not isinstance(k, bool)]
                if ks:
                    found.append(((*path, "topk"), max(ks)))
        return tuple(found)

    @cached_property
    def loss_classes(self) -> tuple[tuple[tuple[KeyPath, int], tuple[KeyPath, int]], ...]:
        return tuple(_loss_classes(self._data.get("model"), ("model",)))

    @cached_property
    def pretrained_depths(self) -> tuple[tuple[KeyPath, int, int], ...]:
        return tuple(_pretrained_depths(self._data.get("model"), ("model",)))

    @cached_property
    def pipeline_switches(self) -> tuple[tuple[int, int], ...]:
        return tuple(_hook_epochs(self._data, "PipelineSwitchHook", "switch_epoch", None))

    @cached_property
    def yolox_switches(self) -> tuple[tuple[int, int], ...]:
        return tuple(_hook_epochs(self._data, "YOLOXModeSwitchHook", "num_last_epochs", 15))

    @cached_property
    def dynamic_interval_lists(self) -> tuple[tuple[int | None, Any], ...]:
        items = _get(self._data, ("train_cfg", "dynamic_intervals"))
        if isinstance(items, tuple):
            return ((None, items),)  # MMEngine's loop asserts a *list* of tuples
        if not isinstance(items, list):
            return ()
        return tuple((index, item) for index, item in enumerate(items) if isinstance(item, list))

    def value(self, path: KeyPath, default: Any = None) -> Any:
        """The written value of a setting of :data:`FINETUNE_VALUE_PATHS`, or
        ``default`` when it is not written."""
        return self.values.get(path, default)

    @property
    def optimizer_lr(self) -> float | None:
        """``optim_wrapper.optimizer.lr`` as a number (None: not a number)."""
        return _number(self.value(("optim_wrapper", "optimizer", "lr")))

    @property
    def max_epochs(self) -> Any:
        """``train_cfg.max_epochs`` as written (None: not written)."""
        return self.value(("train_cfg", "max_epochs"))

    @property
    def train_batch_size(self) -> Any:
        """``train_dataloader.batch_size`` as written (None: not written)."""
        return self.value(("train_dataloader", "batch_size"))

    @cached_property
    def train_sampler(self) -> str | None:
        """The class ``train_dataloader.sampler.type`` names, without a scope or module
        prefix (None: not written as a string)."""
        sampler = _get(self._data, ("train_dataloader", "sampler"))
        return None if sampler is _ABSENT else _type_name(sampler)

    @property
    def load_from(self) -> Any:
        """``load_from`` as written (None: not written)."""
        return self.value(("load_from",))


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None




def _hook_epochs(
    data: Mapping[str, Any], hook_type: str, key: str, default: int | None
) -> Iterator[tuple[int, int]]:
    """``(index, value)`` of the integer ``key`` (or ``default``) of each ``custom_hooks``
    entry of ``hook_type`` (any scope prefix)."""
    hooks = data.get("custom_hooks")
    if not isinstance(hooks, list | tuple):
        return
    for index, hook in enumerate(hooks):
        if _type_name(hook) != hook_type:
            continue
        value = hook.get(key, default)
        if isinstance(value, int) and not isinstance(value, bool):
            yield index, value


def config_facts(tree: ConfigTree) -> ConfigFacts:
    """The :class:`ConfigFacts` of a loaded config's merged values."""
    return ConfigFacts(tree.data)


class _BaseFacts(ConfigFacts):
    """The facts of a config's merged bases, which builds ``tree.base`` (a second copy
    of most of the config) only when a rule first asks for one: most configs set no
    ``load_from``, and only fine-tunes are compared with their bases."""

    __slots__ = ("_tree",)

    def __init__(self, tree: ConfigTree) -> None:  # ConfigFacts.__init__ would set _data
        self._tree = tree

    # Read-only here: the values are those of the tree's base.
    @property
    def _data(self) -> Mapping[str, Any]:  # type: ignore[override]
        base = self._tree.base
        data = base.data if base is not None else None
        return data if isinstance(data, Mapping) else {}


def base_facts(tree: ConfigTree) -> ConfigFacts | None:
    """The :class:`ConfigFacts` of ``tree.base``, worked out when first asked for; None
    when the config has no base."""
    return _BaseFacts(tree) if tree.has_base else None


def has_values(tree: ConfigTree) -> bool:
    """The loaded config has at least one top-level key."""
    return bool(tree.data)


def tree_scopes(tree: ConfigTree) -> frozenset[str]:
    """:func:`config_scopes` of a loaded config's merged values."""
    return config_scopes(tree.data)


# Moved verbatim from initcfg.check.finetune (the walking belongs to the schema).


def _contains_key(value: Any, keys: frozenset[str]) -> bool:
    """One of ``keys`` holds a value other than None at any depth under ``value``."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            if any(node[key] is not None for key in node.keys() & keys):
                return True
            stack.extend(item for item in node.values() if _nested(item))
        elif isinstance(node, list | tuple):
            stack.extend(item for item in node if _nested(item))
    return False


def num_classes_fields(model: Any, path: KeyPath = ("model",)) -> Iterator[tuple[KeyPath, int]]:
    """Every integer ``num_classes`` under ``model`` that counts the detection classes,
    at any depth (lists of cascade heads included), except under the heads listed in
    ``_OTHER_LABEL_SET_KEYS``."""
    if isinstance(model, Mapping):
        for key, value in model.items():
            if not isinstance(key, str):
                continue
            child = (*path, key)
            if key == "num_classes" and isinstance(value, int) and not isinstance(value, bool):
                yield child, value
            elif key not in _OTHER_LABEL_SET_KEYS:
                yield from num_classes_fields(value, child)
    elif isinstance(model, list | tuple):
        for index, value in enumerate(model):
            yield from num_classes_fields(value, (*path, index))


def _int_values(value: Any, key: str) -> set[int]:
    found: set[int] = set()
    if isinstance(value, Mapping):
        for name, item in value.items():
            if name == key and isinstance(item, int) and not isinstance(item, bool):
                found.add(item)
            else:
                found |= _int_values(item, key)
    elif isinstance(value, list | tuple):
        for item in value:
            found |= _int_values(item, key)
    return found


def _datasets(value: Any, path: KeyPath) -> Iterator[tuple[KeyPath, Any]]:
    """The leaf datasets of a dataset config, through RepeatDataset,
    ClassBalancedDataset, MultiImageMixDataset (``dataset``) and ConcatDataset
    (``datasets``)."""
    if not isinstance(value, Mapping):
        return
    if isinstance(value.get("dataset"), Mapping):
        yield from _datasets(value["dataset"], (*path, "dataset"))
    elif isinstance(value.get("datasets"), list | tuple):
        for index, item in enumerate(value["datasets"]):
            yield from _datasets(item, (*path, "datasets", index))
    else:
        yield path, value


def dataset_class_counts(data: Mapping[str, Any]) -> Iterator[tuple[KeyPath, int]]:
    """``(path of metainfo.classes, count)`` for every train/val/test dataset that
    names its classes."""
    for split in _SPLITS:
        loader = data.get(split)
        if not isinstance(loader, Mapping):
            continue
        for path, dataset in _datasets(loader.get("dataset"), (split, "dataset")):
            metainfo = dataset.get("metainfo")
            if not isinstance(metainfo, Mapping):
                continue
            classes = metainfo.get("classes")
            if isinstance(classes, list | tuple) and classes:
                yield (*path, "metainfo", "classes"), len(classes)


# The depth a ResNet-family checkpoint is named for: torchvision://resnet50,
# open-mmlab://resnet50_caffe, open-mmlab://resnext101_32x4d, res2net101_v1d_26w_4s,
# resnet50_v1c, resnest50, mmpretrain's resnet18_8xb32_in1k_... downloads, and the
# resnet-50 / resnet_50 spellings of users' own files. A number that is no depth of the
# family (resnext_32x4d's 32) names nothing.
_RESNET_NAME = re.compile(r"res(?:net|next|2net|nest)(?:_?v1[bcd])?[-_]?(\d+)")
_RESNET_DEPTHS = frozenset({18, 34, 50, 101, 152, 200, 269})


def _pretrained_depths(node: Any, path: KeyPath) -> Iterator[tuple[KeyPath, int, int]]:
    if isinstance(node, Mapping):
        depth, init_cfg = node.get("depth"), node.get("init_cfg")
        if isinstance(depth, int) and not isinstance(depth, bool):
            entries = init_cfg if isinstance(init_cfg, list | tuple) else [init_cfg]
            for index, entry in enumerate(entries):
                if not _is_pretrained(entry) or not isinstance(entry.get("checkpoint"), str):
                    continue
                named = _RESNET_NAME.search(os.path.basename(entry["checkpoint"]).lower())
                if named is None or int(named.group(1)) not in _RESNET_DEPTHS:
                    continue
                if int(named.group(1)) != depth:
                    where = (*path, "init_cfg") + ((index,) if init_cfg is not entry else ())
                    yield (*where, "checkpoint"), depth, int(named.group(1))
        for key, value in node.items():
            if isinstance(key, str) and key != "init_cfg":
                yield from _pretrained_depths(value, (*path, key))
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            yield from _pretrained_depths(value, (*path, index))


def _loss_classes(
    node: Any, path: KeyPath
) -> Iterator[tuple[tuple[KeyPath, int], tuple[KeyPath, int]]]:
    if isinstance(node, Mapping):
        head, loss = node.get("num_classes"), node.get("loss")
        if (
            _is_count(head)
            and isinstance(loss, Mapping)
            and _type_name(loss) == "LabelSmoothLoss"
            and _is_count(loss.get("num_classes"))
            and loss["num_classes"] != head
        ):
            yield ((*path, "num_classes"), head), ((*path, "loss", "num_classes"),
                                                   loss["num_classes"])
        for key, value in node.items():
            if isinstance(key, str):
                yield from _loss_classes(value, (*path, key))
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            yield from _loss_classes(value, (*path, index))


def _is_count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_pretrained(init_cfg: Any) -> bool:
    entries = init_cfg if isinstance(init_cfg, list | tuple) else [init_cfg]
    return any(_type_name(entry) in ("Pretrained", "PretrainedInit") for entry in entries)


def _type_name(entry: Any) -> str | None:
    """The class name an entry's ``type`` names, without a scope or module prefix
    (``mmdet.PipelineSwitchHook``); None for an entry with no string ``type``."""
    kind = entry.get("type") if isinstance(entry, Mapping) else None
    return kind.rpartition(".")[2] if isinstance(kind, str) else None


# Moved verbatim from initcfg.check.registered.

_WALKED = frozenset((dict, list, tuple))
_LEAVES = frozenset((str, int, float, bool, type(None)))


def _nested(value: Any) -> bool:
    """``isinstance(value, Mapping | list | tuple)``, answering the types a config is
    made of before the Mapping ABC's check, which is several times slower."""
    kind = type(value)
    if kind in _WALKED:
        return True
    return kind not in _LEAVES and isinstance(value, Mapping | list | tuple)


def config_scopes(data: Mapping[str, Any]) -> frozenset[str]:
    """The scopes a config builds in: ``default_scope`` and every ``_scope_`` value."""
    scopes: set[str] = set()
    default = data.get("default_scope")
    if isinstance(default, str):
        scopes.add(default)
    stack: list[Any] = [data]
    push = stack.append
    while stack:
        value = stack.pop()
        kind = type(value)
        # Most of a config is plain dicts and lists: their types are answered before
        # the Mapping ABC's check, which is several times slower.
        if kind is dict or (kind is not list and kind is not tuple
                            and isinstance(value, Mapping)):
            scope = value.get("_scope_")
            if isinstance(scope, str):
                scopes.add(scope)
            children = value.values()
        elif kind is list or kind is tuple or isinstance(value, list | tuple):
            children = value
        else:
            continue
        for child in children:
            if type(child) not in _LEAVES:
                push(child)
    return frozenset(scopes)
