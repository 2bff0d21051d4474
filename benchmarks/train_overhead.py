"""What ``initcfg train`` costs per iteration over a hand-written torch loop.

Both train the same model (the shapes CNN) on the same data with the same optimizer
(SGD with momentum, one parameter group, a constant lr) for the same number of
iterations, in one process, alternating A B, B A, … so that machine noise hits both alike.
The initcfg side runs everything it always does (lr set from the plan each
iteration, accumulation bookkeeping, JSON-lines log of every iteration, progress,
interrupt checks); checkpoints are off, as the hand loop writes none.

    python benchmarks/train_overhead.py [--iters 200] [--rounds 3] [--device cpu|cuda]

Prints the best and the median time per iteration of each, and their ratios (target:
<= 1.05). On a busy machine the best of several rounds is the steadier estimate of
what each loop costs; the median shows how much the noise moved.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from examples.shapes.data import ShapesDataset  # noqa: E402
from examples.shapes.model import build_model  # noqa: E402

from initcfg.backend.torch.train import TrainOptions, train  # noqa: E402
from initcfg.config.load import tree_from_mapping  # noqa: E402

BATCH = 32
SIZE = 640
LR = 0.05
CHANNELS = [16, 32, 32]


def _config(iters: int) -> dict[str, Any]:
    return {
        "model": {
            "type": "examples.shapes.model:build_model",
            "backbone": {"channels": CHANNELS},
            "head": {"num_classes": 4},
        },
        "train_dataloader": {
            "batch_size": BATCH,
            "num_workers": 0,
            "sampler": {"type": "DefaultSampler", "shuffle": True},
            "dataset": {"type": "examples.shapes.data:ShapesDataset", "size": SIZE},
        },
        "train_cfg": {"type": "IterBasedTrainLoop", "max_iters": iters, "val_interval": 10**9},
        "optim_wrapper": {"optimizer": {"type": "SGD", "lr": LR, "momentum": 0.9}},
        "default_hooks": {
            "checkpoint": {"type": "CheckpointHook", "interval": -1, "save_last": False}
        },
        "randomness": {"seed": 0},
    }


def run_initcfg(iters: int, device: str) -> float:
    """Seconds per iteration of ``initcfg``'s loop."""
    with tempfile.TemporaryDirectory() as work_dir:
        result = train(
            tree_from_mapping(_config(iters)),
            TrainOptions(work_dir=work_dir, progress=False, device=device, skip_init=True),
        )
    assert result.iteration == iters
    return result.loop_seconds / iters


def run_hand(iters: int, device: str) -> float:
    """Seconds per iteration of the plain loop everyone writes."""
    torch.manual_seed(0)
    target = torch.device(device)
    model = build_model(backbone={"channels": CHANNELS}, head={"num_classes": 4}).to(target)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    generator = torch.Generator()
    generator.manual_seed(0)
    loader = DataLoader(
        ShapesDataset(size=SIZE), batch_size=BATCH, shuffle=True, generator=generator
    )
    model.train()
    done = 0
    start = time.perf_counter()
    while done < iters:
        for inputs, targets in loader:
            inputs, targets = inputs.to(target), targets.to(target)
            loss = F.cross_entropy(model(inputs), targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            done += 1
            if done % 10 == 0:
                last = loss.item()  # what a hand loop prints now and then
            if done == iters:
                break
    del last
    if target.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / iters


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()

    # Warm-up: data generation is cached, kernels and allocator settle.
    run_hand(20, args.device)
    run_initcfg(20, args.device)
    hand: list[float] = []
    ours: list[float] = []
    for round_index in range(args.rounds):
        # A B, then B A: whatever drifts during a round (caches, clocks, neighbours)
        # lands on both sides equally.
        if round_index % 2 == 0:
            hand.append(run_hand(args.iters, args.device))
            ours.append(run_initcfg(args.iters, args.device))
        else:
            ours.append(run_initcfg(args.iters, args.device))
            hand.append(run_hand(args.iters, args.device))
    print(
        f"device {args.device}, {args.iters} iterations x {args.rounds} rounds, "
        f"batch {BATCH}, torch threads {torch.get_num_threads()}"
    )
    print(f"{'loop':<16}{'best ms/iter':>14}{'median ms/iter':>16}   all rounds (ms/iter)")
    for name, times in (("hand-written", hand), ("initcfg train", ours)):
        rounds = "  ".join(f"{x * 1e3:.3f}" for x in times)
        print(
            f"{name:<16}{min(times) * 1e3:>14.3f}{statistics.median(times) * 1e3:>16.3f}"
            f"   {rounds}"
        )
    best = min(ours) / min(hand)
    median = statistics.median(ours) / statistics.median(hand)
    print(f"ratio initcfg / hand-written: best {best:.3f}, median {median:.3f} (target <= 1.05)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
