"""Measure one command as a whole process: wall time from the parent, peak memory of the child.

Peak memory is the child's maximum resident set size. It comes from GNU
``/usr/bin/time -f %M`` when that is present and agrees with the kernel's own
``ru_maxrss`` on a calibration run; otherwise from :mod:`benchmarks.wrap`, a small
Python wrapper that reports its child's ``ru_maxrss``. Either way the figure is
that of a process started from a small parent: a child forked straight from the
harness could inherit the harness's own peak (Linux carries ``maxrss`` across
``exec``), which is why neither ``RUSAGE_CHILDREN`` deltas in the harness nor a
bare ``subprocess.run`` are used.

A command that outlives its time limit is killed with its whole process group
(the measured process and anything it started) and reported as timed out.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

GNU_TIME = Path("/usr/bin/time")
ROOT = Path(__file__).resolve().parent.parent
_STDERR_TAIL = 2000


@dataclass(frozen=True)
class Measurement:
    """One run of one command."""

    wall_s: float
    peak_mb: float | None
    """Maximum resident set size in MiB; None when it could not be read (killed)."""
    returncode: int | None
    timed_out: bool
    stderr_tail: str

    @property
    def ok(self) -> bool:
        """Finished within its limit with exit status 0."""
        return not self.timed_out and self.returncode == 0


def _read_kib(report: Path) -> int | None:
    try:
        lines = report.read_text(encoding="utf-8").split()
    except OSError:
        return None
    for word in reversed(lines):
        if word.isdigit():
            return int(word)
    return None


def _gnu_time_command(report: Path, command: Sequence[str]) -> list[str]:
    return [str(GNU_TIME), "-f", "%M", "-o", str(report), *command]


def _wrap_command(report: Path, command: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "benchmarks.wrap", str(report), "--", *command]


@cache
def probe() -> str:
    """``"gnu-time"`` when ``/usr/bin/time`` reports peak RSS faithfully, else ``"wrap"``."""
    if not GNU_TIME.exists():
        return "wrap"
    script = (
        "import resource; b = bytearray(64 << 20); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "rss"
        try:
            done = subprocess.run(
                _gnu_time_command(report, [sys.executable, "-c", script]),
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            own = int(done.stdout.split()[-1])
        except (OSError, subprocess.SubprocessError, ValueError, IndexError):
            return "wrap"
        reported = _read_kib(report)
    if done.returncode != 0 or reported is None:
        return "wrap"
    # GNU time 1.7 on some kernels reported four times the true figure; reject any disagreement.
    return "gnu-time" if abs(reported - own) <= max(2048, own // 10) else "wrap"


def run_measured(command: Sequence[str], timeout_s: float) -> Measurement:
    """Run ``command`` from the repository root; kill it (and its children) after ``timeout_s``."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "rss"
        full = (
            _gnu_time_command(report, command)
            if probe() == "gnu-time"
            else _wrap_command(report, command)
        )
        start = time.perf_counter()
        process = subprocess.Popen(
            full,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        timed_out = False
        try:
            _, err = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(process.pid, signal.SIGKILL)
            _, err = process.communicate()
        wall = time.perf_counter() - start
        kib = None if timed_out else _read_kib(report)
    return Measurement(
        wall_s=wall,
        peak_mb=None if kib is None else kib / 1024,
        returncode=None if timed_out else process.returncode,
        timed_out=timed_out,
        stderr_tail=(err or "")[-_STDERR_TAIL:],
    )


def median(values: Sequence[float]) -> float:
    """The median (mean of the middle two for an even count)."""
    return float(statistics.median(values))
