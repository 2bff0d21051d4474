"""``_base_`` inheritance: MMEngine's merge rules, mixed formats, placeholders, the cache."""

from __future__ import annotations

import ast
import os
import textwrap
from pathlib import Path

import pytest

from fixture_types import MMEngineLoad, Normalize, WriteFile
from initcfg.config import loaded, merge
from initcfg.config.load import load_config, load_tree
from initcfg.diagnostics import Location


def _py(text: str) -> str:
    return textwrap.dedent(text).lstrip()


MODEL = _py("""
    model = dict(
        type='RetinaNet',
        backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='BN', requires_grad=True)),
        bbox_head=dict(type='RetinaHead', num_classes=80, anchor=[8, 16, 32]),
    )
    optimizer = dict(type='SGD', lr=0.02, momentum=0.9)
""")


@pytest.mark.parametrize(
    ("child", "checks"),
    [
        # Dicts merge recursively and the child wins; lists are replaced.
        (
            "_base_ = './model.py'\nmodel = dict(backbone=dict(depth=101), "
            "bbox_head=dict(anchor=[4]))\n",
            {("model", "backbone", "depth"): 101, ("model", "backbone", "type"): "ResNet",
             ("model", "bbox_head", "anchor"): [4]},
        ),
        # _delete_=True replaces the whole dict.
        (
            "_base_ = ['./model.py']\noptimizer = dict(_delete_=True, type='AdamW', lr=1e-4)\n",
            {("optimizer",): {"type": "AdamW", "lr": 1e-4}},
        ),
        # _delete_=False is dropped and the dict merged.
        (
            "_base_ = './model.py'\noptimizer = dict(_delete_=False, lr=0.1)\n",
            {("optimizer",): {"type": "SGD", "lr": 0.1, "momentum": 0.9}},
        ),
        # _delete_ on a key no base defines stays in the value (MMEngine's behaviour).
        (
            "_base_ = './model.py'\nnew = dict(_delete_=True, a=1)\n",
            {("new",): {"_delete_": True, "a": 1}},
        ),
        # A dict reused by two keys is merged independently for each.
        (
            "_base_ = './model.py'\nhead = dict(_delete_=True, type='Other')\n"
            "model = dict(bbox_head=head, neck=head)\n",
            {("model", "bbox_head"): {"type": "Other"},
             ("model", "neck"): {"_delete_": True, "type": "Other"}},
        ),
    ],
)
def test_merge_matches_mmengine(write, mmengine, norm, child, checks) -> None:  # type: ignore[no-untyped-def]
    write("model.py", MODEL)
    path = write("child.py", child)
    tree = load_config(path)
    expected = mmengine(path)
    assert norm(tree.to_dict()) == norm(expected)
    for key_path, value in checks.items():
        assert norm(tree.get(key_path)) == value


def test_yaml_and_json_bases_mixed_with_python(
    write: WriteFile, mmengine: MMEngineLoad, norm: Normalize
) -> None:
    write("model.py", MODEL)
    write("data.json", '{"data": {"batch": 2, "root": "data/"}, "extra": [1, 2]}')
    write("sched.yaml", "_base_: ./data.json\nmax_epochs: 12\ndata:\n  batch: 4\n")
    path = write(
        "child.yaml",
        "_base_: [./model.py, ./sched.yaml]\nmodel:\n  backbone:\n    depth: 18\n",
    )
    tree = load_config(path)
    assert tree.diagnostics == []
    assert norm(tree.to_dict()) == norm(mmengine(path))
    assert tree.get(("data", "batch")) == 4
    assert tree.location(("model", "backbone", "depth")) == Location(str(path), 4, 5)
    assert tree.location(("data", "root")) == Location(str(path.parent / "data.json"), 1, 23)
    assert tree.location(("model", "type")) == Location(str(path.parent / "model.py"), 2, 5)
    assert set(tree.files) == {str(path.parent / n) for n in
                               ("child.yaml", "model.py", "sched.yaml", "data.json")}


def test_python_child_of_yaml_base_uses_base_values(
    write: WriteFile, mmengine: MMEngineLoad, norm: Normalize
) -> None:
    write("base.yaml", "lr: 0.1\nmodel:\n  depth: 50\n")
    path = write("c.py", "_base_ = './base.yaml'\nlr = _base_.lr * 2\ndepth = _base_.model.depth\n")
    tree = load_config(path)
    assert norm(tree.to_dict()) == norm(mmengine(path))
    assert tree.to_dict()["lr"] == 0.2


def test_base_tree_is_the_merged_bases_alone(write: WriteFile) -> None:
    model = write("model.py", MODEL)
    write("sched.py", "max_epochs = 12\n")
    path = write(
        "child.py",
        "_base_ = ['./model.py', './sched.py']\nmodel = dict(backbone=dict(depth=101))\n"
        "max_epochs = 24\n",
    )
    tree = load_config(path)
    assert tree.base is not None
    assert tree.base.get(("model", "backbone", "depth")) == 50
    assert tree.base.get(("max_epochs",)) == 12
    depth_column = MODEL.splitlines()[2].index("depth") + 1
    assert tree.base.location(("model", "backbone", "depth")) == Location(
        str(model), 3, depth_column
    )
    assert tree.get(("model", "backbone", "depth")) == 101
    assert tree.location(("model", "backbone", "depth")) == Location(str(path), 2, 28)
    type_column = MODEL.splitlines()[2].index("type") + 1
    assert tree.location(("model", "backbone", "type")) == Location(str(model), 3, type_column)
    assert tree.base.files == [str(model), str(path.parent / "sched.py")]


def test_base_without_bases_has_no_base_tree(write: WriteFile) -> None:
    assert load_config(write("a.py", "x = 1\n")).base is None


def test_package_base_not_installed_is_a_diagnostic(write: WriteFile) -> None:
    path = write("c.py", "_base_ = 'initcfgnopkg::_base_/models/x.py'\nx = 1\n")
    tree = load_tree(path)
    [problem] = tree.diagnostics
    assert (problem.code, problem.file, problem.line, problem.column) == ("IC206", str(path), 1, 10)
    assert "initcfgnopkg" in problem.message and problem.hint == "pip install initcfgnopkg"


def test_package_base_resolves_through_dot_mim_and_sets_scope(
    write: WriteFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("site/fakepkg/__init__.py", "")
    base = write(
        "site/fakepkg/.mim/configs/_base_/models/m.py",
        "model = dict(type='Net', backbone=dict(type='ResNet'), lists=[dict(type='A')])\n"
        "other = dict(value=1)\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    path = write("c.py", "_base_ = 'fakepkg::_base_/models/m.py'\nmodel = dict(depth=1)\n")
    tree = load_config(path)
    assert tree.diagnostics == []
    # As MMEngine's _dict_to_config_dict: the outermost dicts with a `type` get _scope_.
    assert tree.to_dict() == {
        "model": {"type": "Net", "backbone": {"type": "ResNet"}, "lists": [{"type": "A"}],
                  "_scope_": "fakepkg", "depth": 1},
        "other": {"value": 1},
    }
    assert tree.location(("model", "backbone", "type")) == Location(str(base), 1, 40)
    assert tree.base is not None and tree.base.get(("model", "_scope_")) == "fakepkg"


def test_placeholders_predefined_and_environment(
    write: WriteFile, mmengine: MMEngineLoad, norm: Normalize, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INITCFG_TEST_ROOT", "/data/set")
    monkeypatch.delenv("INITCFG_TEST_UNSET", raising=False)
    write("base.py", MODEL + "pipeline = [dict(type='Load')]\n")
    path = write(
        "child.py",
        _py("""
            _base_ = './base.py'
            head = {{_base_.model.bbox_head}}
            model = dict(bb=dict(d={{ _base_.model.backbone.depth }}), n=[{{_base_.pipeline}}])
            work_dir = './work_dirs/{{ fileBasenameNoExtension }}{{fileExtname}}'
            here = '{{fileBasename}}'
            root = '{{$INITCFG_TEST_ROOT:/default}}/coco'
            other = '{{$INITCFG_TEST_UNSET:/fallback}}'
        """),
    )
    tree = load_config(path)
    assert tree.diagnostics == []
    data = tree.to_dict()
    assert norm(data) == norm(mmengine(path))
    assert data["head"]["num_classes"] == 80
    assert data["model"]["n"] == [[{"type": "Load"}]]
    assert data["work_dir"] == "./work_dirs/child.py"
    assert (data["root"], data["other"]) == ("/data/set/coco", "/fallback")
    # The whole-value placeholder points at the placeholder; what it brought keeps
    # the base's locations; the columns after a placeholder on its line are exact.
    assert tree.location(("head",)) == Location(str(path), 2, 1)
    assert tree.location(("head", "num_classes")).file == str(path.parent / "base.py")  # type: ignore[union-attr]
    line = path.read_text().splitlines()[2]
    assert tree.location(("model", "n")) == Location(str(path), 3, line.index("n=") + 1)
    assert tree.get(("model", "bb", "d")) == 50


def test_cache_reuses_bases_and_notices_changes(write: WriteFile) -> None:
    base = write("base.py", "lr = 0.1\n")
    first = write("a.py", "_base_ = './base.py'\nx = 1\n")
    second = write("b.py", "_base_ = './base.py'\ny = 2\n")
    load_config(first)
    cached = loaded._cache[(str(base), False)]
    load_config(second)
    assert loaded._cache[(str(base), False)] is cached
    base.write_text("lr = 0.5\n# longer now\n")
    os.utime(base, ns=(1, 1))
    assert load_config(second).to_dict() == {"lr": 0.5, "y": 2}
    assert loaded._cache[(str(base), False)] is not cached


def test_returned_values_are_fresh_copies(write: WriteFile) -> None:
    write("base.py", "model = dict(depth=50, layers=[1, 2])\n")
    path = write("a.py", "_base_ = './base.py'\n")
    tree = load_config(path)
    tree.data["model"]["depth"] = 0
    tree.data["model"]["layers"].append(3)
    again = load_config(path)
    assert again.to_dict() == {"model": {"depth": 50, "layers": [1, 2]}}


def test_suppressions_of_every_file(write: WriteFile) -> None:
    write("base.py", "x = 1  # initcfg: ignore[IC101]\n")
    path = write("a.py", "_base_ = './base.py'\ny = 2  # initcfg: ignore[ic102, IC103]\n")
    tree = load_config(path)
    assert tree.suppressions == {
        str(path): {2: {"IC102", "IC103"}},
        str(path.parent / "base.py"): {1: {"IC101"}},
    }


def test_placeholders_in_yaml(write: WriteFile, mmengine: MMEngineLoad, norm: Normalize) -> None:
    write("base.py", MODEL)
    path = write(
        "c.yaml",
        "_base_: ./base.py\nhead: {{_base_.model.bbox_head}}\nlr: {{ _base_.optimizer.lr }}\n",
    )
    tree = load_config(path)
    assert tree.diagnostics == []
    assert norm(tree.to_dict()) == norm(mmengine(path))
    assert tree.get(("lr",)) == 0.02
    assert tree.location(("head",)) == Location(str(path), 2, 1)


def test_inherited_values_share_nothing(
    write: WriteFile, mmengine: MMEngineLoad, norm: Normalize
) -> None:
    """MMEngine rebuilds every inherited dict and list: a change through one path of
    `_base_` does not show through another that named the same object in the base."""
    write(
        "base.py",
        "pipeline = [dict(type='Load')]\nloader = dict(dataset=dict(pipeline=pipeline))\n",
    )
    path = write(
        "c.py",
        "_base_ = './base.py'\n_base_.pipeline[0]['extra'] = 1\n"
        "pipeline = _base_.pipeline\n",
    )
    tree = load_config(path)
    assert norm(tree.to_dict()) == norm(mmengine(path))
    assert tree.get(("loader", "dataset", "pipeline", 0)) == {"type": "Load"}
    assert tree.get(("pipeline", 0)) == {"type": "Load", "extra": 1}


@pytest.mark.parametrize(
    "mutation",
    [
        "_base_.model['depth'] = 1\n",
        "_base_.model.depth = 1\n",
        "del _base_.model['depth']\n",
        "layers = _base_.model.layers\nlayers += [3]\n",
        "layers = _base_.model.layers\nlayers *= 2\n",
        "x = _base_.model.update(depth=1)\n",
        "if True:\n    _base_.model.depth = 1\n",
        "first, _base_.model.depth = 1, 2\n",
        "for i in range(1):\n    _base_.model.layers.append(i)\n",
        "[_base_.model.layers.append(i) for i in range(2)]\n",
    ],
)
def test_a_mutating_child_leaves_the_cached_base_alone(  # type: ignore[no-untyped-def]
    write, mmengine, norm, mutation
) -> None:
    """A file that may change inherited values in place works on a copy: the next file
    with the same base sees the base as written."""
    write("base.py", "model = dict(depth=50, layers=[1, 2])\n")
    changed = write("changed.py", "_base_ = './base.py'\n" + mutation)
    untouched = write("untouched.py", "_base_ = './base.py'\n")
    assert norm(load_config(changed).to_dict()) == norm(mmengine(changed))
    assert merge.mutates(*_parsed(changed.read_text()))
    assert load_config(untouched).to_dict() == {"model": {"depth": 50, "layers": [1, 2]}}


@pytest.mark.parametrize(
    "text",
    [
        "model = dict(depth=50)\n",  # `del` inside a word
        "x = dict(a=1)\nlr = x['a'] * 2\nok = lr <= 2 and lr != 3\n",
        "# del x; x.y = 1\nmodel_cfg = 'a.b'\n",  # comments are not statements
        "lr = 0.1\nlr = lr / 2\n",
    ],
)
def test_files_that_change_nothing_share_the_base(text: str) -> None:
    assert not merge.mutates(*_parsed(text))


def _parsed(text: str) -> tuple[ast.Module, str]:
    return ast.parse(text), text


def test_substituted_values_are_independent_copies(
    write: WriteFile, mmengine: MMEngineLoad, norm: Normalize
) -> None:
    """A base value brought in by several placeholders is shared while loading; the
    result still holds independent copies, and the cached base is left as written."""
    write("base.py", "model = dict(depth=50, layers=[1, 2])\nshared = [dict(a=1)]\n")
    path = write(
        "c.py",
        "_base_ = './base.py'\nfirst = {{_base_.model}}\n"
        "second = dict(inner={{_base_.model}}, keep=(1, {{_base_.model.layers}}))\n"
        "third = [dict(x=1), {{_base_.shared}}, [2]]\n",
    )
    tree = load_config(path)
    assert tree.diagnostics == []
    assert norm(tree.to_dict()) == norm(mmengine(path))
    tree.data["first"]["layers"].append(9)
    assert tree.data["second"]["inner"]["layers"] == [1, 2]
    assert tree.data["second"]["keep"][1] == [1, 2]
    assert tree.location(("third", 0, "x")) == Location(str(path), 4, 15)
    untouched = write("untouched.py", "_base_ = './base.py'\n")
    assert load_config(untouched).to_dict() == {
        "model": {"depth": 50, "layers": [1, 2]}, "shared": [{"a": 1}],
    }


def test_siblings_sharing_a_cached_base_do_not_see_each_others_merges(
    write: WriteFile, mmengine: MMEngineLoad, norm: Normalize
) -> None:
    """Two configs inherit one base (read once, cached) and override and delete
    different keys of the same dicts: each gets MMEngine's result, and the base, loaded
    on its own afterwards, is as written."""
    base = write(
        "base.py",
        "model = dict(type='M', head=dict(num_classes=80, loss=dict(w=1.0)), "
        "neck=dict(out=256, extra=[1, 2]))\nsteps = [8, 11]\n",
    )
    first = write(
        "first.py",
        "_base_ = './base.py'\nmodel = dict(head=dict(num_classes=3, loss=dict(_delete_=True, "
        "k=2)), neck=dict(extra=[3]))\nsteps = [4]\n",
    )
    second = write(
        "second.py",
        "_base_ = './base.py'\nmodel = dict(head=dict(_delete_=True, type='H'), "
        "neck=dict(out=128))\n",
    )
    loaded.clear_cache()
    together = [load_config(first).to_dict(), load_config(second).to_dict()]
    assert loaded._cache[(str(base), False)] is not None  # the second reused the first's base
    alone = []
    for path in (first, second):
        loaded.clear_cache()
        alone.append(load_config(path).to_dict())
    assert together == alone
    assert [norm(value) for value in together] == [norm(mmengine(first)), norm(mmengine(second))]
    assert together[1]["model"]["head"] == {"type": "H"}
    assert together[1]["model"]["neck"] == {"out": 128, "extra": [1, 2]}
    assert load_config(base).to_dict() == {
        "model": {"type": "M", "head": {"num_classes": 80, "loss": {"w": 1.0}},
                  "neck": {"out": 256, "extra": [1, 2]}},
        "steps": [8, 11],
    }


def test_new_style_bases_are_bound_before_the_file_runs(
    write: WriteFile, mmengine: MMEngineLoad
) -> None:
    """MMEngine reads a new-style file's bases and rewrites each import from them into
    bindings before any of the file's code runs: a name the file assigns before its
    `with read_base():` keeps the file's value, and a `from .base import x` outside the
    block (a base module the block read) is a base import too, kept in the result.
    initcfg bound in statement order and took the outside import for a lazy one,
    leaving it out."""
    write("base.py", "model = dict(depth=1)\nlr = 0.1\nsteps = [1, 2]\n")
    path = write(
        "c.py",
        "lr = 0.5\n"
        "with read_base():\n    from .base import *\n"
        "model = dict(depth=2)\n"
        "from .base import model\n"
        "from .base import steps as milestones\n",
    )
    tree = load_tree(path)
    assert tree.to_dict() == mmengine(path) == {
        "lr": 0.5, "model": {"depth": 2}, "steps": [1, 2], "milestones": [1, 2],
    }
    assert tree.diagnostics == []


@pytest.mark.parametrize(
    "text",
    [
        "with read_base():\n    from .base import *\nwith read_base():\n    from .more import *\n",
        "if True:\n    with read_base():\n        from .base import *\n",
    ],
)
def test_only_the_first_top_level_read_base_block_reads_bases(
    write: WriteFile, mmengine: MMEngineLoad, text: str
) -> None:
    """MMEngine reads bases from a file's first top-level `with` block only: the
    imports of another `with read_base():` are no base imports there, and it fails."""
    write("base.py", "lr = 0.1\n")
    write("more.py", "steps = 3\n")
    path = write("c.py", text)
    with pytest.raises(Exception, match="not allowed to appear outside"):
        mmengine(path)
    errors = [(d.code, d.severity) for d in load_tree(path).diagnostics]
    assert errors == [("IC207", "error")]
