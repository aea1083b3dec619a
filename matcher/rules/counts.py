"""``blocked_by`` for many needs at once: the first rule each program of the type breaks.

Counting over *every* program of a need's type, pair by pair, costs
needs x programs-of-type (80 million pairs for 160,000 unmet needs at state
scale). Two facts make it cheap:

- barriers and eligibility read only the two sides' own attributes, so
  programs with the same attributes (a *profile*) get the same verdict, and so
  do participants: one check per pair of profiles, weighted per need by how
  many programs of the need's types share the program profile;
- of the programs that pass those, the ones beyond the travel limit all break
  ``max_distance`` (the next rule), so only the programs within reach (the few
  a k-d tree finds) need the remaining rules, pair by pair.
"""

from __future__ import annotations

import numpy as np

from matcher.rules.arcs import Pairs, evaluate_pairs
from matcher.rules.profiles import profiles, row_groups
from matcher.rules.registry import PAIR_FREE_RULES, RULE_CODE, RULES
from matcher.rules.tables import IntArray, Tables, rows_of, shares_bit

_PAIRS_PER_BLOCK = 4_000_000


def blocked_counts(
    tables: Tables, needs: IntArray, within_reach: Pairs | None = None
) -> tuple[IntArray, Pairs]:
    """Per need (rows in ``needs``, sorted, order): how many programs of its type first break
    each rule (column 0: none broken), and the evaluated pairs within the participant's reach.

    ``within_reach`` is ``evaluate_pairs(tables)`` of every need when the caller has it
    (the solver does): its rows for ``needs`` are the same pairs, not computed twice.
    """
    progs = tables.programs
    n_rules = len(RULES) + 1
    m = len(needs)
    out = np.zeros((m, n_rules), dtype=np.int64)
    if m == 0 or progs.size == 0:
        return out, _reached(tables, needs, within_reach)
    known = profiles(tables)
    n_prof = len(known.program_rep)
    combos, combo_of = _groups(tables.needs.types[needs].view(np.int64))
    per_combo = np.zeros((len(combos), n_prof), dtype=np.int64)
    for c, bits in enumerate(combos.view(np.uint64)):
        offers = shares_bit(progs.types, np.broadcast_to(bits, progs.types.shape))
        per_combo[c] = np.bincount(known.program[offers], minlength=n_prof)

    # Needs of one type combination and one participant profile count alike: count each
    # such case once, over program profiles (one verdict per pair of profiles).
    n_people = len(known.person_rep)
    case_key = combo_of * n_people + known.person[tables.needs.participant[needs]]
    cases, case_of = np.unique(case_key, return_inverse=True)
    n_cases = len(cases)
    per_case = np.zeros((n_cases, n_rules), dtype=np.int64)
    step = max(1, _PAIRS_PER_BLOCK // n_prof)
    for first in range(0, n_cases, step):
        rows = np.arange(first, min(n_cases, first + step))
        code = known.verdict[cases[rows] % n_people].astype(np.int64).reshape(-1)
        weight = per_combo[cases[rows] // n_people].reshape(-1)
        row = np.repeat(rows, n_prof)
        per_case += (
            np.bincount(row * n_rules + code, weights=weight, minlength=n_cases * n_rules)
            .reshape(n_cases, n_rules)
            .astype(np.int64)
        )
    out[:] = per_case[case_of.reshape(-1)]
    passing = out[:, 0].copy()
    out[:, 0] = 0

    pairs = _reached(tables, needs, within_reach)
    row = rows_of(pairs.need, needs, tables.needs.size)
    later = (pairs.broken == 0) | (pairs.broken > PAIR_FREE_RULES)
    reached = np.bincount(row[later], minlength=m)
    out += np.bincount(
        row[later] * n_rules + pairs.broken[later].astype(np.int64), minlength=m * n_rules
    ).reshape(m, n_rules)
    out[:, RULE_CODE["max_distance"]] += passing - reached
    return out, pairs


def _groups(rows: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct rows (in ``row_groups`` order) and each row's index among them."""
    group, first = row_groups(rows)
    return rows[first], group


def _reached(tables: Tables, needs: IntArray, within_reach: Pairs | None) -> Pairs:
    if within_reach is None:
        return evaluate_pairs(tables, needs)
    return within_reach.of_needs(needs, tables.needs.size)
