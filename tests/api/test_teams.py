"""Teams: a member works on a teammate's case load under their own name; nobody else
can, and dissolving the team ends it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import col, select

from matcher.store import tables as t
from matcher.store.engine import session_scope
from tests.api.conftest import CM, bearer


def test_teammates_cover_each_others_case_loads(anonymous: TestClient, app_engine: Engine) -> None:
    admin = bearer(app_engine, "admin")
    bo = bearer(app_engine, "case_manager", "cm-bo")
    cy = bearer(app_engine, "case_manager", "cm-cy")
    url = f"/case-managers/{CM}/participants"
    assert anonymous.get(url, headers=bo).status_code == 404
    made = anonymous.put("/admin/teams/downtown", json={"members": [CM, "cm-bo"]}, headers=admin)
    assert made.status_code == 200
    assert made.json() == {"team_id": "downtown", "members": [CM, "cm-bo"]}
    assert anonymous.get("/admin/teams", headers=admin).json() == [made.json()]
    covered = anonymous.get(url, headers=bo)
    assert covered.status_code == 200
    assert covered.json()
    assert anonymous.get(url, headers=cy).status_code == 404  # not in the team
    assert anonymous.get("/admin/teams", headers=bo).status_code == 403
    with session_scope(app_engine) as s:
        last = s.exec(select(t.AuditEvent).order_by(col(t.AuditEvent.id).desc())).first()
        bo_account = s.exec(select(t.Account).where(t.Account.username == "case_manager:cm-bo"))
        bo_id = bo_account.one().id
        covered_rows = s.exec(
            select(t.AuditEvent).where(t.AuditEvent.actor == bo_id, t.AuditEvent.object_id == CM)
        ).all()
    assert last is not None
    assert [r.outcome for r in covered_rows] == ["not_found", "allowed"]
    anonymous.put("/admin/teams/downtown", json={"members": []}, headers=admin)
    assert anonymous.get(url, headers=bo).status_code == 404
