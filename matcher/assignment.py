"""The assignment contract (``lead-matcher/assignment@1``): the matcher's answer as JSON.

Plain slotted dataclasses: an answer can hold tens of thousands of rows, and
building them must cost next to nothing. Validation belongs to what comes *in*
(the scenario); the API declares its own response models.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from matcher.capacity.pools import Pool, PoolName
from matcher.reasons import Unmatched, explain_unmet, unmatched_needs
from matcher.solver.solve import Objective, Solution, Status

ASSIGNMENT_FORMAT = "lead-matcher/assignment@1"

UnmatchedNeed = Unmatched


@dataclass(frozen=True, slots=True)
class Placement:
    """One need placed in one pool of one program."""

    need_id: str
    participant_id: str
    program_id: str
    pool: PoolName
    cost: float
    distance_km: float

    def to_json(self) -> dict[str, object]:
        """Contract JSON."""
        return {
            "need_id": self.need_id,
            "participant_id": self.participant_id,
            "program_id": self.program_id,
            "pool": self.pool,
            "cost": self.cost,
            "distance_km": self.distance_km,
        }


@dataclass(frozen=True, slots=True)
class SolverInfo:
    """Whether levels 1-3 were proven, and how long it took."""

    status: Status
    seconds: float
    method: str | None = None

    def to_json(self) -> dict[str, object]:
        """Contract JSON (``method`` is an addition the contract allows)."""
        out: dict[str, object] = {"status": self.status, "seconds": self.seconds}
        if self.method is not None:
            out["method"] = self.method
        return out


def _levels_json(levels: Objective) -> dict[str, object]:
    return {
        "acute_matched": levels.acute_matched,
        "matched": levels.matched,
        "spend": levels.spend,
    }


@dataclass(frozen=True, slots=True)
class Assignment:
    """The matcher's whole answer: every need once, placed or with a reason."""

    assignments: list[Placement]
    unmatched: list[Unmatched]
    warnings: list[str]
    objective: Objective
    bounds: Objective
    solver: SolverInfo
    format: str = ASSIGNMENT_FORMAT

    def to_json(self) -> dict[str, object]:
        """Contract JSON."""
        return {
            "format": self.format,
            "assignments": [a.to_json() for a in self.assignments],
            "unmatched": [u.to_json() for u in self.unmatched],
            "warnings": list(self.warnings),
            "objective": _levels_json(self.objective),
            "bounds": _levels_json(self.bounds),
            "solver": self.solver.to_json(),
        }


def build_assignment(solution: Solution, *, explain: bool = True) -> Assignment:
    """The contract answer of a solution: placements in need order, then unmet needs
    with their reasons (left out, ``unmatched`` empty, without ``explain``: the
    queue's re-solve and a hold's check use only the placements and the levels)."""
    tables = solution.tables
    arcs = solution.assigned
    labels = [pool.label for pool in Pool]
    placements = [
        Placement(
            tables.needs.ids[n],
            tables.participants.ids[tables.needs.participant[n]],
            tables.programs.ids[g],
            labels[pool],
            price,
            round(d, 3),
        )
        for n, g, pool, price, d in zip(
            arcs.need.tolist(),
            arcs.program.tolist(),
            arcs.pool.tolist(),
            arcs.price.tolist(),
            arcs.distance_km.tolist(),
            strict=True,
        )
    ]
    return Assignment(
        assignments=placements,
        unmatched=unmatched_needs(solution) if explain else [],
        warnings=solution.scenario.warnings(),
        objective=solution.objective,
        bounds=solution.bounds,
        solver=SolverInfo(solution.status, round(solution.seconds, 4), solution.method),
    )


def answer_text(solution: Solution) -> tuple[Assignment, str]:
    """The answer as compact JSON text, and the answer without its unmet needs.

    The text is byte for byte ``json.dumps(build_assignment(solution).to_json(),
    ensure_ascii=False)``, but the unmet needs go from their reason columns straight to
    text (``UnmetReasons.json_array``): at state scale that spares making, converting and
    encoding over a hundred thousand rows, most of the time an answer took to write.
    The ``Assignment`` returned is built with ``explain=False`` (``unmatched`` empty):
    its levels, status and warnings are the whole answer's.
    """
    answer = build_assignment(solution, explain=False)
    encode = json.JSONEncoder(ensure_ascii=False).encode
    pieces = []
    for i, (key, value) in enumerate(answer.to_json().items()):
        pieces.append(("{" if i == 0 else ", ") + encode(key) + ": ")
        if key == "unmatched":
            pieces.extend(explain_unmet(solution).json_array())
        else:
            pieces.append(encode(value))
    pieces.append("}")
    return answer, "".join(pieces)
