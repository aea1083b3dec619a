"""LEAD's queue and offers over HTTP: case managers see their waiting needs and the
places offered to them, accept or pass; funders see waiting times, suppressed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from matcher.jobs.offers import offer_freed
from matcher.scenario import parse_scenario
from matcher.store import tables as t
from matcher.store.engine import session_scope
from matcher.store.snapshot import add_participant, add_program
from tests.api.conftest import CM, START, Clock
from tests.builders import make_need, make_participant, make_program, make_scenario_json

BASE = f"/case-managers/{CM}"


def test_the_queue_lists_waiting_needs_longest_first_with_their_offers(
    client: TestClient, app_engine: Engine, clock: Clock
) -> None:
    before = client.get(f"{BASE}/queue", params={"limit": 500}).json()
    assert before, "the sample city's participants wait"
    assert all(w["offer_id"] is None for w in before)
    assert before[0]["waiting_since"] <= before[-1]["waiting_since"]
    assert all(0 <= w["days_waiting"] < 1 for w in before)  # imported just before START
    made = offer_freed(app_engine, clock)  # every program reported when imported
    assert made > 0
    after = client.get(f"{BASE}/queue", params={"limit": 500}).json()
    offered = [w for w in after if w["offer_id"] is not None]
    assert len(offered) == made
    assert {w["need_id"] for w in after} == {w["need_id"] for w in before}


def test_accept_makes_a_hold_and_pass_gives_the_place_back(
    client: TestClient, app_engine: Engine, clock: Clock
) -> None:
    client.get(f"{BASE}/queue")  # the case manager's account exists: offers are announced
    offer_freed(app_engine, clock)
    offered = [
        w for w in client.get(f"{BASE}/queue", params={"limit": 500}).json() if w["offer_id"]
    ]
    first, second = offered[0]["offer_id"], offered[1]["offer_id"]
    with session_scope(app_engine) as s:
        kinds = s.exec(select(t.Notification.kind)).all()
    assert kinds.count("offer_made") == len(offered)
    accepted = client.post(f"{BASE}/referrals/{first}/accept")
    assert (accepted.status_code, accepted.json()["status"]) == (200, "held")
    passed = client.post(f"{BASE}/referrals/{second}/pass")
    assert (passed.status_code, passed.json()["status"]) == (200, "passed")
    again = client.post(f"{BASE}/referrals/{second}/accept")
    assert (again.status_code, again.json()["rule"]) == (409, "not_offered")
    other = client.post(f"/case-managers/cm-other/referrals/{first}/pass")
    assert other.status_code == 404
    waiting = {w["need_id"] for w in client.get(f"{BASE}/queue", params={"limit": 500}).json()}
    assert offered[1]["need_id"] in waiting  # the need waits again, its time kept
    assert offered[0]["need_id"] not in waiting  # held now


def test_funders_see_waiting_times_suppressed(client: TestClient, clock: Clock) -> None:
    clock.advance(days=10)
    summary = client.get("/funders/waiting").json()
    table = summary["table"]
    assert table["columns"][:-1] == ["7-29 days"]
    cells = [v for row in table["cells"] for v in row]
    assert all(v is None or v == 0 or v > 10 for v in cells)
    assert summary["waiting"] is None or summary["waiting"] > 10
    assert START.isoformat()[:10] not in str(summary)  # no single wait is shown


SCARCE = "legal.expungement"


def add_scarce_place(engine: Engine, acute_case_manager: str = CM) -> None:
    """One place of a service nobody else offers, and two participants who need it:
    ``q-calm`` (not acute) and ``q-acute`` (in ``acute_case_manager``'s case load)."""
    clinic = make_program(
        id="one-place", provider_id="org-one", service_types=[SCARCE], capacity={"open_slots": 1}
    )
    people = [
        make_participant(id=pid, needs=[make_need(id=f"{pid}-1", service_types=[SCARCE], acute=a)])
        for pid, a in (("q-calm", False), ("q-acute", True))
    ]
    scenario = parse_scenario(make_scenario_json([clinic], people))
    with session_scope(engine) as s:
        s.add(t.Organization(id="org-one", name="One place"))
        s.flush()
        add_program(s, scenario.programs[0], START)
        for person in scenario.participants:
            add_participant(s, person, acute_case_manager if person.id == "q-acute" else CM, START)


def test_a_hold_the_queue_keeps_for_an_acute_need_is_refused_with_what_remains(
    client: TestClient, app_engine: Engine
) -> None:
    add_scarce_place(app_engine)
    calm = client.post(f"{BASE}/participants/q-calm/matches").json()["needs"][0]
    assert (calm["recommended"], calm["reason"]) == (None, "kept_for_more_urgent")
    assert [o["program_id"] for o in calm["options"]] == ["one-place"]
    body = {"participant_id": "q-calm", "need_id": "q-calm-1", "program_id": "one-place"}
    refused = client.post(f"{BASE}/holds", json={**body, "pool": "general"})
    assert refused.status_code == 409
    problem = refused.json()
    assert (problem["rule"], problem["remaining"]) == ("kept_for_more_urgent", [])
    acute = client.post(f"{BASE}/participants/q-acute/matches").json()["needs"][0]
    assert acute["recommended"]["program_id"] == "one-place"
    body = {"participant_id": "q-acute", "need_id": "q-acute-1", "program_id": "one-place"}
    assert client.post(f"{BASE}/holds", json={**body, "pool": "general"}).status_code == 201


def test_each_case_loads_batch_is_the_queues_answer_and_every_place_in_it_can_be_held(
    client: TestClient, app_engine: Engine
) -> None:
    """Two case loads compete for one place: the batch of the one whose participant is
    less urgent keeps it for the other, and says so."""
    other = "cm-bea"
    add_scarce_place(app_engine, acute_case_manager=other)
    mine = client.post(f"{BASE}/batch-match").json()
    theirs = client.post(f"/case-managers/{other}/batch-match").json()
    assert mine["format"] == theirs["format"] == "lead-matcher/assignment@1"
    reasons = {u["need_id"]: u["reason"] for u in mine["unmatched"]}
    assert reasons["q-calm-1"] == "kept_for_more_urgent"
    assert "q-acute-1" not in reasons
    assert [(a["need_id"], a["program_id"]) for a in theirs["assignments"]] == [
        ("q-acute-1", "one-place")
    ]
    assert theirs["objective"] == {"acute_matched": 1, "matched": 1, "spend": 0.0}
    waiting = {w["need_id"] for w in client.get(f"{BASE}/queue", params={"limit": 500}).json()}
    answered = [a["need_id"] for a in mine["assignments"]] + list(reasons)
    assert sorted(answered) == sorted(waiting)  # every open need of the case load, once
    for cm, answer in ((CM, mine), (other, theirs)):
        for a in answer["assignments"]:
            body = {k: a[k] for k in ("participant_id", "need_id", "program_id", "pool")}
            held = client.post(f"/case-managers/{cm}/holds", json=body)
            assert held.status_code == 201, (a, held.json())
