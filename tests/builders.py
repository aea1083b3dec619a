"""Small builders of contract JSON: a valid default, overridden per test.

``make_program`` and ``make_participant`` return plain JSON dicts (what a case
manager's tool would send), so a test states only the fields it is about.
Overrides replace whole top-level fields: ``make_program(barriers={...})``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

from matcher.rules.geography import pair_distance_km
from matcher.rules.registry import RULES, PairFrame, first_broken
from matcher.rules.tables import build_tables
from matcher.scenario import SCENARIO_FORMAT, Scenario, parse_scenario
from matcher.service.audit import Entry

Json = dict[str, Any]

CONTRACT_ORDER = (
    "excludes_active_use",
    "excludes_sex_work",
    "excludes_criminal_history",
    "requires_religious_participation",
    "conversion_therapy",
    "gender",
    "age",
    "household",
    "pets",
    "requires_id",
    "reserved_for",
    "max_distance",
    "stay_away",
    "avoid",
    "declined",
)
"""The hard rules of families 2-5 in the contract's order (``spec/SCENARIO.md``)."""

HOME = {"lat": 47.61, "lon": -122.34}
"""Where builders put everyone by default: participants and programs at one spot."""


def make_program(**overrides: Any) -> Json:
    """A shelter at ``HOME`` with one unused place, no barriers, serving anyone."""
    program: Json = {
        "id": "g-1",
        "provider_id": "org-1",
        "service_types": ["housing.shelter"],
        "location": dict(HOME),
        "capacity": {"open_slots": 1, "waitlist": 0},
    }
    program.update(overrides)
    return program


def make_need(**overrides: Any) -> Json:
    """A need for a shelter place."""
    need: Json = {"id": "n-1", "service_types": ["housing.shelter"]}
    need.update(overrides)
    return need


def make_participant(**overrides: Any) -> Json:
    """A participant at ``HOME`` with one shelter need (``<id>-1``) and nothing disclosed."""
    person: Json = {"id": "x-1", "location": dict(HOME)}
    person.update(overrides)
    person.setdefault("needs", [make_need(id=f"{person['id']}-1")])
    return person


def make_scenario_json(
    programs: Sequence[Json] = (), participants: Sequence[Json] = (), budget: float = 0.0
) -> Json:
    """A whole scenario as contract JSON."""
    return {
        "format": SCENARIO_FORMAT,
        "fund": {"budget": budget},
        "programs": list(programs),
        "participants": list(participants),
    }


def make_scenario(
    programs: Sequence[Json] = (), participants: Sequence[Json] = (), budget: float = 0.0
) -> Scenario:
    """A validated scenario (raises ``ScenarioInvalid`` if a builder call was wrong)."""
    return parse_scenario(make_scenario_json(programs, participants, budget))


def offset(km_north: float = 0.0, km_east: float = 0.0) -> Json:
    """A location roughly ``km_north`` / ``km_east`` of ``HOME`` (flat-earth step)."""
    lat = HOME["lat"] + km_north / 111.2
    lon = HOME["lon"] + km_east / (111.2 * float(np.cos(np.radians(HOME["lat"]))))
    return {"lat": lat, "lon": lon}


def broken_matrix(scenario: Scenario) -> list[list[str | None]]:
    """``[participant][program]``: the name of the first rule the pair breaks, or None."""
    tables = build_tables(scenario)
    n_people, n_progs = tables.participants.size, tables.programs.size
    p = np.repeat(np.arange(n_people, dtype=np.int64), n_progs)
    g = np.tile(np.arange(n_progs, dtype=np.int64), n_people)
    distance = pair_distance_km(tables.participants, tables.programs, p, g)
    codes = first_broken(PairFrame(tables.participants, tables.programs, p, g, distance))
    names = [None if c == 0 else RULES[int(c) - 1].name for c in codes]
    return [names[i * n_progs : (i + 1) * n_progs] for i in range(n_people)]


def first_broken_rule(program: Json, participant: Json) -> str | None:
    """The first rule ``participant`` breaks at ``program`` (None: every rule holds)."""
    return broken_matrix(make_scenario([program], [participant]))[0][0]


def make_audit_entry(
    at: datetime,
    *,
    username: str = "ana",
    action: str = "referral.confirm",
    object_id: str | None = "r-1",
    program_id: str | None = None,
    role: str = "case_manager",
) -> Entry:
    """One allowed audit record by ``username``'s account."""
    return Entry(
        at=at,
        actor=f"acct-{username}",
        role=role,
        action=action,
        object_type="referral",
        object_id=object_id,
        outcome="allowed",
        status=200,
        username=username,
        program_id=program_id,
    )
