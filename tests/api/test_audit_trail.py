"""An audit nothing skips: a write and its record commit together; a read is recorded
before it answers; the log cannot be wiped; records say who did what to which objects."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from api.audit import action_of
from matcher.cli import app as cli
from matcher.jobs.sweep import sweep_once
from tests.api.conftest import CM, Clock, bearer
from tests.api.test_case_managers import BASE, consent_to, new_participant

PROGRAM = "/providers/org-harbor/programs/belltown-harbor-shelter"
SHELTER = "belltown-harbor-shelter"


def _hold(person: dict[str, Any]) -> dict[str, str]:
    """A hold's body for the participant's first need at the shelter."""
    return {
        "participant_id": person["id"],
        "need_id": person["needs"][0]["id"],
        "program_id": SHELTER,
    }


def _scalar(engine: Engine, sql: str) -> Any:
    with engine.connect() as c:
        return c.execute(text(sql)).scalar_one()


@contextmanager
def refused_insert(engine: Engine, when: str) -> Iterator[None]:
    """While inside, the store refuses to append audit records matching ``when``."""
    if engine.dialect.name == "postgresql":
        made = [
            "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'audit store unavailable'; END; $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_event FOR EACH ROW "
            f"WHEN ({when}) EXECUTE FUNCTION refuse_audit()",
        ]
        dropped = ["DROP TRIGGER refuse_audit ON audit_event", "DROP FUNCTION refuse_audit()"]
    else:
        made = [
            f"CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_event WHEN {when} "
            "BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END"
        ]
        dropped = ["DROP TRIGGER refuse_audit"]
    with engine.begin() as c:
        for statement in made:
            c.execute(text(statement))
    try:
        yield
    finally:
        with engine.begin() as c:
            for statement in dropped:
                c.execute(text(statement))


def _log(client: TestClient, **params: str) -> list[dict[str, Any]]:
    answer = client.get("/audit", params=params, headers=bearer(client.engine, "auditor"))  # type: ignore[attr-defined]
    assert answer.status_code == 200, answer.json()
    return list(answer.json())


def test_a_write_whose_record_fails_is_rolled_back(client: TestClient) -> None:
    engine: Engine = client.engine  # type: ignore[attr-defined]
    before = client.get(PROGRAM).json()
    events = _scalar(engine, "SELECT count(*) FROM capacity_event")
    with refused_insert(engine, "NEW.outcome = 'allowed'"):
        failed = client.put(f"{PROGRAM}/capacity", json={"open_slots": 30, "waitlist": 0})
    assert failed.status_code == 500
    assert failed.json()["detail"] == "the server could not complete the request"
    assert client.get(PROGRAM).json() == before
    assert _scalar(engine, "SELECT count(*) FROM capacity_event") == events
    [failure] = [e for e in _log(client) if e["route"].startswith("PUT")]
    assert (failure["action"], failure["outcome"], failure["status"]) == (
        "capacity.report",
        "error",
        500,
    )
    assert failure["program_id"] == "belltown-harbor-shelter"


def test_a_read_whose_record_fails_is_not_answered(client: TestClient) -> None:
    person = new_participant(client, languages=["Tigrinya"])
    url = f"{BASE}/participants/{person['id']}"
    with refused_insert(client.engine, "NEW.outcome = 'allowed'"):  # type: ignore[attr-defined]
        refused = client.get(url)
    assert refused.status_code == 500
    assert person["id"] not in refused.text
    assert "Tigrinya" not in refused.text
    assert client.get(url).status_code == 200


def test_every_write_is_recorded_with_its_action_objects_and_username(
    client: TestClient,
) -> None:
    made = new_participant(client)
    person = made["id"]
    consent_to(client, person, "org-harbor")
    client.put(f"{PROGRAM}/capacity", json={"open_slots": 9, "waitlist": 1})
    held = client.post(f"{BASE}/holds", json=_hold(made))
    rid = held.json()["referral_id"]
    assert client.post(f"{BASE}/referrals/{rid}/confirm").status_code == 200
    assert client.post(f"{BASE}/referrals/{rid}/decline").status_code == 200
    declined = f"{BASE}/participants/{person}/needs/{made['needs'][0]['id']}/declined/{SHELTER}"
    assert client.delete(declined).status_code in (200, 204)  # they changed their mind
    second = client.post(f"{BASE}/holds", json=_hold(made))
    other = second.json()["referral_id"]
    assert client.post(f"{BASE}/referrals/{other}/release").status_code == 200
    log = _log(client, username=f"case_manager:{CM}")
    assert log
    assert {e["username"] for e in log} == {f"case_manager:{CM}"}
    by_referral = {(e["action"], e["referral_id"]) for e in log if e["referral_id"] in (rid, other)}
    assert by_referral == {
        ("referral.hold", rid),
        ("referral.confirm", rid),
        ("referral.withdraw", rid),  # the participant declined the option
        ("referral.clear_decline", rid),
        ("referral.hold", other),
        ("referral.release", other),
    }
    writes = [e for e in log if e["route"].split()[0] in ("POST", "PUT")]
    assert all(e["outcome"] == "allowed" for e in writes)
    named = {e["action"]: e["participant_id"] for e in writes}
    assert (named["participant.create"], named["consent.grant"]) == (person, person)
    provider = _log(client, username="provider:org-harbor")
    assert [e["action"] for e in provider if e["route"].startswith("PUT")] == ["capacity.report"]
    assert _log(client, actor=log[0]["actor"]) == log  # the account id still filters
    assert _log(client, actor=f"case_manager:{CM}") == log  # and so does the name


def test_a_refused_write_is_recorded_after_its_rollback(client: TestClient) -> None:
    person = new_participant(client)["id"]
    stale = client.put(
        f"{BASE}/participants/{person}",
        json={"location": {"lat": 47.6, "lon": -122.3}},
        headers={"If-Match": '"99"'},
    )
    assert stale.status_code == 409
    [entry] = [e for e in _log(client, object_id=person) if e["route"].startswith("PUT")]
    assert (entry["action"], entry["outcome"], entry["status"]) == (
        "participant.update",
        "conflict",
        409,
    )


def test_the_sweeper_is_recorded_as_the_system(client: TestClient, clock: Clock) -> None:
    made = new_participant(client)
    person = made["id"]
    client.put(f"{PROGRAM}/capacity", json={"open_slots": 9, "waitlist": 1})
    rid = client.post(f"{BASE}/holds", json=_hold(made)).json()["referral_id"]
    clock.advance(days=30)
    assert sweep_once(client.engine, clock) == 1  # type: ignore[attr-defined]
    [expiry] = _log(client, username="system")
    assert (expiry["actor"], expiry["action"], expiry["referral_id"]) == (
        "system",
        "referral.expire",
        rid,
    )
    assert expiry["participant_id"] == person


def test_the_log_cannot_be_wiped(app_engine: Engine) -> None:
    statements = ["UPDATE audit_event SET actor = 'x'", "DELETE FROM audit_event"]
    if app_engine.dialect.name == "postgresql":
        statements.append("TRUNCATE audit_event")
    with app_engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO audit_event (at, actor, role, action, object_type, outcome, status)"
                " VALUES (CURRENT_TIMESTAMP, 'a', 'admin', 'x.read', 'collection', 'allowed', 200)"
            )
        )
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), app_engine.begin() as c:
            c.execute(text(statement))
    assert _scalar(app_engine, "SELECT count(*) FROM audit_event") == 1


def test_the_command_line_filters_by_username(client: TestClient) -> None:
    new_participant(client)
    client.get("/funders/fund")
    url = str(client.engine.url.render_as_string(hide_password=False))  # type: ignore[attr-defined]
    shown = CliRunner().invoke(
        cli, ["audit", "--username", f"case_manager:{CM}", "--database-url", url]
    )
    assert shown.exit_code == 0, shown.output
    lines = shown.output.strip().splitlines()
    assert lines
    assert all(f"case_manager:{CM}" in line for line in lines)
    assert any("participant.create" in line for line in lines)
    assert not any("funder" in line for line in lines)


@pytest.mark.parametrize(
    ("method", "template", "params", "action"),
    [
        (
            "POST",
            "/case-managers/{case_manager_id}/referrals/{referral_id}/confirm",
            {},
            "referral.confirm",
        ),
        (
            "POST",
            "/providers/{organization_id}/referrals/{referral_id}/decline",
            {},
            "referral.decline",
        ),
        (
            "GET",
            "/case-managers/{case_manager_id}/participants/{participant_id}",
            {},
            "participant.read",
        ),
        ("GET", "/case-managers/{case_manager_id}/participants", {}, "participant.list"),
        (
            "PUT",
            "/case-managers/{case_manager_id}/participants/{participant_id}/plan",
            {},
            "participant.plan.update",
        ),
        (
            "POST",
            "/web/case-manager/referrals/{referral_id}/{action}",
            {"action": "release"},
            "referral.release",
        ),
        (
            "POST",
            "/web/case-manager/referrals/{referral_id}/{action}",
            {"action": "x y"},
            "referral.unknown",
        ),
        ("GET", "/", {}, "app.read"),
    ],
)
def test_actions_are_named_in_words(
    method: str, template: str, params: dict[str, str], action: str
) -> None:
    assert action_of(method, template, params) == action
