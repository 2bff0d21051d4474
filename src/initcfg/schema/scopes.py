"""Which scopes' registries a config builds in, read from its values (no package is
looked at here): ``default_scope``, every ``_scope_``, and the package of a
``scope.Type`` spelling."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from initcfg.config.tree import ConfigTree
from initcfg.schema.config_facts import tree_scopes

__all__ = ["OPENMMLAB_SCOPES", "registry_scopes"]

# The OpenMMLab packages whose registries MMEngine knows by name (its MODULE2PACKAGE).
OPENMMLAB_SCOPES = frozenset({
    "mmcls", "mmdet", "mmdet3d", "mmseg", "mmaction", "mmtrack", "mmpose", "mmedit",
    "mmocr", "mmgen", "mmfewshot", "mmrazor", "mmflow", "mmhuman3d", "mmrotate",
    "mmselfsup", "mmyolo", "mmpretrain", "mmagic",
})


def _scoped_types(data: Mapping[str, Any]) -> Iterator[Any]:
    """The ``type`` values whose registries validate asks about: the model's, the
    optimizer's and the schedulers'."""
    model, wrapper = data.get("model"), data.get("optim_wrapper")
    if isinstance(model, Mapping):
        yield model.get("type")
    for holder in (wrapper if isinstance(wrapper, Mapping) else {}, data):
        optimizer = holder.get("optimizer")
        if isinstance(optimizer, Mapping):
            yield optimizer.get("type")
    schedulers = data.get("param_scheduler")
    for item in schedulers if isinstance(schedulers, list | tuple) else [schedulers]:
        if isinstance(item, Mapping):
            yield item.get("type")


def registry_scopes(tree: ConfigTree) -> frozenset[str]:
    """The scopes whose registered names a config may use: :func:`config_scopes`, and
    the OpenMMLab package of a ``scope.Type`` spelling (``type='mmpretrain.LARS'``) of
    the model, the optimizer or a scheduler. Only those few values are looked at, so a
    config without a scope costs nothing more."""
    scopes = set(tree_scopes(tree))
    for kind in _scoped_types(tree.data):
        if isinstance(kind, str) and "." in kind and ":" not in kind:
            prefix = kind.split(".", 1)[0]
            if prefix in OPENMMLAB_SCOPES:
                scopes.add(prefix)
    return frozenset(scopes)
