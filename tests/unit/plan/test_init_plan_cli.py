"""``initcfg plan`` through click's CliRunner: formats, exit codes, --apply/--output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from initcfg.cli.plan import plan_command

REPO = Path(__file__).resolve().parents[3]
MODEL = "examples.models:build_detector"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """faster_rcnn.yaml with the checkpoint it names written under tmp_path."""
    monkeypatch.chdir(REPO)
    sys.path.insert(0, str(REPO))
    from examples.models import save_backbone_checkpoint

    ckpt = tmp_path / "detector.pth"
    save_backbone_checkpoint(str(ckpt))
    text = (REPO / "examples/plan/faster_rcnn.yaml").read_text()
    target = tmp_path / "faster_rcnn.yaml"
    target.write_text(text.replace("examples/plan/pretrained_detector.pth", str(ckpt)))
    return target


def test_text_table_and_summary(config: Path) -> None:
    result = CliRunner().invoke(plan_command, [str(config), "--model", MODEL])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = ["parameter", "shape", "final", "initializer", "configured", "at", "overwrote"]
    assert lines[0].split() == header
    fc_cls = next(line for line in lines if line.startswith("roi_head.bbox_head.fc_cls.weight"))
    assert "(7, 32)" in fc_cls and "Normal(std=0.01)" in fc_cls
    assert f"{config.name}:" in fc_cls
    conv = next(line for line in lines if line.startswith("backbone.conv1.weight"))
    assert "Pretrained(detector.pth, prefix=backbone)" in conv
    summary = next(line for line in lines if line.startswith("58 parameters:"))
    assert "36 from a checkpoint" in summary and "0 errors" in summary


def test_json_format(config: Path) -> None:
    result = CliRunner().invoke(plan_command, [str(config), "--model", MODEL, "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["format"] == 1 and data["steps"]
    assert {t["name"] for t in data["tensors"]} >= {"rpn_head.rpn_cls.weight"}


def test_apply_writes_state_dict(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "weights.pth"
    args = [str(config), "--model", MODEL, "--apply", "--seed", "3", "--output", str(out)]
    result = CliRunner().invoke(plan_command, args)
    assert result.exit_code == 0, result.output
    state = torch.load(out, weights_only=True)
    again = tmp_path / "again.pth"
    args[-1] = str(again)
    assert CliRunner().invoke(plan_command, args).exit_code == 0
    other = torch.load(again, weights_only=True)
    assert all(torch.equal(state[k], other[k]) for k in state)
    assert state["roi_head.bbox_head.fc_cls.weight"].shape == (7, 32)


def test_errors_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(
        plan_command, ["examples/plan/override_typo.yaml", "--model", MODEL]
    )
    assert result.exit_code == 1
    assert "IC401" in result.output and "did you mean 'fc_cls'?" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "nope_module:build"], "cannot import module 'nope_module'"),
        (["--model", "examples.models:missing"], "has no attribute 'missing'"),
        (["--model", "no-colon"], "expected 'module:callable'"),
    ],
)
def test_bad_factory_exit_2(args: list[str], message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(plan_command, ["examples/plan/override_typo.yaml", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_usage_errors() -> None:
    result = CliRunner().invoke(
        plan_command, ["x.yaml", "--model", MODEL, "--output", "w.pth"]
    )
    assert result.exit_code == 2 and "--apply" in result.output


def test_meta_build_and_factory_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(
        plan_command,
        [
            "examples/plan/override_typo.yaml",
            "--model",
            "examples/models.py:build_detector",
            "--meta",
        ],
    )
    assert result.exit_code == 1  # the config's IC401 error, found on a meta model
    assert "IC401" in result.output


def test_module_does_not_import_torch() -> None:
    code = "import sys, initcfg.cli.plan; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


FACTORY = '''
import torch
from torch import nn


class ReadsValues(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def init_weights(self):
        if self.fc.weight.abs().sum().item() > 0:
            nn.init.zeros_(self.fc.bias)


def build(cfg=None):
    return ReadsValues()
'''


def test_trace_real_traces_value_reading_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reads_values.py").write_text(FACTORY)
    (tmp_path / "model.yaml").write_text("model:\n  type: ReadsValues\n")
    args = ["model.yaml", "--model", "reads_values.py:build", "--format", "json"]
    plain = CliRunner().invoke(plan_command, args)
    assert plain.exit_code == 0, plain.output
    assert "trace" not in json.loads(plain.output)["steps"][0]  # a real build: not traced
    traced = CliRunner().invoke(plan_command, [*args, "--trace-real"])
    assert traced.exit_code == 0, traced.output
    trace = json.loads(traced.output)["steps"][0]["trace"]
    assert trace["complete"] and [w[0] for w in trace["writes"]] == ["fc.bias"]
    assert trace["replay"] is None and "(abs)" in trace["replay_reason"]
    refused = CliRunner().invoke(plan_command, [*args, "--trace-real", "--meta"])
    assert refused.exit_code == 2 and "drop --meta" in refused.output


PRINTS = '''
from torch import nn


class Chatty(nn.Module):
    def __init__(self):
        super().__init__()
        print("building Chatty")
        self.fc = nn.Linear(3, 3)

    def init_weights(self):
        print("initializing Chatty")
        nn.init.zeros_(self.fc.bias)


def build(cfg=None):
    print("factory called")
    return Chatty()
'''


@pytest.mark.parametrize("extra", [[], ["--apply"], ["--train", "--iters-per-epoch", "2"]])
def test_stdout_holds_only_the_plan_whatever_model_code_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: list[str]
) -> None:
    """Model code (a factory, a constructor, an init_weights run while planning or
    applying) prints where it likes; `--format json` output must still be one JSON value."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "chatty.py").write_text(PRINTS)
    (tmp_path / "model.yaml").write_text(
        "model:\n  type: Chatty\noptim_wrapper:\n  optimizer: {type: SGD, lr: 0.1}\n"
    )
    args = ["model.yaml", "--model", "chatty.py:build", "--format", "json", *extra]
    result = CliRunner().invoke(plan_command, args)
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)
    assert "factory called" in result.stderr and "building Chatty" in result.stderr


RAISES = '''
from torch import nn


class Fails(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def init_weights(self):
        raise ValueError("Mode fan_inn not supported")


def build(cfg=None):
    return Fails()
'''


def test_apply_reports_a_failing_init_weights_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module's own init_weights runs as MMEngine calls it; when it raises (as MMEngine's
    would on a mode it does not know), --apply says which call failed and exits 1."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fails.py").write_text(RAISES)
    (tmp_path / "model.yaml").write_text("model:\n  type: Fails\n")
    out = tmp_path / "w.pth"
    args = ["model.yaml", "--model", "fails.py:build", "--apply", "--output", str(out)]
    result = CliRunner().invoke(plan_command, args)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "init_weights() raised ValueError: Mode fan_inn not supported" in result.stderr
    assert not out.exists()


_OWN_INIT = """\
import torch
from torch import nn


class Backbone(nn.Module):
    # loads its checkpoint itself, as OpenMMLab backbones do: no step of the plan names it
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.init_cfg = dict(type='Pretrained', checkpoint='backbone.pth')

    def init_weights(self):
        self.load_state_dict(torch.load(self.init_cfg['checkpoint'], weights_only=True))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = Backbone()
        self.head = nn.Linear(2, 3)


def build(**_):
    return Net()
"""


@pytest.mark.parametrize(
    ("target", "what"),
    [
        ("nets.py", "the source of a Python module the run imported"),
        ("backbone.pth", "a file a module's init_cfg names"),
        ("notes.txt", "a file the config names"),
        ("c.py", "a config file"),
        ("link.py", "the source of a Python module the run imported"),
    ],
)
def test_output_never_replaces_a_file_the_run_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, what: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "nets.py").write_text(_OWN_INIT)
    (tmp_path / "link.py").symlink_to(tmp_path / "nets.py")
    (tmp_path / "notes.txt").write_text("kept\n")
    (tmp_path / "c.py").write_text("model = dict(type='nets:build', notes='notes.txt')\n")
    backbone = torch.nn.Linear(2, 2)
    torch.save({f"fc.{k}": v for k, v in backbone.state_dict().items()}, "backbone.pth")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    result = CliRunner().invoke(plan_command, ["c.py", "--apply", "--output", target])
    assert result.exit_code == 2, result.output
    assert f"it is {what}, an input of this run" in result.output
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
    sys.modules.pop("nets", None)


def test_seed_makes_every_tensor_reproducible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The plan writes nothing here: the state dict is the constructor's, and --seed
    # seeds before the build (as MMEngine's Runner does), so it is the same every run.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.py").write_text("model = dict(type='torch.nn:Linear', in_features=4, "
                                   "out_features=3)\n")
    states = []
    for run in range(2):
        torch.manual_seed(run)  # whatever the process's generator held before
        out = tmp_path / f"w{run}.pth"
        args = ["c.py", "--trust-python", "--apply", "--seed", "11", "--output", str(out)]
        result = CliRunner().invoke(plan_command, args)
        assert result.exit_code == 0, result.output
        states.append(torch.load(out, weights_only=True))
    torch.manual_seed(11)
    expected = torch.nn.Linear(4, 3).state_dict()
    for state in states:
        assert all(torch.equal(state[k], expected[k]) for k in expected)


def test_a_model_whose_attribute_hook_raises_gets_a_message_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "weird.py").write_text(
        "from torch import nn\n"
        "class W(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(2, 2)\n"
        "    def __getattr__(self, name):\n"
        "        if name in ('is_init', '_is_init', 'init_cfg', 'init_weights'):\n"
        "            raise RuntimeError(f'no {name} here')\n"
        "        return super().__getattr__(name)\n"
        "def f():\n"
        "    return W()\n"
    )
    (tmp_path / "c.py").write_text("model = dict(type='x')\n")
    result = CliRunner().invoke(plan_command, ["c.py", "--model", "weird:f"])
    assert result.exit_code == 2, result.output
    assert "the model's code raised RuntimeError while the plan read the model" in result.output
    assert "weird.py:8" in result.output and "Traceback" not in result.output
    sys.modules.pop("weird", None)


def test_an_empty_output_name_is_a_usage_error(config: Path) -> None:
    args = [str(config), "--model", MODEL, "--apply", "--output", ""]
    result = CliRunner().invoke(plan_command, args)
    assert result.exit_code == 2
    assert "--output needs a file name" in result.output


def test_only_a_failure_in_the_model_s_own_code_is_blamed_on_the_model(tmp_path: Path) -> None:
    from initcfg.config.atomic import write_text_atomic
    from initcfg.plan.commands import model_code_failure

    def models_code() -> None:
        json.dumps({"x": object()})  # fails inside the standard library

    try:
        models_code()
    except TypeError as error:
        blamed = model_code_failure(error)
    assert blamed is not None and "models_code" not in blamed.message
    assert f"{Path(__file__).name}:" in blamed.message  # the model's frame, not json's
    (tmp_path / "folder").mkdir()
    with pytest.raises(OSError) as raised:  # initcfg's own call failing: not the model's
        write_text_atomic(tmp_path / "folder", "{}")
    assert model_code_failure(raised.value) is None
