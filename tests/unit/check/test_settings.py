"""[tool.initcfg] settings: selection, per-file ignores, fail-on, registered names, and
the diagnostics for a pyproject.toml initcfg cannot use."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixture_types import MakeProject
from initcfg import validate
from initcfg.check.registered import names_in_source, registered_names
from initcfg.check.settings import check_selector, project_settings

# One warning (IC115, a misspelt layer) and one error (IC105, a bad mode).
TWO_PROBLEMS = """\
model:
  backbone:
    init_cfg:
      type: Kaiming
      layer: Conv2D
      mode: fan_inn
"""


def codes(found: list) -> list[str]:  # type: ignore[type-arg]
    return [item.code for item in found]


@pytest.fixture
def project(tmp_path: Path) -> MakeProject:
    """``project(toml)`` writes pyproject.toml and configs/c.yaml; returns the config."""

    def make(toml: str, config: str = TWO_PROBLEMS, name: str = "configs/c.yaml") -> Path:
        (tmp_path / "pyproject.toml").write_text(toml)
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(config)
        return target

    return make


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("", ["IC115", "IC105"]),
        ('[tool.initcfg]\nselect = ["IC105"]\n', ["IC105"]),
        ('[tool.initcfg]\nselect = ["IC1"]\n', ["IC115", "IC105"]),
        ('[tool.initcfg]\nselect = ["IC3"]\n', []),
        ('[tool.initcfg]\nignore = ["IC115"]\n', ["IC105"]),
        ('[tool.initcfg]\nselect = ["ALL"]\nignore = ["ic10"]\n', ["IC115"]),
        ('[tool.initcfg.per-file-ignores]\n"configs/*" = ["IC105"]\n', ["IC115"]),
        ('[tool.initcfg.per-file-ignores]\n"*.yaml" = ["IC115", "IC105"]\n', []),
        ('[tool.initcfg.per-file-ignores]\n"other/*" = ["IC105"]\n', ["IC115", "IC105"]),
    ],
)
def test_select_ignore_and_per_file_ignores(
    project: MakeProject, toml: str, expected: list[str]
) -> None:
    assert codes(validate(project(toml))) == expected


def test_library_select_replaces_and_ignore_adds(project: MakeProject) -> None:
    config = project('[tool.initcfg]\nselect = ["IC105"]\n')
    assert codes(validate(config, select=["IC115"])) == ["IC115"]
    assert codes(validate(config, ignore=["IC105"])) == []
    with pytest.raises(ValueError, match="did you mean 'IC105'"):
        validate(config, select=["IC1055"])


def test_per_file_ignores_match_the_base_a_finding_lies_in(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.initcfg.per-file-ignores]\n"vendor/*" = ["IC105"]\n'
    )
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "base.yaml").write_text(TWO_PROBLEMS)
    child = tmp_path / "child.yaml"
    child.write_text("_base_: vendor/base.yaml\n")
    found = validate(child)
    assert [(d.code, d.file, d.config) for d in found] == [
        ("IC115", str(tmp_path / "vendor" / "base.yaml"), str(child))
    ]


@pytest.mark.parametrize(
    ("toml", "code", "line", "hint"),
    [
        ('[tool.initcfg]\nextra_layers = ["X"]\n', "IC008", 2, "did you mean 'extra-layers'?"),
        ('[tool.initcfg]\n\nselcet = ["IC1"]\n', "IC008", 3, "did you mean 'select'?"),
        ('[tool.initcfg\nextra-layers = ["X"]\n', "IC007", 1, None),
        ('[tool.initcfg]\nignore = "IC105"\n', "IC009", 2, None),
        ('[tool.initcfg]\nselect = ["IC1055"]\n', "IC009", 2, None),
        ('[tool.initcfg]\nfail-on = "warnings"\n', "IC009", 2, "did you mean 'warning'?"),
        ('[tool.initcfg.per-file-ignores]\n"*.py" = "IC105"\n', "IC009", 1, None),
    ],
)
def test_unusable_settings_are_diagnostics_at_their_line(
    project: MakeProject, toml: str, code: str, line: int, hint: str | None
) -> None:
    config = project(toml)
    problems = [d for d in validate(config) if d.code in ("IC007", "IC008", "IC009")]
    assert len(problems) == 1, problems
    problem = problems[0]
    assert (problem.code, problem.file, problem.line) == (
        code, str(config.parents[1] / "pyproject.toml"), line
    )
    if hint is not None:
        assert problem.hint == hint or hint in problem.message


@pytest.mark.parametrize("selection", ["[]", '["IC99"]'])
def test_a_select_that_names_no_code_hides_nothing(project: MakeProject, selection: str) -> None:
    # It selected no code at all: every finding was hidden, and with `select = []` the
    # run passed without a word.
    found = validate(project(f"[tool.initcfg]\nselect = {selection}\n"))
    assert sorted(codes(found)) == ["IC009", "IC105", "IC115"]


def test_a_misspelt_key_still_lets_the_others_apply(project: MakeProject) -> None:
    found = validate(project('[tool.initcfg]\nextra_layers = ["X"]\nignore = ["IC105"]\n'))
    assert codes(found) == ["IC008", "IC115"] or codes(found) == ["IC115", "IC008"]


def test_broken_toml_without_initcfg_settings_is_not_reported(project: MakeProject) -> None:
    # Another tool's broken pyproject.toml: initcfg reads no settings from it and keeps quiet.
    assert codes(validate(project("[tool.black\nline-length = 1\n"))) == ["IC115", "IC105"]


def test_settings_are_read_again_after_an_edit(project: MakeProject) -> None:
    config = project('[tool.initcfg]\nignore = ["IC105"]\n')
    assert codes(validate(config)) == ["IC115"]
    (config.parents[1] / "pyproject.toml").write_text(
        '[tool.initcfg]\nignore = ["IC115", "IC1"]\n# a longer file\n'
    )
    assert codes(validate(config)) == []


@pytest.mark.parametrize(
    ("selector", "ok"),
    [("IC1", True), ("ic115", True), ("ALL", True), ("IC", True), ("IC9", False),
     ("IC1155", False), ("E501", False), ("", False)],
)
def test_check_selector(selector: str, ok: bool) -> None:
    assert (check_selector(selector) is None) is ok


def test_fail_on_is_read(project: MakeProject) -> None:
    config = project('[tool.initcfg]\nfail-on = "info"\n')
    assert project_settings(str(config)).fail_on == "info"


# ------------------------------------------------------------- registered names

OPTIMIZER = "optim_wrapper = dict(optimizer=dict(type='{name}', lr=0.1))\n"


def test_extra_optimizers_and_schedulers_silence_ic304(project: MakeProject) -> None:
    text = OPTIMIZER.format(name="LARS") + "param_scheduler = [dict(type='MultiStepLr')]\n"
    config = project("", text, "configs/c.py")
    assert codes(validate(config, fs_checks=False)) == ["IC304", "IC304"]
    project(
        '[tool.initcfg]\nextra-optimizers = ["LARS"]\nextra-schedulers = ["MultiStepLr"]\n',
        text, "configs/c.py",
    )
    assert codes(validate(config, fs_checks=False)) == []


def test_scanner_reads_decorators_and_calls() -> None:
    source = '''
from mmengine.registry import OPTIMIZERS, PARAM_SCHEDULERS, MODELS
import torch.nn as nn

@OPTIMIZERS.register_module()
class LARS:
    pass

@OPTIMIZERS.register_module(name=['Lamb', 'LAMB'], force=True)
class _Lamb:
    pass

@registry.PARAM_SCHEDULERS.register_module('WarmLR')
class WarmScheduler:
    pass

MODELS.register_module('BN2d', module=nn.BatchNorm2d)
MODELS.register_module(module=nn.SyncBatchNorm)
OTHER.register_module(module=Unrelated)

@MODELS.register_module
class NotCalled:  # the bare decorator form: register_module() returns the register
    pass
'''
    assert sorted(names_in_source(source)) == [
        ("models", "BN2d"), ("models", "SyncBatchNorm"),
        ("optimizers", "LAMB"), ("optimizers", "LARS"), ("optimizers", "Lamb"),
        ("schedulers", "WarmLR"),
    ]
    assert list(names_in_source("def broken(:\n")) == []


def test_a_scope_package_registers_names_without_being_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project: MakeProject
) -> None:
    site = tmp_path / "site"
    package = site / "myscope"
    (package / "engine").mkdir(parents=True)
    # Importing this package would fail the test: nothing of it may run.
    (package / "__init__.py").write_text("raise RuntimeError('imported')\n")
    (package / "engine" / "__init__.py").write_text("")
    (package / "engine" / "optim.py").write_text(
        "from myscope.registry import OPTIMIZERS\n\n"
        "@OPTIMIZERS.register_module()\nclass Fancy:\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    text = "default_scope = 'myscope'\n" + OPTIMIZER.format(name="Fancy")
    config = project("", text, "configs/c.py")
    assert codes(validate(config, fs_checks=False)) == []
    found = registered_names("myscope")
    assert found is not None and found.optimizers == frozenset({"Fancy"})
    assert list((tmp_path / "cache" / "initcfg" / "registered").glob("myscope-*.json"))
    # Without the scope, the name is unknown again.
    project("", OPTIMIZER.format(name="Fancy"), "configs/c.py")
    assert codes(validate(config, fs_checks=False)) == ["IC304"]
    assert registered_names("not_installed_anywhere") is None


def test_settings_follow_a_linked_config_or_folder_to_where_it_lies(tmp_path: Path) -> None:
    """The pyproject.toml is looked for beside the file a link points to, whether the
    config itself or a folder above it is the link."""
    project = tmp_path / "project"
    (project / "configs").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[tool.initcfg]\nfail-on = "info"\n')
    config = project / "configs" / "c.py"
    config.write_text("x = 1\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "linked.py").symlink_to(config)
    (elsewhere / "folder").symlink_to(project / "configs")
    assert project_settings(str(elsewhere / "linked.py")).fail_on == "info"
    assert project_settings(str(elsewhere / "folder" / "c.py")).fail_on == "info"
    assert project_settings(str(elsewhere / "nothing.py")).fail_on is None


@pytest.mark.parametrize(
    ("toml", "line", "column"),
    [
        ('[tool.initcfg\nextra-layers = ["X"]\n', 1, 14),
        ('[tool.initcfg]\nextra-layers = ["X",,]\n', 2, 21),
    ],
)
def test_broken_toml_is_placed_where_tomllib_stopped(
    project: MakeProject, toml: str, line: int, column: int
) -> None:
    config = project(toml)
    [problem] = [d for d in validate(config) if d.code == "IC007"]
    assert (problem.line, problem.column) == (line, column)
    assert f"at line {line}, column {column}" in problem.message


def test_a_pyproject_created_or_removed_between_two_calls_is_seen(tmp_path: Path) -> None:
    # A long-lived caller (a notebook, an editor integration) validates, then adds the
    # project's settings: the second call reads them, and a third without them again.
    config = tmp_path / "configs" / "c.yaml"
    config.parent.mkdir()
    config.write_text(TWO_PROBLEMS)
    assert codes(validate(config)) == ["IC115", "IC105"]
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.initcfg]\nignore = ["IC115"]\n')
    assert codes(validate(config)) == ["IC105"]
    nearer = tmp_path / "configs" / "pyproject.toml"
    nearer.write_text('[tool.initcfg]\nignore = ["IC105"]\n')
    assert codes(validate(config)) == ["IC115"]
    nearer.unlink()
    pyproject.unlink()
    assert codes(validate(config)) == ["IC115", "IC105"]


def test_a_run_applies_its_folder_s_pyproject_to_every_file(tmp_path: Path) -> None:
    from initcfg.check.run import validate_paths

    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(TWO_PROBLEMS)
    (tmp_path / "pyproject.toml").write_text('[tool.initcfg]\nignore = ["IC115"]\n')
    result = validate_paths([str(tmp_path)])
    assert codes(result.diagnostics) == ["IC105", "IC105"]


@pytest.mark.parametrize(
    ("name", "text", "code"),
    [
        ("c.py", "x = open('f')\n", "IC201"),  # the evaluator refuses it: nothing checked
        ("c.py", "_base_ = ['./absent.py']\n", "IC202"),
        ("c.py", "model = dict(a=1, a=2)\n", "IC207"),
        ("c.py", "filename = 'x'\n", "IC213"),
        ("c.yaml", "a: 1\na: 2\n", "IC003"),
    ],
)
def test_a_selection_does_not_hide_that_a_config_was_not_loaded(
    tmp_path: Path, name: str, text: str, code: str
) -> None:
    config = tmp_path / name
    config.write_text(text)
    assert codes(validate(config, select=["IC3"])) == [code]
    assert codes(validate(config, select=["IC3"], ignore=[code])) == []  # asked for


def test_a_selection_does_not_hide_a_misspelt_setting(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.initcfg]\nselect = ["IC1", "IC3"]\nextra_layers = ["ConvModule"]\n'
    )
    config = tmp_path / "c.yaml"
    config.write_text(TWO_PROBLEMS)
    # IC008 for extra_layers (extra-layers meant); the IC1 findings stay selected
    assert sorted(codes(validate(config))) == ["IC008", "IC105", "IC115"]


def test_a_selection_still_hides_the_load_s_warnings(tmp_path: Path) -> None:
    (tmp_path / "base.py").write_text("a = 1\n")
    config = tmp_path / "c.py"
    config.write_text("_base_ = ['./base.py']\nb = dict(_delete_=True, x=1)\n")
    assert codes(validate(config)) == ["IC212"]
    assert codes(validate(config, select=["IC3"])) == []
