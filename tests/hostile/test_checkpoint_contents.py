"""Checkpoints whose file is fine but whose contents no model can take, through the CLI.

Each is refused as IC409 at the line that names it, with exit 1 and no output file: a
load that torch would turn into a printed copy error (or a raise) must not be planned
as loaded, nor reach a traceback.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from harness import Inputs, run_limited


def test_a_nested_tensor_in_a_checkpoint_is_ic409_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "factory.py").write_text(
        "import torch\n\ndef build():\n    return torch.nn.Linear(2, 2)\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: nested tensors are a prototype
        ragged = torch.nested.nested_tensor([torch.zeros(2), torch.zeros(3)])
    checkpoint = tmp_path / "weights.pth"
    torch.save({"weight": ragged, "bias": torch.zeros(2)}, checkpoint)
    config = tmp_path / "c.py"
    config.write_text("model = dict(type='factory:build')\nload_from = 'weights.pth'\n")
    inputs = Inputs([config, checkpoint])
    output = tmp_path / "out.pth"
    outcome = run_limited(["plan", str(config), "--apply", "--output", str(output)],
                          cwd=tmp_path)
    outcome.assert_clean(exit_codes=(1,))
    assert f"{config}:2:1: error[IC409]" in outcome.output
    assert "'weight' (a nested tensor)" in outcome.output
    assert not output.exists()
    inputs.assert_unchanged()
