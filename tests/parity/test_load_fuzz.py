"""initcfg's loader against MMEngine 0.10.7's ``Config.fromfile`` on generated trees of
small configs (``load_fuzz.py`` draws them and says what is compared).

Derandomized and bounded to a few seconds; a scratch run draws thousands:
``python tests/load_fuzz.py 5000 [seed] [classic|new|both]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

pytest.importorskip("mmengine")

from load_fuzz import (
    Outcome,
    Tree,
    compare,
    config_trees,
    environment,
    new_style_trees,
    strict_equal,
)


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples, derandomize=True, database=None, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@pytest.fixture(autouse=True, scope="module")
def _environment() -> Iterator[None]:
    with environment():
        yield


def _check(tree: Tree, seen: dict[str, int]) -> None:
    outcome: Outcome = compare(tree)
    seen["raised" if outcome.mmengine_raised else "loaded"] += 1
    assert outcome.agree, tree.show() + "\n>>> " + outcome.why


def test_classic_trees_load_as_in_mmengine() -> None:
    seen = {"raised": 0, "loaded": 0}

    @_settings(40)
    @given(config_trees())
    def run(tree: Tree) -> None:
        _check(tree, seen)

    run()
    # Both sides of the comparison were exercised: results compared, failures matched.
    assert seen["loaded"] >= 10 and seen["raised"] >= 5, seen


def test_new_style_trees_load_as_in_mmengine() -> None:
    seen = {"raised": 0, "loaded": 0}

    @_settings(30)
    @given(new_style_trees())
    def run(tree: Tree) -> None:
        _check(tree, seen)

    run()
    assert seen["loaded"] >= 5 and seen["raised"] >= 5, seen


@pytest.mark.parametrize(
    ("ours", "theirs", "equal"),
    [
        ({"a": [1, (2,)]}, {"a": [1, (2,)]}, True),
        ({"a": 1}, {"a": True}, False),
        ({"a": (1,)}, {"a": [1]}, False),
        ({"a": {"b": 1.0}}, {"a": {"b": 1}}, False),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}, True),
    ],
)
def test_results_are_compared_with_their_types(ours: Any, theirs: Any, equal: bool) -> None:
    assert strict_equal(ours, theirs) is equal
