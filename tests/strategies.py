"""Hypothesis strategies: small random valid scenarios around ``HOME``.

Sizes are kept small (2-6 programs, 1-6 participants, 1-3 needs each) so that
scarcity, waitlists, barriers and a binding budget all interact. Prices and the
budget are whole currency units (sub-cent money has its own tests in
``test_properties``). Every strategy is built once, at import: building
strategies inside a draw is what makes Hypothesis slow.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from matcher.scenario import Scenario, parse_scenario
from tests.builders import Json, make_scenario_json, offset

TYPES = ("housing.shelter", "treatment.mat", "food.meals", "legal.civil")
BARRIERS = (
    "excludes_active_use",
    "excludes_sex_work",
    "excludes_criminal_history",
    "requires_religious_participation",
    "conversion_therapy",
)
GENDERS = ("woman", "man", "trans woman", "nonbinary")
HOUSEHOLDS = ("single", "couple", "family")
POPULATIONS = ("veteran", "youth", "dv_survivor")
MAX_PROGRAMS = 6
PROGRAM_IDS = tuple(f"g-{i}" for i in range(MAX_PROGRAMS))
"""Ids a participant may name; those beyond the scenario's programs are unknown (warnings)."""

km = st.floats(-4.0, 4.0, allow_nan=False)
rarely = st.sampled_from([False, False, False, True])
"""A quarter of the time: barriers and unmet criteria are common but not universal."""
mostly = rarely.map(lambda b: not b)
locations = st.builds(offset, km, km)
type_lists = st.lists(st.sampled_from(TYPES), min_size=1, max_size=2, unique=True)
program_id_lists = st.lists(st.sampled_from(PROGRAM_IDS), max_size=2, unique=True)
barrier_sets: st.SearchStrategy[Json] = st.one_of(
    st.just({}), st.just({}), st.sampled_from(BARRIERS).map(lambda name: {name: True})
)


def _capacity(
    open_slots: int | None, held: int, waitlist: int, reserved: int, buy: int, price: int
) -> Json:
    return {
        "open_slots": open_slots,
        "held": min(held, open_slots or 0),
        "waitlist": waitlist,
        "lead_reserved_open": reserved,
        "purchasable": buy,
        "price": float(price),
    }


def _ages(low: int | None, high: int | None) -> Json:
    if low is not None and high is not None and high < low:
        low, high = high, low
    return {"min_age": low, "max_age": high}


capacities = st.builds(
    _capacity,
    st.none() | st.integers(0, 4),
    st.integers(0, 2),
    st.integers(0, 2),
    st.integers(0, 1),
    st.integers(0, 2),
    st.sampled_from([0, 100, 250, 400]),
)
criteria: st.SearchStrategy[Json] = st.one_of(
    st.just({}),
    st.just({}),
    st.lists(st.sampled_from(GENDERS), min_size=1, max_size=3, unique=True).map(
        lambda genders: {"genders": genders}
    ),
    st.lists(st.sampled_from(HOUSEHOLDS), min_size=1, max_size=2, unique=True).map(
        lambda households: {"households": households}
    ),
    st.builds(_ages, st.none() | st.integers(16, 30), st.none() | st.integers(16, 70)),
    st.lists(st.sampled_from(POPULATIONS), min_size=1, max_size=2, unique=True).map(
        lambda populations: {"reserved_for": populations}
    ),
)
eligibilities = st.builds(
    lambda flags, criterion: {**flags, **criterion},
    st.fixed_dictionaries({"pets_allowed": mostly, "requires_id": rarely}),
    criteria,
)
program_bodies = st.fixed_dictionaries(
    {
        "service_types": type_lists,
        "location": locations,
        "capacity": capacities,
        "barriers": barrier_sets,
        "eligibility": eligibilities,
    }
)
attributes = st.fixed_dictionaries(
    {
        "active_use": st.booleans(),
        "sex_work": rarely,
        "criminal_history": st.booleans(),
        "has_pet": rarely,
        "has_id": mostly,
        "accepts_faith_based": rarely,
    },
    optional={
        "age": st.integers(16, 70),
        "gender": st.sampled_from(GENDERS),
        "household": st.sampled_from(HOUSEHOLDS),
        "populations": st.lists(st.sampled_from(POPULATIONS), max_size=2, unique=True),
    },
)
need_bodies = st.fixed_dictionaries(
    {"service_types": type_lists, "acute": rarely, "preferred_programs": program_id_lists},
    optional={"rank": st.integers(1, 3)},
)
waitlist_entries = st.lists(
    st.tuples(st.sampled_from(PROGRAM_IDS), st.integers(1, 3)),
    max_size=2,
    unique_by=lambda entry: entry[0],
)
"""(program id, position) pairs; ``_scenario`` keeps positions within each waitlist."""
circles = st.builds(lambda at, r: {**at, "radius_m": r}, locations, st.floats(0.0, 3000.0))
participant_bodies = st.fixed_dictionaries(
    {
        "location": locations,
        "attributes": attributes,
        "stay_away": st.lists(circles, max_size=2),
        "avoid_programs": program_id_lists,
        "needs": st.lists(need_bodies, min_size=1, max_size=3),
    },
    optional={"max_distance_km": st.floats(1.0, 12.0), "waitlist_positions": waitlist_entries},
)


def _positions(entries: list[tuple[str, int]], programs: list[Json]) -> list[Json]:
    """Waitlist positions within each program's waitlist; unknown programs kept (warnings)."""
    waitlist = {g["id"]: g["capacity"]["waitlist"] for g in programs}
    out = []
    for program_id, position in entries:
        length = waitlist.get(program_id)
        if length == 0:
            continue
        out.append({"program_id": program_id, "position": min(position, length or position)})
    return out


def _scenario(progs: list[Json], people: list[Json], budget: int) -> Scenario:
    programs = [{"id": f"g-{i}", "provider_id": f"org-{i}", **g} for i, g in enumerate(progs)]
    participants: list[dict[str, Any]] = []
    for i, person in enumerate(people):
        needs = [{"id": f"x-{i}-{k}", **n} for k, n in enumerate(person["needs"])]
        positions = _positions(person.get("waitlist_positions", []), programs)
        participants.append(
            {**person, "id": f"x-{i}", "needs": needs, "waitlist_positions": positions}
        )
    return parse_scenario(make_scenario_json(programs, participants, float(budget)))


scenarios = st.builds(
    _scenario,
    st.lists(program_bodies, min_size=2, max_size=MAX_PROGRAMS),
    st.lists(participant_bodies, min_size=1, max_size=6),
    st.sampled_from([0, 100, 300, 1000]),
)
"""A small valid scenario: 2-6 programs, 1-6 participants, 1-3 needs each."""
