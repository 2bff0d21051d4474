"""Start-up cost of the CLI beside its floors: CPU time, medians, interleaved in one run.

    python benchmarks/startup.py [--repeats 15]

Each round runs every command once, in turn, so a machine that gets busier or quieter
during the run shifts all of them alike; each figure is the median over the rounds of
the child's user + system CPU time (not wall time, which a loaded machine stretches).
Floors: ``python -c pass``, ``import click`` (what ``--help``, ``explain`` and
``schema`` cannot avoid) and ``import yaml, click, pydantic`` (what ``validate`` cannot
avoid). Goals (issue 15): ``--help``, ``explain`` and ``schema`` within 1.3x
``import click``; validating one file within 1.4x the dependency floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ONE_CONFIG = """\
model:
  type: RetinaNet
  backbone:
    type: ResNet
    depth: 50
    init_cfg: {type: Pretrained, checkpoint: 'torchvision://resnet50'}
  bbox_head:
    type: RetinaHead
    num_classes: 3
    init_cfg:
      type: Normal
      layer: Conv2d
      std: 0.01
      override: {type: Normal, name: retina_cls, std: 0.01, bias_prob: 0.01}
"""


def cpu_seconds(command: list[str]) -> float:
    """User + system CPU time of one run of ``command``."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(process.pid, 0)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    repeats = parser.parse_args().repeats
    python = sys.executable
    with tempfile.TemporaryDirectory() as temp:
        config = Path(temp) / "one.yaml"
        config.write_text(ONE_CONFIG)
        cli = [python, "-m", "initcfg.cli"]
        commands = {
            "python -c pass": [python, "-c", "pass"],
            "import click": [python, "-c", "import click"],
            "import yaml, click, pydantic": [python, "-c", "import yaml, click, pydantic"],
            "initcfg --help": [*cli, "--help"],
            "initcfg explain IC101": [*cli, "explain", "IC101"],
            "initcfg schema": [*cli, "schema", "--output", temp],
            "initcfg validate one.yaml": [*cli, "validate", str(config)],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():  # warm the file cache once
            cpu_seconds(command)
        for _ in range(repeats):
            for name, command in commands.items():
                times[name].append(cpu_seconds(command))
    median = {name: statistics.median(values) for name, values in times.items()}
    floors = {
        "initcfg --help": "import click",
        "initcfg explain IC101": "import click",
        "initcfg schema": "import click",
        "initcfg validate one.yaml": "import yaml, click, pydantic",
    }
    goals = {"import click": 1.3, "import yaml, click, pydantic": 1.4}
    print(f"CPU time, median of {repeats} interleaved rounds")
    print(f"{'command':<30} {'ms':>8}  {'floor':<30} {'ratio':>6} {'goal':>6}")
    for name, value in median.items():
        floor = floors.get(name)
        if floor is None:
            print(f"{name:<30} {value * 1000:>8.1f}")
            continue
        ratio = value / median[floor]
        print(f"{name:<30} {value * 1000:>8.1f}  {floor:<30} {ratio:>6.2f} {goals[floor]:>6.1f}")


if __name__ == "__main__":
    main()
