"""``initcfg finetune-summary``."""

from __future__ import annotations

import json
import sys

import click

from initcfg.cli.interrupt import InterruptibleCommand


@click.command("finetune-summary", cls=InterruptibleCommand)
@click.argument("config", type=click.Path(dir_okay=False))
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text",
    show_default=True, help="A table for people or one JSON object.",
)
@click.option("--all", "show_all", is_flag=True, help="Also list settings kept from the base.")
@click.option("--no-fs-checks", is_flag=True, help="Do not check that local paths exist.")
@click.option(
    "--trust-python", is_flag=True,
    help="Execute Python configs the safe evaluator refuses, as MMEngine would.",
)
def finetune_summary(
    config: str, output_format: str, show_all: bool, no_fs_checks: bool, trust_python: bool
) -> None:
    """Show what CONFIG changes relative to its _base_ in the fine-tune settings:
    epochs, lr, optimizer, load_from, num_classes, schedulers, with source locations.

    Exit status: 0 no errors, 1 errors found in the config, 2 the file cannot be read,
    130 stopped by Ctrl-C.
    """
    from initcfg.check.finetune_summary import render_summary_text, summarize_finetune_file
    from initcfg.check.render import render_text
    from initcfg.diagnostics import has_errors
    from initcfg.errors import EXIT_CLEAN, EXIT_ERRORS, EXIT_USAGE

    summary = summarize_finetune_file(
        config, trust=trust_python, fs_checks=not no_fs_checks,
        fs_checks_option="--no-fs-checks",
    )
    if output_format == "json":
        click.echo(json.dumps(summary.to_json(), indent=2))
    elif not summary.loaded:
        # Only the loading errors: a table of a config that did not load would mislead.
        click.echo(render_text(summary.diagnostics))
    else:
        click.echo(render_summary_text(summary, show_all=show_all))
        if summary.diagnostics:
            click.echo("")
            click.echo(render_text(summary.diagnostics))
    unreadable = any(item.code == "IC001" for item in summary.diagnostics)
    sys.exit(
        EXIT_USAGE if unreadable
        else EXIT_ERRORS if has_errors(summary.diagnostics) else EXIT_CLEAN
    )
