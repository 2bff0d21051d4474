"""Initialization speed: MMEngine's init_weights vs initcfg's InitPlan.apply vs the floor.

One run, side by side, on models of about 120, 1,000 and 5,000 modules with init_cfg at
two levels (the root and every block). The floor is a hand-written loop of the same
``torch.nn.init`` calls in the same order; the script checks that all three produce
identical tensors for the same seed before it times anything. Then it plans a
1-billion-parameter model built on the meta device, in a fresh process, and reports the
time and the peak RSS.

    python benchmarks/init_speed.py [--repeat 5] [--sizes 124,1004,5004] [--no-meta]

Machines are noisy: read the ratios, not the absolute times.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

ROOT_CFG = [dict(type="Normal", layer="Linear", std=0.01)]
BLOCK_CFG = [
    dict(type="Kaiming", layer="Conv2d"),
    dict(type="Constant", layer="BatchNorm2d", val=1),
]


def _mm_model(blocks: int) -> nn.Module:
    from mmengine.model import BaseModule, ModuleList

    class Block(BaseModule):
        def __init__(self) -> None:
            super().__init__(copy.deepcopy(BLOCK_CFG))
            self.conv = nn.Conv2d(16, 16, 3)
            self.bn = nn.BatchNorm2d(16)
            self.fc = nn.Linear(16, 16)

    class Net(BaseModule):
        def __init__(self) -> None:
            super().__init__(copy.deepcopy(ROOT_CFG))
            self.stem = nn.Conv2d(3, 16, 3)
            self.blocks = ModuleList([Block() for _ in range(blocks)])
            self.head = nn.Linear(16, 10)

    return Net()


def _plain_model(blocks: int) -> nn.Module:
    """The same model from plain torch modules that set ``init_cfg`` (no MMEngine)."""

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.init_cfg = copy.deepcopy(BLOCK_CFG)
            self.conv = nn.Conv2d(16, 16, 3)
            self.bn = nn.BatchNorm2d(16)
            self.fc = nn.Linear(16, 16)

    class Blocks(nn.ModuleList):
        init_cfg = None  # takes part, like mmengine's ModuleList

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.init_cfg = copy.deepcopy(ROOT_CFG)
            self.stem = nn.Conv2d(3, 16, 3)
            self.blocks = Blocks([Block() for _ in range(blocks)])
            self.head = nn.Linear(16, 10)

    return Net()


def floor(model: nn.Module) -> None:
    """The same nn.init calls in MMEngine's order, written by hand."""
    for module in model.modules():  # leaves: pre-order and post-order agree
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, 0, 0.01)
            nn.init.constant_(module.bias, 0)
    for block in model.blocks:  # type: ignore[union-attr]
        nn.init.kaiming_normal_(block.conv.weight, a=0, mode="fan_out", nonlinearity="relu")
        nn.init.constant_(block.conv.bias, 0)
        nn.init.constant_(block.bn.weight, 1)
        nn.init.constant_(block.bn.bias, 0)


def _reset(model: nn.Module) -> None:
    for module in model.modules():
        if hasattr(module, "_is_init"):
            module._is_init = False


def _time(run: Callable[[], object], before: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        before()
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _same(a: nn.Module, b: nn.Module) -> bool:
    pairs = zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    return all(torch.equal(x, y) for x, y in pairs)


def bench_size(modules_target: int, repeat: int) -> dict[str, Any]:
    from initcfg.plan.init_plan import compile_init_plan

    blocks = (modules_target - 4) // 4
    torch.manual_seed(0)
    mm = _mm_model(blocks)
    ours = _plain_model(blocks)
    ours.load_state_dict(mm.state_dict())
    hand = copy.deepcopy(ours)
    count = sum(1 for _ in mm.modules())

    start = time.perf_counter()
    plan = compile_init_plan(None, ours)
    plan_time = time.perf_counter() - start

    # Equal results first, or the timing compares different work.
    torch.manual_seed(1)
    mm.init_weights()
    torch.manual_seed(1)
    plan.apply(ours)
    torch.manual_seed(1)
    floor(hand)
    if not (_same(mm, ours) and _same(mm, hand)):
        raise SystemExit(f"results differ at {count} modules; the benchmark is invalid")

    t_mm = _time(mm.init_weights, lambda: _reset(mm), repeat)
    t_ours = _time(lambda: plan.apply(ours), lambda: None, repeat)
    t_floor = _time(lambda: floor(hand), lambda: None, repeat)
    return {
        "modules": count,
        "parameters": sum(p.numel() for p in mm.parameters()),
        "mmengine_s": t_mm,
        "initcfg_apply_s": t_ours,
        "floor_s": t_floor,
        "plan_s": plan_time,
    }


META_SCRIPT = r"""
import json, sys, time
import torch
from torch import nn
from initcfg.plan.init_plan import compile_init_plan
from initcfg.plan.meta import meta_model_building


def peak_mb():
    # VmHWM belongs to this process image (ru_maxrss would inherit the parent's peak).
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    return float('nan')


base = peak_mb()

class Layer(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.init_cfg = [dict(type='TruncNormal', layer='Linear', std=0.02),
                         dict(type='Constant', layer='LayerNorm', val=1),
                         dict(type='Normal', std=0.002, override=dict(name='out'))]
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.up = nn.Linear(d, 4 * d)
        self.down = nn.Linear(4 * d, d)

class GPT(nn.Module):
    def __init__(self, d=2048, layers=20, vocab=32000):
        super().__init__()
        self.init_cfg = [dict(type='Normal', layer=['Linear', 'Embedding'], std=0.02)]
        self.embed = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList([Layer(d) for _ in range(layers)])
        self.head = nn.Linear(d, vocab)

t0 = time.perf_counter()
# "plain": torch.device('meta') alone, so modules' reset_parameters run on meta tensors
# (torch then loads its decompositions on the first meta random fill);
# "initcfg": meta_model_building(), which skips those fills (what `initcfg plan --meta`
# uses).
building = torch.device('meta') if sys.argv[1] == 'plain' else meta_model_building()
with building:
    model = GPT()
t1 = time.perf_counter()
built = peak_mb()
plan = compile_init_plan(None, model, reach='all')
t2 = time.perf_counter()
peak = peak_mb()
print(json.dumps({
    'parameters': sum(p.numel() for p in model.parameters()),
    'modules': sum(1 for _ in model.modules()),
    'steps': len(plan.steps),
    'build_s': t1 - t0, 'plan_s': t2 - t1,
    'peak_rss_mb': peak, 'rss_after_import_mb': base, 'rss_after_build_mb': built,
}))
"""


def bench_meta(mode: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", META_SCRIPT, mode], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="124,1004,5004")
    parser.add_argument("--no-meta", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON too")
    args = parser.parse_args()
    from mmengine.logging import MMLogger

    MMLogger.get_instance("mmengine").setLevel(logging.ERROR)
    rows = [bench_size(int(size), args.repeat) for size in args.sizes.split(",")]
    print(
        f"{'modules':>8} {'params':>10} {'MMEngine':>10} {'initcfg':>10} {'floor':>10} "
        f"{'MM/floor':>9} {'ic/floor':>9} {'MM/ic':>7} {'plan':>9}"
    )
    for r in rows:
        print(
            f"{r['modules']:>8} {r['parameters']:>10} {r['mmengine_s'] * 1e3:>8.1f}ms "
            f"{r['initcfg_apply_s'] * 1e3:>8.2f}ms {r['floor_s'] * 1e3:>8.2f}ms "
            f"{r['mmengine_s'] / r['floor_s']:>8.2f}x {r['initcfg_apply_s'] / r['floor_s']:>8.2f}x "
            f"{r['mmengine_s'] / r['initcfg_apply_s']:>6.1f}x {r['plan_s'] * 1e3:>7.1f}ms"
        )
    metas = {} if args.no_meta else {mode: bench_meta(mode) for mode in ("initcfg", "plain")}
    for mode, meta in metas.items():
        how = (
            "meta_model_building()" if mode == "initcfg" else "torch.device('meta') alone"
        )
        print(
            f"\nmeta-device plan of {meta['parameters'] / 1e9:.2f}B parameters, built with "
            f"{how} ({meta['modules']} modules, {meta['steps']} steps): "
            f"build {meta['build_s']:.2f}s, plan {meta['plan_s']:.2f}s; "
            f"peak RSS {meta['peak_rss_mb']:.0f} MB "
            f"(after importing torch and initcfg: {meta['rss_after_import_mb']:.0f} MB, "
            f"after building the model: {meta['rss_after_build_mb']:.0f} MB)"
        )
    if args.json:
        print(json.dumps({"sizes": rows, "meta": metas}))


if __name__ == "__main__":
    main()
