"""What the case manager's pages show of declines and of referrals nobody answered."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from matcher.demo import pick_participant
from matcher.service import consent, matching, referrals
from matcher.store.engine import session_scope
from tests.api.conftest import CM, START
from tests.web.conftest import SAMPLE, csrf_of, sign_in

TTL = timedelta(hours=48)


def _hold_the_pick(
    engine: Engine, person: str, at: timedelta = timedelta()
) -> tuple[str, str, str]:
    """Hold the solver's pick for the participant's first need; (referral, need, program)."""
    with session_scope(engine) as s:
        need = matching.match_participant(s, CM, person, START, 10).needs[0]
        pick = need.recommended or need.options[0]
        held = referrals.place_hold(
            s,
            CM,
            participant_id=person,
            need_id=need.need_id,
            program_id=pick.program_id,
            pool=pick.pool,
            now=START + at,
            ttl=TTL,
        )
    return held.referral_id, need.need_id, pick.program_id


def test_a_declined_program_is_marked_never_picked_and_can_be_cleared(
    pages: TestClient, web_engine: Engine
) -> None:
    person = pick_participant(SAMPLE)
    rid, need_id, program_id = _hold_the_pick(web_engine, person)
    page = sign_in(pages, "ana")
    url = f"/web/case-manager/participants/{person}"
    declined = pages.post(
        f"/web/case-manager/referrals/{rid}/decline",
        data={"participant_id": person, "csrf_token": csrf_of(page)},
    )
    assert declined.status_code == 200
    shown = pages.get(url).text
    assert f'data-declined="{program_id}"' in shown
    found = pages.get(f"{url}/places")
    first_need = found.text.split('class="card need"', 2)[1]
    assert f'data-declined="{program_id}"' in first_need  # marked...
    assert f'data-program="{program_id}"' not in first_need  # ...and never an option
    cleared = pages.post(
        f"{url}/needs/{need_id}/declined/{program_id}/clear",
        data={"csrf_token": csrf_of(found.text)},
    )
    assert cleared.status_code == 200
    assert "Decline cleared" in cleared.text
    assert f'data-declined="{program_id}"' not in cleared.text


def test_a_referral_past_its_response_deadline_is_flagged(
    pages: TestClient, web_engine: Engine
) -> None:
    person = pick_participant(SAMPLE)
    sent_at = -timedelta(days=4)  # sent four days ago, due in three
    rid, _, program_id = _hold_the_pick(web_engine, person, sent_at)
    with session_scope(web_engine) as s:
        consent.grant(
            s,
            CM,
            person,
            recipient_type="program",
            recipient_id=program_id,
            categories=["*"],
            starts_at=START + sent_at,
            ends_at=None,
            now=START + sent_at,
        )
        referrals.confirm(s, CM, rid, START + sent_at, TTL)
    sign_in(pages, "ana")
    shown = pages.get(f"/web/case-manager/participants/{person}").text
    assert f'data-overdue="{rid}"' in shown
    assert "No answer from the provider" in shown
