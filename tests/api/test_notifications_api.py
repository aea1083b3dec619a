"""The inbox through the API: a provider hears of a sent referral, the case manager of
the answer; only kind, pseudonym and link are shown, and only to their account."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import CM, bearer
from tests.api.test_case_managers import consent_to, new_participant
from tests.api.test_referral_guarantees import BASE, PROGRAM_URL, _hold

PROVIDER = "org-harbor"


def _inbox(client: TestClient, role: str, subject: str | None) -> dict:  # type: ignore[type-arg]
    headers = bearer(client.engine, role, subject)  # type: ignore[attr-defined]
    found = client.get("/me/notifications", headers=headers)
    assert found.status_code == 200, found.json()
    return dict(found.json())


def test_sent_and_answered_reach_the_two_inboxes(client: TestClient) -> None:
    made = new_participant(client)
    client.put(f"{PROGRAM_URL}/capacity", json={"open_slots": 9, "waitlist": 0})
    consent_to(client, made["id"], PROVIDER)
    rid = _hold(client, made["id"])
    assert _inbox(client, "provider", PROVIDER) == {"unread": 0, "items": []}
    client.post(f"{BASE}/referrals/{rid}/confirm")
    box = _inbox(client, "provider", PROVIDER)
    (item,) = box["items"]
    assert box["unread"] == 1
    assert set(item) == {"id", "kind", "pseudonym", "link", "created_at", "read_at"}
    assert (item["kind"], item["pseudonym"], item["link"]) == (
        "referral_sent",
        made["id"],
        f"/web/provider#referral-{rid}",
    )
    assert client.post(f"/providers/{PROVIDER}/referrals/{rid}/enrol").status_code == 200
    (answer,) = _inbox(client, "case_manager", CM)["items"]
    assert answer["kind"] == "referral_answered"

    stranger = bearer(client.engine, "funder")  # type: ignore[attr-defined]
    assert client.post(f"/me/notifications/{item['id']}/read", headers=stranger).status_code == 404
    owner = bearer(client.engine, "provider", PROVIDER)  # type: ignore[attr-defined]
    assert client.post(f"/me/notifications/{item['id']}/read", headers=owner).status_code == 204
    assert _inbox(client, "provider", PROVIDER)["unread"] == 0


def test_preferences_are_per_kind_and_checked(client: TestClient) -> None:
    headers = bearer(client.engine, "provider", PROVIDER)  # type: ignore[attr-defined]
    shown = client.get("/me/notification-preferences", headers=headers).json()["modes"]
    assert set(shown.values()) == {"immediately"}
    put = client.put(
        "/me/notification-preferences",
        json={"modes": {"capacity_stale": "daily"}},
        headers=headers,
    )
    assert put.json()["modes"]["capacity_stale"] == "daily"
    bad = client.put(
        "/me/notification-preferences",
        json={"modes": {"capacity_stale": "hourly"}},
        headers=headers,
    )
    assert bad.status_code == 422
    assert "modes" in str(bad.json())
    assert client.get("/me/notifications").status_code == 401


def test_a_notice_number_past_every_column_is_refused_not_sent(client: TestClient) -> None:
    """PostgreSQL's integer column ends at 2**31 - 1: a larger number is a 422 naming the
    field, never a database error; the largest valid one is simply not found."""
    headers = bearer(client.engine, "provider", PROVIDER)  # type: ignore[attr-defined]
    for number in (2**31, 2**63, 10**30, 0):
        refused = client.post(f"/me/notifications/{number}/read", headers=headers)
        assert refused.status_code == 422, refused.json()
        assert refused.json()["field"] == "notification_id"
    assert client.post(f"/me/notifications/{2**31 - 1}/read", headers=headers).status_code == 404
