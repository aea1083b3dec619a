"""Foresight: a window over the whole horizon is hindsight, no window is today's batch,
and any window displaces nobody, never overdraws the fund and never beats hindsight."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.foresight import sights
from matcher.simulate.foresight import Foresight, run_foresight
from matcher.simulate.hindsight import hindsight
from matcher.simulate.horizon import Horizon, SimOptions, generate_horizon
from matcher.simulate.metrics import displaced
from matcher.simulate.policies import UNMET, Outcome, run_policy


def make_horizon(seed: int, **overrides: float | None) -> Horizon:
    options = SimOptions(days=30, participants=40, programs=30, seed=seed, stay_days=8.0)
    return generate_horizon(SimOptions(**{**options.__dict__, **overrides}))


def levels(h: Horizon, out: Outcome, before: int | None = None) -> tuple[int, int, int]:
    """(acute met, needs met, spend in cents), of the days before ``before`` if given."""
    met = out.day != UNMET
    if before is not None:
        met &= out.day < before
    return int((met & h.tables.needs.acute).sum()), int(met.sum()), int(h.cents[out.arc[met]].sum())


@pytest.mark.parametrize("budget", [None, 1500.0], ids=["generated fund", "tight fund"])
@pytest.mark.parametrize("seed", range(5))
def test_a_window_over_the_whole_horizon_meets_what_hindsight_meets(
    seed: int, budget: float | None
) -> None:
    h = make_horizon(seed, budget=budget)
    assert levels(h, run_foresight(h, Foresight(h.days))) == levels(h, hindsight(h))


def test_a_tight_fund_makes_foresight_buy_on_the_last_day_it_knows() -> None:
    # Seed 0 with a tight fund is where hindsight's flows overspend and the MILP decides.
    h = make_horizon(0, days=20, participants=25, programs=40, stay_days=6.0, budget=1500.0)
    out = run_foresight(h, Foresight(h.days))
    bought = np.flatnonzero((out.day != UNMET) & (h.cents[np.maximum(out.arc, 0)] > 0))
    assert len(bought) > 0
    assert (out.day[bought] == h.need_exit[bought] - 1).all()
    assert levels(h, out) == levels(h, hindsight(h))


@pytest.mark.parametrize("seed", range(4))
def test_no_window_decides_the_first_day_as_the_batch_does(seed: int) -> None:
    h = make_horizon(seed, days=60, participants=80)
    batch, window0 = run_policy(h, "resolve"), run_foresight(h, Foresight(0))
    assert levels(h, window0, before=1)[:2] == levels(h, batch, before=1)[:2]


kinds = st.booleans()


@settings(max_examples=25)
@given(
    st.integers(0, 2**32),
    st.integers(0, 40),
    kinds,
    kinds,
    kinds,
    st.sampled_from([None, 0.0, 1500.0]),
)
def test_no_window_displaces_overdraws_or_beats_hindsight(
    seed: int, window: int, arrivals: bool, places: bool, exits: bool, budget: float | None
) -> None:
    h = make_horizon(seed, days=25, participants=25, budget=budget)
    out = run_foresight(h, Foresight(window, arrivals, places, exits))
    assert displaced(h, out) == 0
    met = out.day != UNMET
    for day in range(h.days):
        assert int(h.cents[out.arc[met & (out.day <= day)]].sum()) <= h.budget_by(day)
    assert levels(h, out)[:2] <= levels(h, hindsight(h))[:2]


def test_the_ladder_splits_one_window_into_each_kind_alone_and_all_but_each() -> None:
    ladder = sights([0, 7], 30)
    assert ladder["foresight 7"] == Foresight(7)
    assert ladder["foresight 30, places only"] == Foresight(30, False, True, False)
    assert ladder["foresight 30, all but exits"] == Foresight(30, True, True, False)
    assert len(ladder) == 2 + 6


def test_a_window_cannot_look_back() -> None:
    with pytest.raises(ValueError, match="window"):
        Foresight(-1)
