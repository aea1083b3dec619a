"""Checked credentials are remembered for a few seconds: a deactivation through this
process's API still takes effect at once; one made elsewhere within the window."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.credentials import CredentialCache
from matcher.service import accounts
from matcher.store.engine import session_scope
from tests.api.conftest import SETTINGS, Clock, bearer, token_for


def test_a_remembered_token_still_stops_at_an_api_deactivation(app_engine: Engine) -> None:
    settings = SETTINGS.model_copy(update={"auth_cache_seconds": 30})
    funder = bearer(app_engine, "funder")
    admin = bearer(app_engine, "admin")
    with TestClient(create_app(settings, engine=app_engine, clock=Clock())) as client:
        assert client.get("/funders/fund", headers=funder).status_code == 200
        with session_scope(app_engine) as s:  # elsewhere: the command line, say
            accounts.deactivate(s, "funder:-")
        assert client.get("/funders/fund", headers=funder).status_code == 200  # remembered
        gone = client.post("/admin/accounts/funder:-/deactivate", headers=admin)
        assert gone.status_code == 204
        assert client.get("/funders/fund", headers=funder).status_code == 401


def test_the_cache_forgets_after_its_time_and_stays_bounded() -> None:
    cache = CredentialCache(0.05)
    principal = accounts.Principal("a", "ana", "case_manager", "cm-ana")
    cache.put("k", principal)
    assert cache.get("k") == principal
    time.sleep(0.06)
    assert cache.get("k") is None
    cache.put("short", principal, valid_for=0)  # a credential about to expire: not kept
    assert cache.get("short") is None
    off = CredentialCache(0)
    off.put("k", principal)
    assert off.get("k") is None
    assert CredentialCache.key("bearer", token_for.__name__) != token_for.__name__


def test_steady_use_does_not_stretch_the_window(app_engine: Engine) -> None:
    settings = SETTINGS.model_copy(update={"auth_cache_seconds": 0.5})
    funder = bearer(app_engine, "funder")
    with TestClient(create_app(settings, engine=app_engine, clock=Clock())) as client:
        assert client.get("/funders/fund", headers=funder).status_code == 200
        checked = time.monotonic()
        with session_scope(app_engine) as s:  # deactivated elsewhere
            accounts.deactivate(s, "funder:-")
        while time.monotonic() - checked < 0.4:  # used all along, within the window
            client.get("/funders/fund", headers=funder)
            time.sleep(0.05)
        time.sleep(0.2)
        assert client.get("/funders/fund", headers=funder).status_code == 401
