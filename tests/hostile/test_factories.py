"""Hostile factory names: a config never gets code outside the project called.

Each case is one `initcfg plan` or `initcfg train` in a subprocess under the harness's
CPU and memory limits. Every payload would create a canary file if it ran; each case
checks that it did not, that no traceback was printed, that the inputs are unchanged,
and that the refusal carries its code (IC240 not project code, IC241 a walk through a
module or a `_` name, IC242 a module name that also means a module outside the project).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from harness import Inputs, Outcome, assert_no_canary, run_limited

pytest.importorskip("torch")

# A project module as a real project might write it: it imports what it needs, and so
# holds the standard library and torch as attributes.
PROJECT_MODULE = """\
import functools
import os
import pathlib
import subprocess

import torch
from os import makedirs, system
from torch import load


def build(width=4, **parts):
    return torch.nn.Linear(width, 2)


def _private_build(**kwargs):
    return torch.nn.Linear(4, 2)


class Holder:
    tools = os


class Writer(type(pathlib.Path())):
    pass


class Data(torch.utils.data.Dataset):
    def __init__(self, size=8):
        self.size = size

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        return torch.zeros(4), 0


Spawner = subprocess.Popen
runner = functools.partial(os.system)
"""

TRAIN_TAIL = """
train_dataloader = dict(batch_size=4, dataset=dict(type={dataset!r}{dataset_args}))
val_dataloader = dict(batch_size=4, dataset=dict(type='mymodel:Data'))
val_evaluator = dict(type={evaluator!r}{evaluator_args})
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "mymodel.py").write_text(PROJECT_MODULE)
    return tmp_path / "CANARY"


def _checked(
    outcome: Outcome, code: str, inputs: Inputs, canary: Path, *, exit_codes: tuple[int, ...]
) -> None:
    outcome.assert_clean(exit_codes=exit_codes)
    assert_no_canary(canary)
    inputs.assert_unchanged()
    assert f"[{code}]" in outcome.output, outcome.output


def _plan(tmp_path: Path, config_text: str, *extra: str) -> tuple[Outcome, Inputs]:
    config = tmp_path / "evil.py"
    config.write_text(config_text)
    inputs = Inputs(sorted(p for p in tmp_path.rglob("*") if p.is_file()))
    return run_limited(["plan", str(config), *extra], cwd=tmp_path), inputs


# Through `plan`: the model factory. Every payload targets the canary file.
MODEL_CASES = [
    # A walk through a module the project imported.
    ("mymodel:os.system", "command='touch CANARY'", "IC241"),
    ("mymodel:subprocess.run", "args=['touch', 'CANARY']", "IC241"),
    ("mymodel:torch.load", "f='CANARY', weights_only=False", "IC241"),
    ("mymodel:Holder.tools.system", "command='touch CANARY'", "IC241"),
    ("mymodel.py:os.system", "command='touch CANARY'", "IC241"),
    # Private names: the module's builtins, its globals, a private function.
    ("mymodel:__builtins__.exec", "source='open(\"CANARY\", \"w\")'", "IC241"),
    ("mymodel:build.__globals__", "width=4", "IC241"),
    ("mymodel:_private_build", "width=4", "IC241"),
    ("_mymodel:build", "width=4", "IC241"),
    # A callable the project imported from elsewhere, reached by its own name.
    ("mymodel:load", "f='CANARY', weights_only=False", "IC240"),
    ("mymodel:system", "command='touch CANARY'", "IC240"),
    # os.makedirs is Python code of a frozen module: its file is `<frozen os>`, which
    # must not pass for a path inside the project.
    ("mymodel:makedirs", "name='CANARY'", "IC240"),
    ("mymodel:runner", "command='touch CANARY'", "IC240"),
    ("mymodel:Spawner", "args=['touch', 'CANARY']", "IC240"),
    # A method inherited from the standard library, on a project class.
    ("mymodel:Writer.write_text", "self='CANARY', data='x'", "IC240"),
    # Modules outside the project, named directly.
    ("os:system", "command='touch CANARY'", "IC240"),
    ("torch.serialization:load", "f='CANARY', weights_only=False", "IC240"),
]


@pytest.mark.parametrize(("target", "arguments", "code"), MODEL_CASES)
def test_model_factory_outside_the_project_is_refused(
    target: str, arguments: str, code: str, tmp_path: Path
) -> None:
    canary = _project(tmp_path)
    outcome, inputs = _plan(tmp_path, f"model = dict(type={target!r}, {arguments})\n")
    _checked(outcome, code, inputs, canary, exit_codes=(2,))


@pytest.mark.parametrize("kind", ["absolute", "symlink", "parent"])
def test_a_py_path_outside_the_project_is_refused(kind: str, tmp_path: Path) -> None:
    canary = _project(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    if kind == "absolute":
        target = f"{os.__file__}:system"
    elif kind == "symlink":  # inside the project by name, the standard library in fact
        (project / "tools.py").symlink_to(os.__file__)
        target = "tools.py:system"
    else:
        (tmp_path / "outside.py").write_text("import os\nsystem = os.system\n")
        target = "../outside.py:system"
    config = project / "evil.py"
    config.write_text(f"model = dict(type={target!r}, command='touch {canary}')\n")
    inputs = Inputs([config, tmp_path / "mymodel.py"])
    outcome = run_limited(["plan", str(config)], cwd=project)
    _checked(outcome, "IC240", inputs, canary, exit_codes=(2,))


@pytest.mark.parametrize(
    ("module", "callable_name", "arguments"),
    [
        # cProfile.run executes its statement; timeit.timeit too. The project's files of
        # the same names are harmless, so a check that looked at them alone would pass.
        ("cProfile", "run", "statement='open(\"CANARY\", \"w\")'"),
        ("timeit", "timeit", "stmt='open(\"CANARY\", \"w\")', number=1"),
        # An installed package: the project's yaml.py against PyYAML.
        ("yaml", "unsafe_load", "stream='!!python/object/apply:os.system [\"touch CANARY\"]'"),
    ],
)
def test_a_project_file_named_like_a_module_outside_is_refused(
    module: str, callable_name: str, arguments: str, tmp_path: Path
) -> None:
    # The project is the config's folder, not the working directory: `python -m` puts
    # the working directory on sys.path, and a timeit.py there would shadow the
    # standard library for the interpreter itself, before initcfg runs.
    project = tmp_path / "project"
    project.mkdir()
    canary = tmp_path / "CANARY"
    (project / f"{module}.py").write_text(
        f"def {callable_name}(**kwargs):\n    return None\n"
    )
    config = project / "evil.py"
    payload = arguments.replace("CANARY", str(canary))
    config.write_text(f"model = dict(type='{module}:{callable_name}', {payload})\n")
    inputs = Inputs([config, project / f"{module}.py"])
    outcome = run_limited(["plan", str(config)], cwd=tmp_path)
    _checked(outcome, "IC242", inputs, canary, exit_codes=(2,))
    assert f"{module}.py:" in outcome.output  # the hint: name the file instead


@pytest.mark.parametrize(
    ("section", "dataset", "evaluator", "code"),
    [
        ("dataset", "mymodel:os.system", "mymodel:Data", "IC241"),
        ("dataset", "mymodel:system", "mymodel:Data", "IC240"),
        ("evaluator", "mymodel:Data", "mymodel:Spawner", "IC240"),
        ("evaluator", "mymodel:Data", "mymodel:subprocess.Popen", "IC241"),
    ],
)
def test_train_refuses_dataset_and_evaluator_factories_outside_the_project(
    section: str, dataset: str, evaluator: str, code: str, tmp_path: Path
) -> None:
    canary = _project(tmp_path)
    payload = {"command": "'touch CANARY'"} if "system" in (dataset + evaluator) else {
        "args": "['touch', 'CANARY']"
    }
    extra = ", " + ", ".join(f"{k}={v}" for k, v in payload.items())
    text = "model = dict(type='mymodel:build', width=4)\n" + TRAIN_TAIL.format(
        dataset=dataset,
        dataset_args=extra if section == "dataset" else "",
        evaluator=evaluator,
        evaluator_args=extra if section == "evaluator" else "",
    )
    config = tmp_path / "evil.py"
    config.write_text(text)
    inputs = Inputs([config, tmp_path / "mymodel.py"])
    work = tmp_path / "work"
    outcome = run_limited(["train", str(config), "--work-dir", str(work)], cwd=tmp_path)
    _checked(outcome, code, inputs, canary, exit_codes=(1,))
    assert not list(work.glob("*.pth")) and not (work / "train_log.jsonl").exists()


def test_project_factories_still_work(tmp_path: Path) -> None:
    # The rules refuse what lies outside the project, not the project itself: a module,
    # a package's submodule, a file path, a class and a function all build.
    _project(tmp_path)
    package = tmp_path / "nets" / "heads"
    package.mkdir(parents=True)
    (tmp_path / "nets" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "linear.py").write_text(
        "import torch\n\nclass Head(torch.nn.Linear):\n    def __init__(self, width):\n"
        "        super().__init__(width, 3)\n"
    )
    for target in ("mymodel:build", "nets.heads.linear:Head", "mymodel.py:build"):
        outcome, _ = _plan(tmp_path, f"model = dict(type={target!r}, width=4)\n")
        outcome.assert_clean(exit_codes=(0,))
        assert "weight" in outcome.output, (target, outcome.output)


def test_the_command_line_and_trust_lift_the_project_rule(tmp_path: Path) -> None:
    # --model is typed by the user, not read from a file under review.
    _project(tmp_path)
    config = tmp_path / "c.py"
    config.write_text("model = dict(type='Registered')\n")
    outcome = run_limited(["plan", str(config), "--model", "torch.nn:Identity"], cwd=tmp_path)
    outcome.assert_clean(exit_codes=(0,))
    outcome, _ = _plan(tmp_path, "model = dict(type='mymodel:Spawner', args=['true'])\n",
                       "--trust-python")
    # Trusted: Popen is called (it runs `true`), then rejected as no nn.Module.
    outcome.assert_clean(exit_codes=(2,))
    assert "returned a Popen, not a torch.nn.Module" in outcome.output
