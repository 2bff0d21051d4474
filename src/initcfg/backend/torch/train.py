"""The fine-tune loop: a config in, a trained model, checkpoints and a log out.

:func:`train` builds the model from the factory the config names, runs the init plan,
loads ``load_from``, builds the optimizer and the learning-rate table from the train
plan, and runs MMEngine's ``EpochBasedTrainLoop`` or ``IterBasedTrainLoop`` semantics:

- validation after epoch (iteration) ``n`` when ``n >= val_begin`` and
  ``n % val_interval == 0`` or ``n`` is the last;
- a checkpoint every ``checkpoint.interval`` epochs (iterations), and the last one
  when ``save_last``, keeping the newest ``max_keep_ckpts``;
- ``accumulative_counts``: gradients summed over that many iterations, the loss
  divided by it (by the remainder for a final incomplete group), DDP gradient sync
  only on the iterations that step; ``clip_grad`` just before each step;
- the learning rate of every iteration set from the plan's table before it runs.

Data order depends only on ``(seed, epoch)``: each epoch's permutation comes from its
own generator, and the DataLoader never draws from the global RNG. A resumed run
therefore replays exactly what the uninterrupted one would have done, mid-epoch too.

Model contract: ``model(inputs)`` returns what the loss takes; the loss is the
model's ``compute_loss(outputs, targets)`` if it has one, else cross-entropy. Dataset
items are ``(input, target)`` pairs. The evaluator has ``reset()``,
``update(outputs, targets)`` and ``compute() -> dict[str, float]``.

The pieces live in :mod:`~initcfg.backend.torch.train_options`,
:mod:`~initcfg.backend.torch.train_build` and :mod:`~initcfg.backend.torch.train_runner`.
"""

from __future__ import annotations

import os

from initcfg.backend.torch.train_build import LrTable as LrTable
from initcfg.backend.torch.train_build import _base_dir as _base_dir
from initcfg.backend.torch.train_build import _build_model as _build_model
from initcfg.backend.torch.train_build import _build_optimizer as _build_optimizer
from initcfg.backend.torch.train_build import _ConstantLr as _ConstantLr
from initcfg.backend.torch.train_build import _default_work_dir as _default_work_dir
from initcfg.backend.torch.train_build import _EpochSampler as _EpochSampler
from initcfg.backend.torch.train_build import _initialize as _initialize
from initcfg.backend.torch.train_build import _seed_everything as _seed_everything
from initcfg.backend.torch.train_build import _TableLr as _TableLr
from initcfg.backend.torch.train_dist import (
    abandon,
    setup,
    teardown,
)
from initcfg.backend.torch.train_options import TrainOptions as TrainOptions
from initcfg.backend.torch.train_options import TrainResult as TrainResult
from initcfg.backend.torch.train_resume import _Interrupt as _Interrupt
from initcfg.backend.torch.train_runner import _move as _move
from initcfg.backend.torch.train_runner import _Runner as _Runner
from initcfg.backend.torch.train_settings import TrainSettings, read_train_settings
from initcfg.config.tree import ConfigTree
from initcfg.errors import TrainError
from initcfg.schema.document import Document

__all__ = ["TrainOptions", "TrainResult", "train", "train_from_settings"]


def train_from_settings(
    tree: ConfigTree, settings: TrainSettings, options: TrainOptions | None = None
) -> TrainResult:
    """Run the loop for already-read settings (see :func:`train`)."""
    options = options or TrainOptions()
    ctx = setup(options.device)
    runner = _Runner(tree, settings, options, ctx)
    try:
        runner.setup()
        result = runner.run()
    except BaseException as error:  # a second Ctrl-C (KeyboardInterrupt) too
        runner.close()
        del runner
        abandon(ctx, error)
        raise
    runner.close()
    # The runner's DistributedDataParallel wrapper holds the process group: dropped
    # first, so that leaving the group closes it (the result keeps the bare module).
    del runner
    teardown(ctx)
    return result


def train(
    config: ConfigTree | Document | str | os.PathLike[str], options: TrainOptions | None = None
) -> TrainResult:
    """Train the model a config describes, as the config declares.

    Args:
        config: A config file, an already loaded :class:`ConfigTree`, or its
            :class:`~initcfg.schema.document.Document` (then nothing is parsed again).
        options: Work dir, resume, model override, device, progress display.

    Returns:
        What the run did; ``interrupted`` is True after Ctrl-C (a checkpoint was written).

    Raises:
        TrainError: the config cannot be trained as written (its message says why).
    """
    source: ConfigTree | Document
    if isinstance(config, Document) and config.tree is not None:
        tree, source = config.tree, config
    elif isinstance(config, ConfigTree):
        tree = source = config
    else:
        from initcfg.config.load import load_tree

        tree = source = load_tree(config)  # type: ignore[arg-type]
        errors = [d for d in tree.diagnostics if d.severity == "error"]
        if errors:
            raise TrainError(
                "the config cannot be loaded: "
                + "; ".join(f"{d.code} {d.message}" for d in errors),
                hint="run `initcfg validate` on it for the full report",
            )
    settings = read_train_settings(source)
    return train_from_settings(tree, settings, options)
