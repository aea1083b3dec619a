"""The re-solve's kept copy of participants, plans and programs: read once, kept
while only capacity, holds and referrals change, read again after any write to what
it copied (the database's triggers note each), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, text
from sqlmodel import Session

from matcher.scenario import Need
from matcher.service import capacity, offers, participants
from matcher.service.kept import KeptQueue
from matcher.store.engine import session_scope
from tests.service.world import CM, NOW, ORG, hold, person, program, seed


def _part(engine: Engine, kept: KeptQueue | None, at: int = 0) -> object:
    with session_scope(engine) as s:
        return offers.signalled_part(
            s,
            NOW + timedelta(minutes=at),
            {"g-1"},
            set(),
            default_max_distance_km=None,
            passed_within=timedelta(hours=24),
            kept=kept,
        )


def test_the_copy_is_kept_across_capacity_and_holds_and_read_again_after_a_plan_or_program_change(
    engine: Engine,
) -> None:
    seed(engine, [program("g-1", open_slots=1), program("g-2")], [person("a"), person("b")])
    kept = KeptQueue()
    assert _part(engine, kept) == _part(engine, None)
    assert kept.reads == 1
    with session_scope(engine) as s:
        capacity.report_capacity(s, ORG, "g-1", open_slots=4, waitlist=0, actor="provider", now=NOW)
    hold(engine, "a", "a-0", "g-1")
    assert _part(engine, kept, 1) == _part(engine, None, 1)
    assert kept.reads == 1  # capacity and holds are read each time, not kept
    with session_scope(engine) as s:
        plan = participants.get(s, CM, "b").needs
        extra = Need(id="b-new", service_types=["housing.shelter"], acute=True)
        participants.set_plan(s, CM, "b", [*plan, extra], NOW)
    fresh = _part(engine, kept, 2)
    assert fresh == _part(engine, None, 2)
    assert kept.reads == 2
    assert "b-new" in {n.id for p in fresh.participants for n in p.needs}  # type: ignore[attr-defined]
    with session_scope(engine) as s:
        s.execute(text("UPDATE program SET serves = '[]' WHERE id = 'g-2'"))
    assert _part(engine, kept, 3) == _part(engine, None, 3)
    assert kept.reads == 3
    assert _part(engine, kept, 4) == _part(engine, None, 4)
    assert kept.reads == 3


def test_a_write_committed_after_the_copy_was_read_is_seen(engine: Engine) -> None:
    """A participant change that began before the copy was read and commits after it
    still makes the next event read the copy again."""
    seed(engine, [program("g-1", open_slots=1)], [person("a")])
    kept = KeptQueue()
    if engine.dialect.name == "postgresql":
        with session_scope(engine) as writer:
            writer.execute(text("UPDATE participant SET max_distance_km = 1 WHERE id = 'a'"))
            _part(engine, kept)  # reads the copy while the write is not committed
            assert kept.reads == 1
    else:
        _part(engine, kept)
        with session_scope(engine) as writer:
            writer.execute(text("UPDATE participant SET max_distance_km = 1 WHERE id = 'a'"))
    assert _part(engine, kept, 1) == _part(engine, None, 1)
    assert kept.reads == 2


def test_a_copy_read_beside_a_write_that_is_rolled_back_is_not_kept(engine: Engine) -> None:
    seed(engine, [program("g-1", open_slots=1)], [person("a"), person("b")])
    kept = KeptQueue()
    _part(engine, kept)
    with Session(engine) as s:
        s.execute(text("UPDATE participant SET active = false WHERE id = 'b'"))
        inside = offers.signalled_part(
            s,
            NOW,
            {"g-1"},
            set(),
            default_max_distance_km=None,
            passed_within=timedelta(hours=24),
            kept=kept,
        )
        assert [p.id for p in inside.participants] == ["a"]  # its own view
        s.rollback()
    again = _part(engine, kept, 1)
    assert again == _part(engine, None, 1)
    assert [p.id for p in again.participants] == ["a", "b"]  # type: ignore[attr-defined]


def test_read_only_sessions_share_one_copy_with_writing_ones(engine: Engine) -> None:
    """A read-only session binds a view of the engine made for it alone; the copy is
    known by the engine's connection pool, so every session on the store shares it."""
    seed(engine, [program("g-1", open_slots=1)], [person("a")])
    kept = KeptQueue()
    for read_only in (True, True, False):
        with session_scope(engine, read_only=read_only) as s:
            kept.get(s, NOW, None)
    assert kept.reads == 1
