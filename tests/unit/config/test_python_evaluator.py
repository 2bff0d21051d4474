"""The safe evaluator against MMEngine: each construct real configs use, loaded by both."""

from __future__ import annotations

import textwrap

import pytest

import initcfg
from fixture_types import MMEngineLoad, Normalize, WriteFile
from initcfg.config.load import load_config, load_tree
from initcfg.diagnostics import Location

BASE = """
model = dict(
    type='FasterRCNN',
    backbone=dict(type='ResNet', depth=50, frozen_stages=1,
                  init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    roi_head=dict(bbox_head=dict(num_classes=80, loss=dict(type='L1Loss'))),
)
train_pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(1333, 800))]
lr = 0.02
max_epochs = 12
classes = ('person', 'car')
"""

# Each case: the child's text (it inherits BASE as ./base.py unless it says otherwise).
CASES = {
    "literals": """
        a = 1; b = -2.5; c = 'x'; d = None; e = True
        f = [1, (2, 3), {4}]; g = {'k': 1, 2: 'int key'}
    """,
    "names_and_arithmetic": """
        _base_ = './base.py'
        scale = 2
        lr = _base_.lr * scale / 4 + 1 - 2 ** 3 // 1 % 5
        neg = -lr
        inv = ~3
    """,
    "comparisons_bool_conditional": """
        big = 10 > 5 >= 5 != 4
        both = big and 'yes' or 'no'
        pick = 'a' if not big else 'b'
        member = 'car' in ('person', 'car') and 3 not in [1, 2]
        same = None is None
    """,
    "attribute_access_on_base": """
        _base_ = './base.py'
        backbone = _base_.model.backbone
        depth = _base_.model.backbone.depth + 51
        model = dict(backbone=dict(depth=depth))
    """,
    "subscripts_and_slices": """
        _base_ = './base.py'
        first = _base_.train_pipeline[0]
        rest = _base_.train_pipeline[1:]
        last_scale = _base_.train_pipeline[-1]['scale'][::-1]
        name = 'abcdef'[1:4]
    """,
    "fstrings_percent_format": """
        _base_ = './base.py'
        work_dir = f'work_dirs/r{_base_.model.backbone.depth}_{_base_.lr:.3f}_{"x"!r}'
        old = 'epoch_%d.pth' % _base_.max_epochs
        named = '%(a)s-%(b)05.1f' % dict(a='x', b=1.5)
        fmt = '{}/{name}'.format('data', name='coco')
        joined = '_'.join(['a', 'b']).upper().replace('A', 'z')
    """,
    "dict_spread_and_copies": """
        _base_ = './base.py'
        extra = dict(depth_new=101)
        backbone = dict(**_base_.model.backbone, **extra)
        literal = {**extra, 'style': 'caffe'}
        copied = _base_.model.backbone.copy()
        plain = dict(extra, num_stages=4)
    """,
    "comprehensions": """
        _base_ = './base.py'
        squares = [i * i for i in range(5) if i % 2 == 0]
        names = {c: i for i, c in enumerate(_base_.classes)}
        nested = [(i, j) for i in range(3) for j in range(i)]
        total = sum(x for x in range(10))
        unique = {len(c) for c in _base_.classes}
        keys = sorted(k for k in _base_.model.backbone.keys())
    """,
    "builtins": """
        n = len([1, 2, 3]) + min(3, 4) + max([1, 9]) + abs(-2) + round(2.567, 2)
        conv = [int('3'), float('1.5'), str(4), bool(0), list((1, 2)), tuple([3]), set([1, 1])]
        pairs = dict(zip(['a', 'b'], [1, 2]))
        order = sorted([3, 1, 2], reverse=True)
        rev = list(reversed([1, 2]))
        ok = all([True, 1]) and any([0, 1])
        check = isinstance(3, (int, float))
    """,
    "module_level_if_and_for": """
        _base_ = './base.py'
        use_big = True
        if use_big:
            depth = 101
        elif False:
            depth = 18
        else:
            depth = 50
        stages = []
        for i in range(4):
            if i == 2:
                continue
            stages.append(dict(index=i))
        for x in []:
            pass
        else:
            done = True
        a, (b, *c) = 1, (2, 3, 4)
    """,
    "method_calls_and_item_assignment": """
        _base_ = './base.py'
        detector = _base_.model
        detector.pop('roi_head')
        detector['backbone'].update(dict(depth=101, new=1))
        detector.backbone.init_cfg.update(dict(prefix='backbone.'))
        detector.backbone.frozen_stages = -1
        pipeline = _base_.train_pipeline
        pipeline[-1]['scale'] = (640, 640)
        pipeline.insert(0, dict(type='Start'))
        model = dict(detector=detector)
        del _base_.model
        keys = dict(a=1)
        keys.update({'b': 2})
        keys['c'] = 3
        del keys['a']
        counter = 1
        counter += 2
        items = [1]
        items += [2]
    """,
    "configdict_update_merges": """
        _base_ = './base.py'
        _base_.model.update(dict(backbone=dict(depth=18)))
        own = dict(backbone=dict(depth=50, style='x'))
        own.update(dict(backbone=dict(depth=18)))
    """,
    "configdict_pop_default": """
        _base_ = './base.py'
        missing = _base_.model.pop('nope')
    """,
    "functions_defined_not_called": """
        def helper(x):
            return x
        value = 3
    """,
    "main_guard": """
        value = 1
        if __name__ == '__main__':
            value = 2
    """,
    "stdlib_import_bound_only": """
        import os
        from os import path as p
        value = 1
    """,
    "annotated_and_docstring": """
        '''A docstring.'''
        value: int = 3
        assert value == 3
    """,
    # The MMPretrain MobileOne pattern: a pipeline copied, each copy edited.
    "copy_deepcopy_pipelines": """
        _base_ = './base.py'
        base_pipeline = [dict(type='Load'), dict(type='Crop', scale=224, pad=[1, 2]),
                         dict(type='Aug', level=7)]
        import copy  # noqa: E402
        pipeline_1e = copy.deepcopy(base_pipeline)
        pipeline_1e[1]['scale'] = 160
        pipeline_1e[2]['level'] *= 0.1
        pipeline_1e[1]['pad'].append(3)
        _base_.model.backbone.pipeline = pipeline_1e
        pipeline_37e = copy.deepcopy(base_pipeline)
        pipeline_37e[1]['scale'] = 192
        custom_hooks = [dict(type='Switch', schedule=[dict(epoch=37, pipeline=pipeline_37e)])]
    """,
    "copy_of_inherited_values": """
        _base_ = './base.py'
        import copy as copy_module
        from copy import copy, deepcopy
        model = deepcopy(_base_.model)
        model.backbone.depth = 101
        model.roi_head.bbox_head.update(num_classes=3)
        shallow = copy(_base_.train_pipeline)
        shallow.append(dict(type='Pack'))
        shallow[0]['type'] = 'Shared'
        pair = [dict(k=1)]
        both = [pair, pair]
        twins = copy_module.deepcopy(both)
        twins[0][0]['k'] = 2
        shallow_twins = copy_module.copy(both)
        shallow_twins.append(None)
        classes = copy(_base_.classes)
        flat = copy_module.copy(dict(a=[1]))
        flat['a'].append(2)
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_mmengine(
    name: str, write: WriteFile, mmengine: MMEngineLoad, norm: Normalize
) -> None:
    write("base.py", BASE)
    path = write(f"{name}.py", textwrap.dedent(CASES[name]))
    tree = load_config(path)
    assert [d for d in tree.diagnostics if d.severity == "error"] == []
    assert norm(tree.to_dict()) == norm(mmengine(path))


def test_tuples_stay_tuples(write: WriteFile, mmengine: MMEngineLoad) -> None:
    path = write("t.py", "scale = (1333, 800)\nscales = [(1, 2)]\n")
    data = load_config(path).to_dict()
    assert data == mmengine(path)
    assert isinstance(data["scale"], tuple) and isinstance(data["scales"][0], tuple)


def test_plain_dict_attribute_access_fails_like_mmengine(
    write: WriteFile, mmengine: MMEngineLoad
) -> None:
    path = write("c.py", "model = dict(depth=50)\ndepth = model.depth\n")
    with pytest.raises(AttributeError):
        mmengine(path)
    [problem] = load_tree(path).diagnostics
    assert (problem.code, problem.line, problem.column) == ("IC207", 2, 9)
    assert "plain dict" in problem.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x = undefined_name\n", "NameError"),
        ("x = {}['k']\n", "KeyError"),
        ("x = 1 / 0\n", "ZeroDivisionError"),
        ("x = [1][5]\n", "IndexError"),
        ("x = 'a' + 1\n", "TypeError"),
        ("x = dict(**dict(k=1), k=2)\n", "multiple values"),
    ],
)
def test_failures_mmengine_would_hit_are_ic207(
    write: WriteFile, mmengine: MMEngineLoad, text: str, message: str
) -> None:
    path = write("c.py", text)
    with pytest.raises(Exception):  # noqa: B017 - MMEngine fails too, any way it likes
        mmengine(path)
    [problem] = load_tree(path).diagnostics
    assert problem.code == "IC207" and message in problem.message
    assert (problem.file, problem.line) == (str(path), 1)


def test_new_style_read_base_and_imported_types(
    write: WriteFile, mmengine: MMEngineLoad, norm: Normalize
) -> None:
    write("_base_/model.py", "model = dict(type='X', backbone=dict(depth=50))\nlr = 0.1\n")
    write("_base_/sched.py", "max_epochs = 12\nother = 1\n")
    path = write(
        "configs/new.py",
        textwrap.dedent("""
            from mmengine.config import read_base
            with read_base():
                from .._base_.model import *
                from .._base_.sched import max_epochs as epochs

            from mmdet.models import RetinaNet
            import torch.optim
            from torch.optim import SGD as MySGD

            model.update(type=RetinaNet)
            model.backbone.depth = 101
            optim = dict(type=torch.optim.AdamW, fallback=MySGD, lr=lr * 2)
            total = epochs * 2
        """),
    )
    tree = load_config(path)
    assert tree.diagnostics == []
    assert norm(tree.to_dict()) == norm(mmengine(path))
    assert tree.to_dict()["model"]["type"] == "mmdet.models.RetinaNet"
    assert tree.base is not None and tree.base.to_dict()["model"]["backbone"]["depth"] == 50


def test_custom_imports_recorded_not_imported(write: WriteFile) -> None:
    path = write(
        "c.py",
        "custom_imports = dict(imports=['initcfg_not_a_module_xyz'], "
        "allow_failed_imports=False)\n",
    )
    tree = initcfg.load_config(path)
    [note] = tree.diagnostics
    assert (note.code, note.severity, note.line, note.column) == ("IC208", "info", 1, 1)
    assert "initcfg_not_a_module_xyz" in note.message


def test_columns_count_characters_not_bytes(write: WriteFile) -> None:
    path = write("c.py", "names = dict(ü='é', depth=50)\nx = dict(a='日本', b=undefined)\n")
    tree = load_tree(path)
    assert tree.location(("names", "depth")) == Location(str(path), 1, 21)
    [problem] = tree.diagnostics
    assert (problem.code, problem.line, problem.column) == ("IC207", 2, 20)


def test_list_item_locations_follow_edits(write: WriteFile) -> None:
    path = write(
        "c.py",
        "items = [dict(a=1), dict(b=2), dict(c=3)]\n"
        "items.insert(1, dict(new=0))\n"
        "items.pop(0)\n"
        "del items[-1]\n"
        "items.append(dict(d=4))\n"
        "weights = [1.0] * 3 + [0.1]\n"
        "steps = list(range(2))\n"
        "items.reverse()\n",
    )
    tree = load_config(path)
    file = str(path)
    assert tree.to_dict()["items"] == [{"d": 4}, {"b": 2}, {"new": 0}]
    assert [tree.source_map.get(("items", i)) for i in range(3)] == [
        Location(file, 5, 14), Location(file, 1, 21), Location(file, 2, 17)
    ]
    assert tree.source_map.get(("weights", 2)) == Location(file, 1 + 5, 12)
    assert tree.source_map.get(("weights", 3)) == Location(file, 6, 24)
    assert tree.source_map.get(("steps", 1)) == Location(file, 7, 9)


def test_deepcopy_keeps_locations(write: WriteFile) -> None:
    path = write(
        "c.py",
        "import copy\n"
        "pipeline = [dict(type='Load'), dict(type='Crop', scale=224)]\n"
        "edited = copy.deepcopy(pipeline)\n"
        "edited[1]['scale'] = 160\n",
    )
    tree = load_config(path)
    assert tree.to_dict()["pipeline"][1]["scale"] == 224
    assert tree.location(("edited", 1, "scale")) == Location(str(path), 4, 11)
    assert tree.location(("edited", 0, "type")) == Location(str(path), 2, 18)


@pytest.mark.parametrize(
    ("text", "construct"),
    [
        ("import copy\nx = copy.deepcopy([1], {})\n", "`copy.deepcopy` with arguments"),
        ("import copy\nx = copy.replace(1)\n", "`copy.replace`"),
        ("from copy import deepcopy\nf = [deepcopy]\n", "deepcopy"),
    ],
)
def test_other_uses_of_copy_are_refused(write: WriteFile, text: str, construct: str) -> None:
    [problem] = load_tree(write("c.py", text)).diagnostics
    assert problem.code == "IC201" and construct in problem.message
    assert "does not support" in problem.message and problem.hint is not None
    assert "--trust-python" in problem.hint


@pytest.mark.parametrize(
    ("text", "construct", "line"),
    [
        ("import copy\na = [list(range(600000)), list(range(600000))]\nb = copy.deepcopy(a)\n",
         "a copy of more than 1000000 items", 3),
        ("_base_ = './base.py'\nx = _base_.model\nd = dict()\nfor i in range(700):\n"
         "    d = dict(d=d)\nx.merge(d)\n", "values nested too deeply to copy or merge", 6),
    ],
)
def test_copies_and_merges_are_bounded(
    write: WriteFile, text: str, construct: str, line: int
) -> None:
    write("base.py", BASE)
    [problem] = load_tree(write("c.py", text)).diagnostics
    assert (problem.code, problem.line) == ("IC201", line)
    assert construct in problem.message
