"""Generated trees of small config files, loaded by initcfg and by MMEngine 0.10.7.

:func:`config_trees` draws a root config with up to three levels of bases in mixed
formats (``.py``, ``.yaml``, ``.json``): nested dicts, lists and tuples, keys that
override, merge into and delete (``_delete_=True``) their bases' values, ``{{_base_.x}}``
placeholders, ``_base_.x`` references and in-place changes of inherited values in
Python files, environment placeholders ``{{$NAME:default}}``, predefined variables
(``{{fileBasename}}``…) and ``custom_imports``. :func:`compare` loads the root with
both loaders: where MMEngine gives a result, initcfg must give the same one without an
error; where MMEngine raises, initcfg must report an error at a file, line and column.

:func:`new_style_trees` draws ``with read_base():`` configs importing up to two levels
of files, with ``ConfigDict`` methods and in-place changes on the imported values.

``tests/parity/test_load_fuzz.py`` runs a few dozen derandomized examples; a scratch
run (``python tests/load_fuzz.py 5000 [seed] [classic|new|both]``) draws as many as it
is asked for and prints the first disagreement.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from initcfg.config.load import load_tree
from initcfg.config.loaded import clear_cache

# The environment the placeholders see: one variable set, one set to the empty string
# (an error for both loaders), one never set.
ENVIRONMENT = {"LOADFUZZ_SET": "from-env", "LOADFUZZ_EMPTY": "", "LOADFUZZ_SLASH": "a\\\\b"}
UNSET = "LOADFUZZ_UNSET"

TOP_KEYS = ("a", "b", "model", "lr", "_p", "__d")
INNER_KEYS = ("x", "y", "type", "depth")
WORDS = ("v", "w0", "a b", "")
PLACEHOLDER_TEXT = (
    "{{fileBasename}}", "{{ fileDirname }}", "{{fileBasenameNoExtension}}", "{{fileExtname}}",
    "{{$LOADFUZZ_SET:dflt}}", "{{$LOADFUZZ_UNSET:dflt}}", "{{$LOADFUZZ_UNSET:d/e.f}}",
    "{{'$LOADFUZZ_UNSET:q'}}", "{{ $LOADFUZZ_SET : }}", "{{$LOADFUZZ_UNSET:d/e_f}}",
    "{{$LOADFUZZ_SLASH:x}}", "{{$LOADFUZZ_UNSET:a+b}}", "{{_base_.a}}", "{{ _base_.model.x }}",
)
# Placeholders both loaders refuse: no value and no default.
FAILING_TEXT = ("{{$LOADFUZZ_UNSET:}}", "{{$LOADFUZZ_EMPTY:x}}")


@dataclass
class Raw:
    """Text written into a file as it is (a bare placeholder, an expression)."""

    text: str


@dataclass
class File:
    name: str  # relative to the tree's root folder
    bases: list[str] = field(default_factory=list)  # as written in `_base_`
    base_as_list: bool = True
    values: dict[str, Any] = field(default_factory=dict)
    statements: list[str] = field(default_factory=list)  # Python only, after the values


@dataclass
class Tree:
    files: list[File]

    def write(self, root: Path) -> Path:
        for file in self.files:
            target = root / file.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(render(file), encoding="utf-8")
        return root / self.files[0].name

    def show(self) -> str:
        return "\n".join(f"--- {f.name}\n{render(f)}" for f in self.files)


# --- rendering ----------------------------------------------------------------------------


def render(file: File) -> str:
    suffix = file.name.rsplit(".", 1)[1]
    if suffix == "py":
        return _render_py(file)
    if suffix == "json":
        return _render_json(file)
    return _render_yaml(file)


def _bases_value(file: File) -> Any:
    if file.base_as_list or len(file.bases) != 1:
        return list(file.bases)
    return file.bases[0]


def _py(value: Any, style: int = 0) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        identifiers = all(isinstance(k, str) and k.isidentifier() for k in value)
        if identifiers and style % 2 == 0:
            return "dict(" + ", ".join(f"{k}={_py(v, style + 1)}" for k, v in value.items()) + ")"
        return "{" + ", ".join(f"{k!r}: {_py(v, style + 1)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_py(v, style + 1) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(_py(v, style + 1) for v in value)
        return "(" + inner + ("," if len(value) == 1 else "") + ")"
    return repr(value)


def _render_py(file: File) -> str:
    lines = []
    if file.bases:
        lines.append(f"_base_ = {_py(_bases_value(file))}")
    lines.extend(f"{key} = {_py(value)}" for key, value in file.values.items())
    lines.extend(file.statements)
    return "\n".join(lines) + "\n"


def _json(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_json(v) for v in value) + "]"
    return json.dumps(value)


def _render_json(file: File) -> str:
    items = dict(file.values)
    if file.bases:
        items = {"_base_": _bases_value(file), **items}
    return _json(items) + "\n"


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)  # a double-quoted YAML scalar
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _yaml(value: Any, indent: int) -> str:
    """Block style for dicts and lists, one level per two spaces; flow style (JSON) for
    empty containers."""
    pad = " " * indent
    if isinstance(value, Raw):
        return " " + value.text
    if isinstance(value, dict) and value:
        return "".join(f"\n{pad}{_yaml_scalar(k)}:{_yaml(v, indent + 2)}" for k, v in value.items())
    if isinstance(value, (list, tuple)) and value:
        return "".join(f"\n{pad}-{_yaml(v, indent + 2)}" for v in value)
    if isinstance(value, (dict, list, tuple)):
        return " " + _json(value)
    return " " + _yaml_scalar(value)


def _render_yaml(file: File) -> str:
    items = dict(file.values)
    if file.bases:
        items = {"_base_": _bases_value(file), **items}
    if not items:
        return "{}\n"
    return _yaml(items, 0).lstrip("\n") + "\n"


# --- drawing ------------------------------------------------------------------------------


def _scalars(draw_failing: bool) -> st.SearchStrategy[Any]:
    text = st.one_of(
        st.sampled_from(WORDS),
        st.builds(lambda a, b: a + b, st.sampled_from(WORDS), st.sampled_from(PLACEHOLDER_TEXT)),
    )
    if draw_failing:
        text = st.one_of(text, st.sampled_from(FAILING_TEXT))
    choices = [st.integers(-3, 3), st.sampled_from([0.5, -1.25, 1e-3]), text, st.booleans(),
               st.none()]
    return st.one_of(*choices)


def _values(
    python: bool, placeholders: list[str], draw_failing: bool, bare_placeholders: bool = True
) -> st.SearchStrategy[Any]:
    leaves: st.SearchStrategy[Any] = _scalars(draw_failing)
    if placeholders:
        leaves = st.one_of(leaves, st.sampled_from(placeholders).map(Raw))
    # Bare environment placeholders: numbers in YAML and JSON, no Python as written.
    bare = ["{{$LOADFUZZ_UNSET:7}}", "{{'$LOADFUZZ_UNSET:8'}}"]
    if bare_placeholders:
        leaves = st.one_of(leaves, st.sampled_from(bare).map(Raw)) if draw_failing or not python \
            else st.one_of(leaves, st.just(Raw(bare[1])))

    def containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        keys: st.SearchStrategy[Any] = st.sampled_from((*INNER_KEYS, "_delete_"))
        if python:
            keys = st.one_of(keys, st.sampled_from([0, 1, True, None, 1.5]))
        kinds = [
            st.lists(children, max_size=3),
            st.dictionaries(keys, children, max_size=3).map(_delete_true),
        ]
        if python:
            kinds.append(st.lists(children, max_size=3).map(tuple))
        return st.one_of(*kinds)

    return st.recursive(leaves, containers, max_leaves=6)


def _delete_true(value: dict[str, Any]) -> dict[str, Any]:
    if "_delete_" in value:
        value["_delete_"] = True if not isinstance(value["_delete_"], bool) else value["_delete_"]
    return value


FORMATS = ("py", "py", "yaml", "json")


@st.composite
def config_trees(draw: st.DrawFn, max_depth: int = 3) -> Tree:
    files: list[File] = []
    counter = [0]

    def new_name() -> str:
        counter[0] += 1
        return f"f{counter[0]}." + draw(st.sampled_from(FORMATS))

    failing = draw(st.integers(0, 9)) == 0

    def make(name: str, depth: int, pool: tuple[str, ...]) -> File:
        file = File(name)
        files.append(file)
        python = name.endswith(".py")
        here = os.path.dirname(name)
        if depth < max_depth:
            count = draw(st.integers(0, 2 if depth else 3))
            # Siblings mostly write different top-level keys: the same key in two
            # bases of one file is an error (drawn now and then all the same).
            pools = [pool] * count
            if count > 1 and draw(st.integers(0, 5)):
                pools = [pool[i::count] or pool for i in range(count)]
            for index in range(count):
                folder = draw(st.sampled_from(["", "", "sub/", "../up/"]))
                written = folder + new_name()
                child = os.path.normpath(os.path.join(here, written))
                if draw(st.booleans()):
                    written = "./" + written
                file.bases.append(written)
                make(child, depth + 1, pools[index])
            file.base_as_list = draw(st.booleans())
        placeholders: list[str] = []
        if file.bases:
            paths = [f"{{{{_base_.{k}}}}}" for k in TOP_KEYS] + [
                f"{{{{ _base_.{k}.{i} }}}}" for k in ("model", "a") for i in INNER_KEYS[:2]
            ]
            placeholders = draw(st.lists(st.sampled_from(paths), max_size=2))
        values = _values(python, placeholders, failing)
        file.values = draw(st.dictionaries(st.sampled_from(pool), values, max_size=3))
        if depth == 0 and draw(st.integers(0, 9)) == 0:
            file.values["custom_imports"] = {"imports": ["json"], "allow_failed_imports": False}
        if draw(st.integers(0, 19)) == 0:
            file.values[draw(st.sampled_from(["_deprecation_", "filename", "__x"]))] = draw(
                st.sampled_from([{"expected": "x.py"}, 1, "t"])
            )
        if python and draw(st.booleans()):
            defined = tuple(file.values) if draw(st.integers(0, 4)) else pool
            file.statements = draw(
                st.lists(_statement(file, values, defined or pool, pool), max_size=3)
            )
        return file

    make("a/b/root/f0." + draw(st.sampled_from(FORMATS)), 0, TOP_KEYS)
    return Tree(files)


@st.composite
def new_style_trees(draw: st.DrawFn) -> Tree:
    """A new-style root (``with read_base():``) importing up to three files, each
    new-style itself or plain, in folders beside and above it."""
    files: list[File] = []
    counter = [0]

    def make(name: str, depth: int, pool: tuple[str, ...]) -> set[str]:
        file = File(name)
        files.append(file)
        here = os.path.dirname(name)
        imports: list[str] = []
        defined: set[str] = set()
        count = draw(st.integers(0, 2)) if depth < 2 else 0
        if depth == 0:
            count = max(count, 1)
        pools = [pool[i::count] or pool for i in range(count)] if count else []
        if count > 1 and not draw(st.integers(0, 5)):
            pools = [pool] * count
        for index in range(count):
            counter[0] += 1
            folder = draw(st.sampled_from(["", "", "sub/", "../up/"]))
            child = os.path.normpath(os.path.join(here, folder, f"n{counter[0]}.py"))
            dots = "." + ("." if folder == "../up/" else "")
            module = (folder.strip("./").replace("/", "") + "." if folder and folder != "../up/"
                      else "up." if folder == "../up/" else "") + f"n{counter[0]}"
            names = draw(st.one_of(st.just("*"), st.just("*"), st.lists(
                st.sampled_from(pools[index]), min_size=1, max_size=2, unique=True
            ).map(", ".join)))
            imports.append(f"    from {dots}{module} import {names}")
            theirs = make(child, depth + 1, pools[index])
            defined |= theirs if names == "*" else set(names.split(", "))
        values = _values(True, [], False, bare_placeholders=False)
        mostly_dicts = st.one_of(
            st.dictionaries(st.sampled_from(INNER_KEYS), values, max_size=3), values
        )
        file.values = draw(st.dictionaries(st.sampled_from(pool), mostly_dicts, min_size=1,
                                           max_size=3))
        defined |= set(file.values)
        statements = []
        own = [f"{key} = {_py(value)}" for key, value in file.values.items()]
        if imports:
            # Now and then a value before the block (the file's wins), an import from a
            # base module outside it (a base import too) or a second block (an error).
            if draw(st.integers(0, 4)) == 0:
                statements.append(own.pop())
            statements.append("with read_base():\n" + "\n".join(imports))
            extra = draw(st.integers(0, 9))
            if extra == 0:
                statements.append(imports[0].strip())
            elif extra == 1:
                statements.append("with read_base():\n" + imports[-1])
        statements.extend(own)
        file.values = {}
        name_ = st.sampled_from(sorted(defined)) if draw(st.integers(0, 5)) else st.sampled_from(
            pool)
        inner = st.sampled_from(INNER_KEYS)
        value = values.map(_py)
        statements.extend(draw(st.lists(st.one_of(
            st.builds(lambda k, v: f"{k}.update({v})", name_, value),
            st.builds(lambda k, v: f"{k}.merge({v})", name_, value),
            st.builds(lambda k, i, v: f"{k}.{i} = {v}", name_, inner, value),
            st.builds(lambda k, i, v: f"{k}['{i}'] = {v}", name_, inner, value),
            st.builds(lambda k, j: f"{k} = {j}.copy()", name_, name_),
            st.builds(lambda k, j: f"{k} = {j}", name_, name_),
            st.builds(lambda k: f"del {k}", name_),
            st.builds(lambda k, v: f"{k} = {v}", name_, value),
            st.builds(lambda k, j, i: f"{k} = {j}.get('{i}')", name_, name_, inner),
            st.builds(lambda k, j: f"{k} = dict(**{j})", name_, name_),
        ), max_size=3)))
        if draw(st.integers(0, 5)) == 0:
            statements.append(f"w = '{draw(st.sampled_from(PLACEHOLDER_TEXT))}'")
        file.statements = statements
        return defined

    make("a/b/root/n0.py", 0, TOP_KEYS[:5])
    return Tree(files)


def _statement(
    file: File, values: st.SearchStrategy[Any], defined: tuple[str, ...], pool: tuple[str, ...]
) -> st.SearchStrategy[str]:
    key = st.sampled_from(defined)
    based = st.sampled_from(pool)
    inner = st.sampled_from(INNER_KEYS)
    value = values.map(_py)
    kinds = [
        st.builds(lambda k, i, v: f"{k}['{i}'] = {v}", key, inner, value),
        st.builds(lambda k, v: f"{k} = {v}", key, value),
        st.builds(lambda k: f"del {k}", key),
    ]
    if file.bases:
        kinds += [
            st.builds(lambda k, b: f"{k} = _base_.{b}", based, based),
            st.builds(lambda k, b, i: f"{k} = _base_.{b}.{i}", based, based, inner),
            st.builds(lambda b, i, v: f"_base_.{b}.{i} = {v}", based, inner, value),
            st.builds(lambda b, v: f"_base_.{b}.update({v})", based, value),
            st.builds(lambda b, v: f"_base_.{b}.merge({v})", based, value),
            st.builds(lambda b: f"del _base_.{b}", based),
            st.builds(lambda k, b, i: f"{k} = dict(_base_.{b}, {i}=1)", based, based, inner),
            st.builds(lambda k, b, i: f"{k} = _base_.{b}.get('{i}')", based, based, inner),
            st.builds(lambda k, b: f"{k} = _base_.{b}.copy()", based, based),
            st.builds(lambda k, b: f"{k} = {{**_base_.{b}}}", based, based),
            st.builds(lambda k, b: f"{k} = _base_.{b}\n{k}['x'] = 7", based, based),
            st.just("if True:\n    _base_ = 'other.py'"),
            st.builds(lambda k: f"for _i in range(1):\n    _base_ = 1\n    {k} = _i", key),
        ]
    return st.one_of(*kinds)


# --- comparing ----------------------------------------------------------------------------


def strict_equal(ours: Any, theirs: Any) -> bool:
    """Equal values of equal types all the way down (``1 == True`` and
    ``(1,) != [1]`` as a config means them)."""
    if type(ours) is not type(theirs):
        return False
    if isinstance(ours, dict):
        return ours.keys() == theirs.keys() and all(
            strict_equal(ours[k], theirs[k]) for k in ours
        )
    if isinstance(ours, (list, tuple)):
        return len(ours) == len(theirs) and all(
            strict_equal(a, b) for a, b in zip(ours, theirs, strict=True)
        )
    return bool(ours == theirs)


def mmengine_result(path: Path) -> dict[str, Any] | BaseException:
    from mmengine.config import Config

    logging.getLogger("mmengine").setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            result: dict[str, Any] = Config.fromfile(
                str(path), import_custom_modules=False
            ).to_dict()
    except Exception as error:  # MMEngine's verdict on the tree, kept as data
        return error
    return result


def _documented(code: str, message: str) -> bool:
    """An error where MMEngine loads, on purpose (docs/config-loading.md): a default with
    characters special in a regular expression, which MMEngine leaves unsubstituted."""
    return code == "IC205" and "has characters special there" in message


# MMEngine's random name for `{{_base_.x}}` ("_x_" and six hex digits) and initcfg's marker.
_STAND_IN = re.compile(r"_[\w.]+?_[0-9a-f]{6}|@ph\d+@*")


def _stand_ins(value: Any) -> Any:
    """``value`` with each placeholder's stand-in text in strings and keys made one."""
    if isinstance(value, str):
        return _STAND_IN.sub("<placeholder>", value)
    if isinstance(value, dict):
        return {_stand_ins(k): _stand_ins(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return type(value)(_stand_ins(item) for item in value)
    return value


@dataclass
class Outcome:
    agree: bool
    why: str
    mmengine_raised: bool
    kind: str = ""


def compare(tree: Tree) -> Outcome:
    """Write ``tree`` to a new folder and load its root with both loaders."""
    with tempfile.TemporaryDirectory() as folder:
        root = tree.write(Path(folder))
        clear_cache()
        theirs = mmengine_result(root)
        loaded = load_tree(root)
        errors = [d for d in loaded.diagnostics if d.severity == "error"]
        if isinstance(theirs, BaseException):
            if not errors:
                return Outcome(False, f"MMEngine raised {theirs!r}; initcfg gave "
                               f"{loaded.to_dict()!r} without an error", True)
            unplaced = [str(d) for d in errors if not (d.file and d.line and d.column)]
            if unplaced:
                return Outcome(False, f"errors without a place: {unplaced}", True)
            return Outcome(True, "", True, f"{type(theirs).__name__}: {str(theirs)[:60]}")
        if errors and all(_documented(d.code, d.message) for d in errors):
            return Outcome(True, "", False, "documented difference")
        if errors:
            return Outcome(False, f"MMEngine gave {theirs!r}; initcfg reported "
                           f"{[str(d) for d in errors]}", False)
        ours = loaded.to_dict()
        if any(d.code == "IC216" for d in loaded.diagnostics):
            # Documented (IC216): where MMEngine leaves its random name for a placeholder,
            # initcfg leaves its marker; the rest must be equal.
            ours, theirs = _stand_ins(ours), _stand_ins(theirs)
        if not strict_equal(ours, theirs):
            return Outcome(False, f"MMEngine gave\n  {theirs!r}\ninitcfg gave\n  {ours!r}", False)
        return Outcome(True, "", False)


@contextlib.contextmanager
def environment() -> Any:
    saved = {name: os.environ.get(name) for name in (*ENVIRONMENT, UNSET)}
    os.environ.update(ENVIRONMENT)
    os.environ.pop(UNSET, None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _scratch(count: int, seed: int, mode: str) -> None:  # pragma: no cover - a manual tool
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hypothesis_seed

    found: list[str] = []
    stats = {"raised": 0, "loaded": 0}
    kinds: dict[str, int] = {}

    @hypothesis_seed(seed)
    @settings(max_examples=count, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.one_of(config_trees(), new_style_trees()) if mode == "both"
           else new_style_trees() if mode == "new" else config_trees())
    def run(tree: Tree) -> None:
        outcome = compare(tree)
        stats["raised" if outcome.mmengine_raised else "loaded"] += 1
        kinds[outcome.kind] = kinds.get(outcome.kind, 0) + 1
        if not outcome.agree:
            found.append(tree.show() + "\n>>> " + outcome.why)
            raise AssertionError(outcome.why)

    with environment(), contextlib.suppress(AssertionError):
        run()
    print(stats)
    for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1])[:15]:
        print(n, kind)
    if found:
        print(found[-1])


if __name__ == "__main__":  # pragma: no cover
    _scratch(int(sys.argv[1]) if len(sys.argv) > 1 else 200,
             int(sys.argv[2]) if len(sys.argv) > 2 else 0,
             sys.argv[3] if len(sys.argv) > 3 else "both")
