"""The one "did you mean …?" helper: :func:`suggest`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping


def closest(word: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The candidate most like ``word``: a case-insensitive match first, else the best
    ``difflib`` match at or above ``cutoff`` that is also a plausible typo of it (see
    :func:`plausible_typo`)."""
    import difflib  # here: only a finding asks, and every command imports this module

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


def suggest(
    word: str,
    candidates: Iterable[str] = (),
    *,
    cutoff: float = 0.6,
    matcher: Callable[[str], str | None] | None = None,
    shown: Mapping[str, str] | None = None,
) -> str | None:
    """``"did you mean 'x'?"`` for the candidate ``word`` was probably meant to be, or None.

    Args:
        word: What the user wrote.
        candidates: What they could have meant.
        cutoff: The least ``difflib`` ratio of a match (see :func:`closest`).
        matcher: Finds the match instead of :func:`closest`, for callers whose rule
            decides on its own what counts as a typo (it then ignores ``candidates``
            and ``cutoff``).
        shown: What to show for a match, when not the match itself (a file name
            found by its stem).
    """
    match = matcher(word) if matcher is not None else closest(word, candidates, cutoff=cutoff)
    if match is None:
        return None
    if shown is not None:
        match = shown[match]
    return f"did you mean {match!r}?"


did_you_mean = suggest  # the name most callers import


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
