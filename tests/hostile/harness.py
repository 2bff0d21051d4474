"""Run one hostile input through initcfg in a subprocess under CPU and memory limits.

The promise of the hostile-input suite: whatever a config or a work directory holds,
initcfg answers with a diagnostic, never a traceback, within bounded time and memory
(20 s of CPU and 3 GB of address space for one input), writes nothing outside the work
dir or the named output, and modifies no input. ``run_limited`` enforces the limits
with ``setrlimit`` in the child, so a bomb that escapes initcfg's own budgets is killed
by the kernel and the test fails instead of the machine; ``Outcome.assert_clean`` and
``Inputs.assert_unchanged`` check the rest.

    outcome = run_limited(["validate", str(config)], cwd=tmp_path)
    outcome.assert_clean()
    assert "IC214" in outcome.output
"""

from __future__ import annotations

import hashlib
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

CPU_SECONDS = 20
MEMORY_BYTES = 3 * 1024**3


@dataclass(frozen=True)
class Outcome:
    """What one limited run did."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def killed_by(self) -> str | None:
        """The signal that ended the run (a limit hit: SIGXCPU, SIGKILL), if any."""
        if self.returncode < 0:
            return signal.Signals(-self.returncode).name
        return None

    def assert_clean(self, *, exit_codes: Iterable[int] = (0, 1, 2)) -> None:
        """No traceback, no crash, no limit hit, and one of the documented exit codes."""
        where = f"initcfg {' '.join(self.args)}"
        assert self.killed_by is None, f"{where}: killed by {self.killed_by}\n{self.output[-2000:]}"
        assert "Traceback (most recent call last)" not in self.output, (
            f"{where}: printed a traceback\n{self.output[-4000:]}"
        )
        assert "MemoryError" not in self.output, f"{where}: {self.output[-2000:]}"
        allowed = tuple(exit_codes)
        assert self.returncode in allowed, (
            f"{where}: exit {self.returncode}, expected one of {allowed}\n{self.output[-2000:]}"
        )


def _limits(cpu_seconds: int, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_limited(
    args: Sequence[str],
    *,
    cwd: Path,
    cpu_seconds: int = CPU_SECONDS,
    memory_bytes: int = MEMORY_BYTES,
    env: dict[str, str] | None = None,
    python_args: Sequence[str] = ("-m", "initcfg.cli"),
    stdin: str | None = None,
) -> Outcome:
    """Run ``python -m initcfg.cli ARGS`` in ``cwd`` under the limits.

    The wall-clock timeout is generous (CPU time is the limit that matters; a loaded
    machine stretches wall time), but a run that sleeps forever still ends: a hang is
    reported as such rather than blocking the suite.
    """
    child_env = {**os.environ, **(env or {})}
    child_env.setdefault("PYTHONHASHSEED", "0")
    try:
        done = subprocess.run(
            [sys.executable, *python_args, *args],
            cwd=cwd, env=child_env, input=stdin, capture_output=True, text=True,
            timeout=cpu_seconds * 6 + 60, check=False,
            preexec_fn=lambda: _limits(cpu_seconds, memory_bytes),
        )
    except subprocess.TimeoutExpired as hang:
        raise AssertionError(f"initcfg {' '.join(args)}: hung (no answer within "
                             f"{hang.timeout:.0f} s of wall time)") from None
    return Outcome(tuple(args), done.returncode, done.stdout, done.stderr)


class Inputs:
    """Fingerprints of input files, to show a run left them unchanged."""

    def __init__(self, paths: Iterable[Path]) -> None:
        self._prints = {path: self._print(path) for path in paths}

    @staticmethod
    def _print(path: Path) -> tuple[str, int, int] | None:
        try:
            status = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        except FileNotFoundError:
            return None
        return digest, status.st_mode, status.st_size

    def assert_unchanged(self) -> None:
        changed = [str(p) for p, before in self._prints.items() if self._print(p) != before]
        assert changed == [], f"inputs changed: {changed}"


def assert_no_canary(*canaries: Path) -> None:
    """A payload's side effect (a file it would create) did not happen."""
    made = [str(path) for path in canaries if os.path.lexists(path)]
    assert made == [], f"a config ran code: {made} exist"
