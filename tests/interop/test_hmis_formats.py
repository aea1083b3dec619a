"""HUD HMIS CSV exports as systems write them, FY2022 and FY2026: Export.csv's format
and period, ``ZIP`` in upper case, dedicated beds as ``reserved_for`` parts, adults-only
and children-only ages, rapid re-housing with capacity unknown, projects skipped with
why, the CoC-area fallback, and broken quoting refused whole."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from matcher.cli import app
from matcher.interop.geocode import Locator
from matcher.interop.hmis import Facility, HmisInvalid, read_export
from matcher.interop.hmis_store import import_export
from matcher.interop.summary import ImportSummary
from matcher.service.matching import match_participant
from matcher.store import tables as t
from matcher.store.engine import session_scope
from matcher.store.snapshot import export_scenario, import_scenario
from tests.builders import make_need, make_participant, make_scenario
from tests.interop.hmis_fixtures import export_dir

FORMATS = Path(__file__).resolve().parent / "fixtures" / "hmis-fy"
FY2026 = FORMATS / "fy2026"
FY2022 = FORMATS / "fy2022"
runner = CliRunner()


def by_id(directory: Path, day: date | None = None) -> dict[str, Facility]:
    return {f.program_id: f for f in read_export(directory, day).facilities}


def run_import(engine: Engine, directory: Path) -> ImportSummary:
    export = read_export(directory)
    at = datetime.combine(export.day, datetime.min.time(), UTC)
    with session_scope(engine) as session:
        return import_export(session, export, locator=Locator(), at=at)


@pytest.mark.parametrize(("directory", "version"), [(FY2026, "2026"), (FY2022, "2022")])
def test_export_csv_gives_the_format_and_the_day_counted(directory: Path, version: str) -> None:
    export = read_export(directory)
    assert export.info is not None
    assert export.info.csv_version == version
    assert export.day == export.info.end
    assert [w.field for w in export.warnings] == ["ZIP"]  # only the ZIP that contradicts WA


def test_a_day_outside_the_export_period_is_warned_about() -> None:
    export = read_export(FY2022, date(2026, 11, 1))
    assert any(
        "outside the export period 2021-10-01 to 2022-09-30" in str(w) for w in export.warnings
    )


@pytest.mark.parametrize("directory", [FY2026, FY2022])
def test_dedicated_beds_become_reserved_parts_with_the_right_ages(directory: Path) -> None:
    found = by_id(directory)
    veterans = found["hmis-P10-adults-veteran"]
    assert "hmis-P10-adults" not in found  # all 57 beds are for veterans
    assert (veterans.beds, veterans.open_beds) == (57, 7)
    assert veterans.eligibility == {
        "households": ["single", "couple"],
        "min_age": 18,
        "reserved_for": ["veteran"],
    }
    youth, general = found["hmis-P11-adults-youth"], found["hmis-P11-adults"]
    assert youth.eligibility["reserved_for"] == ["youth"]
    assert (youth.eligibility["min_age"], youth.eligibility["max_age"]) == (18, 24)
    assert "reserved_for" not in general.eligibility
    # Ten people in 12 beds, shared by beds and rounded up: never more free than 2.
    assert (youth.beds, youth.open_beds, general.beds, general.open_beds) == (8, 1, 4, 0)
    children = found["hmis-P11-children-youth"]
    assert children.eligibility == {"max_age": 17, "reserved_for": ["youth"]}


@pytest.mark.parametrize("directory", [FY2026, FY2022])
def test_rapid_rehousing_is_kept_with_no_bed_count(directory: Path) -> None:
    rrh = by_id(directory)["hmis-P12-families"]
    assert rrh.service_type == "housing.rapid_rehousing"
    assert rrh.beds == 36
    assert rrh.open_beds is None


@pytest.mark.parametrize("directory", [FY2026, FY2022])
def test_projects_without_a_service_or_inventory_are_skipped_with_why(directory: Path) -> None:
    skipped = [str(p) for p in read_export(directory).skipped]
    assert skipped == [
        "error: Project.csv, row 5, ProjectType: 6 (Services Only) has no beds to match",
        "error: Project.csv, row 6, ProjectID: project P14 has no inventory on "
        + ("2026-09-30" if directory == FY2026 else "2022-09-30"),
    ]


def test_import_stores_reserved_for_ages_and_unknown_capacity(engine: Engine) -> None:
    summary = run_import(engine, FY2026)
    assert sorted(summary.created) == [
        "hmis-P10-adults-veteran",
        "hmis-P11-adults",
        "hmis-P11-adults-youth",
        "hmis-P11-children-youth",
        "hmis-P12-families",
        "hmis-P15-adults",
    ]
    assert summary.capacity_unknown == ["hmis-P12-families"]
    assert summary.fallback == ["hmis-P15-adults"]
    assert summary.unlocated == []
    assert [(p.field, p.severity) for p in summary.problems if p.severity == "warning"] == [
        ("ZIP", "warning")
    ]
    assert len(summary.skipped) == 2  # the services-only project and the one without beds
    with session_scope(engine) as s:
        veterans = s.get(t.Program, "hmis-P10-adults-veteran")
        assert veterans is not None
        assert veterans.eligibility["reserved_for"] == ["veteran"]
        assert veterans.details["hmis"]["located_by"] == "zip_centroid"
        fallback = s.get(t.Program, "hmis-P15-adults")
        assert fallback is not None
        assert fallback.lat is not None
        assert fallback.details["hmis"]["located_by"] == "coc_area"
        assert "97204 is in OR" in fallback.details["hmis"]["address"]["ZIPConflict"]
        cap = s.get(t.ProgramCapacity, "hmis-P12-families")
        assert cap is not None
        assert cap.open_slots is None  # capacity unknown, and no event says otherwise
        rrh = next(p for p in export_scenario(s, datetime.now(UTC)).programs if "P12" in p.id)
        assert rrh.capacity.open_slots is None
    again = run_import(engine, FY2026)
    assert (again.created, again.updated) == ([], [])
    assert len(again.unchanged) == 6


def test_a_seventeen_year_old_is_never_placed_in_adults_only_beds(engine: Engine) -> None:
    teen = make_participant(
        id="t-1",
        attributes={"household": "single", "age": 17},
        needs=[make_need(id="t-1-0", service_types=["housing.shelter"])],
    )
    at = datetime(2026, 9, 30, tzinfo=UTC)
    with session_scope(engine) as s:
        import_scenario(s, make_scenario([], [teen]), at, case_manager_id="cm-1")
    run_import(engine, FY2026)
    with session_scope(engine) as s:
        result = match_participant(s, "cm-1", "t-1", at, time_limit=10)
        adults_only = [
            p.id for p in s.exec(select(t.Program)) if p.eligibility.get("min_age") == 18
        ]
    (need,) = result.needs
    assert adults_only
    assert need.recommended is None or need.recommended.program_id not in adults_only
    assert all(o.program_id not in adults_only for o in need.options)


def test_a_stray_quote_refuses_the_whole_export(tmp_path: Path) -> None:
    directory = export_dir(tmp_path, "broken-quote")
    with pytest.raises(HmisInvalid, match=r"Enrollment\.csv"):
        read_export(directory, date(2026, 11, 1))
    url = f"sqlite:///{tmp_path / 'live.db'}"
    result = runner.invoke(app, ["import-hmis", str(directory), "--database-url", url])
    assert result.exit_code == 2
    assert "Enrollment.csv" in result.stderr


def test_a_row_with_too_few_values_refuses_the_whole_export(tmp_path: Path) -> None:
    directory = export_dir(tmp_path)
    path = directory / "Exit.csv"
    path.write_text(path.read_text() + "X9,E1,C-101\n")
    with pytest.raises(HmisInvalid, match=r"Exit\.csv, row 4: 3 values for 10 columns"):
        read_export(directory, date(2026, 11, 1))


def test_the_command_without_as_of_counts_on_the_export_end_and_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    result = runner.invoke(app, ["import-hmis", str(FY2022), "--database-url", url])
    assert result.exit_code == 1, result.output  # two projects skipped
    assert "export X22: FY2022 format, 2021-10-01 to 2022-09-30" in result.stderr
    assert "open beds on 2022-09-30" in result.stderr
    assert "capacity unknown" in result.stderr
    later = runner.invoke(
        app, ["import-hmis", str(FY2022), "--as-of", "2026-11-01", "--database-url", url]
    )
    assert "warning: Export.csv" in later.stderr
    assert "outside the export period" in later.stderr


def _seed(engine: Engine, people: dict[str, list[str]]) -> datetime:
    """Participants by id with their populations, each with one shelter need."""
    persons = [
        make_participant(
            id=pid,
            attributes={"household": "single", "age": 40, "populations": populations},
            needs=[make_need(id=f"{pid}-0", service_types=["housing.shelter"])],
        )
        for pid, populations in people.items()
    ]
    at = datetime(2026, 9, 30, tzinfo=UTC)
    with session_scope(engine) as s:
        import_scenario(s, make_scenario([], persons), at, case_manager_id="cm-1")
    return at


def test_veteran_only_beds_go_to_veterans_and_never_to_anyone_else(engine: Engine) -> None:
    at = _seed(engine, {"v-1": ["veteran"], "n-1": []})
    run_import(engine, FY2026)
    with session_scope(engine) as s:
        veteran = match_participant(s, "cm-1", "v-1", at, time_limit=10).needs[0]
        other = match_participant(s, "cm-1", "n-1", at, time_limit=10).needs[0]
    assert "hmis-P10-adults-veteran" in {o.program_id for o in veteran.options}
    assert "hmis-P10-adults-veteran" not in {o.program_id for o in other.options}
    assert other.recommended is None or other.recommended.program_id != "hmis-P10-adults-veteran"


def test_rapid_rehousing_offers_no_general_places(engine: Engine) -> None:
    run_import(engine, FY2026)
    with session_scope(engine) as s:
        scenario = export_scenario(s, datetime(2026, 9, 30, tzinfo=UTC))
    (rrh,) = [p for p in scenario.programs if p.id == "hmis-P12-families"]
    assert rrh.capacity.open_slots is None
    assert rrh.capacity.lead_reserved_open == 0
