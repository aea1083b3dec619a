"""Importing HSDS 3.1 feeds: JSON and tabular, problems, idempotence, all or nothing."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from matcher.interop.hsds import HsdsUnreadable
from matcher.store import tables as t
from matcher.store.engine import session_scope
from matcher.store.ledger import load, verify
from matcher.store.snapshot import export_scenario, import_scenario
from tests.builders import make_need, make_participant, make_scenario
from tests.interop.hsds.conftest import (
    CLINIC,
    CSV_FEED,
    HARBOR,
    JSON_FEED,
    KITES,
    MALFORMED,
    PANTRY,
    SHELTER,
    row_counts,
    run_import,
)


def test_a_json_page_imports_services_as_programs_keyed_by_service_id(engine: Engine) -> None:
    report = run_import(engine, JSON_FEED)
    assert sorted(report.created) == sorted([SHELTER, CLINIC, PANTRY, KITES])
    assert report.skipped == {}
    assert list(report.unmapped) == [KITES]  # kept with its terms, never matched
    assert sorted(report.unlocated) == sorted([PANTRY, KITES])
    with session_scope(engine) as s:
        shelter = s.get(t.Program, SHELTER)
        assert shelter is not None
        assert shelter.organization_id == HARBOR
        assert shelter.source == "hsds"
        assert shelter.service_types == ["housing.shelter"]
        assert (shelter.lat, shelter.lon) == (47.6015, -122.3343)
        assert shelter.eligibility["min_age"] == 18
        assert shelter.languages == ["es"]  # stored as a standard code
        assert shelter.details["service"]["eligibility_description"] == "Adults"
        state = load(s, SHELTER)
        assert state is not None
        assert (state.state.open_slots, state.state.waitlist) == (3, 1)
        assert (state.state.purchasable, state.state.price_cents) == (2, 4550)
        clinic = s.get(t.Program, CLINIC)
        assert clinic is not None
        assert clinic.details["location_method"] == "zip_centroid"
        assert clinic.lat is not None
        unknown = load(s, CLINIC)
        assert unknown is not None
        assert unknown.state.open_slots is None
        assert s.get(t.Organization, HARBOR) is not None
        assert verify(s, [SHELTER, CLINIC, PANTRY]) == []


def test_a_tabular_datapackage_imports_the_same_way(engine: Engine) -> None:
    report = run_import(engine, CSV_FEED)
    assert report.format == "tabular"
    assert len(report.created) == 2
    assert report.not_read == ["phone"]
    with session_scope(engine) as s:
        shelter = s.get(t.Program, "c5a8c3f0-1d2b-4c6a-9e7f-000000000001")
        assert shelter is not None
        assert shelter.excludes_active_use
        assert shelter.eligibility["max_age"] == 64
        state = load(s, shelter.id)
        assert state is not None
        assert (state.state.open_slots, state.state.waitlist) == (5, 2)
        annex = s.get(t.Program, "c5a8c3f0-1d2b-4c6a-9e7f-000000000002")
        assert annex is not None
        assert annex.languages == ["vi"]
        assert annex.lat is not None  # placed by the ZIP code of its address


@pytest.mark.parametrize("feed", [JSON_FEED, CSV_FEED], ids=["json", "tabular"])
def test_importing_the_same_feed_again_changes_nothing(engine: Engine, feed: Path) -> None:
    first = run_import(engine, feed)
    before = row_counts(engine)
    again = run_import(engine, feed)
    assert again.created == again.updated == []
    assert sorted(again.unchanged) == sorted(first.created)
    assert again.events == 0
    assert row_counts(engine) == before


def test_malformed_records_are_reported_and_the_rest_imported(engine: Engine) -> None:
    report = run_import(engine, MALFORMED)
    text = [str(p) for p in report.problems]
    name = str(MALFORMED)
    assert f"error: {name}, [0], minimum_age: 'eighteen' is not of type 'number' (type)" in text
    assert f"error: {name}, [1], name: 'name' is a required property (required)" in text
    rules = {(p.where, p.field, p.rule) for p in report.problems}
    assert ("[2]", "organization_id", "unknown_id") in rules
    assert ("[3].capacities[0]", "available", "available_above_maximum") in rules
    assert ("[4].capacities[0]", "updated", "stale") in rules
    assert set(report.skipped) == {"bad-types", "no-name", "orphan"}
    assert sorted(report.created) == ["stale", "too-many"]
    with session_scope(engine) as s:
        capped = load(s, "too-many")
        stale = load(s, "stale")
        assert capped is not None
        assert capped.state.open_slots == 5
        assert stale is not None
        assert stale.state.open_slots is None


def _copy(feed: Path, tmp_path: Path) -> Path:
    target = tmp_path / "feed"
    shutil.copytree(feed, target)
    return target


def test_a_bad_row_in_a_csv_names_its_file_row_and_field(engine: Engine, tmp_path: Path) -> None:
    feed = _copy(CSV_FEED, tmp_path)
    with (feed / "service_capacity.csv").open("a", encoding="utf-8") as handle:
        handle.write("c4-bad,c5a8c3f0-1d2b-4c6a-9e7f-000000000002,x,many,,2026-11-21T08:00:00Z\n")
    report = run_import(engine, feed)
    bad = [p for p in report.problems if p.rule == "type"]
    assert [(p.file, p.where, p.field) for p in bad] == [
        (f"{feed}/service_capacity.csv", "row 3", "available")
    ]
    assert len(report.created) == 2


def test_an_unreadable_services_table_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    run_import(engine, JSON_FEED)
    before = row_counts(engine)
    feed = _copy(CSV_FEED, tmp_path)
    (feed / "services.csv").write_bytes("id,name\nx,Caf\xe9\n".encode("latin-1"))
    with pytest.raises(HsdsUnreadable) as caught:
        run_import(engine, feed)
    assert caught.value.rule == "encoding"
    assert row_counts(engine) == before


@pytest.mark.parametrize(
    ("damage", "rule"),
    [
        (lambda d: (d / "units.csv").write_text("name\nbed\n", encoding="utf-8"), "not_hsds"),
        (lambda d: (d / "units.csv").unlink(), "missing"),
    ],
    ids=["no-id-column", "missing-file"],
)
def test_one_bad_table_is_reported_and_the_rest_imported(
    engine: Engine, tmp_path: Path, damage: object, rule: str
) -> None:
    feed = _copy(CSV_FEED, tmp_path)
    damage(feed)  # type: ignore[operator]
    report = run_import(engine, feed)
    assert len(report.created) == 2
    assert rule in {p.rule for p in report.problems}


def test_json_that_is_not_hsds_is_refused(engine: Engine, tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"format": "lead-matcher/scenario@1"}', encoding="utf-8")
    with pytest.raises(HsdsUnreadable, match="not HSDS"):
        run_import(engine, other)
    assert row_counts(engine)["Program"] == 0


def test_a_failure_while_writing_rolls_back_the_whole_import(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matcher.interop.hsds import load as writer

    real = writer._record_capacity
    calls = {"n": 0}

    def fail_on_second(*args: object, **kwargs: object) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(writer, "_record_capacity", fail_on_second)
    with pytest.raises(RuntimeError):
        run_import(engine, JSON_FEED)
    assert set(row_counts(engine).values()) == {0}


def test_a_spanish_speakers_preference_meets_imported_programs(engine: Engine) -> None:
    """A participant who wrote "Spanish" and a feed that wrote "Spanish" meet on "es"."""
    person = make_participant(
        id="s-1", languages=["Spanish"], needs=[make_need(id="s-1-0", service_types=["x"])]
    )
    at = datetime(2026, 11, 1, tzinfo=UTC)
    with session_scope(engine) as s:
        import_scenario(s, make_scenario([], [person]), at, case_manager_id="cm-1")
    run_import(engine, JSON_FEED)
    with session_scope(engine) as s:
        scenario = export_scenario(s, at)
    (stored,) = scenario.participants
    shelter = next(p for p in scenario.programs if p.id == SHELTER)
    assert set(stored.languages) & set(shelter.languages) == {"es"}
