"""InitcfgHook inside MMEngine 0.10.7's real Runner, on a small model registered in
MMEngine's registries: what it logs, when it stops a run, the load of a checkpoint that
MMEngine itself wrote (refused by torch>=2.6 without the hook), and that it changes no
weight."""

from __future__ import annotations

import copy
import itertools
import pickle
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mmengine")

import mmengine_toy  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from mmengine_toy import SEEN, toy_config  # noqa: E402

from initcfg.mmengine import InitcfgStop  # noqa: E402

_names = itertools.count()
HOOKED = {
    "custom_imports": {
        "imports": ["mmengine_toy", "initcfg.mmengine"],
        "allow_failed_imports": False,
    },
}


def _runner(tmp_path: Path, config: dict[str, Any], *, hook: bool = True, **hook_args: Any):
    """A Runner built from ``config`` written to a file, as ``tools/train.py`` builds one."""
    config = copy.deepcopy(config)
    if hook:
        config.update(HOOKED)
        config.setdefault("custom_hooks", []).append({"type": "InitcfgHook", **hook_args})
    name = f"toy_{next(_names)}"
    config["experiment_name"] = name  # one MMLogger per run, even within one second
    path = tmp_path / f"{name}.py"
    Config(config).dump(str(path))
    return Runner.from_cfg(Config.fromfile(str(path)))


def _log(runner: Any) -> str:
    return "\n".join(p.read_text() for p in Path(runner.log_dir).glob("*.log"))


def _pretrained(tmp_path: Path) -> Path:
    """A checkpoint written by MMEngine's own CheckpointHook (no initcfg involved)."""
    runner = _runner(tmp_path, toy_config(str(tmp_path / "pretrain")), hook=False)
    runner.train()
    checkpoint = tmp_path / "pretrain" / "epoch_1.pth"
    assert checkpoint.is_file()
    return checkpoint


def _with_head(config: dict[str, Any], num_classes: int) -> dict[str, Any]:
    config["model"]["head"]["num_classes"] = num_classes
    return config


def test_without_the_hook_mmengine_cannot_load_its_own_checkpoint(tmp_path: Path) -> None:
    # The problem the hook solves: torch>=2.6 loads weights-only by default, and the
    # checkpoint holds MMEngine's HistoryBuffer.
    checkpoint = _pretrained(tmp_path)
    config = toy_config(str(tmp_path / "plain"), load_from=str(checkpoint))
    runner = _runner(tmp_path, config, hook=False)
    with pytest.raises(pickle.UnpicklingError, match="HistoryBuffer"):
        runner.train()


def test_finetune_from_an_mmengine_checkpoint_logs_plan_and_fresh_head(tmp_path: Path) -> None:
    checkpoint = _pretrained(tmp_path)
    source = torch.load(checkpoint, map_location="cpu", weights_only=False)["state_dict"]
    config = _with_head(toy_config(str(tmp_path / "ft"), load_from=str(checkpoint)), 5)
    config["custom_hooks"] = [{"type": "WeightProbe", "name": "finetune"}]
    runner = _runner(tmp_path, config)
    runner.train()
    log = _log(runner)
    assert "Epoch(train) [1][2/2]" in log
    assert "InitcfgHook: init plan: 6 parameters" in log
    assert "head.fc.weight (5, 8): Normal(std=0.01)" in log
    assert f"InitcfgHook: load_from {checkpoint}: 7 tensors loaded, 0 missing, " in log
    assert "2 skipped for a shape mismatch" in log
    assert "shape mismatch: head.fc.weight (3, 8) in the checkpoint, (5, 8) in the model" in log
    for name in ("head.fc.weight", "head.fc.bias"):
        assert f"keeps its fresh initialization: {name} (Normal(std=0.01) at " in log
    assert "keeps its fresh initialization: backbone" not in log
    seen = SEEN["finetune"]
    assert torch.equal(seen["backbone.conv.weight"], source["backbone.conv.weight"])
    assert seen["head.fc.weight"].shape == (5, 8)


def test_the_hook_changes_no_weight(tmp_path: Path) -> None:
    finals = []
    for hook in (False, True):
        config = toy_config(str(tmp_path / f"hook_{hook}"))
        config["custom_hooks"] = [{"type": "WeightProbe", "name": f"hook_{hook}"}]
        runner = _runner(tmp_path, config, hook=hook)
        runner.train()
        finals.append({k: v.clone() for k, v in runner.model.state_dict().items()})
    initial_without, initial_with = SEEN["hook_False"], SEEN["hook_True"]
    assert initial_without.keys() == initial_with.keys()
    for key in initial_without:
        assert torch.equal(initial_without[key], initial_with[key]), key
        assert torch.equal(finals[0][key], finals[1][key]), key
    # the init_cfg acted (so equality is not two untouched models)
    assert initial_with["head.fc.weight"].std() < 0.05


@pytest.mark.parametrize(
    ("head_init", "code"),
    [
        ({"type": "Kaiming", "layer": "Linear", "mode": "fan_inn"}, "IC105"),
        ({"type": "Normal", "layer": "Linear", "override": {"name": "fcc"}}, None),
    ],
    ids=["grammar", "model"],
)
def test_an_init_cfg_error_stops_the_run_before_anything_is_written(
    tmp_path: Path, head_init: dict[str, Any], code: str | None
) -> None:
    config = toy_config(str(tmp_path / "broken"))
    config["model"]["head"]["init_cfg"] = head_init
    runner = _runner(tmp_path, config)
    before = {k: v.clone() for k, v in runner.model.state_dict().items()}
    with pytest.raises(InitcfgStop) as stopped:
        runner.train()
    found = stopped.value.diagnostics
    assert found and all(d.severity == "error" for d in found)
    if code is not None:
        assert code in {d.code for d in found}
    shown = found[0].code
    assert shown in str(stopped.value.code) and "nothing was initialized" in str(stopped.value.code)
    assert stopped.value.code and isinstance(stopped.value, SystemExit)
    log = _log(runner)
    logged = [line for line in log.splitlines() if f"error[{shown}]" in line]
    assert len(logged) == 1 and " - ERROR - " in logged[0] and "InitcfgHook: " in logged[0]
    assert "Epoch(train)" not in log
    assert not list((tmp_path / "broken").glob("*.pth"))
    for key, value in runner.model.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_a_test_run_which_initializes_nothing_is_not_stopped(tmp_path: Path) -> None:
    # runner.test() (tools/test.py) calls before_run but never init_weights, and MMEngine
    # tests whatever the init_cfg says; the hook logs the finding, loads the checkpoint
    # MMEngine wrote (refused by torch>=2.6 without it) and lets the test run.
    checkpoint = _pretrained(tmp_path)
    config = toy_config(
        str(tmp_path / "test"),
        load_from=str(checkpoint),
        test_dataloader={
            "batch_size": 2, "num_workers": 0, "dataset": {"type": "ToyDataset", "size": 4},
            "sampler": {"type": "DefaultSampler", "shuffle": False},
            "collate_fn": {"type": "default_collate"},
        },
        test_cfg={"type": "TestLoop"},
        test_evaluator={"type": "DumpResults", "out_file_path": str(tmp_path / "out.pkl")},
    )
    config["model"]["head"]["init_cfg"] = {"type": "Kaiming", "layer": "Linear", "mode": "fan_inn"}
    runner = _runner(tmp_path, config)
    runner.test()
    assert (tmp_path / "out.pkl").is_file()
    log = _log(runner)
    assert "error[IC105]" in log and f"load_from {checkpoint}: 9 tensors loaded, 0 missing" in log
    with pytest.raises(InitcfgStop, match="IC105"):  # training it still stops
        runner.train()


def test_a_layer_typo_is_logged_as_a_warning_with_its_suggestion(tmp_path: Path) -> None:
    config = toy_config(str(tmp_path / "typo"))
    config["model"]["backbone"]["init_cfg"]["layer"] = "Conv2D"
    runner = _runner(tmp_path, config)
    runner.train()
    log = _log(runner)
    warning = next(line for line in log.splitlines() if "warning[IC115]" in line)
    assert "WARNING - InitcfgHook: " in warning and "'Conv2D'" in warning
    assert "hint: did you mean 'Conv2d'?" in log
    assert "Epoch(train) [1][2/2]" in log


def test_fail_on_warning_stops_on_the_typo(tmp_path: Path) -> None:
    config = toy_config(str(tmp_path / "strict"))
    config["model"]["backbone"]["init_cfg"]["layer"] = "Conv2D"
    runner = _runner(tmp_path, config, fail_on="warning")
    with pytest.raises(InitcfgStop, match="IC115"):
        runner.train()
    assert "Epoch(train)" not in _log(runner)


def test_resume_restores_mmengine_s_message_hub(tmp_path: Path) -> None:
    work = tmp_path / "resume"
    _runner(tmp_path, toy_config(str(work))).train()
    config = toy_config(str(work), resume=True)
    config["train_cfg"] = {"by_epoch": True, "max_epochs": 2}
    runner = _runner(tmp_path, config)
    runner.train()
    log = _log(runner)
    # Two runners started in the same second share MMEngine's timestamped log folder,
    # so only what the second one logged after resuming is its own.
    assert "resumed from" in log
    after_resume = log.rsplit("resumed from", 1)[1]
    assert "Epoch(train) [2][2/2]" in after_resume
    assert "Epoch(train) [1]" not in after_resume
    # the HistoryBuffer came back as MMEngine's own, with the first epoch's history
    lrs = runner.message_hub.get_scalar("train/lr")
    assert type(lrs).__name__ == "HistoryBuffer" and len(lrs.data[0]) == 4
    assert (work / "epoch_2.pth").is_file()


def test_before_a_resume_ic405_says_the_resumed_checkpoint_loads_the_untouched(
    tmp_path: Path,
) -> None:
    # The toy's BatchNorm has no init step: IC405 said its parameters "keep torch's
    # default", but the Runner resumes from epoch_1.pth right after init_weights.
    work = tmp_path / "resume"
    config = toy_config(str(work), resume=True)
    first = _runner(tmp_path, config)
    first.train()  # nothing to resume from yet: the Runner starts from scratch
    assert "info[IC405] 2 of 6 parameters keep torch's default initialization" in _log(first)
    config["train_cfg"] = {"by_epoch": True, "max_epochs": 2}
    runner = _runner(tmp_path, config)
    runner.train()
    # Two runners started in the same second share a log folder: take the second's part.
    log = _log(runner).rsplit("IC317", 1)[1]
    latest = str(work / "epoch_1.pth")
    assert "keep torch's default initialization" not in log
    assert (
        f"info[IC405] 2 of 6 parameters no init step writes (the resume from {latest} "
        "then loads the checkpoint's values over them)"
    ) in log
    assert f"overwritten at least once; then the resume from {latest} loads" in log


def test_a_bad_fail_on_is_refused() -> None:
    from initcfg.mmengine import InitcfgHook

    with pytest.raises(ValueError, match="'fail_on' must be"):
        InitcfgHook(fail_on="errors")


def test_the_hook_is_registered_on_import() -> None:
    from mmengine.registry import HOOKS

    import initcfg.mmengine

    assert HOOKS.get("InitcfgHook") is initcfg.mmengine.InitcfgHook
    assert mmengine_toy.ToyClassifier.__name__ == "ToyClassifier"


def test_the_readme_s_two_lines_turn_the_hook_on(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Use inside MMEngine", 1)[1]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(block.strip().splitlines()) == 2
    config = toy_config(str(tmp_path / "readme"), experiment_name=f"toy_{next(_names)}")
    path = tmp_path / "readme.py"
    Config(config).dump(str(path))
    path.write_text(path.read_text() + "\n" + block)  # the README's lines replace imports
    runner = Runner.from_cfg(Config.fromfile(str(path)))
    assert runner.cfg.custom_imports["imports"] == ["initcfg.mmengine"]
    runner.train()
    assert "InitcfgHook: init plan: 6 parameters" in _log(runner)


def test_a_finding_in_the_config_itself_is_logged_at_it_not_as_from_base() -> None:
    # Plans name their config on every finding now, the config's own lines included.
    from initcfg.diagnostics import Location, diagnostic
    from initcfg.mmengine import _one_diagnostic

    typo = diagnostic("IC402", "layer 'Conv2D' matches no module under the model")
    own = _one_diagnostic(typo.at(Location("cfg.py", 3, 5), "cfg.py"), "cfg.py")
    assert own.startswith("cfg.py:3:5: warning[IC402]") and "from base" not in own
    inherited = _one_diagnostic(typo.at(Location("base.py", 2, 1), "cfg.py"), "cfg.py")
    assert inherited.startswith("cfg.py: warning[IC402]")
    assert "from base base.py:2:1" in inherited
