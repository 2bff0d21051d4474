"""``initcfg schema``: the texts come from :mod:`initcfg.schema.cache`."""

from __future__ import annotations

import sys

import click

from initcfg.cli.interrupt import InterruptibleCommand


@click.command("schema", cls=InterruptibleCommand)
@click.option(
    "--output", "-o", type=click.Path(file_okay=False), default=None,
    help="Folder to write init_cfg.schema.json and config.schema.json into. "
    "Without it, print the config schema.",
)
def schema_command(output: str | None) -> None:
    """Export the JSON Schema of init_cfg and of whole configs (for editors)."""
    from initcfg.schema import cache

    if output is None:
        click.echo(cache.schema_texts()["config.schema.json"], nl=False)
        return
    try:
        written = cache.write_schema_files(output)
    except OSError as error:
        from initcfg.errors import EXIT_USAGE

        click.echo(f"initcfg schema: error: cannot write into {output}: {error}", err=True)
        sys.exit(EXIT_USAGE)
    for path in written:
        click.echo(f"wrote {path}")
