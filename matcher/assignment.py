"""The assignment contract (``lead-matcher/assignment@1``): the matcher's answer as JSON."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from matcher.capacity.pools import Pool, PoolName
from matcher.reasons import unmatched_needs
from matcher.solver.solve import Solution

ASSIGNMENT_FORMAT = "lead-matcher/assignment@1"


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Placement(_Out):
    """One need placed in one pool of one program."""

    need_id: str
    participant_id: str
    program_id: str
    pool: PoolName
    cost: float
    distance_km: float


class UnmatchedNeed(_Out):
    """One unmet need, the reason the contract fixes, and the counts behind it."""

    need_id: str
    participant_id: str
    reason: str
    blocked_by: dict[str, int] | None = None
    detail: str


class Levels(_Out):
    """Levels 1-3 of the objective."""

    acute_matched: int
    matched: int
    spend: float


class SolverInfo(_Out):
    """Whether levels 1-3 were proven, and how long it took."""

    status: Literal["OPTIMAL", "FEASIBLE"]
    seconds: float
    method: str | None = None


class Assignment(_Out):
    """The matcher's whole answer: every need once, placed or with a reason."""

    format: str = ASSIGNMENT_FORMAT
    assignments: list[Placement]
    unmatched: list[UnmatchedNeed]
    warnings: list[str]
    objective: Levels
    bounds: Levels
    solver: SolverInfo

    def to_json(self) -> dict[str, object]:
        """Contract JSON; ``blocked_by`` present only when some program blocked the need."""
        return self.model_dump(mode="json", exclude_none=True)


def build_assignment(solution: Solution) -> Assignment:
    """The contract answer of a solution: placements in need order, then unmet needs."""
    tables = solution.tables
    arcs = solution.assigned
    placements = [
        Placement.model_construct(
            need_id=tables.needs.ids[n],
            participant_id=tables.participants.ids[tables.needs.participant[n]],
            program_id=tables.programs.ids[g],
            pool=Pool(int(pool)).label,
            cost=float(price),
            distance_km=round(float(d), 3),
        )
        for n, g, pool, price, d in zip(
            arcs.need, arcs.program, arcs.pool, arcs.price, arcs.distance_km, strict=True
        )
    ]
    unmatched = [
        UnmatchedNeed.model_construct(
            need_id=u.need_id,
            participant_id=u.participant_id,
            reason=u.reason,
            blocked_by=u.blocked_by or None,
            detail=u.detail,
        )
        for u in unmatched_needs(solution)
    ]
    o, b = solution.objective, solution.bounds
    return Assignment(
        assignments=placements,
        unmatched=unmatched,
        warnings=solution.scenario.warnings(),
        objective=Levels(acute_matched=o.acute_matched, matched=o.matched, spend=o.spend),
        bounds=Levels(acute_matched=b.acute_matched, matched=b.matched, spend=b.spend),
        solver=SolverInfo(
            status=solution.status,
            seconds=round(solution.seconds, 4),
            method=solution.method,
        ),
    )
