"""Store <-> scenario round trips, migrations, and the ledger's self-check."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from matcher.capacity.pools import pools_of
from matcher.scenario import load_scenario
from matcher.solver.solve import SolverOptions, solve
from matcher.store import tables as t
from matcher.store.engine import make_engine, ours, session_scope, upgrade
from matcher.store.ledger import verify
from matcher.store.snapshot import (
    StoreNotEmpty,
    export_scenario,
    import_scenario,
    programs_offering,
)
from tests.conftest import ROOT

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
SAMPLE = ROOT / "data" / "sample-city.json"


def test_migrations_match_the_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts={"include_name": ours}),
            SQLModel.metadata,
        )
    assert diff == []


def test_sample_city_round_trips_with_identical_pools_and_optimum(engine: Engine) -> None:
    original = load_scenario(SAMPLE)
    with session_scope(engine) as session:
        import_scenario(session, original, NOW)
    with session_scope(engine) as session:
        exported = export_scenario(session, NOW)
        assert verify(session, [p.id for p in original.programs]) == []
    by_id = sorted(original.programs, key=lambda p: p.id)
    for name in ("general", "lead_reserved", "purchase", "free", "waitlist", "price"):
        assert (
            getattr(pools_of(exported.programs), name) == getattr(pools_of(by_id), name)
        ).all(), name
    assert [p.model_dump() for p in exported.participants] == [
        p.model_dump() for p in sorted(original.participants, key=lambda p: p.id)
    ]
    assert exported.fund.budget == original.fund.budget
    options = SolverOptions(time_limit=30)
    assert solve(exported, options).objective == solve(original, options).objective


def test_import_refuses_a_store_with_programs(engine: Engine) -> None:
    scenario = load_scenario(SAMPLE)
    with session_scope(engine) as session:
        import_scenario(session, scenario, NOW)
    with pytest.raises(StoreNotEmpty), session_scope(engine) as session:
        import_scenario(session, scenario, NOW)


def test_check_constraints_refuse_negative_counts(engine: Engine) -> None:
    with session_scope(engine) as session:
        import_scenario(session, load_scenario(SAMPLE), NOW)
    with pytest.raises(IntegrityError), engine.begin() as c:
        c.execute(text("UPDATE program_capacity SET waitlist = -1"))
    with engine.connect() as c:
        assert c.execute(text("SELECT min(waitlist) FROM program_capacity")).scalar_one() >= 0


def old_program(c: Connection, service_types: list[str]) -> None:
    """Program ``g`` of organisation ``o``, written as the first schema had it."""
    c.execute(text("INSERT INTO organization (id, name) VALUES ('o', 'O')"))
    c.execute(
        text(
            "INSERT INTO program (id, organization_id, service_types, lat, lon,"
            " excludes_active_use, excludes_sex_work, requires_religious_participation,"
            " conversion_therapy, excludes_criminal_history, eligibility, serves, languages)"
            " VALUES ('g', 'o', :types, 47.6, -122.3, 0, 0, 0, 0, 0, '{}', '[]', '[]')"
        ),
        {"types": json.dumps(service_types)},
    )


def test_migration_0002_fills_service_types_from_existing_programs(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0001")
    with engine.begin() as c:
        old_program(c, ["food.meals", "food.pantry"])
    upgrade(engine)
    with session_scope(engine) as session:
        assert programs_offering(session, ["food.pantry"]) == ["g"]
        assert programs_offering(session, ["housing.shelter"]) == []
    engine.dispose()


def test_an_unlocated_program_is_kept_but_never_matched(engine: Engine) -> None:
    with session_scope(engine) as session:
        import_scenario(session, load_scenario(SAMPLE), NOW)
    with session_scope(engine) as session:
        before = export_scenario(session, NOW)
        program = before.programs[0]
        row = session.get(t.Program, program.id)
        assert row is not None
        row.lat = row.lon = None
        session.add(row)
    with session_scope(engine) as session:
        after = export_scenario(session, NOW)
        assert session.get(t.Program, program.id) is not None
        assert program.id not in programs_offering(session, program.service_types)
    assert {p.id for p in after.programs} == {p.id for p in before.programs} - {program.id}


def test_migration_0008_keeps_programs_and_their_references(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0007")
    with engine.begin() as c:
        old_program(c, ["food.meals"])
        c.execute(text("INSERT INTO program_service VALUES ('g', 'food.meals')"))
    upgrade(engine)
    with session_scope(engine) as session:
        row = session.get(t.Program, "g")
        assert row is not None
        assert (row.lat, row.source, row.details) == (47.6, "local", {})
        assert programs_offering(session, ["food.meals"]) == ["g"]
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
