"""The fast YAML reader on real YAML: every metafile of MMDetection 3.3.0 and real
configs dumped to YAML give the full reader's values and locations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from initcfg.config.load import load_config
from initcfg.errors import ConfigLoadError
from yaml_readers import assert_same_reading


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def test_mmdet_metafiles_read_the_same(mmdet_configs: Path) -> None:
    files = sorted(mmdet_configs.rglob("*.yml")) + sorted(mmdet_configs.rglob("*.yaml"))
    assert len(files) > 50
    fast = sum(assert_same_reading(path.read_text(), str(path)) for path in files)
    assert fast > len(files) // 2  # most real YAML takes the fast path


def test_real_configs_dumped_to_yaml_read_the_same(mmdet_config_files: list[Path]) -> None:
    sample = mmdet_config_files[::10]
    read = 0
    for path in sample:
        try:
            tree = load_config(path)
        except ConfigLoadError:
            continue  # a few mmdet configs name bases mmdet does not ship
        read += 1
        text = yaml.safe_dump(_plain(tree.data), sort_keys=False)
        assert assert_same_reading(text, f"{path.stem}.yaml")
    assert read > len(sample) * 0.9
