"""blocked_by counts by profile and reach agree with checking every pair of the type."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.generate import GenerateOptions, generate
from matcher.rules.arcs import evaluate_pairs
from matcher.rules.counts import blocked_counts
from matcher.rules.registry import RULES
from matcher.rules.tables import build_tables
from matcher.scenario import parse_scenario


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_profile_counts_equal_pair_by_pair_counts(seed: int) -> None:
    data = generate(GenerateOptions(participants=250, programs=60, seed=seed))
    for person in data["participants"][::6]:
        del person["max_distance_km"]
    tables = build_tables(parse_scenario(data))
    needs = np.arange(tables.needs.size)
    counts, _ = blocked_counts(tables, needs)
    every = evaluate_pairs(tables, needs, reach=False)
    n_rules = len(RULES) + 1
    expected = np.bincount(
        every.need * n_rules + every.broken.astype(np.int64), minlength=len(needs) * n_rules
    ).reshape(len(needs), n_rules)
    assert np.array_equal(counts, expected)


def test_no_needs_no_counts() -> None:
    tables = build_tables(parse_scenario(generate(GenerateOptions(participants=5, programs=3))))
    counts, pairs = blocked_counts(tables, np.zeros(0, dtype=np.int64))
    assert counts.shape == (0, len(RULES) + 1)
    assert len(pairs.need) == 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_counts_from_every_need_pairs_equal_counts_computed_afresh(seed: int) -> None:
    data = generate(GenerateOptions(participants=300, programs=40, seed=seed))
    for person in data["participants"][::5]:
        del person["max_distance_km"]
    tables = build_tables(parse_scenario(data))
    needs = np.flatnonzero(np.random.default_rng(seed).random(tables.needs.size) < 0.4)
    counts, pairs = blocked_counts(tables, needs)
    reused, subset = blocked_counts(tables, needs, evaluate_pairs(tables))
    assert np.array_equal(counts, reused)
    assert np.array_equal(pairs.need, subset.need)
    assert np.array_equal(pairs.program, subset.program)
    assert np.array_equal(pairs.distance_km, subset.distance_km)
    assert np.array_equal(pairs.broken, subset.broken)
