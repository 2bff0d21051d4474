"""``initcfg train``: run the fine-tune a config declares (torch imported only when it runs).

Also runnable as ``python -m initcfg.cli.train``, which is what
``torchrun --nproc_per_node=N -m initcfg.cli.train CONFIG`` needs.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from initcfg.check.render import render_text
from initcfg.cli.interrupt import InterruptibleCommand
from initcfg.config.tree import ConfigTree
from initcfg.errors import EXIT_ERRORS, EXIT_INTERRUPTED, EXIT_USAGE

if TYPE_CHECKING:
    from initcfg.schema.runtime import FactoryCfg



@click.command("train", cls=InterruptibleCommand)
@click.argument("config", type=click.Path(dir_okay=False))
@click.option(
    "--work-dir", type=click.Path(file_okay=False), default=None,
    help="Where checkpoints and train_log.jsonl go (default: the config's work_dir, "
    "else work_dirs/<config name>).",
)
@click.option("--resume", is_flag=True, help="Continue from the last checkpoint in the work dir.")
@click.option(
    "--overwrite", is_flag=True,
    help="Start over in a work dir that holds a previous run: its checkpoints and log "
    "are removed first (without it such a work dir is refused).",
)
@click.option(
    "--model", "model", metavar="MODULE:FACTORY", default=None,
    help="Build the model with this callable instead of the config's model type.",
)
@click.option(
    "--device", type=click.Choice(["cpu", "cuda"]), default=None,
    help="Force the device (default: CUDA when available).",
)
@click.option("--quiet", is_flag=True, help="No progress output.")
@click.option(
    "--trust-python", is_flag=True,
    help="Execute Python configs the safe evaluator refuses, and import factories the "
    "config names from outside the project's folders. Only for files you trust.",
)
def train_command(
    config: str,
    work_dir: str | None,
    resume: bool,
    overwrite: bool,
    model: str | None,
    device: str | None,
    quiet: bool,
    trust_python: bool,
) -> None:
    """Train the model CONFIG describes: init plan, load_from, optimizer, schedule, loop.

    Which engine runs: when model.type names a 'module:callable' factory (or --model is
    given), initcfg's own loop. When model.type is a registry type ('ResNet',
    'ImageClassifier'), MMEngine's Runner.from_cfg trains it, with InitcfgHook on
    (--work-dir, --resume and torchrun apply; --device and --quiet do not).

    Under `torchrun --nproc_per_node=N` it trains with DistributedDataParallel; only
    rank 0 writes logs and checkpoints. Ctrl-C or SIGTERM writes a checkpoint and stops;
    run again with --resume to continue exactly where it stopped.

    Exit status: 0 trained, 1 the config cannot be trained (or a rank failed),
    2 the config cannot be read, 130 stopped by Ctrl-C and 143 by SIGTERM (a checkpoint
    was written).
    """
    if resume and overwrite:
        raise click.UsageError(
            "--resume continues the work dir's run and --overwrite removes it: pass one"
        )
    from initcfg.config.load import load_tree

    rank = os.environ.get("RANK", "0")
    # Under torchrun every process's lines name it, rank 0's too: which rank failed
    # first is what the reader of several processes' messages needs to know.
    several = int(os.environ.get("WORLD_SIZE", "1")) > 1
    prefix = f"initcfg train [rank {rank}]" if several else "initcfg train"
    tree = load_tree(config, trust=trust_python)
    errors = [d for d in tree.diagnostics if d.severity == "error"]
    if errors:
        click.echo(render_text(errors, colour=sys.stderr.isatty()), err=True)
        sys.exit(EXIT_USAGE)
    # The same checks as `initcfg validate`: errors stop the run before anything is
    # built; warnings are shown once (by rank 0) and the run goes on.
    from initcfg.check.validate import check_tree, document_for

    document = document_for(tree)  # the one parse of the config's settings
    found = check_tree(tree, document=document)
    blocking = [d for d in found if d.severity == "error"]
    shown = blocking or [d for d in found if d.severity == "warning"]
    if shown and (rank == "0" or blocking):
        click.echo(render_text(shown, colour=sys.stderr.isatty()), err=True)
    if blocking:
        click.echo(f"{prefix}: the config has errors; nothing was trained", err=True)
        sys.exit(EXIT_ERRORS)

    if model is None and _is_registry_config(document.runtime.model):
        _train_with_mmengine(tree, work_dir, resume, prefix)
        return

    from initcfg.backend.torch.train import TrainOptions, train
    from initcfg.errors import TrainError

    options = TrainOptions(
        work_dir=work_dir,
        resume=resume,
        model=model,
        device=device,
        progress=not quiet,
        trust=trust_python,
        overwrite=overwrite,
    )
    try:
        result = train(document, options)
    except TrainError as error:
        code = f"[{error.code}]" if error.code else ""
        click.echo(f"{prefix}: error{code}: {error.render(tree)}", err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        click.echo(f"{prefix}: interrupted before a checkpoint could be written", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as error:
        # A failure inside user code (model, dataset) on one rank: say which rank and
        # exit non-zero, so torchrun stops the other ranks instead of letting them wait.
        click.echo(f"{prefix}: error: {type(error).__name__}: {error}", err=True)
        if os.environ.get("INITCFG_TRACEBACK"):
            raise
        sys.exit(EXIT_ERRORS)
    if result.interrupted:
        if rank == "0":
            click.echo(
                f"{prefix}: stopped after {result.iteration} iterations "
                f"({result.epoch} epochs complete); checkpoint {result.last_checkpoint}. "
                "Continue with: "
                f"initcfg train {config} --work-dir {result.work_dir} --resume",
                err=True,
            )
        # 128 + the signal, as a shell reports a process the signal ended.
        sys.exit(128 + result.stop_signal if result.stop_signal else EXIT_INTERRUPTED)
    checkpoint = (
        f"checkpoint {result.last_checkpoint}" if result.last_checkpoint else "no checkpoint"
    )
    if rank == "0" and result.already_complete:
        click.echo(
            f"nothing to train: the run in {result.work_dir} is complete "
            f"({result.epoch} epochs, {result.iteration} iterations); {checkpoint}"
        )
    elif rank == "0" and not quiet:
        last = result.val_history[-1] if result.val_history else None
        metrics = "" if last is None else "  " + "  ".join(
            f"{k} {v:.4g}" for k, v in last.items() if k not in ("epoch", "iter")
        )
        click.echo(
            f"trained {result.epoch} epochs ({result.iteration} iterations){metrics}; "
            f"{checkpoint}"
        )


def _is_registry_config(model: FactoryCfg | None) -> bool:
    return model is not None and model.target != "" and not model.is_callable


def _train_with_mmengine(
    tree: ConfigTree, work_dir: str | None, resume: bool, prefix: str
) -> None:
    """Hand a registry config to MMEngine's Runner (imported only here, lazily)."""
    try:
        from initcfg.mmengine import (
            InitcfgStop,
            close_process_group_after_failure,
            run_registry_training,
        )
    except ImportError as error:
        click.echo(
            f"{prefix}: error: model.type is a registry type and MMEngine's Runner trains "
            f"such configs, but it cannot be imported ({error}); "
            "pip install mmengine, or name a 'module:callable' factory",
            err=True,
        )
        sys.exit(EXIT_ERRORS)
    status: int | None = None
    try:
        run_registry_training(tree, work_dir=work_dir, resume=resume)
    except InitcfgStop as stop:
        click.echo(f"{prefix}: {stop.code}", err=True)
        status = EXIT_ERRORS
    except KeyboardInterrupt:
        click.echo(f"{prefix}: interrupted", err=True)
        status = EXIT_INTERRUPTED
    except Exception as error:
        click.echo(f"{prefix}: error: MMEngine's Runner: {type(error).__name__}: {error}", err=True)
        if os.environ.get("INITCFG_TRACEBACK"):
            raise
        status = EXIT_ERRORS
    if status is not None:
        # Out of the except blocks the error and the Runner its traceback holds are
        # gone, so the process group can be closed before the process ends.
        close_process_group_after_failure()
        sys.exit(status)


if __name__ == "__main__":
    train_command()
