"""The four measured methods: how each is started and how its answer is read.

``ours`` is the project's own command line, ``matcher solve``, measured whole.
The baselines run through :mod:`benchmarks.baselines`, one process each. Every
answer is re-checked here, outside the timing: for ours the displacement is
recomputed from the assignment JSON (general places used per program against
the program's unused capacity), never taken on trust.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from benchmarks.instances import Instance
from benchmarks.measure import Measurement

OURS = "ours"
FCFS = "fcfs"
GREEDY = "greedy"
MILP = "milp"
METHODS = (OURS, FCFS, GREEDY, MILP)
LABELS = {
    OURS: "ours (matcher solve)",
    FCFS: "fcfs, ignores waitlists",
    GREEDY: "greedy, non-displacing",
    MILP: "milp (scipy/HiGHS)",
}
LIMIT = "> limit"


def matcher_executable() -> str:
    """``matcher`` beside the running interpreter (the project's venv), else on the PATH."""
    beside = Path(sys.executable).parent / "matcher"
    return str(beside) if beside.exists() else "matcher"


def command(method: str, instance: Instance, output: Path, limit: float) -> list[str]:
    """The command that runs ``method`` on ``instance`` and writes its answer to ``output``."""
    if method == OURS:
        return [
            matcher_executable(),
            "solve",
            str(instance.path),
            "-o",
            str(output),
            "--time-limit",
            str(limit),
        ]
    return [
        sys.executable,
        "-m",
        "benchmarks.baselines",
        method,
        str(instance.path),
        str(output),
        "--time-limit",
        str(limit),
    ]


@dataclass(frozen=True)
class Outcome:
    """What one run of one method produced (numbers None when it produced no answer)."""

    met: int | None
    acute_met: int | None
    spend: float | None
    displacement: int | None
    status: str
    hit_limit: bool
    core_s: float | None
    note: str = ""


def _failed(measurement: Measurement) -> Outcome | None:
    if measurement.timed_out:
        return Outcome(None, None, None, None, f"{LIMIT} (killed)", True, None)
    if measurement.returncode != 0:
        lines = [line for line in measurement.stderr_tail.splitlines() if line.strip()]
        last = lines[-1].strip() if lines else ""
        return Outcome(
            None, None, None, None, f"error (exit {measurement.returncode})", False, None, last
        )
    return None


def _ours(instance: Instance, answer: dict[str, Any]) -> Outcome:
    used = Counter(a["program_id"] for a in answer["assignments"] if a["pool"] == "general")
    displaced = sum(max(0, n - instance.unused.get(g, 0)) for g, n in used.items())
    objective = answer["objective"]
    solver = answer["solver"]
    status = str(solver["status"])
    hit = status != "OPTIMAL"
    note = ""
    if hit:
        b = answer.get("bounds", {})
        note = (
            f"bounds: acute <= {b.get('acute_matched')}, met <= {b.get('matched')}, "
            f"spend >= {b.get('spend')}"
        )
    return Outcome(
        met=int(objective["matched"]),
        acute_met=int(objective["acute_matched"]),
        spend=float(objective["spend"]),
        displacement=displaced,
        status=f"{LIMIT} ({status})" if hit else status,
        hit_limit=hit,
        core_s=float(solver["seconds"]),
        note=note,
    )


def _level_value(name: str, value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 100:,.2f}" if name == "spend" else f"{value:,.0f}"


def _levels_note(levels: list[dict[str, Any]]) -> str:
    parts = []
    for level in levels:
        name = str(level["name"])
        value = _level_value(name, level["value"])
        took = f"in {level['seconds']:.2f} s"
        if level["value"] is None:
            parts.append(f"{name}: no answer {took}")
        elif level["proven"]:
            parts.append(f"{name} {value} proven {took}")
        else:
            bound = _level_value(name, level["bound"])
            parts.append(f"{name} {value} not proven (bound {bound}) {took}")
    done = {str(level["name"]) for level in levels}
    missing = [name for name in ("acute", "met", "spend") if name not in done]
    if missing:
        parts.append(f"not reached: {', '.join(missing)}")
    return "; ".join(parts)


def _baseline(method: str, result: dict[str, Any]) -> Outcome:
    status = str(result["status"])
    hit = status in ("TIME_LIMIT", "NO_SOLUTION")
    solved = status != "NO_SOLUTION"
    shown = {"DONE": "done", "TIME_LIMIT": f"{LIMIT} (feasible)", "NO_SOLUTION": f"{LIMIT}"}
    note = _levels_note(result.get("levels", [])) if method == MILP else ""
    if method == MILP:
        note = f"{result.get('arcs')} arcs; {note}"
    return Outcome(
        met=int(result["met"]) if solved else None,
        acute_met=int(result["acute_met"]) if solved else None,
        spend=float(result["spend"]) if solved else None,
        displacement=int(result["displacement"]) if solved else None,
        status=shown.get(status, status),
        hit_limit=hit,
        core_s=float(result["core_s"]),
        note=note,
    )


def read_outcome(
    method: str, instance: Instance, output: Path, measurement: Measurement
) -> Outcome:
    """Read and check the answer of one run (a killed MILP's finished levels included)."""
    failed = _failed(measurement)
    if failed is not None and not (measurement.timed_out and method == MILP and output.exists()):
        return failed
    try:
        data = json.loads(output.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return Outcome(None, None, None, None, "error (no answer)", False, None, str(error))
    if method == OURS:
        return _ours(instance, data)
    outcome = _baseline(method, data)
    if measurement.timed_out:
        return replace(outcome, status=f"{LIMIT} (killed)", hit_limit=True, core_s=None)
    return outcome
