"""Engine behaviour the service relies on: write locks are always released, reads stay reads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from matcher.store.engine import session_scope
from matcher.store.tables import Organization


def test_a_failed_write_releases_the_write_lock(engine: Engine) -> None:
    def refused() -> None:
        with session_scope(engine) as session:
            session.add(Organization(id="o-1", name="first"))
            session.flush()
            raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        refused()

    def write(i: int) -> None:
        with session_scope(engine) as session:
            session.add(Organization(id=f"o-{i}", name="n"))

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, range(2, 10)))  # would hang if the lock leaked
    with session_scope(engine, read_only=True) as session:
        assert session.get(Organization, "o-1") is None
        assert session.get(Organization, "o-9") is not None


def test_reads_run_while_a_write_is_open(engine: Engine) -> None:
    with session_scope(engine) as writer:
        writer.add(Organization(id="o-w", name="pending"))
        writer.flush()
        with session_scope(engine, read_only=True) as reader:
            assert reader.get(Organization, "o-w") is None  # not committed yet


def test_read_only_sessions_cannot_write_on_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no read-only transactions")
    with pytest.raises(DBAPIError), session_scope(engine, read_only=True) as session:
        session.execute(text("INSERT INTO organization (id, name) VALUES ('x', 'x')"))
