"""Providers' endpoints: programs, capacity reports with versions and idempotency keys."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import bearer

PROGRAM = "/providers/org-harbor/programs/belltown-harbor-shelter"


def test_health_and_openapi(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok", "database": "ok"}
    paths = client.get("/openapi.json").json()["paths"]
    assert "/providers/{organization_id}/programs/{program_id}/capacity" in paths
    assert client.get("/docs").status_code == 200


def test_list_own_programs(client: TestClient) -> None:
    [program] = client.get("/providers/org-harbor/programs").json()
    # Imported with 6 open, 1 held (counted as taken), 4 waiting: 1 unused.
    assert (
        program["program_id"],
        program["open_slots"],
        program["waitlist"],
        program["unused"],
    ) == (
        "belltown-harbor-shelter",
        5,
        4,
        1,
    )
    harbor = bearer(client.engine, "provider", "org-harbor")  # type: ignore[attr-defined]
    assert client.get("/providers/org-nobody/programs", headers=harbor).status_code == 404


def test_another_organisations_program_answers_like_a_missing_one(client: TestClient) -> None:
    theirs = client.get("/providers/org-lantern/programs/belltown-harbor-shelter")
    missing = client.get("/providers/org-lantern/programs/no-such-program")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["rule"] == missing.json()["rule"] == "not_found"
    lantern = bearer(client.engine, "provider", "org-lantern")  # type: ignore[attr-defined]
    other_org = client.get("/providers/org-harbor/programs", headers=lantern)
    no_org = client.get("/providers/org-nobody/programs", headers=lantern)
    assert other_org.status_code == no_org.status_code == 404
    assert other_org.json()["rule"] == no_org.json()["rule"] == "not_found"


def test_report_with_if_match_and_stale_version(client: TestClient) -> None:
    etag = client.get(PROGRAM).headers["ETag"]
    ok = client.put(
        f"{PROGRAM}/capacity", json={"open_slots": 8, "waitlist": 3}, headers={"If-Match": etag}
    )
    assert ok.status_code == 200
    assert (ok.json()["unused"], ok.headers["ETag"]) == (5, f'"{int(etag.strip(chr(34))) + 1}"')
    stale = client.put(
        f"{PROGRAM}/capacity", json={"open_slots": 0, "waitlist": 0}, headers={"If-Match": etag}
    )
    assert stale.status_code == 409
    body = stale.json()
    assert stale.headers["content-type"] == "application/problem+json"
    assert (body["rule"], body["field"], body["current"]["open_slots"]) == (
        "stale_version",
        "If-Match",
        8,
    )


def test_idempotency_key_replays_and_refuses_reuse(client: TestClient) -> None:
    headers = {"Idempotency-Key": "report-7"}
    first = client.put(
        f"{PROGRAM}/capacity", json={"open_slots": 9, "waitlist": 1}, headers=headers
    )
    again = client.put(
        f"{PROGRAM}/capacity", json={"open_slots": 9, "waitlist": 1}, headers=headers
    )
    assert first.json() == again.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert client.get(PROGRAM).json()["version"] == first.json()["version"]  # acted once
    other = client.put(
        f"{PROGRAM}/capacity", json={"open_slots": 1, "waitlist": 1}, headers=headers
    )
    assert (other.status_code, other.json()["rule"]) == (409, "idempotency_key_reused")


def test_invalid_report_names_field_and_rule(client: TestClient) -> None:
    before = client.get(PROGRAM).json()
    bad = client.put(f"{PROGRAM}/capacity", json={"open_slots": -1, "waitlist": 0})
    assert bad.status_code == 422
    assert (bad.json()["field"], bad.json()["rule"]) == ("open_slots", "greater_than_equal")
    extra = client.put(f"{PROGRAM}/capacity", json={"open_slots": 1, "waitlist": 0, "version": 9})
    assert (extra.status_code, extra.json()["rule"]) == (422, "extra_forbidden")
    assert client.get(PROGRAM).json() == before


def test_oversized_body_gets_413(client: TestClient) -> None:
    response = client.put(
        f"{PROGRAM}/capacity",
        content=b'{"open_slots": 1, "waitlist": 0, "reason": "' + b"x" * 300_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert (response.status_code, response.json()["rule"]) == (413, "body_too_large")
