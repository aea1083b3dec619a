"""Access control: credentials, the role x endpoint x own/other matrix, and the audit log."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from matcher.service import accounts
from matcher.store.engine import session_scope
from tests.api.conftest import SETTINGS, bearer, token_for

OPEN = {"/health", "/auth/token"}
ROLES = ("admin", "case_manager", "provider", "funder", "referrer", "auditor")
OWNER_ROLE = {
    "providers": "provider",
    "case-managers": "case_manager",
    "funders": "funder",
    "audit": "auditor",
    "referrers": "referrer",
    "admin": "admin",
    "hsds": None,  # the directory: any signed-in account
    "me": None,  # everyone's own inbox
}
ADMIN_TOO = {"/funders/fund/top-ups"}
"""Paths of another group that admins may use too: adding money to the fund."""
OWN = {"organization_id": "org-harbor", "case_manager_id": "cm-ana"}
OTHER = {"organization_id": "org-lantern", "case_manager_id": "cm-bob"}
FILL = {
    "participant_id": "p-4068",
    "program_id": "belltown-harbor-shelter",
    "referral_id": "r-none",
    "consent_id": "c-none",
    "intake_id": "i-none",
    "need_id": "n-none",
    "team_id": "t-none",
    "username": "nobody",
    "id": "nobody",
    "notification_id": "0",
    "endpoint_id": "w-none",
}
MUTABLE = (
    "program_capacity",
    "capacity_event",
    "participant",
    "plan_need",
    "referral",
    "fund",
    "purchase",
)


def routes(client: TestClient) -> list[tuple[str, str]]:
    """Every operation the OpenAPI schema documents, but the open ones."""
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    out = [
        (method.upper(), path)
        for path, operations in paths.items()
        if path not in OPEN and path != "/auth/me"
        for method in sorted(operations)
    ]
    assert len(out) > 35  # the whole API, not a part of it
    return out


def fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: {**FILL, **ids}[m.group(1)], path)


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as c:
        return {
            name: c.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() for name in MUTABLE
        }


def call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> Any:
    body: dict[str, Any] | None = None if method in ("GET", "DELETE") else {}
    return client.request(
        method, path, headers=headers, json=body, params={"budget": 1} if "plan" in path else None
    )


def test_every_endpoint_needs_credentials(anonymous: TestClient, app_engine: Engine) -> None:
    before = counts(app_engine)
    for method, path in routes(anonymous):
        response = call(anonymous, method, fill(path, OWN), {})
        assert response.status_code == 401, (method, path)
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert counts(app_engine) == before


def test_role_matrix(anonymous: TestClient, app_engine: Engine) -> None:
    before = counts(app_engine)
    for method, path in routes(anonymous):
        group = path.strip("/").split("/")[0]
        owner = OWNER_ROLE[group]
        for role in ROLES:
            subject = {"provider": "org-harbor", "case_manager": "cm-ana"}.get(role)
            headers = bearer(app_engine, role, subject)
            own = call(anonymous, method, fill(path, OWN), headers)
            allowed = (
                owner is None
                or role == owner
                or (role == "admin" and (group == "audit" or path in ADMIN_TOO))
            )
            if not allowed:
                assert own.status_code == 403, (role, method, path, own.status_code)
                continue
            assert own.status_code not in (401, 403), (role, method, path)
            if group in ("providers", "case-managers"):  # the owner's id is in the path
                other = call(anonymous, method, fill(path, OTHER), headers)
                nobody = fill(path, dict.fromkeys(OTHER, "nobody"))
                missing = call(anonymous, method, nobody, headers)
                assert other.status_code == missing.status_code == 404, (role, method, path)
                assert other.json()["rule"] == missing.json()["rule"] == "not_found"
    after = counts(app_engine)
    # Allowed calls with empty bodies are refused as invalid or find nothing to change,
    # except the report of capacity, which {} cannot make; nothing denied wrote anything.
    assert after == before


def test_tokens_that_must_fail(anonymous: TestClient, app_engine: Engine) -> None:
    good = token_for(app_engine, "funder")
    url = "/funders/fund"
    assert anonymous.get(url, headers={"Authorization": f"Bearer {good}"}).status_code == 200
    secret = SETTINGS.jwt_secret.get_secret_value()
    claims = jwt.decode(good, options={"verify_signature": False})
    now = datetime.now(UTC)
    bad = {
        "expired": jwt.encode(
            {**claims, "exp": now - timedelta(minutes=1)}, secret, algorithm="HS256"
        ),
        "tampered": good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),
        "alg none": jwt.encode(claims, "", algorithm="none"),
        "wrong audience": jwt.encode({**claims, "aud": "someone-else"}, secret, algorithm="HS256"),
        "wrong issuer": jwt.encode({**claims, "iss": "someone-else"}, secret, algorithm="HS256"),
        "other secret": jwt.encode(claims, "x" * 40, algorithm="HS256"),
        "garbage": "not-a-token",
    }
    for name, token in bad.items():
        response = anonymous.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name


def test_api_keys_and_revocation(anonymous: TestClient, app_engine: Engine) -> None:
    token_for(app_engine, "provider", "org-harbor")
    with session_scope(app_engine) as s:
        key = accounts.create_key(s, "provider:org-harbor", datetime.now(UTC))
    url = "/providers/org-harbor/programs"
    assert anonymous.get(url, headers={"X-API-Key": key}).status_code == 200
    assert anonymous.get(url, headers={"X-API-Key": key[:-2] + "xx"}).status_code == 401
    with session_scope(app_engine) as s:
        accounts.revoke_key(s, key.split("_")[1], datetime.now(UTC))
    assert anonymous.get(url, headers={"X-API-Key": key}).status_code == 401


def test_password_sign_in_and_deactivation(anonymous: TestClient, app_engine: Engine) -> None:
    with session_scope(app_engine) as s:
        accounts.create_account(
            s,
            username="ana",
            role="case_manager",
            password="correct horse battery",
            subject_id="cm-ana",
            now=datetime.now(UTC),
        )
    wrong = anonymous.post("/auth/token", data={"username": "ana", "password": "wrong password!"})
    nobody = anonymous.post(
        "/auth/token", data={"username": "nobody", "password": "wrong password!"}
    )
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.json() == nobody.json()
    signed = anonymous.post(
        "/auth/token", data={"username": "ana", "password": "correct horse battery"}
    )
    token = signed.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert anonymous.get("/auth/me", headers=headers).json()["role"] == "case_manager"
    assert anonymous.get("/case-managers/cm-ana/participants", headers=headers).status_code == 200
    with session_scope(app_engine) as s:
        accounts.deactivate(s, "ana")
    assert anonymous.get("/case-managers/cm-ana/participants", headers=headers).status_code == 401


def test_audit_records_reads_writes_and_denials_without_values(
    anonymous: TestClient, app_engine: Engine
) -> None:
    cm = bearer(app_engine, "case_manager", "cm-ana")
    anonymous.get("/case-managers/cm-ana/participants/p-4068", headers=cm)
    anonymous.get("/case-managers/cm-bob/participants/p-4068", headers=cm)
    anonymous.get("/case-managers/cm-ana/participants/p-4068")
    log = anonymous.get(
        "/audit", headers=bearer(app_engine, "auditor"), params={"object_id": "p-4068"}
    ).json()
    outcomes = sorted(e["outcome"] for e in log)
    assert outcomes == ["allowed", "not_found", "unauthenticated"]
    assert {(e["action"], e["route"], e["participant_id"]) for e in log} == {
        (
            "participant.read",
            "GET /case-managers/{case_manager_id}/participants/{participant_id}",
            "p-4068",
        )
    }
    names = sorted(str(e["username"]) for e in log)
    assert names == ["None", "case_manager:cm-ana", "case_manager:cm-ana"]
    assert anonymous.get("/audit", headers=cm).status_code == 403


def test_audit_log_is_append_only(app_engine: Engine) -> None:
    with session_scope(app_engine) as s:
        from matcher.service import audit

        audit.record(
            s,
            audit.Entry(
                datetime.now(UTC), "a", "admin", "GET /x", "collection", None, "allowed", 200
            ),
        )
    for statement in ("UPDATE audit_event SET outcome = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError), app_engine.begin() as c:
            c.execute(text(statement))
    with app_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == 1


def test_sign_in_and_solving_are_rate_limited(anonymous: TestClient, app_engine: Engine) -> None:
    for _ in range(SETTINGS.login_per_minute):
        assert (
            anonymous.post(
                "/auth/token", data={"username": "eve", "password": "guess guess guess"}
            ).status_code
            == 401
        )
    limited = anonymous.post(
        "/auth/token", data={"username": "eve", "password": "guess guess guess"}
    )
    assert (limited.status_code, limited.json()["rule"]) == (429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1
    funder = bearer(app_engine, "funder")
    codes = [
        anonymous.get("/funders/plan", params={"budget": 0}, headers=funder).status_code
        for _ in range(SETTINGS.match_per_minute + 1)
    ]
    assert set(codes[:-1]) == {200}
    assert codes[-1] == 429


def test_referrers_see_only_that_their_intake_was_received(
    anonymous: TestClient, app_engine: Engine
) -> None:
    officer = bearer(app_engine, "referrer")
    made = anonymous.post(
        "/referrers/intakes",
        json={"reference": "D-1027", "note": "met at 3rd and Pine"},
        headers=officer,
    )
    assert made.status_code == 201
    receipt = made.json()
    assert set(receipt) == {"intake_id", "reference", "status", "received_at", "new"}
    assert (
        anonymous.get(f"/referrers/intakes/{receipt['intake_id']}", headers=officer).json()[
            "status"
        ]
        == "received"
    )
    with app_engine.connect() as c:
        assert "3rd and Pine" not in str(c.execute(text("SELECT note FROM intake")).scalar_one())
    with session_scope(app_engine) as s:
        second = accounts.create_account(
            s,
            username="second",
            role="referrer",
            password=None,
            subject_id=None,
            now=datetime.now(UTC),
        )
    other = {
        "Authorization": f"Bearer {accounts.issue_token(SETTINGS, second, datetime.now(UTC))[0]}"
    }
    theirs = anonymous.get(f"/referrers/intakes/{receipt['intake_id']}", headers=other)
    missing = anonymous.get("/referrers/intakes/nope", headers=other)
    assert theirs.status_code == missing.status_code == 404
    cm = bearer(app_engine, "case_manager", "cm-ana")
    assert (
        anonymous.get(f"/referrers/intakes/{receipt['intake_id']}", headers=cm).status_code == 403
    )
