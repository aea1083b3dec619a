"""Fallback peak-memory probe: run one command and report its ``ru_maxrss``.

Used only when GNU ``/usr/bin/time`` is missing or disagrees with the kernel's own
figure. ``python -m benchmarks.wrap REPORT -- CMD ...`` runs ``CMD``, writes the peak
resident set size of its process tree's largest process (KiB) to ``REPORT`` and
exits with ``CMD``'s exit status. The wrapper itself is small, so the figure is the
child's, not the harness's.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path


def peak_children_kib() -> int:
    """Largest ``ru_maxrss`` among waited-for children, in KiB on every platform."""
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def main(argv: list[str]) -> int:
    """Run ``argv[2:]`` (after ``REPORT --``) and write its peak RSS to ``REPORT``."""
    if len(argv) < 3 or argv[1] != "--":
        sys.stderr.write("usage: python -m benchmarks.wrap REPORT -- CMD [ARGS...]\n")
        return 2
    code = subprocess.call(argv[2:])
    Path(argv[0]).write_text(f"{peak_children_kib()}\n", encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
