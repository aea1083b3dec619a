"""Flows that would end past the deadline are not started: the answer falls back, bounds kept."""

from __future__ import annotations

import time

import numpy as np
import pytest

from matcher.generate import GenerateOptions, generate
from matcher.scenario import Scenario, parse_scenario
from matcher.solver import SolverOptions, solve
from matcher.solver.flow import FREE, Clock, OutOfTime, assign
from matcher.solver.levels import solve_levels
from tests.solver.network import network_of


def _scenario() -> Scenario:
    return parse_scenario(generate(GenerateOptions(600, 60, 5, None)))


def test_a_clock_refuses_a_flow_predicted_to_end_past_its_deadline() -> None:
    clock = Clock(time.monotonic() + 60, per_arc=1.0)
    with pytest.raises(OutOfTime):
        clock.start(100)
    started = clock.start(10)
    clock.record(10, started)
    assert clock.per_arc == 1.0  # a flow faster than the slowest seen leaves the rate


def test_a_clock_learns_the_slowest_rate() -> None:
    clock = Clock()
    clock.record(1_000, time.monotonic() - 1.0)
    assert clock.per_arc >= 1e-3
    clock.start(10**9)  # no deadline: never refused


def test_assign_starts_no_flow_past_the_deadline() -> None:
    need = np.array([0, 1], dtype=np.int64)
    node = np.array([0, 0], dtype=np.int64)
    args = (need, node, np.array([-1, -1]), np.array([1]), np.full(2, FREE), np.zeros(0, np.int64))
    assert assign(*args).sum() == 1
    with pytest.raises(OutOfTime):
        assign(*args, clock=Clock(time.monotonic() - 1))


def test_levels_whose_every_flow_is_refused_answer_the_warm_start_with_bounds() -> None:
    net = network_of(_scenario())
    warm = net.greedy()
    acute, need = net.acute, net.arcs.need
    far = time.monotonic() + 3600
    refusing = Clock(far, per_arc=3600.0)  # every flow predicted to take an hour per arc
    out = solve_levels(
        need, net.node, net.capacity, net.cents, acute, net.budget, far, warm, refusing
    )
    assert not out.proven
    assert out.flows == 0
    assert out.chosen.tolist() == warm.tolist()
    assert out.acute_bound >= int(acute[need[warm]].sum())
    assert out.matched_bound >= int(warm.sum())


def test_a_limit_spent_before_solving_starts_answers_the_greedy_never_empty() -> None:
    scenario = _scenario()
    spent = SolverOptions(time_limit=1.0, started=time.monotonic() - 10)
    late = solve(scenario, spent)
    assert late.status == "FEASIBLE"
    assert late.flows == 0
    assert late.objective.matched > 0
    full = solve(scenario, SolverOptions(time_limit=600))
    assert full.status == "OPTIMAL"
    assert full.objective.matched >= late.objective.matched
    assert full.bounds == full.objective
    assert late.bounds.matched >= full.objective.matched
    assert late.bounds.acute_matched >= full.objective.acute_matched


class _OnlyAcuteFlows(Clock):
    """Refuses every flow larger than the acute arcs: level 1 runs, level 2 never starts."""

    def __init__(self, acute_arcs: int) -> None:
        super().__init__()
        self.acute_arcs = acute_arcs

    def start(self, arcs: int) -> float:
        if arcs > self.acute_arcs:
            raise OutOfTime
        return super().start(arcs)


def test_level_one_cut_short_of_level_two_is_filled_by_the_greedy_with_other_needs() -> None:
    net = network_of(_scenario())
    acute, need = net.acute, net.arcs.need
    clock = _OnlyAcuteFlows(int(acute[need].sum()))
    far = time.monotonic() + 3600

    def fill(start: np.ndarray) -> np.ndarray:
        return net.greedy(start, ~acute)

    args = (need, net.node, net.capacity, net.cents, acute, net.budget, far, None)
    bare = solve_levels(*args, clock)
    filled = solve_levels(*args, _OnlyAcuteFlows(clock.acute_arcs), fill)
    assert not bare.proven
    assert not filled.proven
    met_acute = acute[need[bare.chosen]].sum()
    assert met_acute == acute[need[filled.chosen]].sum() > 0
    assert not bare.chosen[~acute[need]].any()  # level 1 alone places acute needs only
    assert filled.chosen[~acute[need]].any()
    assert (filled.chosen | bare.chosen).tolist() == filled.chosen.tolist()
    used = np.bincount(net.node[filled.chosen], minlength=len(net.capacity))
    assert (used <= net.capacity).all()
    assert int(net.cents[filled.chosen].sum()) <= net.budget
    assert np.bincount(need[filled.chosen]).max() == 1
