"""``initcfg schema``.

Building the schemas means building every initializer model, which costs several times
Python's start-up; their text depends only on initcfg's schema sources, Pydantic and
Python. So the command keeps the text it built in the user's cache, stamped with the
size and modification time of each of those files, and reuses it while the stamp is
unchanged. Nothing is cached where a distribution
may register initializer types (their models are not in the key), nor in a process
that has already loaded the registry (and may have registered types itself).
"""

from __future__ import annotations

import os
import sys
import zlib
from importlib.util import find_spec
from pathlib import Path

import click

from initcfg.errors import EXIT_USAGE

_SCHEMA_FILES = ("init_cfg.schema.json", "config.schema.json")
_CACHE_VERSION = "1"


def _stamp() -> str | None:
    """What the schema text depends on, or None when it must be built afresh."""
    from initcfg.config.distributions import may_declare_entry_points

    if "initcfg.schema.registry" in sys.modules:
        return None
    if may_declare_entry_points("initcfg.initializers"):
        return None
    ours = find_spec("initcfg")
    theirs = find_spec("pydantic")
    if ours is None or ours.origin is None or theirs is None or theirs.origin is None:
        return None
    lines = [f"initcfg schema cache {_CACHE_VERSION}", sys.version]
    sources = sorted((Path(ours.origin).parent / "schema").glob("*.py"))
    for source in [*sources, Path(theirs.origin).parent / "version.py"]:
        try:
            status = source.stat()
        except OSError:
            return None
        lines.append(f"{source}\0{status.st_size}\0{status.st_mtime_ns}")
    return "\n".join(lines) + "\n"


def _cache_dir(stamp: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "initcfg" / "schema" / f"{zlib.crc32(stamp.encode()):08x}"


def _cached(stamp: str) -> dict[str, str] | None:
    folder = _cache_dir(stamp)
    try:
        if (folder / "stamp").read_text() != stamp:
            return None
        return {name: (folder / name).read_text() for name in _SCHEMA_FILES}
    except (OSError, UnicodeDecodeError):
        return None


def schema_texts() -> dict[str, str]:
    """File name → text of every exported schema, from the cache where it is valid."""
    stamp = _stamp()
    cached = _cached(stamp) if stamp is not None else None
    if cached is not None:
        return cached
    from initcfg.schema.jsonschema import render_schemas

    texts = render_schemas()
    if stamp is not None:
        from initcfg.config.atomic import write_text_atomic

        folder = _cache_dir(stamp)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for name, text in texts.items():
                write_text_atomic(folder / name, text)
            write_text_atomic(folder / "stamp", stamp)  # last: the texts are complete
        except OSError:
            pass  # an unwritable cache only costs the next run its time
    return texts


@click.command("schema")
@click.option(
    "--output", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Folder to write init_cfg.schema.json and config.schema.json into. "
    "Without it, print the config schema.",
)
def schema_command(output: Path | None) -> None:
    """Export the JSON Schema of init_cfg and of whole configs (for editors)."""
    texts = schema_texts()
    if output is None:
        click.echo(texts["config.schema.json"], nl=False)
        return
    from initcfg.config.atomic import write_text_atomic

    written = []
    try:
        output.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            write_text_atomic(output / name, text)
            written.append(output / name)
    except OSError as error:
        click.echo(f"initcfg schema: error: cannot write into {output}: {error}", err=True)
        sys.exit(EXIT_USAGE)
    for path in written:
        click.echo(f"wrote {path}")
