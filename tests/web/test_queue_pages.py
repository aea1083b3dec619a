"""The pages say in plain words when a place is kept for a more urgent need, and let a
case manager accept or pass on a place offered to them."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from matcher.jobs.offers import offer_freed
from tests.api.conftest import START
from tests.api.test_queue import add_scarce_place
from tests.web.conftest import csrf_of, sign_in


def test_find_places_says_the_place_is_kept_and_a_hold_is_refused_in_words(
    pages: TestClient, web_engine: Engine
) -> None:
    add_scarce_place(web_engine)
    sign_in(pages, "ana")
    found = pages.get("/web/case-manager/participants/q-calm/places")
    assert found.status_code == 200
    assert "Kept for more urgent needs" in found.text
    held = pages.post(
        "/web/case-manager/holds",
        data={
            "csrf_token": csrf_of(found.text),
            "participant_id": "q-calm",
            "need_id": "q-calm-1",
            "program_id": "one-place",
            "pool": "general",
        },
    )
    assert held.status_code == 200  # back on the participant's page, saying why
    assert "Not held: this place is kept for a more urgent need" in html.unescape(held.text)


def test_an_offer_is_accepted_or_passed_from_the_participant_page(
    pages: TestClient, web_engine: Engine
) -> None:
    add_scarce_place(web_engine)
    offer_freed(web_engine, lambda: START)
    sign_in(pages, "ana")
    page = pages.get("/web/case-manager/participants/q-acute")
    assert "Offered: a place opened for this need" in page.text
    assert "passing costs nothing" in page.text
    offer = page.text.split('data-status="offered"')[0].rsplit('data-referral="', 1)[1][:32]
    accepted = pages.post(
        f"/web/case-manager/referrals/{offer}/accept",
        data={"csrf_token": csrf_of(page.text), "participant_id": "q-acute"},
    )
    assert accepted.status_code == 200
    assert "Offer accepted" in accepted.text


def test_the_dashboard_shows_an_offer_with_its_deadline_and_filters_by_it(
    pages: TestClient, web_engine: Engine
) -> None:
    add_scarce_place(web_engine)
    offer_freed(web_engine, lambda: START)
    sign_in(pages, "ana")
    board = pages.get("/web/case-manager?show=offered&status=all").text
    rows = re.findall(r'<tr data-participant="([^"]+)"', board)
    assert "q-acute" in rows  # the queue offered the one place to the acute need
    assert "q-calm" not in rows
    assert board.count('class="offer"') >= len(rows)
    row = board.split('<tr data-participant="q-acute"')[1].split("</tr>")[0]
    assert "Offered: " in row
    assert "accept or pass by" in row
    assert "Waiting since" in board
