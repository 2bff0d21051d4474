"""Reading JSON configs: ``json``'s values at the YAML reader's positions."""

from __future__ import annotations

import re
from typing import Any

from initcfg.config.budget import Budget
from initcfg.config.source import SourceMap
from initcfg.config.yaml_loader import Put, Record, parse_yaml
from initcfg.diagnostics import Diagnostic, Location, diagnostic


def parse_json(
    text: str,
    file: str,
    record: Record | None = None,
    budget: Budget | None = None,
    *,
    put: Put | None = None,
    counted: list[int] | None = None,
) -> tuple[Any, SourceMap, list[Diagnostic]]:
    """Parse JSON text with locations (``counted`` as for :func:`parse_yaml`).

    ``json`` decides validity (YAML would accept a trailing comma); the YAML composer,
    which keeps positions, then reads the same text. Where it cannot (tabs in odd
    places), the value comes from ``json`` with file-level locations only.
    """
    import json  # JSON configs only: not imported to read YAML

    try:
        plain = json.loads(text)
    except json.JSONDecodeError as error:
        location = Location(file, error.lineno, error.colno)
        return None, SourceMap(), [diagnostic("IC002", f"invalid JSON: {error.msg}").at(location)]
    except (ValueError, RecursionError) as error:  # integers too long, nesting too deep
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        location = Location(file, 1, 1)
        return None, SourceMap(), [diagnostic("IC002", f"invalid JSON: {reason}").at(location)]
    value, source_map, diagnostics = parse_yaml(
        _joined_surrogates(text), file, record, budget, put=put, counted=counted
    )
    if value is None and any(item.code == "IC214" for item in diagnostics):
        return None, SourceMap(), diagnostics
    if (value is None and diagnostics) or not _json_scalars(value, plain):
        return plain, SourceMap({(): Location(file, 1, 1)}), []
    return value, source_map, diagnostics


def _json_scalars(value: Any, plain: Any) -> bool:
    """Put ``json``'s scalars into ``value``, the same document as read by YAML, which
    keeps the positions but reads some JSON numbers otherwise (``1e-3`` and ``NaN`` are
    strings to YAML 1.1, floats to ``json`` and so to MMEngine). False when the two trees
    differ in shape (then only ``json``'s value is to be trusted)."""
    pending = [(value, plain)]
    while pending:
        ours, theirs = pending.pop()
        if type(ours) is dict and type(theirs) is dict:
            if ours.keys() != theirs.keys():
                return False
            pairs: Any = ((key, ours[key], theirs[key]) for key in ours)
        elif type(ours) is list and type(theirs) is list:
            if len(ours) != len(theirs):
                return False
            pairs = ((index, item, theirs[index]) for index, item in enumerate(ours))
        else:
            return False
        for key, mine, real in pairs:
            if type(real) is dict or type(real) is list:
                pending.append((mine, real))
            elif type(mine) is dict or type(mine) is list:
                return False
            elif type(mine) is not type(real) or mine != real:
                ours[key] = real
    return True


# A JSON escape of a surrogate (`\ud83d\ude00`, a pair, is 😀; one alone is valid JSON).
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
# A string of valid JSON (json has read the text): no raw newline inside, escapes paired.
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_ESCAPE = re.compile(
    r"\\(?:u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})"
    r"|u[dD][89a-fA-F][0-9a-fA-F]{2}|.)"
)


def _joined_surrogates(text: str) -> str:
    """``text`` as the YAML composer, which places the values, can read it the way
    ``json`` does.

    ``json`` reads a surrogate pair escape as the one character it encodes; the
    composer read two lone surrogates, so a key holding one differed between the two
    and the whole file lost its positions. A pair is written as one ``\\UXXXXXXXX``
    escape, two characters shorter, so two spaces follow the string's closing quote
    (YAML takes them as the spaces between tokens): every column after it stays where
    it was. A lone surrogate, which the composer refuses, is read as U+FFFD (the same
    width); the values are ``json``'s in the end, only a key holding one loses the
    positions."""
    if _SURROGATE.search(text) is None:
        return text

    def string(match: re.Match[str]) -> str:
        pairs = 0

        def escape(found: re.Match[str]) -> str:
            nonlocal pairs
            written = found.group(0)
            if found.group(1) is not None:
                pairs += 1
                high, low = int(found.group(1), 16), int(found.group(2), 16)
                return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08X}"
            return "\\uFFFD" if written[1] == "u" else written

        body = _ESCAPE.sub(escape, match.group(0))
        return body + "  " * pairs

    return _STRING.sub(string, text)
