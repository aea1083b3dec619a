"""Referrals into LEAD over the API: an officer submits, a case manager takes it up
and records the participant it becomes; another case manager no longer sees it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.api.conftest import CM, bearer


def test_intake_queue_take_up_and_participant(client: TestClient, app_engine: Engine) -> None:
    officer = bearer(app_engine, "referrer")
    made = client.post(
        "/referrers/intakes", json={"reference": "D-9", "note": "sleeping rough"}, headers=officer
    ).json()
    queue = client.get(f"/case-managers/{CM}/intakes").json()
    assert [(i["reference"], i["note"], i["taken"]) for i in queue] == [
        ("D-9", "sleeping rough", False)
    ]
    taken = client.post(f"/case-managers/{CM}/intakes/{made['intake_id']}/take")
    assert taken.status_code == 200
    assert taken.json()["taken"] is True
    other = client.post(f"/case-managers/cm-bo/intakes/{made['intake_id']}/take")
    assert other.status_code == 404
    assert client.get("/case-managers/cm-bo/intakes").json() == []
    person = {
        "intake_id": made["intake_id"],
        "location": {"lat": 47.6, "lon": -122.33},
        "needs": [{"service_types": ["housing.shelter"], "acute": True}],
    }
    created = client.post(f"/case-managers/{CM}/participants", json=person)
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    assert client.get(f"/case-managers/{CM}/intakes").json()[0]["participant_id"] == pid
    # Linking an intake one has not taken refuses the whole creation.
    again = client.post(
        "/referrers/intakes", json={"reference": "D-10", "note": ""}, headers=officer
    ).json()
    before = len(client.get(f"/case-managers/{CM}/participants").json())
    refused = client.post(
        f"/case-managers/{CM}/participants", json={**person, "intake_id": again["intake_id"]}
    )
    assert refused.status_code == 409
    assert len(client.get(f"/case-managers/{CM}/participants").json()) == before
