"""A store that lived through a generated horizon, through the service layer, replays as
that horizon: the same stays, places at every program on every day, and money by every
day; the replay's hindsight meets no more than the original's (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from benchmarks.replay import START, differences, record
from matcher.simulate.hindsight import hindsight
from matcher.simulate.horizon import SimOptions, generate_horizon
from matcher.simulate.metrics import summary
from matcher.simulate.replay import replay_horizon
from matcher.store.engine import session_scope


def test_a_lived_horizon_replays_as_itself(engine: Engine) -> None:
    options = SimOptions(days=30, participants=40, programs=6, seed=3, stay_days=10)
    horizon = generate_horizon(options)
    record(engine, horizon)
    with session_scope(engine, read_only=True) as s:
        replayed = replay_horizon(s, START + timedelta(days=options.days), options)
    assert differences(horizon, replayed.horizon) == []
    met = summary(horizon, hindsight(horizon))
    back = summary(replayed.horizon, hindsight(replayed.horizon))
    assert back["needs_met"] <= met["needs_met"]
    assert back["acute_met"] <= met["acute_met"]
