"""Checkpoints whose file is fine but whose contents no model can take, through the CLI.

Each is refused as IC409 at the line that names it, with exit 1 and no output file: a
load that torch would turn into a printed copy error (or a raise) must not be planned
as loaded, nor reach a traceback. A tensor under a key the model lacks is never read,
so it stops nothing.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch
from harness import Inputs, run_limited


def _write_linear_factory(folder: Path) -> None:
    """``factory:build``, a 2x2 Linear, for the configs below to name."""
    (folder / "factory.py").write_text(
        "import torch\n\ndef build():\n    return torch.nn.Linear(2, 2)\n")


def _ragged_tensor() -> torch.Tensor:
    """A nested tensor, which torch cannot copy into a dense parameter."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: nested tensors are a prototype
        return torch.nested.nested_tensor([torch.zeros(2), torch.zeros(3)])


def test_a_nested_tensor_in_a_checkpoint_is_ic409_not_a_traceback(tmp_path: Path) -> None:
    _write_linear_factory(tmp_path)
    ragged = _ragged_tensor()
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


def test_a_nested_tensor_under_a_key_the_model_lacks_is_passed_over(tmp_path: Path) -> None:
    # MMEngine's non-strict load never reads keys the model does not have, so the rest
    # of the checkpoint loads: refusing the whole file for that entry stopped a good run.
    _write_linear_factory(tmp_path)
    ragged = _ragged_tensor()
    checkpoint = tmp_path / "weights.pth"
    torch.save({"weight": torch.full((2, 2), 3.0), "bias": torch.zeros(2), "extra": ragged},
               checkpoint)
    config = tmp_path / "c.py"
    config.write_text("model = dict(type='factory:build')\nload_from = 'weights.pth'\n")
    output = tmp_path / "out.pth"
    outcome = run_limited(["plan", str(config), "--apply", "--output", str(output)],
                          cwd=tmp_path)
    outcome.assert_clean(exit_codes=(0,))
    assert "IC409" not in outcome.output
    saved = torch.load(output, weights_only=True)
    assert torch.equal(saved.get("state_dict", saved)["weight"], torch.full((2, 2), 3.0))


def test_a_torchvision_that_fails_to_import_is_ic409_at_the_torchvision_url(
    tmp_path: Path,
) -> None:
    # Resolving torchvision://NAME imports torchvision; a build for another torch raises
    # RuntimeError there, which was blamed on "the model's code" (exit 2, no location).
    import importlib.util

    from openmmlab import _torchvision_ops_load

    if importlib.util.find_spec("torchvision") is None or _torchvision_ops_load():
        pytest.skip("this torchvision imports (or there is none): nothing to report")
    _write_linear_factory(tmp_path)
    config = tmp_path / "c.py"
    config.write_text("model = dict(type='factory:build')\n"
                      "load_from = 'torchvision://resnet50'\n")
    outcome = run_limited(["plan", str(config)], cwd=tmp_path)
    outcome.assert_clean(exit_codes=(1,))
    assert f"{config}:2:1: error[IC409] cannot resolve 'torchvision://resnet50'" in outcome.output
    assert "built for another torch" in outcome.output
    assert "the model's code" not in outcome.output
