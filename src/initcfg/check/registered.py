"""The type names an installed OpenMMLab package registers, read from its source.

A config that sets ``default_scope = 'mmpretrain'`` (or inherits ``_scope_`` from a
``mmpretrain::`` base) builds its optimizers, schedulers and layers through that
package's registries, so ``LARS`` or ``ConvModule`` are valid names there although
torch has no such class. Nothing is imported or executed: the package's files are
parsed, and every ``@REGISTRY.register_module(...)`` on a class and every
``REGISTRY.register_module(name=..., module=...)`` call is read. The result is cached
per process and on disk, keyed on the files' sizes and modification times.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import os
import re
import warnings
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from initcfg.config.atomic import write_text_atomic
from initcfg.config.bases import package_root
from initcfg.config.files import MAX_CONFIG_BYTES, read_regular_file
from initcfg.schema.config_facts import config_scopes as config_scopes
from initcfg.schema.scopes import OPENMMLAB_SCOPES as OPENMMLAB_SCOPES
from initcfg.schema.scopes import registry_scopes as registry_scopes

__all__ = [
    "OPENMMLAB_SCOPES",
    "RegisteredNames",
    "config_scopes",
    "registered_names",
    "registry_scopes",
    "scope_names",
]

# Registry variables whose names matter to the checks, by what they hold.
_REGISTRIES = {
    "OPTIMIZERS": "optimizers",
    "PARAM_SCHEDULERS": "schedulers",
    "MODELS": "models",
}
_CACHE_VERSION = 2  # 2: registry aliases (BACKBONES = MODELS) and the classes
_KINDS = ("optimizers", "schedulers", "models", "classes")
# A class statement at any indentation: the package's module classes among them.
_CLASS = re.compile(r"^[ \t]*class[ \t]+(\w+)[ \t]*[(:]", re.MULTILINE)


# A NamedTuple rather than a dataclass: defining it costs a tenth as much at import,
# which every `initcfg validate` pays (issue 15).
class RegisteredNames(NamedTuple):
    """Names registered by one or more packages, by registry.

    ``classes`` holds every class name the packages define, registered or not: an
    init_cfg's ``layer`` matches a module by its class name, and a registered model is
    made of the package's unregistered modules too (mmpretrain's ``LayerScale``).
    """

    optimizers: frozenset[str] = frozenset()
    schedulers: frozenset[str] = frozenset()
    models: frozenset[str] = frozenset()
    classes: frozenset[str] = frozenset()

    def __or__(self, other: RegisteredNames) -> RegisteredNames:
        return RegisteredNames(
            self.optimizers | other.optimizers,
            self.schedulers | other.schedulers,
            self.models | other.models,
            self.classes | other.classes,
        )


def _strings(node: ast.expr | None) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.List | ast.Tuple):
        return [
            n.value for n in node.elts if isinstance(n, ast.Constant) and isinstance(n.value, str)
        ]
    return []


def _registry_of(call: ast.expr, registries: dict[str, str]) -> str | None:
    """``'optimizers'`` for ``OPTIMIZERS.register_module(...)``, and so on."""
    if not isinstance(call, ast.Call):
        return None
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr != "register_module":
        return None
    owner = func.value
    name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(
        owner, ast.Attribute) else None
    return registries.get(name) if name else None


# `BACKBONES = MODELS` (mmpretrain's and mmdet's models/builder.py) and
# `from ..registry import MODELS as BACKBONES`: another name for the same registry.
_ALIAS = re.compile(
    r"^\s*(\w+)\s*=\s*(" + "|".join(_REGISTRIES) + r")\s*(?:#.*)?$"
    r"|\b(" + "|".join(_REGISTRIES) + r")\s+as\s+(\w+)",
    re.MULTILINE,
)


def registry_aliases(texts: list[str]) -> dict[str, str]:
    """The registry variable names of a package's sources, its aliases included."""
    registries = dict(_REGISTRIES)
    for text in texts:
        for match in _ALIAS.finditer(text):
            alias, target = (match[1], match[2]) if match[1] else (match[4], match[3])
            registries.setdefault(alias, _REGISTRIES[target])
    return registries


def _given_names(call: ast.Call) -> list[str]:
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    if "name" in keywords:
        return _strings(keywords["name"])
    return _strings(call.args[0]) if call.args else []


def _module_name(call: ast.Call) -> str | None:
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    module = keywords.get("module", call.args[2] if len(call.args) > 2 else None)
    if isinstance(module, ast.Name):
        return module.id
    if isinstance(module, ast.Attribute):
        return module.attr
    return None


def names_in_source(
    text: str, registries: dict[str, str] | None = None
) -> Iterator[tuple[str, str]]:
    """``(registry kind, name)`` for every registration in one module's source;
    ``registries`` maps registry variable names (aliases too) to their kind."""
    registries = _REGISTRIES if registries is None else registries
    try:
        with warnings.catch_warnings():
            # A package's own invalid escape sequences are not the user's concern.
            warnings.simplefilter("ignore")
            module = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    decorators: set[int] = set()
    for node in ast.walk(module):
        if isinstance(node, ast.ClassDef):
            for decorator in node.decorator_list:
                kind = _registry_of(decorator, registries)
                if kind is None or not isinstance(decorator, ast.Call):
                    continue
                decorators.add(id(decorator))
                for name in _given_names(decorator) or [node.name]:
                    yield kind, name
    for node in ast.walk(module):
        if isinstance(node, ast.Call) and id(node) not in decorators:
            kind = _registry_of(node, registries)
            if kind is None:
                continue
            module_name = _module_name(node)
            names = _given_names(node) or ([module_name] if module_name else [])
            for name in names:
                yield kind, name


def _sources(root: str) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        found += [Path(folder, name) for name in sorted(files) if name.endswith(".py")]
    return found


def _stamp(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for file in files:
        try:
            status = file.stat()
        except OSError:
            continue
        digest.update(f"{file}\0{status.st_size}\0{status.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "initcfg" / "registered"


def _from_cache(path: Path) -> RegisteredNames | None:
    import json  # a config with scopes only: validating one without any needs none

    try:  # a regular file of a sane size only: a fifo or /dev/zero there must not hang
        data: Any = json.loads(read_regular_file(str(path), MAX_CONFIG_BYTES)[0])
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("version") != _CACHE_VERSION:
        return None
    lists = [data.get(kind) for kind in _KINDS]
    if not all(isinstance(item, list) and all(isinstance(n, str) for n in item) for item in lists):
        return None
    return RegisteredNames(*(frozenset(item) for item in lists))  # type: ignore[arg-type]


@lru_cache(maxsize=32)
def _scan_once(root: str, _stamp_of_init: tuple[int, int]) -> RegisteredNames:
    return _scan(root)


def _scan(root: str) -> RegisteredNames:
    files = _sources(root)
    cache = _cache_dir() / f"{os.path.basename(root)}-{_stamp(files)}.json"
    cached = _from_cache(cache)
    if cached is not None:
        return cached
    found: dict[str, set[str]] = {kind: set() for kind in _KINDS}
    texts = []
    for file in files:
        try:  # as for the cache: a fifo among the sources is skipped, not waited on
            text = read_regular_file(str(file), MAX_CONFIG_BYTES)[0].decode(
                "utf-8", errors="replace")
        except OSError:
            continue
        found["classes"].update(_CLASS.findall(text))
        if "register_module" in text or any(name in text for name in _REGISTRIES):
            texts.append(text)
    registries = registry_aliases(texts)
    for text in texts:
        if "register_module" not in text:
            continue
        for kind, name in names_in_source(text, registries):
            found[kind].add(name)
    names = RegisteredNames(*(frozenset(found[kind]) for kind in _KINDS))
    payload = {"version": _CACHE_VERSION, "root": root} | {
        kind: sorted(values) for kind, values in found.items()
    }
    # A read-only home: the scan is redone next time, nothing else is lost.
    import json

    with contextlib.suppress(OSError):
        write_text_atomic(cache, json.dumps(payload))
    return names


def registered_names(package: str) -> RegisteredNames | None:
    """The names ``package`` registers, or None when it is not installed. The package
    is located with ``importlib.util.find_spec`` (which does not import it) and its
    source is parsed, never run; each package folder is read once per process."""
    if not package.isidentifier():
        return None
    root = package_root(package)
    if root is None:
        return None
    try:
        status = os.stat(os.path.join(root, "__init__.py"))
    except OSError:
        return None  # a namespace package or a module: no OpenMMLab registry package
    return _scan_once(root, (status.st_size, status.st_mtime_ns))


def scope_names(scopes: frozenset[str]) -> RegisteredNames:
    """What the installed packages among ``scopes`` register (``mmengine`` itself is
    what initcfg's own tables describe).

    A scope's registries fall back to MMEngine's root ones, where mmcv registers its
    layers (``ConvModule``) and ops, so mmcv's names count once any scope package is
    installed.
    """
    names = RegisteredNames()
    installed = False
    for scope in sorted(scopes - {"mmengine", "mmcv"}):
        found = registered_names(scope)
        if found is not None:
            names, installed = names | found, True
    if installed or "mmcv" in scopes:
        names = names | (registered_names("mmcv") or RegisteredNames())
    return names
