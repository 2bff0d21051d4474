"""The public names DESIGN.md promises, exactly, and torch only when asked for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import initcfg

PUBLIC = {
    "ConfigTree",
    "Diagnostic",
    "InitPlan",
    "InitReport",
    "TrainPlan",
    "compile_init_plan",
    "compile_train_plan",
    "init_weights",
    "initialize",
    "load_config",
    "schema",
    "validate",
    "validate_init_cfg",
}


def test_exported_names_are_exactly_the_public_api() -> None:
    assert set(initcfg.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(initcfg, name) is not None, name


def test_diagnostic_fields_match_the_contract() -> None:
    [found] = initcfg.validate_init_cfg({"type": "Kaiming", "layer": "Conv2d", "mode": "x"})
    assert {"code", "severity", "message", "path", "file", "line", "column", "hint"} <= set(
        found.__dataclass_fields__
    )
    assert (found.code, found.severity, found.path) == ("IC105", "error", "mode")


def test_importing_initcfg_does_not_import_torch() -> None:
    probe = "import sys, initcfg; initcfg.validate_init_cfg({}); print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


def test_dir_shows_only_the_public_api_and_the_version() -> None:
    from importlib.metadata import version

    assert set(dir(initcfg)) == PUBLIC | {"__version__"}
    assert initcfg.__version__ == version("initcfg")


def test_importing_initcfg_imports_nothing_heavy() -> None:
    probe = ("import sys, initcfg; print(sorted(m for m in ('pydantic', 'yaml', 'torch', "
             "'initcfg.schema') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr


def _not_modules() -> list[object]:
    import torch

    return [None, "resnet50", torch.nn.Linear]


def test_each_call_taking_a_model_refuses_a_non_module_with_a_type_error() -> None:
    """A wrong model argument is the caller's mistake, said by name: not an
    AttributeError from deep inside the model walk."""
    import pytest
    import torch

    plan = initcfg.compile_init_plan({}, torch.nn.Linear(2, 2))
    calls = {
        "initialize": lambda model: initcfg.initialize(model, {"type": "Constant", "val": 1}),
        "init_weights": initcfg.init_weights,
        "compile_init_plan": lambda model: initcfg.compile_init_plan({}, model),
        "compile_train_plan": lambda model: initcfg.compile_train_plan({}, model),
        "InitPlan.apply": plan.apply,
    }
    for caller, call in calls.items():
        for model in _not_modules():
            if model is None and caller == "compile_train_plan":
                continue  # documented: None plans the schedule alone
            with pytest.raises(TypeError, match=rf"^{caller}: .* must be a torch\.nn\.Module"):
                call(model)
    with pytest.raises(TypeError, match=r"the class Linear \(pass an instance"):
        initcfg.init_weights(torch.nn.Linear)  # type: ignore[arg-type]
    assert initcfg.compile_train_plan({}, None).model == "(no model)"  # None: schedule only


class _BytesPath:
    """An os.PathLike whose path is bytes: a path to os, no name initcfg can report."""

    def __fspath__(self) -> bytes:
        return b"/tmp/config.py"


def test_load_config_refuses_what_is_no_text_path_with_a_type_error_naming_it(
    tmp_path: Path,
) -> None:
    import pytest

    config = tmp_path / "c.py"
    config.write_text("x = 1\n")
    with pytest.raises(TypeError, match=r"^load_config takes a config file's path .*not bytes$"):
        initcfg.load_config(str(config).encode())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"not dict; to check a mapping, call initcfg.validate"):
        initcfg.load_config({"x": 1})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"not an os\.PathLike giving bytes$"):
        initcfg.load_config(_BytesPath())  # type: ignore[arg-type]
    for call in (initcfg.validate, lambda value: initcfg.compile_train_plan(value, None)):
        with pytest.raises(TypeError, match=r"a config is a path .*not an os\.PathLike giving"):
            call(_BytesPath())
    assert initcfg.load_config(config).to_dict() == {"x": 1}


def test_validate_a_loaded_tree_or_its_document_as_its_file(tmp_path: Path) -> None:
    """A ConfigTree (or the Document of one) keeps where each value was written: its
    findings are placed as the file's are, a base's in the base."""
    from initcfg.check.validate import document_for

    (tmp_path / "base.py").write_text("model = dict(init_cfg=dict(type='Normal', std='x'))\n")
    config = tmp_path / "c.py"
    config.write_text(
        "_base_ = './base.py'\nmodel = dict(head=dict(init_cfg=dict(type='Kaiming', "
        "layer='Conv2D')))\n"
    )

    def places(found: list[initcfg.Diagnostic]) -> list[tuple[object, ...]]:
        return [(d.code, d.file, d.line, d.column, d.config) for d in found]

    from_file = places(initcfg.validate(config))
    assert [place[:2] for place in from_file] == [
        ("IC115", str(config)), ("IC105", str(tmp_path / "base.py")),
    ]
    tree = initcfg.load_config(config)
    assert places(initcfg.validate(tree)) == from_file
    assert places(initcfg.validate(document_for(tree))) == from_file


def test_validate_init_cfg_checks_typed_initializers_as_initialize_takes_them() -> None:
    """``initialize`` takes the schema's typed models; ``validate_init_cfg`` checks them
    as the dicts they spell (it said "must be a dict" of a valid Kaiming)."""
    from initcfg import schema

    [typo] = initcfg.validate_init_cfg(schema.Kaiming(layer="Conv2D"))
    assert (typo.code, typo.path, typo.hint) == ("IC115", "layer", "did you mean 'Conv2d'?")
    mixed = [schema.Kaiming(layer="Conv2d"), {"type": "Normal", "layer": "Linear", "std": -1}]
    assert [(d.code, d.path) for d in initcfg.validate_init_cfg(mixed)] == [("IC105", "[1].std")]
    overrides = schema.Normal(
        layer="Linear",
        override=[{"name": "fc"}, {"name": "cls", "type": "Constant", "val": 1, "layer": "x"}],
    )
    assert [(d.code, d.path) for d in initcfg.validate_init_cfg(overrides)] == [
        ("IC111", "override[1].layer")
    ]
    assert initcfg.validate_init_cfg([schema.Normal(layer="Linear", std=0.1)]) == []


def test_one_name_as_a_plain_string_is_one_name() -> None:
    """``select="IC115"`` and ``extra_layers="MyConv"`` mean one code and one class,
    not their letters."""
    config = {"model": {"init_cfg": [{"type": "Normal", "layer": "Conv2D"},
                                     {"type": "Normal", "layer": "MyConv"}]}}
    assert [d.code for d in initcfg.validate(config, select="IC115")] == ["IC115"]
    assert initcfg.validate(config, ignore="IC115", strict=True, extra_layers="MyConv") == []
    assert initcfg.validate_init_cfg(
        {"type": "Normal", "layer": "MyConv"}, strict=True, extra_layers="MyConv"
    ) == []


def test_a_reach_that_is_neither_is_refused_by_name() -> None:
    """``reach="ALL"`` planned MMEngine's reach without a word (only "all" is compared)."""
    import pytest
    import torch

    for call in (
        lambda reach: initcfg.compile_init_plan(None, torch.nn.Linear(2, 2), reach=reach),
        lambda reach: initcfg.init_weights(torch.nn.Linear(2, 2), reach=reach),
    ):
        for wrong in ("ALL", "everything", None):
            with pytest.raises(ValueError, match=r"reach must be 'mmengine' or 'all', not "):
                call(wrong)
        for right in ("mmengine", "all"):
            call(right)
