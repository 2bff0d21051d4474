"""The exported JSON Schema: current with the models, and agreeing with the validator."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from initcfg import validate as initcfg_validate
from initcfg.schema.jsonschema import render_schemas

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples" / "init_cfg"
# Codes that are plain grammar (shape, types, ranges), so a JSON Schema can see them;
# the layer-name and cross-field rules need initcfg itself.
SCHEMA_VISIBLE = {"IC101", "IC102", "IC103", "IC104", "IC105", "IC106", "IC109", "IC110",
                  "IC112", "IC113", "IC114"}


# Cross-field constraints (a <= b) that JSON Schema cannot state: initcfg reports them,
# the schema lets them through.
CROSS_FIELD_EXAMPLES = {"IC105_uniform_a_above_b.yaml", "IC105_truncnormal_a_above_b.yaml"}


def test_committed_schema_files_are_current() -> None:
    for name, text in render_schemas().items():
        committed = REPO / "schema" / name
        assert committed.read_text() == text, (
            f"schema/{name} is stale: run `initcfg schema --output schema`"
        )


def test_schemas_are_valid_draft_2020_12() -> None:
    for text in render_schemas().values():
        jsonschema.Draft202012Validator.check_schema(json.loads(text))


def _expected_codes(path: Path) -> set[str]:
    match = re.search(r"expect:\s*(.*)", path.read_text().splitlines()[0])
    return set(match.group(1).split()) if match else set()


def _yaml_examples() -> list[Path]:
    return sorted(EXAMPLES.rglob("*.yaml")) + sorted(EXAMPLES.rglob("*.yml"))


@pytest.fixture(scope="module")
def config_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(render_schemas()["config.schema.json"]))


@pytest.mark.parametrize("path", _yaml_examples(), ids=lambda p: p.name)
def test_shipped_yaml_examples_against_schema(
    path: Path, config_validator: jsonschema.Draft202012Validator
) -> None:
    document = yaml.safe_load(path.read_text())
    expected = _expected_codes(path)
    if expected & SCHEMA_VISIBLE and path.name not in CROSS_FIELD_EXAMPLES:
        assert not config_validator.is_valid(document), f"{path.name} should fail the schema"
    elif path.name not in CROSS_FIELD_EXAMPLES:
        errors = [e.message for e in config_validator.iter_errors(document)]
        assert not errors, f"{path.name} should pass the schema: {errors[:3]}"


def test_examples_exist() -> None:
    assert len(_yaml_examples()) >= 10, "examples/init_cfg should ship the tutorial cases"


def _keys_at_any_depth(node: object) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {key for value in node.values() for key in _keys_at_any_depth(value)}
    if isinstance(node, list):
        return {key for item in node for key in _keys_at_any_depth(item)}
    return set()


def test_no_pydantic_only_bound_words_are_left_in_the_schema() -> None:
    # Pydantic writes ge/gt/le/lt beside the anyOf of a union field; JSON Schema
    # validators ignore those words, so the bound would go unchecked.
    for name, text in render_schemas().items():
        leftover = _keys_at_any_depth(json.loads(text)) & {"ge", "gt", "le", "lt"}
        assert not leftover, f"{name} holds {leftover}"


@pytest.mark.parametrize("entry", [
    {"type": "Normal", "layer": "Conv2d", "std": -1},
    {"type": "Xavier", "layer": "Conv2d", "gain": -0.5},
    {"type": "TruncNormal", "layer": "Linear", "std": 0},
    {"type": "Kaiming", "layer": "Conv2d", "override": {"name": "fc", "type": "Normal", "std": -1}},
], ids=["normal-std", "xavier-gain", "truncnormal-std", "override-std"])
def test_bounds_of_union_typed_arguments_are_checked_by_the_schema(
    entry: dict[str, object],
) -> None:
    from initcfg import validate_init_cfg

    assert "IC105" in {d.code for d in validate_init_cfg(entry)}
    schema = json.loads(render_schemas()["init_cfg.schema.json"])
    assert not jsonschema.Draft202012Validator(schema).is_valid(entry)


@pytest.mark.parametrize("entry", [
    {"type": "mmengine.Kaiming", "layer": "Conv2d"},
    {"type": "mmengine.model.KaimingInit", "layer": "Conv2d"},
    {"type": "mmengine.model.weight_init.PretrainedInit", "checkpoint": "a.pth"},
    {"type": "Normal", "layer": "Conv2d",
     "override": {"name": "fc", "type": "mmengine.ConstantInit", "val": 0}},
    {"type": "Kaiming", "layer": "Conv2d", "_scope_": "mmdet"},
    {"type": "Normal", "layer": "Conv2d",
     "override": {"name": "fc", "type": "Constant", "val": 0, "_scope_": "mmdet"}},
    {"type": "Kaiming", "layer": "Conv2d", "mode": "FAN_IN", "a": None},
], ids=["scope-prefix", "class-path", "pretrained-class-path", "override-scoped",
        "entry-scope-key", "override-scope-key", "kaiming-mode-case-and-default-slope"])
def test_spellings_validate_accepts_pass_the_schema(entry: dict[str, object]) -> None:
    # initcfg resolves mmengine-scoped type names and drops _scope_, as MMEngine's
    # registry does; an editor must not flag what initcfg validate accepts.
    from initcfg import validate_init_cfg

    assert not [d for d in validate_init_cfg(entry) if d.severity == "error"]
    schema = json.loads(render_schemas()["init_cfg.schema.json"])
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(entry)]
    assert not errors


@pytest.mark.parametrize("entry", [
    {"type": "mmdet.Kaiming", "layer": "Conv2d"},
    {"type": "KaimingInit", "layer": "Conv2d"},
    {"type": "mmengine.Kaiming.Init", "layer": "Conv2d"},
    {"type": "mmengine.Constant", "layer": "Conv2d"},
    {"type": "Normal", "layer": "Conv2d", "override": {"name": "fc", "_scope_": "mmdet"}},
], ids=["other-scope", "bare-init-suffix", "not-a-class-name", "scoped-missing-val",
        "name-only-override-scope-key"])
def test_spellings_validate_refuses_fail_the_schema(entry: dict[str, object]) -> None:
    from initcfg import validate_init_cfg

    assert [d for d in validate_init_cfg(entry) if d.severity == "error"]
    schema = json.loads(render_schemas()["init_cfg.schema.json"])
    assert not jsonschema.Draft202012Validator(schema).is_valid(entry)


@pytest.mark.parametrize("init_cfg", [5, {"type": "Kaiming", "layr": "Conv2d"}, [{}]],
                         ids=["not-a-dict", "unknown-key", "empty-entry"])
def test_an_init_cfg_at_the_top_of_the_config_is_checked_by_the_schema(
    init_cfg: object, config_validator: jsonschema.Draft202012Validator
) -> None:
    document = {"model": {"type": "M"}, "init_cfg": init_cfg}
    assert [d for d in initcfg_validate(document) if d.severity == "error"]
    assert not config_validator.is_valid(document)


def test_a_valid_init_cfg_at_the_top_of_the_config_passes_the_schema(
    config_validator: jsonschema.Draft202012Validator,
) -> None:
    document = {"model": {"type": "M"}, "init_cfg": {"type": "Kaiming", "layer": "Conv2d"}}
    assert not [d for d in initcfg_validate(document) if d.severity == "error"]
    assert config_validator.is_valid(document)


FINE_TUNE_KEYS = ("train_cfg", "optim_wrapper", "param_scheduler", "load_from")


def test_readme_says_the_schema_leaves_the_fine_tune_settings_to_validate(
    config_validator: jsonschema.Draft202012Validator,
) -> None:
    # IC3xx errors pass the schema (it describes init_cfg only); the README's editor
    # section must say so rather than promise that the schema sees "the grammar".
    document = {"model": {"type": "M"}, "train_cfg": {"by_epoch": "yes"},
                "param_scheduler": 5, "optim_wrapper": [], "load_from": 3}
    assert {d.code[:3] for d in initcfg_validate(document) if d.severity == "error"} == {"IC3"}
    assert config_validator.is_valid(document)
    editors = (REPO / "README.md").read_text().partition("## Editors")[2].partition("\n## ")[0]
    assert "IC3xx" in editors
    for key in FINE_TUNE_KEYS:
        assert f"`{key}`" in editors, key


@pytest.mark.parametrize("init_cfg", [
    [{"checkpoint": "pvt_tiny.pth"}],
    [{"type": "Kaiming", "layer": "Conv2d"}, {"checkpoint": "pvt_tiny.pth"}],
], ids=["alone", "after-an-entry"])
def test_a_checkpoint_without_type_in_a_list_passes_the_schema(init_cfg: object) -> None:
    # IC123 is a warning in a list as at the top: some modules' own init_weights read
    # the checkpoint key, so the schema must not refuse it there either.
    from initcfg import validate_init_cfg

    assert {d.code for d in validate_init_cfg(init_cfg)} == {"IC123"}
    schema = json.loads(render_schemas()["init_cfg.schema.json"])
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(init_cfg)]
    assert not errors


@pytest.mark.parametrize("entry", [
    {"type": "Constant", "layer": "Conv2d", "val": 1e39},
    {"type": "Normal", "layer": "Conv2d", "std": 1e39},
    {"type": "Kaiming", "layer": "Conv2d", "bias": -1e39},
    {"type": "Uniform", "layer": "Conv2d", "a": -10**40, "b": 0},
    {"type": "Kaiming", "layer": "Conv2d", "a": float("inf")},
    {"type": "Kaiming", "layer": "Conv2d",
     "override": {"name": "fc", "type": "Constant", "val": 1e39}},
], ids=["constant-val", "normal-std", "bias", "uniform-int-a", "kaiming-inf", "override-val"])
def test_numbers_a_float32_cannot_hold_fail_the_schema(entry: dict[str, object]) -> None:
    from initcfg import validate_init_cfg

    assert "IC105" in {d.code for d in validate_init_cfg(entry)}
    schema = json.loads(render_schemas()["init_cfg.schema.json"])
    assert not jsonschema.Draft202012Validator(schema).is_valid(entry)


def test_the_largest_float32_passes_the_schema() -> None:
    from initcfg import validate_init_cfg
    from initcfg.schema.initializers import FLOAT32_MAX

    entry = {"type": "Constant", "layer": "Conv2d", "val": -FLOAT32_MAX, "bias": FLOAT32_MAX}
    assert not validate_init_cfg(entry)
    schema = json.loads(render_schemas()["init_cfg.schema.json"])
    assert jsonschema.Draft202012Validator(schema).is_valid(entry)


def test_readme_warns_that_editors_read_yaml_1_2_where_mmengine_reads_1_1(
    config_validator: jsonschema.Draft202012Validator,
) -> None:
    # Read as YAML 1.2 does, `bias: yes` is the string 'yes': the schema refuses it,
    # while initcfg (PyYAML, YAML 1.1, as MMEngine) reads True and only warns.
    as_yaml_1_1 = {"model": {"type": "M", "init_cfg": yaml.safe_load(
        "{type: Kaiming, layer: Conv2d, bias: yes}")}}
    assert not [d for d in initcfg_validate(as_yaml_1_1) if d.severity == "error"]
    as_yaml_1_2 = {"model": {"type": "M", "init_cfg": {
        "type": "Kaiming", "layer": "Conv2d", "bias": "yes"}}}
    assert not config_validator.is_valid(as_yaml_1_2)
    editors = (REPO / "README.md").read_text().partition("## Editors")[2].partition("\n## ")[0]
    assert "yaml.yamlVersion" in editors and "YAML 1.1" in editors


def test_readme_names_the_code_validate_gives_a_yaml_1_1_string_number(
    config_validator: jsonschema.Draft202012Validator,
) -> None:
    # The README showed `lr: 1e-3` with IC105: lr is no init_cfg argument (the schema
    # does not see it) and validate reports a string lr as IC302.
    editors = (REPO / "README.md").read_text().partition("## Editors")[2].partition("\n## ")[0]
    shown = re.search(r"`(\w+): ([\w.-]+)` is a number where MMEngine reads the string\s+"
                      r"`'([\w.-]+)'` \((IC\d{3}) from `initcfg validate`\)", editors)
    assert shown is not None
    key, number, string, code = shown.groups()
    assert yaml.safe_load(f"{key}: {number}") == {key: string}
    entry = {"type": "Normal", "layer": "Linear", key: string}
    config = {"model": {"type": "M", "init_cfg": entry}}
    assert [d.code for d in initcfg_validate(config)] == [code]
    as_yaml_1_2 = {"model": {"type": "M", "init_cfg": {**entry, key: float(number)}}}
    assert config_validator.is_valid(as_yaml_1_2)


@pytest.mark.parametrize("child_init_cfg", [
    {"val": 2},
    {"_delete_": True, "type": "Kaiming", "layer": "Conv2d"},
    {"type": "Constant"},
], ids=["one-key", "delete-and-replace", "type-only"])
def test_a_child_configs_partial_init_cfg_passes_the_schema(
    child_init_cfg: dict[str, object], tmp_path: Path,
    config_validator: jsonschema.Draft202012Validator,
) -> None:
    # A dict init_cfg in a config with _base_ is merged into the base's key by key:
    # validate checks the merged value, the schema sees only the file's part of it.
    (tmp_path / "base.yaml").write_text(
        "model:\n  type: M\n  init_cfg: {type: Constant, val: 1, layer: Conv2d}\n")
    child = {"_base_": "base.yaml", "model": {"init_cfg": child_init_cfg}}
    (tmp_path / "child.yaml").write_text(yaml.safe_dump(child))
    assert not initcfg_validate(tmp_path / "child.yaml")
    errors = [e.message for e in config_validator.iter_errors(child)]
    assert not errors


@pytest.mark.parametrize("init_cfg", [5, [{}], [{"type": "Kaiming", "layr": "Conv2d"}]],
                         ids=["scalar", "empty-entry-in-list", "unknown-key-in-list"])
def test_a_child_config_still_has_its_replacing_init_cfg_values_checked(
    init_cfg: object, config_validator: jsonschema.Draft202012Validator,
) -> None:
    # A list or a scalar replaces the base's value whole, so it is checked as written.
    for document in ({"_base_": "base.py", "model": {"backbone": {"init_cfg": init_cfg}}},
                     {"_base_": ["base.py"], "init_cfg": init_cfg}):
        assert not config_validator.is_valid(document)


@pytest.mark.parametrize("bases", [["base.yaml", 3], [None], {"a": "base.yaml"}],
                         ids=["int-entry", "null-entry", "mapping"])
def test_base_entries_that_are_not_paths_fail_the_schema(
    bases: object, tmp_path: Path, config_validator: jsonschema.Draft202012Validator,
) -> None:
    (tmp_path / "base.yaml").write_text("x: 1\n")
    document = {"_base_": bases, "model": {"type": "M"}}
    (tmp_path / "child.yaml").write_text(yaml.safe_dump(document))
    assert "IC211" in {d.code for d in initcfg_validate(tmp_path / "child.yaml")}
    assert not config_validator.is_valid(document)
