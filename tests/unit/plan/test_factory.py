"""``module:callable`` factories: one resolver for --model and for config-named models."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from torch import nn

from fixture_types import WriteFile
from initcfg.cli.plan import plan_command
from initcfg.config.load import load_config
from initcfg.errors import FactoryError
from initcfg.plan.factory import model_from_config, resolve

REPO = Path(__file__).resolve().parents[3]


def test_plan_builds_the_model_the_config_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(plan_command, ["examples/shapes/pretrain.py"])
    assert result.exit_code == 0, result.output
    assert "head.fc.weight" in result.output
    assert "Normal(std=0.01)" in result.output


def test_model_from_config_calls_the_factory_with_the_other_keys(write: WriteFile) -> None:
    write("nets.py", "import torch\ndef net(width):\n    return torch.nn.Linear(width, 2)\n")
    config = write("c.py", "model = dict(type='nets.py:net', width=5)\n")
    model = model_from_config(load_config(config))
    assert isinstance(model, nn.Linear) and model.in_features == 5


def test_model_from_config_without_a_factory_name(write: WriteFile) -> None:
    tree = load_config(write("c.yaml", "model: {type: FasterRCNN}\n"))
    with pytest.raises(FactoryError) as raised:
        model_from_config(tree)
    assert raised.value.path == ("model", "type")
    assert raised.value.hint is not None and "--model" in raised.value.hint


def test_a_factory_that_raises_is_reported(write: WriteFile) -> None:
    write("bad.py", "def net(width):\n    raise RuntimeError('no GPU here')\n")
    tree = load_config(write("c.py", "model = dict(type='bad.py:net', width=5)\n"))
    with pytest.raises(FactoryError, match="RuntimeError: no GPU here"):
        model_from_config(tree)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("examples.models:build_detectr", "has no attribute 'build_detectr'"),
        ("nope_pkg.mod:f", "cannot import module 'nope_pkg.mod'"),
        ("missing.py:f", "no such file"),
    ],
)
def test_resolve_errors(target: str, message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    with pytest.raises(FactoryError, match=message) as raised:
        resolve(target, ("model", "type"))
    assert raised.value.path == ("model", "type")
    if "build_detectr" in target:
        assert raised.value.hint == "did you mean 'build_detector'?"


@pytest.mark.parametrize(
    ("source", "width"),
    [
        ("def net(width, depth=1):\n    return torch.nn.Linear(width, 2)\n", 5),  # keywords
        ("def net(cfg):\n    return torch.nn.Linear(cfg['width'], 2)\n", 5),  # whole section
        ("def net():\n    return torch.nn.Linear(3, 2)\n", 3),  # nothing
    ],
    ids=["keywords", "section", "no-arguments"],
)
def test_model_option_calls_the_factory_as_its_signature_asks(
    source: str, width: int, write: WriteFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # --model paths are relative to the working directory
    write("nets.py", "import torch\n" + source)
    tree = load_config(write("c.yaml", "model: {type: Registered, width: 5}\n"))
    model = model_from_config(tree, "nets.py:net")
    assert isinstance(model, nn.Linear) and model.in_features == width


@pytest.mark.parametrize(
    "decorator",
    ["@functools.lru_cache(maxsize=None)", "@torch.no_grad()", "@functools.wraps(print)"],
)
def test_a_decorated_project_factory_is_the_projects(decorator: str, write: WriteFile) -> None:
    # Judged by the function the project wrote, not by the wrapper's home. (wraps(print)
    # makes a project function look like print: still the project's code that runs.)
    write(
        "decorated.py",
        f"import functools\nimport torch\n{decorator}\ndef net(width):\n"
        "    return torch.nn.Linear(width, 2)\n",
    )
    config = write("c.py", "model = dict(type='decorated.py:net', width=3)\n")
    if "wraps(print)" in decorator:
        with pytest.raises(FactoryError) as raised:
            model_from_config(load_config(config))
        assert raised.value.code == "IC240"  # unwrap leads to print: refused, as it must
        return
    model = model_from_config(load_config(config))
    assert isinstance(model, nn.Linear) and model.in_features == 3


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ("helpers.py:os.path.join", "IC241"),
        ("helpers.py:_hidden", "IC241"),
        ("helpers.py:join", "IC240"),
        ("helpers.py:Box.mro", "IC240"),
    ],
)
def test_resolve_from_a_config_stays_in_project_code(
    target: str, code: str, write: WriteFile
) -> None:
    helpers = write(
        "helpers.py",
        "import os\nfrom os.path import join\n\ndef _hidden():\n    pass\n\nclass Box:\n"
        "    pass\n",
    )
    with pytest.raises(FactoryError) as raised:
        resolve(target, ("model", "type"), str(helpers.parent), project_only=True)
    assert raised.value.code == code and raised.value.path == ("model", "type")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("model: 5\n", "model must be a dict (got 5)"),
        ("model: [1, 2]\n", "model must be a dict (got [1, 2])"),
        ("model: resnet50\n", "model must be a dict (got 'resnet50')"),
        ("lr: 0.1\n", "the config has no model section"),
    ],
)
def test_a_model_section_that_is_no_dict_is_named_as_such(
    write: WriteFile, text: str, message: str
) -> None:
    path = write("c.yaml", text)
    with pytest.raises(FactoryError) as raised:
        model_from_config(load_config(path))
    assert raised.value.message == message and raised.value.path == ("model",)
    assert raised.value.hint is not None and "--model" in raised.value.hint
    import initcfg

    found = [(d.code, d.line) for d in initcfg.validate(path) if d.code == "IC302"]
    assert found == ([] if text.startswith("lr") else [("IC302", 1)])


def test_a_model_key_that_is_no_string_is_the_config_s_fault_not_the_factory_s(
    write: WriteFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Python refuses it as a keyword: "nets:net raised TypeError: keywords must be
    # strings" blamed the factory, at model.type, for a key the config wrote.
    from initcfg.plan.factory import build_model

    write("keyed_nets.py", "import torch\ndef net(**kwargs):\n    return torch.nn.Linear(2, 2)\n"
          "def whole(section):\n    return torch.nn.Linear(2, 2)\n")
    path = write("c.yaml", "model: {type: 'keyed_nets:net', 5: 6}\n")
    monkeypatch.chdir(path.parent)
    # imported by name into this process: gone after the test, as other tests import
    # a module of their own by a name of their own
    monkeypatch.delitem(sys.modules, "keyed_nets", raising=False)
    for build in (lambda: model_from_config(load_config(path)),
                  lambda: build_model("keyed_nets.py:net", {"type": "keyed_nets:net", 5: 6})):
        with pytest.raises(FactoryError) as raised:
            build()
        assert raised.value.path == ("model", 5)
        assert raised.value.message.startswith("model key 5 (int) is not a string")
    # a factory that takes the section as one argument takes such a key, too
    assert isinstance(build_model("keyed_nets.py:whole", {5: 6}), nn.Linear)
    sys.modules.pop("keyed_nets", None)


def test_a_module_whose_own_import_fails_names_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from initcfg.plan.factory import build_model

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    (tmp_path / "badimp.py").write_text("import initcfg_nonexistent_pkg_zz\n")
    with pytest.raises(FactoryError) as raised:
        build_model("badimp:f", None)
    assert "No module named 'initcfg_nonexistent_pkg_zz'" in raised.value.message
    assert raised.value.hint == "install 'initcfg_nonexistent_pkg_zz', which 'badimp' imports"
    (tmp_path / "model_utils.py").write_text("import model\n")  # a prefix of its name
    with pytest.raises(FactoryError) as prefixed:
        build_model("model_utils:f", None)
    assert prefixed.value.hint == "install 'model', which 'model_utils' imports"
    with pytest.raises(FactoryError) as absent:
        build_model("initcfg_absent_module_zz:f", None)
    assert "No module named 'initcfg_absent_module_zz'" in absent.value.message
    assert absent.value.hint is not None and "name a .py file" in absent.value.hint
