"""Case managers' endpoints end to end: participant, plan, match, hold, referral."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import CM, Clock

BASE = f"/case-managers/{CM}"
HOME = {"lat": 47.6145, "lon": -122.3446}  # Belltown


def consent_to(
    client: TestClient, participant_id: str, organization_id: str, *categories: str
) -> str:
    """The participant consents to share ``categories`` (all by default) with the provider."""
    body = {
        "recipient_type": "organization",
        "recipient_id": organization_id,
        "categories": list(categories) or ["*"],
    }
    made = client.post(f"{BASE}/participants/{participant_id}/consents", json=body)
    assert made.status_code == 201, made.json()
    return str(made.json()["consent_id"])


def new_participant(client: TestClient, **extra: Any) -> dict[str, Any]:
    body = {
        "location": HOME,
        "attributes": {"age": 35, "gender": "man", "household": "single", "active_use": True},
        "max_distance_km": 10.0,
        "needs": [
            {"service_types": ["housing.shelter"], "acute": True},
            {"service_types": ["food.meals"]},
        ],
        **extra,
    }
    response = client.post(f"{BASE}/participants", json=body)
    assert response.status_code == 201, response.json()
    return dict(response.json())


def test_participant_is_stored_under_a_pseudonym(client: TestClient) -> None:
    made = new_participant(client)
    assert made["id"].startswith("p-")
    assert made["active"]
    assert made["version"] == 1
    assert [n["service_types"] for n in made["needs"]] == [["housing.shelter"], ["food.meals"]]
    assert all(n["id"].startswith("n-") for n in made["needs"])
    again = client.get(f"{BASE}/participants/{made['id']}")
    assert again.json() == made
    other = client.get(f"/case-managers/cm-other/participants/{made['id']}")
    assert (other.status_code, other.json()["rule"]) == (404, "not_found")


def test_languages_are_stored_as_codes_and_populations_round_trip(client: TestClient) -> None:
    made = new_participant(
        client,
        languages=["Spanish", "english", "es-MX"],
        attributes={"populations": ["veteran", "youth"]},
    )
    assert made["languages"] == ["es", "en"]
    assert made["attributes"]["populations"] == ["veteran", "youth"]
    url = f"{BASE}/participants/{made['id']}"
    fields = {k: made[k] for k in ("location", "attributes", "max_distance_km")}
    changed = client.put(url, json={**fields, "languages": ["Vietnamese"]})
    assert changed.json()["languages"] == ["vi"]
    bad = client.post(
        f"{BASE}/participants", json={"location": HOME, "attributes": {"populations": "veteran"}}
    )
    assert (bad.status_code, bad.json()["field"]) == (422, "attributes.populations")


def test_update_deactivate_and_plan_order(client: TestClient) -> None:
    made = new_participant(client)
    url = f"{BASE}/participants/{made['id']}"
    fields = {
        k: made[k]
        for k in (
            "location",
            "attributes",
            "prefers",
            "languages",
            "max_distance_km",
            "stay_away",
            "avoid_programs",
        )
    }
    first, second = (n["id"] for n in made["needs"])
    off = client.put(url, json={**fields, "active": False}, headers={"If-Match": '"1"'})
    assert (off.status_code, off.json()["active"], off.json()["version"]) == (200, False, 2)
    stale = client.put(url, json=fields, headers={"If-Match": '"1"'})
    assert (stale.status_code, stale.json()["rule"]) == (409, "stale_version")
    assert made["id"] in [
        p["id"] for p in client.get(f"{BASE}/participants", params={"active": False}).json()
    ]
    plan = client.put(
        f"{url}/plan",
        json={
            "needs": [
                {"id": second, "service_types": ["food.meals"]},
                {"id": first, "service_types": ["housing.shelter"]},
            ]
        },
    )
    assert [n["id"] for n in plan.json()["needs"]] == [second, first]
    inactive = client.post(f"{url}/matches")
    assert (inactive.status_code, inactive.json()["rule"]) == (409, "inactive")


def test_invalid_participant_names_the_field(client: TestClient) -> None:
    bad = client.post(f"{BASE}/participants", json={"location": {"lat": 95, "lon": 0}})
    assert bad.status_code == 422
    assert (bad.json()["field"], bad.json()["rule"]) == ("location.lat", "less_than_equal")


def test_match_hold_confirm_enrol_and_history(client: TestClient, clock: Clock) -> None:
    made = new_participant(client)
    result = client.post(f"{BASE}/participants/{made['id']}/matches").json()
    shelter = result["needs"][0]
    assert shelter["need_id"] == made["needs"][0]["id"]
    assert shelter["status"] == "open"
    assert shelter["options"], shelter
    # Active drug use: no sobriety-rule program may appear among the options.
    assert all(o["program_id"] != "greenwood-stillwater-recovery-house" for o in shelter["options"])
    pick = shelter["recommended"] or shelter["options"][0]
    held = client.post(
        f"{BASE}/holds",
        json={
            "participant_id": made["id"],
            "need_id": made["needs"][0]["id"],
            "program_id": pick["program_id"],
            "pool": pick["pool"],
        },
    )
    assert held.status_code == 201, held.json()
    rid = held.json()["referral_id"]
    again = client.post(f"{BASE}/participants/{made['id']}/matches").json()
    assert (again["needs"][0]["status"], again["needs"][0]["referral_id"]) == ("held", rid)
    org = _organisation_of(client, pick["program_id"])
    refused = client.post(f"{BASE}/referrals/{rid}/confirm")
    assert (refused.status_code, refused.json()["rule"]) == (409, "consent_required")
    consent_to(client, made["id"], org, "housing")
    assert client.post(f"{BASE}/referrals/{rid}/confirm").json()["status"] == "referred"
    incoming = client.get(f"/providers/{org}/referrals").json()
    assert [r["referral_id"] for r in incoming] == [rid]
    clock.advance(hours=1)
    assert client.post(f"/providers/{org}/referrals/{rid}/enrol").json()["status"] == "enrolled"
    steps = client.get(f"{BASE}/referrals/{rid}/history").json()
    assert [s["status"] for s in steps] == ["held", "referred", "enrolled"]
    assert client.get(f"/case-managers/cm-other/referrals/{rid}/history").status_code == 404


def _organisation_of(client: TestClient, program_id: str) -> str:
    for org in ("org-harbor", "org-lantern", "org-bright-lamp"):
        if any(
            p["program_id"] == program_id for p in client.get(f"/providers/{org}/programs").json()
        ):
            return org
    raise AssertionError(program_id)


def test_hold_conflict_and_decline(client: TestClient) -> None:
    made = new_participant(client)
    url = "/providers/org-harbor/programs/belltown-harbor-shelter"
    client.put(f"{url}/capacity", json={"open_slots": 1, "waitlist": 1})
    refused = client.post(
        f"{BASE}/holds",
        json={
            "participant_id": made["id"],
            "need_id": made["needs"][0]["id"],
            "program_id": "belltown-harbor-shelter",
        },
    )
    assert (refused.status_code, refused.json()["rule"]) == (409, "no_room")
    client.put(f"{url}/capacity", json={"open_slots": 2, "waitlist": 1})
    held = client.post(
        f"{BASE}/holds",
        json={
            "participant_id": made["id"],
            "need_id": made["needs"][0]["id"],
            "program_id": "belltown-harbor-shelter",
        },
    )
    rid = held.json()["referral_id"]
    assert client.get(url).json()["unused"] == 0
    assert client.post(f"{BASE}/referrals/{rid}/decline").json()["status"] == "withdrawn"
    assert client.get(url).json()["unused"] == 1


def test_batch_match_returns_a_contract_assignment(client: TestClient) -> None:
    answer = client.post(f"{BASE}/batch-match").json()
    assert answer["format"] == "lead-matcher/assignment@1"
    assert answer["solver"]["status"] == "OPTIMAL"
    assert answer["objective"]["matched"] > 0


def test_provider_declines_and_ends_and_case_manager_releases(client: TestClient) -> None:
    made = new_participant(client)
    url = "/providers/org-harbor/programs/belltown-harbor-shelter"
    client.put(f"{url}/capacity", json={"open_slots": 9, "waitlist": 1})
    hold = {
        "participant_id": made["id"],
        "need_id": made["needs"][0]["id"],
        "program_id": "belltown-harbor-shelter",
    }
    consent_to(client, made["id"], "org-harbor")

    first = client.post(f"{BASE}/holds", json=hold).json()["referral_id"]
    client.post(f"{BASE}/referrals/{first}/confirm")
    bad = client.post(f"/providers/org-harbor/referrals/{first}/decline", json={"reason": "busy"})
    assert (bad.status_code, bad.json()["field"]) == (422, "reason")
    declined = client.post(
        f"/providers/org-harbor/referrals/{first}/decline", json={"reason": "no_capacity"}
    )
    assert (declined.json()["status"], declined.json()["decline_reason"]) == (
        "declined",
        "no_capacity",
    )

    second = client.post(f"{BASE}/holds", json=hold).json()["referral_id"]
    not_yet = client.post(f"/providers/org-harbor/referrals/{second}/enrol")
    assert not_yet.status_code == 404  # providers see a referral only once it is confirmed
    assert client.post(f"{BASE}/referrals/{second}/release").json()["status"] == "released"
    again = client.post(f"{BASE}/referrals/{second}/confirm")
    assert (again.status_code, again.json()["rule"]) == (409, "status")

    third = client.post(f"{BASE}/holds", json=hold).json()["referral_id"]
    client.post(f"{BASE}/referrals/{third}/confirm")
    client.post(f"/providers/org-harbor/referrals/{third}/enrol")
    ended = client.post(
        f"/providers/org-harbor/referrals/{third}/end", json={"reason": "completed"}
    )
    assert ended.json()["status"] == "ended"
    mine = client.get(f"{BASE}/referrals", params={"participant_id": made["id"]}).json()
    assert sorted(r["status"] for r in mine) == ["declined", "ended", "released"]
    enrolled = client.get("/providers/org-harbor/referrals", params={"status": "ended"}).json()
    assert [r["referral_id"] for r in enrolled] == [third]


def test_a_recorded_waitlist_turn_is_offered_and_held_without_displacing(
    client: TestClient,
) -> None:
    made = new_participant(client)
    url = "/providers/org-harbor/programs/belltown-harbor-shelter"
    client.put(f"{url}/capacity", json={"open_slots": 2, "waitlist": 3})
    waits = f"{BASE}/participants/{made['id']}/waitlists"
    twice = client.put(waits, json=[{"program_id": "belltown-harbor-shelter", "position": 1}] * 2)
    assert (twice.status_code, twice.json()["rule"]) == (422, "duplicate_waitlist")
    below = client.put(waits, json=[{"program_id": "belltown-harbor-shelter", "position": 0}])
    assert below.status_code == 422
    recorded = client.put(waits, json=[{"program_id": "belltown-harbor-shelter", "position": 2}])
    assert recorded.status_code == 200, recorded.json()
    assert recorded.json()["waitlist_positions"] == [
        {"program_id": "belltown-harbor-shelter", "position": 2}
    ]
    options = client.post(f"{BASE}/participants/{made['id']}/matches").json()["needs"][0]
    turns = [o for o in options["options"] if o["pool"] == "waitlist_turn"]
    assert [o["program_id"] for o in turns] == ["belltown-harbor-shelter"]
    held = client.post(
        f"{BASE}/holds",
        json={
            "participant_id": made["id"],
            "need_id": made["needs"][0]["id"],
            "program_id": "belltown-harbor-shelter",
            "pool": "waitlist_turn",
        },
    )
    assert held.status_code == 201, held.json()
    assert held.json()["pool"] == "waitlist_turn"
