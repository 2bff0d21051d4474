"""The torch backend's initialize/init_weights: errors, reach, checkpoints, the report."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from initcfg import compile_init_plan
from initcfg.backend.torch import (
    CheckpointError,
    InitCfgError,
    InitError,
    InitReport,
    init_weights,
    initialize,
    read_checkpoint,
)
from initcfg.plan.checkpoint import resolve_checkpoint
from initcfg.schema.initializers import Constant, Normal, Override


@dataclass
class Payload:
    """An arbitrary Python object, which only a full unpickler can rebuild."""

    value: int


class Leaf(nn.Module):
    def __init__(self, init_cfg: Any = None) -> None:
        super().__init__()
        self.init_cfg = init_cfg
        self.fc = nn.Linear(3, 2)


class Root(nn.Module):
    def __init__(self, init_cfg: Any = None, leaf_cfg: Any = None) -> None:
        super().__init__()
        self.init_cfg = init_cfg
        self.heads = nn.ModuleList([Leaf(leaf_cfg)])
        self.norm = nn.BatchNorm1d(2)
        self.fc = nn.Linear(3, 3)


def test_public_names() -> None:
    import initcfg.backend.torch as backend

    assert {"initialize", "init_weights", "InitReport"} <= set(backend.__all__)


def test_typed_models_accepted() -> None:
    model = Root()
    initialize(model, [Constant(layer="Linear", val=2), Normal(layer="BatchNorm1d", std=0)])
    assert torch.all(model.fc.weight == 2)
    assert torch.all(model.norm.weight == 0)


def test_typed_override_model() -> None:
    model = Root()
    init = Constant(val=3, override=[Override(name="fc")])
    initialize(model, init)
    assert torch.all(model.fc.weight == 3)
    assert not torch.all(model.heads[0].fc.weight == 3)


@pytest.mark.parametrize(
    ("cfg", "code"),
    [
        (dict(type="kaiming", layer="Conv2d"), "IC103"),
        (dict(layer="Conv2d"), "IC102"),
        (dict(type="Normal", layer="Linear", stdd=1), "IC104"),
        (dict(type="Normal", layer="Linear", override=dict(std=1)), "IC109"),
        ("Kaiming", "IC101"),
    ],
)
def test_grammar_errors_raise_with_diagnostics(cfg: Any, code: str) -> None:
    model = Root()
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(InitCfgError) as raised:
        initialize(model, cfg)
    assert code in {d.code for d in raised.value.diagnostics}
    assert code in str(raised.value)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_override_name_missing_raises_before_writing() -> None:
    model = Root()
    before = model.fc.weight.detach().clone()
    cfg = dict(type="Constant", val=1, layer="Linear", override=dict(name="fcc"))
    with pytest.raises(InitError, match=r"IC401.*'fcc'.*did you mean 'fc'"):
        initialize(model, cfg)
    assert torch.equal(model.fc.weight, before)


def test_fan_based_on_norm_weight_raises() -> None:
    with pytest.raises(InitError, match=r"IC406.*fewer than 2 dimensions"):
        initialize(Root(), dict(type="Kaiming", layer="BatchNorm1d"))


@pytest.mark.parametrize("distribution", ["normal", "uniform"])
@pytest.mark.parametrize(
    "layer", [nn.Linear(0, 0), nn.Conv2d(3, 3, 0)], ids=["linear-0x0", "conv-kernel-0"]
)
def test_xavier_on_a_weight_without_fans_is_a_diagnostic(
    layer: nn.Module, distribution: str
) -> None:
    # torch divides by fan_in + fan_out = 0 (ZeroDivisionError); planning said nothing and
    # let that error out of the planner as a traceback
    model = nn.Sequential(nn.Linear(2, 2), layer)
    before = copy.deepcopy(model.state_dict())
    cfg = dict(type="Xavier", layer=["Linear", "Conv2d"], distribution=distribution)
    with pytest.raises(InitError, match=r"IC406.*fan_in \+ fan_out.*ZeroDivisionError"):
        initialize(model, cfg)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    model.init_cfg = cfg
    assert [d.code for d in compile_init_plan(None, model).errors] == ["IC406"]


class LongWeight(nn.Module):
    """A module whose weight is an integer buffer: torch has no normal_ for it."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("weight", torch.zeros(2, 2, dtype=torch.long))


@pytest.mark.parametrize(
    ("layer", "cfg", "refusal"),
    [
        (nn.Linear(2, 2).half(), dict(type="Constant", layer="Linear", val=1e5), "Half"),
        (LongWeight(), dict(type="Normal", layer=["Linear", "LongWeight"]), "Long"),
    ],
    ids=["float16-fill-overflows", "normal-on-int64"],
)
@pytest.mark.parametrize("call", ["initialize", "init_weights"])
def test_an_op_the_dtype_refuses_raises_before_any_write(
    layer: nn.Module, cfg: dict[str, Any], refusal: str, call: str
) -> None:
    # Planning sees shapes, not what torch refuses for a dtype; InitPlan.apply checked
    # that first, but initialize and init_weights wrote the float32 Linear and then let
    # torch's RuntimeError out (MMEngine raises it too, half way)
    model = nn.Sequential(nn.Linear(2, 2), copy.deepcopy(layer))
    entries = [dict(type="Normal", layer="Linear"), cfg]
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(InitError, match=rf"torch refuses .*{refusal}.*nothing was written$"):
        if call == "initialize":
            initialize(model, entries)
        else:
            model.init_cfg = entries
            init_weights(model)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_rnn_bias_flag_raises() -> None:
    class WithRnn(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.LSTM(3, 3)

    with pytest.raises(InitError, match="IC407"):
        initialize(WithRnn(), dict(type="Normal", layer="LSTM"))


def test_unreached_init_cfg_reported_and_reach_all() -> None:
    leaf_cfg = dict(type="Constant", layer="Linear", val=5)
    model = Root(leaf_cfg=leaf_cfg)
    report = init_weights(model)
    assert isinstance(report, InitReport)
    assert [u.module for u in report.unreached] == ["heads.0"]
    assert report.unreached[0].blocker == "heads"
    assert not torch.all(model.heads[0].fc.weight == 5)
    other = Root(leaf_cfg=leaf_cfg)
    report_all = init_weights(other, reach="all")
    assert report_all.unreached == []
    assert torch.all(other.heads[0].fc.weight == 5)


def test_init_weights_sets_flags_and_second_call_skips() -> None:
    model = Root(dict(type="Normal", layer="Linear", std=1))
    first = init_weights(model)
    assert not first.skipped and first.steps
    assert init_weights(model).skipped


# -- checkpoints -------------------------------------------------------------------------


def _save(path: Path, value: Any) -> str:
    torch.save(value, path)
    return str(path)


def test_checkpoint_state_dict_key_and_module_prefix(tmp_path: Path) -> None:
    source = Root()
    state = {f"module.{k}": v for k, v in source.state_dict().items()}
    ckpt = _save(tmp_path / "a.pth", {"state_dict": state, "meta": {"epoch": 3}})
    target = Root(dict(type="Pretrained", checkpoint=ckpt))
    report = init_weights(target)
    assert torch.equal(target.fc.weight, source.fc.weight)
    ((_, result),) = report.loads
    assert not result.missing and not result.unexpected and not result.mismatched


def test_weights_under_a_model_key_are_not_unwrapped(tmp_path: Path) -> None:
    # MMEngine reads `state_dict` or the top level only: it loads none of these weights
    # (tests/parity/test_init_parity.py compares), so initcfg must not load them either.
    ckpt = _save(tmp_path / "timm.pth", {"model": Root().state_dict(), "epoch": 3})
    target = Root(dict(type="Pretrained", checkpoint=ckpt))
    before = target.fc.weight.detach().clone()
    with pytest.raises(CheckpointError, match=r"its weights are under 'model'.*'state_dict'"):
        init_weights(target)
    assert torch.equal(target.fc.weight, before)


def test_checkpoint_misfits_reported(tmp_path: Path) -> None:
    source = Root()
    state = source.state_dict()
    state["fc.weight"] = torch.zeros(5, 3)
    del state["norm.bias"]
    state["ghost.weight"] = torch.zeros(1)
    ckpt = _save(tmp_path / "b.pth", state)
    target = Root(dict(type="Pretrained", checkpoint=ckpt))
    old = target.fc.weight.detach().clone()
    report = init_weights(target)
    ((_, result),) = report.loads
    assert result.missing == ["norm.bias"]
    assert result.unexpected == ["ghost.weight"]
    assert result.mismatched == [("fc.weight", (5, 3), (3, 3))]
    assert torch.equal(target.fc.weight, old)
    assert {d.code for d in report.diagnostics} >= {"IC410"}


def test_prefix_missing_raises(tmp_path: Path) -> None:
    ckpt = _save(tmp_path / "c.pth", Root().state_dict())
    with pytest.raises(CheckpointError, match=r"prefix 'backbone\.'"):
        init_weights(Root(dict(type="Pretrained", checkpoint=ckpt, prefix="backbone")))


def test_not_weights_only_refused(tmp_path: Path) -> None:
    ckpt = _save(tmp_path / "d.pth", {"state_dict": Root().state_dict(), "obj": Payload(3)})
    expected = r"not a weights-only checkpoint \(it holds a .*Payload"
    with pytest.raises(CheckpointError, match=expected):
        read_checkpoint(ckpt)


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all"])
def test_garbage_file_is_not_a_checkpoint(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "g.pth"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="is not a torch checkpoint file"):
        read_checkpoint(str(path))


def test_missing_file_and_bad_scheme() -> None:
    with pytest.raises(CheckpointError, match="does not exist"):
        read_checkpoint("/nonexistent/x.pth")
    with pytest.raises(CheckpointError, match="scheme 's3'"):
        resolve_checkpoint("s3://bucket/x.pth")
    assert resolve_checkpoint("https://x.org/a.pth") == "https://x.org/a.pth"


def test_a_missing_relative_checkpoint_names_the_folder_it_was_looked_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # validate also accepts a file next to the config; MMEngine (and the plan) read a
    # relative name from the working directory only, which "does not exist" left unsaid.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CheckpointError) as raised:
        read_checkpoint("sub/weights.pth")
    assert f"does not exist in the working directory {tmp_path}" in str(raised.value)
    with pytest.raises(CheckpointError) as absolute:
        read_checkpoint(str(tmp_path / "weights.pth"))
    assert "working directory" not in str(absolute.value)


def test_open_mmlab_resolves_through_table() -> None:
    url = resolve_checkpoint("open-mmlab://resnet50_v1c")
    assert url.startswith("https://")


def test_not_a_dict_refused(tmp_path: Path) -> None:
    ckpt = _save(tmp_path / "e.pth", [torch.zeros(1)])
    with pytest.raises(CheckpointError, match="not a dict"):
        read_checkpoint(ckpt)


def _uncopyable(state: dict[str, torch.Tensor], kind: str) -> dict[str, torch.Tensor]:
    if kind == "meta":
        return {key: torch.empty_like(value, device="meta") for key, value in state.items()}
    if kind == "sparse":
        return {key: value.to_sparse() for key, value in state.items()}
    if kind == "quantized":
        return {key: torch.quantize_per_tensor(value, 0.1, 0, torch.qint8)
                if value.is_floating_point() else value for key, value in state.items()}
    return {**state, "fc.weight": torch.nested.nested_tensor([torch.zeros(2), torch.zeros(3)])}


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch: quantized/nested are deprecated
@pytest.mark.parametrize("kind", ["meta", "sparse", "quantized", "nested"])
def test_tensors_torch_cannot_copy_into_a_parameter_are_refused(
    tmp_path: Path, kind: str
) -> None:
    # load_state_dict's copy_ fails for each of these and a non-strict load only prints
    # that, so counting them as loaded (their shapes fit) would plan weights that never
    # arrive; a nested tensor's shape even raises.
    ckpt = _save(tmp_path / f"{kind}.pth", _uncopyable(Root().state_dict(), kind))
    with pytest.raises(CheckpointError, match="cannot be copied into a model's parameters"):
        init_weights(Root(dict(type="Pretrained", checkpoint=ckpt)))


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch: quantized/nested are deprecated
@pytest.mark.parametrize("kind", ["meta", "sparse", "quantized", "nested"])
@pytest.mark.parametrize("where", ["a key the model lacks", "outside the prefix"])
def test_uncopyable_tensors_the_model_never_takes_do_not_stop_the_load(
    tmp_path: Path, kind: str, where: str
) -> None:
    # MMEngine's non-strict load never looks at keys the module lacks (nor at keys a
    # prefix leaves out), so such tensors load nothing and break nothing; the whole
    # checkpoint was refused for them.
    source = Root()
    nn.init.constant_(source.fc.weight, 7.0)
    stray = _uncopyable({"fc.weight": torch.zeros(3, 3)}, kind)["fc.weight"]
    if where == "a key the model lacks":
        state = {**source.state_dict(), "extra.weight": stray}
        target = Root(dict(type="Pretrained", checkpoint=_save(tmp_path / "c.pth", state)))
    else:
        state = {**{f"backbone.{k}": v for k, v in source.state_dict().items()},
                 "neck.fc.weight": stray}
        target = Root(dict(type="Pretrained", checkpoint=_save(tmp_path / "c.pth", state),
                           prefix="backbone"))
    read_checkpoint(str(tmp_path / "c.pth"))
    init_weights(target)
    assert torch.equal(target.fc.weight, source.fc.weight)


@pytest.mark.parametrize("versions", ["x", {"": 5}])
def test_module_versions_torch_cannot_read_are_refused(tmp_path: Path, versions: Any) -> None:
    # torch's loader calls .get() on _metadata and on each module's entry: the plan said
    # "4 from a checkpoint", then apply raised AttributeError after the init steps ran.
    state = Root().state_dict()
    state._metadata = versions  # type: ignore[attr-defined]
    ckpt = _save(tmp_path / "v.pth", state)
    with pytest.raises(CheckpointError, match=r"module versions \(_metadata\)"):
        read_checkpoint(ckpt)
    assert read_checkpoint(_save(tmp_path / "ok.pth", Root().state_dict())) is not None


def test_a_state_dict_entry_that_is_no_dict_is_refused_not_passed_over(tmp_path: Path) -> None:
    # MMEngine uses checkpoint['state_dict'] whatever it holds (and fails on a tensor);
    # taking the top level instead planned a load of one unexpected key.
    ckpt = _save(tmp_path / "t.pth", {"state_dict": torch.zeros(2)})
    with pytest.raises(CheckpointError, match="has a 'state_dict' that is a Tensor, not a dict"):
        read_checkpoint(ckpt)


def test_own_init_weights_calling_initcfg_does_not_recurse() -> None:
    class SelfInit(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.init_cfg = dict(type="Constant", layer="Linear", val=7)
            self.fc = nn.Linear(2, 2)

        def init_weights(self) -> None:
            init_weights(self)

    model = SelfInit()
    report = init_weights(model)
    assert [s.kind for s in report.steps] == ["call"]
    assert torch.all(model.fc.weight == 7)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 cut short"])
def test_a_damaged_copy_in_the_hub_cache_is_named_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    # A cut download stays in torch's hub cache and every later run reads it: torch's
    # RuntimeError came through as a traceback, an empty file's EOFError as click's
    # bare "Aborted!".
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    cached = tmp_path / "torch_home" / "hub" / "checkpoints" / "cut-0123abcd.pth"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(content)
    with pytest.raises(CheckpointError) as raised:
        read_checkpoint("https://example.invalid/cut-0123abcd.pth")
    message = str(raised.value)
    assert f"its copy in torch's hub cache, {cached}, is not a torch checkpoint" in message
    assert "delete that file to download it again" in message


def test_a_whole_copy_in_the_hub_cache_is_not_called_damaged_for_its_map_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A map_location torch cannot restore to ('cuda' without CUDA; here a device name
    # no torch knows) fails inside the hub load too: the message told the user to delete
    # a good cached download, which then failed the same way.
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    cached = tmp_path / "torch_home" / "hub" / "checkpoints" / "whole-0123abcd.pth"
    cached.parent.mkdir(parents=True)
    torch.save(Root().state_dict(), cached)
    url = "https://example.invalid/whole-0123abcd.pth"
    with pytest.raises(CheckpointError) as raised:
        read_checkpoint(url, "nowhere")
    message = str(raised.value)
    assert message.startswith(f"cannot read checkpoint {url} with map_location='nowhere': ")
    assert "delete" not in message
    assert cached.is_file() and read_checkpoint(url) is not None
    cached.write_bytes(b"")  # a cut copy is still named, whatever the map_location
    with pytest.raises(CheckpointError, match="delete that file to download it again"):
        read_checkpoint(url, "nowhere")


def test_https_style_download_goes_through_hub_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import functools
    import http.server
    import threading

    served = tmp_path / "served"
    served.mkdir()
    source = Root()
    torch.save({"state_dict": source.state_dict()}, served / "root-0123abcd.pth")
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(served)
    )
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/root-0123abcd.pth"
        target = Root(dict(type="Pretrained", checkpoint=url))
        init_weights(target)
    finally:
        server.shutdown()
    assert torch.equal(target.fc.weight, source.fc.weight)
    cached = tmp_path / "torch_home" / "hub" / "checkpoints" / "root-0123abcd.pth"
    assert cached.is_file()


def test_a_tuple_init_cfg_attribute_runs_as_mmengine_runs_it() -> None:
    """BaseModule.init_weights loops over a tuple init_cfg; mmengine.model.initialize
    raises TypeError for one, and so initcfg.initialize refuses it."""
    from mmengine.model import BaseModule
    from mmengine.model import initialize as mmengine_initialize

    class Net(BaseModule):
        def __init__(self) -> None:
            super().__init__((dict(type="Constant", val=3, layer="Linear"),
                              dict(type="Normal", layer="Conv2d")))
            self.fc = nn.Linear(2, 2)
            self.conv = nn.Conv2d(1, 1, 1)

    theirs, ours = Net(), Net()
    ours.load_state_dict(theirs.state_dict())
    torch.manual_seed(0)
    theirs.init_weights()
    torch.manual_seed(0)
    report = init_weights(ours)
    assert len(report.steps) == 2
    assert all(torch.equal(a, b) for a, b in zip(
        theirs.state_dict().values(), ours.state_dict().values(), strict=True))
    with pytest.raises(TypeError):
        mmengine_initialize(Net(), (dict(type="Constant", val=1, layer="Linear"),))
    with pytest.raises(InitCfgError, match="not a tuple"):
        initialize(Net(), (dict(type="Constant", val=1, layer="Linear"),))
