"""The case-load dashboard's rows and its search, filters and sorts, on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from matcher.service import caseload, matching, referrals
from matcher.store.engine import session_scope
from tests.builders import make_need, make_participant
from tests.service.world import CM, NOW, TTL, hold, person, program, seed


@pytest.fixture
def world(engine: Engine) -> Engine:
    """Four participants: one with a place held, one whose referral awaits an answer,
    one whose hold expired, and one needing a service nobody offers."""
    hungry = make_participant(
        id="d-food", needs=[make_need(id="d-food-1", acute=True, service_types=["food.meals"])]
    )
    seed(
        engine,
        [program("g-1", open_slots=5)],
        [person("a-held"), person("b-sent"), person("c-lapsed"), hungry],
    )
    hold(engine, "a-held", "a-held-0", "g-1")
    sent = hold(engine, "b-sent", "b-sent-0", "g-1", at=NOW - timedelta(hours=12))
    with session_scope(engine) as s:
        referrals.confirm(
            s, CM, sent.referral_id, NOW - timedelta(hours=12), TTL, timedelta(hours=1)
        )
    hold(engine, "c-lapsed", "c-lapsed-0", "g-1", at=NOW - TTL - timedelta(hours=1))
    with session_scope(engine) as s:
        referrals.expire_due(s, NOW)
    return engine


def _rows(engine: Engine) -> dict[str, caseload.Row]:
    with session_scope(engine) as s:
        answer = matching.batch_match(s, CM, NOW, 10.0)
        return {r.participant_id: r for r in caseload.rows(s, CM, NOW, answer)}


def test_each_participant_shows_what_is_held_awaited_expired_and_unmet(world: Engine) -> None:
    rows = _rows(world)
    assert [r.program_id for r in rows["a-held"].holds] == ["g-1"]
    assert rows["a-held"].waiting_since is None  # the held place covers their one need
    assert rows["a-held"].next_deadline == NOW + TTL
    assert rows["b-sent"].overdue == 1  # sent twelve hours ago, due in one
    assert rows["c-lapsed"].expired
    assert rows["c-lapsed"].waiting_since is not None
    (unmet,) = rows["d-food"].unmet
    assert unmet.reason == "no_program_of_type"
    assert unmet.words == "no program offers the service"
    assert rows["c-lapsed"].unmet == []  # g-1 still has room for them


def test_without_a_solve_no_need_is_called_unmet(world: Engine) -> None:
    with session_scope(world) as s:
        rows = caseload.rows(s, CM, NOW, None)
    assert all(r.unmet == [] for r in rows)


@pytest.mark.parametrize(
    ("show", "expected"),
    [
        ("all", ["a-held", "b-sent", "c-lapsed", "d-food"]),
        ("held", ["a-held"]),
        ("awaiting", ["b-sent"]),
        ("overdue", ["b-sent"]),
        ("expired", ["c-lapsed"]),
        ("unmet", ["d-food"]),
        ("acute", ["d-food"]),
        ("waiting", ["c-lapsed", "d-food"]),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_filter_keeps_only_the_rows_it_names(
    world: Engine, show: caseload.Show, expected: list[str]
) -> None:
    chosen = caseload.choose(_rows(world).values(), show=show, sort="name")
    assert [r.participant_id for r in chosen] == expected


def test_search_and_sorts(world: Engine) -> None:
    rows = list(_rows(world).values())
    assert [r.participant_id for r in caseload.choose(rows, search="SENT")] == ["b-sent"]
    by_deadline = [r.participant_id for r in caseload.choose(rows, sort="deadline")]
    assert by_deadline[:2] == ["b-sent", "a-held"]  # an overdue answer before a hold
    assert caseload.choose(rows, activity="inactive") == []
