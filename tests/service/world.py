"""A small store for referral tests: programs of one provider, participants of one case
manager with consent to share with that provider, and short ways to act on them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from matcher.capacity.referral import Action, Status, replay
from matcher.service import consent, referrals
from matcher.service.errors import ServiceError
from matcher.store import tables as t
from matcher.store.engine import session_scope
from matcher.store.ledger import verify
from matcher.store.snapshot import import_scenario
from tests.builders import Json, make_need, make_participant, make_program, make_scenario

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
TTL = timedelta(hours=48)
CM = "cm-1"
ORG = "org-1"
T = TypeVar("T")

ACTION_OF = {
    Status.HELD: Action.HOLD,
    Status.REFERRED: Action.CONFIRM,
    Status.ENROLLED: Action.ENROL,
    Status.DECLINED: Action.DECLINE,
    Status.WITHDRAWN: Action.WITHDRAW,
    Status.RELEASED: Action.RELEASE,
    Status.EXPIRED: Action.EXPIRE,
    Status.ENDED: Action.END,
    Status.OFFERED: Action.OFFER,
    Status.PASSED: Action.PASS,
}


def actions_of(steps: Sequence[Status]) -> list[Action]:
    """The actions a history of statuses stands for (held after offered: accepted)."""
    return [
        Action.ACCEPT if (now is Status.HELD and before is Status.OFFERED) else ACTION_OF[now]
        for before, now in zip([None, *steps], steps, strict=False)
    ]


def seed(
    engine: Engine, programs: Sequence[Json], people: Sequence[Json], budget: float = 0.0
) -> None:
    """Import the programs, the participants and the fund's ``budget``; each
    participant consents to share everything with the provider."""
    with session_scope(engine) as s:
        scenario = make_scenario(list(programs), list(people), budget)
        import_scenario(s, scenario, NOW, case_manager_id=CM)
        for person in people:
            grant(s, str(person["id"]))


def grant(s: Session, participant_id: str, recipient_id: str = ORG) -> str:
    """The participant consents to share everything with the organisation."""
    return consent.grant(
        s,
        CM,
        participant_id,
        recipient_type="organization",
        recipient_id=recipient_id,
        categories=["*"],
        starts_at=NOW - timedelta(days=1),
        ends_at=None,
        now=NOW,
    ).consent_id


def program(pid: str, open_slots: int = 3, waitlist: int = 0, **more: Any) -> Json:
    return make_program(id=pid, capacity={"open_slots": open_slots, "waitlist": waitlist}, **more)


def person(pid: str, needs: int = 1) -> Json:
    return make_participant(id=pid, needs=[make_need(id=f"{pid}-{k}") for k in range(needs)])


def hold(
    engine: Engine,
    participant_id: str,
    need_id: str,
    program_id: str,
    at: datetime = NOW,
    **more: Any,
) -> referrals.ReferralView:
    """Hold a general place (``more``: other keywords of ``place_hold``)."""
    with session_scope(engine) as s:
        return referrals.place_hold(
            s,
            CM,
            participant_id=participant_id,
            need_id=need_id,
            program_id=program_id,
            pool=more.pop("pool", "general"),
            now=at,
            ttl=TTL,
            **more,
        )


def run(engine: Engine, use_case: Callable[[Session], T]) -> T:
    with session_scope(engine) as s:
        return use_case(s)


def outcome(attempt: Callable[[], object]) -> str:
    """``ok``, or the rule a refusal names."""
    try:
        attempt()
    except ServiceError as err:
        return err.rule
    return "ok"


def race(attempts: Sequence[Callable[[], object]]) -> list[str]:
    """Start every attempt at once, each in its own thread and transaction."""
    start = Barrier(len(attempts))

    def go(attempt: Callable[[], object]) -> str:
        start.wait()
        return outcome(attempt)

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        return list(pool.map(go, attempts))


def check_store(engine: Engine) -> None:
    """Invariants of every referral: one open per need, histories the lifecycle allows,
    a referral event for every status, and the ledger equal to its replay."""
    with session_scope(engine) as s:
        rows = list(s.exec(select(t.Referral)))
        open_needs = [r.need_id for r in rows if r.status in t.OPEN_REFERRAL_STATUSES]
        assert len(open_needs) == len(set(open_needs)), "a need with two open referrals"
        events = list(s.exec(select(t.ReferralEvent).order_by(col(t.ReferralEvent.id))))
        for r in rows:
            steps = [Status(e.status) for e in events if e.referral_id == r.id]
            assert replay(actions_of(steps)) == Status(r.status), (r.id, steps)
        programs = list(s.exec(select(t.Program.id)))
        assert verify(s, programs) == []


def together(job: Callable[[], T], workers: int = 3) -> list[T]:
    """Run ``job`` in ``workers`` threads started at once (workers racing); what each
    returned."""
    start = Barrier(workers)

    def go(_: int) -> T:
        start.wait()
        return job()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(go, range(workers)))
