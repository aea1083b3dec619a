"""``matcher solve`` in this process, timed where the time limit's promise splits it.

``python -m benchmarks.timed_solve state.json -o out.json --time-limit 5``

Runs the command line's own ``app`` with the arguments given and prints on stderr,
after the command's own lines, the seconds from this process's first import to the
end of reading (``load`` returned: imports and validation) and to the command's
return (the answer written), and the CPU seconds at both. ``--time-limit T``
promises that the part after reading ends within ``T``; the process's exit, which
``/usr/bin/time`` around this command adds, is the difference to the whole wall time.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matcher.scenario import Scenario

STARTED = time.monotonic()  # before any of the project's imports: they count as reading


def _timed_load(
    load: Callable[[str], Scenario], marks: dict[str, float]
) -> Callable[[str], Scenario]:
    def timed(source: str) -> Scenario:
        scenario = load(source)
        marks["read"] = time.monotonic() - STARTED
        marks["read_cpu"] = time.process_time()
        return scenario

    return timed


def main(argv: list[str]) -> None:
    """Run ``matcher solve`` with ``argv`` and print where its time went."""
    import matcher.cli.core as core
    from matcher.cli import app
    from matcher.cli.common import load

    marks: dict[str, float] = {}
    core.load = _timed_load(load, marks)  # type: ignore[attr-defined,assignment]
    try:
        app(["solve", *argv], standalone_mode=False)
    finally:
        end = time.monotonic() - STARTED
        read = marks.get("read", 0.0)
        cpu = time.process_time() - marks.get("read_cpu", 0.0)
        print(
            f"timed: read {read:.2f} s, end {end:.2f} s, after reading {end - read:.2f} s "
            f"({cpu:.2f} CPU s)",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
