"""Audit records of refused requests written in batches: none lost while running or at
shutdown, a failed write kept and tried again; reads and writes are never queued."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.app import create_app
from api.audit import AuditSink
from matcher.service import audit
from tests.api.conftest import SETTINGS, START, Clock, bearer


def _count(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(text("SELECT count(*) FROM audit_event")).scalar_one())


def test_batches_reach_the_log_while_running_and_at_shutdown(app_engine: Engine) -> None:
    settings = SETTINGS.model_copy(update={"audit_flush_seconds": 0.05})
    before = _count(app_engine)
    with TestClient(create_app(settings, engine=app_engine, clock=Clock())) as client:
        for _ in range(5):
            assert client.get("/funders/fund").status_code == 401
        deadline = time.monotonic() + 20
        while _count(app_engine) < before + 5:
            assert time.monotonic() < deadline, "the batch was never written"
            time.sleep(0.05)
    slow = SETTINGS.model_copy(update={"audit_flush_seconds": 10})
    headers = bearer(app_engine, "funder")
    with TestClient(create_app(slow, engine=app_engine, clock=Clock())) as client:
        for _ in range(3):
            client.get("/funders/fund")  # refused: queued
        assert _count(app_engine) == before + 5
        assert client.get("/funders/fund", headers=headers).status_code == 200
        assert _count(app_engine) == before + 6  # a read is recorded before it answers
    assert _count(app_engine) == before + 9  # the shutdown wrote what was queued


def test_a_failed_batch_is_kept_for_the_next_flush(
    app_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = AuditSink(app_engine, 1.0)
    entry = audit.Entry(START, "a", "none", "fund.read", "collection", None, "unauthenticated", 401)
    sink.queue(entry)
    sink.queue(entry)
    written = sink.write

    def fail(_entries: list[audit.Entry]) -> None:
        raise RuntimeError("the database is away")

    monkeypatch.setattr(sink, "write", fail)
    with pytest.raises(RuntimeError):
        sink.flush()
    monkeypatch.setattr(sink, "write", written)
    before = _count(app_engine)
    assert sink.flush() == 2
    assert _count(app_engine) == before + 2
    assert sink.flush() == 0
