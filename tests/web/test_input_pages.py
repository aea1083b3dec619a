"""The pages refuse what the API refuses, through the same service checks: an age that
is no one's, a place far outside the site's area, text the store cannot hold; and the
pages never let a case manager choose a pseudonym (ids reveal nothing)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from matcher.service import participants
from matcher.store.engine import session_scope
from tests.api.conftest import CM
from tests.web.conftest import SAMPLE, csrf_of, sign_in


def count(engine: Engine) -> int:
    with session_scope(engine) as s:
        return len(participants.listing(s, CM))


BAD_NEW = {
    "age": ({"age": "-1"}, "Age: must be from 0 to 130"),
    "far away": ({"lat": "40.7128", "lon": "-74.0060"}, "participants are met within"),
    "nul": ({"gender": "wo\x00man"}, "NUL"),
}


@pytest.mark.parametrize("case", sorted(BAD_NEW))
def test_a_new_participant_the_api_would_refuse_is_refused(
    pages: TestClient, web_engine: Engine, case: str
) -> None:
    sign_in(pages, "ana")
    form = pages.get("/web/case-manager/new")
    before = count(web_engine)
    fields, message = BAD_NEW[case]
    data = {
        "csrf_token": csrf_of(form.text),
        "lat": "47.61",
        "lon": "-122.33",
        "type_0": "food.meals",
        **fields,
    }
    refused = pages.post("/web/case-manager/new", data=data)
    assert refused.status_code == 422
    assert message in refused.text
    assert count(web_engine) == before


def test_a_chosen_pseudonym_is_never_used(pages: TestClient, web_engine: Engine) -> None:
    theirs = SAMPLE.participants[0].id
    sign_in(pages, "bo")
    form = pages.get("/web/case-manager/new")
    assert 'name="pseudonym"' not in form.text
    data = {
        "csrf_token": csrf_of(form.text),
        "pseudonym": theirs,
        "lat": "47.61",
        "lon": "-122.33",
        "type_0": "food.meals",
    }
    made = pages.post("/web/case-manager/new", data=data)
    assert made.status_code == 200
    assert made.url.path.rsplit("/", 1)[1] != theirs  # no "already exists" to learn from


def test_details_outside_the_rules_are_refused(pages: TestClient, web_engine: Engine) -> None:
    person = SAMPLE.participants[0]
    sign_in(pages, "ana")
    form = pages.get(f"/web/case-manager/participants/{person.id}/details")
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert version
    base = {"csrf_token": csrf_of(form.text), "version": version.group(1), "active": "yes"}
    far = pages.post(
        f"/web/case-manager/participants/{person.id}/details",
        data={**base, "lat": "40.7128", "lon": "-74.0060"},
    )
    assert far.status_code == 422
    young = pages.post(
        f"/web/case-manager/participants/{person.id}/details",
        data={**base, "neighborhood": person.location.neighborhood or "", "age": "-1"},
    )
    assert young.status_code == 422
    huge_version = pages.post(
        f"/web/case-manager/participants/{person.id}/details", data={**base, "version": "9" * 5000}
    )
    assert huge_version.status_code == 422
    with session_scope(web_engine) as s:
        assert participants.get(s, CM, person.id) == person
