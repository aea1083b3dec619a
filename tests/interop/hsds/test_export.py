"""Export: the datapackage and the API's objects validate against the vendored HSDS
schemas (and the profile), and export -> import gives the same programs back."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from sqlalchemy import Engine

from api.app import create_app
from matcher.interop.hsds.export import write_datapackage
from matcher.interop.hsds.profile import PROFILE_DIR, TERMS, merge_patch, service_types
from matcher.interop.hsds.read import read_feed
from matcher.interop.hsds.schemas import FORMATS, object_schema, openapi, validator
from matcher.store.engine import session_scope
from matcher.store.snapshot import export_scenario, import_scenario
from tests.api.conftest import SETTINGS, Clock, bearer
from tests.builders import make_program, make_scenario
from tests.dbs import engine_for
from tests.interop.hsds.conftest import CSV_FEED, JSON_FEED, NOW, SHELTER, run_import

LEAD_PROGRAM = make_program(
    id="lead-shelter",
    provider_id="org-lead",
    name="Sober Living",
    service_types=["housing.recovery_residence", "treatment.outpatient"],
    location={"lat": 47.62, "lon": -122.35, "neighborhood": "Belltown"},
    capacity={
        "open_slots": 4,
        "waitlist": 6,
        "lead_reserved_open": 2,
        "purchasable": 3,
        "price": 1250.5,
        "updated": "2026-11-20T10:00:00Z",
    },
    barriers={"excludes_active_use": True, "requires_religious_participation": True},
    eligibility={
        "genders": ["man", "trans man"],
        "min_age": 21,
        "households": ["single"],
        "pets_allowed": False,
        "requires_id": True,
    },
    serves=["lgbtq", "spanish"],
    languages=["en", "es"],
)


@pytest.fixture
def other_engine(tmp_path: Path) -> Iterator[Engine]:
    (tmp_path / "other").mkdir()
    with engine_for("sqlite", tmp_path / "other") as e:
        yield e


def _export(engine: Engine, target: Path) -> Path:
    with session_scope(engine, read_only=True) as s:
        write_datapackage(s, NOW, target)
    return target


def _programs(engine: Engine) -> list[dict[str, Any]]:
    with session_scope(engine, read_only=True) as s:
        scenario = export_scenario(s, NOW)
    # A program's service types are a set: HSDS attributes have no order.
    out = [p.model_dump(mode="json") for p in scenario.programs]
    for program in out:
        program["service_types"] = sorted(program["service_types"])
    return out


def test_the_exported_datapackage_reads_back_without_a_problem(
    engine: Engine, tmp_path: Path
) -> None:
    run_import(engine, JSON_FEED)
    run_import(engine, CSV_FEED)
    target = _export(engine, tmp_path / "out")
    package = json.loads((target / "datapackage.json").read_text(encoding="utf-8"))
    assert package["profile"] == "tabular-data-package"
    for resource in package["resources"]:
        with (target / resource["path"]).open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        assert header == [f["name"] for f in resource["schema"]["fields"]]
    feed = read_feed(target)  # every row checked against the vendored schemas
    assert feed.problems == []
    assert len(feed.tables["service"]) == 6  # the unmapped service is kept and given back
    profiled = merge_patch(
        object_schema("attribute"),
        json.loads((PROFILE_DIR / "profile" / "attribute.json").read_text(encoding="utf-8")),
    )
    check = Draft202012Validator(profiled, format_checker=FORMATS)
    for row in feed.tables["attribute"].values():
        assert list(check.iter_errors(row.data)) == [], row.data


def test_a_program_with_every_profile_value_round_trips(
    engine: Engine, other_engine: Engine, tmp_path: Path
) -> None:
    with session_scope(engine) as s:
        import_scenario(s, make_scenario([LEAD_PROGRAM]), NOW)
    target = _export(engine, tmp_path / "out")
    report = run_import(other_engine, target)
    assert report.created == ["lead-shelter"]
    assert [p for p in report.problems if p.severity == "error"] == []
    assert _programs(other_engine) == _programs(engine)


def test_an_imported_feed_round_trips_through_export(
    engine: Engine, other_engine: Engine, tmp_path: Path
) -> None:
    run_import(engine, JSON_FEED)
    target = _export(engine, tmp_path / "out")
    again = run_import(engine, target)
    assert again.created == []
    assert again.events == 0
    run_import(other_engine, target)
    assert _programs(other_engine) == _programs(engine)


def test_the_profile_data_files_match_the_code() -> None:
    terms = json.loads(
        (PROFILE_DIR / "profile" / "data" / "taxonomy_term.json").read_text(encoding="utf-8")
    )
    expected = [t.record() for t in TERMS.values()] + [s.record() for s in service_types().values()]
    assert terms == expected
    check = validator("taxonomy_term")
    assert all(not list(check.iter_errors(term)) for term in terms)


@pytest.fixture
def api(engine: Engine) -> TestClient:
    run_import(engine, JSON_FEED)
    return TestClient(create_app(SETTINGS, engine=engine, clock=Clock(NOW)))


def _page_check() -> Draft202012Validator:
    return Draft202012Validator(openapi()["components"]["schemas"]["Page"])


def test_the_read_api_answers_in_hsds_shapes(api: TestClient, engine: Engine) -> None:
    headers = bearer(engine, "case_manager", "cm-ana")
    meta = api.get("/hsds/", headers=headers).json()
    assert meta["version"] == "3.1"
    assert meta["openapi_url"].endswith("/openapi.json")
    page = api.get("/hsds/services", params={"per_page": 2}, headers=headers).json()
    assert list(_page_check().iter_errors(page)) == []
    assert (page["total_items"], page["total_pages"], page["size"]) == (4, 2, 2)
    assert (page["first_page"], page["last_page"], page["empty"]) == (True, False, False)
    full = validator("service")
    listed = validator("compiled/service_list.json")
    for item in page["contents"]:
        assert list(full.iter_errors(item)) == []
        assert list(listed.iter_errors(item)) == []
    one = api.get(f"/hsds/services/{SHELTER}", headers=headers).json()
    assert list(full.iter_errors(one)) == []
    assert [c["available"] for c in one["capacities"]] == [3]
    assert one["organization"]["name"] == "Harbor Services"
    codes = {a["taxonomy_term"]["code"]: a.get("value") for a in one["attributes"]}
    assert codes["lead.capacity.waitlist"] == "1"
    assert codes["housing.shelter"] is None
    assert api.get("/hsds/services/nobody", headers=headers).status_code == 404
    for path, name in (
        ("/hsds/taxonomy_terms", "taxonomy_term"),
        ("/hsds/taxonomies", "taxonomy"),
        ("/hsds/service_at_locations", "service_at_location"),
    ):
        body = api.get(path, headers=headers).json()
        assert list(_page_check().iter_errors(body)) == [], path
        check = validator(name)
        assert body["contents"]
        assert all(not list(check.iter_errors(i)) for i in body["contents"])
    late = api.get("/hsds/services", params={"page": 9}, headers=headers).json()
    assert (late["empty"], late["size"], late["contents"]) == (True, 0, [])


def test_the_read_api_is_not_anonymous(api: TestClient) -> None:
    assert api.get("/hsds/services").status_code == 401


def test_service_pages_are_built_from_their_own_programs_only(
    api: TestClient, engine: Engine
) -> None:
    headers = bearer(engine, "funder")
    first = api.get("/hsds/services", params={"per_page": 2}, headers=headers).json()
    second = api.get("/hsds/services", params={"per_page": 2, "page": 2}, headers=headers).json()
    ids = [s["id"] for s in first["contents"] + second["contents"]]
    assert ids == sorted(ids)
    assert len(ids) == 4
    assert (second["page_number"], second["size"], second["last_page"]) == (2, 2, True)
    assert list(_page_check().iter_errors(second)) == []
    org = first["contents"][0]["organization"]["id"]
    mine = api.get("/hsds/services", params={"organization_id": org}, headers=headers).json()
    assert mine["total_items"] >= 1
    assert {s["organization"]["id"] for s in mine["contents"]} == {org}
    term = next(
        a["taxonomy_term"]["id"]
        for a in first["contents"][0]["attributes"]
        if a["taxonomy_term"]["code"] == "housing.shelter"
    )
    tagged = api.get("/hsds/services", params={"taxonomy_term_id": term}, headers=headers).json()
    assert first["contents"][0]["id"] in {s["id"] for s in tagged["contents"]}
