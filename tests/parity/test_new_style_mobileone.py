"""The official MMPretrain 1.2.0 MobileOne configs, which copy pipelines with
``copy.deepcopy``: initcfg loads every one as MMEngine 0.10.7 does.

The real wheel is installed (``--no-deps``, cached outside the repo) for its
``.mim/configs``; the configs are read, never imported.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path
from typing import Any

import pytest

import initcfg
from initcfg.config.loaded import clear_cache

pytest.importorskip("mmengine")

pytestmark = pytest.mark.corpus


def _normalized(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _normalized(child) for key, child in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalized(child) for child in value]
    return value


@pytest.fixture(scope="module")
def mobileone_configs() -> list[Path]:
    from openmmlab_wheels import installed_wheel

    folder = installed_wheel("mmpretrain", "1.2.0") / "mmpretrain" / ".mim" / "configs"
    found = sorted((folder / "mobileone").rglob("*.py"))
    assert found, f"no MobileOne configs under {folder}"
    return found


def test_mobileone_configs_load_as_mmengine_loads_them(mobileone_configs: list[Path]) -> None:
    from mmengine.config import Config

    clear_cache()
    copying: list[Path] = []
    for path in mobileone_configs:
        tree = initcfg.load_config(path)
        if any("copy.deepcopy" in Path(file).read_text() for file in tree.files):
            copying.append(path)
        assert [item for item in tree.diagnostics if item.severity == "error"] == []
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            theirs = Config.fromfile(str(path)).to_dict()
        assert _normalized(tree.to_dict()) == _normalized(theirs), path.name
    assert len(copying) == 8  # the configs issue 10 names: s1-s4 and their deploy files
    # The copies are edited independently: epoch 37's crop is not epoch 1's.
    tree = initcfg.load_config(copying[-1])
    schedule = tree.to_dict()["custom_hooks"][0]["schedule"]
    assert schedule[0]["pipeline"][1]["scale"] != tree.to_dict()["train_pipeline_1e"][1]["scale"]
