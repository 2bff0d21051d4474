"""``initcfg validate``."""

from __future__ import annotations

import gc
import sys
from collections import Counter

import click

from initcfg.check.render import RENDERERS, render_text
from initcfg.check.run import RunResult, validate_paths
from initcfg.check.settings import Settings, check_selector
from initcfg.cli.interrupt import InterruptibleCommand


def _selectors(
    _context: click.Context, parameter: click.Parameter, values: tuple[str, ...]
) -> frozenset[str] | None:
    """Codes given as repeated options or comma-separated; a code that selects nothing
    is a usage error (exit 2), as in ruff."""
    if not values:
        return None
    codes = {part.strip().upper() for value in values for part in value.split(",") if part.strip()}
    if not codes and parameter.name == "select":
        # `--select "$CODES"` with CODES unset selected nothing: every config passed.
        raise click.BadParameter(
            "names no code (it is empty: an unset variable?); leave it out to report every "
            "code", param=parameter,
        )
    for code in sorted(codes):
        problem = check_selector(code)
        if problem is not None:
            raise click.BadParameter(problem, param=parameter)
    return frozenset(codes)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _counts(result: RunResult) -> str:
    """``checked 3 files, skipped 2 (1 not a config, 1 project code)``, the reasons in
    alphabetical order."""
    text = f"checked {_plural(len(result.files), 'file')}"
    if result.skipped:
        reasons = Counter(why for _, why in result.skipped)
        shown = ", ".join(f"{count} {why}" for why, count in sorted(reasons.items()))
        text += f", skipped {len(result.skipped)} ({shown})"
    return text


@click.command("validate", cls=InterruptibleCommand)
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
@click.option(
    "--extra-optimizer", "extra_optimizers", multiple=True, metavar="NAME",
    help="An optimizer type your project registers (repeatable); adds to "
    "[tool.initcfg] extra-optimizers.",
)
@click.option(
    "--extra-scheduler", "extra_schedulers", multiple=True, metavar="NAME",
    help="A parameter scheduler type your project registers (repeatable); adds to "
    "[tool.initcfg] extra-schedulers.",
)
@click.option(
    "--select", "select", multiple=True, metavar="CODE", callback=_selectors,
    help="Report only these codes or code prefixes (IC3, IC115; repeatable or "
    "comma-separated); replaces [tool.initcfg] select.",
)
@click.option(
    "--ignore", "ignore", multiple=True, metavar="CODE", callback=_selectors,
    help="Do not report these codes or code prefixes (repeatable or comma-separated); "
    "adds to [tool.initcfg] ignore.",
)
@click.option(
    "--fail-on", "fail_on", type=click.Choice(["error", "warning", "info"]), default=None,
    help="The least severity that makes the exit status 1 (default: [tool.initcfg] "
    "fail-on, else error).",
)
@click.option("--no-fs-checks", is_flag=True, help="Do not check that local paths exist.")
@click.option(
    "--trust-python", is_flag=True,
    help="Execute Python configs the safe evaluator refuses, as MMEngine would. "
    "Only for files you trust.",
)
@click.option(
    "--skip-non-configs", is_flag=True,
    help="Skip files named on the command line as a directory walk skips them (other "
    "suffixes, files under .git, venv and the like, .py files that define functions or "
    "classes, files whose root is not a mapping): for hooks that pass every matching file.",
)
def validate_command(
    paths: tuple[str, ...],
    output_format: str,
    strict: bool,
    extra_layers: tuple[str, ...],
    extra_optimizers: tuple[str, ...],
    extra_schedulers: tuple[str, ...],
    select: frozenset[str] | None,
    ignore: frozenset[str] | None,
    fail_on: str | None,
    no_fs_checks: bool,
    trust_python: bool,
    skip_non_configs: bool,
) -> None:
    """Check config files (directories are walked for .py, .yaml, .yml and .json).

    Exit status: 0 nothing at the fail-on severity, 1 findings at it (errors by
    default), 2 a path, a file or the settings could not be read, 130 stopped by
    Ctrl-C.
    """
    settings = Settings(
        frozenset(extra_layers),
        strict,
        not no_fs_checks,
        fs_checks_option="--no-fs-checks",
        select=select,
        ignore=ignore or frozenset(),
        fail_on=fail_on,  # type: ignore[arg-type]  # click.Choice checked it
        extra_optimizers=frozenset(extra_optimizers),
        extra_schedulers=frozenset(extra_schedulers),
    )
    # A pass of the cyclic collector over the results frees nothing worth it before the
    # process ends (validate_paths collects what a long run leaves on its own); the
    # state is restored for callers that run the command in-process (CliRunner).
    collecting = gc.isenabled()
    gc.disable()
    try:
        result = validate_paths(
            list(paths), settings, trust=trust_python, skip_non_configs=skip_non_configs
        )
        if output_format == "text":
            output = render_text(result.diagnostics, colour=sys.stdout.isatty())
            counts = _counts(result)
            if not result.diagnostics:
                output = f"{counts}: no problems" if result.files else f"{counts}: nothing to check"
            else:
                output += f"\n{counts}"
        else:
            for problem in result.path_errors:
                click.echo(f"initcfg: {problem}", err=True)
            if not result.files:
                click.echo(f"initcfg: {_counts(result)}: nothing to check", err=True)
            output = RENDERERS[output_format](result.diagnostics)
        if output:
            click.echo(output)
    finally:
        if collecting:
            gc.enable()
    sys.exit(result.exit_code)
