"""The harness itself: limits are real, and the checks catch what they promise to."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import Inputs, assert_no_canary, run_limited


def test_a_clean_run_passes(tmp_path: Path) -> None:
    config = tmp_path / "ok.yaml"
    config.write_text("model:\n  init_cfg: {type: Kaiming, layer: Conv2d}\n")
    inputs = Inputs([config])
    outcome = run_limited(["validate", str(config)], cwd=tmp_path)
    outcome.assert_clean(exit_codes=[0])
    inputs.assert_unchanged()


def test_the_cpu_limit_kills_a_busy_child(tmp_path: Path) -> None:
    outcome = run_limited([], cwd=tmp_path, cpu_seconds=1,
                          python_args=("-c", "while True: pass"))
    assert outcome.killed_by in {"SIGXCPU", "SIGKILL"}
    with pytest.raises(AssertionError, match="killed by"):
        outcome.assert_clean()


def test_the_memory_limit_stops_a_hungry_child(tmp_path: Path) -> None:
    outcome = run_limited([], cwd=tmp_path, memory_bytes=512 * 1024**2,
                          python_args=("-c", "x = bytearray(2 * 1024**3)"))
    assert "MemoryError" in outcome.output
    with pytest.raises(AssertionError):
        outcome.assert_clean()


def test_a_traceback_fails_the_check(tmp_path: Path) -> None:
    outcome = run_limited([], cwd=tmp_path, python_args=("-c", "raise ValueError('x')"))
    with pytest.raises(AssertionError, match="traceback"):
        outcome.assert_clean()


def test_changed_inputs_and_canaries_are_caught(tmp_path: Path) -> None:
    target = tmp_path / "in.py"
    target.write_text("x = 1\n")
    inputs = Inputs([target])
    target.write_text("x = 2\n")
    with pytest.raises(AssertionError, match="inputs changed"):
        inputs.assert_unchanged()
    with pytest.raises(AssertionError, match="ran code"):
        assert_no_canary(target)
