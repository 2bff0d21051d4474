"""``initcfg explain CODE``."""

from __future__ import annotations

import sys

import click

from initcfg.check.render import (
    code_lines,
    explain,
    explain_prefix,
    rules_markdown,
    unknown_code,
)
from initcfg.cli.interrupt import InterruptibleCommand
from initcfg.errors import EXIT_USAGE


@click.command("explain", cls=InterruptibleCommand)
@click.argument("code", required=False)
@click.option("--markdown", is_flag=True, help="Print the whole catalogue as docs/rules.md.")
def explain_command(code: str | None, markdown: bool) -> None:
    """Print what a diagnostic code means, why it matters, an example and the fix.

    Without CODE, list every code; with a prefix (IC1), the codes it starts.
    """
    if markdown:
        if code is not None:
            # The catalogue is printed whole; a CODE beside it was ignored without a word.
            raise click.UsageError("--markdown prints the whole catalogue; drop CODE")
        click.echo(rules_markdown(), nl=False)
        return
    if code is None:
        click.echo(code_lines(), nl=False)
        return
    text = explain(code.strip()) or explain_prefix(code)
    if text is None:
        click.echo(unknown_code(code), err=True)
        sys.exit(EXIT_USAGE)
    click.echo(text, nl=False)
