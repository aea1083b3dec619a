"""HSDS 1.x and 2.0 tabular datapackages, from a folder, a ``datapackage.json`` or a
``.zip``: the version told from the tables, AIRS codes and tolerant names mapped, and
messy packages read as far as they can be, saying what could not."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from matcher.cli import app
from matcher.interop.hsds import HsdsUnreadable
from matcher.interop.hsds.read import read_feed
from matcher.store import tables as t
from matcher.store.engine import session_scope
from matcher.store.ledger import load
from tests.interop.hsds.conftest import (
    CSV_FEED,
    FIXTURES,
    JSON_FEED,
    SHELTER,
    row_counts,
    run_import,
)

V1 = FIXTURES / "hsds-1x"
V1_ZIP = FIXTURES / "hsds-1x.zip"
V2 = FIXTURES / "hsds-2.0"
runner = CliRunner()


@pytest.mark.parametrize(
    ("path", "version"),
    [(V1, "1.x"), (V1 / "datapackage.json", "1.x"), (V1_ZIP, "1.x"), (V2, "2.0")],
    ids=["1.x folder", "1.x datapackage.json", "1.x zip", "2.0 folder"],
)
def test_older_packages_import_with_their_codes_and_names_mapped(
    engine: Engine, path: Path, version: str
) -> None:
    report = run_import(engine, path)
    assert (report.format, report.version) == ("tabular", version)
    assert sorted(report.created) == ["svc-1", "svc-2", "svc-3", "svc-4"]
    assert report.skipped == {"svc-5": "status inactive"}
    assert list(report.unmapped) == ["svc-4"]
    assert report.not_read == (["phones"] if version == "1.x" else [])
    with session_scope(engine) as s:
        types = {p.id: p.service_types for p in s.exec(select(t.Program))}
        pantry = s.get(t.Program, "svc-2")
        treatment = s.get(t.Program, "svc-3")
        assert pantry is not None
        assert treatment is not None
        assert pantry.lat is not None  # a ZIP-only address, placed at the ZIP's centre
        assert pantry.details["location_method"] == "zip_centroid"
        assert treatment.languages == ["en", "es"]
        assert treatment.details["service"]["eligibility_description"] == "adults"
    assert types == {
        "svc-1": ["housing.shelter"],
        "svc-2": ["food.pantry"],
        "svc-3": ["treatment.outpatient"],
        "svc-4": [],
    }
    again = run_import(engine, path)
    assert (again.created, again.updated, again.events) == ([], [], 0)


def test_an_eligibility_row_naming_no_service_is_reported() -> None:
    feed = read_feed(V1)
    assert [(p.field, p.rule, p.severity) for p in feed.problems] == [
        ("service_id", "unknown_id", "warning")
    ]


def _messy(tmp_path: Path) -> Path:
    """The 1.x package as packages are found: resource paths under data/ that are not
    there, a listed table absent, headers in other cases and spellings, a broken row."""
    folder = tmp_path / "messy"
    shutil.copytree(V1, folder)
    meta = json.loads((folder / "datapackage.json").read_text())
    for resource in meta["resources"]:
        resource["path"] = "data/" + resource["path"]
    meta["resources"].append({"name": "contacts", "path": "data/contacts.csv"})
    (folder / "datapackage.json").write_text(json.dumps(meta))
    services = folder / "services.csv"
    text = services.read_text()
    header, rest = text.split("\n", 1)
    header = header.replace("organization_id", "Organization ID").replace("name", "NAME", 1)
    services.write_text(header.upper().replace("ID,", "Id,", 1) + "\n" + rest)
    addresses = folder / "physical_addresses.csv"
    addresses.write_text(addresses.read_text().replace("postal_code", "Zip Code"))
    (folder / "languages.csv").write_text("id,service_id,location_id,language\r\nx,svc-3\r\n")
    return folder


def test_a_messy_package_is_read_as_far_as_it_can_be(engine: Engine, tmp_path: Path) -> None:
    report = run_import(engine, _messy(tmp_path))
    assert sorted(report.created) == ["svc-1", "svc-2", "svc-3", "svc-4"]
    rules = {(p.field, p.rule) for p in report.problems}
    assert ("contacts", "missing") in rules  # listed, absent: said, not fatal
    assert (None, "columns") in rules  # the broken languages row: skipped alone
    with session_scope(engine) as s:
        pantry = s.get(t.Program, "svc-2")
        assert pantry is not None
        assert pantry.lat is not None  # "Zip Code" read as postal_code


def test_a_package_without_a_services_table_is_refused(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "no-services"
    shutil.copytree(V1, folder)
    (folder / "services.csv").unlink()
    with pytest.raises(HsdsUnreadable, match="no readable services table"):
        run_import(engine, folder)
    assert row_counts(engine)["Program"] == 0


@pytest.mark.parametrize("broken", ["not a zip", "no services"])
def test_the_command_exits_2_for_what_cannot_be_read(tmp_path: Path, broken: str) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    if broken == "not a zip":
        path = tmp_path / "feed.zip"
        path.write_text("hello")
    else:
        path = tmp_path / "pkg"
        shutil.copytree(V2, path)
        (path / "services.csv").write_text("name\r\nNo ids here\r\n")
    result = runner.invoke(app, ["import-hsds", str(path), "--database-url", url])
    assert result.exit_code == 2, result.output
    assert "nothing was imported" in result.stderr


def test_the_command_exits_1_when_services_were_skipped(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    result = runner.invoke(app, ["import-hsds", str(V1_ZIP), "--database-url", url])
    assert result.exit_code == 1, result.output
    assert "skipped svc-5: status inactive" in result.stderr
    assert "import-hsds (tabular, HSDS 1.x): 4 created" in result.stderr
    assert "1 unmapped" in result.stderr
    assert "unmapped term (1 program(s)): DT-8800.9300 Tax help" in result.stderr


@pytest.mark.parametrize(("unit", "counted"), [("Beds", True), ("kilograms", False)])
def test_only_place_like_capacity_units_count_as_places(
    engine: Engine, tmp_path: Path, unit: str, counted: bool
) -> None:
    feed = tmp_path / "feed.json"
    feed.write_text(JSON_FEED.read_text().replace('"name": "bed"', f'"name": "{unit}"'))
    report = run_import(engine, feed)
    with session_scope(engine) as s:
        state = load(s, SHELTER)
        shelter = s.get(t.Program, SHELTER)
    assert state is not None
    assert shelter is not None
    assert state.state.open_slots == (3 if counted else None)
    assert shelter.details["capacity"]["unit"]["name"] == unit  # kept either way
    assert any(p.rule == "not_places" for p in report.problems) is not counted


def test_a_3x_package_with_a_moved_and_a_missing_table_is_read(
    engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "pkg"
    shutil.copytree(CSV_FEED, folder)
    (folder / "data").mkdir()
    (folder / "locations.csv").rename(folder / "data" / "locations.csv")
    (folder / "languages.csv").unlink()
    (folder / "addresses.csv").write_bytes(b"id,location_id\r\n\xff\xfe,x\r\n")
    report = run_import(engine, folder)
    assert len(report.created) == 2
    found = {(p.field, p.rule) for p in report.problems}
    assert ("language", "missing") in found
    assert (None, "encoding") in found
    with session_scope(engine) as s:
        shelter = s.get(t.Program, "c5a8c3f0-1d2b-4c6a-9e7f-000000000001")
        assert shelter is not None
        assert shelter.lat is not None  # its location read from data/
