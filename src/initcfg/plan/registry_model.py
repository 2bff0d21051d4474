"""Build the model an OpenMMLab config describes through its package's MMEngine registry.

A config whose ``model.type`` is a registered class name (``ImageClassifier``,
``FasterRCNN``) rather than a ``module:callable`` factory is built the way MMEngine's
runner builds it: the scope (``default_scope``, the model's ``_scope_``, or a
``scope.Type`` name) names an installed OpenMMLab package, its ``register_all_modules``
fills the registries, and ``MODELS.build`` constructs the model from the section.

Two things MMEngine would do are refused unless the user trusts the config
(``trust=True``, ``--trust-python``):

* the registry's fallback that imports a dotted ``type`` it does not know
  (``type='os.system'`` would be imported and called), and the import of
  ``NAME.registry`` for a ``NAME.Type`` whose ``NAME`` is not an OpenMMLab package;
* the modules that ``custom_imports`` lists.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import importlib.util
from collections.abc import Iterator, Mapping
from typing import Any

from torch import nn

from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import KeyPath
from initcfg.errors import FactoryError
from initcfg.plan.factory import is_factory_name
from initcfg.plan.meta import build_on_meta
from initcfg.schema.document import Document, model_document
from initcfg.schema.scopes import OPENMMLAB_SCOPES as OPENMMLAB_SCOPES

_ALWAYS_IMPORTABLE = frozenset({"mmengine", "mmcv"})


def as_document(config: ConfigTree | Document) -> Document:
    """The config's document, or the model side of one for a loaded config."""
    return config if isinstance(config, Document) else model_document(config)


def registry_scope(tree: ConfigTree | Document) -> str | None:
    """The OpenMMLab scope a config's model is built in, or None.

    ``default_scope`` first, then the model section's ``_scope_``, then the scope part
    of a ``scope.Type`` model type. Only a name MMEngine knows as an OpenMMLab package
    counts; a ``module:callable`` model type is a factory, never a registry name.
    """
    document = as_document(tree)
    section = document.model_section
    if not isinstance(section, Mapping):
        return None
    kind = section.get("type")
    if not isinstance(kind, str) or is_factory_name(kind):
        return None
    candidates = [document.runtime.default_scope, section.get("_scope_")]
    if "." in kind:
        candidates.append(kind.split(".", 1)[0])
    for candidate in candidates:
        if isinstance(candidate, str) and candidate in OPENMMLAB_SCOPES:
            return candidate
    return None


def uses_registry(tree: ConfigTree | Document, model_spec: str | None = None) -> bool:
    """Whether the model is built by a registry: no ``--model`` and an OpenMMLab scope."""
    return model_spec is None and registry_scope(tree) is not None


def _installed(package: str) -> bool:
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


def registry_installed(tree: ConfigTree | Document) -> bool:
    """Whether the packages that would build the model by registry (MMEngine and the
    config's OpenMMLab scope) are installed; found without importing them."""
    scope = registry_scope(tree)
    return scope is not None and _installed("mmengine") and _installed(scope)


@contextlib.contextmanager
def _registry_imports_limited(scope: str, refused: list[str]) -> Iterator[None]:
    """While building: MMEngine's dotted-path fallback returns nothing (the name is
    recorded in ``refused``), and its registry imports reach only OpenMMLab packages."""
    from mmengine.registry import registry as registry_module  # type: ignore[import-untyped]

    allowed = OPENMMLAB_SCOPES | _ALWAYS_IMPORTABLE | {scope}
    lookup = registry_module.get_object_from_string
    importer = registry_module.import_module

    def no_fallback(name: str) -> None:
        refused.append(name)
        return None

    def limited_import(name: str, package: str | None = None) -> Any:
        if name.split(".", 1)[0] not in allowed:
            refused.append(name)
            raise ImportError(f"initcfg refuses to import {name!r} named by the config")
        return importer(name, package)

    registry_module.get_object_from_string = no_fallback
    registry_module.import_module = limited_import
    try:
        yield
    finally:
        registry_module.get_object_from_string = lookup
        registry_module.import_module = importer


def _import_custom(document: Document) -> None:
    custom = document.runtime.custom_imports
    if not isinstance(custom, Mapping):
        return
    names = custom.get("imports", [])
    names = [names] if isinstance(names, str) else list(names or [])
    allow_failed = bool(custom.get("allow_failed_imports", False))
    for name in names:
        try:
            importlib.import_module(str(name))
        except ImportError as error:
            if not allow_failed:
                raise FactoryError(
                    f"custom_imports: cannot import {name!r} ({error})", ("custom_imports",)
                ) from None


def _custom_imports_note(document: Document, trust: bool) -> str:
    custom = document.runtime.custom_imports
    if trust or not isinstance(custom, Mapping) or not custom.get("imports"):
        return ""
    names = custom.get("imports")
    items: list[Any] = [names] if isinstance(names, str) else list(names or [])
    listed = ", ".join(map(str, items))
    return f"; the config's custom_imports ({listed}) were not imported without --trust-python"


def build_registry_model(
    tree: ConfigTree | Document, *, trust: bool = False, meta: bool = True
) -> nn.Module:
    """Build ``tree``'s model through the MMEngine registry of its OpenMMLab scope.

    Args:
        tree: The loaded config, or its document.
        trust: Allow MMEngine's dotted-path import fallback and import ``custom_imports``.
        meta: Parameters and buffers on the meta device (planning needs no values).

    Raises:
        FactoryError: No scope, the package or mmengine is not installed, a ``type`` is
            not registered (or was refused), or the constructor raised.
    """
    document = as_document(tree)
    scope = registry_scope(document)
    if scope is None:
        raise FactoryError(
            "the config names no OpenMMLab scope (default_scope, _scope_ or scope.Type)",
            ("model", "type"),
        )
    for package in ("mmengine", scope):
        if not _installed(package):
            raise FactoryError(
                f"the config's model is built by the {scope} registry, but {package} is not "
                "installed",
                ("model", "type"),
                f"pip install {package}, or pass --model MODULE:FACTORY",
            )
    note = _custom_imports_note(document, trust)
    try:
        from mmengine.config import ConfigDict  # type: ignore[import-untyped]
        from mmengine.registry import MODELS, DefaultScope

        importlib.import_module(f"{scope}.utils").register_all_modules(init_default_scope=False)
    except Exception as error:  # an installed package that fails to import
        # mmdet imports mmcv.ops, whose every op loads mmcv's compiled extension:
        # mmcv-lite has none (docs/plans.md, registry models).
        raise FactoryError(
            f"importing {scope} to register its modules raised {type(error).__name__}: {error}",
            ("model", "type"),
            _import_hint(scope, error),
        ) from None
    if trust:
        _import_custom(document)
    assert document.model_section is not None  # registry_scope found one
    section = ConfigDict(copy.deepcopy(dict(document.model_section)))
    refused: list[str] = []

    def build() -> nn.Module:
        with DefaultScope.overwrite_default_scope(scope):
            built: nn.Module = MODELS.build(section)
            return built

    try:
        if trust:
            model = build_on_meta(build) if meta else build()
        else:
            with _registry_imports_limited(scope, refused):
                model = build_on_meta(build) if meta else build()
    except (Exception, SystemExit) as error:  # the package's code: reported, not raised
        unregistered = [name for name in refused if "." not in name]
        if unregistered:
            # No dotted path: MMEngine's fallback would import nothing either, so this is
            # a name no registry holds (a typo), which --trust-python would not help.
            raise _not_registered(unregistered[0], scope, note, section) from None
        if refused:
            raise FactoryError(
                f"refused to import {', '.join(map(repr, dict.fromkeys(refused)))}: only "
                f"classes registered in {scope}'s registries are built from a config" + note,
                ("model", "type"),
                "register the class, or pass --trust-python to let MMEngine import it",
            ) from None
        raise FactoryError(
            f"building the model with the {scope} registry raised "
            f"{type(error).__name__}: {error}" + note,
            ("model", "type"),
        ) from None
    if not isinstance(model, nn.Module):
        raise FactoryError(
            f"the {scope} registry built a {type(model).__name__}, not a torch.nn.Module",
            ("model", "type"),
        )
    return model


def _type_path(section: Any, name: str) -> KeyPath:
    """The key path of the first ``type`` in the model section that is ``name``
    (``model.backbone.type``), depth first; ``model.type`` when none is."""
    pending: list[tuple[Any, KeyPath]] = [(section, ("model",))]
    while pending:
        value, path = pending.pop()
        if isinstance(value, Mapping):
            if value.get("type") == name:
                return (*path, "type")
            pending.extend(reversed([(item, (*path, key)) for key, item in value.items()]))
        elif isinstance(value, list | tuple):
            pending.extend(reversed([(item, (*path, i)) for i, item in enumerate(value)]))
    return ("model", "type")


def _not_registered(name: str, scope: str, note: str, section: Any) -> FactoryError:
    """The error for a ``type`` that names no class of the scope's model registry."""
    from mmengine.registry import MODELS

    from initcfg.diagnostics.suggest import closest

    registries = [MODELS, *([MODELS.children[scope]] if scope in MODELS.children else [])]
    known = {key for registry in registries for key in registry.module_dict}
    near = closest(name, sorted(known))
    return FactoryError(
        f"type {name!r} is not registered in {scope}'s model registry (nor in MMEngine's)"
        + note,
        _type_path(section, name),
        f"did you mean {near!r}?" if near else "check the spelling, or register the class",
    )


def _import_hint(scope: str, error: Exception) -> str | None:
    """What to do about an OpenMMLab package that fails to import, where the cause is
    known."""
    # mmdet imports mmcv.ops, whose every op loads mmcv's compiled extension: mmcv-lite
    # has none (docs/plans.md, registry models).
    if isinstance(error, ImportError) and error.name == "mmcv._ext":
        return f"{scope} needs mmcv's compiled ops: install mmcv, not mmcv-lite"
    # torchvision registers its ops against torch's C++ library at import: a torchvision
    # built for another torch (a CUDA wheel beside a CPU torch) fails there
    if "torchvision::" in str(error):
        import torch

        return (
            f"the installed torchvision was built for another torch than {torch.__version__}: "
            "install the torchvision release made for it, from the same index (CPU or CUDA)"
        )
    return None
