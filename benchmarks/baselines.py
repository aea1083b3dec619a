"""Run one baseline in its own process: ``python -m benchmarks.baselines METHOD SCENARIO OUT``.

Each baseline runs alone in a fresh interpreter, so its wall time includes
imports and reading the JSON (like ``matcher solve``), its peak memory is its
own, and HiGHS (scipy) never shares a process with OR-Tools. ``METHOD`` is one of
``fcfs``, ``greedy`` (see :mod:`benchmarks.greedy`) or ``milp`` (see
:mod:`benchmarks.milp`). The result is a small JSON object written to ``OUT``:

``method``, ``met``, ``acute_met``, ``spend``, ``displacement``, ``status``
(``DONE`` for a greedy; ``OPTIMAL``, ``TIME_LIMIT`` or ``NO_SOLUTION`` for the
MILP, and ``RUNNING`` while later levels are still being solved), ``core_s``
(seconds since the scenario was read) and, for the MILP, ``arcs`` and ``levels``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

METHODS = ("fcfs", "greedy", "milp")


def run(method: str, scenario_path: Path, output: Path, time_limit: float) -> None:
    """Read the scenario, run ``method`` and write its result object to ``output``.

    The MILP writes after every level (status ``RUNNING`` until it ends), so a run
    killed by the harness still reports the levels it finished.
    """
    from benchmarks.greedy import fcfs, respectful
    from benchmarks.milp import MilpResult, solve_milp
    from benchmarks.problem import load, problem_of

    scenario = load(scenario_path)
    start = time.monotonic()
    problem = problem_of(scenario)

    def write(result: dict[str, Any]) -> None:
        result["core_s"] = time.monotonic() - start
        partial = output.with_name(output.name + ".part")
        partial.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        partial.replace(output)

    def milp_result(exact: MilpResult, status: str) -> dict[str, Any]:
        return {
            "method": method,
            "met": exact.met,
            "acute_met": exact.acute_met,
            "spend": exact.spend,
            "displacement": exact.displacement,
            "status": status,
            "arcs": exact.arcs,
            "levels": [asdict(level) for level in exact.levels],
        }

    if method == "milp":
        exact = solve_milp(
            problem,
            deadline=start + time_limit,
            on_level=lambda so_far: write(milp_result(so_far, "RUNNING")),
        )
        status = "OPTIMAL" if exact.proven else "TIME_LIMIT"
        write(milp_result(exact, status if exact.solved else "NO_SOLUTION"))
    else:
        greedy = fcfs(problem) if method == "fcfs" else respectful(problem)
        write({"method": method, **asdict(greedy), "status": "DONE"})


def main(argv: list[str] | None = None) -> int:
    """Command-line entry of one baseline run."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.baselines")
    parser.add_argument("method", choices=METHODS)
    parser.add_argument("scenario", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument(
        "--time-limit", type=float, default=300.0, help="seconds for the MILP's levels"
    )
    args = parser.parse_args(argv)
    run(args.method, args.scenario, args.output, args.time_limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
