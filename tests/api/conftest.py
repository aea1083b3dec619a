"""An app on each backend, on the sample city, with a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from matcher.scenario import load_scenario
from matcher.settings import Settings
from matcher.store.engine import session_scope
from matcher.store.snapshot import import_scenario
from tests.conftest import ROOT

START = datetime(2026, 11, 22, 9, tzinfo=UTC)
CM = "cm-ana"


@dataclass
class Clock:
    """A clock the test advances."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(engine: Engine, clock: Clock) -> Iterator[TestClient]:
    """The sample city in a fresh store, every participant under ``CM``."""
    with session_scope(engine) as session:
        import_scenario(
            session, load_scenario(ROOT / "data" / "sample-city.json"), START, case_manager_id=CM
        )
    settings = Settings(
        database_url="sqlite:///unused.db", max_body_bytes=200_000, solver_time_limit=20
    )
    app = create_app(settings, engine=engine, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
