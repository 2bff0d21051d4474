"""Real MMPretrain models: MMEngine's init_weights against initcfg's compile + apply.

Each model is built from MMPretrain 1.2.0's shipped config through its registry. initcfg
compiles the plan on a meta build (tracing the modules' own init_weights) and applies it
to a real build; MMEngine runs ``init_weights`` on another real build with the same seed.
The script checks that both give identical tensors and generator states before it
reports anything. Per model: parameters, modules, MMEngine's time, the fill floor,
initcfg's compile and apply, the ratio MMEngine / (compile + apply), the best ratio
bit-exactness allows (MMEngine / floor), and the share of parameters whose final writer
stays opaque (an untraced ``init_weights``).

The **floor** is the same tensor kernels in the same order and nothing else: the aten
in-place ops MMEngine's ``init_weights`` makes on the model's tensors, recorded once
under a dispatch mode and then called directly on another build (checked bit-exact
too). Times are CPU-time medians (``time.process_time``), the contenders interleaved
round by round, on one intra-op thread by default (``--threads``): on a shared machine
the CPU time of spinning worker threads swamps what is measured.

    python benchmarks/real_models.py [--repeat 3] [--models resnet50,vit-b16,...] [--threads 1]

Needs the test extras (mmpretrain, mmcv-lite) and imports mmpretrain through the test
set-up (tests/openmmlab.py). Machines are noisy: read the ratios, not the absolute times.
The mmdet detectors (``DETECTORS``) are fetched and imported by tests/openmmlab_mmdet.py
and measured from scratch (their backbone's Pretrained entry removed).
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from initcfg.config.load import load_config
from initcfg.plan.init_plan import compile_init_plan
from initcfg.plan.registry_model import build_registry_model
from openmmlab import (
    build_mmpretrain,
    import_mmpretrain,
    mmpretrain_config,
    model_section,
)
from openmmlab_mmdet import build_mmdet, from_scratch, import_mmdet

MODELS = {
    "resnet50": "resnet/resnet50_8xb32_in1k.py",
    "vit-b16": "vision_transformer/vit-base-p16_64xb64_in1k.py",
    "swin-t": "swin_transformer/swin-tiny_16xb64_in1k.py",
    "convnext-t": "convnext/convnext-tiny_32xb128_in1k.py",
    "mobilenet-v2": "mobilenet_v2/mobilenet-v2_8xb32_in1k.py",
}

# mmdet 3.3.0 detectors, built from scratch (tests/openmmlab_mmdet.py has the set-up).
DETECTORS = {
    "retinanet": "retinanet/retinanet_r50_fpn_1x_coco.py",
}
MODELS.update(DETECTORS)
_SCRATCH = Path(tempfile.mkdtemp(prefix="initcfg-bench-"))


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


Kernel = tuple[object, str, tuple[object, ...], dict[str, object]]


class _Kernels(TorchDispatchMode):
    """Records the aten in-place ops that land in the model's tensors, in order."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        tensors = [*model.parameters(), *model.buffers()]
        self.storages = {t.untyped_storage().data_ptr(): t for t in tensors}
        self.named = [*model.named_parameters(), *model.named_buffers()]
        self.calls: list[Kernel] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        kwargs = kwargs or {}
        first = args[0] if args else None
        if func._schema.name.endswith("_") and isinstance(first, torch.Tensor):
            base = self.storages.get(first.untyped_storage().data_ptr())
            if base is not None:
                if first.shape != base.shape or first.storage_offset() != base.storage_offset():
                    raise SystemExit("a write to part of a tensor: the floor does not model it")
                name = next(n for n, t in self.named if t is base)
                self.calls.append((func, name, args[1:], kwargs))
        return func(*args, **kwargs)


def _kernels(model: torch.nn.Module) -> list[Kernel]:
    recorder = _Kernels(model)
    with recorder:
        model.init_weights()
    if any(isinstance(a, torch.Tensor) for _, _, args, _ in recorder.calls for a in args):
        raise SystemExit("a write with a tensor argument: the floor does not model it")
    return recorder.calls


def _floor(model: torch.nn.Module, calls: list[Kernel]) -> None:
    tensors = dict(model.named_parameters())
    tensors.update(model.named_buffers())
    bound = [(func, tensors[name], args, kwargs) for func, name, args, kwargs in calls]
    with torch.no_grad():
        for func, tensor, args, kwargs in bound:
            func(tensor, *args, **kwargs)  # type: ignore[operator]


def measure(name: str, relative: str, repeat: int) -> tuple[str, ...]:
    detector = name in DETECTORS
    config = from_scratch(relative, _SCRATCH) if detector else mmpretrain_config(relative)
    build = build_mmdet if detector else build_mmpretrain
    section = model_section(config)
    tree = load_config(config)
    mm_times, floor_times, compile_times, apply_times = [], [], [], []
    torch.manual_seed(0)
    recorded = build(copy.deepcopy(section))
    torch.manual_seed(1)
    kernels = _kernels(recorded)
    clock = time.process_time
    for _ in range(repeat):
        torch.manual_seed(0)
        theirs = build(copy.deepcopy(section))
        ours = build(copy.deepcopy(section))
        bare = build(copy.deepcopy(section))
        ours.load_state_dict(theirs.state_dict())
        bare.load_state_dict(theirs.state_dict())
        meta = build_registry_model(tree)

        torch.manual_seed(1)
        start = clock()
        theirs.init_weights()
        mm_times.append(clock() - start)
        their_rng = torch.get_rng_state()

        torch.manual_seed(1)
        start = clock()
        _floor(bare, kernels)
        floor_times.append(clock() - start)
        if not _same(theirs, bare) or not torch.equal(their_rng, torch.get_rng_state()):
            raise SystemExit(f"{name}: the floor differs from MMEngine; nothing is reported")

        start = clock()
        plan = compile_init_plan(tree, meta, built_from_config=True)
        compile_times.append(clock() - start)
        torch.manual_seed(1)
        start = clock()
        plan.apply(ours)
        apply_times.append(clock() - start)
        if not _same(theirs, ours) or not torch.equal(their_rng, torch.get_rng_state()):
            raise SystemExit(f"{name}: initcfg differs from MMEngine; nothing is reported")
    counts = plan.counts()
    params = sum(p.numel() for p in ours.parameters())
    mm, floor, comp, app = (
        statistics.median(t) for t in (mm_times, floor_times, compile_times, apply_times)
    )
    opaque = 100 * counts["init_weights"] / max(counts["parameters"], 1)
    return (
        name,
        f"{params / 1e6:.1f}M",
        str(sum(1 for _ in ours.modules())),
        f"{mm * 1000:.0f} ms",
        f"{floor * 1000:.0f} ms",
        f"{comp * 1000:.0f} ms",
        f"{app * 1000:.0f} ms",
        f"{mm / (comp + app):.2f}x",
        f"{mm / floor:.2f}x",
        f"{opaque:.1f}%",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--threads", type=int, default=1)
    options = parser.parse_args()
    torch.set_num_threads(options.threads)
    import_mmpretrain()
    if DETECTORS.keys() & set(options.models.split(",")):
        import_mmdet()
    header = (
        "model", "params", "modules", "mmengine", "floor", "compile", "apply", "ratio",
        "best", "opaque",
    )
    rows = [header]
    for name in options.models.split(","):
        rows.append(measure(name, MODELS[name], options.repeat))
        print(f"measured {name}", file=sys.stderr)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
