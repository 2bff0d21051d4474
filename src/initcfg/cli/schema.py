"""``initcfg schema``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from initcfg.errors import EXIT_USAGE
from initcfg.schema.jsonschema import render_schemas, write_schemas


@click.command("schema")
@click.option(
    "--output", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Folder to write init_cfg.schema.json and config.schema.json into. "
    "Without it, print the config schema.",
)
def schema_command(output: Path | None) -> None:
    """Export the JSON Schema of init_cfg and of whole configs (for editors)."""
    if output is None:
        click.echo(render_schemas()["config.schema.json"], nl=False)
        return
    try:
        written = write_schemas(output)
    except OSError as error:
        click.echo(f"initcfg schema: error: cannot write into {output}: {error}", err=True)
        sys.exit(EXIT_USAGE)
    for path in written:
        click.echo(f"wrote {path}")
