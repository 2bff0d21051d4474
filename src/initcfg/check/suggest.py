"""The one "did you mean …?" helper."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The candidate most like ``word``: a case-insensitive match first, else the best
    ``difflib`` match at or above ``cutoff`` that is also a plausible typo of it (see
    :func:`plausible_typo`)."""
    options = list(candidates)
    folded = word.casefold()
    for option in options:
        if option.casefold() == folded:
            return option
    for match in difflib.get_close_matches(word, options, n=5, cutoff=cutoff):
        if plausible_typo(word, match):
            return match
    return None


def plausible_typo(word: str, option: str) -> bool:
    """Whether ``option`` is what ``word`` was probably meant to be: at most one edit per
    three letters of ``word`` (at least one), or ``word`` cut short (``distrib``).

    difflib's ratio alone rewards what two names share around the typo: ``nope`` and
    ``nobase`` score 0.6, and with ``.py`` appended to both even more.
    """
    typed, meant = word.casefold(), option.casefold()
    if len(typed) >= 4 and meant.startswith(typed):
        return True
    return edit_distance(typed, meant) <= max(1, len(typed) // 3)


def did_you_mean(word: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """``"did you mean 'x'?"`` for the closest candidate, or None."""
    match = closest(word, candidates, cutoff=cutoff)
    return f"did you mean {match!r}?" if match is not None else None


def edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions and
    transpositions of neighbours each cost one."""
    rows = [list(range(len(b) + 1))]
    for i, char_a in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]
