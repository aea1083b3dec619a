"""An independent check of an answer against its scenario.

Recomputes, one assignment at a time and without the vectorised rule code or the
solver, every hard rule, each pool's use against its size, the spend against the
budget, the objective's numbers and that every need is answered exactly once.
Distances come from ``geopy.distance.great_circle`` (same sphere as the
contract). Used after every solve in the tests; cheap enough to run in production.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from geopy.distance import great_circle

from matcher.capacity.pools import free_places, unused_places
from matcher.scenario import Need, Participant, Program, Scenario

TOLERANCE_KM = 1e-6


@dataclass(frozen=True)
class Violation:
    """One broken promise: which need (or ``*``), which check, and what was found."""

    need_id: str
    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.need_id}: {self.check}: {self.message}"


def _broken_rules(person: Participant, program: Program, need: Need) -> list[str]:
    types = list(need.service_types)
    a = person.attributes
    b = program.barriers
    e = program.eligibility
    here = (person.location.lat, person.location.lon)
    there = (program.location.lat, program.location.lon)
    km = great_circle(here, there).km
    checks = {
        "service": not set(types) & set(program.service_types),
        "excludes_active_use": a.active_use and b.excludes_active_use,
        "excludes_sex_work": a.sex_work and b.excludes_sex_work,
        "excludes_criminal_history": a.criminal_history and b.excludes_criminal_history,
        "requires_religious_participation": b.requires_religious_participation
        and not a.accepts_faith_based,
        "conversion_therapy": b.conversion_therapy,
        "gender": e.genders is not None and a.gender not in e.genders,
        "age": (e.min_age is not None or e.max_age is not None)
        and (
            a.age is None
            or (e.min_age is not None and a.age < e.min_age)
            or (e.max_age is not None and a.age > e.max_age)
        ),
        "household": e.households is not None and a.household not in e.households,
        "pets": a.has_pet and not e.pets_allowed,
        "requires_id": e.requires_id and not a.has_id,
        "reserved_for": e.reserved_for is not None and not set(e.reserved_for) & set(a.populations),
        "max_distance": person.max_distance_km is not None
        and km > person.max_distance_km + TOLERANCE_KM,
        "stay_away": any(
            great_circle((c.lat, c.lon), there).km < c.radius_m / 1000 - TOLERANCE_KM
            for c in person.stay_away
        ),
        "avoid": program.id in person.avoid_programs,
        "declined": program.id in need.declined_programs,
    }
    return [name for name, broken in checks.items() if broken]


def _turn_violations(nid: str, person: Participant, program: Program) -> list[Violation]:
    """A ``waitlist_turn`` place is the participant's own, and only once it has come."""
    positions = [w.position for w in person.waitlist_positions if w.program_id == program.id]
    if not positions:
        return [Violation(nid, "waitlist_turn", f"{person.id} does not wait at {program.id}")]
    free = free_places(program.capacity)
    if positions[0] > free:
        return [
            Violation(
                nid,
                "waitlist_turn",
                f"position {positions[0]} at {program.id}, only {free} free places",
            )
        ]
    return []


def check_assignment(scenario: Scenario, answer: dict[str, Any]) -> list[Violation]:
    """Every way ``answer`` (assignment JSON) breaks the contract for ``scenario``; [] if none."""
    out: list[Violation] = []
    programs = {g.id: g for g in scenario.programs}
    need_owner: dict[str, tuple[Participant, Need]] = {}
    for person in scenario.participants:
        for need in person.needs:
            need_owner[need.id] = (person, need)
    seen: Counter[str] = Counter()
    use: Counter[tuple[str, str]] = Counter()
    turns: Counter[tuple[str, str]] = Counter()
    spend = 0.0
    acute = 0
    for row in answer.get("assignments", []):
        nid, gid, pool = row["need_id"], row["program_id"], row["pool"]
        seen[nid] += 1
        if nid not in need_owner:
            out.append(Violation(nid, "need", "no such need"))
            continue
        if gid not in programs:
            out.append(Violation(nid, "program", f"no program {gid}"))
            continue
        person, need = need_owner[nid]
        is_acute = need.acute
        program = programs[gid]
        if row["participant_id"] != person.id:
            out.append(Violation(nid, "participant", f"need belongs to {person.id}"))
        out.extend(
            Violation(nid, r, f"broken at {gid}") for r in _broken_rules(person, program, need)
        )
        if pool == "purchase":
            if not program.fundable:
                out.append(Violation(nid, "purchase", f"{gid} sets a barrier: not fundable"))
            price = program.capacity.price
            if abs(row["cost"] - price) > 1e-6 * max(1.0, price):
                out.append(Violation(nid, "cost", f"cost {row['cost']} != price {price}"))
            spend += price
        elif row["cost"] != 0:
            out.append(Violation(nid, "cost", f"a {pool} place costs nothing, not {row['cost']}"))
        if pool == "waitlist_turn":
            out.extend(_turn_violations(nid, person, program))
            turns[(person.id, gid)] += 1
        else:
            use[(gid, pool)] += 1
        acute += is_acute
    for (gid, pool), count in use.items():
        cap = programs[gid].capacity
        size = {
            "general": unused_places(cap),
            "lead_reserved": cap.lead_reserved_open,
            "purchase": cap.purchasable if programs[gid].fundable else 0,
        }.get(pool)
        if size is None:
            out.append(Violation("*", "pool", f"unknown pool {pool} at {gid}"))
        elif count > size:
            out.append(Violation("*", "pool", f"{gid} {pool}: {count} used, {size} available"))
    for (pid, gid), count in turns.items():
        if count > 1:
            out.append(Violation("*", "pool", f"{pid} used one turn at {gid} {count} times"))
    budget = scenario.fund.budget
    if spend > budget + 1e-6 * max(1.0, budget):
        out.append(Violation("*", "budget", f"spend {spend} above budget {budget}"))
    for row in answer.get("unmatched", []):
        seen[row["need_id"]] += 1
    for nid in need_owner:
        if seen[nid] != 1:
            out.append(Violation(nid, "answered_once", f"appears {seen[nid]} times"))
    objective = answer.get("objective", {})
    matched = len(answer.get("assignments", []))
    if objective.get("matched") != matched or objective.get("acute_matched") != acute:
        out.append(Violation("*", "objective", f"says {objective}, counts {acute}/{matched}"))
    if abs(objective.get("spend", 0.0) - spend) > 1e-6 * max(1.0, spend):
        out.append(Violation("*", "objective", f"spend says {objective.get('spend')}, is {spend}"))
    return out
