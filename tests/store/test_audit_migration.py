"""The migration to accountable audit records keeps the old records and their guard,
and stops, naming them, at case loads with two active case manager accounts."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from matcher.store.engine import make_engine, upgrade
from tests.dbs import BACKENDS, fresh_database

ACCOUNT = (
    "INSERT INTO account (id, username, role, subject_id, active, created_at) "
    "VALUES (:id, :id, 'case_manager', 'cm-a', :on, '2026-11-01 00:00:00+00')"
)


@pytest.mark.parametrize("backend", BACKENDS)
def test_old_records_stay_guarded_and_shared_case_loads_stop_the_upgrade(
    backend: str, tmp_path: Path
) -> None:
    with fresh_database(backend, tmp_path, "0010") as url:
        engine = make_engine(url)
        with engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO audit_event (at, actor, role, action, object_type, outcome,"
                    " status) VALUES ('2026-11-01 00:00:00+00', 'a1', 'case_manager', 'GET /x',"
                    " 'collection', 'allowed', 200)"
                )
            )
            for account in ("ana", "spy"):
                c.execute(text(ACCOUNT), {"id": account, "on": True})
        with pytest.raises(RuntimeError, match="cm-a"):
            upgrade(engine)
        with engine.begin() as c:
            c.execute(text("UPDATE account SET active = :off WHERE id = 'spy'"), {"off": False})
        upgrade(engine)
        with engine.connect() as c:
            row = c.execute(text("SELECT action, username, route FROM audit_event")).one()
        assert tuple(row) == ("GET /x", None, None)
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as c:
            c.execute(text("DELETE FROM audit_event"))
        with pytest.raises(DBAPIError), engine.begin() as c:
            c.execute(text("UPDATE account SET active = :on WHERE id = 'spy'"), {"on": True})
        engine.dispose()
