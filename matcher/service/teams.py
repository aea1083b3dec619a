"""Teams of case managers: a member may work on a teammate's case load.

Only an admin sets who is in a team. A case manager acting on a teammate's case load
does so under their own account, so the audit log names who did what; everything
else (consent, the hard rules, the referral's steps) is exactly as for the owner.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, delete, select

from matcher.service.errors import Invalid, NotFound
from matcher.store import tables as t


def teammates(session: Session, case_manager_id: str) -> list[str]:
    """The case managers who share a team with ``case_manager_id`` (not themselves)."""
    mine = select(t.TeamMember.team_id).where(t.TeamMember.case_manager_id == case_manager_id)
    rows = session.exec(
        select(t.TeamMember.case_manager_id)
        .where(col(t.TeamMember.team_id).in_(mine))
        .where(t.TeamMember.case_manager_id != case_manager_id)
        .distinct()
    )
    return sorted(rows)


def may_act_for(session: Session, acting: str, case_manager_id: str) -> bool:
    """Whether ``acting`` may work on ``case_manager_id``'s case load."""
    return acting == case_manager_id or case_manager_id in teammates(session, acting)


def set_members(session: Session, team_id: str, members: Sequence[str]) -> list[str]:
    """Replace a team's members (none: the team is dissolved); the members, sorted."""
    if not team_id.strip():
        raise Invalid("too_short", "a team needs an id", field="team_id")
    session.exec(delete(t.TeamMember).where(col(t.TeamMember.team_id) == team_id))
    unique = sorted(set(members))
    for member in unique:
        session.add(t.TeamMember(team_id=team_id, case_manager_id=member))
    session.flush()
    return unique


def listing(session: Session) -> dict[str, list[str]]:
    """Every team and its members."""
    teams: dict[str, list[str]] = {}
    rows = session.exec(
        select(t.TeamMember).order_by(col(t.TeamMember.team_id), col(t.TeamMember.case_manager_id))
    )
    for row in rows:
        teams.setdefault(row.team_id, []).append(row.case_manager_id)
    return teams


def case_load_of(session: Session, acting: str, participant_id: str) -> str:
    """The case load ``participant_id`` is on, if ``acting`` may work on it (their own
    or a teammate's); otherwise it answers like a missing participant."""
    row = session.get(t.Participant, participant_id)
    if row is None or not may_act_for(session, acting, row.case_manager_id):
        raise NotFound(f"no participant {participant_id}", field="participant_id")
    return row.case_manager_id
