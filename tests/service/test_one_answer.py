"""One answer for everyone: a case manager's request sees the optimum of LEAD's whole
queue, and a hold that would cost the queue an acute need or a need is refused."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import col, select

from matcher.assignment import Assignment
from matcher.service import matching, offers, referrals
from matcher.service.errors import Conflict
from matcher.service.queue import QueueCheck
from matcher.store import tables as t
from matcher.store.engine import session_scope
from tests.builders import make_need, make_participant, offset
from tests.service import world
from tests.service.world import CM, NOW, check_store, program, race, run, seed

CHECK = QueueCheck(default_max_distance_km=None, time_limit=10)


def needy(pid: str, acute: bool = False, **more: object) -> dict[str, object]:
    return make_participant(id=pid, needs=[make_need(id=f"{pid}-0", acute=acute)], **more)


def picks(engine: Engine, pid: str, cm: str = CM) -> list[tuple[str | None, str | None]]:
    """Per need of the participant's request: (program recommended, reason unmet)."""
    result = run(engine, lambda s: matching.match_participant(s, cm, pid, NOW, 10))
    return [(n.recommended.program_id if n.recommended else None, n.reason) for n in result.needs]


def hold(engine: Engine, pid: str, program_id: str) -> referrals.ReferralView:
    return world.hold(engine, pid, f"{pid}-0", program_id, queue=CHECK)


def test_the_last_place_is_recommended_to_the_acute_need_and_kept_from_the_other(
    engine: Engine,
) -> None:
    seed(engine, [program("g-1", open_slots=1)], [needy("a"), needy("b", acute=True)])
    assert picks(engine, "a") == [(None, "kept_for_more_urgent")]
    assert picks(engine, "b") == [("g-1", None)]
    with pytest.raises(Conflict) as refused:
        hold(engine, "a", "g-1")
    assert refused.value.rule == "kept_for_more_urgent"
    assert refused.value.extra["remaining"] == []
    with session_scope(engine) as s:  # nothing of the refused hold was written
        assert s.exec(select(t.Referral)).all() == []
        assert (
            s.exec(select(t.CapacityEvent).where(t.CapacityEvent.kind == "hold_placed")).all() == []
        )
    assert hold(engine, "b", "g-1").status == "held"
    check_store(engine)


def test_a_hold_that_leaves_another_need_without_a_place_names_the_place_that_remains(
    engine: Engine,
) -> None:
    far = program("g-2", open_slots=1, location=offset(km_north=20))
    a = needy("a", location=offset(km_north=10), max_distance_km=15)
    b = needy("b", max_distance_km=5)  # only g-1 is near enough
    seed(engine, [program("g-1", open_slots=1), far], [a, b])
    assert picks(engine, "a") == [("g-2", None)]
    with pytest.raises(Conflict) as refused:
        hold(engine, "a", "g-1")
    assert refused.value.extra["remaining"] == [{"program_id": "g-2", "pool": "general"}]
    assert "g-2" in refused.value.message
    assert hold(engine, "a", "g-2").status == "held"
    assert hold(engine, "b", "g-1").status == "held"
    check_store(engine)


def test_when_places_suffice_any_hold_is_accepted(engine: Engine) -> None:
    seed(engine, [program("g-1", open_slots=2)], [needy("a"), needy("b", acute=True)])
    assert hold(engine, "a", "g-1").status == "held"
    assert picks(engine, "b") == [("g-1", None)]


def seed_rounds(engine: Engine, rounds: int) -> None:
    """Per round ``r``: places g-r-1 and g-r-2 (one free each), needs of a and b and an
    acute need of c that could each take either. Rounds lie 100 km apart and their
    participants travel 5 km, so no round reaches another's places."""
    programs, people = [], []
    for r in range(rounds):
        here = offset(km_north=100 * r)
        programs += [program(f"g-{r}-{k}", open_slots=1, location=here) for k in (1, 2)]
        people += [
            needy(f"{who}{r}", acute=who == "c", location=here, max_distance_km=5)
            for who in ("a", "b", "c")
        ]
    seed(engine, programs, people)


def test_two_holds_on_different_programs_that_together_cost_an_acute_need_never_both_win(
    engine: Engine,
) -> None:
    """Each round: two places, two needs that could take either, and an acute need that
    could too. Either hold alone leaves the acute need a place; both leave it none. Held
    by the queue's lock: the second check sees the first hold. Rounds lie 100 km apart
    and their participants travel 5 km, so earlier rounds never reach later places."""
    rounds = 8
    seed_rounds(engine, rounds)
    for r in range(rounds):
        outcomes = race(
            [partial(hold, engine, f"a{r}", f"g-{r}-1"), partial(hold, engine, f"b{r}", f"g-{r}-2")]
        )
        assert sorted(outcomes) == ["kept_for_more_urgent", "ok"], (r, outcomes)
        assert picks(engine, f"c{r}") == [
            (f"g-{r}-{outcomes.index('kept_for_more_urgent') + 1}", None)
        ]
    check_store(engine)


def test_a_hold_racing_the_re_solve_never_leaves_the_acute_need_without_its_place(
    engine: Engine,
) -> None:
    """Each round: two places opened (signalled), two needs and an acute need that could
    each take either. The re-solve offers the acute need and one other a place while a
    hold takes one for the third: whichever goes first, the other sees it (the queue's
    lock), so the acute need always ends with an offer."""
    rounds = 8
    seed_rounds(engine, rounds)
    with session_scope(engine) as s:  # the import's own signals answered first
        s.execute(delete(t.CapacitySignal))
    for r in range(rounds):
        with session_scope(engine) as s:
            for k in (1, 2):
                s.add(t.CapacitySignal(program_id=f"g-{r}-{k}", kind="report", at=NOW))

        def re_solve() -> None:
            with session_scope(engine) as s:
                offers.resolve(
                    s, NOW, offer_for=timedelta(hours=24), time_limit=10,
                    default_max_distance_km=None,
                )  # fmt: skip

        race([re_solve, partial(hold, engine, f"b{r}", f"g-{r}-1")])
        with session_scope(engine) as s:
            acute = s.exec(
                select(t.Referral).where(
                    t.Referral.need_id == f"c{r}-0",
                    col(t.Referral.status).in_(["offered", "held"]),
                )
            ).all()
        assert len(acute) == 1, r
    check_store(engine)


OTHER = "cm-2"


def move_to(engine: Engine, case_manager_id: str, people: Sequence[str]) -> None:
    """The participants named belong to another case load from now on."""
    with session_scope(engine) as s:
        for row in s.exec(select(t.Participant).where(col(t.Participant.id).in_(people))):
            row.case_manager_id = case_manager_id
            s.add(row)


def batch(engine: Engine, case_manager_id: str) -> Assignment:
    return run(engine, lambda s: matching.batch_match(s, case_manager_id, NOW, 10))


def batch_picks(answer: Assignment) -> dict[str, tuple[str | None, str | None]]:
    """Need id -> (program recommended, reason unmet), as ``picks`` reads a request."""
    out: dict[str, tuple[str | None, str | None]] = {
        a.need_id: (a.program_id, None) for a in answer.assignments
    }
    out.update({u.need_id: (None, u.reason) for u in answer.unmatched})
    return out


def test_the_batch_of_the_less_urgent_case_load_keeps_the_place_for_the_other(
    engine: Engine,
) -> None:
    seed(engine, [program("g-1", open_slots=1)], [needy("a"), needy("b", acute=True)])
    move_to(engine, OTHER, ["b"])
    mine, theirs = batch(engine, CM), batch(engine, OTHER)
    assert mine.assignments == []
    assert [(u.need_id, u.reason) for u in mine.unmatched] == [("a-0", "kept_for_more_urgent")]
    assert (mine.objective.matched, mine.bounds.matched) == (0, 0)
    assert [(a.need_id, a.program_id) for a in theirs.assignments] == [("b-0", "g-1")]
    assert (theirs.objective.acute_matched, theirs.objective.matched) == (1, 1)


def test_a_need_without_any_option_keeps_its_own_reason_in_the_batch(engine: Engine) -> None:
    hungry = needy("f", acute=True) | {
        "needs": [make_need(id="f-0", acute=True, service_types=["food.meals"])]
    }
    seed(engine, [program("g-1", open_slots=1), program("g-2", open_slots=0)], [hungry])
    answer = batch(engine, CM)
    assert [(u.need_id, u.reason) for u in answer.unmatched] == [("f-0", "no_program_of_type")]
    assert picks(engine, "f") == [(None, "no_program_of_type")]


def crowded(seed_no: int) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Four programs with few places and ten participants of one or two needs, some
    acute, with travel limits that make them compete for different places."""
    rng = random.Random(seed_no)
    programs = [
        program(f"g-{k}", open_slots=rng.randint(0, 2), location=offset(km_north=6 * k))
        for k in range(4)
    ]
    people = [
        make_participant(
            id=f"x{i}",
            location=offset(km_north=rng.uniform(0, 18)),
            max_distance_km=rng.choice([4.0, 8.0, 30.0]),
            needs=[
                make_need(id=f"x{i}-{k}", acute=rng.random() < 0.3)
                for k in range(rng.randint(1, 2))
            ],
        )
        for i in range(10)
    ]
    return programs, people


@pytest.mark.parametrize("seed_no", [1, 2, 3])
def test_the_batch_agrees_with_each_request_and_every_place_it_recommends_can_be_held(
    engine: Engine, seed_no: int
) -> None:
    programs, people = crowded(seed_no)
    seed(engine, programs, people)
    ids = [str(p["id"]) for p in people]
    move_to(engine, OTHER, ids[::2])
    owner = {pid: OTHER if k % 2 == 0 else CM for k, pid in enumerate(ids)}
    answers = {cm: batch(engine, cm) for cm in (CM, OTHER)}
    together = {**batch_picks(answers[CM]), **batch_picks(answers[OTHER])}
    for person in people:
        pid = str(person["id"])
        needs = [str(n["id"]) for n in person["needs"]]  # type: ignore[attr-defined]
        assert picks(engine, pid, owner[pid]) == [together[n] for n in needs], pid
    kept = [u for a in answers.values() for u in a.unmatched if u.reason == "kept_for_more_urgent"]
    assert kept, "the places are too few: some need must be kept for another"
    for cm, answer in answers.items():
        for a in answer.assignments:
            with session_scope(engine) as s:
                referrals.place_hold(
                    s, cm, participant_id=a.participant_id, need_id=a.need_id,
                    program_id=a.program_id, pool=a.pool, now=NOW, ttl=world.TTL, queue=CHECK,
                )  # fmt: skip
    check_store(engine)
