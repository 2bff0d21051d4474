"""``initcfg plan`` as one library call: :func:`run_plan` loads the config, builds its
Document once, builds the model, compiles the init or the training plan and, with
``--apply``, executes the init plan. It returns a :class:`PlanOutcome` and prints
nothing; the CLI renders the outcome and picks the exit code.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from initcfg.diagnostics import Diagnostic, Location
from initcfg.errors import EXIT_ERRORS, EXIT_USAGE, FactoryError
from initcfg.schema.document import Document, strings_in

if TYPE_CHECKING:
    from torch import nn

    from initcfg.plan.checkpoint import LoadResult
    from initcfg.plan.init_plan import InitPlan
    from initcfg.plan.steps import Step
    from initcfg.plan.train_plan import TrainPlan

__all__ = ["PlanOptions", "PlanOutcome", "PlanUsageError", "apply_naming_failures", "run_plan"]


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
    trace_real: bool = False


class PlanUsageError(ValueError):
    """The options do not go together (the CLI's usage error, exit status 2)."""


@dataclass(slots=True)
class PlanOutcome:
    """What :func:`run_plan` did, in the order it stopped.

    Attributes:
        load_errors: The config could not be loaded (nothing else was done).
        factory_error: The model could not be built.
        factory_location: Where the config names what could not be built, when known.
        init_plan: The init plan (the init command).
        train_plan: The training plan (``--train``).
        failure: Applying the plan or writing ``--output`` failed: the message and the
            exit status.
        wrote: The file the initialized state dict was written to.
    """

    load_errors: list[Diagnostic] = field(default_factory=list)
    factory_error: FactoryError | None = None
    factory_location: Location | None = None
    init_plan: InitPlan | None = None
    train_plan: TrainPlan | None = None
    failure: tuple[str, int] | None = None
    wrote: str | None = None


def _check_options(options: PlanOptions) -> None:
    if options.output == "":
        raise PlanUsageError("--output needs a file name (it is empty: an unset variable?)")
    if (options.output or options.seed is not None) and not options.do_apply:
        raise PlanUsageError("--output and --seed need --apply")
    if options.meta and options.do_apply:
        raise PlanUsageError("--apply needs real tensors; drop --meta")
    if options.train_plan and options.do_apply:
        raise PlanUsageError("--apply executes the init plan; drop --train")
    if options.trace_real and (options.meta or options.train_plan):
        raise PlanUsageError("--trace-real traces a real build of the init plan; drop "
                             + ("--meta" if options.meta else "--train"))
    if options.train_plan and options.reach != "mmengine":
        # The training plan follows MMEngine's own init_weights: `plan train` has no --reach.
        raise PlanUsageError("--reach plans the init plan; drop --train")
    # `plan CONFIG` is `plan init CONFIG`, which has none of the training plan's options:
    # a value for one of them would change nothing, silently.
    train_only = [
        name for name, given in (
            ("--iters-per-epoch", options.iters_per_epoch is not None),
            ("--world-size/--gpus", options.world_size != 1),
            ("--dataset-size", options.dataset_size is not None),
            ("--batch-size", options.batch_size is not None),
            ("--no-model", options.no_model),
        ) if given
    ]
    if train_only and not options.train_plan:
        raise PlanUsageError(f"{', '.join(train_only)}: the training plan's options need "
                             "--train (or run `initcfg plan train`)")


def run_plan(options: PlanOptions) -> PlanOutcome:
    """The plan the options ask for (see :class:`PlanOutcome`).

    Raises:
        PlanUsageError: Options that do not go together.
    """
    _check_options(options)
    from initcfg.config.load import load_tree

    tree = load_tree(options.config, trust=options.trust_python)
    load_errors = [d for d in tree.diagnostics if d.severity == "error"]
    if load_errors:
        return PlanOutcome(load_errors=load_errors)
    from initcfg.check.validate import document_for

    # Parsed as validate parses it: the names the project and the config's scope
    # packages register (mmpretrain's LARS) are known types, not unknown ones.
    document = document_for(tree)

    from initcfg.plan.registry_model import registry_installed, uses_registry

    model_spec, trust_python = options.model_spec, options.trust_python
    # A registered class name of an installed OpenMMLab scope is built by that package's
    # registry; a type that is neither that nor a factory gets the schedule alone (the
    # schedule needs no model: a package missing where the plan is made is no error).
    registry = uses_registry(document, model_spec)
    buildable = registry and registry_installed(document)
    if options.train_plan and (
        options.no_model or (not buildable and model_spec is None and _names_no_factory(document))
    ):
        return PlanOutcome(train_plan=_schedule_only(document, options))

    from initcfg.plan.factory import model_from_config
    from initcfg.plan.init_plan import compile_init_plan
    from initcfg.plan.meta import build_on_meta

    if options.seed is not None:
        import torch

        # Before the model is built, as MMEngine's Runner seeds before build_model: the
        # tensors the plan leaves to the constructor are then the same run after run.
        torch.manual_seed(options.seed)
    try:
        if registry:
            # Planned on the meta device unless applied (the training plan never is).
            model = model_from_config(
                document, trust=trust_python,
                meta=options.meta or not (options.do_apply or options.trace_real),
            )
        elif options.meta:
            model = build_on_meta(
                lambda: model_from_config(document, model_spec, trust=trust_python)
            )
        else:
            model = model_from_config(document, model_spec, trust=trust_python)
    except FactoryError as error:
        if options.train_plan and registry:
            alone = "--no-model plans the schedule without the model"
            error.hint = f"{error.hint}; {alone}" if error.hint else alone
        where = None
        if document.tree is not None and error.path:
            where = document.tree.location(error.path)
        return PlanOutcome(factory_error=error, factory_location=where)

    try:
        if options.train_plan:
            from initcfg.plan.train_plan import compile_train_plan

            per_epoch = _iters_per_epoch(document, options)
            compiled = compile_train_plan(
                document, model, iters_per_epoch=per_epoch, world_size=options.world_size,
                batch_size=options.batch_size, download=options.download,
                built_from_config=registry,
            )
            return PlanOutcome(train_plan=compiled)

        plan = compile_init_plan(
            document, model, reach="all" if options.reach == "all" else "mmengine",
            built_from_config=registry, download=options.download,
            trace_real=options.trace_real,
        )
    except Exception as error:
        failure = model_code_failure(error)
        if failure is None:
            raise  # initcfg's own code failed: a bug, shown with its traceback
        return PlanOutcome(factory_error=failure)
    outcome = PlanOutcome(init_plan=plan)
    if plan.errors or not options.do_apply:
        return outcome
    _apply(document, plan, model, options, outcome)
    return outcome


def _apply(
    document: Document,
    plan: InitPlan,
    model: nn.Module,
    options: PlanOptions,
    outcome: PlanOutcome,
) -> None:
    """``--apply``: execute the plan and write ``--output`` (``--seed`` was set before
    the model was built)."""
    import torch

    from initcfg.config.atomic import refuse_overwriting, write_atomic
    from initcfg.errors import InitError

    # A factory may build on the meta device itself (--meta is refused above): applying
    # writes nothing there, and --output would save tensors that hold no data.
    on_meta = next((name for name, tensor in model.state_dict(keep_vars=True).items()
                    if tensor.is_meta), None)
    if on_meta is not None:
        outcome.failure = (
            f"--apply needs a model with real tensors, but the model was built on the meta "
            f"device ({on_meta} holds no data): build it on a real device",
            EXIT_USAGE,
        )
        return
    output = options.output
    if output:
        try:
            refuse_overwriting(output, run_inputs(document, plan, model))
        except ValueError as error:
            outcome.failure = (str(error), EXIT_USAGE)
            return
        folder = os.path.dirname(os.path.abspath(output))
        if not os.path.isdir(folder):  # a typo in the folder is not a reason to create it
            outcome.failure = (
                f"cannot write {output}: the folder {folder} does not exist (create it first)",
                EXIT_USAGE,
            )
            return
    try:
        apply_naming_failures(plan, model)
    except InitError as error:
        outcome.failure = (str(error), EXIT_ERRORS)
        return
    if output:
        state = model.state_dict()
        try:
            write_atomic(
                output, lambda stream: torch.save(state, stream), create_folders=False
            )
        except OSError as error:
            outcome.failure = (f"cannot write {output}: {error}", EXIT_USAGE)
            return
        outcome.wrote = output


def model_code_failure(error: BaseException) -> FactoryError | None:
    """The error to report when the model's own code (an attribute hook, a property)
    raised while planning read the model, as MMEngine's init_weights would have crashed
    there too; None when the innermost frame is initcfg's own (a bug of initcfg)."""
    import sysconfig
    import traceback

    import torch

    frames = traceback.extract_tb(error.__traceback__)
    ours = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    # Neither the model's nor initcfg's: the standard library and torch, which either
    # may have called.
    neutral = tuple(
        os.path.abspath(folder) + os.sep
        for folder in (sysconfig.get_paths()["stdlib"], os.path.dirname(torch.__file__))
    )
    culprit = None
    for frame in reversed(frames):  # innermost first
        where = os.path.abspath(frame.filename)
        if where.startswith(ours):
            return None  # initcfg called the failing code itself: a bug of initcfg
        if not where.startswith(neutral):
            culprit = frame
            break
    if culprit is None:
        return None
    return FactoryError(
        f"the model's code raised {type(error).__name__} while the plan read the model: "
        f"{error} (at {culprit.filename}:{culprit.lineno})",
        hint="fix the model's code there (initcfg reads a module's attributes as "
        "MMEngine's init_weights does: init_cfg, init_weights, is_init, its submodules)",
    )


def run_inputs(
    document: Document, plan: InitPlan, model: nn.Module
) -> Iterator[tuple[str, str]]:
    """Every file a plan's run reads or may read, as ``(path, what it is)``: the config
    and its bases, the checkpoints the plan loads, every file a string of the config or
    of a module's own ``init_cfg`` names (a Pretrained checkpoint that a module's own
    ``init_weights`` loads is in no step of the plan), and the source of every Python
    module imported so far (the model's factory and its code among them)."""
    tree = document.tree
    for name in tree.files if tree is not None else ():
        yield name, "a config file"
    for name in plan.checkpoints():
        yield name, "a checkpoint the plan loads"
    for name in document.written_strings():
        yield name, "a file the config names"
    for module in model.modules():
        init_cfg = module.__dict__.get("init_cfg", getattr(type(module), "init_cfg", None))
        for name in strings_in(init_cfg):
            yield name, "a file a module's init_cfg names"
    for imported in list(sys.modules.values()):
        source = vars(imported).get("__file__") if hasattr(imported, "__dict__") else None
        if isinstance(source, str):
            yield source, "the source of a Python module the run imported"


def apply_naming_failures(plan: InitPlan, model: nn.Module) -> list[tuple[Step, LoadResult]]:
    """``plan.apply(model)``, where model code that raises (a module's own ``init_weights``,
    run as MMEngine runs it, on a mode or a value it refuses) is an :class:`InitError` that
    names the step, for the command lines to report: the exception is its ``__cause__``.
    """
    from initcfg.errors import InitcfgError, InitError
    from initcfg.plan.init_describe import describe_step
    from initcfg.plan.steps import StepRecorder

    recorder = StepRecorder()
    try:
        return plan.apply(model, on_step=recorder)
    except InitcfgError:
        raise
    except Exception as error:
        running = recorder.running
        what = describe_step(running) if running is not None else "applying the plan"
        raise InitError(f"{what} raised {type(error).__name__}: {error}") from error


def _names_no_factory(document: Document) -> bool:
    """``model.type`` is a registry type (or missing): no factory initcfg could call."""
    section = document.model_section
    kind = section.get("type") if isinstance(section, dict) else None
    return not (isinstance(kind, str) and ":" in kind)


def _iters_per_epoch(document: Document, options: PlanOptions) -> int | None:
    """``--iters-per-epoch``, or the dataloader length ``--dataset-size`` implies."""
    iters_per_epoch, dataset_size = options.iters_per_epoch, options.dataset_size
    if dataset_size is None:
        return iters_per_epoch
    if iters_per_epoch is not None:
        raise PlanUsageError("give --iters-per-epoch or --dataset-size, not both")
    from initcfg.plan.train_plan import dataloader_length

    loader = document.runtime.train_dataloader
    batch = options.batch_size if options.batch_size is not None else (
        loader.batch_size if loader is not None else None
    )
    if not isinstance(batch, int) or isinstance(batch, bool) or batch <= 0:
        raise PlanUsageError(
            "--dataset-size needs a batch size: train_dataloader.batch_size is not a positive "
            "int in the config; pass --batch-size"
        )
    drop_last = loader is not None and loader.drop_last is True
    return dataloader_length(dataset_size, batch, options.world_size, drop_last=drop_last)


def _schedule_only(document: Document, options: PlanOptions) -> TrainPlan:
    """``plan --train`` without a model: loop, optimizer and the lr table."""
    from initcfg.plan.train_plan import compile_train_plan

    per_epoch = _iters_per_epoch(document, options)
    return compile_train_plan(
        document, None, iters_per_epoch=per_epoch, world_size=options.world_size,
        batch_size=options.batch_size,
    )
