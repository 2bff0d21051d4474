"""One training run: the loop, its interruption and its bookkeeping (the private half
of :func:`~initcfg.backend.torch.train.train`)."""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader

from initcfg.backend.torch import train_checkpoint as ckpt
from initcfg.backend.torch import train_workdir as workdir
from initcfg.backend.torch.train_build import (
    _base_dir,
    _build_model,
    _build_optimizer,
    _default_work_dir,
    _EpochSampler,
    _initialize,
    _not_implemented,
    _seed_everything,
)
from initcfg.backend.torch.train_dist import (
    DistContext,
    any_rank,
    barrier,
    broadcast_int,
    max_over_ranks,
)
from initcfg.backend.torch.train_factory import build, build_evaluator
from initcfg.backend.torch.train_options import TrainOptions, TrainResult
from initcfg.backend.torch.train_progress import JsonLog, Progress
from initcfg.backend.torch.train_resume import _Interrupt, agree_on_resume, position_in_epoch
from initcfg.backend.torch.train_settings import TrainSettings
from initcfg.config.tree import ConfigTree
from initcfg.errors import CheckpointError, TrainError


def _move(value: Any, device: torch.device) -> Any:
    if isinstance(value, torch.Tensor):
        return value.to(device, non_blocking=True)
    if isinstance(value, list | tuple):
        return type(value)(_move(v, device) for v in value)
    return value


class _Runner:
    """One training run: state, loop and bookkeeping (the private half of :func:`train`)."""

    def __init__(
        self, tree: ConfigTree, settings: TrainSettings, options: TrainOptions, ctx: DistContext
    ) -> None:
        self.tree = tree
        self.settings = settings
        self.options = options
        self.ctx = ctx
        self.work_dir = Path(options.work_dir or _default_work_dir(tree, settings))
        self.progress = Progress(tty=options.tty, quiet=not (options.progress and ctx.is_main))
        self.epoch = 0
        self.iteration = 0
        self.iter_in_epoch = 0
        self.val_history: list[dict[str, Any]] = []
        self.last_checkpoint: Path | None = None
        self.load_report: dict[str, list[str]] | None = None
        self.lock = workdir.WorkDirLock(self.work_dir)
        self.log: JsonLog | None = None
        # The signal that stopped the run, on whichever rank it arrived (see _stop_requested).
        self.stop_signal: int | None = None

    # ------------------------------------------------------------------ work dir

    def _notice(self, text: str) -> None:
        """A warning about the work dir: shown by rank 0 even without progress output."""
        if self.ctx.is_main:
            self.progress.message(text, force=True)

    def _claim_work_dir(self) -> None:
        """Rank 0: lock the work dir and clear a crash's temp files (IC471, IC477)."""
        if not self.ctx.is_main:
            return
        work_dir = self.work_dir
        try:
            work_dir.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as error:
            # Something that is no folder holds the name (a file a config's work_dir
            # names, /dev/null, a fifo) or a folder above it: no write can help.
            what = (f"is {workdir.kind_of(work_dir) or 'a file'}, not a folder"
                    if isinstance(error, FileExistsError)
                    else "cannot be made: a part of its path is a file")
            raise TrainError(
                f"the work dir {work_dir} {what}", hint="choose another --work-dir",
                code="IC474",
            ) from None
        except OSError as error:
            raise workdir.write_failed(work_dir, error) from None
        self.lock.acquire()
        removed = workdir.clear_stale_temp_files(work_dir)
        if removed:
            names = ", ".join(p.name for p in removed[:3]) + (" …" if len(removed) > 3 else "")
            self._notice(
                f"initcfg: info[IC477]: removed {len(removed)} temp file(s) an interrupted "
                f"write left in {work_dir}: {names}"
            )

    def _refuse_clobbering(self, resuming: bool) -> None:
        """Rank 0: refuse to train over a previous run, over the files this run reads,
        or through a symlink (IC472-IC474)."""
        if not self.ctx.is_main:
            return
        work_dir = self.work_dir
        workdir.refuse_inputs_in_work_dir(work_dir, self.tree.files, "the config file")
        previous = workdir.run_files(work_dir)
        if previous and not resuming and not self.options.overwrite:
            names = ", ".join(p.name for p in previous[:4]) + (" …" if len(previous) > 4 else "")
            raise TrainError(
                f"{work_dir} holds a previous run ({names}): training would replace its "
                "log and checkpoints",
                hint="--resume to continue it, --overwrite to start over, or choose "
                "another --work-dir",
                code="IC473",
            )
        if resuming or not self.options.overwrite:  # --overwrite removes them first
            for name in (workdir.LOG_NAME, workdir.POINTER_NAME):
                workdir.refuse_special(work_dir / name)

    def _remove_previous_run(self) -> None:
        """``overwrite``: the previous run's files go before this run writes any."""
        if not (self.ctx.is_main and self.options.overwrite and self.resume_from is None):
            return
        previous = workdir.run_files(self.work_dir)
        for path in previous:
            if workdir.kind_of(path) == "a folder":
                raise TrainError(f"{path} is a folder, where this run writes a file",
                                 code="IC474")
            path.unlink()
        if previous:
            self._notice(
                f"initcfg: --overwrite: removed {len(previous)} file(s) of the previous run "
                f"in {self.work_dir}"
            )

    # ------------------------------------------------------------------ building

    def setup(self) -> None:
        settings = self.settings
        seed = settings.seed
        if seed is None:
            seed = broadcast_int(self.ctx, int.from_bytes(os.urandom(4), "little"))
        self.seed = seed
        _seed_everything(seed)
        self._claim_work_dir()
        self.resume_from: Path | None = None
        load_from = settings.finetune.load_from
        if not self.options.resume and settings.finetune.resume and load_from:
            # MMEngine: `resume = True` with `load_from` set resumes from that file.
            self.resume_from = Path(load_from)
            if not self.resume_from.is_file():
                if self.resume_from.exists():  # a fifo or device would block the read
                    raise TrainError(
                        f"cannot resume: {load_from} is not a regular file", ("load_from",),
                        code="IC474",
                    )
                raise TrainError(f"cannot resume: {load_from} does not exist", ("load_from",))
        elif self.options.resume or settings.finetune.resume:
            self.resume_from, skipped = ckpt.resume_candidates(self.work_dir)
            for path in skipped:
                self._notice(
                    f"initcfg: warning[IC474]: passed over {path}: it is "
                    f"{workdir.kind_of(path) or 'not readable'}, not a regular file"
                )
            if self.resume_from is None:
                self.progress.message(
                    f"initcfg: nothing to resume in {self.work_dir}; starting from scratch"
                )
        agree_on_resume(self.ctx, self.resume_from, self.work_dir)
        if self.resume_from is None and load_from and self.ctx.is_main:
            workdir.refuse_inputs_in_work_dir(self.work_dir, [str(load_from)], "load_from")
        # Asking to resume is consent to continue the work dir's run, also when it left no
        # checkpoint to resume from (it starts over, and says so above).
        self._refuse_clobbering(
            resuming=self.options.resume or bool(settings.finetune.resume)
        )
        model = _build_model(self.tree, self.options)
        if self.resume_from is None and not self.options.skip_init:
            self.load_report = _initialize(
                settings.document or self.tree, model, self.work_dir if self.ctx.is_main else None
            )
            if self.load_report is not None:
                self._report_load(str(settings.finetune.load_from))
        self.module = model.to(self.ctx.device)
        self.model: nn.Module = self.module
        if self.ctx.distributed:
            device_ids = [self.ctx.local_rank] if self.ctx.device.type == "cuda" else None
            self.model = nn.parallel.DistributedDataParallel(self.module, device_ids=device_ids)

        base, trust = _base_dir(self.tree), self.options.trust
        train_dataset = build(settings.train_loader.dataset, base, trust=trust)
        # MMEngine's Runner gives the sampler randomness.seed unless it has its own.
        order_seed = settings.train_loader.seed
        self.sampler = _EpochSampler(
            len(train_dataset), self.ctx, settings.train_loader.shuffle,
            seed if order_seed is None else order_seed,
        )
        self.train_loader = DataLoader(
            train_dataset,
            batch_size=settings.train_loader.batch_size,
            sampler=self.sampler,
            num_workers=settings.train_loader.num_workers,
            drop_last=settings.train_loader.drop_last,
            generator=torch.Generator(),
            pin_memory=self.ctx.device.type == "cuda",
        )
        self.iters_per_epoch = len(self.train_loader)
        if self.iters_per_epoch == 0:
            raise TrainError("the training set gives no batch", ("train_dataloader",))
        loop = settings.loop
        self.max_iters = (
            loop.length * self.iters_per_epoch if loop.by_epoch else loop.length
        )
        self.val_loader: DataLoader[Any] | None = None
        self.evaluator: Any = None
        if settings.val_loader is not None and settings.evaluator is not None:
            val_dataset = build(settings.val_loader.dataset, base, trust=trust)
            # An explicit generator: a DataLoader without one draws its worker seed from
            # the global RNG, which would make a resumed run diverge.
            self.val_loader = DataLoader(
                val_dataset,
                batch_size=settings.val_loader.batch_size,
                shuffle=False,
                num_workers=settings.val_loader.num_workers,
                generator=torch.Generator(),
            )
            self.evaluator = build_evaluator(settings.evaluator, base, trust=trust)
        self.optimizer, self.lr_table = _build_optimizer(
            self.tree, settings, self.module, self.iters_per_epoch, self.ctx.world_size
        )
        for note in _not_implemented(settings):
            # What the config asks for and does not get: shown even quiet.
            self.progress.message(f"initcfg: {note}", force=True)
        accumulate = settings.optim.accumulative_counts
        self.accumulate = accumulate
        self.divisible_iters = self.max_iters // accumulate * accumulate
        self.remainder_iters = self.max_iters - self.divisible_iters
        # Clipped in model order: MMEngine's constructor makes one group per parameter in
        # the order it visits them, and clip_grad_norm_'s sum follows its group order;
        # the merged groups hold them in another order, which rounds the norm otherwise.
        held = {id(p) for g in self.optimizer.param_groups for p in g["params"]}
        self.params = [p for p in self.module.parameters() if id(p) in held]
        compute_loss = getattr(self.module, "compute_loss", None)
        self.loss_fn: Callable[[Any, Any], torch.Tensor] = (
            compute_loss if callable(compute_loss) else F.cross_entropy
        )
        self.keeper = ckpt.CheckpointKeeper(self.work_dir, settings.checkpoint.max_keep_ckpts)
        if self.resume_from is not None:
            self._restore(self.resume_from)
        self._remove_previous_run()
        if self.ctx.is_main:
            notes: list[str] = []
            self.log = JsonLog(
                self.work_dir / workdir.LOG_NAME,
                keep_until_iter=self.iteration if self.resume_from is not None else None,
                notes=notes,
            )
            for note in notes:
                self._notice(f"initcfg: {note}")

    def close(self) -> None:
        """Close the log and give the work dir's lock back (also after a failure)."""
        try:
            if self.log is not None:
                self.log.close()
                self.log = None
        finally:
            self.lock.release()

    def _report_load(self, source: str) -> None:
        report = self.load_report or {}
        parts = [f"{len(report.get('loaded', []))} tensors loaded from {source}"]
        for kind in ("mismatched", "missing", "unexpected"):
            keys = report.get(kind, [])
            if keys:
                shown = ", ".join(keys[:4]) + (" …" if len(keys) > 4 else "")
                parts.append(f"{len(keys)} {kind} ({shown})")
        self.progress.message("load_from: " + "; ".join(parts))

    # --------------------------------------------------------------- checkpoints

    def _pending_grads(self) -> list[dict[str, torch.Tensor]]:
        """Gradients accumulated but not yet applied, one dict per rank (collective).

        Under DDP they differ between ranks until the step's all-reduce, so every rank's
        are kept: a resumed run gives each rank back its own.
        """
        local = {
            name: p.grad.detach().cpu().clone()
            for name, p in self.module.named_parameters()
            if p.grad is not None
        }
        if not self.ctx.distributed or not any_rank(self.ctx, bool(local)):
            return [local]
        gathered: list[Any] = [None] * self.ctx.world_size
        dist.all_gather_object(gathered, local)
        return gathered

    def _payload(self, grads: list[dict[str, torch.Tensor]]) -> dict[str, Any]:
        return {
            "meta": {
                "epoch": self.epoch,
                "iter": self.iteration,
                "iter_in_epoch": self.iter_in_epoch,
                "seed": self.seed,
                "world_size": self.ctx.world_size,
                "by_epoch": self.settings.loop.by_epoch,
            },
            "state_dict": {k: v.detach().cpu() for k, v in self.module.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "rng": ckpt.capture_rng(),
            "grads": grads,
            "val_history": self.val_history,
            "kept": [p.name for p in self.keeper.kept],
        }

    def _save(self, name: str, *, rotate: bool = True) -> None:
        """Write checkpoint ``name`` (called on every rank; rank 0 writes)."""
        grads = self._pending_grads()
        if self.ctx.is_main:
            try:
                self.keeper.save(name, self._payload(grads), rotate=rotate)
            except OSError as error:
                raise workdir.write_failed(self.work_dir / name, error) from None
            stale = self.work_dir / "interrupted.pth"
            if rotate and stale.exists():
                stale.unlink()
        self.last_checkpoint = self.work_dir / name

    def _restore(self, path: Path) -> None:
        try:
            data = ckpt.load(path)
        except CheckpointError as error:  # its message names the file already
            raise TrainError(f"cannot resume: {error}") from None
        except Exception as error:  # a corrupt or foreign file: say which, no traceback
            raise TrainError(f"cannot resume from {path}: {error}") from None
        needed = ("meta", "state_dict", "optimizer", "rng")
        if any(key not in data for key in needed) or "iter_in_epoch" not in data["meta"]:
            raise TrainError(
                f"cannot resume from {path}: it is not a checkpoint `initcfg train` wrote",
                hint="resume needs the loop state; to start from these weights use load_from",
            )
        meta = data["meta"]
        self.module.load_state_dict(data["state_dict"])
        self.optimizer.load_state_dict(data["optimizer"])
        named = dict(self.module.named_parameters())
        per_rank = data.get("grads") or [{}]
        own = per_rank[self.ctx.rank] if len(per_rank) == self.ctx.world_size else per_rank[0]
        for name, grad in own.items():
            named[name].grad = grad.to(named[name].device)
        self.epoch = int(meta["epoch"])
        self.iteration = int(meta["iter"])
        self.iter_in_epoch = int(meta["iter_in_epoch"])
        written_by = int(meta.get("world_size", 1))
        if written_by != self.ctx.world_size:
            loader = self.settings.train_loader
            self.iter_in_epoch = position_in_epoch(
                self.iter_in_epoch, written_by, self.ctx.world_size, batch=loader.batch_size,
                size=self.sampler.size, drop_last=loader.drop_last,
                iters_per_epoch=self.iters_per_epoch,
            )
            if self.settings.loop.by_epoch:  # an epoch loop counts from the epoch
                self.iteration = self.epoch * self.iters_per_epoch + self.iter_in_epoch
        self.val_history = list(data.get("val_history", []))
        # The payload lists the checkpoints kept before it was written; a periodic
        # checkpoint counts itself too, so rotation goes on as if never interrupted.
        kept = list(data.get("kept", []))
        if path.name != "interrupted.pth":
            kept.append(path.name)
        self.keeper.adopt_existing(kept)
        ckpt.restore_rng(data["rng"])
        if self.settings.seed is None and isinstance(meta.get("seed"), int):
            # The run drew its seed: the data order goes on with that one, not a new draw.
            self.seed = int(meta["seed"])
            if self.settings.train_loader.seed is None:
                self.sampler.seed = self.seed
        if written_by != self.ctx.world_size:
            # A warning: the result will differ from the run's own, so shown when quiet too.
            self._notice(
                f"initcfg: {path} was written by {meta.get('world_size')} processes and this "
                f"run has {self.ctx.world_size}: the data order (and so the result) differs; "
                f"it continues at iteration {self.iteration} of {self.max_iters}"
            )
        self.last_checkpoint = path  # what a finished run's resume ends with
        self.progress.message(
            f"resumed from {path} (epoch {self.epoch}, iteration {self.iteration})"
        )

    # -------------------------------------------------------------------- loop

    def _validate(self) -> None:
        if self.val_loader is None or self.evaluator is None:
            return
        if self.ctx.is_main:
            self.module.eval()
            self.evaluator.reset()
            with torch.no_grad():
                for inputs, targets in self.val_loader:
                    outputs = self.module(_move(inputs, self.ctx.device))
                    self.evaluator.update(outputs, _move(targets, self.ctx.device))
            metrics = {k: float(v) for k, v in self.evaluator.compute().items()}
            record = {"epoch": self.epoch, "iter": self.iteration, **metrics}
            self.val_history.append(record)
            if self.log is not None:
                self.log.write({"mode": "val", **record})
            shown = "  ".join(f"{k} {v:.4g}" for k, v in metrics.items())
            by_epoch = self.settings.loop.by_epoch
            unit = f"epoch {self.epoch}" if by_epoch else f"iter {self.iteration}"
            self.progress.message(f"val {unit}: {shown}")
            self.module.train()
        barrier(self.ctx)

    def _due(self, count: int, total: int, begin: int, interval: int) -> bool:
        return count >= begin and (count % interval == 0 or count == total)

    def _after_unit(self, count: int, total: int, name: str) -> None:
        """Validation and checkpoint after epoch (or iteration) ``count`` of ``total``."""
        loop = self.settings.loop
        if self._due(count, total, loop.val_begin, loop.interval_after(count)):
            self._validate()
        cfg = self.settings.checkpoint
        # MMEngine's CheckpointHook counts the interval from save_begin (every_n_epochs).
        since = count - cfg.save_begin
        periodic = cfg.interval > 0 and since >= 0 and since % cfg.interval == 0
        if periodic or (cfg.save_last and count == total):
            self._save(name)

    def _step(self, inputs: Any, targets: Any) -> torch.Tensor:
        iteration = self.iteration
        lrs = self.lr_table.lrs(iteration)
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr
        update = (iteration + 1) % self.accumulate == 0 or iteration + 1 == self.max_iters
        divisor = self.accumulate if iteration < self.divisible_iters else self.remainder_iters
        sync = contextlib.nullcontext()
        if not update and isinstance(self.model, nn.parallel.DistributedDataParallel):
            sync = self.model.no_sync()  # type: ignore[assignment]
        with sync:
            loss = self.loss_fn(self.model(inputs), targets)
            (loss / divisor if divisor > 1 else loss).backward()  # type: ignore[no-untyped-call]
        if update:
            clip = self.settings.optim.clip_grad
            if clip is not None:
                grads = [p for p in self.params if p.grad is not None]
                # Every argument the config gives reaches torch, as MMEngine's
                # OptimWrapper passes clip_grad on (error_if_nonfinite stops the run).
                if clip.type == "norm" and clip.max_norm is not None:
                    nn.utils.clip_grad_norm_(
                        grads, float(clip.max_norm), norm_type=float(clip.norm_type),
                        error_if_nonfinite=clip.error_if_nonfinite, foreach=clip.foreach,
                    )
                elif clip.clip_value is not None:
                    nn.utils.clip_grad_value_(
                        grads, float(clip.clip_value), foreach=clip.foreach
                    )
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
        return loss.detach()

    def _stop_requested(self, interrupt: _Interrupt) -> bool:
        """Whether any rank stops here (collective); ranks also agree on the signal.

        A signal may reach one process only (``kill`` of one worker, a scheduler that
        signals one task): every rank then stops with that signal's exit status, not
        the ranks it did not reach with Ctrl-C's 130.
        """
        stop = interrupt.requested
        limit = self.options.stop_after
        if limit is not None:
            if self.settings.loop.by_epoch:
                stop = stop or (self.epoch >= limit and self.iter_in_epoch == 0)
            else:
                stop = stop or self.iteration >= limit
        own_signal = interrupt.signal_number if interrupt.requested else None
        agreed_stop, agreed_signal = max_over_ranks(self.ctx, int(stop), own_signal or 0)
        if agreed_signal:
            self.stop_signal = agreed_signal
        return bool(agreed_stop)

    def run(self) -> TrainResult:
        loop = self.settings.loop
        total_epochs = loop.length if loop.by_epoch else math.ceil(
            self.max_iters / self.iters_per_epoch
        )
        interrupted = False
        already_complete = self.iteration >= self.max_iters
        started = time.perf_counter()
        self.module.train()
        with _Interrupt() as interrupt:
            while self.iteration < self.max_iters and not interrupted:
                if self._stop_requested(interrupt):
                    interrupted = True
                    break
                interrupted = self._run_epoch(interrupt, total_epochs)
        if self.log is not None:
            self.log.close()
            self.log = None
        if interrupted:
            # A periodic checkpoint of this very position already says everything.
            if not self._checkpoint_is_current():
                self._save("interrupted.pth", rotate=False)
            barrier(self.ctx)
        return TrainResult(
            work_dir=self.work_dir,
            model=self.module,
            epoch=self.epoch,
            iteration=self.iteration,
            val_history=self.val_history,
            last_checkpoint=self.last_checkpoint,
            interrupted=interrupted,
            stop_signal=self.stop_signal if interrupted else None,
            load_report=self.load_report,
            loop_seconds=time.perf_counter() - started,
            already_complete=already_complete,
        )

    def _checkpoint_is_current(self) -> bool:
        if self.last_checkpoint is None or self.iter_in_epoch != 0:
            return False
        name = self.last_checkpoint.name
        unit = self.epoch if self.settings.loop.by_epoch else self.iteration
        prefix = "epoch" if self.settings.loop.by_epoch else "iter"
        return name == f"{prefix}_{unit}.pth"

    def _run_epoch(self, interrupt: _Interrupt, total_epochs: int) -> bool:
        """One pass over the data (or what is left of it); True when interrupted."""
        loop = self.settings.loop
        local_batch = self.settings.train_loader.batch_size
        self.sampler.set_epoch(self.epoch, self.iter_in_epoch * local_batch)
        assert self.train_loader.generator is not None
        self.train_loader.generator.manual_seed(self.seed + self.epoch)
        in_epoch = min(self.iters_per_epoch, self.max_iters - (self.iteration - self.iter_in_epoch))
        self.progress.start_epoch(
            f"epoch {self.epoch + 1}/{total_epochs}", in_epoch, self.iter_in_epoch
        )
        log_every = self.settings.log_interval
        device = self.ctx.device
        for inputs, targets in self.train_loader:
            tick = time.perf_counter()
            loss = self._step(_move(inputs, device), _move(targets, device))
            lr = self.optimizer.param_groups[0]["lr"]
            self.iteration += 1
            self.iter_in_epoch += 1
            if self.log is not None:
                self.log.train_record(
                    {
                        "mode": "train",
                        "epoch": self.epoch + 1,
                        "iter": self.iteration,
                        "lr": lr,
                        "time": time.perf_counter() - tick,
                    },
                    loss,
                )
                if self.iter_in_epoch % log_every == 0 or self.iter_in_epoch == in_epoch:
                    losses = self.log.flush()
                    last = losses[-1] if losses else None
                    self.progress.update(
                        self.iter_in_epoch, last, lr, self.max_iters - self.iteration
                    )
                elif self.progress.tty:
                    self.progress.update(
                        self.iter_in_epoch, None, lr, self.max_iters - self.iteration
                    )
            if not loop.by_epoch:
                self._after_unit(self.iteration, self.max_iters, f"iter_{self.iteration}.pth")
            if self.iteration >= self.max_iters:
                break
            if self._stop_requested(interrupt):
                return True
        if self.iter_in_epoch >= self.iters_per_epoch:
            self.epoch += 1
            self.iter_in_epoch = 0
            if loop.by_epoch:
                self._after_unit(self.epoch, loop.length, f"epoch_{self.epoch}.pth")
        return False
