"""``/funders/fund/top-ups``: funders and admins add money; a retry with the same
``Idempotency-Key`` adds it once; a bad amount is a 422 naming the field."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import select

from matcher.store import tables as t
from matcher.store.engine import session_scope
from tests.api.conftest import bearer

URL = "/funders/fund/top-ups"


def test_a_top_up_raises_the_balance_and_is_listed_and_audited(client: TestClient) -> None:
    before = client.get("/funders/fund").json()["balance"]
    made = client.post(URL, json={"amount": 2500.25, "note": "county grant"})
    assert made.status_code == 201, made.text
    assert made.json()["amount"] == 2500.25
    assert made.json()["actor"] == "funder:-"
    assert client.get("/funders/fund").json()["balance"] == round(before + 2500.25, 2)
    listed = client.get(URL).json()
    assert [(u["amount"], u["note"]) for u in listed] == [(2500.25, "county grant")]
    with session_scope(client.engine) as s:  # type: ignore[attr-defined]
        actions = s.exec(select(t.AuditEvent.action).where(t.AuditEvent.action == "fund.top_up"))
        assert list(actions) == ["fund.top_up"]


def test_a_retry_with_the_same_key_adds_the_money_once(client: TestClient) -> None:
    before = client.get("/funders/fund").json()["balance"]
    key = {"Idempotency-Key": "grant-2026-q4"}
    first = client.post(URL, json={"amount": 100}, headers=key)
    again = client.post(URL, json={"amount": 100}, headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert client.get("/funders/fund").json()["balance"] == round(before + 100, 2)
    other = client.post(URL, json={"amount": 200}, headers=key)
    assert other.status_code == 409


def test_bad_amounts_are_refused_naming_the_field(client: TestClient) -> None:
    for amount in (0, -1, 2e12, "ten", "10", True, 10.005, 0.001):
        refused = client.post(URL, json={"amount": amount})
        assert refused.status_code == 422, (amount, refused.text)
        assert refused.json()["field"] == "amount"
    assert client.get(URL).json() == []  # nothing half-written
    assert client.post(URL, json={"amount": 1, "note": "x" * 501}).status_code == 422
    assert client.get(URL).json() == []


def test_admins_may_top_up_and_case_managers_may_not(client: TestClient) -> None:
    engine = client.engine  # type: ignore[attr-defined]
    admin = client.post(URL, json={"amount": 5}, headers=bearer(engine, "admin"))
    assert admin.status_code == 201
    cm = client.post(URL, json={"amount": 5}, headers=bearer(engine, "case_manager", "cm-ana"))
    assert cm.status_code == 403
    assert client.get(URL, headers=bearer(engine, "auditor")).status_code == 403
