"""Words the pages show instead of codes: statuses, pools, answer reasons and times.

One table per kind of code, so a status reads the same on every page. Money has one
format too, ``matcher.money.dollars`` ("$1,100"), the pages' ``money`` filter.
"""

from __future__ import annotations

from datetime import datetime

POOL_LABELS = {
    "general": "Unused place",
    "lead_reserved": "LEAD-reserved place",
    "purchase": "Place LEAD can buy",
    "waitlist_turn": "Their own turn on this waitlist",
}
"""A place's pool as the case manager reads it (a purchase is not bought until enrolment)."""

POOL_SHORT = {
    "general": "general place",
    "lead_reserved": "LEAD-reserved place",
    "purchase": "place LEAD buys on enrolment",
    "waitlist_turn": "their own waitlist turn",
}
"""A place's pool after a status ("Sent — general place")."""

STATUS_LABELS = {
    "held": "Held (not yet sent to the provider)",
    "referred": "Referred: waiting for the provider",
    "enrolled": "Enrolled",
    "declined": "Declined by the provider",
    "withdrawn": "Declined by the participant",
    "released": "Released",
    "expired": "Hold expired",
    "ended": "Placement ended",
    "offered": "Offered: a place opened for this need (accept or pass)",
    "passed": "Passed (it costs the participant nothing)",
}
"""A referral's status as its case manager reads it."""

PROVIDER_STATUS = {
    "held": "Held for a case manager",
    "referred": "Sent",
    "enrolled": "Enrolled",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
    "released": "Released",
    "expired": "Expired",
    "ended": "Ended",
    "offered": "Offered to a case manager",
    "passed": "Passed",
}
"""A referral's status as the provider reads it."""

DECLINE_LABELS = {
    "no_capacity": "No place after all",
    "not_eligible": "Not eligible",
    "participant_unreachable": "Could not reach the participant",
    "participant_declined": "The participant declined",
    "safety_concern": "Safety concern",
    "other": "Other",
}
END_LABELS = {
    "completed": "Completed",
    "left": "Left",
    "moved_on": "Moved on",
    "transferred": "Transferred",
    "other": "Other",
}
REASON_LABELS = DECLINE_LABELS | END_LABELS


def ago(then: datetime | None, now: datetime) -> str:
    """How long ago ``then`` was, in the largest whole unit ("3 days ago")."""
    if then is None:
        return "never"
    seconds = max(0, int((now - then).total_seconds()))
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'' if n == 1 else 's'} ago"
    return "just now"


def organization_name(organization_id: str, name: str | None) -> str:
    """An organisation's name; for one imported without a name (stored under its id,
    as scenario files do), its id in words: ``org-harbor`` reads "Harbor"."""
    if name and name != organization_id:
        return name
    words = organization_id.removeprefix("org-").replace("-", " ").replace("_", " ").strip()
    return words.title() if words else organization_id
