"""Each command parses a config's settings and init_cfgs once (issue 12: the Document is
built once and is the only thing past the schema).

The schema's parsers are counted where every caller reaches them, whatever name it
imported: the fine-tune parser's ``settings``, the runtime parser's ``settings`` and the
init_cfg grammar's parser (one per ``init_cfg`` value).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

torch = pytest.importorskip("torch")

from test_train_helpers import shapes_config, single_thread  # noqa: E402

from initcfg.cli.plan import plan_command  # noqa: E402
from initcfg.cli.train import train_command  # noqa: E402
from initcfg.cli.validate import validate_command  # noqa: E402
from initcfg.schema import finetune_parser, init_cfg, runtime  # noqa: E402

INIT_CFGS = 2  # the shapes config: backbone and head


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    yield from single_thread()


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    counts: Counter[str] = Counter()

    def counted(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return method(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(
        finetune_parser._Parser, "settings", counted("finetune", finetune_parser._Parser.settings)
    )
    monkeypatch.setattr(
        runtime._RuntimeParser, "settings", counted("runtime", runtime._RuntimeParser.settings)
    )
    grammar = init_cfg._Parser
    monkeypatch.setattr(grammar, "__init__", counted("init_cfg", grammar.__init__))
    return counts


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "shapes.yaml"
    path.write_text(yaml.safe_dump(shapes_config(max_epochs=1, size=16, val_size=16)))
    return path


def _once(counts: Counter[str]) -> None:
    assert counts["finetune"] == 1, counts
    assert counts["runtime"] == 1, counts
    assert counts["init_cfg"] == INIT_CFGS, counts


def test_validate_parses_once(tmp_path: Path, parses: Counter[str]) -> None:
    result = CliRunner().invoke(validate_command, [str(_config(tmp_path))])
    assert result.exit_code == 0, result.output
    _once(parses)


def test_plan_train_parses_once(tmp_path: Path, parses: Counter[str]) -> None:
    result = CliRunner().invoke(plan_command, [str(_config(tmp_path)), "--train"])
    assert result.exit_code == 0, result.output
    _once(parses)


def test_plan_parses_once(tmp_path: Path, parses: Counter[str]) -> None:
    result = CliRunner().invoke(plan_command, [str(_config(tmp_path))])
    assert result.exit_code == 0, result.output
    _once(parses)


def test_plan_apply_parses_once(tmp_path: Path, parses: Counter[str]) -> None:
    result = CliRunner().invoke(plan_command, ["init", str(_config(tmp_path)), "--apply"])
    assert result.exit_code == 0, result.output
    _once(parses)


def test_train_parses_once(tmp_path: Path, parses: Counter[str]) -> None:
    result = CliRunner().invoke(
        train_command,
        [str(_config(tmp_path)), "--work-dir", str(tmp_path / "w"), "--device", "cpu", "--quiet"],
    )
    assert result.exit_code == 0, result.output
    _once(parses)
