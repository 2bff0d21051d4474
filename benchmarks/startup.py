"""Start-up cost of the CLI beside its floors: CPU time, medians, interleaved in one run.

    python benchmarks/startup.py [--repeats 15] [--instructions]

Each round runs every command once, in turn, so a machine that gets busier or quieter
during the run shifts all of them alike; each figure is the median over the rounds of
the child's user + system CPU time (not wall time, which a loaded machine stretches).
Floors: ``python -c pass``, ``import click`` (what ``--help``, ``explain`` and
``schema`` cannot avoid) and ``import yaml, click, pydantic`` (what ``validate`` cannot
avoid). ``import pydantic`` alone loads almost nothing (Pydantic imports its parts when
first named), so a fourth line shows what any Pydantic model costs on top:
``import yaml, click; from pydantic import BaseModel``, and a fifth what defining and
validating one model class adds (its field machinery: ``pydantic.fields``,
``pydantic.types``, ``annotated_types``). Goals (issue 15): ``--help``,
``explain`` and ``schema`` within 1.3x ``import click``; validating one real-sized file
(an MMDetection config dumped to YAML, see ``yaml_corpus.py``) within 1.4x the
dependency floor.

On a loaded machine CPU time still varies by tens of percent between runs;
``--instructions`` counts each command's instructions once under Valgrind's callgrind
instead (the same from run to run, to within a few in ten thousand, and slow: about a
minute in all). Ratios of instruction counts track those of CPU time, not exactly.

Children run as an installed initcfg does: with its bytecode compiled (this script
compiles it first) and ``PYTHONDONTWRITEBYTECODE`` unset; ``schema`` runs with its
cache (``~/.cache/initcfg/schema``) made by the warm-up round.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

# A real-sized config of the corpus (an average one: 8 KB, 420 lines).
REAL_CONFIG = "res2net__mask-rcnn_res2net-101_fpn_2x_coco.yaml"

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


ONE_MODEL = """\
import yaml, click
from pydantic import BaseModel
class One(BaseModel):
    x: int
One(x=1)
"""


def compile_initcfg() -> None:
    """Compile initcfg's bytecode, as installing it does."""
    import initcfg

    compileall.compile_dir(Path(initcfg.__file__).parent, quiet=1)


_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def cpu_seconds(command: list[str]) -> float:
    """User + system CPU time of one run of ``command``."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=_ENV)
    _, _, usage = os.wait4(process.pid, 0)
    return usage.ru_utime + usage.ru_stime


def instructions(command: list[str]) -> float:
    """Instructions one run of ``command`` executes, counted by callgrind."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=_ENV, check=False,
    )
    for line in done.stderr.splitlines():
        if "Collected :" in line:
            return float(line.rsplit(":", 1)[1])
    raise SystemExit(f"callgrind counted nothing for {command}:\n{done.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions under valgrind instead of timing")
    options = parser.parse_args()
    repeats = 1 if options.instructions else options.repeats
    measure = instructions if options.instructions else cpu_seconds
    python = sys.executable
    compile_initcfg()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from yaml_corpus import yaml_corpus

    real = yaml_corpus() / REAL_CONFIG
    with tempfile.TemporaryDirectory() as temp:
        config = Path(temp) / "one.yaml"
        config.write_text(ONE_CONFIG)
        cli = [python, "-m", "initcfg.cli"]
        commands = {
            "python -c pass": [python, "-c", "pass"],
            "import click": [python, "-c", "import click"],
            "import yaml, click, pydantic": [python, "-c", "import yaml, click, pydantic"],
            "... from pydantic import BaseModel": [
                python, "-c", "import yaml, click; from pydantic import BaseModel"
            ],
            "... one model class validated": [python, "-c", ONE_MODEL],
            "initcfg --help": [*cli, "--help"],
            "initcfg explain IC101": [*cli, "explain", "IC101"],
            "initcfg schema": [*cli, "schema", "--output", temp],
            "initcfg validate small.yaml": [*cli, "validate", str(config)],
            "initcfg validate real.yaml": [*cli, "validate", str(real)],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():  # warm the file cache once
            cpu_seconds(command)
        for _ in range(repeats):
            for name, command in commands.items():
                times[name].append(measure(command))
    median = {name: statistics.median(values) for name, values in times.items()}
    floors = {
        "initcfg --help": "import click",
        "initcfg explain IC101": "import click",
        "initcfg schema": "import click",
        "initcfg validate small.yaml": "import yaml, click, pydantic",
        "initcfg validate real.yaml": "import yaml, click, pydantic",
    }
    goals = {"import click": 1.3, "import yaml, click, pydantic": 1.4}
    model_floor = median["... from pydantic import BaseModel"]
    class_floor = median["... one model class validated"]
    if options.instructions:
        print("Instructions (millions), one run each under callgrind")
        unit, scale = "M", 1e-6
    else:
        print(f"CPU time, median of {repeats} interleaved rounds")
        unit, scale = "ms", 1000.0
    print(f"{'command':<34} {unit:>8}  {'floor':<30} {'ratio':>6} {'goal':>6}")
    for name, value in median.items():
        floor = floors.get(name)
        if floor is None:
            print(f"{name:<34} {value * scale:>8.1f}")
            continue
        ratio = value / median[floor]
        print(f"{name:<34} {value * scale:>8.1f}  {floor:<30} {ratio:>6.2f} {goals[floor]:>6.1f}")
        if name.startswith("initcfg validate"):
            print(f"{'':<34} {'':>8}  {'(... BaseModel floor)':<30} "
                  f"{value / model_floor:>6.2f}")
            print(f"{'':<34} {'':>8}  {'(... one model class floor)':<30} "
                  f"{value / class_floor:>6.2f}")


if __name__ == "__main__":
    main()
