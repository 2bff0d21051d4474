"""Renderers: diagnostics to text, JSON, GitHub workflow annotations or SARIF.

Each renderer turns the whole list into one string; the CLI only picks one by name.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Sequence

from initcfg.check.base_lines import base_lines
from initcfg.diagnostics import Diagnostic, all_rules, did_you_mean, get_rule

_COLOURS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def text_table(
    rows: Sequence[Sequence[str]],
    *,
    indent: str = "",
    rule: bool = False,
    cap: int | None = None,
    free_last: bool = False,
) -> list[str]:
    """The lines of a plain-text table: columns two spaces apart, trailing blanks cut.

    Args:
        rows: The cells, the header row first.
        indent: Put before every line.
        rule: A dashed line under the header, as wide as each column.
        cap: Pad no column wider than this (a longer cell still shows whole).
        free_last: Leave the last column unpadded (its dashes as wide as its header).
    """
    padded = len(rows[0]) - 1 if free_last else len(rows[0])
    widths = [max(len(row[i]) for row in rows) for i in range(padded)]
    if cap is not None:
        widths = [min(width, cap) for width in widths]
    lines = []
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(padded)] + list(row[padded:])
        lines.append((indent + "  ".join(cells)).rstrip())
    if rule:
        dashes = ["-" * width for width in widths]
        if free_last:
            dashes.append("-" * len(rows[0][-1]))
        lines.insert(1, indent + "  ".join(dashes))
    return lines


def _where(diagnostic: Diagnostic) -> str:
    if diagnostic.file is None:
        # A finding about the whole config (a plan's untouched parameters) names it.
        return diagnostic.config or "<config>"
    if diagnostic.line is None:
        return diagnostic.file  # a path that does not exist has no position
    return f"{diagnostic.file}:{diagnostic.line}:{diagnostic.column or 1}"


def _base_position(diagnostic: Diagnostic) -> str:
    return f"{diagnostic.file}:{diagnostic.line or 1}:{diagnostic.column or 1}"


def _anchor_line(diagnostic: Diagnostic) -> int:
    """The line of the checked config that an inherited finding is shown at: its
    ``_base_`` statement, where the value comes in (line 1 when there is none)."""
    lines = base_lines(diagnostic.config)
    return lines[0] if lines else 1


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
        if item.inherited:
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
    message, hint and config (the file that was checked; file/line/column are where
    the value is written, a base file for an inherited value)."""
    import json  # only the JSON and SARIF renderers need it: not `explain`, nor text

    return json.dumps([item.to_json() for item in diagnostics], indent=2)


def _escape_property(value: str) -> str:
    return (
        value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        .replace(":", "%3A").replace(",", "%2C")
    )


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def render_github(diagnostics: list[Diagnostic]) -> str:
    """GitHub Actions workflow commands (``::error file=…,line=…,col=…::message``).

    An inherited finding is annotated on the checked config (at its ``_base_``
    statement), the file a pull request changes, and its message names the base
    position; a base is often outside the repository (``mmdet::`` bases)."""
    levels = {"error": "error", "warning": "warning", "info": "notice"}
    lines = []
    for item in diagnostics:
        props = []
        text = item.message + (f" ({item.hint})" if item.hint else "")
        if item.inherited and item.config is not None:
            props.append(f"file={_escape_property(item.config)}")
            props.append(f"line={_anchor_line(item)}")
            text += f" [inherited from base {_base_position(item)}]"
        elif item.file is not None:
            props.append(f"file={_escape_property(item.file)}")
            if item.line is not None:
                props.append(f"line={item.line}")
                props.append(f"col={item.column or 1}")
        elif item.config is not None:
            props.append(f"file={_escape_property(item.config)}")
        props.append(f"title={_escape_property(f'initcfg {item.code}')}")
        lines.append(f"::{levels[item.severity]} {','.join(props)}::{_escape_data(text)}")
    return "\n".join(lines)


def _artifact_uri(file: str) -> str:
    """``file`` as SARIF's ``artifactLocation.uri``, a URI reference: percent-encoded (a
    '#' would start a fragment, a space or '%' is no URI, a ':' in a first segment would
    read as a scheme), relative as written, and a ``file://`` URI when absolute. A bare
    absolute path is a relative reference that consumers resolve against the
    repository's root (``/usr/lib/...`` under it), which names the wrong file."""
    from pathlib import Path  # SARIF only: text output imports nothing for it
    from urllib.parse import quote

    if os.path.isabs(file):
        return Path(file).as_uri()
    return quote(file.replace(os.sep, "/"))


def _sarif_location(
    file: str, line: int | None, column: int | None, key_path: str, number: int | None = None
) -> dict[str, object]:
    location: dict[str, object] = {
        "physicalLocation": {
            "artifactLocation": {"uri": _artifact_uri(file)},
            "region": {"startLine": line or 1, "startColumn": column or 1},
        },
        "logicalLocations": [{"fullyQualifiedName": key_path}] if key_path else [],
    }
    if number is not None:
        location = {"id": number, **location}
    return location


def _sarif_message(text: str) -> str:
    # SARIF reads "{0}" in a message as a placeholder for `arguments`, and "{{", "}}" as
    # literal braces: a `{{_base_.lr}}` placeholder quoted in a message would otherwise
    # show with single braces, and a "{0}" in a value would name a missing argument.
    return text.replace("{", "{{").replace("}", "}}")


def _sarif_link_text(text: str) -> str:
    # Inside an embedded link's text, SARIF takes '[' and ']' as literal only when
    # escaped with a backslash (and so the backslash itself): `configs/[old]/base.py`.
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def render_sarif(diagnostics: list[Diagnostic]) -> str:
    """SARIF 2.1.0, for code-scanning uploads.

    The primary location is where the user can act: the value itself, or for an
    inherited value the checked config's ``_base_`` statement, with the base position
    as a related location (linked from the message). Code scanning shows alerts only
    at primary locations in the repository, and a base is often outside it (an
    installed ``mmdet::`` base); two child configs inheriting one value also stay two
    alerts, each on its own file. ``properties.config`` names the checked config."""
    tool_name = "initcfg"

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
        text = item.message + (f" ({item.hint})" if item.hint else "")
        result: dict[str, object] = {
            "ruleId": item.code,
            "ruleIndex": index.get(item.code, 0),
            "level": levels[item.severity],
            "message": {"text": _sarif_message(text)},
        }
        if item.inherited and item.config is not None and item.file is not None:
            result["locations"] = [
                _sarif_location(item.config, _anchor_line(item), 1, item.path)
            ]
            result["relatedLocations"] = [
                _sarif_location(item.file, item.line, item.column, item.path, 1)
            ]
            link_text = _sarif_link_text(f"base {_base_position(item)}")
            result["message"] = {
                "text": _sarif_message(f"{text} (inherited from [{link_text}](1))")
            }
        elif item.file is not None:
            result["locations"] = [_sarif_location(item.file, item.line, item.column, item.path)]
        elif item.config is not None:
            result["locations"] = [_sarif_location(item.config, None, None, item.path)]
        if item.config is not None:
            result["properties"] = {"config": item.config}
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
    import json

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


def code_lines(prefix: str = "") -> str:
    """Every code ``prefix`` starts (all of them for ``""``), one line each: the code,
    its severity and its title."""
    wanted = prefix.strip().upper()
    return "".join(
        f"{rule.code}  {rule.severity:<7}  {rule.title}\n"
        for rule in all_rules()
        if rule.code.startswith(wanted)
    )


def explain_prefix(prefix: str) -> str | None:
    """The codes ``prefix`` starts (``IC1``, as ``--select`` takes it, ``ALL`` for
    every code), one line each; None when it starts none."""
    if prefix.strip().upper() == "ALL":
        listed = code_lines()
        return f"{prefix!r} selects all {listed.count(chr(10))} codes:\n{listed}"
    listed = code_lines(prefix) if prefix.strip() else ""
    if not listed:
        return None
    count = listed.count("\n")
    codes = "code" if count == 1 else "codes"
    return f"{prefix!r} starts {count} {codes} (`initcfg explain CODE` for one):\n{listed}"


def unknown_code(code: str) -> str:
    """The usage error for a ``code`` that is neither a code nor a prefix of one."""
    hint = did_you_mean(code.strip().upper(), [rule.code for rule in all_rules()])
    return f"initcfg: unknown code {code!r}" + (f"; {hint}" if hint else "")


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
