"""A case manager's case load at a glance, and the search, filters and sorts over it.

One row per participant: since when their longest-waiting open need waits, the places
offered and held for them and until when, the referrals awaiting a provider's answer
(overdue ones flagged), the holds and referrals that expired with their need still
open, and the needs no place can meet now with the reason in words. The reasons come
from the case load's answer in LEAD's queue (``matching.batch_match``), so a need is
"unmet" only if the optimum of the whole queue leaves it so, and one whose places that
optimum gives to others says so (``kept_for_more_urgent``), as Find places does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

from sqlmodel import Session, col, select

from matcher.assignment import Assignment
from matcher.capacity.referral import Status
from matcher.reasons import Unmatched
from matcher.service.matching import REASON_WORDS_IN_QUEUE
from matcher.service.referrals import ReferralView, case_manager_referrals
from matcher.store import tables as t
from matcher.store.snapshot import plans_of

Show = Literal[
    "all", "waiting", "offered", "held", "awaiting", "overdue", "expired", "unmet", "acute"
]
SHOWS: tuple[Show, ...] = get_args(Show)
Sort = Literal["waiting", "deadline", "name"]
SORTS: tuple[Sort, ...] = get_args(Sort)
Activity = Literal["active", "inactive", "all"]
ACTIVITIES: tuple[Activity, ...] = get_args(Activity)
FILLED = {Status.HELD, Status.REFERRED, Status.ENROLLED}


@dataclass(frozen=True, slots=True)
class UnmetNeed:
    """A need no place can meet now, and why (``reason`` is the contract's code)."""

    need_id: str
    service_types: list[str]
    acute: bool
    reason: str
    words: str
    detail: str


@dataclass(frozen=True, slots=True)
class Row:
    """One participant of the case load as the dashboard shows them."""

    participant_id: str
    active: bool
    recorded_at: datetime
    waiting_since: datetime | None
    needs: int
    acute: bool
    open_needs: int
    holds: list[ReferralView] = field(default_factory=list)
    offers: list[ReferralView] = field(default_factory=list)
    awaiting: list[ReferralView] = field(default_factory=list)
    expired: list[ReferralView] = field(default_factory=list)
    enrolled: int = 0
    unmet: list[UnmetNeed] = field(default_factory=list)

    @property
    def overdue(self) -> int:
        """Referrals past the provider's answer deadline."""
        return sum(1 for r in self.awaiting if r.overdue)

    @property
    def next_deadline(self) -> datetime | None:
        """The soonest moment something lapses: a hold expires or an answer falls due."""
        moments = [r.expires_at for r in self.holds + self.offers] + [
            r.respond_by or r.expires_at for r in self.awaiting
        ]
        return min(moments, default=None)


def rows(
    session: Session, case_manager_id: str, now: datetime, answer: Assignment | None
) -> list[Row]:
    """Every participant of the case load, by pseudonym (``answer``: the case load's
    answer in LEAD's queue, ``matching.batch_match``, for the unmet needs and their
    reasons; None leaves them out)."""
    people = list(
        session.exec(
            select(t.Participant)
            .where(t.Participant.case_manager_id == case_manager_id)
            .order_by(col(t.Participant.id))
        )
    )
    plans = plans_of(session, [p.id for p in people])
    refs: dict[str, list[ReferralView]] = {}
    for r in case_manager_referrals(session, case_manager_id, now=now):
        refs.setdefault(r.participant_id, []).append(r)
    unmet = {u.need_id: u for u in answer.unmatched} if answer is not None else {}
    return [_row(p, plans[p.id], refs.get(p.id, []), unmet) for p in people]


def _row(
    person: t.Participant,
    plan: Sequence[t.PlanNeed],
    refs: list[ReferralView],
    unmet: dict[str, Unmatched],
) -> Row:
    filled = {r.need_id for r in refs if r.status in FILLED}
    open_needs = [n for n in plan if n.id not in filled]
    words = [
        UnmetNeed(
            n.id,
            list(n.service_types),
            n.acute,
            u.reason,
            REASON_WORDS_IN_QUEUE.get(u.reason, u.reason),
            u.detail,
        )
        for n in open_needs
        if (u := unmet.get(n.id)) is not None
    ]
    since = [n.waiting_since or person.created_at for n in open_needs]
    return Row(
        participant_id=person.id,
        active=person.active,
        recorded_at=person.created_at,
        waiting_since=min(since, default=None),
        needs=len(plan),
        acute=any(n.acute for n in plan),
        open_needs=len(open_needs),
        holds=[r for r in refs if r.status == Status.HELD],
        offers=[r for r in refs if r.status == Status.OFFERED],
        awaiting=[r for r in refs if r.status == Status.REFERRED],
        expired=[
            r
            for r in refs
            if r.status == Status.EXPIRED and r.need_id in {n.id for n in open_needs}
        ],
        enrolled=sum(1 for r in refs if r.status == Status.ENROLLED),
        unmet=words,
    )


def _shown(row: Row, show: Show) -> bool:
    match show:
        case "all":
            return True
        case "waiting":
            return row.waiting_since is not None
        case "offered":
            return bool(row.offers)
        case "held":
            return bool(row.holds)
        case "awaiting":
            return bool(row.awaiting)
        case "overdue":
            return row.overdue > 0
        case "expired":
            return bool(row.expired)
        case "unmet":
            return bool(row.unmet)
        case "acute":
            return row.acute


def _key(row: Row, sort: Sort) -> tuple[object, ...]:
    far = datetime.max.replace(tzinfo=row.recorded_at.tzinfo)
    match sort:
        case "waiting":
            return (row.waiting_since or far, row.participant_id)
        case "deadline":
            return (row.next_deadline or far, row.participant_id)
        case "name":
            return (row.participant_id,)


def choose(
    all_rows: Iterable[Row],
    *,
    search: str = "",
    show: Show = "all",
    activity: Activity = "active",
    sort: Sort = "waiting",
) -> list[Row]:
    """The rows a dashboard query asks for: pseudonyms containing ``search``, the
    ``show`` filter, active or inactive participants, in the ``sort`` order (longest
    waiting first; soonest deadline first; by pseudonym)."""
    needle = search.strip().lower()
    picked = [
        r
        for r in all_rows
        if needle in r.participant_id.lower()
        and _shown(r, show)
        and (activity == "all" or r.active == (activity == "active"))
    ]
    return sorted(picked, key=lambda r: _key(r, sort))
