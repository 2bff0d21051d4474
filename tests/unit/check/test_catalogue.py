"""The rule catalogue: complete, documented, and docs/rules.md current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from initcfg import validate
from initcfg.check.render import rules_markdown
from initcfg.diagnostics import all_rules, get_rule

REPO = Path(__file__).resolve().parents[3]


def test_every_rule_is_documented_in_four_parts() -> None:
    rules = all_rules()
    assert len(rules) >= 20
    for rule in rules:
        assert re.fullmatch(r"IC\d{3}", rule.code), rule.code
        assert rule.severity in {"error", "warning", "info"}
        assert rule.title and rule.why and rule.example and rule.fix, rule.code


def test_every_code_reported_in_source_is_in_the_catalogue() -> None:
    known = {rule.code for rule in all_rules()}
    used: set[str] = set()
    for source in (REPO / "src" / "initcfg").rglob("*.py"):
        if source.name.startswith("rules"):
            continue
        used |= set(re.findall(r"\"(IC\d{3})\"", source.read_text()))
    assert used <= known, f"codes used but not defined: {sorted(used - known)}"


def test_docs_rules_md_is_current() -> None:
    committed = (REPO / "docs" / "rules.md").read_text()
    assert committed == rules_markdown(), "docs/rules.md is stale: run `initcfg explain --markdown`"


# Config rules whose example shows the child of a `_base_` file that is not there.
_NEEDS_A_BASE = {"IC310", "IC311", "IC316", "IC333"}
_CONFIG_RULES = [rule.code for rule in all_rules() if rule.code.startswith("IC3")]


@pytest.mark.parametrize("code", _CONFIG_RULES)
def test_config_rule_example_reports_its_code(code: str, tmp_path: Path) -> None:
    # `initcfg explain` shows the example as a config that has the problem: validated
    # alone, it must report it (an example that needs a key it leaves out teaches nothing).
    rule = get_rule(code)
    assert rule is not None
    if code in _NEEDS_A_BASE:
        assert "_base_" in rule.example, f"{code} no longer needs a base: drop it from the list"
        return
    suffix = ".py" if re.search(r"^\w+ = ", rule.example, re.MULTILINE) else ".yaml"
    config = tmp_path / f"example{suffix}"
    config.write_text(rule.example + "\n")
    found = [d.code for d in validate(config)]
    assert code in found, f"the {code} example reports {found}:\n{rule.example}"


def test_ic308_says_what_mmengine_does_for_each_case() -> None:
    # MMEngine 0.10.7 validates after the last epoch whatever val_interval is; only a
    # val_begin past the end means never.
    rule = get_rule("IC308")
    assert rule is not None
    assert "only once, after its last step" in rule.why
    assert "val_begin beyond max_epochs (max_iters) the validation loop never runs" in rule.why
    assert "never" in rule.title and "end" in rule.title


def test_the_docs_name_codes_with_their_catalogue_severity() -> None:
    # README and docs/*.md list codes in tables (`| IC312 | error | ...`) and in sample
    # output (`warning[IC306]`); a code that is renamed or changes severity must change
    # there too.
    severity = {rule.code: rule.severity for rule in all_rules()}
    for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = doc.read_text()
        for code in re.findall(r"\b(IC\d{3})\b", text):
            assert code in severity, f"{doc.name} names {code}, which the catalogue lacks"
        rows = re.findall(r"^\|\s*(IC\d{3})\s*\|\s*(\w+)\s*\|", text, re.MULTILINE)
        shown = re.findall(r"\b(error|warning|info)\[(IC\d{3})\]", text)
        for code, level in [*rows, *((code, level) for level, code in shown)]:
            assert severity[code] == level, f"{doc.name}: {code} is {severity[code]}"


_IC303_CASES = {
    "train_cfg without type or by_epoch": "train_cfg = dict(max_epochs=2)",
    "MultiStepLR without milestones": "param_scheduler = [dict(type='MultiStepLR')]",
    "an optim_wrapper without optimizer": "optim_wrapper = dict(type='OptimWrapper')",
    "a paramwise_cfg for MMDetection's LearningRateDecayOptimizerConstructor without "
    "num_layers or decay_rate": "optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-4, "
    "weight_decay=0.05), constructor='LearningRateDecayOptimizerConstructor', "
    "paramwise_cfg=dict(decay_rate=0.7))",
    "one for MMPretrain's LearningRateDecayOptimWrapperConstructor whose optimizer writes "
    "no weight_decay": "optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3), "
    "constructor='LearningRateDecayOptimWrapperConstructor', "
    "paramwise_cfg=dict(layer_decay_rate=0.5))",
}


def test_ic303_lists_only_cases_that_validate_reports_as_ic303(tmp_path: Path) -> None:
    # Its explanation listed "a decay_mult without optimizer.weight_decay" too, which
    # validate and the planner report as IC451: one problem, one code.
    rule = get_rule("IC303")
    assert rule is not None
    listed = rule.why.split("(", 1)[1].split(").", 1)[0]
    assert [" ".join(case.split()) for case in listed.split(", ")] == list(_IC303_CASES)
    for case, text in _IC303_CASES.items():
        config = tmp_path / "case.py"
        config.write_text(text + "\n")
        assert [d.code for d in validate(config)] == ["IC303"], case


def test_a_decay_multiplier_without_weight_decay_is_ic451_from_validate_too(
    tmp_path: Path,
) -> None:
    # One problem, one code: validate reported the IC451 example as IC302, and the
    # planner, which never saw it past validation, had IC451 for it.
    rule = get_rule("IC451")
    assert rule is not None
    config = tmp_path / "example.py"
    config.write_text(rule.example + "\n")
    assert [d.code for d in validate(config)] == ["IC451"]
