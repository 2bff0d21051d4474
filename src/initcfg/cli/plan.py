"""``initcfg plan init`` and ``initcfg plan train``: what initializes and trains, before
anything runs.

``initcfg plan CONFIG`` (the init plan) and ``initcfg plan CONFIG --train`` stay as
aliases of the two, with the same options and output. torch is imported only when a
command runs, so ``initcfg validate`` stays torch-free.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from initcfg.check.render import render_text
from initcfg.cli.interrupt import InterruptibleCommand
from initcfg.errors import EXIT_ERRORS, EXIT_USAGE

if TYPE_CHECKING:
    from initcfg.plan.train_plan import TrainPlan

_COMMON = [
    click.option(
        "--model", "model_spec", metavar="MODULE:FACTORY", default=None,
        help="Callable returning the nn.Module (given the config's model section when it "
        "takes an argument); MODULE may be a dotted name or a .py file. Default: the "
        "factory the config's model.type names, called with the section's other keys.",
    ),
    click.option(
        "--format", "output_format", type=click.Choice(["text", "json"]), default="text",
        show_default=True, help="Table for people, or the plan as JSON.",
    ),
    click.option("--meta", is_flag=True, help="Build the model on the meta device (no memory)."),
    click.option(
        "--trust-python", is_flag=True,
        help="Execute Python configs the safe evaluator refuses, and import a model factory "
        "the config names from outside the project's folders. Only for files you trust.",
    ),
    click.option(
        "--download", is_flag=True,
        help="Let planning download remote checkpoints to inspect them (default: a remote "
        "checkpoint that is not cached is planned as loaded, not inspected).",
    ),
]

_INIT = [
    click.option(
        "--reach", type=click.Choice(["mmengine", "all"]), default="mmengine", show_default=True,
        help="Descend only where MMEngine does, or into every module.",
    ),
    click.option("--apply", "do_apply", is_flag=True, help="Execute the plan on the model."),
    click.option(
        "--seed", type=click.IntRange(min=-(2**63), max=2**64 - 1), default=None,
        help="With --apply: torch.manual_seed before the model is built, as MMEngine's "
        "Runner seeds (the whole state dict is then reproducible).",
    ),
    click.option(
        "--output", type=click.Path(dir_okay=False), default=None,
        help="With --apply: write the initialized state dict here (atomically, into a folder "
        "that exists).",
    ),
    click.option(
        "--trace-real", is_flag=True,
        help="Build the model with real tensors and trace modules' own init_weights on a "
        "copy, so code that reads tensor values can be traced (not with --meta).",
    ),
]

_TRAIN = [
    click.option(
        "--iters-per-epoch", type=click.IntRange(min=1), default=None,
        help="With --train: iterations per epoch, for iteration-based schedules.",
    ),
    click.option(
        "--world-size", "--gpus", "world_size", type=click.IntRange(min=1), default=1,
        show_default=True, help="With --train: processes (GPUs), for auto_scale_lr and "
        "--dataset-size.",
    ),
    click.option(
        "--dataset-size", type=click.IntRange(min=1), default=None,
        help="With --train: samples in the training set; iterations per epoch follow from it, "
        "the batch size and --gpus (as MMEngine's DefaultSampler splits them).",
    ),
    click.option(
        "--batch-size", type=click.IntRange(min=1), default=None,
        help="With --train: batch size per process (default: train_dataloader.batch_size).",
    ),
    click.option(
        "--no-model", is_flag=True,
        help="With --train: plan the schedule without building the model (the default when "
        "model.type is neither a factory nor a class of an installed OpenMMLab scope, and "
        "no --model is given).",
    ),
]

_ALIAS_ONLY = [
    click.option(
        "--train", "train_plan", is_flag=True,
        help="Show the training plan instead: parameter groups, lr table, load_from map.",
    ),
]


def _with(options: Sequence[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    def decorate(function: Any) -> Any:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


_HELP = """Plan CONFIG before it runs: the init plan (plan init) or the training plan (plan train).

    `initcfg plan init CONFIG` prints which initializer writes which parameter;
    `initcfg plan train CONFIG` the parameter groups, lr table and load_from map.
    `initcfg plan CONFIG` and `initcfg plan CONFIG --train` are their aliases, with
    every option of both.

    Exit status: 0 no errors, 1 the plan has errors (nothing was applied),
    2 usage, the config or the model cannot be loaded, 130 stopped by Ctrl-C.
    """

_ALIAS = "initcfg.plan.alias"


@click.command("plan", cls=InterruptibleCommand)
@click.argument("config", type=click.Path(dir_okay=False))
@_with([*_COMMON[:2], _INIT[0], _COMMON[2], *_INIT[1:], *_COMMON[3:], *_ALIAS_ONLY, *_TRAIN])
def _plan_alias(**options: Any) -> None:
    _plan(**options)


class _PlanGroup(click.Group):
    """``plan init`` / ``plan train``, and ``plan CONFIG [--train]`` as their alias.

    The alias parses with the options of both subcommands (listed as this group's own,
    so ``initcfg plan --help`` shows them) and prints exactly what they print.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_ALIAS] = not (args and args[0] in self.commands)
        if ctx.meta[_ALIAS]:
            # Parse as the plain command it stands for, not as a group (which stops at
            # the first argument and keeps what follows for a subcommand).
            ctx.allow_interspersed_args = _plan_alias.allow_interspersed_args
            ctx.allow_extra_args = _plan_alias.allow_extra_args
            return _plan_alias.parse_args(ctx, args)
        ctx._protected_args, ctx.args = args[:1], args[1:]
        return ctx.args

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        if ctx.meta.get(_ALIAS, True):
            return _plan_alias.collect_usage_pieces(ctx)
        return super().collect_usage_pieces(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        if ctx.meta.get(_ALIAS):
            return _plan_alias.invoke(ctx)
        return super().invoke(ctx)


@click.group("plan", cls=_PlanGroup, help=_HELP, no_args_is_help=False)
@_with([*_COMMON[:2], _INIT[0], _COMMON[2], *_INIT[1:], *_COMMON[3:], *_ALIAS_ONLY, *_TRAIN])
def plan_command(**options: Any) -> None:
    """Runs only before a subcommand (the alias runs ``_plan_alias``): nothing to do."""


@plan_command.command("init")
@click.argument("config", type=click.Path(dir_okay=False))
@_with([*_COMMON[:2], _INIT[0], _COMMON[2], *_INIT[1:], *_COMMON[3:]])
def plan_init_command(**options: Any) -> None:
    """Compile the init plan of CONFIG for the model FACTORY builds and print it.

    Exit status: 0 no errors, 1 the plan has errors (nothing was applied),
    2 usage, the config or the model cannot be loaded, 130 stopped by Ctrl-C.
    """
    _plan(**options)


@plan_command.command("train")
@click.argument("config", type=click.Path(dir_okay=False))
@_with([*_COMMON, *_TRAIN])
def plan_train_command(**options: Any) -> None:
    """Show the training plan of CONFIG: parameter groups, lr table, load_from map.

    Exit status: 0 no errors, 1 the plan has errors, 2 usage, the config or the model
    cannot be loaded, 130 stopped by Ctrl-C.
    """
    _plan(train_plan=True, **options)


def _plan(**given: Any) -> None:
    """The plan the options ask for, printed; exits with its status."""
    from initcfg.plan.commands import PlanOptions, PlanUsageError, run_plan

    options = PlanOptions(**given)
    try:
        # Model code runs while planning (factories, constructors, init_weights, MMEngine's
        # logger): what it prints goes to stderr, so that stdout holds the plan alone.
        with contextlib.redirect_stdout(sys.stderr):
            outcome = run_plan(options)
    except PlanUsageError as error:
        raise click.UsageError(str(error)) from None
    if outcome.load_errors:
        click.echo(render_text(outcome.load_errors), err=True)
        sys.exit(EXIT_USAGE)
    if outcome.factory_error is not None:
        failed = outcome.factory_error
        hint = f" ({failed.hint})" if failed.hint else ""
        code = f"[{failed.code}]" if failed.code else ""
        where = outcome.factory_location
        place = f"{where.file}:{where.line}:{where.column}: " if where is not None else ""
        click.echo(f"initcfg plan: {place}error{code}: {failed.message}{hint}", err=True)
        sys.exit(EXIT_USAGE)
    if outcome.train_plan is not None:
        _show_train_plan(outcome.train_plan, options.output_format)
        return
    plan = outcome.init_plan
    assert plan is not None  # run_plan gives one of the outcomes above or a plan
    if options.output_format == "json":
        click.echo(json.dumps(plan.to_json(), indent=1))
    elif not plan.tensors and plan.errors:
        # Nothing could be planned (a model with lazy modules): an empty table says nothing.
        click.echo(render_text(plan.diagnostics))
    else:
        click.echo(plan.render_text())
        if plan.diagnostics:
            click.echo("")
            click.echo(render_text(plan.diagnostics))
    if plan.errors:
        sys.exit(EXIT_ERRORS)
    if outcome.failure is not None:
        message, status = outcome.failure
        click.echo(f"initcfg plan: error: {message}", err=True)
        sys.exit(status)
    if outcome.wrote:
        click.echo(f"wrote {outcome.wrote}", err=True)


def _show_train_plan(compiled: TrainPlan, output_format: str) -> None:
    from initcfg.plan.train_render import render_train_plan

    if output_format == "json":
        click.echo(compiled.dumps())
    else:
        click.echo(render_train_plan(compiled, diagnostics=False))
        if compiled.diagnostics:
            click.echo("")
            click.echo(render_text(compiled.diagnostics))
    if any(d.severity == "error" for d in compiled.diagnostics):
        sys.exit(EXIT_ERRORS)


def __getattr__(name: str) -> Any:
    """Old import path of ``PlanOptions``; use :mod:`initcfg.plan.commands` (imported on
    first use: it needs the plan package, which imports torch)."""
    if name == "PlanOptions":
        from initcfg.plan.commands import PlanOptions

        return PlanOptions
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
