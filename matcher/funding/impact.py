"""What a rule change would do: re-solve with one program changed and compare.

Funders negotiate with providers: "if you dropped your sobriety rule (or your ID
requirement, or opened N more places), this many more needs would be met, of these
kinds, in these neighbourhoods". The answer comes from solving the scenario as it
is and as it would be, with the same exact solver; a funder sees suppressed counts
(``impact_table``), a case manager the participants of their own who would gain.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from matcher.assignment import Assignment, build_assignment
from matcher.funding.neighborhoods import participant_neighborhoods
from matcher.funding.suppression import SuppressedTable, suppress
from matcher.scenario import Barriers, Scenario
from matcher.solver.solve import SolverOptions, solve

BARRIERS = tuple(Barriers.model_fields)


class ChangeInvalid(ValueError):
    """A change that names no program or no rule; ``field`` says which part."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Change:
    """One program's rule or capacity, changed."""

    program_id: str
    drop_barrier: str | None = None
    drop_id_requirement: bool = False
    allow_pets: bool = False
    add_places: int = 0

    def describe(self) -> str:
        parts = []
        if self.drop_barrier:
            parts.append(f"drops {self.drop_barrier}")
        if self.drop_id_requirement:
            parts.append("stops requiring ID")
        if self.allow_pets:
            parts.append("accepts pets")
        if self.add_places:
            parts.append(f"opens {self.add_places} more place(s)")
        return f"{self.program_id} " + (", ".join(parts) or "changes nothing")


def apply_change(scenario: Scenario, change: Change) -> Scenario:
    """The scenario with ``change`` made (raises ``ChangeInvalid``)."""
    index = {p.id: i for i, p in enumerate(scenario.programs)}
    if change.program_id not in index:
        raise ChangeInvalid("program_id", f"no program {change.program_id}")
    if change.drop_barrier is not None and change.drop_barrier not in BARRIERS:
        raise ChangeInvalid("drop_barrier", f"must be one of {', '.join(BARRIERS)}")
    if change.add_places < 0:
        raise ChangeInvalid("add_places", "must be >= 0")
    program = scenario.programs[index[change.program_id]]
    barriers = program.barriers
    if change.drop_barrier:
        barriers = barriers.model_copy(update={change.drop_barrier: False})
    eligibility = program.eligibility
    if change.drop_id_requirement:
        eligibility = eligibility.model_copy(update={"requires_id": False})
    if change.allow_pets:
        eligibility = eligibility.model_copy(update={"pets_allowed": True})
    capacity = program.capacity
    if change.add_places:
        # New free places; people already waiting have the first claim on them.
        capacity = capacity.model_copy(
            update={"open_slots": (capacity.open_slots or 0) + change.add_places}
        )
    changed = program.model_copy(
        update={"barriers": barriers, "eligibility": eligibility, "capacity": capacity}
    )
    programs = list(scenario.programs)
    programs[index[change.program_id]] = changed
    return scenario.model_copy(update={"programs": programs})


@dataclass(frozen=True, slots=True)
class Impact:
    """Needs met before and after a change, and which needs gained or lost a place."""

    change: Change
    before: Assignment
    after: Assignment
    gained: pd.DataFrame  # need_id, participant_id, category, neighborhood
    lost: pd.DataFrame

    @property
    def net(self) -> int:
        return self.after.objective.matched - self.before.objective.matched

    @property
    def net_acute(self) -> int:
        return self.after.objective.acute_matched - self.before.objective.acute_matched


def _frame(scenario: Scenario, need_ids: set[str], hoods: dict[str, str]) -> pd.DataFrame:
    rows = [
        {
            "need_id": n.id,
            "participant_id": p.id,
            "category": n.category,
            "neighborhood": hoods[p.id],
        }
        for p in scenario.participants
        for n in p.needs
        if n.id in need_ids
    ]
    return pd.DataFrame(rows, columns=["need_id", "participant_id", "category", "neighborhood"])


def impact(
    scenario: Scenario,
    change: Change,
    time_limit: float = 60.0,
    centroids: pd.DataFrame | None = None,
) -> Impact:
    """Solve before and after ``change``; the needs met only after, and only before."""
    changed = apply_change(scenario, change)
    options = SolverOptions(time_limit=time_limit)
    before = build_assignment(solve(scenario, options))
    after = build_assignment(solve(changed, options))
    met_before = {a.need_id for a in before.assignments}
    met_after = {a.need_id for a in after.assignments}
    hoods = participant_neighborhoods(scenario, centroids)
    return Impact(
        change,
        before,
        after,
        _frame(scenario, met_after - met_before, hoods),
        _frame(scenario, met_before - met_after, hoods),
    )


def impact_table(result: Impact, columns: str = "neighborhood") -> SuppressedTable | None:
    """Needs that would gain a place, category x ``columns``, suppressed (None if none)."""
    if result.gained.empty:
        return None
    counts = result.gained.groupby(["category", columns]).size().unstack(fill_value=0)
    counts = counts.astype("int64")
    counts.index.name = None
    counts.columns.name = None
    return suppress(counts)


def gains_for(result: Impact, participant_ids: set[str]) -> dict[str, list[str]]:
    """A case manager's own participants who would gain, with the needs met."""
    out: dict[str, list[str]] = {}
    for row in result.gained.itertuples(index=False):
        if row.participant_id in participant_ids:
            out.setdefault(str(row.participant_id), []).append(str(row.need_id))
    return out
