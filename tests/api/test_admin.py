"""Admins add and change programs and accounts; providers then report the places."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.api.conftest import bearer

PROGRAM = {
    "id": "new-drop-in",
    "provider_id": "org-harbor",
    "name": "New drop-in",
    "service_types": ["food.meals"],
    "location": {"lat": 47.6145, "lon": -122.3446},
    "capacity": {"open_slots": 40, "purchasable": 3, "price": 12.5},
}


def test_admin_adds_and_changes_a_program(anonymous: TestClient, app_engine: Engine) -> None:
    admin = bearer(app_engine, "admin")
    made = anonymous.post("/admin/programs", json=PROGRAM, headers=admin)
    assert made.status_code == 201, made.json()
    again = anonymous.post("/admin/programs", json=PROGRAM, headers=admin)
    assert (again.status_code, again.json()["rule"]) == (409, "duplicate_id")
    provider = bearer(app_engine, "provider", "org-harbor")
    view = anonymous.get("/providers/org-harbor/programs/new-drop-in", headers=provider).json()
    assert (view["open_slots"], view["purchasable"], view["price"]) == (
        None,
        3,
        12.5,
    )  # places: the provider's
    changed = {
        **PROGRAM,
        "service_types": ["food.meals", "food.pantry"],
        "capacity": {"purchasable": 5, "price": 12.5},
    }
    assert (
        anonymous.put("/admin/programs/new-drop-in", json=changed, headers=admin).status_code == 200
    )
    view = anonymous.get("/providers/org-harbor/programs/new-drop-in", headers=provider).json()
    assert (view["service_types"], view["purchasable"]) == (["food.meals", "food.pantry"], 5)
    moved = anonymous.put(
        "/admin/programs/new-drop-in", json={**PROGRAM, "provider_id": "org-lantern"}, headers=admin
    )
    assert (moved.status_code, moved.json()["field"]) == (422, "provider_id")


def test_admin_manages_accounts(anonymous: TestClient, app_engine: Engine) -> None:
    admin = bearer(app_engine, "admin")
    body = {"username": "bea", "role": "funder", "password": "a long enough password"}
    assert anonymous.post("/admin/accounts", json=body, headers=admin).status_code == 201
    token = anonymous.post(
        "/auth/token", data={"username": "bea", "password": "a long enough password"}
    ).json()
    assert (
        anonymous.get(
            "/funders/fund", headers={"Authorization": f"Bearer {token['access_token']}"}
        ).status_code
        == 200
    )
    listed = anonymous.get("/admin/accounts", headers=admin).json()
    assert "bea" in [a["username"] for a in listed]
    assert all("password" not in a for a in listed)
    assert anonymous.post("/admin/accounts/bea/deactivate", headers=admin).status_code == 204
    assert (
        anonymous.get(
            "/funders/fund", headers={"Authorization": f"Bearer {token['access_token']}"}
        ).status_code
        == 401
    )


def test_an_empty_reserved_for_is_refused_naming_the_field(
    anonymous: TestClient, app_engine: Engine
) -> None:
    admin = bearer(app_engine, "admin")
    body = {**PROGRAM, "eligibility": {"reserved_for": []}}
    refused = anonymous.post("/admin/programs", json=body, headers=admin)
    problem = refused.json()
    assert (refused.status_code, problem["rule"]) == (422, "too_short")
    assert problem["field"] == "eligibility.reserved_for"
    body["eligibility"] = {"reserved_for": ["veteran"]}
    assert anonymous.post("/admin/programs", json=body, headers=admin).status_code == 201


def test_admin_reads_the_queue_potentials(anonymous: TestClient, app_engine: Engine) -> None:
    admin = bearer(app_engine, "admin")
    found = anonymous.get("/admin/potentials", headers=admin)
    assert found.status_code == 200, found.json()
    body = found.json()
    assert body["policy"] in ("priced", "resolve")
    assert body["source"] in ("history", "none", "off")
    assert body["reason"]
    case_manager = bearer(app_engine, "case_manager", "cm-ana")
    assert anonymous.get("/admin/potentials", headers=case_manager).status_code == 403
