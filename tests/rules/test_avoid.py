"""The avoid rule: a participant is never sent to a program they asked not to go to."""

from __future__ import annotations

import pytest

from matcher.rules.arcs import evaluate_pairs
from matcher.rules.registry import RULES
from matcher.rules.tables import build_tables
from matcher.scenario import parse_scenario
from tests.builders import (
    Json,
    broken_matrix,
    first_broken_rule,
    make_need,
    make_participant,
    make_program,
    make_scenario,
    make_scenario_json,
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


def _need_verdicts(scenario_json: Json) -> dict[tuple[str, str], str | None]:
    """(need id, program id) -> the first rule broken, for every type-sharing pair."""

    tables = build_tables(parse_scenario(scenario_json))
    pairs = evaluate_pairs(tables, reach=False)
    return {
        (tables.needs.ids[n], tables.programs.ids[g]): None if c == 0 else RULES[c - 1].name
        for n, g, c in zip(pairs.need, pairs.program, pairs.broken, strict=True)
    }


def test_a_declined_program_is_out_for_that_need_only() -> None:
    """Declining costs nothing else: the participant's other need, and other
    participants, may still go to the program."""

    programs = [make_program(id="g-1"), make_program(id="g-2")]
    people = [
        make_participant(
            id="a",
            needs=[make_need(id="a-1", declined_programs=["g-1"]), make_need(id="a-2")],
        ),
        make_participant(id="b"),
    ]
    verdicts = _need_verdicts(make_scenario_json(programs, people))
    assert verdicts[("a-1", "g-1")] == "declined"
    assert verdicts[("a-1", "g-2")] is None
    assert verdicts[("a-2", "g-1")] is None
    assert verdicts[("b-1", "g-1")] is None


def test_declined_comes_after_avoid() -> None:

    person = make_participant(
        id="a", avoid_programs=["g-1"], needs=[make_need(id="a-1", declined_programs=["g-1"])]
    )
    verdicts = _need_verdicts(make_scenario_json([make_program(id="g-1")], [person]))
    assert verdicts[("a-1", "g-1")] == "avoid"
