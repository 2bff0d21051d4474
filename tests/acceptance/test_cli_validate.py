"""``initcfg validate`` through click's runner: exit codes and every output format."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from click.testing import CliRunner

from fixture_types import WriteFile
from initcfg.cli import main
from initcfg.diagnostics import all_rules

BAD = """\
model:
  backbone:
    init_cfg:
      type: Kaiming
      layer: Conv2D
      mode: fan_inn
"""
GOOD = """\
model:
  neck:
    init_cfg: {type: Xavier, layer: Conv2d, distribution: uniform}
"""


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_clean_file_exits_zero(write: WriteFile) -> None:
    code, out = run("validate", str(write("good.yaml", GOOD)))
    assert code == 0
    assert "checked 1 file: no problems" in out


def test_errors_exit_one_with_location_and_hint(write: WriteFile) -> None:
    path = write("bad.yaml", BAD)
    code, out = run("validate", str(path))
    assert code == 1
    assert f"{path}:6:7: error[IC105] 'mode' must be 'fan_in' or 'fan_out'" in out
    assert f"{path}:5:7: warning[IC115]" in out
    assert "hint: did you mean 'Conv2d'?" in out
    assert out.rstrip().endswith("found 1 error, 1 warning\nchecked 1 file")


def test_missing_path_exits_two(tmp_path: Path) -> None:
    code, out = run("validate", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "no such file or directory" in out


def test_unreadable_yaml_is_a_diagnostic_not_a_traceback(write: WriteFile) -> None:
    path = write("broken.yaml", "model: {init_cfg: [1, 2\n")
    code, out = run("validate", str(path))
    assert code == 1
    assert "error[IC002] invalid YAML" in out
    assert "Traceback" not in out


def test_directory_is_walked(write: WriteFile, tmp_path: Path) -> None:
    write("configs/a.yaml", GOOD)
    write("configs/sub/b.yml", BAD)
    write("configs/notes.txt", "not a config")
    code, out = run("validate", "--format", "json", str(tmp_path / "configs"))
    assert code == 1
    files = {item["file"] for item in json.loads(out)}
    assert files == {str(tmp_path / "configs" / "sub" / "b.yml")}


def test_json_format_has_exact_keys(write: WriteFile) -> None:
    code, out = run("validate", "--format", "json", str(write("bad.yaml", BAD)))
    assert code == 1
    items = json.loads(out)
    assert [item["code"] for item in items] == ["IC115", "IC105"]
    required = {"file", "line", "column", "path", "code", "severity", "message"}
    assert all(required <= set(item) for item in items)
    assert items[1]["path"] == "model.backbone.init_cfg.mode"
    assert (items[1]["line"], items[1]["column"]) == (6, 7)


def test_github_format(write: WriteFile) -> None:
    path = write("bad.yaml", BAD)
    code, out = run("validate", "--format", "github", str(path))
    assert code == 1
    assert out.splitlines()[1].startswith(f"::error file={path},line=6,col=7,title=initcfg IC105::")


def test_sarif_format(write: WriteFile) -> None:
    code, out = run("validate", "--format", "sarif", str(write("bad.yaml", BAD)))
    assert code == 1
    log = json.loads(out)
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["IC115", "IC105"]
    region = results[1]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 6, "startColumn": 7}
    rule_ids = {rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    assert {"IC105", "IC115"} <= rule_ids


def test_sarif_uris_are_uri_references_whatever_the_file_name(write: WriteFile) -> None:
    """SARIF's artifactLocation.uri is a URI: a '#' in a file name started a fragment and
    a space or '%' made it no URI at all."""
    base = write("odd base%#.yaml", BAD)
    child = write("odd child #1.yaml", f"_base_: '{base.name}'\n")
    code, out = run("validate", "--format", "sarif", str(child))
    assert code == 1
    (result, _) = json.loads(out)["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    related = result["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.endswith("/odd%20child%20%231.yaml")
    assert related.endswith("/odd%20base%25%23.yaml")
    # Named by absolute paths, they are file URIs: a bare '/tmp/...' is a relative
    # reference, which a code-scanning upload resolves against the repository's root.
    assert uri == child.as_uri() and related == base.as_uri()
    assert urllib.parse.unquote(urllib.parse.urlsplit(uri).path) == child.as_posix()


def _sarif_shown(text: str) -> str:
    """What a SARIF viewer shows for a plain-text message (SARIF 2.1.0, 3.11.5-3.11.6):
    "{{" and "}}" are literal braces, a lone "{" opens a placeholder; a link's text is
    what is between "[" and "](", with backslash escapes."""
    shown, at = [], 0
    while at < len(text):
        if text.startswith(("{{", "}}"), at):
            shown.append(text[at])
            at += 2
        elif text[at] in "{}":
            raise AssertionError(f"a placeholder or a stray brace at {at}: {text!r}")
        elif text[at] == "\\" and at + 1 < len(text) and text[at + 1] in "\\[]":
            shown.append(text[at + 1])
            at += 2
        elif text.startswith("](1)", at):
            at += 4
        elif text[at] == "[":
            at += 1
        else:
            shown.append(text[at])
            at += 1
    return "".join(shown)


def test_sarif_messages_show_braces_and_brackets_as_the_text_has_them(
    write: WriteFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A quoted `{{_base_...}}` placeholder read as SARIF's own "{{" escape lost a brace,
    and a base path with '[' or ']' ended the embedded link early."""
    write("base.py", "optimizer = dict(lr=0.1)\n")
    write("child.py", "_base_ = './base.py'\nlr = {{_base_.optimizer.lrr}}\n")
    write("[old]/b{0}.yaml", BAD)
    write("c.yaml", "_base_: '[old]/b{0}.yaml'\n")
    monkeypatch.chdir(tmp_path)
    code, out = run("validate", "--format", "sarif", "child.py", "c.yaml")
    assert code == 1
    messages = [_sarif_shown(result["message"]["text"])
                for result in json.loads(out)["runs"][0]["results"]]
    assert messages[0].startswith("placeholder {{_base_.optimizer.lrr}} cannot be substituted")
    assert all(text.endswith("(inherited from base [old]/b{0}.yaml:" + end)
               for text, end in zip(messages[1:], ["5:7)", "6:7)"], strict=True))


def test_sarif_uris_of_relative_names_stay_relative(
    write: WriteFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The repository-relative names code scanning maps to files, percent-encoded; a ':'
    in the first segment would read as a URI scheme."""
    write("a:b, 100% ü.yaml", BAD)
    monkeypatch.chdir(tmp_path)
    code, out = run("validate", "--format", "sarif", "a:b, 100% ü.yaml")
    assert code == 1
    uris = {result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for result in json.loads(out)["runs"][0]["results"]}
    assert uris == {"a%3Ab%2C%20100%25%20%C3%BC.yaml"}


def test_suppression_comment_silences_code_and_strict_reports_stale(write: WriteFile) -> None:
    text = BAD.replace("layer: Conv2D", "layer: Conv2D  # initcfg: ignore[IC115]").replace(
        "mode: fan_inn", "mode: fan_in  # initcfg: ignore[IC101]"
    )
    path = write("s.yaml", text)
    code, out = run("validate", str(path))
    assert (code, out.strip()) == (0, "checked 1 file: no problems")
    code, out = run("validate", "--strict", str(path))
    assert code == 0
    assert f"{path}:6:1: warning[IC004] suppression of IC101 silences nothing" in out
    assert "IC115" not in out.replace("ignore[IC115]", "")


def test_strict_reports_unknown_layers_and_extra_layers_silence_them(write: WriteFile) -> None:
    path = write("u.yaml", "m:\n  init_cfg: {type: Normal, layer: MyConv}\n")
    assert run("validate", str(path)) == (0, "checked 1 file: no problems\n")
    code, out = run("validate", "--strict", str(path))
    assert code == 0 and "warning[IC119] layer 'MyConv'" in out
    code, out = run("validate", "--strict", "--extra-layer", "MyConv", str(path))
    assert "IC119" not in out


def test_pyproject_extra_layers(write: WriteFile, tmp_path: Path) -> None:
    write("pyproject.toml", "[tool.initcfg]\nextra-layers = ['Conv2dPlus']\n")
    path = write("cfg/c.yaml", "m:\n  init_cfg: {type: Normal, layer: Conv2dPlus}\n")
    assert "IC119" not in run("validate", "--strict", str(path))[1]


@pytest.mark.parametrize(
    ("code", "exit_code", "needle"),
    [("IC115", 0, "Why it matters"), ("ic103", 0, "Unknown initializer type"), ("IC9999", 2, "")],
)
def test_explain(code: str, exit_code: int, needle: str) -> None:
    result = CliRunner().invoke(main, ["explain", code])
    assert result.exit_code == exit_code
    assert needle in result.output


@pytest.mark.parametrize("prefix", ["IC1", "ic12", "IC4"])
def test_explain_a_prefix_lists_the_codes_it_starts(prefix: str) -> None:
    # a prefix is what --select and --ignore take; it was "unknown code" (and IC12's
    # nearest code was IC412)
    result = CliRunner().invoke(main, ["explain", prefix])
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.output.splitlines()[1:]]
    expected = [rule.code for rule in all_rules() if rule.code.startswith(prefix.upper())]
    assert listed == expected and len(expected) > 1


@pytest.mark.parametrize("spelling", ["ALL", "all"])
def test_explain_all_lists_every_code_as_select_takes_it(spelling: str) -> None:
    result = CliRunner().invoke(main, ["explain", spelling])
    assert result.exit_code == 0, result.output
    listed = [line.split()[0] for line in result.output.splitlines()[1:]]
    assert listed == [rule.code for rule in all_rules()]


def test_explain_an_unknown_code_is_a_usage_error_with_a_hint() -> None:
    result = CliRunner().invoke(main, ["explain", "IC1155"])
    assert result.exit_code == 2
    assert "unknown code 'IC1155'; did you mean 'IC115'?" in result.output


def test_explain_takes_a_code_as_a_shell_variable_may_spell_it() -> None:
    result = CliRunner().invoke(main, ["explain", " IC101 "])
    assert result.exit_code == 0
    assert result.output.startswith("IC101 (error): ")
    # a prefix that starts a single code says so in the singular
    result = CliRunner().invoke(main, ["explain", "IC01"])
    assert result.output.startswith("'IC01' starts 1 code (")


def test_explain_markdown_with_a_code_is_a_usage_error() -> None:
    # It printed the whole catalogue and ignored the code.
    result = CliRunner().invoke(main, ["explain", "--markdown", "IC101"])
    assert result.exit_code == 2
    assert "drop CODE" in result.output


def test_explain_lists_every_code() -> None:
    code, out = run("explain")
    assert code == 0
    assert "IC101" in out and "IC115" in out


def test_validate_never_imports_torch(write: WriteFile) -> None:
    path = write("bad.yaml", BAD)
    probe = (
        "import sys\n"
        "from initcfg.cli import main\n"
        "try:\n"
        f"    main(['validate', {str(path)!r}])\n"
        "except SystemExit as stop:\n"
        "    assert stop.code == 1, stop.code\n"
        "assert 'torch' not in sys.modules, 'validate imported torch'\n"
        "print('torch-free')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "torch-free" in done.stdout


def test_directory_walk_skips_python_modules_but_not_python_configs(
    write: WriteFile, tmp_path: Path
) -> None:
    write("proj/model.py", "import torch\n\nclass Net(torch.nn.Module):\n    pass\n")
    write("proj/cfg.py", "model = dict(init_cfg=dict(type='kaiming', layer='Conv2d'))\n")
    code, out = run("validate", "--format", "json", str(tmp_path / "proj"))
    assert code == 1
    assert {item["file"] for item in json.loads(out)} == {str(tmp_path / "proj" / "cfg.py")}
    # Named explicitly, a module is checked like any config (and refused as code).
    code, out = run("validate", str(tmp_path / "proj" / "model.py"))
    assert code == 1


def test_directory_walk_skips_data_files_that_are_not_mappings(
    write: WriteFile, tmp_path: Path
) -> None:
    write("cfgs/metafile.yml", "- Name: retinanet\n  Weights: x.pth\n")
    write("cfgs/ok.yaml", GOOD)
    assert run("validate", str(tmp_path / "cfgs")) == (
        0, "checked 1 file, skipped 1 (1 not a config): no problems\n"
    )
    code, out = run("validate", str(tmp_path / "cfgs" / "metafile.yml"))
    assert code == 1 and "IC005" in out


def test_checkpoint_without_type_is_a_warning(write: WriteFile) -> None:
    path = write("pvt.yaml", "model:\n  backbone:\n    init_cfg: {checkpoint: pvt_tiny.pth}\n")
    code, out = run("validate", str(path))
    assert code == 0
    assert "warning[IC123]" in out and "type: Pretrained" in out


# ------------------------------------------------ which config a finding is about

CHILD = "_base_: [base.yaml]\nmodel:\n  neck:\n    init_cfg: {type: Normal, layr: Conv2d}\n"


def two_children(write: WriteFile) -> tuple[Path, Path, Path]:
    base = write("cfgs/base.yaml", BAD)
    return base, write("cfgs/a.yaml", CHILD), write("cfgs/b.yaml", "\n" + CHILD)


def test_json_records_name_the_checked_config(write: WriteFile) -> None:
    base, a, b = two_children(write)
    code, out = run("validate", "--format", "json", str(a), str(b))
    assert code == 1
    items = json.loads(out)
    assert all(set(item) == {"file", "line", "column", "path", "code", "severity", "message",
                             "hint", "config"} for item in items)
    inherited = [(i["config"], i["file"], i["line"], i["code"]) for i in items
                 if i["file"] == str(base)]
    # One inherited value, two records: the same place, each naming its own config.
    assert inherited == [(str(a), str(base), 5, "IC115"), (str(a), str(base), 6, "IC105"),
                         (str(b), str(base), 5, "IC115"), (str(b), str(base), 6, "IC105")]
    # Each config's own findings come first, then the base's, each file's by line.
    assert [(i["config"], i["file"], i["line"]) for i in items][:3] == [
        (str(a), str(a), 4), (str(a), str(base), 5), (str(a), str(base), 6)]


def test_a_missing_path_is_a_json_record_too(write: WriteFile, tmp_path: Path) -> None:
    good = write("good.yaml", GOOD)
    missing = str(tmp_path / "nope.yaml")
    code, out = run("validate", "--format", "json", str(good), missing)
    assert code == 2
    records = json.loads(out[out.index("["):])
    assert [(r["code"], r["file"], r["config"], r["line"]) for r in records] == [
        ("IC001", missing, missing, None)]


def test_github_annotates_the_checked_config_and_names_the_base(write: WriteFile) -> None:
    base, _a, b = two_children(write)
    code, out = run("validate", "--format", "github", str(b))
    assert code == 1
    own, warning, error = out.splitlines()
    # b.yaml's own finding is at its value; the inherited ones at b.yaml's `_base_` line 2.
    assert own.startswith(f"::error file={b},line=5,col=")
    assert warning.startswith(f"::warning file={b},line=2,title=initcfg IC115::")
    assert error.startswith(f"::error file={b},line=2,title=initcfg IC105::")
    assert error.endswith(f"[inherited from base {base}:6:7]")
    assert str(base) not in own + warning.split("[inherited")[0]


def test_sarif_puts_inherited_findings_on_the_config_with_the_base_related(
    write: WriteFile
) -> None:
    base, a, _b = two_children(write)
    code, out = run("validate", "--format", "sarif", str(a))
    assert code == 1
    results = json.loads(out)["runs"][0]["results"]
    inherited = [r for r in results if "relatedLocations" in r]
    assert [r["ruleId"] for r in inherited] == ["IC115", "IC105"]
    first = inherited[1]
    primary = first["locations"][0]["physicalLocation"]
    assert primary["artifactLocation"]["uri"] == a.as_uri()
    assert primary["region"]["startLine"] == 1
    related = first["relatedLocations"][0]
    assert related["id"] == 1
    assert related["physicalLocation"]["artifactLocation"]["uri"] == base.as_uri()
    assert related["physicalLocation"]["region"] == {"startLine": 6, "startColumn": 7}
    assert "](1))" in first["message"]["text"]
    assert all(r["properties"]["config"] == str(a) for r in results)


# ----------------------------------------------------------------- rule settings


@pytest.mark.parametrize(
    ("args", "exit_code", "codes"),
    [
        ([], 1, ["IC115", "IC105"]),
        (["--select", "IC115"], 0, ["IC115"]),
        (["--select", "IC1", "--ignore", "IC105"], 0, ["IC115"]),
        (["--ignore", "IC115,IC105"], 0, []),
        (["--select", "IC115", "--fail-on", "warning"], 1, ["IC115"]),
        (["--ignore", "IC105", "--fail-on", "info"], 1, ["IC115"]),
        (["--fail-on", "error", "--ignore", "IC105"], 0, ["IC115"]),
    ],
)
def test_select_ignore_fail_on(
    write: WriteFile, args: list[str], exit_code: int, codes: list[str]
) -> None:
    code, out = run("validate", "--format", "json", *args, str(write("bad.yaml", BAD)))
    assert code == exit_code
    assert [item["code"] for item in json.loads(out)] == codes


def test_project_fail_on_and_cli_override(write: WriteFile) -> None:
    write("pyproject.toml", '[tool.initcfg]\nfail-on = "warning"\nignore = ["IC105"]\n')
    path = write("cfg/c.yaml", BAD)
    assert run("validate", str(path))[0] == 1
    assert run("validate", "--fail-on", "error", str(path))[0] == 0


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_unknown_code_is_a_usage_error(write: WriteFile, option: str) -> None:
    code, out = run("validate", option, "IC1055", str(write("bad.yaml", BAD)))
    assert code == 2
    assert "did you mean 'IC105'?" in out


@pytest.mark.parametrize("value", ["", " , "])
def test_an_empty_select_is_a_usage_error(write: WriteFile, value: str) -> None:
    # `--select "$CODES"` with CODES unset selected no code: the bad config passed.
    code, out = run("validate", "--select", value, str(write("bad.yaml", BAD)))
    assert code == 2
    assert "names no code" in out


def test_misspelt_setting_is_reported_once_per_run(write: WriteFile) -> None:
    pyproject = write("pyproject.toml", '[tool.initcfg]\nextra_layers = ["MyConv"]\n')
    write("cfg/a.yaml", GOOD)
    write("cfg/b.yaml", GOOD)
    code, out = run("validate", str(pyproject.parent / "cfg"))
    assert code == 0
    assert out.count("warning[IC008]") == 1
    assert f"{pyproject}:2:1: warning[IC008] [tool.initcfg] has no setting 'extra_layers'" in out
    assert "hint: did you mean 'extra-layers'?" in out


@pytest.mark.parametrize("output", ["text", "github", "sarif"])
def test_pyproject_findings_are_named_as_the_configs_are(
    write: WriteFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: str
) -> None:
    """In CI the configs are named from the repository's root; the pyproject.toml was
    named by its absolute path on the runner, where an annotation or a SARIF location
    points at no file of the repository."""
    write("pyproject.toml", '[tool.initcfg]\nextra_layers = ["MyConv"]\n')
    write("configs/a.yaml", GOOD)
    monkeypatch.chdir(tmp_path)
    code, out = run("validate", "--format", output, "configs/a.yaml")
    assert code == 0
    assert str(tmp_path) not in out
    if output == "text":
        assert out.startswith("pyproject.toml:2:1: warning[IC008]")
    elif output == "github":
        assert out.startswith("::warning file=pyproject.toml,line=2,col=1,")
    else:
        (result,) = json.loads(out)["runs"][0]["results"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "pyproject.toml"
    # A config named by its absolute path keeps the pyproject.toml absolute too.
    code, out = run("validate", str(tmp_path / "configs" / "a.yaml"))
    assert out.startswith(f"{tmp_path / 'pyproject.toml'}:2:1: warning[IC008]")


def test_broken_pyproject_is_reported_and_exits_two(write: WriteFile) -> None:
    pyproject = write("pyproject.toml", '[tool.initcfg\nextra-layers = ["MyConv"]\n')
    code, out = run("validate", str(write("cfg/a.yaml", GOOD)))
    assert code == 2
    assert f"{pyproject}:1:14: error[IC007] pyproject.toml is not valid TOML" in out


def test_a_walk_says_what_it_checked_and_skipped(write: WriteFile, tmp_path: Path) -> None:
    write("proj/model.py", "class Net:\n    pass\n")
    write("proj/metafile.yml", "- Name: x\n")
    assert run("validate", str(tmp_path / "proj")) == (
        0, "checked 0 files, skipped 2 (1 not a config, 1 project code): nothing to check\n")
    write("proj/c.yaml", BAD)
    code, out = run("validate", str(tmp_path / "proj"))
    assert code == 1
    assert out.rstrip().endswith(
        "found 1 error, 1 warning\nchecked 1 file, skipped 2 (1 not a config, 1 project code)")


def test_the_readme_summary_line_is_the_one_a_walk_prints(
    write: WriteFile, tmp_path: Path
) -> None:
    # The README showed "(2 project code, 1 not a config)"; the reasons come sorted.
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    shown = re.search(r"\(`(checked 12 files, skipped 3 \([^`]*\))`\)", readme)
    assert shown is not None
    for number in range(12):
        write(f"proj/c{number}.yaml", GOOD)
    write("proj/model.py", "class Net:\n    pass\n")
    write("proj/data.py", "def load():\n    pass\n")
    write("proj/metafile.yml", "- Name: x\n")
    code, out = run("validate", str(tmp_path / "proj"))
    assert (code, out) == (0, f"{shown.group(1)}: no problems\n")


def test_readme_pre_commit_snippet_shows_warnings() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    snippet = readme.split("## pre-commit", 1)[1].split("```", 2)[1]
    assert "verbose: true" in snippet and "--fail-on, warning" in snippet


@pytest.mark.parametrize("spelling", ["child.py", "./child.py"])
def test_base_line_suppression_whatever_the_spelling(
    write: WriteFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str
) -> None:
    write("vendor/base.yaml", BAD)
    write("child.py", "_base_ = ['vendor/base.yaml']  # initcfg: ignore[IC105, IC115]\n")
    monkeypatch.chdir(tmp_path)
    assert run("validate", "--strict", spelling) == (0, "checked 1 file: no problems\n")
    write("child.py", "_base_ = ['vendor/base.yaml']  # initcfg: ignore[IC105]\n")
    code, out = run("validate", "--strict", spelling)
    assert code == 0 and "IC105" not in out and "warning[IC115]" in out
