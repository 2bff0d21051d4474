"""How fast `initcfg validate` reads real-sized YAML, beside a bare PyYAML read of the
same files: CPU time, medians, interleaved in one run.

    python benchmarks/validate_speed.py [--repeats 5]

The configs are MMDetection 3.3.0's, each loaded by initcfg and dumped to YAML (about
800 files, 9.5 KB on average; made and cached on first use, see ``yaml_corpus.py``).
Each round times, in one process and in turn: ``yaml.load(Loader=CSafeLoader)`` of
every file (the floor: reading the files and nothing else), then ``validate_paths`` of
the folder with an empty parse cache (read, load, check). A round then runs the CLI
over the whole MMDetection config tree (``.py`` configs, their bases and metafiles) in
a child process and takes its CPU time, beside its floor: a child Python that reads
every file of the tree and parses it (``ast.parse`` for Python, CSafeLoader for YAML,
``json`` for JSON) and does nothing else. Goals (issue 15): validating the YAML at most
1.0x the floor; the whole tree in at most 2.0 s of CPU.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_corpus import corpus_dir
from startup import compile_initcfg
from yaml_corpus import yaml_corpus


def child_cpu_seconds(command: list[str]) -> float:
    # As installed: initcfg's bytecode compiled (see startup.py), and kept.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=env)
    _, _, usage = os.wait4(process.pid, 0)
    return usage.ru_utime + usage.ru_stime


# The tree's floor, run in a child like the CLI: start Python, read and parse every
# file the walk would check, nothing more.
TREE_FLOOR = """
import ast, json, os, sys
import yaml
for folder, _, names in os.walk(sys.argv[1]):
    for name in sorted(names):
        path = os.path.join(folder, name)
        if name.endswith('.py'):
            with open(path, encoding='utf-8') as stream:
                ast.parse(stream.read())
        elif name.endswith(('.yml', '.yaml')):
            with open(path, encoding='utf-8') as stream:
                yaml.load(stream.read(), Loader=yaml.CSafeLoader)
        elif name.endswith('.json'):
            with open(path, encoding='utf-8') as stream:
                json.loads(stream.read())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats

    import yaml

    from initcfg.check.run import validate_paths
    from initcfg.config.loaded import clear_cache

    compile_initcfg()
    folder = yaml_corpus()
    tree = corpus_dir()
    files = sorted(folder.glob("*.yaml"))
    texts = [path.read_text() for path in files]
    size = sum(map(len, texts)) / len(texts)
    validate_paths([str(folder)])  # imports and first-use set-up are not per-file costs
    clear_cache()

    floor: list[float] = []
    ours: list[float] = []
    whole: list[float] = []
    tree_floor: list[float] = []
    cli = [sys.executable, "-m", "initcfg.cli", "validate", str(tree)]
    parse_only = [sys.executable, "-c", TREE_FLOOR, str(tree)]
    for _ in range(repeats):
        start = time.process_time()
        for text in texts:
            yaml.load(text, Loader=yaml.CSafeLoader)
        floor.append(time.process_time() - start)
        start = time.process_time()
        result = validate_paths([str(folder)])
        ours.append(time.process_time() - start)
        clear_cache()
        assert len(result.files) == len(files)
        tree_floor.append(child_cpu_seconds(parse_only))
        whole.append(child_cpu_seconds(cli))

    low, mine, tree_low, tree_cpu = map(statistics.median, (floor, ours, tree_floor, whole))
    print(f"CPU time, median of {repeats} interleaved rounds")
    print(f"real-sized YAML: {len(files)} configs dumped from MMDetection 3.3.0, "
          f"{size / 1000:.1f} KB on average")
    print(f"{'measure':<44} {'s':>7} {'configs/s':>10}")
    print(f"{'yaml.load(CSafeLoader) of every file (floor)':<44} {low:>7.2f} "
          f"{len(files) / low:>10.0f}")
    print(f"{'validate_paths of the folder':<44} {mine:>7.2f} {len(files) / mine:>10.0f}")
    print(f"ratio validate / floor: {mine / low:.2f} (goal 1.0)")
    print(f"{'python parsing every file of the tree (floor)':<44} {tree_low:>7.2f}")
    print(f"{'initcfg validate <mmdet config tree> (CLI)':<44} {tree_cpu:>7.2f}")
    print(f"ratio CLI / floor: {tree_cpu / tree_low:.2f}; CLI {tree_cpu:.2f} s (goal 2.0 s)")


if __name__ == "__main__":
    main()
