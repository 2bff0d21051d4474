"""How fast `initcfg validate` is: configs per second over 1,000 YAML files, and the
CLI's start-up for one file. Prints a table; run `python benchmarks/validate_speed.py`.

Targets (issue 2): at least 1,000 configs/s; one-file CLI run under 0.4 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from initcfg.check.run import validate_paths
from initcfg.config.loaded import clear_cache

TEMPLATE = """\
# config {index}
model:
  type: FasterRCNN
  backbone:
    type: ResNet
    depth: 50
    init_cfg: {{type: Pretrained, checkpoint: 'torchvision://resnet50'}}
  neck:
    type: FPN
    in_channels: [256, 512, 1024, 2048]
    init_cfg: {{type: Xavier, layer: Conv2d, distribution: uniform}}
  rpn_head:
    type: RPNHead
    init_cfg:
      type: Normal
      layer: Conv2d
      std: 0.01
      override: {{name: rpn_cls, type: Normal, std: 0.01, bias_prob: 0.01}}
  roi_head:
    bbox_head:
      - type: Shared2FCBBoxHead
        num_classes: {classes}
        init_cfg:
          - {{type: Normal, std: 0.01, override: {{name: fc_cls}}}}
          - {{type: Normal, std: 0.001, override: {{name: fc_reg}}}}
          - type: Kaiming
            layer: [Conv2d, Linear]
            mode: {mode}
            nonlinearity: relu
train_cfg: {{type: EpochBasedTrainLoop, max_epochs: 12, val_interval: 1}}
"""


def write_corpus(folder: Path, count: int) -> None:
    for index in range(count):
        mode = "fan_in" if index % 7 else "fan_inn"  # some invalid files too
        text = TEMPLATE.format(index=index, classes=index % 80 + 1, mode=mode)
        (folder / f"config_{index:04d}.yaml").write_text(text)


def cli_seconds(args: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "initcfg.cli", *args], capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    count = 1000
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        write_corpus(folder, count)
        # One pass builds the validators and imports everything; the parsed-file cache is
        # then emptied, so the timed pass reads and parses every file again.
        validate_paths([str(folder)])
        clear_cache()
        start = time.perf_counter()
        result = validate_paths([str(folder)])
        in_process = time.perf_counter() - start
        assert len(result.files) == count
        whole_cli = cli_seconds(["validate", str(folder)], 3)
        one_file = cli_seconds(["validate", str(folder / "config_0001.yaml")], 7)
    print(f"{'measure':<40} {'value':>12}")
    print(f"{'configs validated (in process)':<40} {count:>12}")
    print(f"{'in-process rate, cold cache (configs/s)':<40} {count / in_process:>12.0f}")
    print(f"{'CLI over the folder (s, median of 3)':<40} {whole_cli:>12.3f}")
    print(f"{'CLI rate incl. start-up (configs/s)':<40} {count / whole_cli:>12.0f}")
    print(f"{'CLI one file (s, median of 7)':<40} {one_file:>12.3f}")
    print(f"{'target: rate >= 1000/s, one file < 0.4 s':<40}")


if __name__ == "__main__":
    main()
