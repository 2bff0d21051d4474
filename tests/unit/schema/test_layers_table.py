"""The committed layer table is what scripts/generate_layers.py makes of the installed torch."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "scripts" / "generate_layers.py"
TABLE = REPO / "src" / "initcfg" / "schema" / "layers_table.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_layers", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    pytest.importorskip("torch.nn")  # populates sys.modules with torch.nn.modules.*
    table: dict[str, str] = _generator().collect()
    return table


def test_table_is_current(generated: dict[str, str]) -> None:
    text = _generator().render(generated)
    committed = TABLE.read_text()
    if text != committed:
        from initcfg.schema.layers_table import LAYER_KINDS

        added = sorted(set(generated) - set(LAYER_KINDS))
        removed = sorted(set(LAYER_KINDS) - set(generated))
        changed = sorted(
            k for k in generated.keys() & LAYER_KINDS if generated[k] != LAYER_KINDS[k]
        )
        pytest.fail(
            "src/initcfg/schema/layers_table.py is stale for the installed torch; run "
            f"`python scripts/generate_layers.py` (added {added}, removed {removed}, "
            f"changed {changed})"
        )


def test_table_module_holds_the_rendered_values(generated: dict[str, str]) -> None:
    from initcfg.schema.layers_table import LAYER_KINDS

    assert generated == LAYER_KINDS


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Conv2d", "matrix"),
        ("Linear", "matrix"),
        ("ConvTranspose2d", "matrix"),
        ("Embedding", "matrix"),
        ("BatchNorm2d", "vector"),
        ("LayerNorm", "vector"),
        ("GroupNorm", "vector"),
        ("PReLU", "vector"),
        ("SyncBatchNorm", "vector"),
        ("LazyConv2d", "matrix"),
        ("LazyBatchNorm2d", "vector"),
        ("MultiheadAttention", "no_params"),
        ("ReLU", "no_params"),
        ("LSTM", "recurrent"),
        ("GRUCell", "recurrent"),
        ("RNN", "recurrent"),
        ("_ConvNd", "matrix"),
        ("_BatchNorm", "vector"),
    ],
)
def test_kinds_agree_with_what_torch_builds(name: str, kind: str) -> None:
    from initcfg.schema.layers_table import LAYER_KINDS

    assert LAYER_KINDS[name] == kind


def test_kinds_match_real_modules() -> None:
    # The kinds say what MMEngine can do: check them against freshly built modules.
    torch = pytest.importorskip("torch")
    from initcfg.schema.layers_table import LAYER_KINDS

    modules = {
        "Conv1d": torch.nn.Conv1d(2, 2, 1),
        "Bilinear": torch.nn.Bilinear(2, 2, 2),
        "InstanceNorm2d": torch.nn.InstanceNorm2d(4, affine=True),
        "GRU": torch.nn.GRU(2, 2),
        "Dropout": torch.nn.Dropout(),
    }
    for name, module in modules.items():
        weight = getattr(module, "weight", None)
        bias = getattr(module, "bias", None)
        if isinstance(bias, bool):
            assert LAYER_KINDS[name] == "recurrent"
        elif weight is None and bias is None:
            assert LAYER_KINDS[name] == "no_params"
        else:
            assert weight is not None
            assert LAYER_KINDS[name] == ("matrix" if weight.dim() >= 2 else "vector")


@pytest.mark.parametrize("name", ["InstanceNorm2d", "_InstanceNorm", "LazyInstanceNorm2d"])
def test_optional_affine_norms_count_as_vector(name: str) -> None:
    from initcfg.schema.layers_table import LAYER_KINDS

    assert LAYER_KINDS[name] == "vector"
