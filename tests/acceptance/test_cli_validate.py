"""``initcfg validate`` through click's runner: exit codes and every output format."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from initcfg.cli import main

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


def test_clean_file_exits_zero(write) -> None:  # type: ignore[no-untyped-def]
    code, out = run("validate", str(write("good.yaml", GOOD)))
    assert code == 0
    assert "checked 1 file: no problems" in out


def test_errors_exit_one_with_location_and_hint(write) -> None:  # type: ignore[no-untyped-def]
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


def test_unreadable_yaml_is_a_diagnostic_not_a_traceback(write) -> None:  # type: ignore[no-untyped-def]
    path = write("broken.yaml", "model: {init_cfg: [1, 2\n")
    code, out = run("validate", str(path))
    assert code == 1
    assert "error[IC002] invalid YAML" in out
    assert "Traceback" not in out


def test_directory_is_walked(write, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write("configs/a.yaml", GOOD)
    write("configs/sub/b.yml", BAD)
    write("configs/notes.txt", "not a config")
    code, out = run("validate", "--format", "json", str(tmp_path / "configs"))
    assert code == 1
    files = {item["file"] for item in json.loads(out)}
    assert files == {str(tmp_path / "configs" / "sub" / "b.yml")}


def test_json_format_has_exact_keys(write) -> None:  # type: ignore[no-untyped-def]
    code, out = run("validate", "--format", "json", str(write("bad.yaml", BAD)))
    assert code == 1
    items = json.loads(out)
    assert [item["code"] for item in items] == ["IC115", "IC105"]
    required = {"file", "line", "column", "path", "code", "severity", "message"}
    assert all(required <= set(item) for item in items)
    assert items[1]["path"] == "model.backbone.init_cfg.mode"
    assert (items[1]["line"], items[1]["column"]) == (6, 7)


def test_github_format(write) -> None:  # type: ignore[no-untyped-def]
    path = write("bad.yaml", BAD)
    code, out = run("validate", "--format", "github", str(path))
    assert code == 1
    assert out.splitlines()[1].startswith(f"::error file={path},line=6,col=7,title=initcfg IC105::")


def test_sarif_format(write) -> None:  # type: ignore[no-untyped-def]
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


def test_suppression_comment_silences_code_and_strict_reports_stale(write) -> None:  # type: ignore[no-untyped-def]
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


def test_strict_reports_unknown_layers_and_extra_layers_silence_them(write) -> None:  # type: ignore[no-untyped-def]
    path = write("u.yaml", "m:\n  init_cfg: {type: Normal, layer: MyConv}\n")
    assert run("validate", str(path)) == (0, "checked 1 file: no problems\n")
    code, out = run("validate", "--strict", str(path))
    assert code == 0 and "warning[IC119] layer 'MyConv'" in out
    code, out = run("validate", "--strict", "--extra-layer", "MyConv", str(path))
    assert "IC119" not in out


def test_pyproject_extra_layers(write, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
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


def test_explain_lists_every_code() -> None:
    code, out = run("explain")
    assert code == 0
    assert "IC101" in out and "IC115" in out


def test_validate_never_imports_torch(write) -> None:  # type: ignore[no-untyped-def]
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
    write, tmp_path: Path  # type: ignore[no-untyped-def]
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
    write, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    write("cfgs/metafile.yml", "- Name: retinanet\n  Weights: x.pth\n")
    write("cfgs/ok.yaml", GOOD)
    assert run("validate", str(tmp_path / "cfgs")) == (
        0, "checked 1 file, skipped 1 (1 not a config): no problems\n"
    )
    code, out = run("validate", str(tmp_path / "cfgs" / "metafile.yml"))
    assert code == 1 and "IC005" in out


def test_checkpoint_without_type_is_a_warning(write) -> None:  # type: ignore[no-untyped-def]
    path = write("pvt.yaml", "model:\n  backbone:\n    init_cfg: {checkpoint: pvt_tiny.pth}\n")
    code, out = run("validate", str(path))
    assert code == 0
    assert "warning[IC123]" in out and "type: Pretrained" in out
