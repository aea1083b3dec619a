"""``matcher demo``: the three users' daily flows, end to end, on a fresh database.

A provider reports open places; a case manager asks for matches for one
participant's plan, holds the recommended places and confirms them; the provider
enrols; a funder reads unmet need (suppressed) and the fund. Every step goes through
the same service functions as the API.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from matcher.options import Option
from matcher.scenario import Scenario
from matcher.service import capacity, consent, funding, matching, referrals
from matcher.service.errors import ServiceError
from matcher.store.engine import make_engine, session_scope, upgrade
from matcher.store.snapshot import import_scenario
from matcher.store.tables import Program

T = TypeVar("T")
CASE_MANAGER = "cm-demo"
TTL = timedelta(hours=48)


class Demo:
    """One run of the walk-through, printing as it goes."""

    def __init__(self, engine: Engine, now: datetime, say: Callable[[str], None]) -> None:
        self.engine = engine
        self.now = now
        self.say = say

    def run(self, use_case: Callable[[Session], T]) -> T:
        with session_scope(self.engine) as session:
            return use_case(session)

    def provider_reports(
        self, organization: str, program_id: str, open_slots: int, waitlist: int
    ) -> None:
        before = self.run(lambda s: capacity.get_program(s, organization, program_id, self.now))
        self.say(
            f"\n1. PROVIDER {organization} reports {program_id}: "
            f"{open_slots} open, {waitlist} waiting (was {before.open_slots} open, "
            f"{before.waitlist} waiting, version {before.version})"
        )
        after = self.run(
            lambda s: capacity.report_capacity(
                s,
                organization,
                program_id,
                open_slots=open_slots,
                waitlist=waitlist,
                actor=organization,
                now=self.now,
                expected_version=before.version,
            )
        )
        self.say(
            f"   -> version {after.version}: {after.unused} unused place(s) a participant may take;"
            " "
            f"{min(after.waitlist, (after.open_slots or 0) - after.held)} owed to people waiting"
        )
        try:
            self.run(
                lambda s: capacity.report_capacity(
                    s,
                    organization,
                    program_id,
                    open_slots=0,
                    waitlist=0,
                    actor=organization,
                    now=self.now,
                    expected_version=before.version,
                )
            )
        except ServiceError as err:
            self.say(
                "   a second report from the same stale screen is refused: "
                f"{err.rule} ({err.message})"
            )

    def case_manager_matches(self, participant_id: str) -> list[str]:
        self.say(
            f"\n2. CASE MANAGER {CASE_MANAGER} asks for matches for participant {participant_id}"
        )
        result = self.run(
            lambda s: matching.match_participant(s, CASE_MANAGER, participant_id, self.now, 20)
        )
        held: list[str] = []
        for need in result.needs:
            flag = " (acute)" if need.acute else ""
            self.say(f"   need {need.need_id}{flag}: {' or '.join(need.service_types)}")
            for option in need.options[:3]:
                star = "*" if need.recommended == option else " "
                self.say(
                    f"    {star} {option.program_id:<40} "
                    f"{option.distance_km:5.1f} km  {option.pool}"
                    + (f" at {option.price:,.2f}" if option.pool == "purchase" else "")
                )
            if need.excluded:
                self.say(
                    "      excluded: "
                    + ", ".join(f"{n} by {rule}" for rule, n in need.excluded.items())
                )
            if need.recommended is None:
                self.say(f"      not met: {need.reason} - {need.detail}")
                continue
            view = self.run(
                partial(self._hold_and_confirm, participant_id, need.need_id, need.recommended)
            )
            self.say(
                f"      consent recorded, held and confirmed at {view.program_id} "
                f"(referral {view.referral_id[:8]}, "
                f"expires {view.expires_at:%Y-%m-%d %H:%M} UTC)"
            )
            held.append(view.referral_id)
        return held

    def providers_enrol(self, referral_ids: list[str]) -> None:
        self.say("\n3. PROVIDERS see the referrals and enrol")
        for rid in referral_ids:
            self.run(partial(self._enrol_one, referral_id=rid))
        if referral_ids:
            steps = self.run(lambda s: referrals.history(s, CASE_MANAGER, referral_ids[0]))
            self.say(
                "   history of the first: " + " -> ".join(f"{h.status} by {h.actor}" for h in steps)
            )

    def _hold_and_confirm(
        self, participant_id: str, need_id: str, option: Option, session: Session
    ) -> referrals.ReferralView:
        program = session.get(Program, option.program_id)
        if program is not None:
            # The participant signs a consent naming this provider and this need's kind.
            consent.grant(
                session,
                CASE_MANAGER,
                participant_id,
                recipient_type="organization",
                recipient_id=program.organization_id,
                categories=[option_category(need_id, session)],
                starts_at=self.now,
                ends_at=self.now + timedelta(days=365),
                now=self.now,
            )
        view = referrals.place_hold(
            session,
            CASE_MANAGER,
            participant_id=participant_id,
            need_id=need_id,
            program_id=option.program_id,
            pool=option.pool,
            now=self.now,
            ttl=TTL,
        )
        return referrals.confirm(session, CASE_MANAGER, view.referral_id, self.now, TTL)

    def _enrol_one(self, session: Session, referral_id: str) -> None:
        mine = referrals.case_manager_referrals(session, CASE_MANAGER)
        ref = next(x for x in mine if x.referral_id == referral_id)
        org = _organisation(session, ref.program_id)
        waiting = referrals.incoming(session, org, self.now, "referred")
        done = referrals.enrol(session, org, referral_id, org, self.now)
        self.say(
            f"   {org} had {len(waiting)} referral(s) waiting; enrolled {done.participant_id} "
            f"for {done.need_id} ({done.pool} place)"
        )

    def funder_reads(self) -> None:
        self.say(
            "\n4. FUNDER reads unmet need now "
            "(category x reason; * = suppressed, 1-10 or complementary)"
        )
        table = self.run(
            lambda s: funding.unmet_need(
                s, self.now, rows="category", columns="reason", time_limit=20
            )
        )
        width = max((len(r) for r in table.rows), default=5) + 2
        self.say(" " * width + "".join(f"{c[:12]:>13}" for c in table.columns))
        for name, cells in zip(table.rows, table.cells, strict=True):
            self.say(f"{name:<{width}}" + "".join(f"{'*' if v is None else v:>13}" for v in cells))
        money = self.run(lambda s: funding.fund(s, self.now))
        self.say(
            f"   fund: {money.balance:,.2f} balance, {money.reserved:,.2f} reserved by live holds, "
            f"{money.available:,.2f} available, {money.spent:,.2f} spent on bought places"
        )


def option_category(need_id: str, session: Session) -> str:
    """The service category of a plan need (what a consent names)."""
    from matcher.store.tables import PlanNeed

    need = session.get(PlanNeed, need_id)
    return need.service_types[0].split(".")[0] if need else "*"


def _organisation(session: Session, program_id: str) -> str:
    from matcher.store.tables import Program

    program = session.get(Program, program_id)
    if program is None:
        raise LookupError(program_id)
    return program.organization_id


def pick_participant(scenario: Scenario) -> str:
    """A participant whose plan starts with an acute housing need, for the walk-through."""
    for person in scenario.participants:
        needs = person.needs
        if len(needs) >= 2 and needs[0].acute and needs[0].service_types[0].startswith("housing"):
            return person.id
    return scenario.participants[0].id


def run_demo(scenario: Scenario, database: Path, now: datetime, say: Callable[[str], None]) -> None:
    """Create ``database`` from ``scenario`` and walk the three users' flows on it."""
    if database.exists():
        raise FileExistsError(f"{database} exists: the demo starts from a fresh database")
    engine = make_engine(f"sqlite:///{database}")
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            import_scenario(session, scenario, now, case_manager_id=CASE_MANAGER)
        say(
            f"fresh store {database}: {len(scenario.programs)} programs, "
            f"{len(scenario.participants)} participants, fund {scenario.fund.budget:,.2f}"
        )
        demo = Demo(engine, now, say)
        first = scenario.programs[0]
        cap = first.capacity
        demo.provider_reports(first.provider_id, first.id, (cap.open_slots or 0) + 2, cap.waitlist)
        held = demo.case_manager_matches(pick_participant(scenario))
        demo.providers_enrol(held)
        demo.funder_reads()
    finally:
        engine.dispose()
