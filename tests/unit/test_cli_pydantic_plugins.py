"""The command line answers Pydantic's plugin look-up itself (start-up speed) and hands
any other question to Pydantic's real loader."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from initcfg.cli import _without_pydantic_plugins
_without_pydantic_plugins()
from pydantic import BaseModel
class A(BaseModel):
    x: int
assert A(x=1).x == 1
loader = sys.modules["pydantic.plugin._loader"]
assert tuple(loader.get_plugins()) == ()
assert "importlib.metadata" not in sys.modules
group = loader.PYDANTIC_ENTRY_POINT_GROUP  # not the stand-in's: the real loader answers
assert group == "pydantic", group
assert hasattr(sys.modules["pydantic.plugin._loader"], "_plugins")
print("ok")
"""


def test_stand_in_loader_answers_plugins_and_defers_the_rest() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
