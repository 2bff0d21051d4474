"""The rule catalogue: complete, documented, and docs/rules.md current."""

from __future__ import annotations

import re
from pathlib import Path

from initcfg.check.render import rules_markdown
from initcfg.diagnostics import all_rules

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
