"""The pages over the sample city on each backend, with one account per role.

``pages`` is a browser-like client (cookies kept, redirects followed); ``sign_in``
signs it in through the sign-in form, CSRF token and all, as a person would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from matcher.scenario import load_scenario
from matcher.service import accounts
from matcher.store.engine import session_scope
from matcher.store.snapshot import import_scenario
from tests.api.conftest import CM, SETTINGS, START, Clock
from tests.conftest import ROOT

SAMPLE = load_scenario(ROOT / "data" / "sample-city.json")
PASSWORD = "correct horse battery staple"
OTHER_CM = "cm-bo"
# The provider whose program the sample city's first participant is matched to.
ORG = SAMPLE.programs[0].provider_id
USERS = {
    "ana": ("case_manager", CM),
    "bo": ("case_manager", OTHER_CM),
    "pat": ("provider", ORG),
    "fiona": ("funder", None),
    "rex": ("referrer", None),
    "audrey": ("auditor", None),
}
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def seed(engine: Engine) -> None:
    """The sample city under ``CM`` and an account per entry of ``USERS``."""
    with session_scope(engine) as session:
        import_scenario(session, SAMPLE, START, case_manager_id=CM)
        for username, (role, subject) in USERS.items():
            accounts.create_account(
                session,
                username=username,
                role=role,
                password=PASSWORD,
                subject_id=subject,
                now=START,
            )


@pytest.fixture
def web_engine(engine: Engine) -> Engine:
    seed(engine)
    return engine


@pytest.fixture
def pages(web_engine: Engine) -> Iterator[TestClient]:
    app = create_app(SETTINGS, engine=web_engine, clock=Clock())
    with TestClient(app, raise_server_exceptions=False, base_url="https://testserver") as c:
        yield c


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = CSRF.search(html)
    assert found, "the page has no form token"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; the HTML of the page the role lands on."""
    token = csrf_of(client.get("/web/sign-in").text)
    answer = client.post(
        "/web/sign-in", data={"username": username, "password": password, "csrf_token": token}
    )
    assert answer.status_code == 200, answer.text
    return answer.text
