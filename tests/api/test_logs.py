"""No participant value in logs: a database error on a participant write is logged by
its kind and route only, and goes no further than the app (the server would print its
traceback, whose text can carry the statement's values)."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from api.app import create_app
from matcher.store.crypto import RING, new_key
from tests.api.conftest import SETTINGS, Clock, bearer
from tests.api.test_case_managers import BASE, new_participant

VALUES = ("Tigrinya", "quiet-rooms-only", "47.61234", "-122.34567", "Belltown")


def _fail_participant_updates(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        statements = [
            "CREATE FUNCTION refuse_update() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'disk full'; END; $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_update BEFORE UPDATE ON participant "
            "FOR EACH ROW EXECUTE FUNCTION refuse_update()",
        ]
    else:
        statements = [
            "CREATE TRIGGER refuse_update BEFORE UPDATE ON participant "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        ]
    with engine.begin() as c:
        for statement in statements:
            c.execute(text(statement))


def test_a_failed_participant_write_logs_no_value(
    client: TestClient,
    app_engine: Engine,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    pseudonym = new_participant(client)["id"]
    _fail_participant_updates(app_engine)
    body = {
        "location": {"lat": 47.61234, "lon": -122.34567},
        "languages": ["Tigrinya"],
        "prefers": ["quiet-rooms-only"],
        "attributes": {"age": 41},
    }
    app = create_app(SETTINGS, engine=app_engine, clock=Clock())
    headers = bearer(app_engine, "case_manager", "cm-ana")
    caplog.set_level(logging.DEBUG)
    with TestClient(app, raise_server_exceptions=True) as strict:  # nothing escapes the app
        failed = strict.put(f"{BASE}/participants/{pseudonym}", json=body, headers=headers)
    assert failed.status_code == 500
    out, err = capfd.readouterr()
    server = [r for r in caplog.records if not r.name.startswith("httpx")]  # not the client's
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in server) + out + err
    assert "unexpected" in logged
    assert "/participants/{participant_id}" in logged
    for value in (pseudonym, *VALUES):
        assert value not in logged, value
        assert value not in failed.text, value


def test_a_statement_error_carries_no_parameter(app_engine: Engine) -> None:
    with pytest.raises(DBAPIError) as raised, app_engine.connect() as c:
        c.execute(
            text("SELECT * FROM participant WHERE id = :id AND nope = 1"),
            {"id": "p-logged-never-4242"},
        )
    assert "p-logged-never-4242" not in str(raised.value)


def test_a_command_line_crash_prints_no_variables() -> None:
    from matcher.cli import app

    assert app.pretty_exceptions_show_locals is False


def test_a_store_no_configured_key_opens_logs_where_keys_come_from(
    app_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(SETTINGS, engine=app_engine, clock=Clock())
    headers = bearer(app_engine, "case_manager", "cm-ana")
    kept = RING.get()
    caplog.set_level(logging.ERROR)
    RING.configure([new_key()])
    try:
        with TestClient(app, raise_server_exceptions=True) as strict:
            failed = strict.get(f"{BASE}/participants/p-2895", headers=headers)
    finally:
        RING.multi = kept
    assert failed.status_code == 500
    assert "MATCHER_DATA_KEYS" not in failed.text  # the operator's to fix, not the caller's
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("api"))
    assert "KeysMissing" in logged
    assert ".matcher-dev-data-key" in logged
    assert "p-2895" not in logged
