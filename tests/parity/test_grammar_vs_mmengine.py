"""The grammar against MMEngine 0.10.7: what initcfg calls valid, MMEngine runs; what
initcfg calls an error, MMEngine rejects.

MMEngine fails only when an entry meets a module (a wrong ``distribution`` on a layer
that matches nothing passes there), so every value runs on :class:`Probe`, a model in
which every layer name and override name used below matches something. Pretrained
entries get a real checkpoint written to ``tmp_path`` in place of theirs.
"""

from __future__ import annotations

import copy
import itertools
import math
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
mmengine = pytest.importorskip("mmengine")

from mmengine.config import Config  # noqa: E402
from mmengine.model import BaseModule, initialize  # noqa: E402
from torch import nn  # noqa: E402

import initcfg  # noqa: E402
from initcfg.schema import Constant, Pretrained, Uniform, WeightInit  # noqa: E402
from initcfg.schema.init_cfg import parse_init_cfg  # noqa: E402
from initcfg.schema.registry import initializer_types  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "init_cfg"
DONOR_VALUE = 0.25  # every tensor in the saved checkpoint holds this


class Probe(nn.Module):
    """Every layer class and override name that the cases below refer to."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1d = nn.Conv1d(2, 4, 3)
        self.conv2d = nn.Conv2d(4, 8, 3)
        self.linear = nn.Linear(8, 6)
        self.bn = nn.BatchNorm2d(8)
        self.ln = nn.LayerNorm(6)
        self.gn = nn.GroupNorm(2, 8)
        self.inorm = nn.InstanceNorm2d(8, affine=True)
        self.lstm = nn.LSTM(4, 4)
        self.attn = nn.MultiheadAttention(8, 2)
        # Override targets of the examples (all with weights of 2+ dims, so every
        # fan-based type applies to them as a whole module).
        self.reg = nn.Conv2d(8, 4, 1)
        self.cls = nn.Linear(6, 3)
        self.fc_cls = nn.Linear(6, 3)
        self.retina_cls = nn.Conv2d(8, 9, 3)
        self.head = nn.Sequential(nn.Conv2d(8, 8, 1), nn.ReLU(), nn.Linear(8, 2))


def _probe() -> Probe:
    torch.manual_seed(0)
    return Probe()


def _snapshot(model: nn.Module) -> dict[str, Any]:
    return {key: value.clone() for key, value in model.state_dict().items()}


def _changed(model: nn.Module, before: dict[str, Any]) -> list[str]:
    return [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]


def _non_finite(model: nn.Module) -> list[str]:
    return [n for n, p in model.named_parameters() if not torch.isfinite(p).all()]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A real checkpoint of Probe, stored plain and under the prefix ``backbone.``."""
    donor = _probe()
    with torch.no_grad():
        for tensor in donor.state_dict().values():
            if tensor.is_floating_point():
                tensor.fill_(DONOR_VALUE)
    state = donor.state_dict()
    state.update({f"backbone.{key}": value for key, value in donor.state_dict().items()})
    path = tmp_path_factory.mktemp("ckpt") / "probe.pth"
    torch.save({"state_dict": state}, path)
    return str(path)


def _with_checkpoint(value: Any, path: str) -> Any:
    """``value`` with every Pretrained checkpoint (overrides included) pointed at ``path``."""
    if isinstance(value, list):
        return [_with_checkpoint(item, path) for item in value]
    if isinstance(value, dict):
        out = {k: _with_checkpoint(v, path) for k, v in value.items()}
        if out.get("type") == "Pretrained" and "checkpoint" in out:
            out["checkpoint"] = path
        return out
    return value


def _run(model: nn.Module, value: Any) -> BaseException | None:
    """Run MMEngine's initialize; the exception it raised, or None."""
    return _run_observed(model, value)[0]


def _run_observed(model: nn.Module, value: Any) -> tuple[BaseException | None, bool]:
    """Run MMEngine's initialize: the exception it raised (or None), and whether numpy
    warned while MMEngine computed a bias from ``bias_prob`` (an inf or NaN bias)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            initialize(model, copy.deepcopy(value))
        except Exception as error:  # any exception is MMEngine rejecting the value
            return error, False
    numpy_warned = any(
        issubclass(w.category, RuntimeWarning) and "log" in str(w.message) for w in caught
    )
    return None, numpy_warned


def _errors(value: Any) -> list[str]:
    return [d.code for d in initcfg.validate_init_cfg(value) if d.severity == "error"]


# --- the values in examples/init_cfg ------------------------------------------------------


def _init_cfgs(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if key == "init_cfg":
                yield where, value
            else:
                yield from _init_cfgs(value, where)
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            yield from _init_cfgs(value, f"{path}[{index}]")


def _example_values() -> list[tuple[str, Any]]:
    # MMEngine's own reader extracts the values, so a Python example means what MMEngine
    # makes of it (a tuple stays a tuple).
    found = []
    for path in sorted(EXAMPLES.rglob("*")):
        if path.suffix not in (".yaml", ".py"):
            continue
        if path.suffix == ".yaml" and path.with_suffix(".py").exists():
            continue  # the Python twin holds the same values (test_examples checks it)
        data = Config.fromfile(str(path)).to_dict()
        for where, value in _init_cfgs(data):
            found.append((f"{path.relative_to(EXAMPLES)}:{where}", value))
    return found


EXAMPLE_VALUES = _example_values()


def test_examples_hold_enough_values() -> None:
    assert len(EXAMPLE_VALUES) >= 40


@pytest.mark.parametrize(
    "value", [v for _, v in EXAMPLE_VALUES], ids=[i for i, _ in EXAMPLE_VALUES]
)
def test_example_value_agrees_with_mmengine(value: Any, checkpoint: str) -> None:
    errors = _errors(value)
    model = _probe()
    if value == {}:
        # IC122 (a warning): `initialize` raises KeyError('type') on {}, but as a module's
        # init_cfg, which is how configs use it, {} is falsy and applies nothing.
        assert errors == []
        assert isinstance(_run(model, value), KeyError)
        module = _EmptyInitCfg()
        before = _snapshot(module)
        module.init_weights()
        assert _changed(module, before) == []
        return
    raised = _run(model, _with_checkpoint(value, checkpoint))
    if isinstance(value, dict) and "type" not in value and "checkpoint" in value:
        # IC123 (a warning): only a module whose own init_weights reads
        # init_cfg['checkpoint'] (MMDetection's PVT) understands this; MMEngine's generic
        # initialization raises, exactly as the warning says.
        assert errors == [] and isinstance(raised, KeyError)
        assert [d.code for d in initcfg.validate_init_cfg(value)] == ["IC123"]
        return
    if not errors:
        assert raised is None, f"valid for initcfg, MMEngine raised {raised!r}"
    elif _bias_prob_outside_unit(value):
        # An error on purpose although MMEngine may be silent: outside (0, 1) it fills the
        # bias with inf or NaN (or divides by zero at exactly 0).
        assert raised is not None or _non_finite(model), "bias_prob gave a finite bias"
    else:
        assert raised is not None, f"initcfg reports {errors}, MMEngine raised nothing"
        if "did not have attribute" in str(raised):
            # Probe has every override name the examples use, except dotted ones.
            assert "IC113" in errors, raised


def _bias_prob_outside_unit(value: Any) -> bool:
    entries = value if isinstance(value, list) else [value]
    for entry in entries:
        prob = entry.get("bias_prob") if isinstance(entry, dict) else None
        if isinstance(prob, float) and not 0 < prob < 1:
            return True
    return False


class _EmptyInitCfg(BaseModule):
    def __init__(self) -> None:
        super().__init__(init_cfg={})
        self.linear = nn.Linear(2, 2)


# --- the tutorial's stated effects ---------------------------------------------------------


def test_tutorial_constant_layer_list_sets_every_listed_layer() -> None:
    model = _probe()
    before = _snapshot(model)
    assert _run(model, dict(type="Constant", layer=["Conv1d", "Conv2d", "Linear"], val=1)) is None
    for module in (model.conv1d, model.conv2d, model.linear, model.reg, model.cls):
        assert torch.all(module.weight == 1) and torch.all(module.bias == 0)
    changed = {key.rsplit(".", 1)[0] for key in _changed(model, before)}
    assert "bn" not in changed and "gn" not in changed


def test_tutorial_constant_per_layer_values() -> None:
    model = _probe()
    value = [
        dict(type="Constant", layer="Conv1d", val=1),
        dict(type="Constant", layer="Conv2d", val=2),
        dict(type="Constant", layer="Linear", val=3),
    ]
    assert _run(model, value) is None
    assert torch.all(model.conv1d.weight == 1)
    assert torch.all(model.conv2d.weight == 2)
    assert torch.all(model.linear.weight == 3)


def test_tutorial_override_with_type_wins_on_reg() -> None:
    model = _probe()
    value = dict(
        type="Constant",
        layer=["Conv1d", "Conv2d"],
        val=1,
        bias=2,
        override=dict(type="Constant", name="reg", val=3, bias=4),
    )
    assert _run(model, value) is None
    assert torch.all(model.conv2d.weight == 1) and torch.all(model.conv2d.bias == 2)
    assert torch.all(model.reg.weight == 3) and torch.all(model.reg.bias == 4)


def test_tutorial_name_only_override_initializes_only_reg() -> None:
    model = _probe()
    before = _snapshot(model)
    value = dict(type="Constant", val=1, bias=2, override=dict(name="reg"))
    assert _run(model, value) is None
    assert sorted(_changed(model, before)) == ["reg.bias", "reg.weight"]
    assert torch.all(model.reg.weight == 1) and torch.all(model.reg.bias == 2)
    # The grammar's resolved override says the same.
    entries = parse_init_cfg(value).entries
    assert entries is not None
    ((name, inherited),) = entries[0].resolved_overrides()
    assert name == "reg" and isinstance(inherited, Constant)
    assert (inherited.val, inherited.bias_value) == (1, 2.0)


def test_tutorial_pretrained_loads_the_checkpoint(checkpoint: str) -> None:
    model = _probe()
    assert _run(model, dict(type="Pretrained", checkpoint=checkpoint)) is None
    assert torch.all(model.conv2d.weight == DONOR_VALUE)
    assert torch.all(model.bn.running_mean == DONOR_VALUE)  # buffers load too


# --- warnings: MMEngine runs and does what the warning says --------------------------------


@pytest.mark.parametrize(
    ("code", "value"),
    [
        ("IC107", dict(type="Constant", val=1, bias=2)),
        ("IC115", dict(type="Kaiming", layer="Conv2D")),
        ("IC115", dict(type="Constant", val=3, layer=["Linaer", "Batchnorm2d"])),
        ("IC116", dict(type="Xavier", layer="MultiheadAttention")),
        ("IC116", dict(type="Normal", layer=["ReLU", "Dropout"])),
    ],
)
def test_warning_initializes_nothing(code: str, value: Any) -> None:
    assert {d.code for d in initcfg.validate_init_cfg(value)} == {code}
    model = _probe()
    before = _snapshot(model)
    assert _run(model, value) is None
    assert _changed(model, before) == []


def test_unknown_layer_is_silent_by_default_and_initializes_nothing() -> None:
    value = dict(type="Normal", layer="MyConv", std=0.01)
    assert initcfg.validate_init_cfg(value) == []
    assert [d.code for d in initcfg.validate_init_cfg(value, strict=True)] == ["IC119"]
    model = _probe()
    before = _snapshot(model)
    assert _run(model, value) is None
    assert _changed(model, before) == []


def test_multihead_attention_out_proj_is_reached_by_linear() -> None:
    model = _probe()
    assert _run(model, dict(type="Constant", val=7, layer="Linear")) is None
    assert torch.all(model.attn.out_proj.weight == 7)
    assert not torch.all(model.attn.in_proj_weight == 7)


def test_bias_and_bias_prob_bias_prob_wins() -> None:
    value = dict(type="Normal", layer="Conv2d", bias=3, bias_prob=0.01)
    assert [d.code for d in initcfg.validate_init_cfg(value)] == ["IC108"]
    model = _probe()
    assert _run(model, value) is None
    expected = -math.log(0.99 / 0.01)
    assert torch.allclose(model.conv2d.bias, torch.full_like(model.conv2d.bias, expected))


def test_layer_in_override_is_ignored_by_mmengine() -> None:
    value = dict(
        type="Normal",
        layer="Conv1d",
        override=dict(name="head", type="Constant", layer="Conv2d", val=5),
    )
    assert [d.code for d in initcfg.validate_init_cfg(value)] == ["IC111"]
    model = _probe()
    assert _run(model, value) is None
    # The Linear in `head` is set too: the override took the whole submodule.
    assert torch.all(model.head[2].weight == 5)
    assert torch.all(model.head[0].weight == 5)


@pytest.mark.parametrize(
    ("value", "fill"),
    [
        (dict(type="TruncNormal", layer="Linear", mean=5, std=0.02), -2.0),
        (dict(type="TruncNormal", layer="Linear", mean=-5, std=0.02), 2.0),
        (dict(type="TruncNormal", layer="Linear", a=0.5, b=0.5), 0.5),
    ],
)
def test_degenerate_trunc_normal_fills_a_constant(value: Any, fill: float) -> None:
    assert [d.code for d in initcfg.validate_init_cfg(value)] == ["IC120"]
    model = _probe()
    assert _run(model, value) is None
    assert torch.all(model.linear.weight == fill)


def test_non_string_layer_items_are_ignored() -> None:
    value = dict(type="Constant", val=4, layer=["Conv2d", 2, None])
    found = [(d.code, d.path) for d in initcfg.validate_init_cfg(value)]
    assert found == [("IC121", "layer[1]"), ("IC121", "layer[2]")]
    model = _probe()
    assert _run(model, value) is None
    assert torch.all(model.conv2d.weight == 4)


# --- errors: MMEngine raises on a model where the entry applies ---------------------------

ERROR_CASES: list[Any] = [
    ("IC101", "Kaiming", TypeError),
    ("IC101", 3, TypeError),
    ("IC101", [dict(type="Normal", layer="Conv2d"), "Kaiming"], AttributeError),
    ("IC102", dict(layer="Conv2d", std=0.01), KeyError),
    ("IC102", dict(type=3, layer="Conv2d"), TypeError),
    ("IC103", dict(type="kaiming", layer="Conv2d"), KeyError),
    ("IC103", dict(type="KaimingInit", layer="Conv2d"), KeyError),
    ("IC104", dict(type="Normal", layer="Conv2d", bais=0), TypeError),
    ("IC104", dict(type="Caffe2Xavier", layer="Conv2d", mode="fan_in"), TypeError),
    ("IC104", dict(type="Caffe2Xavier", layer="Conv2d", a=1), TypeError),
    ("IC104", dict(type="Pretrained", checkpoint="CKPT", layer="Conv2d"), TypeError),
    ("IC104", dict(type="Pretrained", checkpoint="CKPT", bias=1), TypeError),
    ("IC105", dict(type="Kaiming", layer="Conv2d", mode="fan_inn"), ValueError),
    ("IC105", dict(type="Kaiming", layer="Conv2d", nonlinearity="gelu"), ValueError),
    ("IC105", dict(type="Kaiming", layer="Conv2d", distribution="gauss"), AssertionError),
    ("IC105", dict(type="Xavier", layer="Conv2d", distribution="gauss"), AssertionError),
    (
        "IC105",
        dict(type="Kaiming", layer="Conv2d", nonlinearity="leaky_relu", a="x"),
        ValueError,
    ),
    ("IC105", dict(type="Normal", layer="Conv2d", std=-1), RuntimeError),
    ("IC105", dict(type="Xavier", layer="Conv2d", gain=-1), RuntimeError),
    ("IC105", dict(type="Xavier", layer="Conv2d", gain=-1, distribution="uniform"), RuntimeError),
    ("IC105", dict(type="TruncNormal", layer="Linear", std=0), ZeroDivisionError),
    ("IC105", dict(type="TruncNormal", layer="Linear", std=-1), RuntimeError),
    ("IC105", dict(type="TruncNormal", layer="Linear", a=1, b=0), RuntimeError),
    ("IC105", dict(type="Uniform", layer="Linear", a=1, b=0), RuntimeError),
    ("IC105", dict(type="Normal", layer="Conv2d", bias="0"), TypeError),
    ("IC105", dict(type="Normal", layer="Conv2d", bias=None), TypeError),
    ("IC105", dict(type="Normal", layer="Conv2d", bias_prob=1), TypeError),
    ("IC105", dict(type="Normal", layer="Conv2d", bias_prob=0.0), ZeroDivisionError),
    ("IC105", dict(type="Constant", layer="Conv2d", val="1"), TypeError),
    ("IC105", dict(type="Normal", layer=("Conv2d",)), TypeError),
    ("IC105", dict(type="Normal", layer={"Conv2d"}), TypeError),
    ("IC105", dict(type="Normal", layer=frozenset({"Conv2d"})), TypeError),
    (
        "IC105",
        dict(type="Normal", layer="Conv2d",
             override=dict(name="reg", type="Constant", val=1, layer={"Conv2d"})),
        TypeError,
    ),
    ("IC105", dict(type="Normal", layer=3), TypeError),
    ("IC105", dict(type="Normal", layer="Conv2d", override=dict(name=3)), TypeError),
    ("IC106", dict(type="Constant", layer="Conv2d"), TypeError),
    ("IC106", dict(type="Pretrained"), TypeError),
    ("IC109", dict(type="Normal", layer="Conv2d", override=dict(type="Normal")), ValueError),
    ("IC105", dict(type="Normal", layer="Conv2d", override=dict(name=None)), ValueError),
    ("IC110", dict(type="Normal", layer="Conv2d", override=dict(name="reg", std=1)), ValueError),
    (
        "IC112",
        dict(
            type="Normal",
            layer="Conv2d",
            override=dict(name="reg", type="Constant", val=1, override=dict(name="cls")),
        ),
        TypeError,
    ),
    (
        "IC113",
        dict(type="Xavier", layer="Conv2d", override=dict(name="head.0", type="Xavier")),
        RuntimeError,
    ),
    ("IC114", dict(type="Normal", layer="Conv2d", override="cls"), TypeError),
    ("IC114", dict(type="Normal", layer="Conv2d", override=["cls"]), AttributeError),
    ("IC117", dict(type="Normal", layer="LSTM"), AttributeError),
    ("IC117", dict(type="Constant", val=1, layer=["Conv2d", "LSTM"]), AttributeError),
    ("IC118", dict(type="Kaiming", layer="BatchNorm2d"), ValueError),
    ("IC118", dict(type="Xavier", layer=["Linear", "LayerNorm"]), ValueError),
    ("IC118", dict(type="Caffe2Xavier", layer="GroupNorm"), ValueError),
    ("IC118", dict(type="Kaiming", layer="InstanceNorm2d"), ValueError),
    ("IC105", dict(type="Normal", layer=["Conv2d", ["Linear"]]), TypeError),
    ("IC105", dict(type="Constant", val=1, layer=["Linear", {"a": 1}]), TypeError),
]


@pytest.mark.parametrize(
    ("code", "value", "exception"),
    ERROR_CASES,
    ids=[f"case{i}" for i in range(len(ERROR_CASES))],
)
def test_error_is_an_mmengine_failure(
    code: str, value: Any, exception: type[BaseException], checkpoint: str
) -> None:
    assert code in _errors(value)
    raised = _run(_probe(), _with_checkpoint(value, checkpoint))
    assert isinstance(raised, exception), f"expected {exception.__name__}, got {raised!r}"



@pytest.mark.parametrize(
    "value",
    [
        dict(type="Normal", layer="Conv2d", override=[]),
        dict(type="Uniform", layer="Linear", a=0.5, b=0.5),
        dict(type="Constant", layer="Conv2d", val=True, bias=True),
        dict(type="Kaiming", layer="Conv2d", nonlinearity="leaky_relu", a=-0.5),
        dict(type="Normal", layer="Conv2d", override=None),
        dict(type="mmengine.Constant", layer="Conv2d", val=1),
        dict(type="mmengine.model.KaimingInit", layer="Conv2d"),
        dict(type="Constant", layer="Conv2d", val=1, _scope_="mmengine"),
        # torch lower-cases Kaiming's mode; calculate_gain reads a=None as slope 0.01
        dict(type="Kaiming", layer="Conv2d", mode="FAN_IN"),
        dict(type="Kaiming", layer="Conv2d", mode="Fan_Out", distribution="uniform"),
        dict(type="Kaiming", layer="Conv2d", nonlinearity="leaky_relu", a=None),
        dict(type="Kaiming", layer="Conv2d", a=None),
        # the 64-bit ends torch's fill_ still converts
        dict(type="Constant", layer="Conv2d", val=2**64 - 1, bias=-(2**63)),
    ],
)
def test_mmengine_accepts_and_so_does_the_grammar(value: Any) -> None:
    assert _run(_probe(), value) is None
    assert _errors(value) == []


@pytest.mark.parametrize(
    ("value", "exception"),
    [
        pytest.param(
            dict(type="Normal", layer="Conv2d", override=dict(name="")),
            RuntimeError,
            id="empty-override-name",
        ),
        pytest.param(
            dict(type="Pretrained", checkpoint="CKPT", prefix=""),
            AssertionError,
            id="empty-prefix",
        ),
        pytest.param(
            dict(type="Constant", layer="Conv2d", val=1e300),
            RuntimeError,
            id="val-overflow",
        ),
        pytest.param(
            dict(type="Normal", layer="Conv2d", bias=10**400),
            OverflowError,
            id="bias-overflow",
        ),
        # an int past 64 bits: a float32 holds it, torch's fill_ cannot convert it
        pytest.param(
            dict(type="Constant", layer="Conv2d", val=10**30),
            OverflowError,
            id="val-int-past-64-bits",
        ),
        pytest.param(
            dict(type="Normal", layer="Conv2d", bias=2**64),
            OverflowError,
            id="bias-int-past-uint64",
        ),
        pytest.param(
            dict(type="Normal", layer="Conv2d",
                 override=dict(name="reg", type="Uniform", bias=-(2**63) - 1)),
            OverflowError,
            id="override-bias-int-below-int64",
        ),
    ],
)
def test_mmengine_rejects_and_so_should_the_grammar(
    value: Any, exception: type[BaseException], checkpoint: str
) -> None:
    raised = _run(_probe(), _with_checkpoint(value, checkpoint))
    assert isinstance(raised, exception), raised
    assert _errors(value) != []


@pytest.mark.parametrize("prob", [1.0, 1.5, -0.1])
def test_bias_prob_outside_unit_interval_fills_inf_or_nan(prob: float) -> None:
    # An error on purpose: MMEngine raises nothing and silently writes inf or NaN.
    value = dict(type="Normal", layer="Conv2d", bias_prob=prob)
    assert _errors(value) == ["IC105"]
    model = _probe()
    assert _run(model, value) is None
    assert not torch.isfinite(model.conv2d.bias).any()


def test_kaiming_a_that_is_not_a_number_is_an_error_although_relu_ignores_it() -> None:
    # An error on purpose: with the default relu MMEngine never reads `a`, so a string
    # passes there; it is meaningless and fails as soon as nonlinearity is leaky_relu.
    value = dict(type="Kaiming", layer="Conv2d", a="x")
    assert _errors(value) == ["IC105"]
    assert _run(_probe(), value) is None


@pytest.mark.parametrize(
    "value",
    [
        dict(type="Kaiming", layer="Conv2D", distribution="gauss"),
        dict(type="Uniform", layer="Nothing", a=1, b=0),
        dict(type="Normal", layer="Conv2d", std=-1),
    ],
)
def test_argument_errors_are_found_even_where_mmengine_matches_nothing(value: Any) -> None:
    # MMEngine stays silent while no module matches; the grammar checks values always.
    assert "IC105" in _errors(value)
    assert _run(nn.Sequential(nn.ReLU()), value) is None


# --- a broad generated set of valid entries, with non-default arguments -------------------

MATRIX_LAYERS: list[Any] = ["Conv2d", ["Conv1d", "Linear"], "_ConvNd", ["Linear"]]
ANY_LAYERS: list[Any] = [*MATRIX_LAYERS, ["BatchNorm2d", "LayerNorm"], "_BatchNorm", "GroupNorm"]
OVERRIDES: list[Any] = [
    None,
    dict(name="reg"),
    [dict(name="cls"), dict(name="head")],
    dict(name="reg", type="Normal", std=0.5, bias=-1),
    [dict(name="cls", type="Constant", val=2, bias_prob=0.3), dict(name="fc_cls")],
]


def _arguments() -> Iterator[dict[str, Any]]:
    for val, bias in itertools.product([0, 1.5, -2], [{}, {"bias": 0.5}, {"bias_prob": 0.01}]):
        yield dict(type="Constant", val=val, **bias)
    for gain, dist in itertools.product([0, 0.5, 2], ["normal", "uniform"]):
        yield dict(type="Xavier", gain=gain, distribution=dist)
    for mean, std in itertools.product([-1, 0.3], [0, 0.02, 3]):
        yield dict(type="Normal", mean=mean, std=std, bias=-0.25)
    for mean, std, a, b in [(0, 0.02, -0.04, 0.04), (1, 2, -3, 5), (0.5, 1, 0, 1)]:
        yield dict(type="TruncNormal", mean=mean, std=std, a=a, b=b)
    for a, b in [(-1, 1), (0.5, 0.5), (2, 3.5)]:
        yield dict(type="Uniform", a=a, b=b, bias_prob=0.2)
    nonlinearities = ["relu", "leaky_relu", "tanh", "selu", "linear", "conv2d", "sigmoid"]
    for mode, dist, nonlinearity in itertools.product(
        ["fan_in", "fan_out"], ["normal", "uniform"], nonlinearities
    ):
        yield dict(type="Kaiming", a=0.1, mode=mode, distribution=dist, nonlinearity=nonlinearity)
    caffe_biases: list[dict[str, Any]] = [{}, {"bias": 1}, {"bias_prob": 0.9}]
    for bias in caffe_biases:
        yield dict(type="Caffe2Xavier", **bias)


def _generated_valid() -> list[Any]:
    values: list[Any] = []
    for index, arguments in enumerate(_arguments()):
        fan_based = arguments["type"] in ("Xavier", "Kaiming", "Caffe2Xavier")
        layers = MATRIX_LAYERS if fan_based else ANY_LAYERS
        value = dict(arguments, layer=layers[index % len(layers)])
        override = OVERRIDES[index % len(OVERRIDES)]
        if override is not None:
            value["override"] = override
        values.append(value)
    for prefix, override in itertools.product(
        [None, "backbone", "backbone."], [None, dict(name="reg"), [dict(name="head")]]
    ):
        value = dict(type="Pretrained", checkpoint="CKPT", map_location="cpu")
        if prefix is not None:
            value["prefix"] = prefix
        if override is not None:
            value["override"] = override
        values.append(value)
    values.append(
        [
            dict(type="Kaiming", layer="Conv2d", mode="fan_in"),
            dict(type="Constant", val=1, bias=0, layer=["_BatchNorm", "LayerNorm", "GroupNorm"]),
            dict(type="Normal", std=0.01, override=[dict(name="cls"), dict(name="fc_cls")]),
            dict(type="Pretrained", checkpoint="CKPT", prefix="backbone"),
        ]
    )
    return values


GENERATED_VALID = _generated_valid()


def test_generated_set_is_broad() -> None:
    types = {v["type"] for v in GENERATED_VALID if isinstance(v, dict)}
    assert types == {
        "Constant",
        "Xavier",
        "Normal",
        "TruncNormal",
        "Uniform",
        "Kaiming",
        "Caffe2Xavier",
        "Pretrained",
    }
    assert len(GENERATED_VALID) >= 60


def _matches(module: nn.Module, layers: tuple[str, ...]) -> bool:
    names = {type(module).__name__, *(base.__name__ for base in type(module).__bases__)}
    return bool(names & set(layers))


def _expected_biases(model: nn.Module, entry: WeightInit) -> dict[str, float]:
    """Bias constant per module name after one weight entry (its overrides run last)."""
    expected = {}
    for name, module in model.named_modules():
        if _matches(module, entry.layers) and getattr(module, "bias", None) is not None:
            expected[name] = entry.bias_value
    for attribute, child in entry.resolved_overrides():
        for name, module in getattr(model, attribute).named_modules():
            full = f"{attribute}.{name}" if name else attribute
            if isinstance(child, WeightInit) and getattr(module, "bias", None) is not None:
                expected[full] = child.bias_value
    return expected


@pytest.mark.parametrize(
    "value", GENERATED_VALID, ids=[f"v{i}" for i in range(len(GENERATED_VALID))]
)
def test_generated_valid_entry_runs_in_mmengine(value: Any, checkpoint: str) -> None:
    assert initcfg.validate_init_cfg(value) == []
    model = _probe()
    raised = _run(model, _with_checkpoint(value, checkpoint))
    assert raised is None, f"valid for initcfg, MMEngine raised {raised!r}"
    assert _non_finite(model) == []
    parsed = parse_init_cfg(value).entries
    assert parsed is not None
    if len(parsed) != 1:
        return
    (entry,) = parsed
    modules = dict(model.named_modules())
    if isinstance(entry, WeightInit):
        # The grammar's bias_value and resolved overrides say what MMEngine wrote.
        expected = _expected_biases(model, entry)
        assert expected
        for name, bias in expected.items():
            actual = modules[name].bias
            assert torch.allclose(actual, torch.full_like(actual, bias)), name
        if isinstance(entry, Constant | Uniform) and not entry.override:
            fill = entry.val if isinstance(entry, Constant) else entry.a
            weights = [m.weight for m in modules.values() if _matches(m, entry.layers)]
            constant = isinstance(entry, Constant) or entry.a == entry.b
            assert weights
            assert all(torch.all(w == fill) for w in weights) == constant
    elif isinstance(entry, Pretrained):
        assert torch.all(model.conv2d.weight == DONOR_VALUE)
        for attribute, _ in entry.resolved_overrides():
            # A name-only override loads the same file with keys relative to the
            # submodule: they do not match, so the submodule keeps the first load.
            assert all(torch.all(p == DONOR_VALUE) for p in modules[attribute].parameters())


# --- generated entries, both directions -----------------------------------------------------

# Classes with a weight and a bias in Probe (InstanceNorm2d is left out: see the xfail on
# IC118 above), and names that are not (typos, no parameters, unknown).
WEIGHTED = ["Conv1d", "Conv2d", "Linear", "BatchNorm2d", "LayerNorm", "GroupNorm", "_ConvNd",
            "_BatchNorm"]
UNMATCHED = ["ReLU", "MultiheadAttention", "Conv2D", "MyConv"]
# Probe attributes whose whole subtree every type can initialize.
OVERRIDE_NAMES = ["reg", "cls", "head", "attn"]

_number = st.integers(-3, 3) | st.floats(-3, 3).filter(lambda x: x == 0 or abs(x) > 1e-6)
_ARGUMENTS: dict[str, st.SearchStrategy[Any]] = {
    "val": _number,
    "gain": _number,
    "mean": _number,
    "std": _number,
    "a": _number,
    "b": _number,
    "bias": _number | st.booleans(),
    "bias_prob": st.sampled_from([0.01, 0.5, 0.99, 0.0, 1.0, -0.2, 1.5]),
    "distribution": st.sampled_from(["normal", "uniform", "gauss"]),
    "mode": st.sampled_from(["fan_in", "fan_out", "fan_inn"]),
    "nonlinearity": st.sampled_from(["relu", "leaky_relu", "tanh", "selu", "linear", "gelu"]),
    "layer": st.sampled_from(WEIGHTED + UNMATCHED)
    | st.lists(st.sampled_from(WEIGHTED + UNMATCHED), max_size=3),
    "prefix": st.sampled_from([None, "backbone", "backbone."]),
    "map_location": st.just("cpu"),
}


@st.composite
def _typed_entry(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(initializer_types())))
    fields = sorted(set(initializer_types()[kind].model_fields) - {"type", "override"})
    entry: dict[str, Any] = {"type": kind}
    for key in draw(st.lists(st.sampled_from(fields), max_size=4, unique=True)):
        entry[key] = draw(_ARGUMENTS.get(key, st.just("CKPT")))
    if kind != "Pretrained" and "layer" not in entry and draw(st.integers(0, 3)):
        entry["layer"] = draw(_ARGUMENTS["layer"])  # most entries name layers
    # Keep the required argument so that most generated entries are valid.
    if kind == "Constant":
        entry.setdefault("val", 1)
    if kind == "Pretrained":
        entry.setdefault("checkpoint", "CKPT")
    return entry


@st.composite
def _init_cfg(draw: st.DrawFn) -> Any:
    def one() -> dict[str, Any]:
        entry = draw(_typed_entry())
        items = []
        for _ in range(draw(st.integers(0, 2))):
            name = draw(st.sampled_from(OVERRIDE_NAMES))
            items.append({"name": name, **(draw(_typed_entry()) if draw(st.booleans()) else {})})
        if items:
            entry["override"] = items[0] if len(items) == 1 and draw(st.booleans()) else items
        return entry

    return [one() for _ in range(draw(st.integers(1, 3)))] if draw(st.booleans()) else one()


def _reaches_a_weight(value: Any) -> bool:
    """Whether every top-level entry loads a checkpoint or names a class with weights."""
    for entry in value if isinstance(value, list) else [value]:
        layer = entry.get("layer")
        names = [layer] if isinstance(layer, str) else layer if isinstance(layer, list) else []
        if entry["type"] != "Pretrained" and not set(names) & set(WEIGHTED):
            return False
    return True


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(value=_init_cfg())
def test_generated_entries_agree_with_mmengine(checkpoint: str, value: Any) -> None:
    errors = _errors(value)
    model = _probe()
    raised, inf_or_nan_bias = _run_observed(model, _with_checkpoint(value, checkpoint))
    event("valid" if not errors else "error, reaches" if _reaches_a_weight(value) else "error")
    if not errors:
        assert raised is None, f"valid for initcfg, MMEngine raised {raised!r}"
        assert not inf_or_nan_bias and _non_finite(model) == []
    elif _reaches_a_weight(value) and not _truncnormal_silent(value):
        # bias_prob outside (0, 1) is the one error MMEngine answers with an inf or NaN
        # bias (a later entry may overwrite it, so the warning is what is observed).
        assert raised is not None or inf_or_nan_bias, f"initcfg reports {errors}"


def _truncnormal_silent(value: Any) -> bool:
    """Whether some TruncNormal (overrides included) has bounds MMEngine never checks.

    MMEngine draws ``uniform_(2*cdf((a-mean)/std) - 1, 2*cdf((b-mean)/std) - 1)`` and
    torch raises only when that range is reversed. With a == b it fills the constant a
    whatever the std; a negative std reverses the range for a < b unless both cdf
    values round to the same float (far from the mean), and orders it for a > b; then
    clamp fills a constant. These are errors on purpose (meaningless values) that
    MMEngine does not notice, so the range is computed as MMEngine computes it.
    """
    entries = value if isinstance(value, list) else [value]
    for entry in entries:
        override = entry.get("override", [])
        for item in [entry, *(override if isinstance(override, list) else [override])]:
            if not isinstance(item, dict) or item.get("type") != "TruncNormal":
                continue
            a, b = item.get("a", -2), item.get("b", 2)
            mean, std = item.get("mean", 0), item.get("std", 1)
            if a == b:
                return True
            if not all(isinstance(v, (int, float)) for v in (a, b, mean, std)) or std == 0:
                continue
            lower, upper = (2 * _normal_cdf((x - mean) / std) - 1 for x in (a, b))
            if (std < 0 or a > b) and lower <= upper:
                return True
    return False


def _normal_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


# --- edge cases of the grammar: what MMEngine does with them, and what initcfg says ---------


def _same_tensors(value: Any, reference: Any) -> bool:
    """Whether MMEngine leaves the same tensors after ``value`` as after ``reference``."""
    first, second = _probe(), _probe()
    torch.manual_seed(1)
    assert _run(first, value) is None
    torch.manual_seed(1)
    assert _run(second, reference) is None
    return all(
        torch.equal(a, b)
        for a, b in zip(first.state_dict().values(), second.state_dict().values(), strict=True)
    )


@pytest.mark.parametrize(
    ("value", "reference"),
    [
        (dict(type="Normal", layer="Conv2d", override=[]), dict(type="Normal", layer="Conv2d")),
        (dict(type="Constant", val=2, layer="Linear", override=[]),
         dict(type="Constant", val=2, layer="Linear")),
    ],
)
def test_empty_override_list_does_nothing_and_warns(value: Any, reference: Any) -> None:
    assert _same_tensors(value, reference)
    found = [(d.code, d.severity, d.path) for d in initcfg.validate_init_cfg(value)]
    assert found == [("IC124", "warning", "override")]
    assert initcfg.validate_init_cfg(reference) == []


def test_empty_override_list_without_layer_initializes_nothing() -> None:
    value = dict(type="Normal", override=[])
    model = _probe()
    before = _snapshot(model)
    assert _run(model, value) is None
    assert _changed(model, before) == []
    assert {d.code for d in initcfg.validate_init_cfg(value)} == {"IC124", "IC107"}


@pytest.mark.parametrize(
    ("value", "key", "number"),
    [
        (dict(type="Normal", layer="Conv2d", bias=True), "bias", 1),
        (dict(type="Constant", layer="Conv2d", val=3, bias=False), "bias", 0),
        (dict(type="Constant", layer="Conv2d", val=True), "val", 1),
        (dict(type="Xavier", layer="Conv2d", override=dict(name="reg", type="Normal",
                                                            bias=True)), "bias", 1),
        (dict(type="Normal", layer="Conv2d", std=True), "std", 1),
        (dict(type="Normal", layer="Linear", mean=True), "mean", 1),
        (dict(type="Xavier", layer="Conv2d", gain=True), "gain", 1),
        (dict(type="TruncNormal", layer="Conv2d", std=True), "std", 1),
        (dict(type="TruncNormal", layer="Conv2d", a=False), "a", 0),
        (dict(type="Uniform", layer="Linear", b=True), "b", 1),
        (dict(type="Uniform", layer="Linear", a=True, b=2), "a", 1),
    ],
)
def test_bool_where_a_number_belongs_passes_as_the_number(
    value: Any, key: str, number: int
) -> None:
    numeric = copy.deepcopy(value)
    target = numeric if key in numeric else numeric["override"]
    target[key] = number
    # MMEngine takes the bool as the int it is: the same tensors as the number.
    assert _same_tensors(value, numeric)
    found = [d for d in initcfg.validate_init_cfg(value) if d.code == "IC125"]
    assert len(found) == 1 and found[0].severity == "warning"
    assert found[0].path.endswith(key) and f"{key}={number}" in (found[0].hint or "")
    assert not any(d.code == "IC125" for d in initcfg.validate_init_cfg(numeric))


@pytest.mark.parametrize(
    "value",
    [
        dict(type="Normal", layer=["Conv2d", "Linear"], mean=True, std=True, bias=True),
        dict(type="Xavier", layer="Conv2d", gain=True, distribution="uniform"),
        dict(type="TruncNormal", layer="Linear", std=True, a=False, b=True),
        dict(type="Uniform", layer="Conv1d", a=False, b=True),
    ],
)
def test_bools_as_numbers_initialize_as_mmengine_does(value: Any) -> None:
    """They were IC105 errors, so initcfg refused to run what MMEngine runs as 1 and 0."""
    assert _errors(value) == []
    ours, theirs = _probe(), _probe()
    theirs.load_state_dict(ours.state_dict())
    torch.manual_seed(3)
    initcfg.initialize(ours, copy.deepcopy(value))
    torch.manual_seed(3)
    assert _run(theirs, value) is None
    for (name, mine), other in zip(
        ours.state_dict().items(), theirs.state_dict().values(), strict=True
    ):
        assert torch.equal(mine, other), name


@pytest.mark.parametrize(
    "value",
    [
        # torch's calculate_gain refuses a bool slope
        dict(type="Kaiming", layer="Conv2d", a=True, nonlinearity="leaky_relu"),
        dict(type="TruncNormal", layer="Conv2d", std=False),  # ZeroDivisionError
    ],
)
def test_a_bool_mmengine_fails_on_stays_an_error(value: Any) -> None:
    assert _run(_probe(), value) is not None
    assert _errors(value) == ["IC105"]
    assert not any(d.code == "IC125" for d in initcfg.validate_init_cfg(value))


def test_bias_true_fills_one() -> None:
    model = _probe()
    assert _run(model, dict(type="Normal", layer="Conv2d", bias=True)) is None
    assert torch.all(model.conv2d.bias == 1)


@pytest.mark.parametrize(
    "layer", [[], [2], [None, 3.5], ""], ids=["empty", "int", "none-float", "empty-string"]
)
def test_layer_that_names_no_class_is_reported_at_layer(layer: Any) -> None:
    value = dict(type="Normal", layer=layer, std=0.5)
    model = _probe()
    before = _snapshot(model)
    assert _run(model, value) is None
    assert _changed(model, before) == []
    idle = [d for d in initcfg.validate_init_cfg(value) if d.code == "IC107"]
    assert len(idle) == 1 and idle[0].path == "layer"
    assert "names no class" in idle[0].message


def test_empty_layer_with_an_override_is_fine() -> None:
    value = dict(type="Constant", val=3, layer=[], override=dict(name="reg"))
    model = _probe()
    before = _snapshot(model)
    assert _run(model, value) is None
    assert sorted(_changed(model, before)) == ["reg.bias", "reg.weight"]
    assert initcfg.validate_init_cfg(value) == []


def test_nested_list_in_layer_is_an_error_at_the_item() -> None:
    value = dict(type="Normal", layer=["Conv2d", ["Linear"]])
    assert isinstance(_run(_probe(), value), TypeError)
    (found,) = initcfg.validate_init_cfg(value)
    assert (found.code, found.severity, found.path) == ("IC105", "error", "layer[1]")


def test_initialize_empty_dict_raises_key_error_as_mmengine_does() -> None:
    from initcfg.backend.torch import InitCfgError

    assert isinstance(_run(_probe(), {}), KeyError)
    with pytest.raises(KeyError) as raised:
        initcfg.initialize(_probe(), {})
    assert isinstance(raised.value, InitCfgError)
    assert [d.code for d in raised.value.diagnostics] == ["IC102"]
    assert "initialize" in str(raised.value) and not str(raised.value).startswith("'")


@pytest.mark.parametrize(
    "value",
    [[{}], {"checkpoint": "CKPT"}, [dict(type="Normal", layer="Conv2d"), {"layer": "Linear"}]],
    ids=["list-of-empty", "checkpoint-only", "second-entry"],
)
def test_initialize_entry_without_type_raises_key_error(value: Any) -> None:
    model = _probe()
    assert isinstance(_run(model, value), KeyError)
    before = _snapshot(model)
    with pytest.raises(KeyError):
        initcfg.initialize(model, value)
    assert _changed(model, before) == []  # nothing ran: the first entry included


def test_initialize_empty_list_does_nothing_in_both() -> None:
    model = _probe()
    before = _snapshot(model)
    assert _run(model, []) is None
    initcfg.initialize(model, [])
    assert _changed(model, before) == []


class _PlainEmptyInitCfg(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.init_cfg: dict[str, Any] = {}
        self.linear = nn.Linear(2, 2)


def test_empty_init_cfg_on_a_module_is_a_warning_and_changes_nothing() -> None:
    assert [(d.code, d.severity) for d in initcfg.validate_init_cfg({})] == [
        ("IC122", "warning")
    ]
    for module in (_EmptyInitCfg(), _PlainEmptyInitCfg()):
        before = _snapshot(module)
        initcfg.init_weights(module)  # no KeyError: the falsy value is skipped
        assert _changed(module, before) == []
    reference = _EmptyInitCfg()
    before = _snapshot(reference)
    reference.init_weights()  # MMEngine skips the falsy value
    assert _changed(reference, before) == []
