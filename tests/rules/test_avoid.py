"""The avoid rule: a participant is never sent to a program they asked not to go to."""

from __future__ import annotations

import pytest

from tests.builders import (
    broken_matrix,
    first_broken_rule,
    make_participant,
    make_program,
    make_scenario,
    offset,
)


@pytest.mark.parametrize(
    ("avoid", "expected"),
    [(["g-1"], "avoid"), (["g-2"], None), ([], None), (["g-closed"], None), (["G-1"], None)],
    ids=["avoided", "another_program", "none", "unknown_id_ignored", "ids_compare_case"],
)
def test_avoid_truth_table(avoid: list[str], expected: str | None) -> None:
    person = make_participant(avoid_programs=avoid)
    assert first_broken_rule(make_program(id="g-1"), person) == expected


def test_avoid_is_checked_last() -> None:
    program = make_program(id="g-1", location=offset(km_east=10))
    person = make_participant(avoid_programs=["g-1"], max_distance_km=2.0)
    assert first_broken_rule(program, person) == "max_distance"


def test_each_participant_avoids_only_their_own_programs() -> None:
    programs = [make_program(id=f"g-{i}") for i in range(3)]
    people = [
        make_participant(id="a", avoid_programs=["g-2"]),
        make_participant(id="b", avoid_programs=[]),
        make_participant(id="c", avoid_programs=["g-0", "g-1", "g-77"]),
    ]
    assert broken_matrix(make_scenario(programs, people)) == [
        [None, None, "avoid"],
        [None, None, None],
        ["avoid", "avoid", None],
    ]
