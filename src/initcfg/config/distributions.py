"""What the installed distributions declare, answered without ``importlib.metadata``
where a text scan can rule it out (that module's import and scan cost more than most
validations)."""

from __future__ import annotations

import os
import sys


def may_declare_entry_points(group: str) -> bool:
    """Whether a distribution on ``sys.path`` may declare entry points in ``group``.

    A plain text scan of each ``entry_points.txt`` (no parsing), so a yes may be wrong
    and a no is not: ``importlib.metadata`` is asked only after a yes. A path entry that
    is a file (a zip) cannot be scanned this way, so it answers yes.
    """
    needle = group.encode()
    for entry in sys.path:
        folder = entry or "."
        try:
            with os.scandir(folder) as listing:
                names = [item.name for item in listing
                         if item.name.endswith((".dist-info", ".egg-info", "EGG-INFO"))]
        except NotADirectoryError:
            return True
        except OSError:
            continue
        for name in names:
            try:
                with open(os.path.join(folder, name, "entry_points.txt"), "rb") as file:
                    if needle in file.read():
                        return True
            except OSError:
                continue
    return False
