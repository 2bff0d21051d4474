"""Load the whole MMDetection 3.3.0 config corpus with initcfg and with MMEngine.

Both loaders run in the same process, one after the other, on the same file list, so
the ratio is measured under the same machine load. initcfg starts with an empty cache
(bases are parsed during the run, as in a fresh ``initcfg validate``); MMEngine has no
cache. Configs are those under ``mmdet/.mim/configs`` outside ``_base_`` folders.

    python benchmarks/load_corpus.py [--configs DIR] [--repeat N]

Without ``--configs`` the wheel is downloaded (``pip download --no-deps mmdet==3.3.0``)
into ``~/.cache/initcfg-corpus`` once and unpacked there.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import statistics
import subprocess
import sys
import time
import warnings
import zipfile
from pathlib import Path

CACHE = Path(os.environ.get("INITCFG_CORPUS_CACHE", Path.home() / ".cache" / "initcfg-corpus"))
WHEEL = "mmdet-3.3.0-py3-none-any.whl"


def corpus_dir() -> Path:
    """The unpacked ``mmdet/.mim/configs`` folder, downloading the wheel if needed."""
    configs = CACHE / "unpacked" / "mmdet" / ".mim" / "configs"
    if configs.is_dir():
        return configs
    CACHE.mkdir(parents=True, exist_ok=True)
    wheel = CACHE / WHEEL
    if not wheel.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
             "mmdet==3.3.0", "-d", str(CACHE)],
            check=True,
        )
    with zipfile.ZipFile(wheel) as archive:
        members = [m for m in archive.namelist() if m.startswith("mmdet/.mim/")]
        archive.extractall(CACHE / "unpacked", members)
    return configs


def config_files(configs: Path) -> list[Path]:
    return sorted(
        path for path in configs.rglob("*.py") if "_base_" not in path.relative_to(configs).parts
    )


def run_initcfg(files: list[Path]) -> tuple[float, int]:
    from initcfg.config.load import load_config
    from initcfg.config.loaded import clear_cache

    clear_cache()
    start = time.perf_counter()
    clean = 0
    for path in files:
        tree = load_config(path)
        clean += not any(d.severity == "error" for d in tree.diagnostics)
    seconds = time.perf_counter() - start
    clear_cache()
    return seconds, clean


def run_mmengine(files: list[Path]) -> tuple[float, int]:
    from mmengine.config import Config

    logging.getLogger("mmengine").setLevel(logging.ERROR)
    start = time.perf_counter()
    loaded = 0
    for path in files:
        try:
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                # custom_imports are not imported, as initcfg does not import them.
                Config.fromfile(str(path), import_custom_modules=False).to_dict()
            loaded += 1
        except Exception:
            pass
    return time.perf_counter() - start, loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=Path, default=None)
    parser.add_argument(
        "--repeat", type=int, default=5,
        help="initcfg runs, alternating before and after the MMEngine run (median)",
    )
    options = parser.parse_args()
    configs = options.configs or corpus_dir()
    files = config_files(configs)

    # One untimed config each first: imports and first-use set-up (the rule catalogue,
    # MMEngine's yapf and pkg_resources) are not per-config costs.
    run_initcfg(files[:1])
    run_mmengine(files[:1])

    runs = max(1, options.repeat)
    before = [run_initcfg(files) for _ in range((runs + 1) // 2)]
    theirs, loaded = run_mmengine(files)
    after = [run_initcfg(files) for _ in range(runs // 2)]
    times = [seconds for seconds, _ in before + after]
    mine = statistics.median(times)
    clean = before[0][1]

    count = len(files)
    print(f"corpus: {configs} ({count} configs)")
    print(f"{'loader':<10} {'seconds':>9} {'configs/s':>10}   note")
    print(f"{'initcfg':<10} {mine:>9.2f} {count / mine:>10.1f}   median of {len(times)} runs "
          f"({', '.join(f'{t:.2f}' for t in times)} s), each from an empty cache; "
          f"{clean} without errors")
    print(f"{'mmengine':<10} {theirs:>9.2f} {count / theirs:>10.1f}   {loaded} loaded")
    print(f"ratio (initcfg rate / MMEngine rate): {theirs / mine:.1f}x "
          f"(worst initcfg run: {theirs / max(times):.1f}x)")


if __name__ == "__main__":
    main()
