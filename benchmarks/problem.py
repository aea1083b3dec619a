"""What every baseline reads: the scenario, its tables and pools, and its eligible pairs.

The baselines reuse the project's own rules (``build_tables``, ``pools_of``,
``evaluate_pairs``) so that every method sees exactly the same eligibility; only
the decision differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from matcher.capacity.pools import Pools, pools_of
from matcher.rules.arcs import evaluate_pairs
from matcher.rules.tables import BoolArray, FloatArray, IntArray, Tables, build_tables
from matcher.scenario import Scenario, load_scenario


def to_cents(amount: float | FloatArray) -> npt.NDArray[np.int64]:
    """Money as whole cents (the unit the budget row and the spend level use)."""
    return np.asarray(np.floor(np.asarray(amount, dtype=np.float64) * 100 + 0.5), dtype=np.int64)


@dataclass(frozen=True)
class Problem:
    """One scenario, ready for a baseline."""

    tables: Tables
    pools: Pools
    budget_cents: int

    @property
    def acute(self) -> BoolArray:
        """Per need: is it acute?"""
        return self.tables.needs.acute


def load(path: Path) -> Scenario:
    """Read and validate a scenario file (the same reader ``matcher solve`` uses)."""
    return load_scenario(path)


def problem_of(scenario: Scenario) -> Problem:
    """The tables and pools of a validated scenario."""
    return Problem(
        tables=build_tables(scenario),
        pools=pools_of(scenario.programs, scenario.participants),
        budget_cents=int(to_cents(scenario.fund.budget)),
    )


@dataclass(frozen=True)
class Candidates:
    """Eligible programs per need, nearest first (ties by program position), as CSR slices."""

    start: IntArray
    """Need ``n``'s candidates are ``program[start[n]:start[n + 1]]``."""
    program: IntArray
    distance_km: FloatArray

    def of(self, need: int) -> slice:
        """The slice of need ``need``'s candidates."""
        return slice(int(self.start[need]), int(self.start[need + 1]))


def eligible_candidates(problem: Problem, keep: BoolArray) -> Candidates:
    """Pairs that break no rule (``broken == 0``) at programs where ``keep`` holds."""
    pairs = evaluate_pairs(problem.tables)
    ok = (pairs.broken == 0) & keep[pairs.program]
    need, program, distance = pairs.need[ok], pairs.program[ok], pairs.distance_km[ok]
    order = np.lexsort((program, distance, need))
    need, program, distance = need[order], program[order], distance[order]
    counts = np.bincount(need, minlength=problem.tables.needs.size)
    start = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    return Candidates(start, program, distance)


def displacement(general_taken: IntArray, unused: IntArray) -> int:
    """Places taken beyond a program's unused capacity: owed to people already waiting."""
    return int(np.maximum(general_taken - unused, 0).sum())
