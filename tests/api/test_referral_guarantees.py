"""Referral guarantees through the HTTP API: what a case manager and a provider see."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import CM, Clock
from tests.api.test_case_managers import consent_to, new_participant

BASE = f"/case-managers/{CM}"
SHELTER = "belltown-harbor-shelter"
PROGRAM_URL = f"/providers/org-harbor/programs/{SHELTER}"


def _first_need(client: TestClient, participant_id: str) -> str:
    person = client.get(f"{BASE}/participants/{participant_id}").json()
    return str(person["needs"][0]["id"])


def _hold(client: TestClient, participant_id: str, need_id: str | None = None) -> str:
    need_id = need_id or _first_need(client, participant_id)
    body = {"participant_id": participant_id, "need_id": need_id, "program_id": SHELTER}
    made = client.post(f"{BASE}/holds", json=body)
    assert made.status_code == 201, made.json()
    return str(made.json()["referral_id"])


def test_a_released_hold_never_reaches_the_provider(client: TestClient) -> None:
    made = new_participant(client)
    client.put(f"{PROGRAM_URL}/capacity", json={"open_slots": 9, "waitlist": 0})
    rid = _hold(client, made["id"])
    client.post(f"{BASE}/referrals/{rid}/release")
    for status in ("released", "expired", None):
        query = {"status": status} if status else {}
        seen = client.get("/providers/org-harbor/referrals", params=query).json()
        assert rid not in {r["referral_id"] for r in seen}
    assert client.post(f"/providers/org-harbor/referrals/{rid}/enrol").status_code == 404


def test_a_second_hold_for_a_need_is_409_need_already_held(client: TestClient) -> None:
    made = new_participant(client)
    client.put(f"{PROGRAM_URL}/capacity", json={"open_slots": 9, "waitlist": 0})
    _hold(client, made["id"])
    again = client.post(
        f"{BASE}/holds",
        json={
            "participant_id": made["id"],
            "need_id": made["needs"][0]["id"],
            "program_id": SHELTER,
        },
    )
    assert (again.status_code, again.json()["rule"], again.json()["field"]) == (
        409,
        "need_already_held",
        "need_id",
    )


def test_revoked_consent_withdraws_and_enrol_answers_409_consent_withdrawn(
    client: TestClient,
) -> None:
    made = new_participant(client)
    client.put(f"{PROGRAM_URL}/capacity", json={"open_slots": 9, "waitlist": 0})
    consent_id = consent_to(client, made["id"], "org-harbor")
    rid = _hold(client, made["id"])
    assert client.post(f"{BASE}/referrals/{rid}/confirm").json()["status"] == "referred"
    revoked = client.post(f"{BASE}/participants/{made['id']}/consents/{consent_id}/revoke")
    assert revoked.status_code == 200
    steps = client.get(f"{BASE}/referrals/{rid}/history").json()
    assert (steps[-1]["status"], steps[-1]["reason"]) == ("withdrawn", "consent_withdrawn")
    (seen,) = client.get("/providers/org-harbor/referrals").json()
    assert (seen["status"], seen["participant_id"], seen["facts"]) == ("withdrawn", "withheld", {})
    enrol = client.post(f"/providers/org-harbor/referrals/{rid}/enrol")
    assert (enrol.status_code, enrol.json()["rule"]) == (409, "consent_withdrawn")


def test_declines_steer_and_the_case_manager_can_clear_one(client: TestClient) -> None:
    made = new_participant(client)
    client.put(f"{PROGRAM_URL}/capacity", json={"open_slots": 9, "waitlist": 0})
    rid = _hold(client, made["id"])
    client.post(f"{BASE}/referrals/{rid}/decline")  # the participant declines
    person = client.get(f"{BASE}/participants/{made['id']}").json()
    assert person["needs"][0]["declined_programs"] == [SHELTER]
    assert person["needs"][1]["declined_programs"] == []
    found = client.post(f"{BASE}/participants/{made['id']}/matches").json()["needs"][0]
    assert SHELTER not in {o["program_id"] for o in found["options"]}
    assert (found["recommended"] or {}).get("program_id") != SHELTER
    refused = client.post(
        f"{BASE}/holds",
        json={
            "participant_id": made["id"],
            "need_id": made["needs"][0]["id"],
            "program_id": SHELTER,
        },
    )
    assert (refused.status_code, refused.json()["rule"]) == (422, "declined")
    url = f"{BASE}/participants/{made['id']}/needs/{made['needs'][0]['id']}/declined/{SHELTER}"
    cleared = client.delete(url)
    assert cleared.status_code == 200
    assert cleared.json()["needs"][0]["declined_programs"] == []
    assert client.delete(url).status_code == 404
    _hold(client, made["id"])


def test_a_providers_form_is_not_made_stale_by_holds(client: TestClient) -> None:
    made = new_participant(client)
    etag = client.get(PROGRAM_URL).headers["ETag"]
    rid = _hold(client, made["id"])
    client.post(f"{BASE}/referrals/{rid}/release")
    saved = client.put(
        f"{PROGRAM_URL}/capacity",
        json={"open_slots": 4, "waitlist": 0},
        headers={"If-Match": etag},
    )
    assert saved.status_code == 200, saved.json()
    stale = client.put(
        f"{PROGRAM_URL}/capacity",
        json={"open_slots": 5, "waitlist": 0},
        headers={"If-Match": etag},
    )
    assert (stale.status_code, stale.json()["rule"]) == (409, "stale_version")


def test_an_unanswered_referral_is_flagged_overdue(client: TestClient, clock: Clock) -> None:
    made = new_participant(client)
    client.put(f"{PROGRAM_URL}/capacity", json={"open_slots": 9, "waitlist": 0})
    consent_to(client, made["id"], "org-harbor")
    rid = _hold(client, made["id"])
    sent = client.post(f"{BASE}/referrals/{rid}/confirm").json()
    assert sent["overdue"] is False
    assert sent["respond_by"] is not None
    clock.advance(days=3, hours=1)
    (mine,) = client.get(f"{BASE}/referrals", params={"participant_id": made["id"]}).json()
    assert (mine["status"], mine["overdue"]) == ("referred", True)
