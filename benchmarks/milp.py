"""The exact baseline: ``scipy.optimize.milp`` (HiGHS) on the project's candidate arcs.

One binary per arc of ``candidate_arcs`` (so the model is the solver's own).
Rows: each need at most once; each (program, pool) within its size; spend in
cents within the budget; plus two rows that fix the levels already solved.
Levels are solved lexicographically, each with the time left: maximise acute
needs met; fix it and maximise needs met; fix that and minimise spend. A level
counts as proven when HiGHS says optimal or when its dual bound, rounded to the
integral objective, meets the incumbent. A level stopped unproven by the time
limit keeps its best answer and ends the run. Settings: ``mip_rel_gap = 0``;
presolve for level 1 only, because after a dense fixing row is added HiGHS's
presolve can run for minutes past the time limit (seen at county size) without
reducing the model.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix, vstack

from benchmarks.problem import Problem, displacement, to_cents
from matcher.capacity.pools import Pool
from matcher.rules.arcs import candidate_arcs

FloatArray = npt.NDArray[np.float64]
LEVELS = ("acute", "met", "spend")


@dataclass(frozen=True)
class Level:
    """One lexicographic level: its value, whether HiGHS proved it, and its best bound."""

    name: str
    value: float | None
    proven: bool
    bound: float | None
    seconds: float


@dataclass
class MilpResult:
    """The final answer's levels 1-3, its displacement and the per-level record."""

    arcs: int
    solved: bool = False
    """Whether any answer was found (else levels 1-3 below are not an answer)."""
    met: int = 0
    acute_met: int = 0
    spend: float = 0.0
    displacement: int = 0
    levels: list[Level] = field(default_factory=list)

    @property
    def proven(self) -> bool:
        """All three levels proven optimal."""
        return len(self.levels) == len(LEVELS) and all(lv.proven for lv in self.levels)


def _rows(problem: Problem, need: npt.NDArray[np.int64], key: npt.NDArray[np.int64]) -> csr_matrix:
    m = len(need)
    cols = np.arange(m)
    ones = np.ones(m)
    _, row = np.unique(key, return_inverse=True)
    per_need = csr_matrix((ones, (need, cols)), shape=(problem.tables.needs.size, m))
    per_pool = csr_matrix((ones, (row, cols)), shape=(int(row.max(initial=-1)) + 1, m))
    return csr_matrix(vstack([per_need, per_pool]))


def _proven(status: int, value: float | None, bound: float | None) -> bool:
    """Optimal, or stopped with a dual bound that the integral objective cannot beat."""
    if status == 0:
        return True
    if value is None or bound is None or not np.isfinite(bound):
        return False
    # Every objective here has integral coefficients: a bound within 1 - 1e-6 of the
    # incumbent (minimising) proves it, which HiGHS may notice only after its time limit.
    return bool(np.ceil(bound - 1e-6) >= value)


def solve_milp(
    problem: Problem,
    deadline: float,
    on_level: Callable[[MilpResult], None] | None = None,
) -> MilpResult:
    """Levels 1-3 with HiGHS, each within the time left before ``deadline`` (monotonic).

    ``on_level`` is called with the result so far after each level, so that a run
    killed during a later level still leaves the earlier levels behind.
    """
    pools = problem.pools
    arcs = candidate_arcs(problem.tables, pools)
    m = len(arcs)
    out = MilpResult(arcs=m)
    if m == 0:
        out.solved = True
        out.levels = [Level(name, 0.0, True, 0.0, 0.0) for name in LEVELS]
        return out
    acute = problem.acute[arcs.need].astype(np.float64)
    cents = to_cents(arcs.price).astype(np.float64)
    ones = np.ones(m)
    key = arcs.program.astype(np.int64) * len(Pool) + arcs.pool.astype(np.int64)
    uniq = np.unique(key)
    size = np.array([pools.size(Pool(int(k % len(Pool))))[k // len(Pool)] for k in uniq])
    structural = _rows(problem, arcs.need, key)
    a = csr_matrix(vstack([structural, csr_matrix(np.vstack([cents, acute, ones]))]))
    n_struct = structural.shape[0]
    lb = np.concatenate([np.zeros(n_struct), [0.0, 0.0, 0.0]])
    ub = np.concatenate(
        [np.ones(problem.tables.needs.size), size, [problem.budget_cents, np.inf, np.inf]]
    )
    acute_row, met_row = n_struct + 1, n_struct + 2
    # (name, objective to minimise, row that fixes its optimum for the next levels)
    objectives: tuple[tuple[str, FloatArray, int], ...] = (
        ("acute", -acute, acute_row),
        ("met", -ones, met_row),
        ("spend", cents, -1),
    )
    general = arcs.pool == Pool.GENERAL
    for depth, (name, c, fix_row) in enumerate(objectives):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        t0 = time.monotonic()
        res = milp(
            c,
            integrality=np.ones(m),
            bounds=Bounds(0, 1),
            constraints=LinearConstraint(a, lb, ub),
            options={
                "time_limit": remaining,
                "mip_rel_gap": 0.0,
                "disp": False,
                # Once a dense fixing row is in the model, HiGHS's presolve can run for
                # minutes past the time limit without reducing anything (county size).
                "presolve": depth == 0,
            },
        )
        value = float(np.rint(res.fun)) if res.x is not None else None
        raw_bound = getattr(res, "mip_dual_bound", None)
        bound = None if raw_bound is None else float(raw_bound)
        proven = _proven(int(res.status), value, bound)
        sign = 1.0 if name == "spend" else -1.0
        out.levels.append(
            Level(
                name,
                None if value is None else sign * value,
                proven,
                None if bound is None else sign * bound,
                time.monotonic() - t0,
            )
        )
        if res.x is None or value is None:
            break
        chosen = np.asarray(res.x) > 0.5
        out.solved = True
        out.met = int(chosen.sum())
        out.acute_met = int(acute[chosen].sum())
        out.spend = float(cents[chosen].sum()) / 100
        taken = np.bincount(arcs.program[chosen & general], minlength=len(pools.general))
        out.displacement = displacement(taken, pools.general)
        if on_level is not None:
            on_level(out)
        if not proven:
            break
        if fix_row >= 0:
            lb[fix_row] = -value
    return out
