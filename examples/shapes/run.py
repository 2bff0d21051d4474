"""The whole initcfg pipeline on the shapes example, in about 12 s on an idle 2-core CPU.

    python -m examples.shapes.run            # from the repository root

1. validate both configs (``pretrain.py`` and ``finetune.py``, which inherits it);
2. show the training plan of the pretraining: parameter groups and the lr per epoch;
3. pretrain 12 epochs on filled shapes;
4. show the fine-tune plan: what ``load_from`` loads and which head tensors keep their
   fresh initialization because their shape changed;
5. fine-tune 8 epochs on outlined shapes, and the same 8 epochs from scratch;
6. print validation accuracy per epoch for both, and write ``curves.png`` when
   matplotlib is installed.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PRETRAIN = HERE / "pretrain.py"
FINETUNE = HERE / "finetune.py"


def _section(title: str) -> None:
    print(f"\n== {title}")


def _validate() -> bool:
    from initcfg.check.render import render_text
    from initcfg.check.validate import validate

    ok = True
    for path in (PRETRAIN, FINETUNE):
        # The fine-tune's load_from names a checkpoint the pretraining has yet to write.
        problems = validate(path, fs_checks=path != FINETUNE)
        errors = [d for d in problems if d.severity == "error"]
        shown = render_text(problems) if problems else "no problems"
        print(f"{path.relative_to(HERE.parents[1])}: {shown}")
        ok = ok and not errors
    return ok


def _show_plan(tree: Any, title: str) -> None:
    import torch

    from initcfg.backend.torch.train_factory import build
    from initcfg.backend.torch.train_settings import read_train_settings
    from initcfg.plan.train_plan import compile_train_plan

    settings = read_train_settings(tree)
    assert settings.model is not None
    with torch.device("meta"):
        model = build(settings.model)
    dataset = build(settings.train_loader.dataset)
    iters = -(-len(dataset) // settings.train_loader.batch_size)
    plan = compile_train_plan(tree, model, iters_per_epoch=iters)
    _section(title)
    if plan.param_groups is not None:
        for index, group in enumerate(plan.param_groups.groups):
            print(
                f"  group {index}: {len(group.params):2d} tensors  lr {group.lr}  "
                f"weight_decay {group.weight_decay}  e.g. {group.params[0]}"
            )
    if plan.lr is not None and plan.lr.per_epoch:
        rates = "  ".join(f"{row[0]:.3g}" for row in plan.lr.per_epoch)
        print(f"  lr at the start of each epoch: {rates}")
    if plan.load is not None:
        print(f"  load_from {plan.load.source}: {len(plan.load.loaded)} tensors loaded")
        for skip in plan.load.shape_skipped:
            init = plan.load.fresh_init.get(skip.key, "its fresh initialization")
            print(
                f"    {skip.key}: checkpoint {tuple(skip.checkpoint_shape)} != model "
                f"{tuple(skip.model_shape)}: keeps {init}"
            )


def _train(tree: Any, work_dir: Path, label: str) -> list[float]:
    from initcfg.backend.torch.train import TrainOptions, train

    _section(label)
    start = time.perf_counter()
    # A demo is run again and again: each run starts its work dirs over.
    result = train(tree, TrainOptions(work_dir=work_dir, overwrite=True))
    print(f"  {label}: {time.perf_counter() - start:.1f}s")
    return [float(v["accuracy"]) for v in result.val_history]


def _table(tuned: list[float], scratch: list[float]) -> str:
    lines = ["epoch  fine-tuned  from scratch", "-----  ----------  ------------"]
    for epoch, (a, b) in enumerate(zip(tuned, scratch, strict=True), start=1):
        lines.append(f"{epoch:5d}  {a:9.1f}%  {b:11.1f}%")
    return "\n".join(lines)


def _plot(tuned: list[float], scratch: list[float], target: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    epochs = list(range(1, len(tuned) + 1))
    figure, axes = plt.subplots(figsize=(5, 3.2))
    axes.plot(epochs, tuned, marker="o", label="fine-tuned (load_from pretrain)")
    axes.plot(epochs, scratch, marker="s", label="from scratch")
    axes.set_xlabel("epoch")
    axes.set_ylabel("val accuracy (%)")
    axes.set_ylim(0, 101)
    axes.set_title("shapes: fine-tune vs from scratch")
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(target, dpi=120)
    plt.close(figure)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", default="work_dirs/shapes", help="where runs go")
    args = parser.parse_args(argv)
    work = Path(args.work_dir)
    started = time.perf_counter()

    from initcfg.config.load import load_config

    _section("validate")
    if not _validate():
        return 1
    pretrain = load_config(PRETRAIN)
    finetune = load_config(FINETUNE)
    _show_plan(pretrain, "plan: pretrain")
    _train(pretrain, work / "pretrain", "pretrain (12 epochs, Kaiming init)")

    checkpoint = str(work / "pretrain" / "epoch_12.pth")
    tuned_tree = dataclasses.replace(finetune, data={**finetune.data, "load_from": checkpoint})
    scratch_tree = dataclasses.replace(finetune, data={**finetune.data, "load_from": None})
    _show_plan(tuned_tree, "plan: fine-tune")
    tuned = _train(tuned_tree, work / "finetune", "fine-tune (8 epochs from the checkpoint)")
    scratch = _train(scratch_tree, work / "scratch", "same fine-tune from scratch")

    _section("validation accuracy")
    print(_table(tuned, scratch))
    target = work / "curves.png"
    if _plot(tuned, scratch, target):
        print(f"\nplot: {target}")
    else:
        print("\n(no plot: matplotlib is missing; `pip install -e '.[examples]'` adds it)")
    print(f"total {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[1]))
    sys.exit(main())
