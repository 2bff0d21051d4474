"""Run a few lines on two ranks under torchrun and read what each rank has left behind:
whether it is still in a process group, and which gloo threads it still runs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

# Appended to a worker script that sets `result`: each rank writes
# "<result> | <whether it is still in a group> | <the gloo threads it has left>".
_REPORT = (
    "import torch.distributed as dist\n"
    "names = [Path(f'/proc/self/task/{t}/comm').read_text().strip()\n"
    "         for t in os.listdir('/proc/self/task')]\n"
    "gloo = ' '.join(sorted(n for n in names if 'gloo' in n))\n"
    "report = Path(os.environ['REPORT_DIR']) / ('threads-' + os.environ['RANK'])\n"
    "report.write_text(f'{result} | {dist.is_initialized()} | {gloo}')\n"
)

THREADS_LISTED = Path("/proc/self/task").is_dir()


def gloo_threads_left(
    tmp_path: Path, body: str, *, env: Mapping[str, str], cwd: Path, timeout: float
) -> list[str]:
    """Run ``body`` (which sets ``result``) on two ranks; each rank's report, rank 0 first."""
    script = tmp_path / "run.py"
    script.write_text("import os\nfrom pathlib import Path\n" + body + _REPORT)
    run = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         str(script)],
        cwd=cwd, env={**env, "REPORT_DIR": str(tmp_path)}, capture_output=True, text=True,
        timeout=timeout, check=False,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    return [(tmp_path / f"threads-{rank}").read_text() for rank in (0, 1)]
