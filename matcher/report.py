"""Plain-text summaries of an answer, for a case manager and a funder."""

from __future__ import annotations

from collections import Counter

from matcher.assignment import Assignment
from matcher.capacity.pools import POOL_NAMES
from matcher.reasons import REASON_WORDS
from matcher.scenario import Scenario, category_of


def summary(scenario: Scenario, answer: Assignment) -> str:
    """Counts of needs met by service category, unmet by reason, spend, and a few examples."""
    types = {n.id: n.service_types[0] for p in scenario.participants for n in p.needs}
    total = len(types)
    o = answer.objective
    acute_total = sum(n.acute for p in scenario.participants for n in p.needs)
    lines = [
        f"{len(scenario.programs)} programs, {len(scenario.participants)} participants, "
        f"{total} needs ({acute_total} acute); fund {scenario.fund.budget:,.2f}",
        f"met: {o.matched} of {total} needs, {o.acute_matched} of {acute_total} acute; "
        f"spent {o.spend:,.2f}; {answer.solver.status} in {answer.solver.seconds:.2f} s",
        "",
        "met by category (pool used):",
    ]
    by_cat: Counter[tuple[str, str]] = Counter(
        (category_of(types[a.need_id]), a.pool) for a in answer.assignments
    )
    for cat in sorted({c for c, _ in by_cat}):
        parts = ", ".join(
            f"{by_cat[(cat, pool)]} {pool}" for pool in POOL_NAMES if by_cat[(cat, pool)]
        )
        lines.append(f"  {cat:<14} {parts}")
    lines += ["", "not met, by reason:"]
    reasons = Counter(u.reason for u in answer.unmatched)
    for reason, count in reasons.most_common():
        lines.append(f"  {count:4d}  {reason:<20} {REASON_WORDS.get(reason, '')}")
    lines += ["", "examples:"]
    shown: set[str] = set()
    for u in answer.unmatched:
        if u.reason not in shown:
            shown.add(u.reason)
            lines.append(f"  {u.need_id} ({types[u.need_id]}): {u.detail}")
    if answer.warnings:
        lines += ["", "warnings:"] + [f"  {w}" for w in answer.warnings]
    return "\n".join(lines)
