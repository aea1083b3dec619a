"""Verdicts by profile equal the rules checked pair by pair; row groups equal np.unique's."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from matcher.generate import GenerateOptions, generate
from matcher.rules.arcs import evaluate_pairs
from matcher.rules.profiles import row_groups
from matcher.rules.registry import PairFrame, first_broken
from matcher.rules.tables import build_tables
from matcher.scenario import Scenario, parse_scenario
from tests.strategies import scenarios


def _same_as_rule_by_rule(scenario: Scenario) -> None:
    tables = build_tables(scenario)
    for reach in (True, False):
        pairs = evaluate_pairs(tables, reach=reach)
        p = tables.needs.participant[pairs.need]
        frame = PairFrame(
            tables.participants,
            tables.programs,
            p,
            pairs.program,
            pairs.distance_km,
            tables.needs,
            pairs.need,
        )
        assert pairs.broken.tolist() == first_broken(frame).tolist()


@given(scenarios)
def test_pair_verdicts_by_profile_equal_every_rule_pair_by_pair(scenario: Scenario) -> None:
    _same_as_rule_by_rule(scenario)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pair_verdicts_by_profile_equal_every_rule_on_generated_instances(seed: int) -> None:
    data = generate(GenerateOptions(participants=300, programs=40, seed=seed))
    for person in data["participants"][::5]:
        del person["max_distance_km"]
    _same_as_rule_by_rule(parse_scenario(data))


@given(
    arrays(np.int64, st.tuples(st.integers(0, 30), st.integers(1, 3)), elements=st.integers(-2, 2))
)
def test_row_groups_number_rows_as_unique_does(rows: np.ndarray) -> None:
    group, first = row_groups(rows)
    if len(rows) == 0:
        assert len(group) == len(first) == 0
        return
    distinct, where, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
    # Same partition of the rows, and the first row of every group is the same row.
    assert len(first) == len(distinct)
    relabel = {int(a): int(b) for a, b in zip(group, inverse.reshape(-1), strict=True)}
    assert len(relabel) == len(set(relabel.values()))
    assert sorted(first.tolist()) == sorted(where.tolist())
    assert np.array_equal(rows[first[group]], rows)
