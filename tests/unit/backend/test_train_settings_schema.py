"""`initcfg train` refuses what it refused when train_settings checked by hand, now
from the schema's findings (IC319-IC323), which `validate` reports as well."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("torch")

from test_train_helpers import shapes_config

import initcfg
from initcfg.backend.torch.train_settings import read_train_settings
from initcfg.config.load import tree_from_mapping
from initcfg.errors import TrainError
from initcfg.schema.document import parse_document


def _with(**changes: Any) -> dict[str, Any]:
    config = shapes_config()
    for dotted, value in changes.items():
        keys = dotted.split("__")
        target = config
        for key in keys[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value
    return config


_DELETE = object()

CASES = [
    (
        {"train_dataloader__dataset": _DELETE},
        "IC320", "train_dataloader has no dataset", ("train_dataloader",),
    ),
    (
        {"train_dataloader__dataset__type": "ShapesDataset"},
        "IC321", "train_dataloader.dataset needs type='module:callable' naming a factory, "
        "got 'ShapesDataset'", ("train_dataloader", "dataset", "type"),
    ),
    (
        {"train_dataloader__batch_size": 0},
        "IC319", "expected an integer >= 1, got 0", ("train_dataloader", "batch_size"),
    ),
    (
        {"train_dataloader__num_workers": -2},
        "IC319", "expected an integer >= 0, got -2", ("train_dataloader", "num_workers"),
    ),
    (
        {"train_dataloader__sampler": "DefaultSampler"},
        "IC319", "expected sampler as a dict, got str", ("train_dataloader", "sampler"),
    ),
    (
        {"train_dataloader__sampler__seed": "7"},
        "IC319", "the sampler's seed must be an integer (got '7')",
        ("train_dataloader", "sampler", "seed"),
    ),
    (
        {"val_evaluator": ["Accuracy"]},
        "IC321", "expected val_evaluator as a dict, got list", ("val_evaluator",),
    ),
    ({"work_dir": 5}, "IC322", "work_dir must be a path (got 5)", ("work_dir",)),
    (
        {"default_hooks__logger": {"type": "LoggerHook", "interval": "ten"}},
        "IC323", "the logger's interval must be an integer (got 'ten')",
        ("default_hooks", "logger", "interval"),
    ),
]


@pytest.mark.parametrize(("changes", "code", "message", "path"), CASES)
def test_train_refuses_and_validate_reports(
    changes: dict[str, Any], code: str, message: str, path: tuple[str, ...]
) -> None:
    config = _with(**changes)
    with pytest.raises(TrainError) as raised:
        read_train_settings(tree_from_mapping(config))
    assert raised.value.code == code
    assert raised.value.message == message
    assert raised.value.path == path
    found = [(d.code, d.message, d.key_path) for d in initcfg.validate(config)]
    assert (code, message, path) in found, found


def test_registry_types_in_a_registry_config_are_left_to_mmengine() -> None:
    # MMEngine's Runner builds registry datasets; validate does not ask for factories
    # there, but initcfg's own loop (`train --model`) still cannot call them.
    config = _with(model__type="ImageClassifier", train_dataloader__dataset__type="ImageNet")
    assert not [d for d in initcfg.validate(config) if d.code in ("IC320", "IC321")]
    with pytest.raises(TrainError) as raised:
        read_train_settings(tree_from_mapping(config))
    assert raised.value.code == "IC321"


def test_model_that_is_no_dict_is_refused() -> None:
    with pytest.raises(TrainError, match="model must be a dict") as raised:
        read_train_settings(tree_from_mapping(_with(model="build_model")))
    assert raised.value.code == "IC302"


def test_settings_come_from_the_document() -> None:
    config = _with(
        work_dir="work_dirs/x", default_hooks__logger={"type": "LoggerHook", "interval": 3.0}
    )
    document = parse_document(tree_from_mapping(config))
    settings = read_train_settings(document)
    assert settings.document is document
    assert settings.work_dir == "work_dirs/x" and settings.log_interval == 3
    assert settings.train_loader.batch_size == 16 and settings.train_loader.shuffle
    assert settings.val_loader is not None and not settings.val_loader.shuffle
    assert settings.model is not None
    assert settings.model.target == "examples.shapes.model:build_model"
    assert settings.evaluator is not None and settings.evaluator.path == ("val_evaluator",)


def test_a_valid_config_has_no_runtime_findings() -> None:
    document = parse_document(tree_from_mapping(shapes_config()))
    assert document.runtime_diagnostics == [] and document.runtime.factory_diagnostics == []
    assert document.runtime.uses_factories
    assert document.init_cfg_paths() == [
        ("model", "backbone", "init_cfg"),
        ("model", "head", "init_cfg"),
    ]
    found = document.init_cfg_at(("model", "head", "init_cfg"))
    assert found is not None and type(found.entries[0]).__name__ == "Normal"


def test_keys_that_are_no_string_in_what_is_built_are_reported_at_the_key(
    write: Any,
) -> None:
    # The model, dataset and dataloader sections are keyword arguments of what is built:
    # their keys were made strings in silence (dataset 7: 1 reached the factory as
    # '7'=1), where MMEngine's build fails with "keywords must be strings".
    path = write("d.yaml", (
        "model: {type: 'nets:net', 5: 6}\n"
        "train_dataloader:\n"
        "  batch_size: 2\n"
        "  3: 4\n"
        "  dataset: {type: 'data:build', 7: 1}\n"
    ))
    found = [(d.code, d.path, d.line) for d in initcfg.validate(path)
             if "is not a string" in d.message]
    assert found == [
        ("IC302", "model[5]", 1),
        ("IC319", "train_dataloader[3]", 4),
        ("IC302", "train_dataloader.dataset[7]", 5),
    ]
    settings = parse_document(tree_from_mapping(
        {"train_dataloader": {"dataset": {"type": "data:build", 7: 1, "size": 2}}}
    )).runtime
    dataset = settings.train_dataloader.dataset if settings.train_dataloader else None
    assert dataset is not None and dataset.kwargs == {"size": 2}
