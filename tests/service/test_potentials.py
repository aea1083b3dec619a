"""Live potentials (``matcher.service.potentials``): learned from the ledger's history,
they keep the place acute needs come for and offer the other, the participant's matches
say the same, a thin history leaves the plain queue, and the learning is cached for the
hour (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from matcher.scenario import Participant
from matcher.service import matching, offers, participants
from matcher.service import potentials as live
from matcher.settings import get_settings
from matcher.store import tables as t
from matcher.store.engine import session_scope
from matcher.store.snapshot import import_scenario
from tests.builders import make_need, make_participant, make_program, make_scenario, offset
from tests.service.world import CM, NOW, grant, run, together

START = NOW - timedelta(days=60)
PANTRY = "food.pantry"
MIN = live.MIN_ACUTE


@pytest.fixture(autouse=True)
def _settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("MATCHER_OFFER_POLICY", raising=False)
    monkeypatch.delenv("MATCHER_POTENTIAL_DAYS", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def world(engine: Engine, acute_in_history: int) -> None:
    """Two places that tie on levels 1-3 for x's need: g-1 here (x prefers it, being
    nearer) and g-2 3 km away. Over the 60 days before now, ``acute_in_history`` acute
    participants came for a pantry place, which only g-1 offers, and left."""
    programs = [
        make_program(id="g-1", service_types=["housing.shelter", PANTRY]),
        make_program(id="g-2", location=offset(km_north=3)),
    ]
    x = make_participant(id="x", needs=[make_need(id="x-0")])
    with session_scope(engine) as s:
        import_scenario(s, make_scenario(programs, [x]), START, case_manager_id=CM)
        grant(s, "x")
    for k in range(acute_in_history):
        came = START + timedelta(days=1 + 2 * k, hours=3)
        need = make_need(id=f"a{k}-0", service_types=[PANTRY], acute=True)
        person = Participant.model_validate(make_participant(id=f"a{k}", needs=[need]))
        with session_scope(engine) as s:
            participants.create(s, CM, person, came)
        with session_scope(engine) as s:
            body = participants.get(s, CM, person.id)
            participants.update(s, CM, body, came + timedelta(days=1), active=False)


def pick(engine: Engine) -> str | None:
    """The place x's matches recommend."""
    result = run(engine, lambda s: matching.match_participant(s, CM, "x", NOW, 10))
    chosen = result.needs[0].recommended
    return chosen.program_id if chosen else None


def offer(engine: Engine) -> list[str]:
    """The programs the whole queue's re-solve offers (its levels 1-3: one need met,
    none acute, nothing spent, whatever the policy)."""

    def go(s: Session) -> list[str]:
        done = offers.resolve(
            s,
            NOW,
            offer_for=timedelta(hours=24),
            time_limit=10,
            default_max_distance_km=None,
            force=True,
        )
        assert (done.acute_matched, done.matched, done.spend) == (0, 1, 0.0)
        made = s.exec(select(t.Referral).where(col(t.Referral.id).in_(done.offered))).all()
        return sorted(r.program_id for r in made)

    return run(engine, go)


def learned(engine: Engine) -> live.Potentials:
    with session_scope(engine, read_only=True) as s:
        return live.current(s, NOW)


def test_the_place_acute_needs_come_for_is_kept_and_the_other_offered(engine: Engine) -> None:
    world(engine, acute_in_history=24)
    found = learned(engine)
    assert (found.source, found.acute_needs) == ("history", 24)
    g1 = next(n for n in found.nodes if (n.program_id, n.pool) == ("g-1", "general"))
    g2 = next(n for n in found.nodes if (n.program_id, n.pool) == ("g-2", "general"))
    assert g1.chance > 0.9
    assert g1.acute_per_day == pytest.approx(24 / 180)
    assert g2.chance == 0.0
    assert pick(engine) == "g-2"  # the participant's matches and the offer agree
    assert offer(engine) == ["g-2"]


def test_under_resolve_the_queue_is_plain(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    world(engine, acute_in_history=24)
    monkeypatch.setenv("MATCHER_OFFER_POLICY", "resolve")
    get_settings.cache_clear()
    assert learned(engine).source == "off"
    assert pick(engine) == "g-1"
    assert offer(engine) == ["g-1"]


def test_too_little_history_leaves_the_plain_queue(engine: Engine) -> None:
    world(engine, acute_in_history=live.MIN_ACUTE - 1)
    found = learned(engine)
    assert (found.source, found.level4, found.nodes) == ("none", None, [])
    assert f"fewer than {live.MIN_ACUTE}" in found.reason
    assert pick(engine) == "g-1"
    assert offer(engine) == ["g-1"]


def test_learning_is_cached_for_the_hour(engine: Engine) -> None:
    world(engine, acute_in_history=2)

    def at(when: datetime, days: int | None = None) -> live.Potentials:
        with session_scope(engine, read_only=True) as s:  # a session of its own each time
            return live.current(s, when, days=days)

    first = at(NOW)
    assert at(NOW + timedelta(minutes=59)) is first
    with session_scope(engine) as s:  # a writer's session shares the cache
        assert live.current(s, NOW) is first
    later = at(NOW + timedelta(hours=1))
    assert later is not first
    assert later.window_end == first.window_end + timedelta(hours=1)
    assert at(NOW + timedelta(hours=1), days=30) is not later


def test_workers_learning_at_once_learn_the_same(engine: Engine) -> None:
    world(engine, acute_in_history=MIN)
    live.forget()
    found = together(lambda: learned(engine), workers=3)
    assert all(f.level4 == found[0].level4 and f.source == "history" for f in found)
    assert learned(engine).level4 == found[0].level4


def test_the_warmer_learns_at_start_so_no_request_pays(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An API process's warmer learns the hour's potentials when it starts; the first
    request then finds them cached. Learning that fails is logged by type only and
    leaves the thread running."""
    world(engine, acute_in_history=MIN)
    live.forget()
    warmer = live.Warmer(engine, lambda: NOW)
    warmer.start()
    try:
        deadline = datetime.now() + timedelta(seconds=30)
        while datetime.now() < deadline:
            with live._lock:
                if live._cache:
                    break
            time.sleep(0.05)
        calls: list[datetime] = []
        monkeypatch.setattr(live, "learn", lambda *a, **k: calls.append(a[1]))
        assert learned(engine).source == "history"
        assert calls == []  # cached by the warmer, not learned by the request
    finally:
        warmer.stop()
    assert not warmer._thread.is_alive()

    def broken(*_: object, **__: object) -> live.Potentials:
        raise RuntimeError("no store")

    live.forget()
    monkeypatch.setattr(live, "learn", broken)
    live.Warmer(engine, lambda: NOW).warm()  # does not raise


def test_the_next_warming_is_just_after_the_hour() -> None:
    assert live._seconds_to_next_hour(datetime(2026, 1, 1, 10, 59, 30)) == 30.0
    assert live._seconds_to_next_hour(datetime(2026, 1, 1, 10, 0, 0)) == 3600.0
