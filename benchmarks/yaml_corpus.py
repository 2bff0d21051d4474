"""Real-sized YAML configs for the benchmarks: the MMDetection 3.3.0 configs, each
loaded by initcfg and dumped to YAML, cached beside the wheel (never in the repo).

    from yaml_corpus import yaml_corpus
    folder = yaml_corpus()  # ~/.cache/initcfg-corpus/yaml-mmdet-3.3.0/*.yaml
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from load_corpus import CACHE, config_files, corpus_dir

FOLDER = CACHE / "yaml-mmdet-3.3.0"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def yaml_corpus() -> Path:
    """The folder of dumped configs, made on first use (about 30 s)."""
    done = FOLDER / ".complete"
    if done.is_file():
        return FOLDER
    import yaml

    from initcfg.config.load import load_config
    from initcfg.errors import ConfigLoadError

    configs = corpus_dir()
    FOLDER.mkdir(parents=True, exist_ok=True)
    for path in config_files(configs):
        try:
            tree = load_config(path)
        except ConfigLoadError:
            continue  # a few configs name bases mmdet does not ship
        name = "__".join(path.relative_to(configs).with_suffix(".yaml").parts)
        text = yaml.safe_dump(_plain(tree.data), sort_keys=False)
        temp = FOLDER / f".{name}.{os.getpid()}.tmp"
        temp.write_text(text)
        os.replace(temp, FOLDER / name)
    done.write_text("")
    return FOLDER
