"""The ledger through the real store: random hold / confirm / release / enrol / end /
expire / provider report / clock steps, invariants checked after every step."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlmodel import col, select

from matcher.service import capacity, consent, referrals
from matcher.service.errors import ServiceError
from matcher.store import tables as t
from matcher.store.engine import make_engine, session_scope, upgrade
from matcher.store.ledger import verify
from matcher.store.snapshot import import_scenario
from tests.builders import make_need, make_participant, make_program, make_scenario

START = datetime(2026, 11, 2, 9, tzinfo=UTC)
TTL = timedelta(hours=48)
CM = "cm-1"
PEOPLE = 6


class StoreLedgerMachine(RuleBasedStateMachine):
    """One program, six participants with one need each, on a SQLite file."""

    @initialize()
    def setup(self) -> None:
        self.dir = tempfile.TemporaryDirectory()
        self.engine = make_engine(f"sqlite:///{Path(self.dir.name) / 'm.db'}")
        upgrade(self.engine)
        scenario = make_scenario(
            [make_program(capacity={"open_slots": 3, "waitlist": 1})],
            [
                make_participant(id=f"x-{i}", needs=[make_need(id=f"x-{i}-1")])
                for i in range(PEOPLE)
            ],
        )
        with session_scope(self.engine) as s:
            import_scenario(s, scenario, START, case_manager_id=CM)
            for i in range(PEOPLE):
                consent.grant(
                    s,
                    CM,
                    f"x-{i}",
                    recipient_type="organization",
                    recipient_id="org-1",
                    categories=["*"],
                    starts_at=START,
                    ends_at=None,
                    now=START,
                )
        self.now = START
        self.declined: set[str] = set()
        self.reported = (3, 1)
        self.enrolled_since_report = 0
        self.ended_since_report = 0

    def teardown(self) -> None:
        if hasattr(self, "engine"):
            self.engine.dispose()
            self.dir.cleanup()

    def _referrals(self, *statuses: str) -> list[t.Referral]:
        with session_scope(self.engine) as s:
            query = select(t.Referral).where(col(t.Referral.status).in_(statuses))
            return list(s.exec(query.order_by(col(t.Referral.id))))

    def _open(self) -> list[t.Referral]:
        return [r for r in self._referrals("held", "referred") if r.expires_at > self.now]

    @rule(person=st.integers(0, PEOPLE - 1))
    def hold(self, person: int) -> None:
        before = self._view()
        try:
            with session_scope(self.engine) as s:
                referrals.place_hold(
                    s,
                    CM,
                    participant_id=f"x-{person}",
                    need_id=f"x-{person}-1",
                    program_id="g-1",
                    pool="general",
                    now=self.now,
                    ttl=TTL,
                )
            refused = None
        except ServiceError as err:
            refused = err.rule
        if refused is None:
            assert before.unused > 0  # a hold only ever takes an unused place
        elif refused == "declined":  # the participant declined this program for the need
            assert f"x-{person}" in self.declined
        else:
            assert refused in ("no_room", "need_already_held")
            assert refused == "need_already_held" or before.unused == 0

    @precondition(lambda self: bool(self._open()))
    @rule(data=st.data(), action=st.sampled_from(["confirm", "release", "withdraw"]))
    def case_manager_acts(self, data: st.DataObject, action: str) -> None:
        r = data.draw(st.sampled_from(self._open()))
        with session_scope(self.engine) as s:
            if action == "confirm" and r.status == "held":
                referrals.confirm(s, CM, r.id, self.now, TTL)
            elif action == "release":
                referrals.release(s, CM, r.id, self.now)
            elif action == "withdraw":
                referrals.withdraw(s, CM, r.id, self.now)
                self.declined.add(r.participant_id)

    @precondition(lambda self: any(r.status == "referred" for r in self._open()))
    @rule(data=st.data(), accept=st.booleans())
    def provider_acts(self, data: st.DataObject, accept: bool) -> None:
        r = data.draw(st.sampled_from([r for r in self._open() if r.status == "referred"]))
        with session_scope(self.engine) as s:
            if accept:
                referrals.enrol(s, "org-1", r.id, "staff", self.now)
                self.enrolled_since_report += 1
            else:
                referrals.decline(s, "org-1", r.id, "no_capacity", "staff", self.now)

    @precondition(lambda self: bool(self._referrals("enrolled")))
    @rule(data=st.data())
    def placement_ends(self, data: st.DataObject) -> None:
        r = data.draw(st.sampled_from(self._referrals("enrolled")))
        with session_scope(self.engine) as s:
            referrals.end_placement(s, "org-1", r.id, "completed", "staff", self.now)
        self.ended_since_report += 1

    @rule(open_slots=st.integers(0, 5), waitlist=st.integers(0, 3))
    def provider_reports(self, open_slots: int, waitlist: int) -> None:
        with session_scope(self.engine) as s:
            capacity.report_capacity(
                s, "org-1", "g-1", open_slots=open_slots, waitlist=waitlist, actor="p", now=self.now
            )
        self.reported = (open_slots, waitlist)
        self.enrolled_since_report = self.ended_since_report = 0

    @rule(hours=st.sampled_from([1, 12, 47, 49]))
    def clock_advances(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    @rule()
    def sweeper_runs(self) -> None:
        with session_scope(self.engine) as s:
            referrals.expire_due(s, self.now)

    def _view(self) -> capacity.ProgramView:
        with session_scope(self.engine) as s:
            return capacity.get_program(s, "org-1", "g-1", self.now)

    @invariant()
    def ledger_holds(self) -> None:
        if not hasattr(self, "engine"):
            return
        view = self._view()
        with session_scope(self.engine) as s:
            assert verify(s, ["g-1"]) == []  # stored state == replay of the events
        open_slots, waitlist = self.reported
        # used = active holds + placements since the report; never negative.
        assert view.open_slots == max(
            0, open_slots - self.enrolled_since_report + self.ended_since_report
        )
        assert view.held == min(len(self._open()), view.open_slots or 0)
        assert min(view.open_slots or 0, view.held, view.waitlist, view.unused) >= 0
        assert view.waitlist == waitlist
        # Never a general place taken while the waitlist could take it: unused is what is
        # left after holds and the waitlist, and it is never negative.
        assert view.unused == max(0, (view.open_slots or 0) - view.held - view.waitlist)


StoreLedgerMachine.TestCase.settings = settings(
    max_examples=12, stateful_step_count=15, deadline=None
)
TestStoreLedgerMachine = StoreLedgerMachine.TestCase
