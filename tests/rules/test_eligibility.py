"""Eligibility rules: each applies only where the program sets it; unstated fails a set rule."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import (
    broken_matrix,
    first_broken_rule,
    make_participant,
    make_program,
    make_scenario,
)

WOMEN = {"genders": ["woman", "trans woman"]}
YOUNG = {"min_age": 18, "max_age": 24}
VETERANS = {"reserved_for": ["veteran"]}

# (id, participant attributes, program eligibility, the rule reported or None)
TABLE: list[tuple[str, dict[str, Any], dict[str, Any], str | None]] = [
    ("listed_gender", {"gender": "woman"}, WOMEN, None),
    ("trans_woman_listed_explicitly", {"gender": "trans woman"}, WOMEN, None),
    ("gender_not_listed", {"gender": "man"}, WOMEN, "gender"),
    ("gender_no_program_lists", {"gender": "nonbinary"}, WOMEN, "gender"),
    ("gender_unstated", {}, WOMEN, "gender"),
    ("gender_compares_case", {"gender": "Woman"}, WOMEN, "gender"),
    ("genders_not_set", {"gender": "man"}, {}, None),
    ("age_at_lower_bound", {"age": 18}, YOUNG, None),
    ("age_at_upper_bound", {"age": 24}, YOUNG, None),
    ("age_below", {"age": 17}, YOUNG, "age"),
    ("age_above", {"age": 25}, YOUNG, "age"),
    ("age_unstated", {}, YOUNG, "age"),
    ("only_min_age_met", {"age": 90}, {"min_age": 21}, None),
    ("only_min_age_missed", {"age": 20}, {"min_age": 21}, "age"),
    ("only_max_age_missed", {"age": 25}, {"max_age": 24}, "age"),
    ("only_max_age_unstated", {}, {"max_age": 24}, "age"),
    ("ages_not_set", {}, {}, None),
    ("listed_household", {"household": "family"}, {"households": ["family"]}, None),
    ("household_not_listed", {"household": "single"}, {"households": ["family"]}, "household"),
    ("household_unstated", {}, {"households": ["family", "couple"]}, "household"),
    ("households_not_set", {"household": "single"}, {}, None),
    ("pet_where_no_pets", {"has_pet": True}, {"pets_allowed": False}, "pets"),
    ("pet_where_pets_allowed", {"has_pet": True}, {"pets_allowed": True}, None),
    ("no_pet_where_no_pets", {"has_pet": False}, {"pets_allowed": False}, None),
    ("no_id_where_id_required", {"has_id": False}, {"requires_id": True}, "requires_id"),
    ("id_assumed_by_default", {}, {"requires_id": True}, None),
    ("no_id_where_none_required", {"has_id": False}, {}, None),
    ("in_the_reserved_population", {"populations": ["veteran"]}, VETERANS, None),
    (
        "in_one_of_the_reserved",
        {"populations": ["youth"]},
        {"reserved_for": ["veteran", "youth"]},
        None,
    ),
    ("in_another_population", {"populations": ["youth"]}, VETERANS, "reserved_for"),
    ("population_unstated", {}, VETERANS, "reserved_for"),
    ("population_compares_case", {"populations": ["Veteran"]}, VETERANS, "reserved_for"),
    ("nothing_reserved", {"populations": ["veteran"]}, {}, None),
    ("nothing_reserved_nothing_stated", {}, {}, None),
    ("gender_before_age", {"gender": "man", "age": 40}, {**WOMEN, **YOUNG}, "gender"),
    ("age_before_household", {"age": 40}, {**YOUNG, "households": ["family"]}, "age"),
    (
        "household_before_pets",
        {"has_pet": True},
        {"households": ["family"], "pets_allowed": False},
        "household",
    ),
    (
        "pets_before_id",
        {"has_pet": True, "has_id": False},
        {"pets_allowed": False, "requires_id": True},
        "pets",
    ),
    (
        "id_before_reserved_for",
        {"has_id": False},
        {"requires_id": True, **VETERANS},
        "requires_id",
    ),
]


@pytest.mark.parametrize(
    ("attributes", "eligibility", "expected"), [r[1:] for r in TABLE], ids=[r[0] for r in TABLE]
)
def test_eligibility_truth_table(
    attributes: dict[str, Any], eligibility: dict[str, Any], expected: str | None
) -> None:
    person = make_participant(attributes=attributes)
    assert first_broken_rule(make_program(eligibility=eligibility), person) == expected


def test_the_whole_table_at_once_gives_the_same_verdicts_as_one_pair_at_a_time() -> None:
    programs = [make_program(id=f"g-{i}", eligibility=row[2]) for i, row in enumerate(TABLE)]
    people = [make_participant(id=f"x-{i}", attributes=row[1]) for i, row in enumerate(TABLE)]
    matrix = broken_matrix(make_scenario(programs, people))
    assert [matrix[i][i] for i in range(len(TABLE))] == [row[3] for row in TABLE]


def test_a_gender_another_program_lists_does_not_count_here() -> None:
    programs = [
        make_program(id="women", eligibility=WOMEN),
        make_program(id="men", eligibility={"genders": ["man"]}),
    ]
    people = [make_participant(id="m", attributes={"gender": "man"})]
    assert broken_matrix(make_scenario(programs, people)) == [["gender", None]]


def test_genders_beyond_the_first_sixty_four_are_still_matched() -> None:
    many = [f"gender-{i}" for i in range(70)]
    programs = [
        make_program(id="many", eligibility={"genders": many}),
        make_program(id="one", eligibility={"genders": ["gender-69"]}),
    ]
    people = [
        make_participant(id="late", attributes={"gender": "gender-69"}),
        make_participant(id="early", attributes={"gender": "gender-3"}),
    ]
    assert broken_matrix(make_scenario(programs, people)) == [[None, None], [None, "gender"]]


def test_populations_beyond_the_first_sixty_four_are_still_matched() -> None:
    many = [f"population-{i}" for i in range(70)]
    programs = [
        make_program(id="many", eligibility={"reserved_for": many}),
        make_program(id="one", eligibility={"reserved_for": ["population-69"]}),
    ]
    people = [
        make_participant(id="late", attributes={"populations": ["population-69"]}),
        make_participant(id="early", attributes={"populations": ["population-3", "other"]}),
    ]
    assert broken_matrix(make_scenario(programs, people)) == [
        [None, None],
        [None, "reserved_for"],
    ]


def test_a_population_no_program_reserves_for_breaks_the_rule_only_where_reserved() -> None:
    programs = [make_program(id="vets", eligibility=VETERANS), make_program(id="open")]
    people = [make_participant(id="y", attributes={"populations": ["dv_survivor"]})]
    assert broken_matrix(make_scenario(programs, people)) == [["reserved_for", None]]
