"""LEAD's queue and offers over HTTP: case managers see their waiting needs and the
places offered to them, accept or pass; funders see waiting times, suppressed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from matcher.jobs.offers import offer_freed
from matcher.store import tables as t
from matcher.store.engine import session_scope
from tests.api.conftest import CM, START, Clock

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
