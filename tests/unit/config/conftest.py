"""Fixtures for the config loader tests: MMEngine 0.10.7 as the reference loader."""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from initcfg.config.loaded import clear_cache


def normalized(value: Any) -> Any:
    """Tuples as lists: the loaders agree on which is which, but comparisons here
    only care about the values."""
    if isinstance(value, dict):
        return {key: normalized(child) for key, child in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalized(child) for child in value]
    return value


def mmengine_dict(path: Path) -> dict[str, Any]:
    """``Config.fromfile(path).to_dict()``; raises what MMEngine raises."""
    from mmengine.config import Config

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        result: dict[str, Any] = Config.fromfile(str(path)).to_dict()
    return result


@pytest.fixture
def mmengine() -> Callable[[Path], dict[str, Any]]:
    """MMEngine's result for a file: ``mmengine(path)``."""
    return mmengine_dict


@pytest.fixture
def norm() -> Callable[[Any], Any]:
    """Tuples as lists, for comparing results: ``norm(value)``."""
    return normalized


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Files written by one test may reuse a path (and an mtime) of another's.
    clear_cache()
    yield
    clear_cache()
