"""Generated models and fine-tune configs, trained by MMEngine 0.10.7 and planned by initcfg.

Hypothesis builds small models (convs, depthwise and one-channel convs, transposed and
grouped 1-D convs, every norm MMEngine knows and one it does not, linears with and
without bias, embeddings, bare parameters at any depth, a module registered under two
parents, a weight tied between two layers, frozen parameters, a child named ``module``)
and configs around them: an optimizer with or without ``lr``/``weight_decay``, a
``paramwise_cfg`` with every multiplier, custom keys (with options copied into the
group), ``bypass_duplicate``, ``clip_grad`` and ``accumulative_counts``, a scheduler
chain (epoch- and iteration-based, converted, with begin/end, momentum schedulers the
table leaves out), an epoch or iteration loop and ``auto_scale_lr``.

Each case runs twice. MMEngine's own Runner trains the model on a toy loader and records,
before every iteration, the group of every parameter (its lr, weight decay and the other
options). initcfg compiles the same config against a copy of the model; the optimizer it
builds from the plan, stepped through ``plan.set_lrs``, must hold the same floats for
every parameter at every iteration. Where the Runner raises, the plan must carry an error.

``INITCFG_FUZZ_EXAMPLES=N`` runs N random (not derandomized) examples instead of the
fixed, few-second set.
"""

from __future__ import annotations

import copy
import logging
import os
import tempfile
import types
import uuid
import warnings
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mmengine")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from mmengine.hooks import Hook  # noqa: E402
from mmengine.model import BaseModel  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from mmengine.runner import loops as mmengine_loops  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

from initcfg.plan.train_plan import TrainPlan, build_optimizer, compile_train_plan  # noqa: E402

logging.getLogger("mmengine").setLevel(logging.ERROR)

# ------------------------------------------------------------------------------ models

LEAVES: dict[str, Any] = {
    "conv": lambda: nn.Conv2d(2, 3, 1),
    "conv_nobias": lambda: nn.Conv2d(2, 2, 1, bias=False),
    "dwconv": lambda: nn.Conv2d(3, 3, 3, groups=3),
    "conv1ch": lambda: nn.Conv2d(1, 2, 1),  # in_channels == groups == 1: "depthwise"
    "convT": lambda: nn.ConvTranspose2d(2, 2, 1, groups=2),  # not a Conv2d
    "conv1d_grouped": lambda: nn.Conv1d(2, 2, 1, groups=2),  # not a Conv2d either
    "linear": lambda: nn.Linear(3, 2),
    "linear_nobias": lambda: nn.Linear(2, 2, bias=False),
    "bn": lambda: nn.BatchNorm2d(2),
    "bn_noaffine": lambda: nn.BatchNorm1d(2, affine=False),
    "syncbn": lambda: nn.SyncBatchNorm(2),
    "gn": lambda: nn.GroupNorm(1, 2),
    "ln": lambda: nn.LayerNorm(3),
    "inorm": lambda: nn.InstanceNorm2d(2, affine=True),
    "rmsnorm": lambda: nn.RMSNorm(3),  # no norm for MMEngine
    "embed": lambda: nn.Embedding(3, 2),
    "prelu": lambda: nn.PReLU(2),
}
NAMES = ["backbone", "neck", "head", "layer1", "conv", "bn", "fc", "stem", "dw", "norm",
         "module", "pos"]


class Tree(nn.Module):
    """A node whose children and own parameters are given by the spec."""


def _build(spec: dict[str, Any], shared: dict[str, nn.Module]) -> nn.Module:
    node = Tree()
    for name, child in spec["children"]:
        if isinstance(child, str):
            if child.startswith("shared:"):
                key = child.removeprefix("shared:")
                if key not in shared:
                    shared[key] = LEAVES[key]()
                module = shared[key]
            else:
                module = LEAVES[child]()
        else:
            module = _build(child, shared)
        node.add_module(name, module)
    for name, shape in spec["params"]:
        node.register_parameter(name, nn.Parameter(torch.zeros(shape)))
    return node


class Model(BaseModel):  # type: ignore[misc]
    """A generated tree under a BaseModel, so MMEngine's Runner can train it."""

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__()
        shared: dict[str, nn.Module] = {}
        tree = _build(spec, shared)
        for name, child in tree.named_children():
            self.add_module(name, child)
        for name, param in tree.named_parameters(recurse=False):
            self.register_parameter(name, param)
        named = dict(self.named_modules())
        tie = spec.get("tie")
        if tie is not None:
            first, second = (named.get(n) for n in tie)
            if (
                isinstance(first, nn.Linear)
                and isinstance(second, nn.Linear)
                and first is not second
                and first.weight.shape == second.weight.shape
            ):
                second.weight = first.weight
        for name in spec["frozen"]:
            params = dict(self.named_parameters())
            if name in params:
                params[name].requires_grad_(False)

    def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
        # A leaf of its own, so a model with every parameter frozen still backpropagates.
        loss = torch.zeros((), requires_grad=True) + inputs.sum() * 0
        for param in self.parameters():
            if param.requires_grad:
                loss = loss + param.sum()
        if mode == "loss":
            return {"loss": loss}
        return loss


@st.composite
def trees(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    children: list[tuple[str, Any]] = []
    names = draw(st.lists(st.sampled_from(NAMES), max_size=3 if depth < 2 else 2, unique=True))
    for name in names:
        if depth < 2 and draw(st.integers(0, 3)) == 0:
            children.append((name, draw(trees(depth + 1))))
        else:
            leaf = draw(st.sampled_from(sorted(LEAVES)))
            if draw(st.integers(0, 5)) == 0:
                leaf = "shared:" + draw(st.sampled_from(["linear", "bn", "conv"]))
            children.append((name, leaf))
    params = []
    if draw(st.integers(0, 3)) == 0:
        params.append((draw(st.sampled_from(["pos_embed", "cls_token", "weight", "bias"])),
                       draw(st.sampled_from([(2,), (1, 2)]))))
    return {"children": children, "params": params}


@st.composite
def models(draw: st.DrawFn) -> dict[str, Any]:
    spec = draw(trees())
    if not spec["children"] and not spec["params"]:
        spec["children"] = [("head", "linear")]
    probe = Model(dict(spec, frozen=[]))
    names = [n for n, _ in probe.named_parameters()]
    modules = [n for n, m in probe.named_modules() if isinstance(m, nn.Linear)]
    spec["frozen"] = []
    if names and draw(st.booleans()):
        spec["frozen"] = draw(st.lists(st.sampled_from(names), max_size=2, unique=True))
    if len(modules) > 1 and draw(st.integers(0, 3)) == 0:
        spec["tie"] = tuple(draw(st.lists(st.sampled_from(modules), min_size=2, max_size=2,
                                          unique=True)))
    return spec


# ------------------------------------------------------------------------------ configs

MULT = st.sampled_from([0.0, 0.1, 0.5, 1.0, 2.0])
KEYS = ["backbone", "head", "layer1", "conv", "bn", "fc", "norm", "dw", ".pos", "weight",
        "bias", "module", "stem.", "neck.bn", "x"]


@st.composite
def optimizers(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["SGD", "AdamW", "Adam", "SGD", "AdamW", "RMSprop", "Adagrad",
                                 "Adadelta", "NAdam", "RAdam", "Adamax", "ASGD", "Rprop"]))
    # A class path names the same optimizer (a new-style config's `type=SGD`).
    cfg: dict[str, Any] = {"type": draw(st.sampled_from([kind, kind, f"torch.optim.{kind}"]))}
    if draw(st.integers(0, 7)):
        cfg["lr"] = draw(st.sampled_from([0.1, 0.02, 1e-3, 1]))
    if draw(st.integers(0, 5)):
        cfg["weight_decay"] = draw(st.sampled_from([1e-4, 0.05, 0.0]))
    if kind in ("SGD", "RMSprop") and draw(st.booleans()):
        cfg["momentum"] = 0.9
    return cfg


@st.composite
def paramwise_cfgs(draw: st.DrawFn, optimizer: dict[str, Any]) -> dict[str, Any] | None:
    if draw(st.integers(0, 4)) == 0:
        return None
    cfg: dict[str, Any] = {}
    if draw(st.integers(0, 9)) == 0:
        return cfg  # empty: MMEngine does not walk the model
    for name in ("bias_lr_mult", "bias_decay_mult", "norm_decay_mult", "dwconv_decay_mult",
                 "flat_decay_mult", "dcn_offset_lr_mult"):
        if draw(st.integers(0, 2)) == 0:
            # None written out: MMEngine reads the key, so some rules see it as set.
            cfg[name] = draw(st.one_of(MULT, st.just(None)) if draw(st.integers(0, 5)) == 0
                             else MULT)
    if draw(st.booleans()):
        cfg["bypass_duplicate"] = draw(st.booleans())
    if draw(st.booleans()):
        custom: dict[str, Any] = {}
        for key in draw(st.lists(st.sampled_from(KEYS), max_size=3, unique=True)):
            entry: dict[str, Any] = {}
            if draw(st.booleans()):
                entry["lr_mult"] = draw(MULT)
            if draw(st.booleans()):
                entry["decay_mult"] = draw(MULT)
            if optimizer["type"].endswith("SGD") and draw(st.integers(0, 3)) == 0:
                entry["momentum"] = 0.5
            if not optimizer["type"].endswith("SGD") and draw(st.integers(0, 4)) == 0:
                entry["betas"] = (0.8, 0.9)
            if draw(st.integers(0, 5)) == 0:  # an option of the group itself wins over the mult
                entry[draw(st.sampled_from(["lr", "weight_decay"]))] = 0.3
            custom[key] = entry
        cfg["custom_keys"] = custom
    return cfg


@st.composite
def schedulers(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(
        ["LinearLR", "ConstantLR", "MultiStepLR", "StepLR", "ExponentialLR",
         "CosineAnnealingLR", "PolyLR", "OneCycleLR", "CosineRestartLR", "CosineAnnealingMomentum"]
    ))
    cfg: dict[str, Any] = {
        "type": f"mmengine.optim.{kind}" if draw(st.integers(0, 5)) == 0 else kind
    }
    by_epoch = draw(st.booleans())
    if not by_epoch:
        cfg["by_epoch"] = False
    elif draw(st.booleans()):
        cfg["convert_to_iter_based"] = True
    begin = draw(st.integers(0, 3))
    if begin:
        cfg["begin"] = begin
    if draw(st.booleans()):
        cfg["end"] = begin + draw(st.integers(1, 10))
    if draw(st.integers(0, 5)) == 0:  # a computed step count: a whole float
        for key in ("begin", "end"):
            if key in cfg:
                cfg[key] = float(cfg[key])
    if kind == "LinearLR":
        cfg["start_factor"] = draw(st.sampled_from([0.001, 0.1, 0.5]))
    elif kind == "ConstantLR":
        cfg["factor"] = draw(st.sampled_from([0.1, 0.5]))
    elif kind == "MultiStepLR":
        cfg["milestones"] = sorted(draw(st.sets(st.integers(1, 8), min_size=1, max_size=2)))
        cfg["gamma"] = draw(st.sampled_from([0.1, 0.5]))
    elif kind == "StepLR":
        cfg["step_size"] = draw(st.integers(1, 3))
    elif kind == "ExponentialLR":
        cfg["gamma"] = 0.9
    elif kind == "CosineAnnealingLR":
        if draw(st.booleans()):
            cfg["T_max"] = draw(st.integers(1, 6))
        if draw(st.booleans()):
            cfg["eta_min_ratio"] = 0.05
        if draw(st.integers(0, 3)) == 0:
            cfg["eta_min"] = 1e-3
    elif kind == "PolyLR":
        cfg["power"] = draw(st.sampled_from([0.9, 2.0]))
        cfg["eta_min"] = draw(st.sampled_from([0.0, 1e-4]))
    elif kind == "OneCycleLR":
        cfg["eta_max"] = 0.2
        if draw(st.booleans()):
            cfg["total_steps"] = draw(st.integers(2, 40))
        if draw(st.booleans()):
            cfg["three_phase"] = True
        if draw(st.booleans()):
            cfg["anneal_strategy"] = "linear"
        if draw(st.booleans()):
            cfg["pct_start"] = draw(st.sampled_from([0.1, 0.5]))
            cfg["div_factor"] = 5.0
            cfg["final_div_factor"] = 100.0
    elif kind == "CosineRestartLR":
        periods = draw(st.lists(st.integers(1, 4), min_size=1, max_size=2))
        cfg["periods"] = periods
        cfg["restart_weights"] = [1.0] * len(periods)
        cfg["eta_min"] = 1e-4
    elif kind == "CosineAnnealingMomentum":
        cfg["eta_min"] = 0.5  # the table leaves it out, but its begin/end are checked
    return cfg


# The optimizers whose defaults hold `momentum` or `betas`, which momentum schedulers need.
# Not RMSprop: one scheduled up from momentum=0 reads a momentum buffer torch never made
# (KeyError 'momentum_buffer' in torch, not a config problem the plan could see).
WITH_MOMENTUM = {"SGD", "Adam", "AdamW", "NAdam", "RAdam", "Adamax"}


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    spec = draw(models())
    optimizer = draw(optimizers())
    wrapper: dict[str, Any] = {"type": "OptimWrapper", "optimizer": optimizer}
    paramwise = draw(paramwise_cfgs(optimizer))
    if paramwise is not None:
        wrapper["paramwise_cfg"] = paramwise
    if draw(st.integers(0, 3)) == 0:
        wrapper["clip_grad"] = dict(max_norm=1.0)
    if draw(st.integers(0, 3)) == 0:
        wrapper["accumulative_counts"] = 2
    if draw(st.booleans()):
        train_cfg: dict[str, Any] = dict(type="EpochBasedTrainLoop",
                                         max_epochs=draw(st.integers(1, 4)))
    else:
        train_cfg = dict(type="IterBasedTrainLoop", max_iters=draw(st.integers(1, 10)))
    if draw(st.booleans()):  # the Runner's shorthand for the same loop
        train_cfg["by_epoch"] = train_cfg.pop("type") == "EpochBasedTrainLoop"
    if draw(st.integers(0, 3)) == 0:
        del wrapper["type"]  # OptimWrapper is the default
    chain = draw(st.lists(schedulers(), max_size=3))
    if optimizer["type"].rpartition(".")[2] not in WITH_MOMENTUM:
        # MMEngine refuses a momentum scheduler there; the plan does not model them.
        chain = [s for s in chain if "Momentum" not in s["type"]]
    if len(chain) > 1 and "Momentum" not in chain[-1]["type"] and draw(st.integers(0, 4)) == 0:
        chain[-1]["last_step"] = draw(st.integers(0, 3))  # resumes after the ones before
    cfg: dict[str, Any] = {
        "train_cfg": train_cfg,
        "optim_wrapper": wrapper,
        "param_scheduler": chain[0] if len(chain) == 1 and draw(st.booleans()) else chain,
    }
    if draw(st.integers(0, 3)) == 0:
        cfg["auto_scale_lr"] = dict(enable=draw(st.integers(0, 3)) > 0,
                                    base_batch_size=draw(st.sampled_from([1, 4])))
        if draw(st.integers(0, 5)) == 0:
            del cfg["auto_scale_lr"]["base_batch_size"]
    return {
        "model": spec,
        "cfg": cfg,
        "dataset": draw(st.integers(1, 5)),
        "batch_size": draw(st.integers(1, 2)),
    }


# ------------------------------------------------------------------------------ MMEngine


class Recorder(Hook):  # type: ignore[misc]
    """Before every iteration: each parameter's group options, by parameter name."""

    def __init__(self, names: dict[int, list[str]]) -> None:
        self.names = names
        self.rows: list[dict[str, dict[str, Any]]] = []

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        row: dict[str, dict[str, Any]] = {}
        for group in runner.optim_wrapper.optimizer.param_groups:
            options = {k: v for k, v in group.items() if k != "params"}
            for param in group["params"]:
                for name in self.names[id(param)]:
                    row[name] = options
        self.rows.append(row)


def _names(model: nn.Module) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        out.setdefault(id(param), []).append(name)
    return out


def run_mmengine(model: nn.Module, case: dict[str, Any]) -> list[dict[str, dict[str, Any]]]:
    cfg = copy.deepcopy(case["cfg"])
    recorder = Recorder(_names(model))
    data = [dict(inputs=torch.ones(1)) for _ in range(case["dataset"])]
    loader = DataLoader(data, batch_size=case["batch_size"])
    with tempfile.TemporaryDirectory() as work_dir, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runner = Runner(
            model=model,
            work_dir=work_dir,
            train_dataloader=loader,
            train_cfg=cfg["train_cfg"],
            optim_wrapper=cfg["optim_wrapper"],
            param_scheduler=cfg["param_scheduler"] or None,
            auto_scale_lr=cfg.get("auto_scale_lr"),
            default_hooks=dict(checkpoint=None, logger=None, timer=None, sampler_seed=None),
            custom_hooks=[recorder],
            log_level="ERROR",
            default_scope=None,
            experiment_name=f"fuzz-{uuid.uuid4().hex}",
        )
        # IterBasedTrainLoop sleeps 2 s each time its loader restarts ("prevent possible
        # deadlock" of worker processes; this loader has none): the loop runs without it.
        real_time = mmengine_loops.time
        mmengine_loops.time = types.SimpleNamespace(sleep=lambda seconds: None)
        try:
            runner.train()
        finally:
            mmengine_loops.time = real_time
    return recorder.rows


# ------------------------------------------------------------------------------ initcfg

# Bookkeeping keys MMEngine leaves in its groups; no torch optimizer reads them.
IGNORED = {"lr_mult", "decay_mult", "initial_lr", "max_lr", "min_lr", "initial_momentum"}


def _comparable(options: dict[str, Any], ignored: set[str]) -> dict[str, Any]:
    return {
        key: tuple(value) if isinstance(value, list) else value
        for key, value in options.items()
        if key not in IGNORED | ignored
    }


def check_case(case: dict[str, Any]) -> str:
    torch.manual_seed(0)
    theirs_model = Model(case["model"])
    ours_model = copy.deepcopy(theirs_model)
    length = -(-case["dataset"] // case["batch_size"])
    try:
        rows = run_mmengine(theirs_model, case)
    except Exception as error:  # the Runner refusing the config is a result to compare
        plan = compile_train_plan(
            copy.deepcopy(case["cfg"]), ours_model, iters_per_epoch=length,
            batch_size=case["batch_size"],
        )
        errors = [d for d in plan.diagnostics if d.severity == "error"]
        if "registry" in str(error):
            # A class path MMEngine cannot import: IC304, a warning like every unknown type.
            errors = [d for d in plan.diagnostics if d.code == "IC304"]
        assert errors, f"MMEngine raised {error!r}; initcfg planned {plan.diagnostics}"
        if EXAMPLES:
            return f"raised {type(error).__name__}: {str(error)[:50]} / {errors[0].code}"
        return "mmengine raised"
    plan = compile_train_plan(
        copy.deepcopy(case["cfg"]), ours_model, iters_per_epoch=length,
        batch_size=case["batch_size"],
    )
    errors = [d for d in plan.diagnostics if d.severity == "error"]
    assert not errors, errors
    assert plan.lr is not None, plan.diagnostics
    assert TrainPlan.loads(plan.dumps()) == plan  # the plan file holds the same plan
    optimizer = build_optimizer(plan, ours_model)
    names = _names(ours_model)
    # The plan leaves momentum schedulers out (IC464): momentum is not followed there.
    chain = case["cfg"]["param_scheduler"]
    ignored = {"momentum", "betas"} if any(
        "Momentum" in s["type"] for s in ([chain] if isinstance(chain, dict) else chain)
    ) else set()
    assert len(rows) == plan.lr.total_steps
    for iteration, row in enumerate(rows):
        plan.set_lrs(optimizer, iteration)
        mine: dict[str, dict[str, Any]] = {}
        for group in optimizer.param_groups:
            options = {k: v for k, v in group.items() if k != "params"}
            for param in group["params"]:
                for name in names[id(param)]:
                    mine[name] = options
        assert mine.keys() == row.keys(), f"iteration {iteration}"
        for name, options in row.items():
            assert _comparable(mine[name], ignored) == _comparable(options, ignored), (
                f"iteration {iteration}, {name}"
            )
    epoch_loop = case["cfg"]["train_cfg"].get("type") == "EpochBasedTrainLoop" or (
        case["cfg"]["train_cfg"].get("by_epoch") is True
    )
    if epoch_loop:
        check_per_epoch(case, rows, length)
    return "compared"


def check_per_epoch(
    case: dict[str, Any], rows: list[dict[str, dict[str, Any]]], length: int
) -> None:
    """The plan without the loader's length: a table per epoch, where every scheduler
    steps per epoch, equal to the Runner's rates at the start of each epoch."""
    torch.manual_seed(0)
    ours = Model(case["model"])
    plan = compile_train_plan(copy.deepcopy(case["cfg"]), ours, batch_size=case["batch_size"])
    assert not [d for d in plan.diagnostics if d.severity == "error"], plan.diagnostics
    if plan.lr is None:
        assert "IC460" in [d.code for d in plan.diagnostics], plan.diagnostics
        return
    assert plan.lr.granularity == "epoch"
    per_epoch = build_optimizer(plan, ours)
    own = _names(ours)
    for epoch in range(plan.lr.total_steps):
        plan.set_lrs(per_epoch, epoch)
        for group in per_epoch.param_groups:
            for param in group["params"]:
                for name in own[id(param)]:
                    assert group["lr"] == rows[epoch * length][name]["lr"], (epoch, name)


EXAMPLES = int(os.environ.get("INITCFG_FUZZ_EXAMPLES", "0"))


@pytest.mark.filterwarnings("ignore")
def test_generated_fine_tunes_train_as_mmengine_does() -> None:
    outcomes: dict[str, int] = {}

    @settings(
        max_examples=EXAMPLES or 50,
        derandomize=not EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(cases())
    def check(case: dict[str, Any]) -> None:
        outcome = check_case(case)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    check()
    if EXAMPLES:
        for outcome, count in sorted(outcomes.items()):
            print(count, outcome)
        return
    # The fixed set holds both kinds of case.
    assert outcomes.get("compared", 0) >= 20 and outcomes.get("mmengine raised", 0) >= 5, outcomes
