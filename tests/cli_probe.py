"""Running ``initcfg``'s command line in a fresh interpreter and asking, afterwards in the
same process, what it imported: start-up tests hold commands to the modules they need."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable


def probe_cli(argv: list[str], then: str = "") -> subprocess.CompletedProcess[str]:
    """Run ``main(argv)`` in a new Python process, print ``EXIT <code>``, then run the
    source ``then`` (which may read ``sys.modules``)."""
    script = "\n".join([
        "import sys",
        "from initcfg.cli import main",
        "try:",
        f"    main({argv!r})",
        "except SystemExit as end:",
        "    print('EXIT', end.code)",
        then,
    ])
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )


def print_loaded(label: str, modules: Iterable[str]) -> str:
    """Source that prints ``label`` and which of ``modules`` are imported."""
    return f"print({label!r}, [m for m in {tuple(modules)!r} if m in sys.modules])"
