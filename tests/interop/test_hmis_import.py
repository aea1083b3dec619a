"""Importing an HMIS export into the store, on SQLite and PostgreSQL: capacity through
the ledger, idempotent re-import, all or nothing, unlocated programs kept but never
matched, and a housing need matched to an imported program end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from matcher.cli import app
from matcher.interop.geocode import Located, Locator
from matcher.interop.hmis import read_export
from matcher.interop.hmis_store import ACTOR, import_export
from matcher.interop.summary import ImportSummary
from matcher.scenario import parse_scenario
from matcher.service.matching import match_participant
from matcher.store import tables as t
from matcher.store.engine import session_scope
from matcher.store.ledger import verify
from matcher.store.snapshot import export_scenario, import_scenario
from tests.builders import HOME, make_need, make_participant, make_scenario
from tests.interop.hmis_fixtures import DAY, FIXTURES, GOOD, export_dir

AT = datetime(2026, 11, 1, tzinfo=UTC)
NOW = AT + timedelta(hours=9)
CM = "cm-1"
runner = CliRunner()


def run_import(engine: Engine, directory: Path = GOOD, at: datetime = AT) -> ImportSummary:
    with session_scope(engine) as session:
        return import_export(session, read_export(directory, at.date()), locator=Locator(), at=at)


def capacity(session: Session) -> dict[str, tuple[int | None, int]]:
    rows = session.exec(select(t.ProgramCapacity).order_by(col(t.ProgramCapacity.program_id)))
    return {r.program_id: (r.open_slots, r.waitlist) for r in rows}


def events(session: Session) -> list[t.CapacityEvent]:
    return list(session.exec(select(t.CapacityEvent).order_by(col(t.CapacityEvent.id))))


def test_import_creates_programs_and_reports_open_beds_through_the_ledger(
    engine: Engine,
) -> None:
    summary = run_import(engine)
    assert len(summary.created) == 5
    assert summary.unlocated == ["hmis-P4-adults"]
    with session_scope(engine) as s:
        assert capacity(s) == {
            "hmis-P1-adults": (18, 0),
            "hmis-P1-families": (8, 0),
            "hmis-P2-adults": (9, 2),
            "hmis-P4-adults": (8, 0),
            "hmis-P5-adults": (6, 0),
        }
        assert {(e.kind, e.actor, e.at) for e in events(s)} == {("reported", ACTOR, AT)}
        assert verify(s, capacity(s)) == []
        program = s.get(t.Program, "hmis-P2-adults")
        assert program is not None
        assert program.source == "hmis"
        assert program.organization_id == "hmis-org-O1"
        assert program.eligibility == {"households": ["single", "couple"], "min_age": 18}
        assert program.details["hmis"]["ProjectType"] == 3
        assert program.details["hmis"]["located_by"] == "zip_centroid"
        assert (program.lat, program.lon) != (None, None)
        organization = s.get(t.Organization, "hmis-org-O1")
        assert organization is not None
        assert organization.name == "Harbor Light"


def test_reimporting_the_same_export_changes_nothing(engine: Engine) -> None:
    run_import(engine)
    with session_scope(engine) as s:
        before = (capacity(s), len(events(s)))
    again = run_import(engine)
    assert again.created == again.updated == again.closed == []
    assert len(again.unchanged) == 5
    with session_scope(engine) as s:
        assert (capacity(s), len(events(s))) == before


def test_a_later_export_with_new_numbers_records_a_new_report(
    engine: Engine, tmp_path: Path
) -> None:
    run_import(engine)
    later = AT + timedelta(days=14)
    summary = run_import(engine, export_dir(tmp_path, "later"), later)
    # By 11-15: E1 and E3 have left and E6 came (1 adult); a family of two joined.
    # In P2, E9 moved in on 11-10: 2 in, 1 still waiting.
    assert sorted(summary.updated) == ["hmis-P1-adults", "hmis-P1-families", "hmis-P2-adults"]
    with session_scope(engine) as s:
        assert capacity(s)["hmis-P1-adults"] == (19, 0)
        assert capacity(s)["hmis-P1-families"] == (6, 0)
        assert capacity(s)["hmis-P2-adults"] == (8, 1)
        newest = [e for e in events(s) if e.program_id == "hmis-P1-adults"][-1]
        assert (newest.kind, newest.at, newest.version) == ("reported", later, 2)


def test_a_provider_report_newer_than_the_export_is_kept(engine: Engine, tmp_path: Path) -> None:
    from matcher.service.capacity import report_capacity

    run_import(engine)
    with session_scope(engine) as s:
        report_capacity(
            s,
            "hmis-org-O1",
            "hmis-P1-adults",
            open_slots=3,
            waitlist=4,
            actor="provider",
            now=AT + timedelta(days=2),
        )
    # An export of the same day with other numbers (a bed was added) is older.
    directory = export_dir(tmp_path)
    inventory = directory / "Inventory.csv"
    inventory.write_text(
        inventory.read_text().replace("I1,P1,WA-500,1,1,20,20,", "I1,P1,WA-500,1,1,21,21,")
    )
    summary = run_import(engine, directory, AT)
    assert summary.stale == ["hmis-P1-adults"]
    with session_scope(engine) as s:
        assert capacity(s)["hmis-P1-adults"] == (3, 4)


def test_beds_gone_from_a_listed_project_are_reported_at_zero(
    engine: Engine, tmp_path: Path
) -> None:
    run_import(engine)
    directory = export_dir(tmp_path)
    project = directory / "Project.csv"
    project.write_text(
        project.read_text().replace(
            "P4,O1,Harbor Light Bridge Housing,2019-01-01,,",
            "P4,O1,Harbor Light Bridge Housing,2019-01-01,2026-10-31,",
        )
    )
    summary = run_import(engine, directory)
    assert summary.closed == ["hmis-P4-adults"]
    with session_scope(engine) as s:
        assert capacity(s)["hmis-P4-adults"] == (0, 0)


def test_an_error_while_writing_leaves_nothing_half_imported(engine: Engine) -> None:
    class Failing(Locator):
        calls = 0

        def locate(self, **address: str | None) -> Located | None:
            Failing.calls += 1
            if Failing.calls == 3:
                raise RuntimeError("geocoder crashed")
            return super().locate(**address)

    with pytest.raises(RuntimeError), session_scope(engine) as s:
        import_export(s, read_export(GOOD, DAY), locator=Failing(), at=AT)
    with session_scope(engine) as s:
        assert s.exec(select(t.Program)).first() is None
        assert s.exec(select(t.Organization)).first() is None
        assert events(s) == []


def _seed_participant(engine: Engine, *needs: str) -> None:
    person = make_participant(
        id="x-1",
        attributes={"household": "single", "age": 30},
        needs=[make_need(id=f"x-1-{i}", service_types=[kind]) for i, kind in enumerate(needs)],
    )
    with session_scope(engine) as s:
        import_scenario(s, make_scenario([], [person]), AT, case_manager_id=CM)


def test_a_housing_need_is_matched_to_an_imported_program(engine: Engine) -> None:
    _seed_participant(engine, "housing.shelter", "housing.transitional")
    run_import(engine)
    with session_scope(engine) as s:
        result = match_participant(s, CM, "x-1", NOW, time_limit=10)
    shelter, transitional = result.needs
    assert shelter.recommended is not None
    assert shelter.recommended.program_id == "hmis-P1-adults"  # families beds are not theirs
    assert shelter.recommended.pool == "general"
    # The only transitional housing could not be located: kept, but never matched.
    assert transitional.recommended is None
    assert transitional.options == []


def test_unlocated_programs_stay_out_of_the_exported_scenario(engine: Engine) -> None:
    run_import(engine)
    with session_scope(engine) as s:
        ids = {p.id for p in export_scenario(s, NOW).programs}
        assert s.get(t.Program, "hmis-P4-adults") is not None
    assert ids == {"hmis-P1-adults", "hmis-P1-families", "hmis-P2-adults", "hmis-P5-adults"}


def test_import_hmis_command_then_export_and_solve(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    directory = str(GOOD)
    first = runner.invoke(
        app, ["import-hmis", directory, "--as-of", "2026-11-01", "--database-url", url]
    )
    assert first.exit_code == 1, first.output  # two projects skipped, each with why
    assert "5 created, 0 updated, 0 unchanged" in first.stderr
    assert "2 skipped, 1 unlocated" in first.stderr
    assert "error: Project.csv, row 4, ProjectType" in first.stderr
    assert "unlocated (kept, not matched until it has a location): hmis-P4-adults" in first.stderr
    again = runner.invoke(
        app, ["import-hmis", directory, "--as-of", "2026-11-01", "--database-url", url]
    )
    assert "0 created, 0 updated, 5 unchanged" in again.stderr
    out = tmp_path / "live.json"
    exported = runner.invoke(app, ["export-scenario", "-o", str(out), "--database-url", url])
    assert exported.exit_code == 0, exported.output
    scenario = parse_scenario(json.loads(out.read_text()))
    assert len(scenario.programs) == 4
    people = [
        make_participant(
            id="x-1", location=dict(HOME), attributes={"household": "single", "age": 30}
        )
    ]
    data = json.loads(out.read_text())
    data["participants"] = people
    out.write_text(json.dumps(data))
    solved = runner.invoke(app, ["solve", str(out)])
    assert solved.exit_code == 0, solved.output
    assert json.loads(solved.stdout)["assignments"][0]["program_id"].startswith("hmis-P")


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        ("missing-column", "Inventory.csv, row 1, BedInventory: required column is missing"),
        ("wrong-type", "Enrollment.csv, row 8, EntryDate"),
        ("bad-encoding", "Organization.csv, row 3: not UTF-8"),
    ],
    ids=["missing-column", "wrong-type", "bad-encoding"],
)
def test_import_hmis_command_exits_2_naming_the_problem(
    tmp_path: Path, variant: str, message: str
) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    result = runner.invoke(
        app, ["import-hmis", str(export_dir(tmp_path, variant)), "--database-url", url]
    )
    assert result.exit_code == 2
    assert message in result.stderr


def test_fixture_variants_hold_only_the_files_they_break() -> None:
    for folder in FIXTURES.iterdir():
        if folder.name != "good":
            assert all((GOOD / f.name).exists() for f in folder.iterdir())
