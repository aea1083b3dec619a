"""A refused form comes back as the same form: every value typed kept, the problem
beside its field in plain words, never a field path, a validator's wording or an id."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from matcher.demo import pick_participant
from tests.web.conftest import SAMPLE, csrf_of, sign_in

INTERNALS = ("Input should", "attributes.", "max_distance_km:", "location.")


def _value(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
    assert found is not None, name
    return html.unescape(found[1])


def _problems(page: str) -> str:
    found = re.search(
        r'<div class="flash error" role="alert" id="form-problems">(.*?)</div>', page, re.S
    )
    assert found is not None
    return html.unescape(re.sub(r"<[^>]+>", " ", found[1]))


def test_a_new_participant_form_keeps_everything_typed_and_says_what_is_wrong(
    pages: TestClient,
) -> None:
    sign_in(pages, "ana")
    form = pages.get("/web/case-manager/new").text
    hood = re.findall(r'<option value="([^"]+)">', form.split('name="neighborhood"')[1])[0]
    typed = {
        "csrf_token": csrf_of(form),
        "neighborhood": hood,
        "max_distance_km": "-3",
        "age": "44",
        "gender": "woman",
        "languages": "Spanish, en",
        "sex_work": "yes",
        "type_0": "housing.*",
        "acute_0": "yes",
        "order_0": "1",
        "type_1": "food.meals",
        "order_1": "2",
    }
    refused = pages.post("/web/case-manager/new", data=typed)
    assert refused.status_code == 422
    page = refused.text
    words = _problems(page)
    assert "Farthest they can travel: must be at least 0" in words
    assert "0.0" not in words
    assert not [x for x in INTERNALS if x in words]
    assert 'id="max_distance_km-error"' in page
    assert 'aria-invalid="true"' in page
    for name in ("max_distance_km", "age", "gender", "languages"):
        assert _value(page, name) == typed[name]
    assert f'<option value="{hood}" selected>' in page
    assert 'name="sex_work" value="yes" checked' in page
    assert 'name="has_id" value="yes" checked' not in page  # unticked stays unticked
    assert 'value="housing.*" selected' in page
    assert 'value="food.meals" selected' in page
    assert 'name="acute_0" value="yes" checked' in page


def test_a_plan_that_drops_a_held_need_is_refused_in_words_without_ids(
    pages: TestClient,
) -> None:
    person = pick_participant(SAMPLE)
    sign_in(pages, "ana")
    places = pages.get(f"/web/case-manager/participants/{person}/places").text
    picks = re.findall(r'name="pick" value="([^"]+)"', places)
    pages.post(
        f"/web/case-manager/participants/{person}/holds",
        data={"pick": picks[:1], "csrf_token": csrf_of(places)},
    )
    plan = pages.get(f"/web/case-manager/participants/{person}/plan").text
    rows = len(re.findall(r'name="type_\d+"', plan))
    data = {"csrf_token": csrf_of(plan), "type_0": "food.meals", "order_0": "1"}
    data |= {f"type_{i}": "" for i in range(1, rows)}
    refused = pages.post(f"/web/case-manager/participants/{person}/plan", data=data)
    assert refused.status_code == 409
    words = _problems(refused.text)
    assert "release the place first" in words
    assert picks[0].split(" ")[0] not in words
    assert 'value="food.meals" selected' in refused.text
