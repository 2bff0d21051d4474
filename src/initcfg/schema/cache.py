"""The exported JSON Schema texts, kept in the user's cache between runs.

Building the schemas means building every initializer model, which costs several times
Python's start-up, while their text depends only on the code that built them. So the
texts are kept in ``~/.cache/initcfg/schema`` (``$XDG_CACHE_HOME`` when set), in one file
with a stamp naming every file of initcfg and of Pydantic that was loaded while they were
built, with its size and modification time, and Python's version, and a checksum of
both: the file is replaced atomically, so a writer killed part way or two writers at
once leave either the old file or a new one, never a stamp beside texts it was not
written with, and a file torn or altered otherwise is ignored and rebuilt. They are reused while
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
_VERSION = "3"
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
    lines = [_python()]
    for path in paths:
        line = _file_line(path, changed_after=built_from - _CLOCK_SLACK_NS)
        if line is None:
            return None
        lines.append(line)
    return "\n".join(lines) + "\n"


def _python() -> str:
    """The Python version, as the stamp's first line (some builds put a newline in it)."""
    return sys.version.replace("\n", " ")


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


_CACHE_FILE = "schemas"
_HEADER = f"initcfg schema cache {_VERSION}"


def _read_cache(folder: str) -> dict[str, str] | None:
    """The texts of the cache file in ``folder``, or None: missing, unreadable, torn,
    written by another version, or stamped with a file that changed since.

    The stamp, the texts and a checksum of both are one file, replaced atomically, so
    no stamp can vouch for texts it was not written with; the checksum refuses a file
    damaged or cut short by other means (a disk full, a copy, a hand edit).
    """
    data = _read_small_file(os.path.join(folder, _CACHE_FILE))
    if data is None:
        return None
    header, _, rest = data.partition(b"\n")
    checksum, _, body = rest.partition(b"\n")
    if header != _HEADER.encode() or checksum != b"%08x" % zlib.crc32(body):
        return None
    try:
        stamp, texts = _parse_body(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    # Split on "\n" alone, as the stamp was joined: a path may hold \x85 or \u2028.
    lines = stamp.removesuffix("\n").split("\n")
    if lines[:1] != [_python()]:
        return None
    for line in lines[1:]:
        path = line.partition("\0")[0]
        if _file_line(path) != line:
            return None  # changed since the texts were built
    return texts


# The texts are a few hundred kilobytes; a far larger file is not one this module wrote.
_MAX_CACHE_BYTES = 64 * 1024 * 1024


def _read_small_file(path: str) -> bytes | None:
    """The bytes of the regular file at ``path``, or None: missing, unreadable, not a
    regular file (a fifo put there must not hang the run), or over the bound."""
    from initcfg.config.files import read_regular_file

    try:
        return read_regular_file(path, _MAX_CACHE_BYTES)[0]
    except OSError:
        return None


def _parse_body(body: str) -> tuple[str, dict[str, str]]:
    """The stamp and the texts of a cache file's body (its length-prefixed parts).

    Raises:
        ValueError: The body is not one this module wrote.
    """
    parts: list[str] = []
    offset = 0
    while offset < len(body):
        size, colon, _ = body[offset:offset + 21].partition(":")
        if not colon or not size.isdigit():
            raise ValueError("not a cache body")
        start = offset + len(size) + 1
        parts.append(body[start:start + int(size)])
        offset = start + int(size)
    if offset != len(body) or len(parts) != 1 + len(SCHEMA_FILES):
        raise ValueError("not a cache body")
    return parts[0], dict(zip(SCHEMA_FILES, parts[1:], strict=True))


def _cache_bytes(texts: dict[str, str], stamp: str) -> bytes:
    """The cache file: header, checksum, then the stamp and each text by length."""
    body = "".join(f"{len(part)}:{part}" for part in (stamp, *(texts[n] for n in SCHEMA_FILES)))
    encoded = body.encode("utf-8")
    return b"%s\n%08x\n%s" % (_HEADER.encode(), zlib.crc32(encoded), encoded)


def _write_cache(folder: str, texts: dict[str, str], stamp: str) -> None:
    from initcfg.config.atomic import write_bytes_atomic

    try:
        os.makedirs(folder, exist_ok=True)
        write_bytes_atomic(os.path.join(folder, _CACHE_FILE), _cache_bytes(texts, stamp))
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
