"""Unmet need for funders: by service category, neighbourhood and reason, counts only.

Each reason says what would help (``ACTIONS``, the frame's ``action`` column): places
to buy, money, a conversation about a program's rules, a new program, or, for
``capacity_unknown``, asking the providers to report their free places. A need
waiting on a report is never counted as a place to buy.

Every table a funder sees goes through ``suppression.suppress``; the raw
per-need frame (``unmet_frame``) is for the case manager's own participants and
for further aggregation, never for display to a funder.
"""

from __future__ import annotations

import pandas as pd

from matcher.assignment import Assignment
from matcher.funding.neighborhoods import participant_neighborhoods
from matcher.funding.suppression import TOTAL, SuppressedTable, suppress
from matcher.reasons import (
    BUDGET_EXHAUSTED,
    CAPACITY_EXHAUSTED,
    CAPACITY_UNKNOWN,
    NO_PROGRAM_OF_TYPE,
    NOT_ELIGIBLE,
    WOULD_DISPLACE,
)
from matcher.rules.registry import RULES
from matcher.scenario import Need, Scenario

BARRIERS = frozenset(rule.name for rule in RULES if rule.family == "barriers")

BUY_PLACES = "buy places"
ASK_PROVIDERS_TO_REPORT = "ask the providers to report"
ACTIONS = {
    NO_PROGRAM_OF_TYPE: "find or start a program",
    NOT_ELIGIBLE: "talk with providers about their rules",
    WOULD_DISPLACE: BUY_PLACES,
    BUDGET_EXHAUSTED: "add to the fund",
    CAPACITY_UNKNOWN: ASK_PROVIDERS_TO_REPORT,
    CAPACITY_EXHAUSTED: BUY_PLACES,
}
"""What would help, per reason: the funder's reading of an unmet need."""

COLUMNS = [
    "need_id",
    "service_type",
    "category",
    "neighborhood",
    "reason",
    "action",
    "blocked_most",
    "blocked_by_barrier",
]


def unmet_frame(
    scenario: Scenario, answer: Assignment, centroids: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per unmet need: category, neighbourhood, reason and, when programs of the
    type exclude the participant, the rule that excludes most of them (``blocked_most``)."""
    needs = {n.id: n for p in scenario.participants for n in p.needs}
    hood = participant_neighborhoods(scenario, centroids)
    rows = [
        _row(needs[u.need_id], hood[u.participant_id], u.reason, u.blocked_by)
        for u in answer.unmatched
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def service_type_of(need: Need) -> str:
    """The need's service type, or ``<category>.*`` when it names several (any of them)."""
    kinds = need.service_types
    return kinds[0] if len(kinds) == 1 else f"{need.category}.*"


def _row(need: Need, hood: str, reason: str, blocked: dict[str, int] | None) -> dict[str, object]:
    counts = blocked or {}
    return {
        "need_id": need.id,
        "service_type": service_type_of(need),
        "category": need.category,
        "neighborhood": hood,
        "reason": reason,
        "action": ACTIONS.get(reason, ""),
        "blocked_most": max(counts, key=lambda k: counts[k]) if counts else "",
        "blocked_by_barrier": any(b in counts for b in BARRIERS),
    }


def gap_table(frame: pd.DataFrame, rows: str = "category", cols: str = "reason") -> SuppressedTable:
    """A suppressed count table of unmet needs: category x reason, category x neighbourhood..."""
    counts = frame.groupby([rows, cols]).size().unstack(fill_value=0).astype("int64")
    counts.index.name = None
    counts.columns.name = None
    return suppress(counts)


def render(table: SuppressedTable) -> str:
    """The table as text, ``*`` where a count is suppressed (1 to 10, or complementary);
    a table of one column without its total column, which only repeats it."""
    text = table.shown.astype("object").where(~table.suppressed, "*")
    if len(text.columns) == 2 and text.columns[-1] == TOTAL:
        text = text.iloc[:, :1]
    return text.to_string()


def rule_table(frame: pd.DataFrame) -> SuppressedTable | None:
    """Needs no program would take, category x the rule that excludes the person from
    most programs of the type (a sobriety rule, an ID requirement...); None if none."""
    blocked = frame[(frame["reason"] == "not_eligible") & (frame["blocked_most"] != "")]
    if blocked.empty:
        return None
    return gap_table(blocked.rename(columns={"blocked_most": "rule"}), "category", "rule")
