"""Every file under examples/init_cfg/ reports exactly what its first line announces.

Line 1 is ``# expect: CODE ...`` (``valid`` for none), compared as a multiset. Optional
header lines: ``# expect-strict: CODE ...`` (what ``strict=True`` reports) and
``# where: CODE@key.path ...`` (a diagnostic with that code is reported at that path).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

import initcfg
from initcfg.diagnostics import all_rules, get_rule

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "init_cfg"
SUFFIXES = (".yaml", ".yml", ".json", ".py")
_CODE = re.compile(r"^IC\d{3}$")
_PLACE = re.compile(r"^(IC\d{3})@(\S+)$")
_HEADER_LINES = 4

# A Python config whose values are known: used to find out whether load_config reads .py.
_PROBE = EXAMPLES / "constant_layer_list.py"


def _files() -> list[Path]:
    return sorted(p for p in EXAMPLES.rglob("*") if p.suffix in SUFFIXES)


def _header(path: Path, key: str) -> list[str] | None:
    """The tokens of the ``# key:`` header line, or None when the file has none."""
    prefix = f"# {key}:"
    for line in path.read_text().splitlines()[:_HEADER_LINES]:
        if line.startswith(prefix):
            return line[len(prefix) :].split()
    return None


def _expectation(path: Path, key: str) -> list[str] | None:
    tokens = _header(path, key)
    if tokens is None:
        return None
    codes = [token for token in tokens if token != "valid"]
    assert all(_CODE.match(code) for code in codes), f"{path}: bad codes {tokens}"
    return codes


def _places(path: Path) -> list[tuple[str, str]]:
    places = []
    for token in _header(path, "where") or []:
        match = _PLACE.match(token)
        assert match, f"{path}: bad '# where:' token {token!r}"
        places.append((match.group(1), match.group(2)))
    return places


@cache
def _python_loader_missing() -> str | None:
    """Why .py configs cannot be checked yet, or None when load_config reads them."""
    tree = initcfg.load_config(_PROBE)
    if tree.diagnostics or not tree.data:
        codes = ", ".join(d.code for d in tree.diagnostics) or "no values"
        return f"initcfg.load_config cannot read Python configs yet ({codes} on {_PROBE.name})"
    return None


def _skip_unreadable_python(path: Path) -> None:
    if path.suffix == ".py":
        reason = _python_loader_missing()
        if reason is not None:
            pytest.skip(reason)


def _check(path: Path, expected: list[str], *, strict: bool) -> None:
    diagnostics = initcfg.validate(path, strict=strict)
    shown = [(d.code, d.path, d.line, d.message) for d in diagnostics]
    assert Counter(d.code for d in diagnostics) == Counter(expected), (
        f"{path.name}: expected {sorted(expected)}, got {shown}"
    )
    for code, key_path in _places(path):
        if code in expected:
            assert (code, key_path) in {(d.code, d.path) for d in diagnostics}, (
                f"{path.name}: no {code} at {key_path}: {shown}"
            )
    header = len([line for line in path.read_text().splitlines() if line.startswith("#")])
    for d in diagnostics:
        # Every diagnostic points into the example file itself, past its comments.
        assert d.file is not None and Path(d.file).resolve() == path.resolve(), shown
        assert d.line is not None and d.line > header, shown
        rule = get_rule(d.code)
        assert rule is not None and rule.severity == d.severity


EXAMPLE_FILES = _files()
IDS = [str(p.relative_to(EXAMPLES)) for p in EXAMPLE_FILES]


def test_examples_exist_for_every_init_code() -> None:
    named = {p.name[:5] for p in (EXAMPLES / "invalid").iterdir()}
    codes = {rule.code for rule in all_rules() if rule.code.startswith("IC1")}
    assert codes <= named, f"no example for {sorted(codes - named)}"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=IDS)
def test_example_reports_exactly_its_annotation(path: Path) -> None:
    expected = _expectation(path, "expect")
    assert expected is not None, f"{path} has no '# expect:' first line"
    _skip_unreadable_python(path)
    _check(path, expected, strict=False)


STRICT_FILES = [p for p in EXAMPLE_FILES if _expectation(p, "expect-strict") is not None]


@pytest.mark.parametrize("path", STRICT_FILES, ids=[p.name for p in STRICT_FILES])
def test_example_under_strict(path: Path) -> None:
    expected = _expectation(path, "expect-strict")
    assert expected is not None
    _skip_unreadable_python(path)
    _check(path, expected, strict=True)


def test_invalid_files_are_named_after_their_code() -> None:
    for path in (EXAMPLES / "invalid").iterdir():
        if path.suffix not in SUFFIXES:
            continue
        codes = set(_expectation(path, "expect") or [])
        codes |= set(_expectation(path, "expect-strict") or [])
        assert path.name[:5] in codes, path.name


TWINS = sorted(p for p in EXAMPLE_FILES if p.suffix == ".py" and p.with_suffix(".yaml").exists())


def test_every_pinned_place_belongs_to_an_expected_code() -> None:
    for path in EXAMPLE_FILES:
        codes = set(_expectation(path, "expect") or [])
        codes |= set(_expectation(path, "expect-strict") or [])
        assert {code for code, _ in _places(path)} <= codes, path.name


def test_tutorial_cases_come_in_both_formats() -> None:
    yaml_cases = {p.stem for p in EXAMPLES.glob("*.yaml")}
    py_cases = {p.stem for p in EXAMPLES.glob("*.py")}
    assert yaml_cases == py_cases
    assert len(yaml_cases) >= 10


@pytest.mark.parametrize("path", TWINS, ids=[p.stem for p in TWINS])
def test_python_twin_holds_the_same_values(path: Path) -> None:
    twin = path.with_suffix(".yaml")
    assert path.read_text().splitlines()[0] == twin.read_text().splitlines()[0]
    _skip_unreadable_python(path)
    assert initcfg.load_config(path).to_dict() == initcfg.load_config(twin).to_dict()


@pytest.mark.parametrize("path", TWINS, ids=[p.stem for p in TWINS])
def test_python_twin_matches_mmengine(path: Path) -> None:
    # The examples themselves are held to MMEngine's reading of both files.
    config = pytest.importorskip("mmengine").Config
    assert config.fromfile(str(path)).to_dict() == config.fromfile(
        str(path.with_suffix(".yaml"))
    ).to_dict()
