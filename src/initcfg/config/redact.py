"""Environment values kept out of diagnostics: a config's ``{{$NAME}}`` may carry a
token or a password, and diagnostics end up in CI logs and code-scanning uploads."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import NamedTuple

from initcfg.diagnostics import Diagnostic

# Shorter values are no secret, and would stand for any `8` or `cpu` in the text.
MIN_REDACTED = 4
_WORD = re.compile(rf"\w{{{MIN_REDACTED},}}")


class EnvValue(NamedTuple):
    """A value an environment variable put in a file (not the placeholder's default).

    Attributes:
        value: The variable's value, as substituted into the text.
        placeholder: What the file writes instead, ``{{$NAME}}``.
        file: The file it was substituted into.
        line: The line of the placeholder.
    """

    value: str
    placeholder: str
    file: str
    line: int


def redact(items: list[Diagnostic], values: Iterable[EnvValue]) -> list[Diagnostic]:
    """``items`` with every environment value in a message or a hint shown as its
    placeholder.

    The whole value is replaced wherever it stands, inside a longer word too (a secret
    in `model_{{$TOKEN}}_v2.pth`), also in its escaped form (``repr``). A value
    substituted into Python code is evaluated as code, and an error there quotes a piece
    of it (``name 'hunter2' is not defined``): on the placeholder's own line, each word
    of the value is replaced as well. Values shorter than :data:`MIN_REDACTED` are kept.
    """
    whole: dict[str, str] = {}
    words: dict[tuple[str, int], dict[str, str]] = {}
    for found in values:
        if len(found.value) < MIN_REDACTED:
            continue
        whole[found.value] = found.placeholder
        escaped = repr(found.value)[1:-1]
        if escaped != found.value:
            whole.setdefault(escaped, found.placeholder)
        on_line = words.setdefault((found.file, found.line), {})
        for word in _WORD.findall(found.value):
            on_line.setdefault(word, found.placeholder)
    if not whole:
        return items
    # The longest first, so that a value holding another is replaced whole.
    everywhere = sorted(whole.items(), key=lambda pair: -len(pair[0]))
    out: list[Diagnostic] = []
    for item in items:
        swaps = everywhere
        line_words = words.get((item.file or "", item.line or 0))
        if line_words:
            swaps = [*everywhere, *sorted(line_words.items(), key=lambda pair: -len(pair[0]))]
        message, hint = item.message, item.hint
        for text, placeholder in swaps:
            message = message.replace(text, placeholder)
            if hint is not None:
                hint = hint.replace(text, placeholder)
        out.append(item if (message, hint) == (item.message, item.hint)
                   else replace(item, message=message, hint=hint))
    return out
