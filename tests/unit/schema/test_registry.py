"""Projects register their own initializer types, in code or through an entry point."""

from __future__ import annotations

import json
import re
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from pydantic import Field

import initcfg
from initcfg.schema import WeightInit, register_initializer, registry, unregister_initializer
from initcfg.schema.jsonschema import render_schemas


class Orthogonal(WeightInit):
    type: Literal["Orthogonal"] = "Orthogonal"
    gain: float = Field(default=1.0, gt=0)


@pytest.fixture
def orthogonal() -> Iterator[type[Orthogonal]]:
    register_initializer(Orthogonal)
    yield Orthogonal
    unregister_initializer("Orthogonal")


def test_registered_type_validates_like_a_builtin(orthogonal: type[Orthogonal]) -> None:
    assert initcfg.validate_init_cfg({"type": "Orthogonal", "layer": "Linear", "gain": 2}) == []
    [bad] = initcfg.validate_init_cfg({"type": "Orthogonal", "layer": "Linear", "gain": -1})
    assert (bad.code, bad.path) == ("IC105", "gain")
    [typo] = initcfg.validate_init_cfg({"type": "Orthogonal", "layer": "Linear", "gian": 2})
    assert (typo.code, typo.hint) == ("IC104", "did you mean 'gain'?")
    [unknown] = initcfg.validate_init_cfg({"type": "orthogonal", "layer": "Linear"})
    assert unknown.hint == "did you mean 'Orthogonal'?"


def test_registered_type_is_in_the_json_schema(orthogonal: type[Orthogonal]) -> None:
    schema = json.loads(render_schemas()["init_cfg.schema.json"])
    assert "Orthogonal" in schema["$defs"]
    names, scoped = schema["$defs"]["Entry"]["properties"]["type"]["anyOf"]
    assert "Orthogonal" in names["enum"]  # what an editor offers to complete
    assert re.match(scoped["pattern"], "mmengine.OrthogonalInit")


def test_registration_rejects_bad_models_and_name_clashes() -> None:
    with pytest.raises(TypeError):
        register_initializer(dict)  # type: ignore[arg-type]

    class Clash(WeightInit):
        type: Literal["Kaiming"] = "Kaiming"

    with pytest.raises(ValueError, match="already registered"):
        register_initializer(Clash)


def test_entry_point_group_is_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "myinits.py"
    package.write_text(
        textwrap.dedent(
            """
            from typing import Literal
            from initcfg.schema import WeightInit

            class Dirac(WeightInit):
                type: Literal["Dirac"] = "Dirac"
            """
        )
    )
    dist = tmp_path / "myinits-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: myinits\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[initcfg.initializers]\ndirac = myinits:Dirac\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_entry_points_loaded", False)
    try:
        assert "Dirac" in registry.initializer_types()
        assert initcfg.validate_init_cfg({"type": "Dirac", "layer": "Conv2d"}) == []
    finally:
        unregister_initializer("Dirac")
        sys.modules.pop("myinits", None)
