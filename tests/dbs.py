"""Databases for tests: a SQLite file always; PostgreSQL when a URL is given.

``MATCHER_TEST_DATABASE_URL`` names a PostgreSQL server; each test gets a schema of
its own there (dropped afterwards), so runs never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from matcher.store.engine import make_engine, upgrade

PG_URL = os.environ.get("MATCHER_TEST_DATABASE_URL", "")

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not PG_URL, reason="MATCHER_TEST_DATABASE_URL not set"),
    ),
]


@contextmanager
def fresh_database(backend: str, tmp: Path, revision: str = "head") -> Iterator[str]:
    """A database migrated up to ``revision``, empty; yields its URL."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'matcher.db'}"
        engine = make_engine(url)
        upgrade(engine, revision)
        engine.dispose()
        yield url
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine, revision)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def engine_for(backend: str, tmp: Path) -> Iterator[Engine]:
    """An engine on a fresh database of ``backend``."""
    with fresh_database(backend, tmp) as url:
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()
