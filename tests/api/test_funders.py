"""Funders' endpoints: counts only, small cells suppressed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from matcher.scenario import parse_scenario
from matcher.store import tables as t
from matcher.store.engine import session_scope
from matcher.store.snapshot import add_participant, add_program
from tests.api.conftest import CM, START, bearer
from tests.builders import make_need, make_participant, make_program, make_scenario_json

UNREPORTED_TYPE = "legal.expungement"


def add_unreported_needs(engine: Engine, count: int = 11) -> None:
    """A program that never reported its places, the only one of its type, and ``count``
    participants who need it."""
    silent = make_program(
        id="silent-clinic",
        provider_id="org-silent",
        service_types=[UNREPORTED_TYPE],
        capacity={"waitlist": 0},
    )
    people = [
        make_participant(
            id=f"u-{i}", needs=[make_need(id=f"u-{i}-1", service_types=[UNREPORTED_TYPE])]
        )
        for i in range(count)
    ]
    scenario = parse_scenario(make_scenario_json([silent], people))
    with session_scope(engine) as s:
        s.add(t.Organization(id="org-silent", name="Silent clinic"))
        s.flush()
        add_program(s, scenario.programs[0], START)
        for person in scenario.participants:
            add_participant(s, person, CM, START)


def test_unmet_need_is_suppressed(client: TestClient) -> None:
    table = client.get(
        "/funders/unmet-need", params={"rows": "category", "columns": "reason"}
    ).json()
    assert table["rows"][-1] == "total"
    assert table["columns"][-1] == "total"
    cells = [v for row in table["cells"] for v in row]
    assert all(v is None or v == 0 or v > 10 for v in cells)
    assert table["suppressed_cells"] > 0


def test_unmet_need_rejects_unknown_dimensions(client: TestClient) -> None:
    bad = client.get("/funders/unmet-need", params={"rows": "participant"})
    assert (bad.status_code, bad.json()["field"]) == (422, "rows")
    same = client.get("/funders/unmet-need", params={"rows": "reason", "columns": "reason"})
    assert (same.status_code, same.json()["rule"]) == (422, "distinct")


def test_needs_waiting_on_a_report_are_apart_from_places_to_buy(
    client: TestClient, app_engine: Engine
) -> None:
    add_unreported_needs(app_engine)
    by_reason = client.get("/funders/unmet-need", params={"columns": "reason"}).json()
    assert "capacity_unknown" in by_reason["columns"]
    table = client.get("/funders/unmet-need", params={"columns": "action"}).json()
    assert {"ask the providers to report", "buy places"} <= set(table["columns"])
    row = table["cells"][table["rows"].index("legal")]
    assert row[table["columns"].index("ask the providers to report")] == 11


def test_fund(client: TestClient) -> None:
    fund = client.get("/funders/fund").json()
    assert fund["balance"] == fund["available"] > 0
    assert fund["spent"] == 0
    assert fund["purchases"]["cells"] == []


def test_plan_compares_exact_and_naive(client: TestClient) -> None:
    plan = client.get("/funders/plan", params={"budget": 20000}).json()
    assert (plan["exact"]["method"], plan["naive"]["method"]) == ("exact", "largest_gap")
    assert plan["exact"]["spend"] <= 20000
    for summary in (plan["exact"], plan["naive"]):
        assert summary["needs_met"] is None or summary["needs_met"] > 10
    cells = [v for row in plan["met"]["cells"] for v in row]
    assert all(v is None or v == 0 or v > 10 for v in cells)
    assert plan["unspent"] == round(20000 - plan["exact"]["spend"], 2)
    assert plan["why_unspent"]
    for why in plan["why_unspent"]:
        count = why.split(" unmet needs: ")[0]
        assert count == "fewer than 11" or int(count.replace(",", "")) > 10
    bad = client.get("/funders/plan", params={"budget": -1})
    assert (bad.status_code, bad.json()["field"]) == (422, "budget")


def test_impact_is_suppressed_for_funders_and_named_for_case_managers(client: TestClient) -> None:
    change = {
        "program_id": "sodo-bright-lamp-mission",
        "drop_barrier": "requires_religious_participation",
        "add_places": 5,
    }
    funder = client.post("/funders/impact", json=change).json()
    assert funder["needs_met_now"] > 10
    assert funder["net_gain"] is None  # 3 people would gain: too few to show a funder
    mine = client.post("/case-managers/cm-ana/impact", json=change).json()["participants"]
    others = client.post("/case-managers/cm-other/impact", json=change).json()["participants"]
    assert others == {}
    assert sum(len(needs) for needs in mine.values()) == 3
    assert all(need.startswith(pid) for pid, needs in mine.items() for need in needs)
    unknown = client.post("/funders/impact", json={"program_id": "nope"})
    assert (unknown.status_code, unknown.json()["field"]) == (422, "program_id")


def test_which_rule_keeps_people_out(client: TestClient) -> None:
    table = client.get("/funders/unmet-need", params={"rows": "category", "columns": "rule"}).json()
    assert "excludes_active_use" in table["columns"] or table["suppressed_cells"] > 0
    assert table["cells"][-1][-1] is None or table["cells"][-1][-1] > 10


def test_trends_from_the_ledger(client: TestClient) -> None:
    body = {
        "location": {"lat": 47.6145, "lon": -122.3446},
        "needs": [{"service_types": ["housing.shelter"]}],
    }
    made = client.post("/case-managers/cm-ana/participants", json=body).json()
    pid, need = made["id"], made["needs"][0]["id"]
    client.put(
        "/providers/org-harbor/programs/belltown-harbor-shelter/capacity",
        json={"open_slots": 9, "waitlist": 0},
    )
    hold = {"participant_id": pid, "need_id": need, "program_id": "belltown-harbor-shelter"}
    assert client.post("/case-managers/cm-ana/holds", json=hold).status_code == 201
    table = client.get("/funders/trends", params={"days": 30}).json()
    assert table["columns"] == ["holds", "total"]
    assert table["cells"][0][0] is None  # one hold: suppressed
    assert client.get("/funders/trends", params={"days": 0}).status_code == 422


def test_unmet_need_rolls_up_as_the_page_does(client: TestClient) -> None:
    """The sample city is small: by service it rolls up to categories and the whole city,
    by area to districts, and says so; every count shown is 0 or over 10."""
    view = client.get("/funders/unmet-need/readable").json()
    service, area = view["by_service"], view["by_area"]
    assert (service["rows"], service["columns"], service["rolled_up"]) == (
        "category",
        "city",
        True,
    )
    assert (area["rows"], area["columns"], area["rolled_up"]) == ("district", "all", True)
    assert "Downtown" in area["table"]["rows"]
    assert 0 < service["finest_hidden"] <= service["finest_cells"]
    for part in (service, area, view["unreported"]):
        if part is not None:
            cells = [v for row in part["table"]["cells"] for v in row]
            assert all(v is None or v == 0 or v > 10 for v in cells)


def test_the_rolled_up_tables_are_for_funders_only(client: TestClient) -> None:
    headers = bearer(client.engine, "case_manager", CM)  # type: ignore[attr-defined]
    assert client.get("/funders/unmet-need/readable", headers=headers).status_code == 403
