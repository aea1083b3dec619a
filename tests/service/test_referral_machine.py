"""The referral lifecycle under many actors at random, on SQLite and PostgreSQL.

Two case managers hold, confirm, withdraw and release for their participants; two
providers enrol, decline and end placements; participants grant and revoke consent;
the clock moves and the sweeper runs. After every step: a need has at most one open
referral, every status has its referral event and the history replays under the
lifecycle table, the ledger equals its replay, and a provider sees exactly the
referrals sent to it, with the participant's facts only while a consent is in force.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlmodel import Session, col, select

from matcher.capacity.referral import DECLINE_REASONS
from matcher.service import capacity, consent, referrals
from matcher.store import tables as t
from matcher.store.engine import make_engine, session_scope
from matcher.store.snapshot import import_scenario
from tests.builders import make_need, make_participant, make_program, make_scenario
from tests.dbs import BACKENDS, fresh_database
from tests.service.world import NOW, TTL, check_store, outcome, run

CASE_MANAGERS = ("cm-1", "cm-2")
PEOPLE = [f"x-{i}" for i in range(6)]  # x-0, x-2, x-4 are cm-1's; the others cm-2's
PROGRAMS = {"a": "org-1", "b": "org-1", "c": "org-2"}


def _owner(participant_id: str) -> str:
    return CASE_MANAGERS[int(participant_id.split("-")[1]) % 2]


def machine_for(backend: str) -> type[RuleBasedStateMachine]:
    class ReferralMachine(RuleBasedStateMachine):
        @initialize()
        def setup(self) -> None:
            self.stack = ExitStack()
            tmp = Path(self.stack.enter_context(TemporaryDirectory()))
            url = self.stack.enter_context(fresh_database(backend, tmp))
            self.engine = make_engine(url, pool_size=2, max_overflow=2)
            self.stack.callback(self.engine.dispose)
            programs = [
                make_program(id=pid, provider_id=org, capacity={"open_slots": 2, "waitlist": 0})
                for pid, org in PROGRAMS.items()
            ]
            people = [
                make_participant(id=p, needs=[make_need(id=f"{p}-{k}") for k in range(2)])
                for p in PEOPLE
            ]
            with session_scope(self.engine) as s:
                import_scenario(s, make_scenario(programs, people), NOW, case_manager_id="cm-1")
                for p in PEOPLE:  # the case loads are split between the two case managers
                    row = s.get(t.Participant, p)
                    assert row is not None
                    row.case_manager_id = _owner(p)
                    s.add(row)
            self.now = NOW
            self.sent: set[str] = set()  # referrals confirmed, by this model's account

        def teardown(self) -> None:
            if hasattr(self, "stack"):
                self.stack.close()

        def _rows(self, *statuses: str) -> list[t.Referral]:
            with session_scope(self.engine) as s:
                q = select(t.Referral).where(col(t.Referral.status).in_(statuses))
                return [
                    r for r in s.exec(q.order_by(col(t.Referral.id))) if r.expires_at > self.now
                ]

        def _consented(self, participant_id: str, program_id: str) -> bool:
            with session_scope(self.engine) as s:
                program = s.get(t.Program, program_id)
                assert program is not None
                return (
                    consent.valid_consent(s, participant_id, program, "housing", self.now)
                    is not None
                )

        @rule(
            p=st.sampled_from(PEOPLE), need=st.integers(0, 1), g=st.sampled_from(sorted(PROGRAMS))
        )
        def hold(self, p: str, need: int, g: str) -> None:
            def act(s: Session) -> object:
                return referrals.place_hold(
                    s,
                    _owner(p),
                    participant_id=p,
                    need_id=f"{p}-{need}",
                    program_id=g,
                    pool="general",
                    now=self.now,
                    ttl=TTL,
                )

            done = outcome(lambda: run(self.engine, act))
            assert done in ("ok", "no_room", "need_already_held", "declined")

        @rule(p=st.sampled_from(PEOPLE), org=st.sampled_from(["org-1", "org-2"]))
        def grant(self, p: str, org: str) -> None:
            with session_scope(self.engine) as s:
                consent.grant(
                    s,
                    _owner(p),
                    p,
                    recipient_type="organization",
                    recipient_id=org,
                    categories=["*"],
                    starts_at=self.now,
                    ends_at=None,
                    now=self.now,
                )

        @rule(data=st.data())
        def revoke(self, data: st.DataObject) -> None:
            with session_scope(self.engine) as s:
                live = list(s.exec(select(t.Consent).where(col(t.Consent.revoked_at).is_(None))))
            if not live:
                return
            c = data.draw(st.sampled_from(sorted(live, key=lambda c: c.id)))
            with session_scope(self.engine) as s:
                consent.revoke(s, _owner(c.participant_id), c.participant_id, c.id, self.now)

        @precondition(lambda self: bool(self._rows("held")))
        @rule(data=st.data())
        def confirm(self, data: st.DataObject) -> None:
            r = data.draw(st.sampled_from(self._rows("held")))
            allowed = self._consented(r.participant_id, r.program_id)
            done = outcome(
                lambda: run(
                    self.engine,
                    lambda s: referrals.confirm(s, r.case_manager_id, r.id, self.now, TTL),
                )
            )
            assert done == ("ok" if allowed else "consent_required")
            if done == "ok":
                self.sent.add(r.id)

        @precondition(lambda self: bool(self._rows("held", "referred")))
        @rule(data=st.data(), withdraw=st.booleans())
        def case_manager_lets_go(self, data: st.DataObject, withdraw: bool) -> None:
            r = data.draw(st.sampled_from(self._rows("held", "referred")))
            act = referrals.withdraw if withdraw else referrals.release
            with session_scope(self.engine) as s:
                act(s, r.case_manager_id, r.id, self.now)

        @precondition(lambda self: bool(self._rows("referred")))
        @rule(data=st.data(), reason=st.sampled_from([None, *DECLINE_REASONS]))
        def provider_answers(self, data: st.DataObject, reason: str | None) -> None:
            r = data.draw(st.sampled_from(self._rows("referred")))
            org = PROGRAMS[r.program_id]
            allowed = self._consented(r.participant_id, r.program_id)

            def act(s: Session) -> object:
                if reason is None:
                    return referrals.enrol(s, org, r.id, "staff", self.now)
                return referrals.decline(s, org, r.id, reason, "staff", self.now)

            done = outcome(lambda: run(self.engine, act))
            # never an enrolment without a consent in force
            assert done == ("ok" if reason is not None or allowed else "consent_withdrawn")

        @precondition(lambda self: bool(self._rows("enrolled")))
        @rule(data=st.data())
        def placement_ends(self, data: st.DataObject) -> None:
            r = data.draw(st.sampled_from(self._rows("enrolled")))
            with session_scope(self.engine) as s:
                referrals.end_placement(
                    s, PROGRAMS[r.program_id], r.id, "completed", "staff", self.now
                )

        @rule(g=st.sampled_from(sorted(PROGRAMS)), open_slots=st.integers(0, 3))
        def provider_reports(self, g: str, open_slots: int) -> None:
            with session_scope(self.engine) as s:
                capacity.report_capacity(
                    s, PROGRAMS[g], g, open_slots=open_slots, waitlist=0, actor="p", now=self.now
                )

        @rule(hours=st.sampled_from([1, 47, 49, 24 * 6]))
        def clock_advances(self, hours: int) -> None:
            self.now += timedelta(hours=hours)

        @rule()
        def sweeper_runs(self) -> None:
            with session_scope(self.engine) as s:
                referrals.expire_due(s, self.now)

        @invariant()
        def referrals_hold_their_promises(self) -> None:
            if not hasattr(self, "engine"):
                return
            check_store(self.engine)
            with session_scope(self.engine) as s:
                rows = {r.id: r for r in s.exec(select(t.Referral))}
                for org in ("org-1", "org-2"):
                    seen = {v.referral_id: v for v in referrals.incoming(s, org, self.now)}
                    expected = {
                        rid
                        for rid in self.sent
                        if PROGRAMS[rows[rid].program_id] == org
                        and (rows[rid].status != "referred" or rows[rid].expires_at > self.now)
                    }
                    assert set(seen) == expected  # sent ones only: never a hold
                    for rid, v in seen.items():
                        program = s.get(t.Program, rows[rid].program_id)
                        assert program is not None
                        valid = consent.valid_consent(
                            s, rows[rid].participant_id, program, "housing", self.now
                        )
                        assert (v.participant_id != "withheld") == (valid is not None)
                        if valid is None:
                            assert v.facts == {}
                            # a sent referral whose consent is gone is not left waiting
                            assert rows[rid].status != "referred"

    ReferralMachine.TestCase.settings = settings(
        max_examples=8, stateful_step_count=25, deadline=None
    )
    return ReferralMachine


@pytest.mark.parametrize("backend", BACKENDS)
def test_referral_lifecycle_under_many_actors(backend: str) -> None:
    machine_for(backend).TestCase().runTest()
