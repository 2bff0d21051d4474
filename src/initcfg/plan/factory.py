"""Name code in configs and on the command line as ``module:callable``, and call it.

The one resolver for model, dataset and metric factories: the part before the colon
is a dotted module importable from the working directory (``examples.shapes.model``)
or a ``.py`` file (relative to the config's folder when not absolute); the part after
it names a callable in that module, attribute by attribute (``Outer.build`` works).
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import inspect
import os
import reprlib
import sys
import sysconfig
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from torch import nn

from initcfg.config.files import not_a_regular_file
from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import KeyPath, did_you_mean
from initcfg.errors import FactoryError as FactoryError
from initcfg.schema.document import Document

_TRUST_HINT = "pass the factory on the command line (--model) or use --trust-python"


def _import_file(path: Path) -> ModuleType:
    name = f"_initcfg_factory_{abs(hash(str(path)))}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise FactoryError(f"cannot import {str(path)!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]  # a failed import must not leave half a module behind
        raise
    return module


def _import_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as missing:
        # Like `python -m`, let configs name modules of the project they sit in.
        cwd = os.getcwd()
        if cwd not in sys.path and missing.name and name.startswith(missing.name):
            sys.path.insert(0, cwd)
            try:
                return importlib.import_module(name)
            except ModuleNotFoundError as again:
                missing = again  # found now: what it imports is what is missing
        # Missing is the module itself (or a package above it), or something it imports.
        inner = missing.name is not None and not (
            name == missing.name or name.startswith(missing.name + ".")
        )
        raise FactoryError(
            f"cannot import module {name!r} ({missing})",
            hint=f"install {missing.name!r}, which {name!r} imports" if inner
            else "run from the directory that contains the package, or name a .py file",
        ) from None


def is_factory_name(value: object) -> bool:
    """Whether ``value`` looks like ``module:callable``."""
    if not isinstance(value, str):
        return False
    module, sep, attr = value.partition(":")
    return bool(sep and module and attr)


def _inside(path: str | None, roots: tuple[Path, ...]) -> bool:
    if not path:
        return False
    resolved = Path(path).resolve()
    return any(resolved.is_relative_to(root) for root in roots)


def _installed_roots() -> tuple[Path, ...]:
    """Where the standard library and installed packages live."""
    names = ("stdlib", "platstdlib", "purelib", "platlib")
    paths = {sysconfig.get_paths().get(name) for name in names}
    # A venv's stdlib is the base interpreter's: sysconfig names the venv's copy-less
    # prefix, so the folder the running `os` module came from is added as well.
    paths.add(os.path.dirname(os.__file__))
    return tuple(Path(p).resolve() for p in paths if p)


def _is_installed(place: str) -> bool:
    # Checked apart from the project folders: a project may hold its virtualenv, and a
    # home directory may hold the interpreter.
    parts = Path(place).resolve().parts
    return "site-packages" in parts or "dist-packages" in parts or _inside(
        place, _installed_roots()
    )


def _is_project_file(place: str | None, roots: tuple[Path, ...]) -> bool:
    # Only a real, absolute place counts: frozen modules report `<frozen posixpath>`,
    # which would otherwise resolve relative to the working directory, into the project.
    if not place or not os.path.isabs(place) or not os.path.exists(place):
        return False
    return _inside(place, roots) and not _is_installed(place)


def _same_file(a: str | None, b: str | None) -> bool:
    return bool(a and b) and Path(str(a)).resolve() == Path(str(b)).resolve()


def _spec_places(spec: importlib.machinery.ModuleSpec) -> list[str]:
    places = list(spec.submodule_search_locations or [])
    if spec.has_location and spec.origin:
        places.append(spec.origin)
    return places


def _find_outside(top: str, roots: tuple[Path, ...]) -> importlib.machinery.ModuleSpec | None:
    """Where ``top`` is found with the project folders taken off ``sys.path``: the
    module an import would reach if the working directory were not searched."""
    if top in sys.builtin_module_names:
        return importlib.machinery.ModuleSpec(top, None)
    saved = list(sys.path)
    sys.path[:] = [
        p for p in saved if not _is_project_file(os.path.abspath(p or os.curdir), roots)
    ]
    try:
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            try:
                spec = find(top, None)
            except (ImportError, ValueError, TypeError):
                continue
            if spec is not None:
                return spec  # type: ignore[no-any-return]
        return None
    finally:
        sys.path[:] = saved


def _import_project_module(
    module_name: str, roots: tuple[Path, ...], key: KeyPath
) -> ModuleType:
    """Import the dotted ``module_name`` from the project folders, and only from there.

    The top-level package is looked up in the project folders alone; a name that an
    import would also find outside them (``cProfile``, ``torch``, an installed
    package) is refused, since which of the two an import reaches depends on
    ``sys.path`` and what was imported before. After the import, the module must be the
    very file that was checked.
    """
    parts = module_name.split(".")
    if any(not part.isidentifier() or part.startswith("_") for part in parts):
        raise FactoryError(
            f"refusing {module_name!r}, named by the config: a module name is dotted "
            "identifiers without private (`_`) parts",
            key, code="IC241",
        )
    top = parts[0]
    spec = importlib.machinery.PathFinder.find_spec(top, [str(root) for root in roots])
    places = _spec_places(spec) if spec is not None else []
    if spec is None or not any(_is_project_file(place, roots) for place in places):
        raise FactoryError(
            f"refusing to import {module_name!r}, named by the config: it is not a module "
            "of this project (only modules under the working directory or the config's "
            "folder are imported from a config)",
            key, _TRUST_HINT, code="IC240",
        )
    elsewhere = _find_outside(top, roots)
    if elsewhere is not None and not any(
        _same_file(a, b) for a in _spec_places(elsewhere) for b in places
    ):
        where = elsewhere.origin if elsewhere.has_location else "a built-in module"
        raise FactoryError(
            f"refusing to import {module_name!r}, named by the config: {top!r} names both "
            f"the project's {places[-1]} and {where} outside the project, and which one "
            "an import reaches depends on the search path",
            key,
            f"rename the project's {top!r}, or name its file: "
            f"type='{os.path.relpath(places[-1], roots[-1])}:...'",
            code="IC242",
        )
    loaded = sys.modules.get(top)
    if loaded is not None and not any(
        _same_file(getattr(loaded, "__file__", None), place)
        or _same_file(place, next(iter(getattr(loaded, "__path__", []) or []), None))
        for place in places
    ):
        raise FactoryError(
            f"refusing to import {module_name!r}, named by the config: a module {top!r} "
            "from elsewhere is already imported",
            key, f"rename the project's {top!r}", code="IC242",
        )
    search = [str(root) for root in roots]
    sys.path[:0] = search
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as missing:
        raise FactoryError(f"cannot import module {module_name!r} ({missing})", key) from None
    finally:
        del sys.path[: len(search)]
    origin = getattr(module, "__file__", None) or next(iter(getattr(module, "__path__", [])), None)
    if not _is_project_file(origin, roots):
        raise FactoryError(
            f"refusing {module_name!r}, named by the config: the import reached "
            f"{origin or 'a module without a file'}, outside the project",
            key, _TRUST_HINT, code="IC242",
        )
    return module


def _walk(module: ModuleType, target: str, attr: str, key: KeyPath) -> Any:
    """``module`` then each dotted part of ``attr``; never through a module or a ``_``
    name (``mymodel:os.system`` and ``mymodel:__builtins__`` reach outside the file)."""
    value: Any = module
    for part in attr.split("."):
        if not part.isidentifier() or part.startswith("_"):
            raise FactoryError(
                f"refusing {target!r}: {part!r} is not a public name (a factory name "
                "never reaches a `_` attribute)",
                key, code="IC241",
            )
        if not hasattr(value, part):
            names = [n for n in dir(value) if not n.startswith("_")]
            raise FactoryError(
                f"{target.partition(':')[0]!r} has no attribute {part!r}",
                key, did_you_mean(part, names),
            )
        value = getattr(value, part)
        if isinstance(value, ModuleType):
            raise FactoryError(
                f"refusing {target!r}: {part!r} is a module, and a factory name never "
                "walks through one",
                key,
                f"name the module before the colon: '{value.__name__}:...'",
                code="IC241",
            )
    return value


def _defined_in(value: Any) -> str | None:
    """The source file that defines what calling ``value`` runs, or None (built-in)."""
    if inspect.ismethod(value):
        value = value.__func__
    try:
        # A decorated project function (functools.wraps: lru_cache, torch.no_grad) is
        # judged by the function the project wrote.
        value = inspect.unwrap(value)
    except ValueError:  # a __wrapped__ cycle
        return None
    if inspect.ismethod(value):
        value = value.__func__
    if inspect.isfunction(value):
        return str(value.__code__.co_filename)
    target = value if inspect.isclass(value) else type(value)
    module = sys.modules.get(getattr(target, "__module__", "") or "")
    file = getattr(module, "__file__", None)
    return str(file) if file else None


def _check_defined_in_project(
    value: Any, target: str, roots: tuple[Path, ...], key: KeyPath
) -> None:
    place = _defined_in(value)
    if not _is_project_file(place, roots):
        where = f"is defined in {place}" if place else "is built into the interpreter"
        raise FactoryError(
            f"refusing {target!r}, named by the config: the callable {where}, not in a "
            "file of this project",
            key, _TRUST_HINT, code="IC240",
        )


def resolve(
    target: str,
    key: KeyPath = (),
    base_dir: str | None = None,
    *,
    project_only: bool = False,
) -> Any:
    """The callable ``target`` (``module:callable``) names.

    The attribute walk after the colon never passes through a module or a ``_`` name.

    Args:
        target: ``package.module:name`` or ``path/file.py:name``.
        key: The config key path of the value, for error messages.
        base_dir: Folder a relative ``.py`` path is relative to (the config's).
        project_only: The name comes from a config: import only modules that live under
            the working directory or ``base_dir`` (exactly the file that was checked),
            never the standard library or an installed package, and return only a
            callable defined in such a file (a config must not be able to name
            ``os:system``, nor reach it through a project module that imports ``os``).

    Raises:
        FactoryError: the name is malformed or refused, the module cannot be imported,
            or it has no such callable.
    """
    if not is_factory_name(target):
        raise FactoryError(f"expected 'module:callable', got {target!r}", key)
    module_name, _, attr = target.partition(":")
    roots = tuple(Path(p).resolve() for p in (os.getcwd(), base_dir) if p)
    try:
        if module_name.endswith(".py"):
            path = Path(module_name)
            if not path.is_absolute() and base_dir is not None:
                path = Path(base_dir) / path
            if not path.is_file():
                # A folder, a fifo or a link loop is there but no file; say which.
                unreadable = not_a_regular_file(str(path))
                raise FactoryError(
                    f"cannot import {str(path)!r}: {unreadable}" if unreadable
                    else f"no such file {str(path)!r}", key,
                )
            if project_only and not _is_project_file(os.path.abspath(path), roots):
                raise FactoryError(
                    f"refusing to import {str(path)!r}, named by the config: it lies "
                    "outside the working directory and the config's folder, or among "
                    "installed packages",
                    key, _TRUST_HINT, code="IC240",
                )
            module = _import_file(path.resolve())
        elif project_only:
            module = _import_project_module(module_name, roots, key)
        else:
            module = _import_module(module_name)
    except FactoryError as error:
        raise FactoryError(error.message, key, error.hint, error.code) from None
    except (Exception, SystemExit) as error:  # the user's module failed while importing
        raise FactoryError(f"importing {module_name!r} raised {error!r}", key) from None
    value = _walk(module, target, attr, key)
    if not callable(value):
        raise FactoryError(f"{target!r} is not callable", key)
    if project_only:
        _check_defined_in_project(value, target, roots, key)
    return value


def _keyword_arguments(section: Mapping[Any, Any]) -> dict[str, Any]:
    """The model section's keys but ``type``, as a factory's keyword arguments.

    Raises:
        FactoryError: A key is no string: Python refuses it as a keyword ("keywords must
            be strings"), which read as the factory's own failure.
    """
    for key in section:
        if not isinstance(key, str):
            raise FactoryError(
                f"model key {key!r} ({type(key).__name__}) is not a string, so the "
                "factory cannot take it as a keyword argument",
                ("model", key),
            )
    return {key: value for key, value in section.items() if key != "type"}


def _call_with_section(factory: Any, section: dict[str, Any]) -> Any:
    """Call ``factory`` the way its signature asks for the model section.

    Keyword arguments when it accepts every key of the section (the ``type='module:fn'``
    convention), else the whole section as its one argument, else nothing.
    """
    try:
        parameters = list(inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):
        return factory()
    keys = {key for key in section if key != "type"}
    names = {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    takes_any_keyword = any(p.kind == p.VAR_KEYWORD for p in parameters)
    if keys and (takes_any_keyword or keys <= names):
        return factory(**_keyword_arguments(section))
    positional = [
        p for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
    ]
    if positional:
        return factory(section)
    return factory()


def _checked_model(model: Any, spec: str) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise FactoryError(f"{spec} returned a {type(model).__name__}, not a torch.nn.Module")
    return model


def build_model(
    spec: str, model_section: Mapping[str, Any] | None, base_dir: str | None = None
) -> nn.Module:
    """``--model MODULE:FACTORY``: call the factory with the config's ``model`` section,
    as keyword arguments when it accepts all of its keys, else as its one argument,
    else with none.

    Raises:
        FactoryError: it cannot be resolved, it raised, or it returned no ``nn.Module``.
    """
    factory = resolve(spec, (), base_dir)
    section = dict(model_section) if isinstance(model_section, Mapping) else {}
    try:
        model = _call_with_section(factory, section)
    except FactoryError:
        raise  # the config's fault, found before the factory ran
    except (Exception, SystemExit) as error:  # the user's code: reported, not raised
        raise FactoryError(f"{spec} raised {type(error).__name__}: {error}") from error
    return _checked_model(model, spec)


def model_from_config(
    tree: ConfigTree | Document,
    spec: str | None = None,
    *,
    trust: bool = False,
    meta: bool = False,
) -> nn.Module:
    """The model a config describes: built by ``spec`` when given, else by the factory
    that ``model.type`` names (``module:callable``) with the section's other keys, else
    (a registered class name in an OpenMMLab scope) by that package's MMEngine registry,
    see :mod:`initcfg.plan.registry_model`; ``meta`` applies to that registry build.

    A factory the config names is imported only from the project's own folders unless
    ``trust`` is set (see :func:`resolve`).

    Raises:
        FactoryError: no factory is named, or building the model failed.
    """
    from initcfg.plan.registry_model import as_document, build_registry_model, registry_scope

    document = as_document(tree)
    section = document.model_section
    if spec is not None:  # typed on the command line: relative to the working directory
        return build_model(spec, section if isinstance(section, Mapping) else None)
    path = document.tree.path if document.tree is not None else None
    base_dir = os.path.dirname(os.path.abspath(path)) if path else None
    target = section.get("type") if isinstance(section, Mapping) else None

    if registry_scope(document) is not None:  # a registered class name of an OpenMMLab scope
        return build_registry_model(document, trust=trust, meta=meta)
    if section is None:
        written = document.model_written
        raise FactoryError(
            "the config has no model section" if written is None
            else f"model must be a dict (got {reprlib.repr(written)})",
            ("model",),
            "write model=dict(type='module:factory', ...), or pass --model MODULE:FACTORY",
        )
    if not is_factory_name(target):
        raise FactoryError(
            f"model.type {target!r} is not a 'module:callable' factory",
            ("model", "type"),
            "name one, for example type='examples.shapes.model:build_model', "
            "or pass --model MODULE:FACTORY",
        )
    assert isinstance(section, Mapping) and isinstance(target, str)
    factory = resolve(target, ("model", "type"), base_dir, project_only=not trust)
    kwargs = _keyword_arguments(section)
    try:
        model = factory(**kwargs)
    except (Exception, SystemExit) as error:  # the user's code: reported, not raised
        raise FactoryError(
            f"{target} raised {type(error).__name__}: {error}", ("model", "type")
        ) from error
    return _checked_model(model, target)
