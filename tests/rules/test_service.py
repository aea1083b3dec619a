"""The service rule and pair generation: exact type strings, one pair per need and program."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.generate import GenerateOptions, generate
from matcher.rules.arcs import evaluate_pairs
from matcher.rules.geography import pair_distance_km
from matcher.rules.service import offers_type, programs_of_type_count, type_pairs
from matcher.rules.tables import build_tables
from matcher.scenario import parse_scenario
from tests.builders import make_need, make_participant, make_program, make_scenario


def pairs_of(need_types: list[str], program_types: list[list[str]]) -> list[tuple[int, int]]:
    programs = [make_program(id=f"g-{i}", service_types=t) for i, t in enumerate(program_types)]
    person = make_participant(needs=[make_need(service_types=need_types)])
    n, g = type_pairs(build_tables(make_scenario(programs, [person])))
    return list(zip(n.tolist(), g.tolist(), strict=True))


@pytest.mark.parametrize(
    ("need_types", "program_types", "expected"),
    [
        (["housing.shelter"], [["housing.shelter"]], [(0, 0)]),
        (["housing.shelter"], [["housing.transitional"]], []),
        (["housing.shelter"], [["Housing.Shelter"]], []),
        (["housing.shelter"], [["housing.shelter "]], []),
        (["housing.shelter", "treatment.mat"], [["treatment.mat"], ["food.meals"]], [(0, 0)]),
        (["housing.shelter", "treatment.mat"], [["treatment.mat", "housing.shelter"]], [(0, 0)]),
        (["food.meals"], [["food.meals"], ["food.pantry", "food.meals"]], [(0, 0), (0, 1)]),
    ],
    ids=[
        "same_type",
        "other_type",
        "types_compare_case",
        "types_compare_whitespace",
        "any_type_of_the_need",
        "two_shared_types_one_pair",
        "every_program_of_the_type",
    ],
)
def test_service_pairs_truth_table(
    need_types: list[str], program_types: list[list[str]], expected: list[tuple[int, int]]
) -> None:
    assert pairs_of(need_types, program_types) == expected


def test_offers_type_is_the_pairwise_service_rule() -> None:
    programs = [
        make_program(id="shelter"),
        make_program(id="clinic", service_types=["treatment.mat"]),
    ]
    person = make_participant(
        needs=[make_need(id="a"), make_need(id="b", service_types=["treatment.mat", "x"])]
    )
    tables = build_tables(make_scenario(programs, [person]))
    need, prog = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    assert offers_type(tables, need, prog).tolist() == [True, False, False, True]


def test_programs_of_type_are_counted_per_need() -> None:
    programs = [
        make_program(id="s1"),
        make_program(id="s2"),
        make_program(id="c", service_types=["treatment.mat"]),
    ]
    person = make_participant(
        needs=[
            make_need(id="a"),
            make_need(id="b", service_types=["treatment.mat", "housing.shelter"]),
            make_need(id="c", service_types=["legal.civil"]),
        ]
    )
    tables = build_tables(make_scenario(programs, [person]))
    assert programs_of_type_count(tables, np.arange(3)).tolist() == [2, 3, 0]


def test_pairs_only_for_the_needs_asked_about() -> None:
    person = make_participant(needs=[make_need(id="a"), make_need(id="b"), make_need(id="c")])
    tables = build_tables(make_scenario([make_program()], [person]))
    n, _ = type_pairs(tables, np.array([2, 0]))
    assert n.tolist() == [0, 2]


def test_no_pairs_without_programs_or_needs() -> None:
    tables = build_tables(make_scenario([], [make_participant()]))
    assert [len(a) for a in type_pairs(tables)] == [0, 0]
    tables = build_tables(make_scenario([make_program()], [make_participant(needs=[])]))
    assert [len(a) for a in type_pairs(tables)] == [0, 0]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pairs_within_reach_are_exactly_the_type_pairs_within_the_travel_limit(seed: int) -> None:
    data = generate(GenerateOptions(participants=150, programs=120, seed=seed))
    for person in data["participants"][::7]:
        del person["max_distance_km"]  # some will go anywhere
    tables = build_tables(parse_scenario(data))
    people = tables.participants
    n_all, g_all = type_pairs(tables, reach=False)
    owner = tables.needs.participant[n_all]
    distance = pair_distance_km(people, tables.programs, owner, g_all)
    limit = people.max_distance_km[owner]
    assert np.isfinite(limit).any()
    assert np.isinf(limit).any()
    n_near, g_near = type_pairs(tables, reach=True)
    within = distance <= limit
    near_keys = set(zip(n_near.tolist(), g_near.tolist(), strict=True))
    expected = set(zip(n_all[within].tolist(), g_all[within].tolist(), strict=True))
    # A k-d tree with a tiny slack may add pairs within 1e-6 km of the limit, never more.
    extra = near_keys - expected
    assert expected <= near_keys
    all_keys = dict(
        zip(zip(n_all.tolist(), g_all.tolist(), strict=True), distance - limit, strict=True)
    )
    assert all(all_keys[k] <= 1e-6 for k in extra)
    assert 0 < len(expected) < len(n_all)


def test_reach_drops_pairs_but_never_changes_a_verdict() -> None:
    scenario = parse_scenario(generate(GenerateOptions(participants=80, programs=60, seed=4)))
    tables = build_tables(scenario)
    everything = evaluate_pairs(tables, reach=False)
    near = evaluate_pairs(tables, reach=True)
    verdict = {
        (n, g): b
        for n, g, b in zip(everything.need, everything.program, everything.broken, strict=True)
    }
    assert len(near.need) < len(everything.need)
    for n, g, b in zip(near.need, near.program, near.broken, strict=True):
        assert verdict[(n, g)] == b


def test_types_beyond_the_first_sixty_four_still_pair() -> None:
    programs = [make_program(id=f"g-{i}", service_types=[f"type-{i}"]) for i in range(70)]
    person = make_participant(
        needs=[
            make_need(id="a", service_types=["type-67"]),
            make_need(id="b", service_types=["type-3", "type-66", "type-none"]),
        ]
    )
    tables = build_tables(make_scenario(programs, [person]))
    for reach in (True, False):
        n, g = type_pairs(tables, reach=reach)
        assert list(zip(n.tolist(), g.tolist(), strict=True)) == [(0, 67), (1, 3), (1, 66)]


def test_tree_and_dense_reach_checks_find_the_same_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = parse_scenario(generate(GenerateOptions(participants=400, programs=60, seed=5)))
    tables = build_tables(scenario)
    dense = type_pairs(tables)
    monkeypatch.setattr("matcher.rules.service._DENSE_PAIRS", 0)
    tree = type_pairs(tables)
    assert np.array_equal(dense[0], tree[0])
    assert np.array_equal(dense[1], tree[1])
