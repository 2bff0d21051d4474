"""An MMEngine ``Config`` (what ``Config.fromfile`` gives, edited or not) is accepted
wherever the library takes a config mapping: it is no Mapping, but its values are the
config."""

from __future__ import annotations

from pathlib import Path

import pytest
from mmengine.config import Config  # the test extras install MMEngine and torch
from torch import nn

import initcfg
from initcfg.config.load import tree_from_mapping

CONFIG = """\
model = dict(
    type='Net',
    init_cfg=[dict(type='Normal', layer='Linear', std=0.01)],
    head=dict(init_cfg=dict(type='Constant', layer='Linear', val=1, bias=0)),
)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
train_cfg = dict(by_epoch=True, max_epochs=3)
"""


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(4, 4)
        self.head = nn.Linear(4, 2)


def _config(tmp_path: Path) -> tuple[Path, Config]:
    path = tmp_path / "cfg.py"
    path.write_text(CONFIG)
    return path, Config.fromfile(str(path))


def _codes(diagnostics: list[initcfg.Diagnostic]) -> list[tuple[str, str]]:
    return sorted((d.code, d.path) for d in diagnostics)


def test_a_tree_from_a_config_holds_its_values(tmp_path: Path) -> None:
    _, config = _config(tmp_path)
    tree = tree_from_mapping(config)  # type: ignore[arg-type]
    assert tree.data == config.to_dict()
    assert not tree.diagnostics


def test_validate_reads_a_config_as_its_file(tmp_path: Path) -> None:
    path, config = _config(tmp_path)
    config.model.head.init_cfg.val = "one"  # edited in code after it was read
    from_config = initcfg.validate(config)  # type: ignore[arg-type]
    assert ("IC105", "model.head.init_cfg.val") in [(d.code, d.path) for d in from_config], (
        from_config
    )
    # unedited, it finds what the file finds
    assert _codes(initcfg.validate(Config.fromfile(str(path)))) == _codes(  # type: ignore[arg-type]
        initcfg.validate(path)
    )


def test_compile_plans_from_a_config_as_from_its_file(tmp_path: Path) -> None:
    path, config = _config(tmp_path)
    from_config = initcfg.compile_init_plan(config, Net())  # type: ignore[arg-type]
    from_file = initcfg.compile_init_plan(path, Net())
    assert [(s.kind, s.target, [w.attr for w in s.writes]) for s in from_config.steps] == [
        (s.kind, s.target, [w.attr for w in s.writes]) for s in from_file.steps
    ]
    assert from_config.counts() == from_file.counts()
    train = initcfg.compile_train_plan(config, Net())  # type: ignore[arg-type]
    assert train.to_json()["optimizer"] == initcfg.compile_train_plan(path, Net()).to_json()[
        "optimizer"
    ]


def test_a_value_that_is_no_config_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="not int"):
        initcfg.validate(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="MMEngine Config, not object"):
        initcfg.compile_init_plan(object(), Net())  # type: ignore[arg-type]
