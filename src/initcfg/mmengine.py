"""initcfg inside MMEngine's Runner: importing this module registers :class:`InitcfgHook`.

A config turns it on with two lines::

    custom_imports = dict(imports=['initcfg.mmengine'], allow_failed_imports=False)
    custom_hooks = [dict(type='InitcfgHook')]

This is the only module of initcfg that imports MMEngine.

Where the hook acts, and why there: MMEngine 0.10.7's ``Runner.train()`` builds the
loops, the optimizer and the schedulers, calls ``before_run``, *then* runs
``init_weights`` (``_init_model_weights``), *then* ``load_or_resume``, and only then
the loop (whose ``before_train`` comes before the first iteration). So ``before_run``
sees the built model before a single initializer has written to it: that is where the
hook validates ``runner.cfg`` and compiles the init plan. A broken run is stopped as
``init_weights`` starts (the hook wraps it), so ``val()`` and ``test()``, which call
``before_run`` but initialize nothing, log the findings and go on as MMEngine would. The load
report needs the checkpoint MMEngine reads, so the hook wraps this runner's
``load_checkpoint`` (which ``load_or_resume`` and ``resume`` both call): the wrapper
lets ``torch.load(weights_only=True)`` accept the few objects MMEngine itself writes
into checkpoints, calls MMEngine's method unchanged, and reports what it loaded.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import torch
from mmengine.dist import is_main_process  # type: ignore[import-untyped]
from mmengine.hooks import Hook  # type: ignore[import-untyped]
from mmengine.logging.history_buffer import HistoryBuffer  # type: ignore[import-untyped]
from mmengine.model import is_model_wrapper  # type: ignore[import-untyped]
from mmengine.registry import HOOKS  # type: ignore[import-untyped]
from mmengine.runner.checkpoint import find_latest_checkpoint  # type: ignore[import-untyped]
from torch import nn

from initcfg.backend.torch.train_dist import close_process_group, import_group_defaults
from initcfg.check.validate import check_tree, document_for
from initcfg.config.load import load_config, tree_from_mapping
from initcfg.config.source import SourceMap
from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Diagnostic, diagnostic, place
from initcfg.plan.checkpoint import compare, expected_state, mmengine_checkpoints_allowed
from initcfg.plan.init_diagnostics import KEEP_DEFAULT
from initcfg.plan.init_plan import InitPlan, compile_init_plan, describe_step

__all__ = ["InitcfgHook", "InitcfgStop"]

_SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
_LOG_LEVEL = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
_MISSING = object()


class InitcfgStop(SystemExit):
    """The hook stopped the run: the config has problems at or above ``fail_on``.

    A :class:`SystemExit` (status 1), so a ``tools/train.py`` that does not catch it
    ends with the diagnostics it logged and this one line, not a traceback.

    Attributes:
        diagnostics: The problems that stopped the run.
    """

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        codes = ", ".join(sorted({d.code for d in diagnostics}))
        super().__init__(
            f"InitcfgHook: stopped before initialization: {len(diagnostics)} problem"
            f"{'s' if len(diagnostics) != 1 else ''} in the config ({codes}); nothing "
            "was initialized, loaded or trained"
        )
        self.diagnostics = diagnostics


def _plain(value: Any) -> Any:
    """MMEngine's ConfigDicts and tuples as plain dicts and lists the checks accept."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    return value


def runner_tree(cfg: Any) -> ConfigTree:
    """The merged ``runner.cfg`` as a ConfigTree, placed in the config file where it can be.

    The runner's config may differ from its file (``--cfg-options``, ``--work-dir`` and
    ``--resume`` of ``tools/train.py``), so the values checked are the runner's. The
    file, when it loads without running it, lends its source locations, suppressions
    and ``_base_`` to every value that is still the one written there.
    """
    data = _plain(cfg.to_dict())
    filename = getattr(cfg, "filename", None)
    if not filename or not os.path.isfile(filename):
        return tree_from_mapping(data)
    try:
        written = load_config(filename)
    except Exception:  # the file could not be read safely: check the values alone
        return tree_from_mapping(data)
    plain = ConfigTree(data)
    agreeing = SourceMap(
        {
            path: location
            for path, location in written.source_map.items()
            if written.get(path, _MISSING) == plain.get(path, _MISSING)
        }
    )
    return ConfigTree(
        data,
        agreeing,
        path=written.path,
        files=written.files,
        suppressions=written.suppressions,
        base=written.base,
        environment=written.environment,  # the findings show placeholders, not values
    )


def _one_diagnostic(item: Diagnostic, config: str | None) -> str:
    """``file:line:col: severity[CODE] message (path)`` plus the hint, for one log record.

    A value that differs from the file (changed by ``--cfg-options``) has no line: it is
    reported against the config file alone.
    """
    if item.file is not None:
        where = f"{item.file}:{item.line or 1}:{item.column or 1}"
    else:
        where = config or "<config>"
    path = f" ({item.path})" if item.path else ""
    text = f"{where}: {item.severity}[{item.code}] {item.message}{path}"
    if item.inherited:  # a base file's value: shown at the config, then where it is
        text = f"{item.config}: {item.severity}[{item.code}] {item.message}{path}"
        text += f"\n    from base {where}"
    if item.hint:
        text += f"\n    hint: {item.hint}"
    return text


def _unwrapped(model: nn.Module) -> nn.Module:
    inner = model.module if is_model_wrapper(model) else model
    assert isinstance(inner, nn.Module)
    return inner


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


def _resume_source(runner: Any) -> str | None:
    """The checkpoint a ``resume=True`` run will resume from, chosen as the Runner's
    ``load_or_resume`` chooses it: ``load_from`` when set, else the latest checkpoint in
    the work dir; None when there is none (the run then starts from scratch)."""
    load_from = getattr(runner, "_load_from", None)
    if isinstance(load_from, str):
        return load_from
    work_dir = getattr(runner, "work_dir", None)
    if not isinstance(work_dir, str):
        return None
    latest: Any = find_latest_checkpoint(work_dir)
    return latest if isinstance(latest, str) else None


def _resumed_over(found: Diagnostic, resume_from: str) -> Diagnostic:
    """``found`` as it reads before a resume from ``resume_from``: IC405's parameters
    keep torch's default only until the resumed checkpoint is loaded over them."""
    if found.code != "IC405":
        return found
    return replace(found, message=found.message.replace(
        KEEP_DEFAULT,
        f"parameters no init step writes (the resume from {resume_from} then loads the "
        "checkpoint's values over them)",
    ))


@HOOKS.register_module()
class InitcfgHook(Hook):  # type: ignore[misc]
    """Checks and plans the real run inside MMEngine's Runner, and reports what loads.

    Before the run (before ``init_weights`` writes anything) it validates the merged
    ``runner.cfg`` and logs every finding; problems at or above ``fail_on`` stop the run
    with :class:`InitcfgStop`. It then compiles the init plan against ``runner.model``
    and logs, per parameter, the step that writes it last and where that was
    configured. After ``load_from`` (or a resume) it logs the keys loaded, missing,
    unexpected and skipped for a shape mismatch, and names the tensors that keep their
    fresh initialization. It logs on rank 0 only and computes nothing MMEngine uses:
    the weights are the same with and without it.

    Args:
        fail_on: The lowest severity that stops the run: ``"error"`` (default),
            ``"warning"`` or ``"info"``; ``None`` never stops it.
        plan: Compile and log the init plan.
        load_report: Log what ``load_from`` loaded.
    """

    priority = "VERY_HIGH"

    def __init__(
        self, fail_on: str | None = "error", plan: bool = True, load_report: bool = True
    ) -> None:
        if fail_on is not None and fail_on not in _SEVERITY_RANK:
            raise ValueError(
                f"InitcfgHook: 'fail_on' must be 'error', 'warning', 'info' or None "
                f"(got {fail_on!r})"
            )
        self.fail_on = fail_on
        self.plan = plan
        self.load_report = load_report
        self.init_plan: InitPlan | None = None
        self.diagnostics: list[Diagnostic] = []
        self.stopping: list[Diagnostic] = []  # the findings at or above fail_on

    # -- logging --------------------------------------------------------------------

    def _log(self, runner: Any, level: int, text: str) -> None:
        if is_main_process():
            runner.logger.log(level, f"InitcfgHook: {text}")

    def _log_diagnostics(self, runner: Any, found: list[Diagnostic], config: str | None) -> None:
        for item in found:
            self._log(runner, _LOG_LEVEL[item.severity], _one_diagnostic(item, config))

    # -- before the run -------------------------------------------------------------

    def before_run(self, runner: Any) -> None:
        """Validate and plan; make MMEngine checkpoints loadable; stop a train() run with
        findings at or above ``fail_on`` before ``init_weights`` writes anything."""
        tree = runner_tree(runner.cfg)
        document = document_for(tree)  # the one parse of the config's settings
        found = check_tree(tree, document=document)
        model = _unwrapped(runner.model)
        plan: InitPlan | None = None
        if self.plan:
            resuming = bool(runner.cfg.get("resume", False))
            resume_from = _resume_source(runner) if resuming else None
            try:
                plan = compile_init_plan(tree, model, load_from=not resuming)
            except Exception as error:  # a model initcfg cannot plan must not stop training
                found.append(
                    diagnostic(
                        "IC481",
                        f"the init plan of {type(model).__name__} could not be compiled: "
                        f"{type(error).__name__}: {error}",
                    )
                )
            else:
                # The plan repeats the grammar's findings; each is logged once.
                seen = {(d.code, d.path, d.message) for d in found}
                planned = place(plan.diagnostics, tree.location, tree.path)
                if resume_from is not None:
                    planned = [_resumed_over(d, resume_from) for d in planned]
                found.extend(d for d in planned if (d.code, d.path, d.message) not in seen)
        self.diagnostics = found
        self.init_plan = plan
        self._log_diagnostics(runner, found, tree.path)
        if plan is not None:
            self._log_plan(runner, plan, resume_from)
        self.stopping = []
        if self.fail_on is not None:
            threshold = _SEVERITY_RANK[self.fail_on]
            self.stopping = [d for d in found if _SEVERITY_RANK[d.severity] >= threshold]
        # The stop waits for init_weights, which train() calls right after before_run:
        # val() and test() also call before_run but initialize and train nothing, and
        # MMEngine runs them whatever the init_cfg or the train settings say.
        self._wrap_loading(runner)

    def _log_plan(self, runner: Any, plan: InitPlan, resume_from: str | None) -> None:
        counts = plan.counts()
        resumed = "" if resume_from is None else (
            f"; then the resume from {resume_from} loads its values over every tensor it "
            "holds (the resume's load report says which)"
        )
        lines = [
            f"init plan: {counts['parameters']} parameters: {counts['initializer']} by an "
            f"initializer, {counts['checkpoint']} from a checkpoint, {counts['init_weights']} "
            f"by a module's own init_weights, {counts['untouched']} keep torch's default; "
            f"{counts['overwritten']} overwritten at least once{resumed}"
        ]
        for name, shape, writer, where, overwrote in plan.rows():
            place = f" [{where}]" if where and where != "-" else ""
            over = f" (overwrites {overwrote})" if overwrote and overwrote != "-" else ""
            lines.append(f"  {name} {shape}: {writer}{place}{over}")
        self._log(runner, logging.INFO, "\n".join(lines))

    # -- loading --------------------------------------------------------------------

    def _wrap_loading(self, runner: Any) -> None:
        """Let this runner's checkpoint reads accept MMEngine's own objects, and report.

        Only this runner is touched (instance attributes), and only for its reads: the
        allowlist is active while MMEngine's own method runs and removed after it.
        """
        if getattr(runner, "_initcfg_wrapped", False):
            return
        load_checkpoint: Callable[..., Any] = runner.load_checkpoint
        init_model_weights: Callable[[], None] = runner._init_model_weights
        hook = self

        def loading_checkpoint(filename: str, *args: Any, **kwargs: Any) -> Any:
            model = _unwrapped(runner.model)
            expected = expected_state(model)
            with mmengine_checkpoints_allowed(HistoryBuffer):
                checkpoint = load_checkpoint(filename, *args, **kwargs)
            if hook.load_report:
                revise = kwargs.get("revise_keys", args[2] if len(args) > 2 else None)
                hook._log_load(runner, filename, checkpoint, expected, revise)
            return checkpoint

        def initializing_weights() -> None:
            if hook.stopping:
                raise InitcfgStop(hook.stopping)
            # Pretrained entries may name checkpoints MMEngine wrote, too.
            with mmengine_checkpoints_allowed(HistoryBuffer):
                init_model_weights()

        runner.load_checkpoint = loading_checkpoint
        runner._init_model_weights = initializing_weights
        runner._initcfg_wrapped = True

    def _log_load(
        self,
        runner: Any,
        filename: str,
        checkpoint: Any,
        expected: dict[str, tuple[int, ...]],
        revise_keys: list[tuple[str, str]] | None,
    ) -> None:
        if not isinstance(checkpoint, Mapping):
            return
        state = checkpoint.get("state_dict", checkpoint)
        if not isinstance(state, Mapping):
            return
        rules = revise_keys if revise_keys is not None else [(r"^module.", "")]
        revised: dict[str, torch.Tensor] = {}
        for key, value in state.items():
            if not isinstance(value, torch.Tensor):
                continue
            for pattern, replacement in rules:
                key = re.sub(pattern, replacement, key)
            revised[key] = value
        result = compare(expected, revised)
        verb = "resumed from" if runner.cfg.get("resume", False) else "load_from"
        lines = [
            f"{verb} {filename}: {len(result.loaded)} tensors loaded, {len(result.missing)} "
            f"missing, {len(result.unexpected)} unexpected, {len(result.mismatched)} "
            "skipped for a shape mismatch"
        ]
        for key, ckpt, mine in result.mismatched:
            lines.append(f"  shape mismatch: {key} {_shape(ckpt)} in the checkpoint, "
                         f"{_shape(mine)} in the model")
        for key in result.unexpected:
            lines.append(f"  unexpected (ignored): {key}")
        fresh = [*result.missing, *(key for key, _, _ in result.mismatched)]
        order = {key: index for index, key in enumerate(expected)}
        fresh.sort(key=lambda key: order.get(key, len(order)))
        for key in fresh:
            lines.append(f"  keeps its fresh initialization: {key}{self._writer(key)}")
        level = logging.WARNING if fresh or result.unexpected else logging.INFO
        self._log(runner, level, "\n".join(lines))

    def _writer(self, tensor: str) -> str:
        """`` (Normal(std=0.01) at cfg.py:4)``: the init step that gave it its value."""
        plan = self.init_plan
        if plan is None:
            return ""
        writers = [
            index for index in plan.writers().get(tensor, [])
            if plan.steps[index].origin.source != "load_from"
        ]
        if not writers:
            return " (torch's default)" if tensor in plan.tensors else ""
        step = plan.steps[writers[-1]]
        where = step.origin.where
        return f" ({describe_step(step)}{f' at {where}' if where and where != '-' else ''})"


# -- `initcfg train` on a registry config ---------------------------------------------

HOOK_ENTRY = {"type": "InitcfgHook"}


def runner_config(
    tree: ConfigTree, *, work_dir: str | None = None, resume: bool = False
) -> Any:
    """The MMEngine ``Config`` for ``tree``, as ``tools/train.py`` would make it, with the
    hook turned on.

    The values are the ones initcfg loaded without executing the file (equal to
    ``Config.fromfile``'s). The work dir is ``work_dir``, else the config's, else
    ``work_dirs/<config name>``; ``resume`` resumes from the newest checkpoint there (or
    from ``load_from``, as MMEngine does). Under ``torchrun`` the launcher is
    ``pytorch``; on a machine without CUDA the model is wrapped for CPU DDP.
    """
    from mmengine.config import Config  # type: ignore[import-untyped]

    data = tree.to_dict()
    hooks = list(data.get("custom_hooks") or [])
    if not any(isinstance(h, Mapping) and h.get("type") == "InitcfgHook" for h in hooks):
        hooks.append(dict(HOOK_ENTRY))
    data["custom_hooks"] = hooks
    if work_dir is not None:
        data["work_dir"] = work_dir
    elif not data.get("work_dir"):
        stem = os.path.splitext(os.path.basename(tree.path or "config"))[0]
        data["work_dir"] = os.path.join("work_dirs", stem)
    if resume:
        data["resume"] = True
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    data["launcher"] = "pytorch" if distributed else "none"
    if distributed and not torch.cuda.is_available() and data.get("model_wrapper_cfg") is None:
        # MMEngine's default wrapper pins device_ids=[LOCAL_RANK], which DDP refuses
        # for a model on the CPU.
        data["model_wrapper_cfg"] = {
            "type": "MMDistributedDataParallel",
            "device_ids": None,
            "broadcast_buffers": False,
            "find_unused_parameters": bool(data.get("find_unused_parameters", False)),
        }
    return Config(data, filename=tree.path)


def _join_process_group() -> None:
    """Under torchrun without CUDA, join a gloo group before MMEngine tries NCCL.

    MMEngine's ``init_dist('pytorch')`` calls ``torch.cuda.set_device`` and defaults to
    NCCL; a process group that already exists is used as it is.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return
    import_group_defaults()  # before any group exists, NCCL's included (see there)
    if torch.cuda.is_available():
        return
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="gloo")


def train_with_runner(
    tree: ConfigTree, *, work_dir: str | None = None, resume: bool = False
) -> Any:
    """Train a registry config with MMEngine's ``Runner.from_cfg``, the hook on.

    The config's ``custom_imports`` are imported first, as ``Config.fromfile`` does
    (the modules that register the config's types).

    Under torchrun the process group is left after training; the returned runner's
    model wrapper still holds it (open, though no longer usable) until the runner is
    released. A process that ends after the run uses :func:`run_registry_training`.

    Returns:
        The runner, after training.

    Raises:
        InitcfgStop: The hook found problems that stop the run.
    """
    runner = _train(tree, work_dir, resume)
    _leave_process_group()
    return runner


def run_registry_training(
    tree: ConfigTree, *, work_dir: str | None = None, resume: bool = False
) -> None:
    """:func:`train_with_runner` for a process that ends after the run (``initcfg train``).

    The runner, whose DistributedDataParallel wrapper holds the process group, is
    released before the group is left, so the group's threads and connections end here
    and not in interpreter shutdown, where closing a gloo group now and then aborts the
    rank after a run that succeeded.

    Raises:
        InitcfgStop: The hook found problems that stop the run.
    """
    runner = _train(tree, work_dir, resume)
    del runner  # a Runner in a reference cycle is collected by _leave_process_group
    _leave_process_group()


def _train(tree: ConfigTree, work_dir: str | None, resume: bool) -> Any:
    from mmengine.runner import Runner  # type: ignore[import-untyped]
    from mmengine.utils import import_modules_from_strings  # type: ignore[import-untyped]

    cfg = runner_config(tree, work_dir=work_dir, resume=resume)
    imports = cfg.get("custom_imports")
    if imports:
        import_modules_from_strings(**imports)
    _join_process_group()
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def close_process_group_after_failure() -> None:
    """Close the process group of a run that failed, without a collective.

    For a process about to end after :func:`run_registry_training` raised, called once
    that error (and its traceback, whose frames hold the Runner and so its
    DistributedDataParallel wrapper) is dropped.
    """
    close_process_group(clean=False)


def _leave_process_group() -> None:
    """After a clean finish, leave the process group MMEngine's run used and close it
    once nothing else holds it (MMEngine never destroys it; see
    :func:`run_registry_training`). Not called after a failure: its barrier would wait
    on the failed rank."""
    close_process_group(clean=True)
