"""The one way programs and their capacity get into the store."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import select

from matcher.capacity.ledger import Event, EventKind, ProgramLedger
from matcher.store import tables as t
from matcher.store.engine import session_scope
from matcher.store.ledger import load
from matcher.store.programs import ensure_organization, record_capacity, upsert_program

AT = datetime(2026, 11, 1, tzinfo=UTC)
COLUMNS = {
    "organization_id": "org-a",
    "name": "Harbor",
    "service_types": ["housing.shelter", "food.meals", "housing.shelter"],
    "lat": 47.6,
    "lon": -122.3,
    "eligibility": {},
    "serves": [],
    "languages": ["es"],
}


def _kinds(engine: Engine) -> list[str]:
    with session_scope(engine) as s:
        rows = s.exec(select(t.ProgramService.service_type).order_by(t.ProgramService.service_type))
        return list(rows)


def test_a_program_is_created_then_unchanged_then_updated_with_its_service_rows(
    engine: Engine,
) -> None:
    with session_scope(engine) as s:
        ensure_organization(s, "org-a", "Org A")
        row, outcome = upsert_program(s, "g-1", COLUMNS)
        assert (outcome, row.service_types) == ("created", ["housing.shelter", "food.meals"])
    assert _kinds(engine) == ["food.meals", "housing.shelter"]
    with session_scope(engine) as s:
        assert upsert_program(s, "g-1", COLUMNS)[1] == "unchanged"
    with session_scope(engine) as s:
        changed = {**COLUMNS, "name": "Harbor House", "service_types": ["housing.shelter"]}
        row, outcome = upsert_program(s, "g-1", changed)
        assert (outcome, row.name) == ("updated", "Harbor House")
    assert _kinds(engine) == ["housing.shelter"]


def test_capacity_is_recorded_from_the_ledger_state_under_the_lock(engine: Engine) -> None:
    def report(state: ProgramLedger) -> list[Event]:
        if state.open_slots == 4:
            return []
        return [Event(EventKind.REPORTED, AT, "test", open_slots=4, waitlist=1)]

    with session_scope(engine) as s:
        ensure_organization(s, "org-a", "Org A")
        upsert_program(s, "g-1", COLUMNS)
        assert record_capacity(s, "g-1", report) == 1  # the capacity row is made first
    with session_scope(engine) as s:
        assert record_capacity(s, "g-1", report) == 0  # the state already says so
        loaded = load(s, "g-1")
        assert loaded is not None
        assert (loaded.state.open_slots, loaded.state.waitlist) == (4, 1)
