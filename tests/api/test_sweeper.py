"""The server records holds that ran out, without anyone asking."""

from __future__ import annotations

import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.sweeper import sweep_once
from matcher.demo import pick_participant
from matcher.scenario import load_scenario
from matcher.service import matching, referrals
from matcher.store import tables as t
from matcher.store.engine import session_scope
from tests.api.conftest import CM, SETTINGS, Clock
from tests.conftest import ROOT

SAMPLE = load_scenario(ROOT / "data" / "sample-city.json")


def _hold(engine: Engine, clock: Clock) -> str:
    person = pick_participant(SAMPLE)
    with session_scope(engine) as s:
        result = matching.match_participant(s, CM, person, clock.now, 20)
        need = next(n for n in result.needs if n.recommended is not None)
        assert need.recommended is not None
        view = referrals.place_hold(
            s,
            CM,
            participant_id=person,
            need_id=need.need_id,
            program_id=need.recommended.program_id,
            pool=need.recommended.pool,
            now=clock.now,
            ttl=timedelta(hours=1),
        )
    return view.referral_id


def _status(engine: Engine, referral_id: str) -> str:
    with session_scope(engine) as s:
        row = s.get(t.Referral, referral_id)
        assert row is not None
        return row.status


def test_one_sweep_records_only_holds_that_ran_out(app_engine: Engine, clock: Clock) -> None:
    referral_id = _hold(app_engine, clock)
    assert sweep_once(app_engine, clock) == 0
    clock.advance(hours=2)
    assert sweep_once(app_engine, clock) == 1
    assert _status(app_engine, referral_id) == "expired"
    assert sweep_once(app_engine, clock) == 0


def test_the_served_app_sweeps_on_its_own(app_engine: Engine, clock: Clock) -> None:
    referral_id = _hold(app_engine, clock)
    clock.advance(hours=2)
    settings = SETTINGS.model_copy(update={"sweep_seconds": 0.05})
    with TestClient(create_app(settings, engine=app_engine, clock=clock)):
        deadline = time.monotonic() + 20
        while _status(app_engine, referral_id) != "expired":
            assert time.monotonic() < deadline, "the sweeper did not run"
            time.sleep(0.05)
