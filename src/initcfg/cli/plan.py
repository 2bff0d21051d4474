"""``initcfg plan``: show which initializer writes which parameter, before anything runs.

torch is imported only when the command runs, so ``initcfg validate`` stays torch-free.
"""

from __future__ import annotations

import json
import sys

import click

from initcfg.check.render import render_text

EXIT_ERRORS = 1
EXIT_USAGE = 2


@click.command("plan")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option(
    "--model", "model_spec", metavar="MODULE:FACTORY", default=None,
    help="Callable returning the nn.Module (given the config's model section when it "
    "takes an argument); MODULE may be a dotted name or a .py file. Default: the "
    "factory the config's model.type names, called with the section's other keys.",
)
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text",
    show_default=True, help="Table for people, or the plan as JSON.",
)
@click.option(
    "--reach", type=click.Choice(["mmengine", "all"]), default="mmengine", show_default=True,
    help="Descend only where MMEngine does, or into every module.",
)
@click.option("--meta", is_flag=True, help="Build the model on the meta device (no memory).")
@click.option("--apply", "do_apply", is_flag=True, help="Execute the plan on the model.")
@click.option(
    "--seed", type=click.IntRange(min=-(2**63), max=2**64 - 1), default=None,
    help="torch.manual_seed before --apply.",
)
@click.option(
    "--output", type=click.Path(dir_okay=False), default=None,
    help="With --apply: write the initialized state dict here (atomically).",
)
@click.option(
    "--trust-python", is_flag=True,
    help="Execute Python configs the safe evaluator refuses, and import a model factory "
    "the config names from outside the project's folders. Only for files you trust.",
)
@click.option(
    "--download", is_flag=True,
    help="Let planning download remote checkpoints to inspect them (default: a remote "
    "checkpoint that is not cached is planned as loaded, not inspected).",
)
@click.option(
    "--train", "train_plan", is_flag=True,
    help="Show the training plan instead: parameter groups, lr table, load_from map.",
)
@click.option(
    "--iters-per-epoch", type=click.IntRange(min=1), default=None,
    help="With --train: iterations per epoch, for iteration-based schedules.",
)
@click.option(
    "--world-size", type=click.IntRange(min=1), default=1, show_default=True,
    help="With --train: processes, for auto_scale_lr.",
)
def plan_command(
    config: str,
    model_spec: str | None,
    output_format: str,
    reach: str,
    meta: bool,
    do_apply: bool,
    seed: int | None,
    output: str | None,
    trust_python: bool,
    download: bool,
    train_plan: bool,
    iters_per_epoch: int | None,
    world_size: int,
) -> None:
    """Compile the init plan of CONFIG for the model FACTORY builds and print it.

    Exit status: 0 no errors, 1 the plan has errors (nothing was applied),
    2 usage, the config or the model cannot be loaded.
    """
    if (output or seed is not None) and not do_apply:
        raise click.UsageError("--output and --seed need --apply")
    if meta and do_apply:
        raise click.UsageError("--apply needs real tensors; drop --meta")
    if train_plan and do_apply:
        raise click.UsageError("--apply executes the init plan; drop --train")
    from initcfg.config.load import load_config

    tree = load_config(config, trust=trust_python)
    load_errors = [d for d in tree.diagnostics if d.severity == "error"]
    if load_errors:
        click.echo(render_text(load_errors), err=True)
        sys.exit(EXIT_USAGE)

    import torch

    from initcfg.backend.torch._errors import InitError
    from initcfg.config.atomic import refuse_overwriting, write_atomic
    from initcfg.plan.factory import FactoryError, model_from_config
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
        click.echo(f"initcfg plan: error: {error.message}{hint}", err=True)
        sys.exit(EXIT_USAGE)

    if train_plan:
        from initcfg.backend.torch._planner import checkpoint_available
        from initcfg.plan.train_plan import compile_train_plan
        from initcfg.plan.train_render import render_train_plan

        load_from = tree.data.get("load_from")
        readable = not isinstance(load_from, str) or checkpoint_available(load_from)
        compiled = compile_train_plan(
            tree, model, iters_per_epoch=iters_per_epoch, world_size=world_size,
            read_checkpoint=download or readable,
        )
        if output_format == "json":
            click.echo(compiled.to_json())
        else:
            click.echo(render_train_plan(compiled, diagnostics=False))
            if compiled.diagnostics:
                click.echo("")
                click.echo(render_text(compiled.diagnostics))
        if any(d.severity == "error" for d in compiled.diagnostics):
            sys.exit(EXIT_ERRORS)
        return

    plan = compile_init_plan(
        tree, model, reach="all" if reach == "all" else "mmengine",
        built_from_config=registry, download=download,
    )
    if output_format == "json":
        click.echo(json.dumps(plan.to_json(), indent=1))
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
            write_atomic(output, lambda stream: torch.save(state, stream))
        except OSError as error:
            click.echo(f"initcfg plan: error: cannot write {output}: {error}", err=True)
            sys.exit(EXIT_USAGE)
        click.echo(f"wrote {output}", err=True)
