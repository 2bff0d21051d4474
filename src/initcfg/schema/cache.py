"""The exported JSON Schema texts, kept in the user's cache between runs.

Building the schemas means building every initializer model, which costs several times
Python's start-up, while their text depends only on the code that built them. So the
texts are kept in ``~/.cache/initcfg/schema`` (``$XDG_CACHE_HOME`` when set), beside a
stamp naming every file of initcfg and of Pydantic that was loaded while they were
built, with its size and modification time, and Python's version. They are reused while
each of those files is unchanged: editing, reinstalling or upgrading either package
rebuilds them. Texts built while one of those files changed (modified within two
seconds of the build's start, or later) are not kept.

Nothing is cached where a distribution may register initializer types (their models
are not in the stamp), nor in a process that has already loaded the registry (and may
have registered types itself). This module imports none of the models: reading a valid
cache costs little more than reading the files.
"""

from __future__ import annotations

import os
import sys
import zlib

SCHEMA_FILES = ("init_cfg.schema.json", "config.schema.json")
_VERSION = "2"
# The packages whose code shapes the texts.
_PACKAGES = ("initcfg", "pydantic", "pydantic_core")


def _origin(package: str) -> str:
    """Where ``package`` is (or would be) imported from, found without importing it."""
    module = sys.modules.get(package)
    if module is not None:
        return str(getattr(module, "__file__", None))
    from importlib.util import find_spec

    try:
        spec = find_spec(package)
    except (ImportError, ValueError):
        return "None"
    return str(spec.origin if spec is not None else None)


def _folder() -> str:
    """This environment's cache folder: one per Python and per place initcfg, Pydantic
    and pydantic-core are imported from. The stamp only says whether the files it names
    changed; two environments that share initcfg (an editable install in two venvs)
    but not Pydantic must not read each other's texts, nor write into one folder."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    places = "\0".join(_origin(package) for package in _PACKAGES)
    key = f"{_VERSION}\0{places}\0{sys.version}"
    return os.path.join(base, "initcfg", "schema", f"{zlib.crc32(key.encode()):08x}")


def _cacheable() -> bool:
    from initcfg.config.distributions import may_declare_entry_points

    if "initcfg.schema.registry" in sys.modules:
        return False
    return not may_declare_entry_points("initcfg.initializers")


# File times run behind time.time_ns() by up to a clock tick (whole seconds on some file
# systems): files this close to the build's start count as changed during it.
_CLOCK_SLACK_NS = 2_000_000_000


def _file_line(path: str, changed_after: int | None = None) -> str | None:
    """``path``, size and mtime; None when it cannot be read or changed after
    ``changed_after`` (nanoseconds since the epoch)."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    if changed_after is not None and status.st_mtime_ns > changed_after:
        return None
    return f"{path}\0{status.st_size}\0{status.st_mtime_ns}"


def _stamp_of(paths: list[str], built_from: int) -> str | None:
    """The stamp of texts built from ``paths`` by a build that began at ``built_from``
    (``time.time_ns()``), or None. The files are looked at after the build, so one
    changed since it began may not be what was imported: no stamp then, or the texts
    of the old code would be kept as the new one's."""
    lines = [f"initcfg schema cache {_VERSION}", sys.version]
    for path in paths:
        line = _file_line(path, changed_after=built_from - _CLOCK_SLACK_NS)
        if line is None:
            return None
        lines.append(line)
    return "\n".join(lines) + "\n"


def _loaded_files() -> list[str]:
    """The source files of every loaded module of initcfg and Pydantic."""
    files = set()
    for name, module in list(sys.modules.items()):
        if name.partition(".")[0] not in _PACKAGES:
            continue
        path = getattr(module, "__file__", None)
        if isinstance(path, str):
            files.add(path)
    return sorted(files)


def _read_cache(folder: str) -> dict[str, str] | None:
    try:
        with open(os.path.join(folder, "stamp"), encoding="utf-8") as stream:
            stamp = stream.read()
        lines = stamp.splitlines()
        if lines[:2] != [f"initcfg schema cache {_VERSION}", sys.version]:
            return None
        for line in lines[2:]:
            path = line.partition("\0")[0]
            if _file_line(path) != line:
                return None  # changed since the texts were built
        texts = {}
        for name in SCHEMA_FILES:
            with open(os.path.join(folder, name), encoding="utf-8") as stream:
                texts[name] = stream.read()
    except (OSError, UnicodeDecodeError, IndexError):
        return None
    return texts


def _write_cache(folder: str, texts: dict[str, str], stamp: str) -> None:
    from initcfg.config.atomic import write_text_atomic

    try:
        os.makedirs(folder, exist_ok=True)
        for name, text in texts.items():
            write_text_atomic(os.path.join(folder, name), text)
        write_text_atomic(os.path.join(folder, "stamp"), stamp)  # last: the texts are complete
    except OSError:
        pass  # an unwritable cache only costs the next run its time


def schema_texts() -> dict[str, str]:
    """File name → text of every exported schema (``init_cfg.schema.json`` and
    ``config.schema.json``), from the cache while it is valid."""
    cacheable = _cacheable()
    folder = _folder()
    if cacheable:
        cached = _read_cache(folder)
        if cached is not None:
            return cached
    import time

    built_from = time.time_ns()
    from initcfg.schema.jsonschema import render_schemas

    texts = render_schemas()
    if cacheable:
        stamp = _stamp_of(_loaded_files(), built_from)
        if stamp is not None:
            _write_cache(folder, texts, stamp)
    return texts


def write_schema_files(directory: str | os.PathLike[str]) -> list[str]:
    """Write every exported schema into ``directory`` (made when missing), each file
    atomically; returns the paths written.

    Raises:
        OSError: the folder or a file cannot be written.
    """
    from initcfg.config.atomic import write_text_atomic

    os.makedirs(directory, exist_ok=True)
    written = []
    for name, text in schema_texts().items():
        target = os.path.join(directory, name)
        write_text_atomic(target, text)
        written.append(target)
    return written
