"""The fast YAML reader: values and locations as the full reader's, filled on first use;
everything it does not model goes to the full reader."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pytest

import initcfg
from initcfg.config.loaded import clear_cache
from initcfg.diagnostics import Location
from yaml_readers import assert_same_reading, fast_read

REPO = Path(__file__).resolve().parents[3]

PLAIN = """\
model:
  type: RetinaNet
  backbone: {type: ResNet, depth: 50, frozen_stages: -1, norm_eval: true,
             init_cfg: {type: Pretrained, checkpoint: 'torchvision://resnet50'}}
  heads:
    - type: A
      scales: [8, 16, 0x20, 0o7, 1_000, 1.5e-3, .inf, -.nan, ~, null, yes, No, on]
    - init_cfg:
        - {type: Normal, std: 0.01, override: {name: cls, bias_prob: 0.01}}
        - type: Kaiming
          layer: [Conv2d, Linear]
3: an int key
2.5: a float key
true: a bool key
~: a null key
"quoted: 1": '0x10'
empty: {}
none: []
anchor: &a {x: 1, y: [1, 2]}
again: *a
"""


def test_plain_yaml_is_read_fast_with_the_full_readers_values_and_locations() -> None:
    assert assert_same_reading(PLAIN)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # a key written twice: IC003
        "? [1, 2]\n: x\n",  # a collection as a key: IC002
        "base: &b {x: 1}\nchild:\n  <<: *b\n  y: 2\n",  # a merge key
        "when: 2001-12-14\n",  # a timestamp
        "data: !!binary aGVsbG8=\n",
        "s: !!set {a, b}\n",
        "p: !!python/name:os.system\n",  # IC215
        "o: !!omap [a: 1]\n",
        "- 1\n- 2\n",  # not a mapping: read, then IC005 at load
        "x: [1, [2, [3, {y: 4}]]]\n",
        "a: 'quoted'\nb: \"also\"\nc: |\n  block\nd: >\n  folded\n",
    ],
)
def test_what_the_fast_reader_does_not_model_reads_as_before(text: str) -> None:
    assert_same_reading(text)


def test_fallbacks_are_the_full_reader() -> None:
    for text in ("a: 1\na: 2\n", "d: 2001-12-14\n", "<<: {x: 1}\n", "s: !!set {a}\n"):
        assert not fast_read(text, "c.yaml")[3]
    assert fast_read("a: [1, {b: c}]\n", "c.yaml")[3]


def test_every_yaml_file_of_the_repository_reads_the_same() -> None:
    files = [
        path for folder in ("tests", "examples", "docs", ".github")
        for path in sorted((REPO / folder).rglob("*.y*ml")) if (REPO / folder).is_dir()
    ]
    assert files
    for path in files:
        assert_same_reading(path.read_text(encoding="utf-8", errors="replace"), str(path))


def _table(text: str) -> dict[object, Location]:
    given: list[dict[object, Location]] = []
    parse = initcfg.config.yaml_loader.parse_yaml  # type: ignore[attr-defined]
    value, _, problems = parse(text, "c.yaml", lambda *_: None,
                               put=lambda _, table: given.append(table))
    assert not problems and value
    return given[1]  # the first nested container's (the root's is filled at once)


@pytest.mark.parametrize(
    "read",
    [
        lambda t: t.get("b"),
        lambda t: t["b"],
        lambda t: "b" in t,
        lambda t: len(t),
        lambda t: bool(t),
        lambda t: list(t),
        lambda t: dict(t),
        lambda t: {**t},
        lambda t: t.items(),
        lambda t: t.keys(),
        lambda t: t.values(),
        lambda t: t.copy(),
        lambda t: copy.deepcopy(t),
        lambda t: pickle.loads(pickle.dumps(t)),
        lambda t: t == {},
        lambda t: t | {},
        lambda t: repr(t),
    ],
)
def test_every_read_of_a_lazy_table_sees_the_locations(read) -> None:  # type: ignore[no-untyped-def]
    import initcfg.config.yaml_loader  # noqa: F401  (the attribute used by _table)

    table = _table("a:\n  b: 1\n  c: 2\n")
    read(table)
    assert dict(table.items()) == {"b": Location("c.yaml", 2, 3), "c": Location("c.yaml", 3, 3)}


def test_a_write_before_the_first_read_lands_on_top_of_the_locations() -> None:
    import initcfg.config.yaml_loader  # noqa: F401

    table = _table("a:\n  b: 1\n  c: 2\n")
    table["b"] = Location("base.yaml", 9, 9)
    assert table == {"b": Location("base.yaml", 9, 9), "c": Location("c.yaml", 3, 3)}
    other = _table("a:\n  b: 1\n")
    other.update({"z": Location("x", 1, 1)})
    assert other == {"b": Location("c.yaml", 2, 3), "z": Location("x", 1, 1)}


def test_findings_deep_in_a_fast_read_file_keep_their_locations(tmp_path: Path) -> None:
    text = (
        "model:\n"
        "  backbone:\n"
        "    init_cfg:\n"
        "      - {type: Kaiming, layer: Conv2d, mode: fan_inn}\n"
        "      - type: Normal\n"
        "        std: -1\n"
        "train_cfg: {type: EpochBasedTrainLoop, max_epochs: 12, val_begin: 20}\n"
    )
    config = tmp_path / "c.yaml"
    config.write_text(text)
    clear_cache()
    found = sorted((d.code, d.line, d.column) for d in initcfg.validate(config))
    # The same file read only by the full reader (a duplicate key far away sends it
    # there) gives each finding the same place.
    twin = tmp_path / "twin.yaml"
    twin.write_text(text + "z: 1\nz: 1\n")
    clear_cache()
    expected = sorted((d.code, d.line, d.column) for d in initcfg.validate(twin)
                      if d.code != "IC003")
    assert found == expected
    assert len(found) >= 2


def test_bases_merged_from_fast_read_files_keep_their_locations(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(
        "model:\n  type: M\n  head:\n    init_cfg: {type: Normal, std: 0.01}\n"
    )
    (tmp_path / "child.yaml").write_text(
        "_base_: base.yaml\nmodel:\n  head:\n    init_cfg: {type: Normal, std: -2}\n"
    )
    clear_cache()
    tree = initcfg.load_config(tmp_path / "child.yaml")
    assert tree.location(("model", "type")) == Location(str(tmp_path / "base.yaml"), 2, 3)
    assert tree.location(("model", "head", "init_cfg", "std")) == Location(
        str(tmp_path / "child.yaml"), 4, 30
    )


@pytest.mark.parametrize(
    "text",
    [PLAIN, "a: 1\n", "{}\n", "x: [1, [2, [3, {y: 4}]]]\n",
     "base: &b {x: [1, 2]}\nl: [*b, *b, *b]\n"],
)
def test_the_fast_readers_count_is_the_tree_size(text: str) -> None:
    """A load sizes a fast-read data file by the reader's count instead of walking it:
    the count is the tree size the walk would find (aliases built once per use)."""
    from initcfg.config.budget import MAX_TREE_ITEMS, tree_size
    from initcfg.config.yaml_loader import parse_yaml

    counted: list[int] = []
    value, _, problems = parse_yaml(text, "c.yaml", lambda *_: None, put=lambda *_: None,
                                    counted=counted)
    assert problems == []
    assert counted == [tree_size(value, MAX_TREE_ITEMS)]


def test_the_full_reader_counts_nothing() -> None:
    from initcfg.config.yaml_loader import parse_yaml

    counted: list[int] = []
    parse_yaml("a: 1\na: 2\n", "c.yaml", lambda *_: None, put=lambda *_: None,
               counted=counted)
    assert counted == []


def test_a_large_fast_read_file_is_still_refused_past_the_tree_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from initcfg.config import loader
    from initcfg.config.load import load_tree

    monkeypatch.setattr(loader, "MAX_TREE_ITEMS", 10)
    path = tmp_path / "big.yaml"
    path.write_text("a: [" + ", ".join(map(str, range(20))) + "]\n")
    clear_cache()
    assert [d.code for d in load_tree(path).diagnostics] == ["IC214"]
    small = tmp_path / "small.yaml"
    small.write_text("a: [1, 2, 3]\n")
    assert load_tree(small).diagnostics == []
