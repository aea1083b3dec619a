"""Find places is a GET page; every starred pick is held in one step, and a pick that
cannot be held is named in words while the others are held."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from matcher.demo import pick_participant
from tests.web.conftest import SAMPLE, csrf_of, sign_in

PICK = re.compile(r'name="pick" value="([^"]+)"')


def _places(pages: TestClient, person: str) -> str:
    found = pages.get(f"/web/case-manager/participants/{person}/places")
    assert found.status_code == 200
    assert found.headers["cache-control"] == "no-store"
    return found.text


def test_find_places_is_a_link_that_reload_runs_again(pages: TestClient) -> None:
    person = pick_participant(SAMPLE)
    sign_in(pages, "ana")
    shown = pages.get(f"/web/case-manager/participants/{person}").text
    assert f'<form method="get" action="/web/case-manager/participants/{person}/places">' in shown
    assert PICK.findall(_places(pages, person)) == PICK.findall(_places(pages, person))


def test_every_starred_pick_is_held_in_one_step(pages: TestClient) -> None:
    person = pick_participant(SAMPLE)
    sign_in(pages, "ana")
    page = _places(pages, person)
    picks = PICK.findall(page)
    assert picks
    done = pages.post(
        f"/web/case-manager/participants/{person}/holds",
        data={"pick": picks, "csrf_token": csrf_of(page)},
    )
    assert done.status_code == 200
    n = len(picks)
    assert f"Held {n} place{'s' if n != 1 else ''}:" in html.unescape(done.text)
    assert "Not held" not in done.text
    assert done.text.count('data-status="held"') == n
    again = _places(pages, person)  # Back to Find places: the needs now show as held
    assert PICK.findall(again) == []
    assert "Already held" in again


def _with_two_picks(pages: TestClient) -> tuple[str, str, list[str]]:
    """The first participant of the case load whose Find places stars two needs or more
    (LEAD's queue keeps some places for more urgent needs, so not everyone has two)."""
    for candidate in SAMPLE.participants:
        page = _places(pages, candidate.id)
        picks = PICK.findall(page)
        if len(picks) >= 2:
            return candidate.id, page, picks
    raise AssertionError("no participant of the sample city has two starred needs")


def test_a_pick_that_cannot_be_held_is_named_in_words_and_the_rest_are_held(
    pages: TestClient,
) -> None:
    sign_in(pages, "ana")
    person, page, picks = _with_two_picks(pages)
    need, program, pool = picks[0].split(" ")
    first = pages.post(
        "/web/case-manager/holds",
        data={
            "participant_id": person,
            "need_id": need,
            "program_id": program,
            "pool": pool,
            "csrf_token": csrf_of(page),
        },
    )
    assert first.status_code == 200
    done = pages.post(
        f"/web/case-manager/participants/{person}/holds",
        data={"pick": picks, "csrf_token": csrf_of(page)},
    )
    shown = re.search(r'<p class="flash (\w+)"[^>]*>([^<]+)</p>', done.text)
    assert shown is not None
    flash = html.unescape(shown[2])
    assert f"Held {len(picks) - 1} place" in flash
    assert "Not held: " in flash
    assert "already has a place held or a referral open" in flash
    assert need not in flash  # no internal ids
    assert 'class="flash warn"' in done.text


def test_a_forged_pick_is_refused_in_words_and_nothing_is_held(pages: TestClient) -> None:
    person = pick_participant(SAMPLE)
    sign_in(pages, "ana")
    page = _places(pages, person)
    refused = pages.post(
        f"/web/case-manager/participants/{person}/holds",
        data={"pick": ["x y z"], "csrf_token": csrf_of(page)},
    )
    assert refused.status_code == 422
    assert "not one Find places made" in refused.text
    assert 'data-status="held"' not in pages.get(f"/web/case-manager/participants/{person}").text
