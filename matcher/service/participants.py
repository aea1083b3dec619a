"""Case managers' participants and their Individual Intervention Plans."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from matcher.scenario import Need, Participant, WaitlistPosition
from matcher.service.audit import note
from matcher.service.checks import check_needs, check_participant
from matcher.service.errors import Conflict, Invalid, NotFound
from matcher.site import SiteArea
from matcher.store import tables as t
from matcher.store.snapshot import (
    add_participant,
    declined_of,
    participant_of,
    plans_of,
    positions_json,
    write_participant,
    write_plan,
)


def new_pseudonym() -> str:
    """A pseudonym that says nothing about the person."""
    return f"p-{uuid.uuid4().hex[:12]}"


def own(
    session: Session, case_manager_id: str, participant_id: str, *, lock: bool = False
) -> t.Participant:
    """One of the case manager's participants; another's answers like a missing one.

    ``lock`` reads the row again under its row lock (``SELECT ... FOR UPDATE`` on
    PostgreSQL; SQLite's writers already run one at a time): attribute updates, plan
    changes and holds for one participant then run one after another, so an
    ``If-Match`` is exact and a plan change and a hold on the same need cannot both win.
    """
    if lock:
        query = (
            select(t.Participant)
            .where(t.Participant.id == participant_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = session.exec(query).first()
    else:
        row = session.get(t.Participant, participant_id)
    if row is None or row.case_manager_id != case_manager_id:
        raise NotFound(f"no participant {participant_id}", field="participant_id")
    return row


def _check_need_ids(session: Session, participant_id: str, needs: Sequence[Need]) -> None:
    check_needs(needs)
    ids = [n.id for n in needs]
    taken = session.exec(
        select(t.PlanNeed.id).where(
            col(t.PlanNeed.id).in_(ids), t.PlanNeed.participant_id != participant_id
        )
    ).first()
    if taken is not None:
        raise Conflict("duplicate_id", f"need id {taken} is already in use", field="needs")


def create(
    session: Session,
    case_manager_id: str,
    participant: Participant,
    now: datetime,
    *,
    area: SiteArea | None = None,
) -> Participant:
    """Store a new participant and their plan under the case manager (``area``: the
    site's, which the location must fall in)."""
    note(session, "participant.create", participant_id=participant.id)
    check_participant(participant, area)
    if session.get(t.Participant, participant.id) is not None:
        raise Conflict("duplicate_id", f"participant {participant.id} already exists", field="id")
    _check_need_ids(session, participant.id, participant.needs)
    add_participant(session, participant, case_manager_id, now)
    return get(session, case_manager_id, participant.id)


def get(session: Session, case_manager_id: str, participant_id: str) -> Participant:
    """One of the case manager's participants, with their plan (and each need's
    declined programs, from its referral history)."""
    row = own(session, case_manager_id, participant_id)
    return participant_of(row, plans_of(session, [row.id])[row.id], declined_of(session, [row.id]))


def is_active(session: Session, case_manager_id: str, participant_id: str) -> bool:
    """Whether the participant is active (inactive ones are kept, never deleted)."""
    return own(session, case_manager_id, participant_id).active


def listing(
    session: Session, case_manager_id: str, active: bool | None = None
) -> list[tuple[Participant, bool]]:
    """The case manager's participants (optionally only active or inactive ones)."""
    query = select(t.Participant).where(t.Participant.case_manager_id == case_manager_id)
    if active is not None:
        query = query.where(t.Participant.active == active)
    rows = list(session.exec(query.order_by(col(t.Participant.id))))
    plans = plans_of(session, [r.id for r in rows])
    declined = declined_of(session, [r.id for r in rows])
    return [(participant_of(r, plans[r.id], declined), r.active) for r in rows]


def update(
    session: Session,
    case_manager_id: str,
    participant: Participant,
    now: datetime,
    *,
    expected_version: int | None = None,
    active: bool | None = None,
    area: SiteArea | None = None,
) -> Participant:
    """Replace a participant's attributes (and ``active`` when given: a change is recorded
    as an exit or a return, ``participant_activity``); the plan is kept.
    ``expected_version`` is checked under the participant's lock: of several updates
    sent with one version, exactly one wins."""
    check_participant(participant, area)
    note(session, "participant.update", participant_id=participant.id)
    row = own(session, case_manager_id, participant.id, lock=True)
    if expected_version is not None and expected_version != row.version:
        raise Conflict(
            "stale_version", f"the participant is at version {row.version}", field="If-Match"
        )
    write_participant(row, participant)
    if active is not None and active != row.active:
        # An exit or a return, kept for the replay of the queue (``simulate --replay``).
        session.add(
            t.ParticipantActivity(
                participant_id=row.id, active=active, at=now, actor=case_manager_id
            )
        )
        row.active = active
    row.updated_at = now
    row.version += 1
    session.add(row)
    session.flush()
    return get(session, case_manager_id, participant.id)


def set_plan(
    session: Session,
    case_manager_id: str,
    participant_id: str,
    needs: Sequence[Need],
    now: datetime,
) -> Participant:
    """Replace the plan with ``needs`` in the participant's own order. Needs with an open
    referral must stay in the plan (409 ``open_referral``): the case manager releases
    or withdraws the referral first, so a place is never held for a need that is gone.
    Runs under the participant's lock, as holds do."""
    note(session, "participant.plan.update", participant_id=participant_id)
    row = own(session, case_manager_id, participant_id, lock=True)
    _check_need_ids(session, participant_id, needs)
    kept = {n.id for n in needs}
    open_needs = session.exec(
        select(t.Referral.need_id).where(
            t.Referral.participant_id == participant_id,
            col(t.Referral.status).in_(t.OPEN_REFERRAL_STATUSES),
            t.Referral.expires_at > now,
        )
    ).all()
    dropped = sorted(set(open_needs) - kept)
    if dropped:
        raise Conflict(
            "open_referral",
            f"need {dropped[0]} has an open referral; release it first",
            field="needs",
        )
    write_plan(session, participant_id, needs, now)
    row.updated_at = now
    row.version += 1
    session.add(row)
    session.flush()
    return get(session, case_manager_id, participant_id)


def version_of(session: Session, case_manager_id: str, participant_id: str) -> int:
    """The participant's version, for ``If-Match``."""
    return own(session, case_manager_id, participant_id).version


def set_waitlists(
    session: Session,
    case_manager_id: str,
    participant_id: str,
    positions: Sequence[WaitlistPosition],
    now: datetime,
) -> Participant:
    """Replace the community waitlists the participant already waits on (program and
    position, recorded now). One entry per program (422 ``duplicate_waitlist``), at a
    program the store knows (404). A position beyond the program's reported waitlist is
    kept: the scenario reads it as at most the waitlist's length
    (``capacity.pools.current_position``). Runs under the participant's lock, as holds do."""
    note(session, "participant.waitlists.update", participant_id=participant_id)
    row = own(session, case_manager_id, participant_id, lock=True)
    seen: set[str] = set()
    for i, entry in enumerate(positions):
        if entry.program_id in seen:
            raise Invalid(
                "duplicate_waitlist",
                f"a second position for program {entry.program_id}",
                field=f"[{i}].program_id",
            )
        seen.add(entry.program_id)
    known = set(session.exec(select(t.Program.id).where(col(t.Program.id).in_(seen))).all())
    for i, entry in enumerate(positions):
        if entry.program_id not in known:
            raise NotFound(f"no program {entry.program_id}", field=f"[{i}].program_id")
    row.waitlist_positions = positions_json(positions, now)
    row.updated_at = now
    row.version += 1
    session.add(row)
    session.flush()
    return get(session, case_manager_id, participant_id)
