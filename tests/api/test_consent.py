"""Consent in the manner of 42 CFR Part 2: grant, period, revocation, minimum disclosure,
the redisclosure notice, and the participant's list of disclosures."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import CM, Clock, bearer

BASE = f"/case-managers/{CM}"
HOME = {"lat": 47.6145, "lon": -122.3446}


def participant(client: TestClient, needs: list[dict[str, Any]], **attributes: Any) -> str:
    """A new participant's pseudonym; its first need's id is ``first_need(client, pid)``."""
    body = {
        "location": HOME,
        "attributes": {"age": 40, "gender": "woman", **attributes},
        "needs": needs,
    }
    made = client.post(f"{BASE}/participants", json=body)
    assert made.status_code == 201, made.json()
    return str(made.json()["id"])


def first_need(client: TestClient, pid: str) -> str:
    return str(client.get(f"{BASE}/participants/{pid}").json()["needs"][0]["id"])


def hold_and_confirm(client: TestClient, pid: str, need: str, program: str) -> Any:
    held = client.post(
        f"{BASE}/holds", json={"participant_id": pid, "need_id": need, "program_id": program}
    )
    assert held.status_code == 201, held.json()
    return client.post(f"{BASE}/referrals/{held.json()['referral_id']}/confirm")


def test_consent_period_and_category_decide_whether_a_referral_goes(
    client: TestClient, clock: Clock
) -> None:
    client.put(
        "/providers/org-harbor/programs/belltown-harbor-shelter/capacity",
        json={"open_slots": 9, "waitlist": 0},
    )
    pid = participant(client, [{"service_types": ["housing.shelter"]}])
    url = f"{BASE}/participants/{pid}/consents"
    wrong_kind = {
        "recipient_type": "organization",
        "recipient_id": "org-harbor",
        "categories": ["legal"],
    }
    assert client.post(url, json=wrong_kind).status_code == 201
    held = hold_and_confirm(client, pid, first_need(client, pid), "belltown-harbor-shelter")
    assert held.json()["rule"] == "consent_required"
    later = {
        "recipient_type": "program",
        "recipient_id": "belltown-harbor-shelter",
        "categories": ["housing"],
        "starts_at": "2026-11-22T12:00:00Z",
        "ends_at": "2026-11-22T13:00:00Z",
    }
    assert client.post(url, json=later).status_code == 201
    [referral] = client.get(f"{BASE}/referrals", params={"participant_id": pid}).json()
    rid = referral["referral_id"]
    assert client.post(f"{BASE}/referrals/{rid}/confirm").status_code == 409  # not started yet
    clock.advance(hours=3.5)  # 12:30: inside the period
    assert client.post(f"{BASE}/referrals/{rid}/confirm").json()["status"] == "referred"
    [seen] = client.get("/providers/org-harbor/referrals").json()
    assert seen["participant_id"] == pid
    assert seen["notice"] is None  # housing is not substance-use treatment
    clock.advance(hours=1)  # 13:30: the consent has ended
    [after] = client.get("/providers/org-harbor/referrals").json()
    assert (after["participant_id"], after["facts"], after["service_types"]) == ("withheld", {}, [])
    disclosed = client.get(f"{BASE}/participants/{pid}/disclosures").json()
    assert [(d["referral_id"], d["recipient_id"]) for d in disclosed] == [(rid, "org-harbor")]
    assert "age" not in disclosed[0]["fields"]  # the shelter asks nothing about age


def test_treatment_referral_carries_the_notice_and_only_asked_facts(client: TestClient) -> None:
    program: dict[str, Any] = {
        "program_id": "downtown-kite-street-otp",
        "service_types": ["treatment.mat"],
    }
    pid = participant(
        client,
        [{"service_types": program["service_types"][:1]}],
        active_use=True,
        sex_work=True,
    )
    consent = client.post(
        f"{BASE}/participants/{pid}/consents",
        json={
            "recipient_type": "organization",
            "recipient_id": "org-kite-street",
            "categories": ["treatment"],
        },
    ).json()
    confirmed = hold_and_confirm(client, pid, first_need(client, pid), program["program_id"])
    assert confirmed.status_code == 200, confirmed.json()
    [seen] = client.get("/providers/org-kite-street/referrals").json()
    assert "42 CFR part 2" in seen["notice"]
    assert seen["facts"] == {"has_id": True}  # the program requires ID: nothing else goes
    [disclosure] = client.get(f"{BASE}/participants/{pid}/disclosures").json()
    assert disclosure["notice"] is True
    revoked = client.post(
        f"{BASE}/participants/{pid}/consents/{consent['consent_id']}/revoke"
    ).json()
    assert revoked["revoked_at"] is not None
    [after] = client.get("/providers/org-kite-street/referrals").json()
    assert after["participant_id"] == "withheld"


def test_consents_are_the_case_managers_own(client: TestClient) -> None:
    pid = participant(client, [{"service_types": ["food.meals"]}])
    body = {"recipient_type": "organization", "recipient_id": "org-harbor", "categories": ["*"]}
    other = client.post(f"/case-managers/cm-bob/participants/{pid}/consents", json=body)
    assert other.status_code == 404
    nowhere = client.post(
        f"{BASE}/participants/{pid}/consents", json={**body, "recipient_id": "org-none"}
    )
    assert (nowhere.status_code, nowhere.json()["field"]) == (404, "recipient_id")


def test_populations_go_only_to_a_program_reserved_for_them_and_only_those(
    client: TestClient,
) -> None:
    admin = bearer(client.engine, "admin")  # type: ignore[attr-defined]
    vets_id = "belltown-veterans-house"
    vets: dict[str, Any] = {
        "id": vets_id,
        "provider_id": "org-harbor",
        "service_types": ["housing.supportive"],
        "location": HOME,
        "eligibility": {"reserved_for": ["veteran"]},
    }
    assert client.post("/admin/programs", json=vets, headers=admin).status_code == 201
    client.put(
        f"/providers/org-harbor/programs/{vets_id}/capacity",
        json={"open_slots": 3, "waitlist": 0},
    )
    client.put(
        "/providers/org-harbor/programs/belltown-harbor-shelter/capacity",
        json={"open_slots": 9, "waitlist": 0},
    )
    pid = participant(
        client,
        [
            {"service_types": ["housing.supportive"]},
            {"service_types": ["housing.shelter"]},
        ],
        populations=["hiv", "veteran"],
    )
    stored = client.get(f"{BASE}/participants/{pid}").json()
    supportive, shelter = (n["id"] for n in stored["needs"])
    assert stored["attributes"]["populations"] == ["hiv", "veteran"]
    client.post(
        f"{BASE}/participants/{pid}/consents",
        json={"recipient_type": "organization", "recipient_id": "org-harbor", "categories": ["*"]},
    )
    for need, program in ((supportive, vets_id), (shelter, "belltown-harbor-shelter")):
        assert hold_and_confirm(client, pid, need, program).status_code == 200
    seen = {r["program_id"]: r for r in client.get("/providers/org-harbor/referrals").json()}
    assert seen[vets_id]["facts"]["populations"] == ["veteran"]  # never "hiv"
    assert "populations" not in seen["belltown-harbor-shelter"]["facts"]
    fields = {
        d["referral_id"]: d["fields"]
        for d in client.get(f"{BASE}/participants/{pid}/disclosures").json()
    }
    assert sorted("populations" in f for f in fields.values()) == [False, True]
