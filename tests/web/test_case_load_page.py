"""The case manager's dashboard: filters, search and sort travel in the query string."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from tests.api.conftest import SETTINGS, Clock
from tests.web.conftest import SAMPLE, sign_in

ROW = re.compile(r'<tr data-participant="([^"]+)"')


def _shown(html: str) -> list[str]:
    return ROW.findall(html)


def test_the_dashboard_lists_the_case_load_with_unmet_needs_in_words(pages: TestClient) -> None:
    landing = sign_in(pages, "ana")
    everyone = _shown(landing)
    assert len(everyone) == len(SAMPLE.participants)
    assert "Showing" in landing
    assert "Waiting since" in landing
    unmet = pages.get("/web/case-manager", params={"show": "unmet"}).text
    some = _shown(unmet)
    assert 0 < len(some) < len(everyone)
    # Needs whose places the optimum of LEAD's queue gives to others say so, as Find
    # places does; needs without any place say why in the contract's words.
    assert "kept for a more urgent need in LEAD&#39;s queue" in unmet
    for code in ("kept_for_more_urgent", "capacity_exhausted", "budget_exhausted"):
        assert code not in unmet


def test_search_sort_and_a_bad_filter_are_answered_in_words(pages: TestClient) -> None:
    sign_in(pages, "ana")
    one = SAMPLE.participants[3].id
    found = pages.get("/web/case-manager", params={"q": one.upper(), "sort": "name"})
    assert _shown(found.text) == [one]
    assert f'value="{one.upper()}"' in found.text  # the search box keeps what was typed
    by_name = _shown(pages.get("/web/case-manager", params={"sort": "name"}).text)
    assert by_name == sorted(by_name)
    odd = pages.get("/web/case-manager", params={"show": "everything"})
    assert odd.status_code == 200
    assert "Show can be “Everyone”" in odd.text
    assert len(_shown(odd.text)) == len(SAMPLE.participants)


def test_an_inactive_filter_shows_none_of_the_active(pages: TestClient) -> None:
    sign_in(pages, "ana")
    page = pages.get("/web/case-manager", params={"status": "inactive"})
    assert _shown(page.text) == []
    assert "No participant matches" in page.text


def test_past_the_solver_limit_the_dashboard_still_shows_the_case_load(
    web_engine: Engine,
) -> None:
    settings = SETTINGS.model_copy(update={"match_per_minute": 1})
    app = create_app(settings, engine=web_engine, clock=Clock())
    with TestClient(app, raise_server_exceptions=False, base_url="https://testserver") as c:
        first = sign_in(c, "ana")
        assert "Reasons for unmet needs are left out" not in first
        again = c.get("/web/case-manager", params={"show": "unmet"})
        everyone = c.get("/web/case-manager").text
    assert again.status_code == 200
    assert "Reasons for unmet needs are left out" in again.text
    assert _shown(again.text) == []  # nothing is called unmet without a solve
    assert len(_shown(everyone)) == len(SAMPLE.participants)
