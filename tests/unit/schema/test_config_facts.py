"""The Document's facts: what the fine-tune rules and the summary read beyond the
typed settings, each with its key path."""

from __future__ import annotations

from initcfg.check import finetune_summary
from initcfg.config.load import tree_from_mapping
from initcfg.schema.config_facts import FINETUNE_VALUE_PATHS, config_facts
from initcfg.schema.document import parse_document, parse_finetune_document


def _config() -> dict[str, object]:
    return {
        "model": {
            "backbone": {"init_cfg": {"type": "Pretrained", "checkpoint": "x.pth"}},
            "roi_head": {"bbox_head": [{"num_classes": 3}, {"num_classes": 5}]},
            "rpn_head": {"num_classes": 1},
            "panoptic_head": {"num_things_classes": 7},
        },
        "train_dataloader": {
            "batch_size": 4,
            "dataset": {
                "type": "ConcatDataset",
                "datasets": [{"metainfo": {"classes": ["a", "b", "c"]}}, {"metainfo": {}}],
            },
        },
        "val_cfg": {"type": "ValLoop"},
        "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.01}},
        "param_scheduler": {"type": "MultiStepLR", "milestones": [1]},
        "train_cfg": {"max_epochs": 12},
        "lod_from": "x",
    }


def test_facts_are_typed_with_key_paths() -> None:
    facts = config_facts(tree_from_mapping(_config()))
    assert facts.top_level_keys[-1] == "lod_from"
    assert facts.val_cfg and facts.model_is_mapping and not facts.open_vocabulary
    assert facts.num_classes == (
        (("model", "roi_head", "bbox_head", 0, "num_classes"), 3),
        (("model", "roi_head", "bbox_head", 1, "num_classes"), 5),
    )
    assert facts.num_things_classes == frozenset({7})
    assert facts.dataset_classes == (
        (("train_dataloader", "dataset", "datasets", 0, "metainfo", "classes"), 3),
    )
    assert facts.optimizer_lr == 0.01
    assert facts.max_epochs == 12
    assert facts.train_batch_size == 4
    assert facts.load_from is None
    assert facts.backbone_pretrained
    assert facts.single_scheduler and facts.schedulers[0]["type"] == "MultiStepLR"
    assert ("train_cfg", "max_iters") not in facts.values


def test_bool_lr_is_not_a_number() -> None:
    facts = config_facts(tree_from_mapping({"optim_wrapper": {"optimizer": {"lr": True}}}))
    assert facts.optimizer_lr is None
    assert facts.value(("optim_wrapper", "optimizer", "lr")) is True


def test_documents_carry_the_facts_of_the_config_and_its_base() -> None:
    tree = tree_from_mapping(_config())
    full, part = parse_document(tree), parse_finetune_document(tree)
    for facts in (full.facts, part.facts):
        assert facts.num_classes == config_facts(tree).num_classes
        assert facts.values == config_facts(tree).values
    assert full.base_facts is None and part.base_facts is None
    assert full.finetune == part.finetune


def test_the_summary_follows_only_settings_the_facts_hold() -> None:
    assert [path for _, path in finetune_summary._SETTINGS] == list(FINETUNE_VALUE_PATHS)


def test_the_base_facts_are_the_merged_bases_values() -> None:
    child = tree_from_mapping({"optim_wrapper": {"optimizer": {"lr": 0.001}}, "load_from": "c"})
    child.base = tree_from_mapping(
        {"optim_wrapper": {"optimizer": {"lr": 0.02}}, "train_cfg": {"max_epochs": 24}}
    )
    document = parse_document(child)
    assert document.facts.optimizer_lr == 0.001 and document.facts.load_from == "c"
    assert document.base_facts is not None
    assert document.base_facts.optimizer_lr == 0.02
    assert document.base_facts.max_epochs == 24 and document.base_facts.load_from is None
