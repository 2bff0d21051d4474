"""IC2xx: loading configs — the safe Python evaluator, ``_base_`` inheritance, placeholders."""

from initcfg.diagnostics import define

define(
    "IC201", "error", "initcfg's safe evaluator does not support a construct in the config",
    why="A limit of initcfg, not necessarily a mistake in the config: initcfg reads Python "
    "configs without running them, so a pre-commit hook can check files from any pull "
    "request. A call to anything but a pure builtin, a listed standard-library helper "
    "(`copy.deepcopy`, `copy.copy`) or a method of a config value, a dunder attribute, a "
    "lambda or a function call could run arbitrary code, so the evaluator stops at that "
    "construct. It is an error all the same: the file could not be checked, and a gate "
    "that passed it would vouch for values nobody read.",
    example="import os\nwork_dir = os.path.join('work_dirs', 'x')   # call on a module",
    fix="Write the value as a literal (`work_dir = 'work_dirs/x'`). If you trust the file, "
    "load it with `--trust-python` (API: `load_config(path, trust=True)`), which executes "
    "it the way MMEngine does.",
)
define(
    "IC202", "error", "A base config does not exist",
    why="MMEngine resolves each `_base_` entry relative to the file that names it and fails "
    "when the file is missing.",
    example="_base_ = ['../_base_/models/faster-rcnn_r50_fpn.py', './schedule_1x.py']",
    fix="Correct the path; it is relative to the directory of the file that names it.",
)
define(
    "IC203", "error", "Base configs inherit from each other in a cycle",
    why="A config that is its own base, directly or through other bases, can never be "
    "loaded: MMEngine recurses until Python gives up.",
    example="# a.py\n_base_ = './b.py'\n# b.py\n_base_ = './a.py'",
    fix="Break the cycle: move the shared keys into a third file both inherit from.",
)
define(
    "IC204", "error", "Two bases of one config define the same key",
    why="MMEngine refuses to merge bases that both define a top-level key "
    "(`Duplicate key is not allowed among bases`), since neither could win silently.",
    example="_base_ = ['./model_a.py', './model_b.py']   # both define `model`",
    fix="Define the key in one base only, or inherit one base and override the key in "
    "this file.",
)
define(
    "IC205", "error", "A `{{...}}` placeholder cannot be substituted",
    why="`{{_base_.a.b}}` must name a value of the merged bases, and `{{$NAME}}` needs the "
    "environment variable or a default; otherwise MMEngine raises while loading.",
    example="_base_ = './base.py'\nlr = {{_base_.optimizer.lrr}}",
    fix="Name an existing key of the bases (did-you-mean hints list the close ones), or "
    "give the environment variable a default: `{{$DATA_ROOT:data/coco/}}`.",
)
define(
    "IC206", "error", "A package-scoped base needs a package that is not installed",
    why="`mmdet::path/to/config.py` is resolved through the installed package's "
    "`.mim/configs` folder; without the package the base cannot be read.",
    example="_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'",
    fix="Install the package (`pip install mmdet`), or copy the base next to the config "
    "and inherit it by a relative path.",
)
define(
    "IC207", "error", "Evaluating the config fails",
    why="The expression raises when the config is run (an undefined name, a missing key, "
    "an operation on the wrong type), so MMEngine would fail to load the file as well.",
    example="_base_ = './base.py'\nlr = _base_.optim.lr * 2   # the base has no `optim`",
    fix="Correct the expression at the reported position.",
)
define(
    "IC208", "info", "`custom_imports` is recorded, not imported",
    why="MMEngine imports the modules listed in `custom_imports` when it loads the config; "
    "initcfg never imports them, so anything they register is not known to the checks.",
    example="custom_imports = dict(imports=['projects.my_head'], allow_failed_imports=False)",
    fix="Nothing to fix; this note says which modules a training run would import.",
)
define(
    "IC209", "info", "The config was executed (`--trust-python`)",
    why="The file uses a construct the safe evaluator refuses and was loaded by running it "
    "as MMEngine does, because the caller asked for it. Source locations are file-level "
    "only for values written by executed code.",
    example="initcfg validate --trust-python configs/my_config.py",
    fix="Nothing to fix, if the file is trusted. Rewriting the refused construct lets the "
    "file be checked without running it.",
)
define(
    "IC210", "error", "A child dict cannot be merged into a base value that is not a dict",
    why="MMEngine merges a dict written in a child config into the base's value for that key "
    "and raises when the base's value is a list or a scalar.",
    example="# base: optimizer = [dict(type='SGD')]\noptimizer = dict(lr=0.01)",
    fix="Add `_delete_=True` to the child's dict to replace the base value, or write the "
    "value in the base's shape.",
)
define(
    "IC211", "error", "The config's inheritance is written in a form MMEngine rejects",
    why="`_base_` must be a path or a list of paths, each to a .py, .yaml, .yml or .json "
    "file; `with read_base():` may only hold `from ... import ...` of config modules, and a "
    "file using it cannot also use `_base_`. MMEngine raises on anything else, and also when "
    "a block holds nothing but `_base_ = ...`: it removes every such assignment before "
    "running the file, and Python refuses the emptied block.",
    example="_base_ = dict(model='../model.py')",
    fix="Write `_base_ = ['../model.py']`, or use one `with read_base():` block of imports.",
)
define(
    "IC212", "warning", "`_delete_` has nothing to delete",
    why="`_delete_=True` replaces the base's dict; when no base defines the key, MMEngine "
    "keeps `_delete_` as an ordinary key of the value, which the component then receives "
    "as an unexpected argument.",
    example="_base_ = './base.py'   # no `optim_wrapper` in the base\n"
    "optim_wrapper = dict(_delete_=True, type='OptimWrapper')",
    fix="Remove `_delete_=True`, or check that the key's name matches the base's.",
)
define(
    "IC213", "error", "A top-level key is reserved by MMEngine's Config",
    why="`Config` keeps `filename`, `text`, `pretty_text` and `env_variables` for itself and "
    "raises `KeyError` when a config defines one of them at the top level.",
    example="filename = 'annotations/train.json'",
    fix="Rename the key, or move it inside the dict that uses it "
    "(`train_dataloader.dataset.ann_file`).",
)
define(
    "IC214", "error", "The config is too large to load",
    why="One load has a budget: the items, characters and integer bytes its expressions "
    "build, the work its loops and walks do, the Python text it parses, and the tree its "
    "values make (a container shared by several keys counted once per key, as copies and "
    "source locations count it). A config past it would exhaust memory or time before "
    "anything is checked; real configs stay far below every bound (see "
    "docs/config-loading.md, Budgets).",
    example="x = [0]\nfor _ in range(40):\n    x += x   # 2**40 items",
    fix="Write the values the config needs instead of generating them; split a generated "
    "table into the few entries that are used.",
)
define(
    "IC215", "error", "A YAML tag would construct a Python object",
    why="`!!python/object/apply:os.system [...]`, `!!python/name:...` and the same tags "
    "spelled through `%TAG` directives make an unsafe YAML loader call Python. initcfg never "
    "does, and a config that carries one is refused rather than read with the tag dropped.",
    example="model: !!python/object/apply:os.system ['touch /tmp/x']",
    fix="Write the value as plain YAML (a mapping, a list, a string).",
)
define(
    "IC216", "warning", "A `{{_base_.x}}` placeholder is not a whole value",
    why="MMEngine replaces each `{{_base_.x}}` in the text by a random name in quotes, and "
    "after the file is evaluated substitutes the base's value only where that name is a "
    "whole dict value, list or tuple item of the file's own values. Inside quotes, in an "
    "expression, as a key, in a set or stored into a base's value "
    "(`_base_.model.x = {{_base_.lr}}`) it stays that random text (`'pre_\"_lr_3f2a1c\"'`, "
    "or the name repeated by `* 2`), silently.",
    example="_base_ = './base.py'\nwork_dir = 'runs/{{_base_.model.type}}'\n"
    "lr = {{_base_.optimizer.lr}} * 2",
    fix="Write the placeholder unquoted as the whole value (`lr = {{_base_.optimizer.lr}}`); "
    "to compute with a base's value, read it as `_base_.optimizer.lr` "
    "(`lr = _base_.optimizer.lr * 2`, `work_dir = f'runs/{_base_.model.type}'`).",
)
define(
    "IC217", "warning", "A `_base_` assignment names no base",
    why="MMEngine reads a Python config's bases from its first top-level `_base_ = ...` "
    "only, and removes every `_base_ = ...` of the file before running it. One inside "
    "an `if` or a `for`, or a second one at the top level, is silently dropped: the bases "
    "it lists are never inherited. (Where the removal leaves a block empty, MMEngine "
    "fails to compile the file: IC211.)",
    example="if use_coco:\n    _base_ = ['./coco.py']\nx = 1",
    fix="List every base in one top-level `_base_ = [...]`; choose among values after "
    "it, reading them from `_base_`.",
)
define(
    "IC240", "error", "A factory the config names is not the project's own code",
    why="`type='module:callable'` is imported and called. From a config (a file that may "
    "come from a pull request) only callables defined in files under the working "
    "directory or the config's folder are called; the standard library, torch and "
    "installed packages are refused, also when a project module imports them "
    "(`mymodel.py` doing `from torch import load`).",
    example="model = dict(type='mymodel:load', f='weights.pkl', weights_only=False)",
    fix="Name a function or class written in the project, pass the factory on the "
    "command line (`--model`), or use `--trust-python` for a config you trust.",
)
define(
    "IC241", "error", "A factory name walks through a module or a private name",
    why="After the colon, a factory name is looked up attribute by attribute. A walk "
    "through a module (`mymodel:os.system`) or a `_` name (`mymodel:__builtins__`) "
    "leaves the file that was checked, so neither is followed.",
    example="model = dict(type='mymodel:os.system', command='touch /tmp/x')",
    fix="Name the module that defines the callable before the colon, and a public name "
    "after it.",
)
define(
    "IC242", "error", "A factory's module name also names a module outside the project",
    why="A dotted name is searched on `sys.path`; a project file that has the name of a "
    "standard-library or installed module (`cProfile.py`, `yaml.py`) makes the import "
    "reach one or the other depending on the search path and on what was imported "
    "before, so the file that was checked need not be the one that runs.",
    example="model = dict(type='cProfile:run', statement='...')  # with a project cProfile.py",
    fix="Rename the project's module, or name its file: `type='cProfile.py:run'`.",
)
