"""Renderers: diagnostics to text, JSON, GitHub workflow annotations or SARIF.

Each renderer turns the whole list into one string; the CLI only picks one by name.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable

from initcfg.check.diagnostics import Diagnostic
from initcfg.check.rules import all_rules, get_rule

_COLOURS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def _where(diagnostic: Diagnostic) -> str:
    if diagnostic.file is None:
        return "<config>"
    return f"{diagnostic.file}:{diagnostic.line or 1}:{diagnostic.column or 1}"


def render_text(diagnostics: list[Diagnostic], *, colour: bool = False) -> str:
    """``file:line:col: severity[CODE] message`` per diagnostic, hints indented below,
    a summary line last. A value inherited from a base names the config first."""
    lines: list[str] = []
    for item in diagnostics:
        label = f"{item.severity}[{item.code}]"
        if colour:
            label = f"{_BOLD}{_COLOURS[item.severity]}{label}{_RESET}"
        where = _where(item)
        suffix = f" ({item.path})" if item.path else ""
        if colour and suffix:
            suffix = f"{_DIM}{suffix}{_RESET}"
        if item.config is not None:
            lines.append(f"{item.config}: {label} {item.message}{suffix}")
            lines.append(f"    from base {where}")
        else:
            lines.append(f"{where}: {label} {item.message}{suffix}")
        if item.hint:
            lines.append(f"    hint: {item.hint}")
    counts: Counter[str] = Counter(item.severity for item in diagnostics)
    if diagnostics:
        parts = [f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}" for s in _COLOURS if counts[s]]
        lines.append("found " + ", ".join(parts))
    return "\n".join(lines)


def render_json(diagnostics: list[Diagnostic]) -> str:
    """One JSON array; each object has file, line, column, path, code, severity,
    message (and hint)."""
    return json.dumps([item.to_json() for item in diagnostics], indent=2)


def _escape_property(value: str) -> str:
    return (
        value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        .replace(":", "%3A").replace(",", "%2C")
    )


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def render_github(diagnostics: list[Diagnostic]) -> str:
    """GitHub Actions workflow commands (``::error file=…,line=…,col=…::message``)."""
    levels = {"error": "error", "warning": "warning", "info": "notice"}
    lines = []
    for item in diagnostics:
        props = []
        if item.file is not None:
            props.append(f"file={_escape_property(item.file)}")
            props.append(f"line={item.line or 1}")
            props.append(f"col={item.column or 1}")
        props.append(f"title={_escape_property(f'initcfg {item.code}')}")
        text = item.message + (f" ({item.hint})" if item.hint else "")
        lines.append(f"::{levels[item.severity]} {','.join(props)}::{_escape_data(text)}")
    return "\n".join(lines)


def render_sarif(diagnostics: list[Diagnostic]) -> str:
    """SARIF 2.1.0, for code-scanning uploads."""
    from initcfg import __name__ as tool_name

    levels = {"error": "error", "warning": "warning", "info": "note"}
    rules = [
        {
            "id": rule.code,
            "name": rule.title,
            "shortDescription": {"text": rule.title},
            "fullDescription": {"text": rule.why},
            "help": {"text": f"{rule.why}\n\nExample:\n{rule.example}\n\nFix: {rule.fix}"},
            "defaultConfiguration": {"level": levels[rule.severity]},
        }
        for rule in all_rules()
    ]
    index = {rule["id"]: number for number, rule in enumerate(rules)}
    results = []
    for item in diagnostics:
        result: dict[str, object] = {
            "ruleId": item.code,
            "ruleIndex": index.get(item.code, 0),
            "level": levels[item.severity],
            "message": {"text": item.message + (f" ({item.hint})" if item.hint else "")},
        }
        if item.file is not None:
            result["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": item.file.replace(os.sep, "/")},
                        "region": {"startLine": item.line or 1, "startColumn": item.column or 1},
                    },
                    "logicalLocations": [{"fullyQualifiedName": item.path}] if item.path else [],
                }
            ]
        results.append(result)
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": tool_name, "rules": rules}},
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2)


RENDERERS: dict[str, Callable[[list[Diagnostic]], str]] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
    "sarif": render_sarif,
}


def explain(code: str) -> str | None:
    """The catalogue entry of ``code`` as text: what, why, example, fix."""
    rule = get_rule(code)
    if rule is None:
        return None
    return (
        f"{rule.code} ({rule.severity}): {rule.title}\n\n"
        f"Why it matters\n  {rule.why}\n\n"
        "Example\n" + "\n".join(f"  {line}" for line in rule.example.splitlines()) + "\n\n"
        f"Fix\n  {rule.fix}\n"
    )


def rules_markdown() -> str:
    """docs/rules.md: every code in the same four parts (what, why, example, fix)."""
    parts = [
        "# Diagnostic codes\n",
        "Generated from the rule catalogue by `initcfg explain --markdown`; "
        "a test keeps it current.\n",
        "| code | severity | what |",
        "| --- | --- | --- |",
    ]
    rules = all_rules()
    parts += [f"| [{r.code}](#{r.code.lower()}) | {r.severity} | {r.title} |" for r in rules]
    for rule in rules:
        parts += [
            f"\n## {rule.code}\n",
            f"**{rule.title}** ({rule.severity})\n",
            f"**Why it matters.** {rule.why}\n",
            "**Example.**\n",
            "```",
            rule.example,
            "```\n",
            f"**Fix.** {rule.fix}",
        ]
    return "\n".join(parts) + "\n"
