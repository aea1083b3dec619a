"""A service refusal in words a person reads on a page: no field paths, no ids.

The API answers with the service's own message (it names the field and the rule for
a program); a page says the same thing in plain words, naming the program by its
name and the need by its kind when the page knows them.
"""

from __future__ import annotations

from matcher.rules.registry import RULES
from matcher.service.errors import ServiceError

_RULE_ONE = {r.name: r.one for r in RULES}

PLAIN = {
    "need_already_held": "this need already has a place held or a referral open",
    "no_room": "no free place is left there now: it was held by someone else, or is owed "
    "to people already waiting",
    "budget": "the LEAD fund cannot pay for this place now",
    "not_fundable": "LEAD cannot buy places at this program",
    "inactive": "the participant is marked inactive",
    "not_on_waitlist": "no place on this program's waitlist is recorded for the participant",
    "unlocated": "the program has no address yet",
    "service": "the program does not offer this kind of service",
    "consent_required": "the participant has not consented to this provider receiving the referral",
    "not_found": "it is no longer there (it may have been removed or changed)",
    "stale_version": "someone changed it since this page was opened: reload and try again",
    "open_referral": "a need with a place held or a referral open stays in the plan: "
    "release the place first",
    "kept_for_more_urgent": "this place is kept for a more urgent need waiting in LEAD's "
    "queue; Find places stars the place left for this need",
}
"""Words for the refusals a case manager's page can meet, by the service's rule."""


def plain(error: ServiceError, program: str | None = None) -> str:
    """``error`` in plain words (``program``: the program's name, when one is involved)."""
    if error.rule in _RULE_ONE and error.field == "program_id":
        return f"{program or 'the program'} {_RULE_ONE[error.rule]}"
    return PLAIN.get(error.rule, error.message)
