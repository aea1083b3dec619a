"""The hindsight optimum against an independent, day-by-day MILP on small horizons.

The independent model knows nothing of the "buy on the last waiting day" argument
or of window overlaps: one binary per (arc, slot, day) on which the need waits and
the place is there, each slot taken once, each need met once, and the money checked
on every day against the top-ups received by then.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

from matcher.simulate.hindsight import budget_rows, by_flow, by_milp, hindsight, meeting_pairs
from matcher.simulate.horizon import Horizon, SimOptions, generate_horizon
from matcher.simulate.policies import UNMET


def small(seed: int, **overrides: float | None) -> Horizon:
    options = SimOptions(days=20, participants=25, programs=40, seed=seed, stay_days=6.0)
    return generate_horizon(SimOptions(**{**options.__dict__, **overrides}))


def day_by_day_levels(h: Horizon) -> tuple[int, int, int]:
    """(acute met, needs met, spend in cents) of the day-indexed lexicographic MILP."""
    arrive, leave = h.need_arrive, h.need_exit
    columns: list[tuple[int, int, int]] = []
    for a in range(len(h.node)):
        n = int(h.arcs.need[a])
        for s in np.flatnonzero(h.slot_node == h.node[a]).tolist():
            first = max(int(arrive[n]), int(h.slot_appear[s]))
            last = min(int(leave[n]), int(h.slot_vanish[s]))
            columns.extend((a, s, d) for d in range(first, last))
    m = len(columns)
    n_needs, n_slots = h.tables.needs.size, len(h.slot_node)
    need_rows = [int(h.arcs.need[a]) for a, _, _ in columns]
    slot_rows = [n_needs + s for _, s, _ in columns]
    once = csr_matrix(
        (np.ones(2 * m), (need_rows + slot_rows, list(range(m)) * 2)),
        shape=(n_needs + n_slots, m),
    )
    cents = np.array([h.cents[a] for a, _, _ in columns], dtype=float)
    day = np.array([d for _, _, d in columns])
    money = np.array([cents * (day <= t) for t in range(h.days)])
    received = np.array([h.budget_by(t) for t in range(h.days)], dtype=float)
    acute = np.array([h.tables.needs.acute[h.arcs.need[a]] for a, _, _ in columns], dtype=float)
    rows = [LinearConstraint(once, -np.inf, 1), LinearConstraint(money, -np.inf, received)]
    values: list[int] = []
    for c in (-acute, -np.ones(m), cents):
        res = milp(c, constraints=rows, integrality=np.ones(m), bounds=Bounds(0, 1))
        assert res.status == 0
        values.append(round(abs(float(c @ res.x))))
        rows.append(LinearConstraint(-c[None, :], round(float(-c @ res.x)), np.inf))
    return values[0], values[1], values[2]


@pytest.mark.parametrize("budget", [None, 1500.0], ids=["generated fund", "tight fund"])
@pytest.mark.parametrize("seed", range(6))
def test_hindsight_equals_a_day_by_day_milp(seed: int, budget: float | None) -> None:
    h = small(seed, budget=budget)
    out = hindsight(h)
    met = out.day != UNMET
    ours = (
        int((met & h.tables.needs.acute).sum()),
        int(met.sum()),
        int(h.cents[out.arc[met]].sum()),
    )
    assert ours == day_by_day_levels(h)


def test_a_tight_fund_in_instalments_binds_the_hindsight_too() -> None:
    rich, tight = small(3), small(3, budget=1500.0)
    met_rich = int((hindsight(rich).day != UNMET).sum())
    out = hindsight(tight)
    met = out.day != UNMET
    bought = tight.cents[out.arc[met]]
    assert 0 < bought.sum() <= tight.total_budget_cents
    assert int(met.sum()) < met_rich


def test_a_place_serves_only_needs_waiting_while_it_is_there() -> None:
    h = small(1)
    out = hindsight(h)
    for n in np.flatnonzero(out.day != UNMET).tolist():
        s = out.slot[n]
        assert h.slot_node[s] == h.node[out.arc[n]]
        assert max(h.need_arrive[n], h.slot_appear[s]) < min(h.need_exit[n], h.slot_vanish[s])
        assert out.day[n] == max(h.need_arrive[n], h.slot_appear[s])


@pytest.mark.parametrize("seed", range(4))
def test_the_flow_answer_is_the_milps_when_it_fits_the_top_ups(seed: int) -> None:
    h = small(seed)
    pairs = meeting_pairs(h)
    money, received = budget_rows(h, pairs)
    flow, exact = by_flow(h, pairs), by_milp(h, pairs)
    chosen = np.zeros(len(pairs.arc))
    chosen[flow] = 1
    assert (money @ chosen <= received).all()
    acute = h.tables.needs.acute

    def levels(pick: np.ndarray) -> tuple[int, int, int]:
        return int(acute[pairs.need[pick]].sum()), len(pick), int(pairs.cents[pick].sum())

    assert levels(flow) == levels(exact)


def test_when_the_flow_answer_spends_money_before_it_arrives_the_milp_decides() -> None:
    h = small(0, budget=1500.0)
    pairs = meeting_pairs(h)
    money, received = budget_rows(h, pairs)
    chosen = np.zeros(len(pairs.arc))
    chosen[by_flow(h, pairs)] = 1
    assert (money @ chosen > received).any()
    out = hindsight(h)
    met = out.day != UNMET
    ours = int((met & h.tables.needs.acute).sum()), int(met.sum()), int(h.cents[out.arc[met]].sum())
    assert ours == day_by_day_levels(h)
