"""Why a purchase plan leaves money unspent, in words a funder reads.

The exact plan (``matcher.funding.planner``) spends only where a bought place meets an
unmet need. What it leaves is explained by the needs it could not meet, grouped by
the reason the planning solve gave, each with how many needs it concerns; a count
from 1 to 10 reads "fewer than 11", as suppression asks.
"""

from __future__ import annotations

from matcher.funding.planner import Plan
from matcher.reasons import (
    BUDGET_EXHAUSTED,
    CAPACITY_EXHAUSTED,
    NO_PROGRAM_OF_TYPE,
    NOT_ELIGIBLE,
    WOULD_DISPLACE,
)

UNSPENT_BECAUSE = {
    NO_PROGRAM_OF_TYPE: "no program the fund may pay (one that excludes nobody) offers the service",
    NOT_ELIGIBLE: "every fundable program offering the service is closed to the person "
    "(its eligibility, the distance, or a program they asked not to be sent to)",
    CAPACITY_EXHAUSTED: "the fundable programs offering the service have no more places for sale",
    WOULD_DISPLACE: "the fundable programs offering the service have no more places for sale",
    BUDGET_EXHAUSTED: "a place that would meet it costs more than the money left",
}
"""Why a need the plan leaves unmet could not use the money left, per reason."""


def why_unspent(exact: Plan) -> list[str]:
    """Why the exact plan leaves money unspent, in words, each with how many needs it
    concerns (``fewer than 11`` for a count from 1 to 10, as suppression asks)."""
    if exact.unmet_before == 0:
        return [
            "no unmet need could be met by buying a place: the rest wait on providers' "
            "reports, or nothing is unmet"
        ]
    left = sum(exact.left_unmet.values())
    if left == 0:
        return ["every unmet need a bought place could meet is met"]
    grouped: dict[str, int] = {}
    for reason, count in exact.left_unmet.items():
        text = UNSPENT_BECAUSE.get(reason, reason.replace("_", " "))
        grouped[text] = grouped.get(text, 0) + count
    return [
        f"{_needs(count)}: {text}"
        for text, count in sorted(grouped.items(), key=lambda item: -item[1])
    ]


def _needs(count: int) -> str:
    return f"{'fewer than 11' if 1 <= count <= 10 else f'{count:,}'} unmet needs"
