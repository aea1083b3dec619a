"""A referral's lifecycle: statuses, actions and the one table of allowed steps. Pure.

A referral starts as a *hold* on one place for one need (or as an *offer*: a hold the
system places when a place opens, which the case manager accepts, becoming a hold, or
passes, at no cost), is *confirmed* (sent: the
provider sees it from then on), and is answered (enrolled or declined) or let go
(withdrawn, released, expired); an enrolment ends later. Every change is one
``Action`` applied to the current ``Status`` through ``TRANSITIONS``, which also
names the capacity event the change records in the ledger, so the referral and the
ledger cannot disagree about what happened. Like ``matcher.capacity.ledger``'s fold,
``replay`` rebuilds a status from its history and refuses any history the table
does not allow.

Declining and ending a placement share one shape, an ``Answer``: a reason code from
the action's list and, for ``other`` only, a short free text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from matcher.capacity.ledger import EventKind


class Status(StrEnum):
    """Where a referral is; the values are the strings stored since the first release."""

    HELD = "held"  # a place held for a participant's need, until it expires
    REFERRED = "referred"  # sent: the provider sees it and must answer
    ENROLLED = "enrolled"  # the provider accepted: the place is filled
    DECLINED = "declined"  # the provider declined, with a reason
    WITHDRAWN = "withdrawn"  # the participant declined, or their consent ended
    RELEASED = "released"  # the case manager let the place go
    EXPIRED = "expired"  # nobody acted before it expired
    ENDED = "ended"  # the placement ended after enrolment
    OFFERED = "offered"  # the system holds a freed place for the need the queue's optimum
    # gives it to, until the case manager accepts or passes or it expires
    PASSED = "passed"  # the case manager passed on an offer (it costs nothing)


OPEN: frozenset[Status] = frozenset({Status.HELD, Status.REFERRED, Status.OFFERED})
"""Statuses that hold a place (a need has at most one referral in them)."""


class Action(StrEnum):
    """What someone does to a referral (the audit names it ``referral.<action>``)."""

    HOLD = "hold"
    CONFIRM = "confirm"
    WITHDRAW = "withdraw"
    RELEASE = "release"
    ENROL = "enrol"
    DECLINE = "decline"
    END = "end"
    EXPIRE = "expire"
    OFFER = "offer"
    ACCEPT = "accept"
    PASS = "pass"


@dataclass(frozen=True, slots=True)
class Step:
    """One allowed change: from which statuses, to which, and the ledger event it records."""

    source: frozenset[Status | None]
    target: Status
    capacity: EventKind


TRANSITIONS: dict[Action, Step] = {
    Action.HOLD: Step(frozenset({None}), Status.HELD, EventKind.HOLD_PLACED),
    Action.CONFIRM: Step(frozenset({Status.HELD}), Status.REFERRED, EventKind.REFERRAL_CONFIRMED),
    Action.WITHDRAW: Step(frozenset(OPEN), Status.WITHDRAWN, EventKind.HOLD_RELEASED),
    Action.RELEASE: Step(frozenset(OPEN), Status.RELEASED, EventKind.HOLD_RELEASED),
    Action.ENROL: Step(frozenset({Status.REFERRED}), Status.ENROLLED, EventKind.ENROLLED),
    Action.DECLINE: Step(frozenset({Status.REFERRED}), Status.DECLINED, EventKind.HOLD_RELEASED),
    Action.END: Step(frozenset({Status.ENROLLED}), Status.ENDED, EventKind.PLACEMENT_ENDED),
    Action.EXPIRE: Step(frozenset(OPEN), Status.EXPIRED, EventKind.HOLD_EXPIRED),
    Action.OFFER: Step(frozenset({None}), Status.OFFERED, EventKind.HOLD_PLACED),
    Action.ACCEPT: Step(frozenset({Status.OFFERED}), Status.HELD, EventKind.HOLD_EXTENDED),
    Action.PASS: Step(frozenset({Status.OFFERED}), Status.PASSED, EventKind.HOLD_RELEASED),
}


class TransitionError(ValueError):
    """An action the referral's current status does not allow."""

    def __init__(self, status: Status | None, action: Action) -> None:
        allowed = sorted(s.value for s in TRANSITIONS[action].source if s is not None)
        super().__init__(
            f"the referral is {status or 'new'}; {action.value} needs it to be "
            + (" or ".join(allowed) or "new")
        )
        self.status = status
        self.action = action


def step(status: Status | None, action: Action) -> Step:
    """The step ``action`` takes from ``status``; ``TransitionError`` when not allowed."""
    found = TRANSITIONS[action]
    if status not in found.source:
        raise TransitionError(status, action)
    return found


def replay(actions: Iterable[Action]) -> Status | None:
    """The status a history of actions leads to (``None`` for an empty one)."""
    status: Status | None = None
    for action in actions:
        status = step(status, action).target
    return status


DECLINE_REASONS = (
    "no_capacity",
    "not_eligible",
    "participant_unreachable",
    "participant_declined",
    "safety_concern",
    "other",
)
END_REASONS = ("completed", "left", "moved_on", "transferred", "other")
WRONG_FIT = frozenset({"participant_declined", "not_eligible", "safety_concern"})
"""Decline reasons that say the program does not fit this need: it is not offered for
the need again. Reasons about the moment (no capacity, unreachable) steer nothing."""
NOTE_MAX = 500


class AnswerError(ValueError):
    """An answer whose reason or note breaks the rules; ``field`` names which."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule
        self.message = message


@dataclass(frozen=True, slots=True)
class Answer:
    """A provider's answer that closes a referral: a reason code and, for ``other``,
    an optional short free text (never participant data: it is shown to both sides)."""

    reason: str
    note: str | None = None

    def check(self, reasons: tuple[str, ...]) -> Answer:
        """This answer if it fits ``reasons`` (a blank note read as none, as a form
        sends it); ``AnswerError`` otherwise."""
        if self.note is not None and not self.note.strip():
            return Answer(self.reason).check(reasons)
        if self.reason not in reasons:
            raise AnswerError("reason", "enum", f"reason must be one of {', '.join(reasons)}")
        if self.note is not None and self.reason != "other":
            raise AnswerError("note", "note_only_for_other", "a note goes only with reason other")
        if self.note is not None and len(self.note) > NOTE_MAX:
            raise AnswerError("note", "too_long", f"note must be at most {NOTE_MAX} characters")
        return self


def steers(status: Status, reason: str | None) -> bool:
    """Whether a closed referral means its program is not offered for the need again:
    the participant declined it, or the provider declined it as the wrong fit."""
    if status is Status.WITHDRAWN:
        return reason == "participant_declined"
    return status is Status.DECLINED and reason in WRONG_FIT
