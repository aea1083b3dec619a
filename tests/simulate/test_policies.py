"""Every policy, on random horizons: nobody displaced, the fund never overdrawn,
never better than hindsight, and the same answer for the same seed."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.simulate import parse_holds
from matcher.simulate import POLICIES, SimOptions, simulate
from matcher.simulate.horizon import Horizon, generate_horizon, history_horizon
from matcher.simulate.metrics import displaced
from matcher.simulate.policies import UNMET, Outcome, run_policy
from matcher.simulate.potentials import STEPS, learn, slot_chance
from matcher.simulate.snapshot import decide
from matcher.solver.preferences import MAX_PENALTY

options = st.builds(
    SimOptions,
    days=st.integers(5, 40),
    participants=st.integers(5, 40),
    programs=st.integers(5, 40),
    seed=st.integers(0, 2**32),
    budget=st.sampled_from([None, 0.0, 1500.0]),
    supply=st.sampled_from([0.2, 0.5, 1.5]),
    hold=st.sampled_from([None, 0.0, 0.5]),
)


def spent_by(h: Horizon, out: Outcome, day: int) -> int:
    met = (out.day != UNMET) & (out.day <= day)
    return int(h.cents[out.arc[met]].sum())


@given(options)
def test_no_policy_displaces_or_overdraws_or_beats_hindsight(opts: SimOptions) -> None:
    h, outcomes, report = simulate(opts)
    best = report["hindsight"]
    for name, block in {"hindsight": best, **report["policies"]}.items():
        assert block["displaced"] == 0, name
        if name != "hindsight":
            out = outcomes[name]
            assert all(spent_by(h, out, t) <= h.budget_by(t) for t in range(h.days)), name
            assert (block["acute_met"], block["needs_met"]) <= (
                best["acute_met"],
                best["needs_met"],
            ), name


def test_a_place_taken_twice_is_counted_as_displacing() -> None:
    h = generate_horizon(SimOptions(days=60, participants=60, programs=20, seed=4))
    out = run_policy(h, "resolve")
    met = np.flatnonzero(out.day != UNMET)
    assert displaced(h, out) == 0
    assert len(met) >= 2
    # Every met need claims to have been met on the first day of the horizon, before
    # most of their places appeared or their participants arrived.
    early = replace(out, day=np.where(out.day != UNMET, 0, UNMET))
    assert displaced(h, early) > 0


def test_holding_keeps_likely_wanted_places_from_needs_that_are_not_acute() -> None:
    opts = SimOptions(days=120, participants=300, programs=30, seed=5)
    h = generate_horizon(opts)
    learned = learn(history_horizon(opts), h)
    held = run_policy(h, "priced", learned, hold=0.2)
    other = (held.day != UNMET) & ~h.tables.needs.acute
    assert other.any()
    for n in np.flatnonzero(other).tolist():
        assert slot_chance(h, learned.acute_rates, int(held.day[n]))[held.slot[n]] <= 0.2
    free = run_policy(h, "priced", learned)
    acute = h.tables.needs.acute
    assert ((held.day != UNMET) & acute).sum() >= ((free.day != UNMET) & acute).sum()


def test_holding_at_0_gives_needs_that_are_not_acute_only_places_no_acute_need_wants() -> None:
    opts = SimOptions(days=120, participants=300, programs=30, seed=5)
    h = generate_horizon(opts)
    learned = learn(history_horizon(opts), h)
    held = run_policy(h, "priced", learned, hold=0.0)
    other = np.flatnonzero((held.day != UNMET) & ~h.tables.needs.acute)
    chances = [slot_chance(h, learned.acute_rates, int(held.day[n]))[held.slot[n]] for n in other]
    assert all(c == 0 for c in chances)
    free = run_policy(h, "priced", learned)
    assert other.size < ((free.day != UNMET) & ~h.tables.needs.acute).sum()


@pytest.mark.parametrize(
    ("text", "holds"),
    [
        ("", []),
        ("0", [0.0]),
        ("0, 0.5,1", [0.0, 0.5, 1.0]),
        ("0.5,2", None),
        ("x", None),
        ("nan", None),
    ],
)
def test_the_benchmarks_hold_list_is_numbers_between_0_and_1(
    text: str, holds: list[float] | None
) -> None:
    assert parse_holds(text) == holds


def test_the_same_seed_gives_the_same_answers() -> None:
    opts = SimOptions(days=60, participants=80, programs=25, seed=11)
    _, first, report = simulate(opts)
    _, second, again = simulate(opts)
    assert report == again
    for name in ("hindsight", *POLICIES):
        assert np.array_equal(first[name].day, second[name].day), name
        assert np.array_equal(first[name].arc, second[name].arc), name


def test_resolving_the_queue_meets_more_acute_needs_than_first_come_requests() -> None:
    _, _, report = simulate(SimOptions(days=180, participants=400, programs=40, seed=2))
    request, resolve = report["policies"]["request"], report["policies"]["resolve"]
    assert resolve["acute_met"] > request["acute_met"]


def test_a_snapshot_given_only_its_needs_arcs_decides_as_one_given_every_arc() -> None:
    h = generate_horizon(SimOptions(days=30, participants=80, programs=25, seed=6))
    room = np.bincount(h.slot_node, minlength=len(h.node_program)).astype(np.int64)
    owner = h.tables.needs.participant
    for person in range(0, 80, 7):
        mine = owner == person
        arcs = np.flatnonzero(mine[h.arcs.need])
        whole = decide(h, mine, room, h.total_budget_cents)
        assert np.array_equal(whole, decide(h, mine, room, h.total_budget_cents, among=arcs))


def test_a_need_with_more_ways_to_a_place_has_more_chance_of_another() -> None:
    opts = SimOptions(days=120, participants=200, programs=30, seed=8)
    h = generate_horizon(opts)
    chance = learn(history_horizon(opts), h).need_chance
    arcs = np.bincount(h.arcs.need, minlength=h.tables.needs.size)
    assert (chance[arcs == 0] == 0).all()
    assert ((chance >= 0) & (chance <= STEPS * MAX_PENALTY)).all()
    # Needs of one participant with the same types share their arcs' nodes: same chance.
    same = h.tables.needs.participant[:-1] == h.tables.needs.participant[1:]
    kinds = h.tables.needs.types
    twins = np.flatnonzero(same & (kinds[:-1] == kinds[1:]).all(axis=1))
    assert all(chance[i] == chance[i + 1] for i in twins.tolist())
    assert chance.max() > 0
