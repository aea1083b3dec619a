"""An app on each backend, on the sample city, with a clock the test moves.

``client`` signs every request in as the owner of the path it calls (the provider of
``/providers/{org}``, the case manager of ``/case-managers/{id}``, a funder for
``/funders``), so endpoint tests read as the user would act; ``anonymous`` sends no
credentials, and ``token_for`` mints a token for any role, for authorisation tests.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from api.app import create_app
from matcher.scenario import load_scenario
from matcher.service import accounts
from matcher.service.errors import NotFound
from matcher.settings import Settings
from matcher.store import tables as t
from matcher.store.engine import session_scope
from matcher.store.snapshot import import_scenario
from tests.conftest import ROOT

START = datetime(2026, 11, 22, 9, tzinfo=UTC)
CM = "cm-ana"
SETTINGS = Settings(
    database_url="sqlite:///unused.db",
    max_body_bytes=200_000,
    solver_time_limit=20,
    environment="test",
    match_per_minute=30,
    sweep_seconds=0,  # the sweeper's own test turns it on
    auth_cache_seconds=0,  # every request asks the store; the cache's own test turns it on
    jwt_secret="a-test-secret-that-is-long-enough-to-sign-with",
)


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


def token_for(engine: Engine, role: str, subject: str | None = None) -> str:
    """A valid access token for an account of ``role`` (made on first use)."""
    username = f"{role}:{subject or '-'}"
    with session_scope(engine) as s:
        row = s.exec(select(t.Account).where(t.Account.username == username)).first()
        if row is None:
            principal = accounts.create_account(
                s, username=username, role=role, password=None, subject_id=subject, now=START
            )
        else:
            principal = accounts.Principal(row.id, row.username, row.role, row.subject_id)
    return accounts.issue_token(SETTINGS, principal, datetime.now(UTC))[0]


def bearer(engine: Engine, role: str, subject: str | None = None) -> dict[str, str]:
    """An Authorization header for an account of ``role``."""
    return {"Authorization": f"Bearer {token_for(engine, role, subject)}"}


def owner_headers(engine: Engine, path: str) -> dict[str, str]:
    """The credentials of whoever owns ``path``."""
    parts = path.split("?")[0].strip("/").split("/")
    if parts[0] == "providers" and len(parts) > 1:
        return {"Authorization": f"Bearer {token_for(engine, 'provider', parts[1])}"}
    if parts[0] == "case-managers" and len(parts) > 1:
        return {"Authorization": f"Bearer {token_for(engine, 'case_manager', parts[1])}"}
    if parts[0] == "funders":
        return {"Authorization": f"Bearer {token_for(engine, 'funder')}"}
    if parts[0] == "audit":
        return {"Authorization": f"Bearer {token_for(engine, 'auditor')}"}
    return {}


class OwnerClient(TestClient):
    """A test client that signs each request in as the owner of its path."""

    engine: Engine

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", None) or {})
        if "Authorization" not in headers:
            with contextlib.suppress(NotFound):  # an unknown organisation: no credentials
                headers.update(owner_headers(self.engine, str(url)))
        return super().request(method, url, headers=headers, **kwargs)


@pytest.fixture
def app_engine(engine: Engine) -> Engine:
    """The store under the app: the sample city, every participant under ``CM``."""
    with session_scope(engine) as session:
        import_scenario(
            session, load_scenario(ROOT / "data" / "sample-city.json"), START, case_manager_id=CM
        )
    return engine


@pytest.fixture
def client(app_engine: Engine, clock: Clock) -> Iterator[TestClient]:
    app = create_app(SETTINGS, engine=app_engine, clock=clock)
    with OwnerClient(app, raise_server_exceptions=False) as c:
        c.engine = app_engine
        yield c


@pytest.fixture
def anonymous(app_engine: Engine, clock: Clock) -> Iterator[TestClient]:
    app = create_app(SETTINGS, engine=app_engine, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
