"""``initcfg validate``."""

from __future__ import annotations

import sys

import click

from initcfg.check.render import RENDERERS, render_text
from initcfg.check.run import validate_paths
from initcfg.check.settings import Settings


@click.command("validate")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format", "output_format", type=click.Choice(sorted(RENDERERS)), default="text",
    show_default=True, help="How to print the diagnostics.",
)
@click.option(
    "--strict", is_flag=True,
    help="Also report unknown layer names and suppressions that silence nothing.",
)
@click.option(
    "--extra-layer", "extra_layers", multiple=True, metavar="NAME",
    help="A class name of your own that `layer` may name (repeatable); adds to "
    "[tool.initcfg] extra-layers.",
)
@click.option("--no-fs-checks", is_flag=True, help="Do not check that local paths exist.")
@click.option(
    "--trust-python", is_flag=True,
    help="Execute Python configs the safe evaluator refuses, as MMEngine would. "
    "Only for files you trust.",
)
def validate_command(
    paths: tuple[str, ...],
    output_format: str,
    strict: bool,
    extra_layers: tuple[str, ...],
    no_fs_checks: bool,
    trust_python: bool,
) -> None:
    """Check config files (directories are walked for .py, .yaml, .yml and .json).

    Exit status: 0 no errors, 1 errors found, 2 a path or file could not be read.
    """
    settings = Settings(
        frozenset(extra_layers), strict, not no_fs_checks, fs_checks_option="--no-fs-checks"
    )
    result = validate_paths(list(paths), settings, trust=trust_python)
    for problem in result.path_errors:
        click.echo(f"initcfg: {problem}", err=True)
    if output_format == "text":
        output = render_text(result.diagnostics, colour=sys.stdout.isatty())
        if not result.diagnostics and not result.path_errors:
            count = len(result.files)
            output = f"checked {count} file{'s' if count != 1 else ''}: no problems"
    else:
        output = RENDERERS[output_format](result.diagnostics)
    if output:
        click.echo(output)
    sys.exit(result.exit_code)
