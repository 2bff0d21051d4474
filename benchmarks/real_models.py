"""Real MMPretrain models: MMEngine's init_weights against initcfg's compile + apply.

Each model is built from MMPretrain 1.2.0's shipped config through its registry. initcfg
compiles the plan on a meta build (tracing the modules' own init_weights) and applies it
to a real build; MMEngine runs ``init_weights`` on another real build with the same seed.
The script checks that both give identical tensors and generator states before it
reports anything. Per model: parameters, modules, MMEngine's time, initcfg's compile
and apply, the ratio MMEngine / (compile + apply), and the share of parameters whose
final writer stays opaque (an untraced ``init_weights``).

    python benchmarks/real_models.py [--repeat 3] [--models resnet50,vit-b16,...]

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


def measure(name: str, relative: str, repeat: int) -> tuple[str, ...]:
    detector = name in DETECTORS
    config = from_scratch(relative, _SCRATCH) if detector else mmpretrain_config(relative)
    build = build_mmdet if detector else build_mmpretrain
    section = model_section(config)
    tree = load_config(config)
    mm_times, compile_times, apply_times = [], [], []
    for _ in range(repeat):
        torch.manual_seed(0)
        theirs = build(copy.deepcopy(section))
        ours = build(copy.deepcopy(section))
        ours.load_state_dict(theirs.state_dict())
        meta = build_registry_model(tree)

        torch.manual_seed(1)
        start = time.perf_counter()
        theirs.init_weights()
        mm_times.append(time.perf_counter() - start)
        their_rng = torch.get_rng_state()

        start = time.perf_counter()
        plan = compile_init_plan(tree, meta, built_from_config=True)
        compile_times.append(time.perf_counter() - start)
        torch.manual_seed(1)
        start = time.perf_counter()
        plan.apply(ours)
        apply_times.append(time.perf_counter() - start)
        if not _same(theirs, ours) or not torch.equal(their_rng, torch.get_rng_state()):
            raise SystemExit(f"{name}: initcfg differs from MMEngine; nothing is reported")
    counts = plan.counts()
    params = sum(p.numel() for p in ours.parameters())
    mm, comp, app = (statistics.median(t) for t in (mm_times, compile_times, apply_times))
    opaque = 100 * counts["init_weights"] / max(counts["parameters"], 1)
    return (
        name,
        f"{params / 1e6:.1f}M",
        str(sum(1 for _ in ours.modules())),
        f"{mm * 1000:.0f} ms",
        f"{comp * 1000:.0f} ms",
        f"{app * 1000:.0f} ms",
        f"{mm / (comp + app):.2f}x",
        f"{opaque:.1f}%",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--models", default=",".join(MODELS))
    options = parser.parse_args()
    import_mmpretrain()
    if DETECTORS.keys() & set(options.models.split(",")):
        import_mmdet()
    header = ("model", "params", "modules", "mmengine", "compile", "apply", "ratio", "opaque")
    rows = [header]
    for name in options.models.split(","):
        rows.append(measure(name, MODELS[name], options.repeat))
        print(f"measured {name}", file=sys.stderr)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
