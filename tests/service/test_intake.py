"""Referrals into LEAD: the case managers' queue, taking one up, and the participant
it becomes, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier

import pytest
from sqlalchemy import Engine

from matcher.scenario import Participant
from matcher.service import accounts, intake, participants
from matcher.service.errors import Conflict, NotFound, ServiceError
from matcher.store.engine import session_scope
from tests.builders import make_need, make_participant

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
CASE_MANAGERS = [f"cm-{i}" for i in range(8)]


def submit(engine: Engine, reference: str = "D-1", minute: int = 0) -> str:
    with session_scope(engine) as s:
        officer = accounts.create_account(
            s,
            username=f"officer-{reference}",
            role="referrer",
            password=None,
            subject_id=None,
            now=NOW,
        )
        at = NOW + timedelta(minutes=minute)
        return intake.submit(s, officer.account_id, reference, "met at 3rd and Pine", at).intake_id


def queue(engine: Engine, case_manager_id: str) -> list[intake.IntakeView]:
    with session_scope(engine) as s:
        return intake.queue(s, case_manager_id)


def test_an_intake_taken_up_leaves_the_other_case_managers_queue(engine: Engine) -> None:
    first, second = submit(engine, "D-1"), submit(engine, "D-2", minute=1)
    assert [i.intake_id for i in queue(engine, "cm-0")] == [first, second]
    assert queue(engine, "cm-0")[0].note == "met at 3rd and Pine"
    with session_scope(engine) as s:
        taken = intake.take(s, "cm-0", first, NOW)
    assert taken.taken
    assert taken.taken_at == NOW
    assert [i.intake_id for i in queue(engine, "cm-1")] == [second]
    assert [(i.intake_id, i.taken) for i in queue(engine, "cm-0")] == [
        (first, True),
        (second, False),
    ]
    with session_scope(engine) as s:
        assert intake.take(s, "cm-0", first, NOW).taken  # again: no change
        with pytest.raises(NotFound):  # someone else's answers like a missing one
            intake.take(s, "cm-1", first, NOW)
        with pytest.raises(NotFound):
            intake.take(s, "cm-1", "nope", NOW)


def test_an_intake_is_linked_only_to_its_own_case_managers_participant(engine: Engine) -> None:
    made = submit(engine)
    person = Participant.model_validate(make_participant(id="x-1", needs=[make_need(id="x-1-1")]))
    with session_scope(engine) as s:
        participants.create(s, "cm-0", person, NOW)
        with pytest.raises(Conflict):
            intake.link(s, "cm-0", made, "x-1")  # not taken up yet
    with session_scope(engine) as s:
        intake.take(s, "cm-0", made, NOW)
        with pytest.raises(NotFound):
            intake.link(s, "cm-1", made, "x-1")
        intake.link(s, "cm-0", made, "x-1")
    assert queue(engine, "cm-0")[0].participant_id == "x-1"


def test_simultaneous_take_ups_give_the_intake_to_exactly_one(engine: Engine) -> None:
    made = submit(engine)
    start = Barrier(len(CASE_MANAGERS))

    def attempt(case_manager_id: str) -> str:
        start.wait()
        try:
            with session_scope(engine) as s:
                intake.take(s, case_manager_id, made, NOW)
        except ServiceError as error:
            return error.rule
        return "ok"

    with ThreadPoolExecutor(max_workers=len(CASE_MANAGERS)) as pool:
        outcomes = list(pool.map(attempt, CASE_MANAGERS))
    assert outcomes.count("ok") == 1, outcomes
    assert set(outcomes) <= {"ok", "taken", "not_found"}
    winner = CASE_MANAGERS[outcomes.index("ok")]
    assert [i.taken for i in queue(engine, winner)] == [True]
    assert all(queue(engine, cm) == [] for cm in CASE_MANAGERS if cm != winner)
