"""A config that writes no fine-tune key has its (empty) settings typed when they are
first read, so `initcfg validate` on it imports no fine-tune model (issue 15). Nothing
may change what is reported: each section alone and all of them together give the
findings they gave when every config was typed eagerly (recorded from that code)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import initcfg
from cli_probe import print_loaded, probe_cli
from initcfg.check.finetune import check_finetune
from initcfg.config.load import tree_from_mapping
from initcfg.schema.document import (
    FINETUNE_KEYS,
    Document,
    parse_document,
    parse_finetune_document,
)
from initcfg.schema.finetune import parse_finetune

MODEL = {"type": "RetinaNet", "init_cfg": {"type": "Normal", "layer": "Conv2d", "std": 0.01}}

# One schema error in each section the fine-tune parser reads.
SECTIONS: dict[str, Any] = {
    "train_cfg": {"type": "EpochBasedTrainLoop", "max_epochs": 0},
    "val_cfg": {"type": "ValLoop", "fp16": "yes"},
    "test_cfg": {"type": "TestLoop", "bogus": 1},
    "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.01, "momentom": 0.9}},
    "param_scheduler": [{"type": "MultiStepLR", "milestones": "x"}],
    "load_from": 42,
    "resume": "yes",
    "auto_scale_lr": {"enable": True},
    "randomness": {"seed": "a"},
    "default_hooks": {"checkpoint": {"type": "CheckpointHook", "interval": 0}},
}

# What validate reported for each, before the settings were typed lazily.
ALONE = {
    "auto_scale_lr": [("IC302", "auto_scale_lr")],
    "default_hooks": [("IC302", "default_hooks.checkpoint.interval")],
    "load_from": [("IC302", "load_from")],
    "optim_wrapper": [("IC301", "optim_wrapper.optimizer.momentom")],
    "param_scheduler": [("IC302", "param_scheduler[0].milestones")],
    "randomness": [("IC302", "randomness.seed")],
    "resume": [("IC302", "resume")],
    "test_cfg": [("IC301", "test_cfg.bogus")],
    "train_cfg": [("IC302", "train_cfg.max_epochs")],
    "val_cfg": [("IC302", "val_cfg.fp16")],
}
TOGETHER = [
    ("IC301", "test_cfg.bogus"),
    ("IC301", "optim_wrapper.optimizer.momentom"),
    ("IC302", "train_cfg.max_epochs"),
    ("IC302", "val_cfg.fp16"),
    ("IC302", "param_scheduler[0].milestones"),
    ("IC302", "load_from"),
    ("IC302", "resume"),
    ("IC302", "auto_scale_lr"),
    ("IC302", "randomness.seed"),
    ("IC302", "default_hooks.checkpoint.interval"),
]

# Settings that type cleanly and that the rules over typed settings report on, epoch-
# and iteration-based; recorded the same way.
EPOCH_RULES: dict[str, Any] = {
    "train_cfg": {"type": "EpochBasedTrainLoop", "max_epochs": 12, "val_begin": 20},
    "val_cfg": {"type": "ValLoop"},
    "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.02}},
    "param_scheduler": [
        {"type": "LinearLR", "start_factor": 0.001, "by_epoch": False, "begin": 0, "end": 500},
        {"type": "MultiStepLR", "by_epoch": True, "begin": 0, "end": 12, "milestones": [8, 30]},
        {"type": "CosineAnnealingLR", "by_epoch": True, "begin": 0, "end": 24},
    ],
    "load_from": "no/such/checkpoint.pth",
    "auto_scale_lr": {"enable": True, "base_batch_size": 16},
}
EPOCH_FOUND = [
    ("IC312", "load_from"),
    ("IC306", "param_scheduler[1].milestones[1]"),
    ("IC307", "param_scheduler[2].end"),
    ("IC308", "train_cfg.val_begin"),
    ("IC318", "auto_scale_lr.enable"),
]
ITER_RULES: dict[str, Any] = {
    "train_cfg": {"type": "IterBasedTrainLoop", "max_iters": 1000, "val_interval": 5000},
    "val_cfg": {"type": "ValLoop"},
    "param_scheduler": [
        {"type": "LinearLR", "by_epoch": False, "begin": 0, "end": 2000},
        {"type": "MultiStepLR", "by_epoch": False, "milestones": [1500]},
        {"type": "PolyLR", "by_epoch": True, "begin": 0, "end": 50},
    ],
}
ITER_FOUND = [
    ("IC306", "param_scheduler[1].milestones[0]"),
    ("IC307", "param_scheduler[0].end"),
    ("IC308", "train_cfg.val_interval"),
    # An epoch-based PolyLR in an iteration loop steps only after the last iteration.
    ("IC461", "param_scheduler[2].by_epoch"),
]


def _found(config: dict[str, Any]) -> list[tuple[str, str]]:
    return [(item.code, item.path) for item in initcfg.validate(config)]


def test_each_section_alone_gives_what_it_gave() -> None:
    assert set(SECTIONS) == FINETUNE_KEYS
    for key, value in SECTIONS.items():
        assert _found({"model": MODEL, key: value}) == ALONE[key], key


def test_all_sections_together_give_what_they_gave() -> None:
    found = _found({"model": MODEL, **SECTIONS})
    assert found == TOGETHER
    assert sorted(found) == sorted(item for items in ALONE.values() for item in items)


def test_the_rules_over_typed_settings_report_as_they_did() -> None:
    assert _found({"model": MODEL, **EPOCH_RULES}) == EPOCH_FOUND
    assert _found({"model": MODEL, **ITER_RULES}) == ITER_FOUND
    assert _found({"model": MODEL, "resume": True}) == [("IC317", "resume")]


def test_without_a_finetune_key_only_the_rules_over_facts_report() -> None:
    config = {"model": MODEL, "tarin_cfg": {"max_epochs": 1}}
    assert _found(config) == [("IC315", "tarin_cfg")]


def test_untyped_settings_equal_the_parsed_ones_when_read() -> None:
    tree = tree_from_mapping({"model": MODEL, "work_dir": "out"})
    eager, found = parse_finetune(tree)
    for document in (parse_document(tree), parse_finetune_document(tree)):
        assert document.finetune_keys == frozenset()
        assert document.finetune_diagnostics == [] and found == []
        lazy = document.finetune
        assert lazy is not None and eager is not None
        assert lazy == eager
        assert lazy.model_fields_set == eager.model_fields_set
        assert document.finetune is lazy  # typed once
    assert check_finetune(tree) == []


def test_a_config_that_is_not_a_mapping_has_no_settings() -> None:
    tree = tree_from_mapping({})
    tree.data = ["not", "a", "mapping"]  # type: ignore[assignment]
    document = parse_finetune_document(tree)
    assert document.finetune is None and document.finetune_keys is None
    assert check_finetune(tree) == []


class _Recording(dict[str, Any]):
    """A config's values that remember every top-level key asked for."""

    def __init__(self, value: dict[str, Any], asked: set[str]) -> None:
        super().__init__(value)
        self.asked = asked

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("the parser reads named keys only")


def test_the_parser_reads_only_the_finetune_keys() -> None:
    # A section the parser learns to read must join FINETUNE_KEYS, or a config that
    # writes only it would be taken for one without settings and its errors missed.
    asked: set[str] = set()
    tree = tree_from_mapping({"model": MODEL, **SECTIONS})
    tree.data = _Recording(tree.data, asked)
    parse_finetune(tree)
    assert asked == FINETUNE_KEYS


def test_validating_a_model_only_config_imports_no_finetune_model(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("model:\n  init_cfg: {type: Normal, layer: Conv2d, std: 0.01}\n")
    models = (
        "initcfg.schema.loops", "initcfg.schema.optim_wrapper", "initcfg.schema.schedulers",
        "initcfg.schema.finetune_settings", "initcfg.schema.finetune_parser",
    )
    done = probe_cli(["validate", str(config)], print_loaded("MODELS", models))
    assert "EXIT 0" in done.stdout, done.stdout + done.stderr
    assert "MODELS []" in done.stdout, done.stdout


def test_a_document_takes_its_settings_as_a_keyword() -> None:
    # Document is public API: Document(finetune=...) built documents before the settings
    # were typed lazily, and still does.
    settings = parse_finetune(tree_from_mapping({"resume": True}))[0]
    assert settings is not None
    document = Document(finetune=settings, load_from="a.pth")
    assert document.finetune is settings and document.load_from == "a.pth"
    assert Document().finetune is None
    assert "finetune" in [item.name for item in dataclasses.fields(Document)]
    document.finetune = None
    assert document.finetune is None


def test_replace_and_repr_see_the_settings_of_an_untyped_document() -> None:
    tree = tree_from_mapping({"model": MODEL})
    settings = parse_finetune(tree)[0]
    changed = dataclasses.replace(parse_document(tree), load_from="b.pth")
    assert changed.finetune == settings and changed.load_from == "b.pth"
    assert dataclasses.replace(Document(), finetune=settings).finetune is settings
    assert f"finetune={settings!r}" in repr(parse_document(tree))
