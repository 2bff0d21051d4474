"""``initcfg plan init`` and ``initcfg plan train``: what initializes and trains, before
anything runs.

``initcfg plan CONFIG`` (the init plan) and ``initcfg plan CONFIG --train`` stay as
aliases of the two, with the same options and output. torch is imported only when a
command runs, so ``initcfg validate`` stays torch-free.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from initcfg.check.render import render_text
from initcfg.config.tree import ConfigTree
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
        help="torch.manual_seed before --apply.",
    ),
    click.option(
        "--output", type=click.Path(dir_okay=False), default=None,
        help="With --apply: write the initialized state dict here (atomically, into a folder "
        "that exists).",
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
        "model.type is a registry type and no --model is given).",
    ),
]

_ALIAS_ONLY = [
    click.option(
        "--train", "train_plan", is_flag=True,
        help="Show the training plan instead: parameter groups, lr table, load_from map.",
    ),
]


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """The options of ``initcfg plan``, parsed; ``train`` picks the training plan."""

    config: str
    model_spec: str | None = None
    output_format: str = "text"
    reach: str = "mmengine"
    meta: bool = False
    do_apply: bool = False
    seed: int | None = None
    output: str | None = None
    trust_python: bool = False
    download: bool = False
    train_plan: bool = False
    iters_per_epoch: int | None = None
    world_size: int = 1
    dataset_size: int | None = None
    batch_size: int | None = None
    no_model: bool = False


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
    2 usage, the config or the model cannot be loaded.
    """

_ALIAS = "initcfg.plan.alias"


@click.command("plan")
@click.argument("config", type=click.Path(dir_okay=False))
@_with([*_COMMON[:2], _INIT[0], _COMMON[2], *_INIT[1:], *_COMMON[3:], *_ALIAS_ONLY, *_TRAIN])
def _plan_alias(**options: Any) -> None:
    _plan(PlanOptions(**options))


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
    2 usage, the config or the model cannot be loaded.
    """
    _plan(PlanOptions(**options))


@plan_command.command("train")
@click.argument("config", type=click.Path(dir_okay=False))
@_with([*_COMMON, *_TRAIN])
def plan_train_command(**options: Any) -> None:
    """Show the training plan of CONFIG: parameter groups, lr table, load_from map.

    Exit status: 0 no errors, 1 the plan has errors, 2 usage, the config or the model
    cannot be loaded.
    """
    _plan(PlanOptions(train_plan=True, **options))


def _plan(options: PlanOptions) -> None:
    """The plan the options ask for, printed; exits with its status."""
    config, model_spec, output_format = options.config, options.model_spec, options.output_format
    reach, meta, do_apply, seed = options.reach, options.meta, options.do_apply, options.seed
    output, trust_python, download = options.output, options.trust_python, options.download
    train_plan, iters_per_epoch, world_size = (
        options.train_plan, options.iters_per_epoch, options.world_size
    )
    dataset_size, batch_size, no_model = (
        options.dataset_size, options.batch_size, options.no_model
    )
    if (output or seed is not None) and not do_apply:
        raise click.UsageError("--output and --seed need --apply")
    if meta and do_apply:
        raise click.UsageError("--apply needs real tensors; drop --meta")
    if train_plan and do_apply:
        raise click.UsageError("--apply executes the init plan; drop --train")
    from initcfg.config.load import load_tree

    tree = load_tree(config, trust=trust_python)
    load_errors = [d for d in tree.diagnostics if d.severity == "error"]
    if load_errors:
        click.echo(render_text(load_errors), err=True)
        sys.exit(EXIT_USAGE)

    if train_plan and (no_model or (model_spec is None and _names_no_factory(tree.data))):
        _schedule_only(tree, output_format, iters_per_epoch, world_size, dataset_size, batch_size)
        return
    if not train_plan and (no_model or dataset_size or batch_size):
        raise click.UsageError("--no-model, --dataset-size and --batch-size need --train")

    import torch

    from initcfg.config.atomic import refuse_overwriting, write_atomic
    from initcfg.errors import FactoryError, InitError
    from initcfg.plan.factory import model_from_config
    from initcfg.plan.init_plan import compile_init_plan
    from initcfg.plan.meta import build_on_meta
    from initcfg.plan.registry_model import uses_registry

    # A model MMEngine's registry builds is planned on the meta device unless applied.
    registry = uses_registry(tree, model_spec)
    try:
        if registry:
            model = model_from_config(tree, trust=trust_python, meta=meta or not do_apply)
        elif meta:
            model = build_on_meta(lambda: model_from_config(tree, model_spec, trust=trust_python))
        else:
            model = model_from_config(tree, model_spec, trust=trust_python)
    except FactoryError as error:
        hint = f" ({error.hint})" if error.hint else ""
        code = f"[{error.code}]" if error.code else ""
        click.echo(f"initcfg plan: error{code}: {error.message}{hint}", err=True)
        sys.exit(EXIT_USAGE)

    if train_plan:
        from initcfg.plan.checkpoint import checkpoint_available
        from initcfg.plan.train_plan import compile_train_plan

        per_epoch = _iters_per_epoch(tree, iters_per_epoch, dataset_size, batch_size, world_size)
        load_from = tree.data.get("load_from")
        readable = not isinstance(load_from, str) or checkpoint_available(load_from)
        compiled = compile_train_plan(
            tree, model, iters_per_epoch=per_epoch, world_size=world_size,
            batch_size=batch_size, read_checkpoint=download or readable,
        )
        _show_train_plan(compiled, output_format)
        return

    plan = compile_init_plan(
        tree, model, reach="all" if reach == "all" else "mmengine",
        built_from_config=registry, download=download,
    )
    if output_format == "json":
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
    if not do_apply:
        return
    if output:
        try:
            refuse_overwriting(output, [*tree.files, *plan.checkpoints()])
        except ValueError as error:
            click.echo(f"initcfg plan: error: {error}", err=True)
            sys.exit(EXIT_USAGE)
        folder = os.path.dirname(os.path.abspath(output))
        if not os.path.isdir(folder):  # a typo in the folder is not a reason to create it
            click.echo(
                f"initcfg plan: error: cannot write {output}: the folder {folder} does not "
                "exist (create it first)",
                err=True,
            )
            sys.exit(EXIT_USAGE)
    if seed is not None:
        torch.manual_seed(seed)
    try:
        plan.apply(model)
    except InitError as error:
        click.echo(f"initcfg plan: error: {error}", err=True)
        sys.exit(EXIT_ERRORS)
    if output:
        state = model.state_dict()
        try:
            write_atomic(
                output, lambda stream: torch.save(state, stream), create_folders=False
            )
        except OSError as error:
            click.echo(f"initcfg plan: error: cannot write {output}: {error}", err=True)
            sys.exit(EXIT_USAGE)
        click.echo(f"wrote {output}", err=True)


def _names_no_factory(data: dict[str, object]) -> bool:
    """``model.type`` is a registry type (or missing): no factory initcfg could call."""
    section = data.get("model")
    kind = section.get("type") if isinstance(section, dict) else None
    return not (isinstance(kind, str) and ":" in kind)


def _iters_per_epoch(
    tree: ConfigTree,
    iters_per_epoch: int | None,
    dataset_size: int | None,
    batch_size: int | None,
    world_size: int,
) -> int | None:
    """``--iters-per-epoch``, or the dataloader length ``--dataset-size`` implies."""
    if dataset_size is None:
        return iters_per_epoch
    if iters_per_epoch is not None:
        raise click.UsageError("give --iters-per-epoch or --dataset-size, not both")
    from initcfg.plan.train_plan import dataloader_length

    batch = batch_size if batch_size is not None else tree.get(("train_dataloader", "batch_size"))
    if not isinstance(batch, int) or isinstance(batch, bool) or batch <= 0:
        raise click.UsageError(
            "--dataset-size needs a batch size: train_dataloader.batch_size is not a positive "
            "int in the config; pass --batch-size"
        )
    drop_last = tree.get(("train_dataloader", "drop_last"), False) is True
    return dataloader_length(dataset_size, batch, world_size, drop_last=drop_last)


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


def _schedule_only(
    tree: ConfigTree,
    output_format: str,
    iters_per_epoch: int | None,
    world_size: int,
    dataset_size: int | None,
    batch_size: int | None,
) -> None:
    """``plan --train`` without a model: loop, optimizer and the lr table."""
    from initcfg.plan.train_plan import compile_train_plan

    per_epoch = _iters_per_epoch(tree, iters_per_epoch, dataset_size, batch_size, world_size)
    compiled = compile_train_plan(
        tree, None, iters_per_epoch=per_epoch, world_size=world_size, batch_size=batch_size
    )
    _show_train_plan(compiled, output_format)
