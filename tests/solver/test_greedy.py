"""The block-wise greedy equals the plain one-need-at-a-time greedy it replaces.

``reference`` is the greedy as first written (one ``lexsort`` of the arcs, then every
need in order walks its arcs until one has room and fits the budget), kept as the
oracle for ``matcher.solver.greedy``, which groups the arcs by turn, drops dead arcs
between blocks of needs and sorts only a block's live arcs by preference.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import matcher.solver.greedy as greedy_module
from matcher.generate import GenerateOptions, generate
from matcher.rules.arcs import Arcs
from matcher.rules.tables import IntArray, Tables
from matcher.scenario import Scenario, parse_scenario
from matcher.solver.greedy import (
    _POOL_RANK,
    greedy,
    need_order,
    preference_order,
    turn_order,
)
from tests.solver.network import network_of
from tests.strategies import scenarios


def reference(
    tables: Tables, arcs: Arcs, node: IntArray, capacity: IntArray, cents: IntArray, budget: int
) -> np.ndarray:
    """The greedy need by need, arc by arc."""
    order = np.lexsort((arcs.program, arcs.distance_km, cents, _POOL_RANK[arcs.pool], arcs.need))
    left = capacity.tolist()
    chosen = np.zeros(len(arcs), dtype=bool)
    for n in need_order(tables).tolist():
        for i in order[arcs.need[order] == n].tolist():
            if left[node[i]] > 0 and cents[i] <= budget:
                left[node[i]] -= 1
                budget -= int(cents[i])
                chosen[i] = True
                break
    return chosen


def _check(scenario: Scenario, budget: int | None = None) -> None:
    net = network_of(scenario)
    money = net.budget if budget is None else budget
    expected = reference(net.tables, net.arcs, net.node, net.capacity, net.cents, money)
    got = greedy(net.tables, net.arcs, net.node, net.capacity, net.cents, money)
    assert got.tolist() == expected.tolist()


@given(scenarios)
def test_greedy_equals_the_need_by_need_greedy(scenario: Scenario) -> None:
    _check(scenario)


@pytest.mark.parametrize(("seed", "budget"), [(0, None), (1, 0), (2, 300_000), (3, 10**12)])
def test_greedy_equals_the_need_by_need_greedy_across_blocks(
    monkeypatch: pytest.MonkeyPatch, seed: int, budget: int | None
) -> None:
    # Blocks of 16 needs: many blocks, so arcs are dropped between them many times.
    monkeypatch.setattr(greedy_module, "_FIRST_BLOCK", 16)
    data = generate(GenerateOptions(participants=600, programs=40, seed=seed))
    _check(parse_scenario(data), budget)


@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),
            st.integers(0, 4),
            st.integers(0, 3),
            st.sampled_from([0, 0, 250, 1_000]),
            st.sampled_from([0.0, 1.5, 1.5, 2.25, 7.0]),
        ),
        max_size=40,
    )
)
def test_turn_then_preference_order_equals_one_lexsort_with_ties_in_distance_and_price(
    rows: list[tuple[int, int, int, int, float]],
) -> None:
    rows = sorted({(n, g, pool): (n, g, pool, c, d) for n, g, pool, c, d in rows}.values())
    column = list(zip(*rows, strict=True)) if rows else [(), (), (), (), ()]
    need = np.array(column[0], dtype=np.int64)
    arcs = Arcs(
        need,
        np.array(column[1], dtype=np.int64),
        np.array(column[2], dtype=np.int8),
        np.zeros(len(rows)),
        np.array(column[4], dtype=np.float64),
    )
    cents = np.array(column[3], dtype=np.int64)
    turn = (5 - need).astype(np.int64)  # needs taken in another order than their numbers
    expected = np.lexsort((arcs.program, arcs.distance_km, cents, _POOL_RANK[arcs.pool], turn))
    # Each turn's arcs in one run (as the solver's arcs come), and split across runs.
    for arc_turn in (turn, np.concatenate([turn, turn[::-1]])):
        assert turn_order(arc_turn).tolist() == np.argsort(arc_turn, kind="stable").tolist()
    grouped = turn_order(turn)
    got = preference_order(turn[grouped], arcs, cents, grouped)
    assert got.tolist() == expected.tolist()
    shuffled = np.arange(len(rows))[::-1]
    assert preference_order(turn[shuffled], arcs, cents, shuffled).tolist() == expected.tolist()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_greedy_from_its_own_acute_picks_ends_where_the_greedy_ends(seed: int) -> None:
    net = network_of(parse_scenario(generate(GenerateOptions(500, 40, seed))))
    whole = net.greedy()
    start = whole & net.acute[net.arcs.need]
    assert 0 < start.sum() < whole.sum()
    assert net.greedy(start, ~net.acute).tolist() == whole.tolist()
