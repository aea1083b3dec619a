"""Rule-change impact: re-solving with one program changed."""

from __future__ import annotations

import pytest

from matcher.funding.impact import (
    Change,
    ChangeInvalid,
    apply_change,
    gains_for,
    impact,
    impact_table,
)
from matcher.scenario import load_scenario
from tests.builders import make_need, make_participant, make_program, make_scenario
from tests.conftest import ROOT

SAMPLE = ROOT / "data" / "sample-city.json"


def test_dropping_a_sobriety_rule_meets_the_needs_it_blocked() -> None:
    programs = [
        make_program(id="g", capacity={"open_slots": 2}, barriers={"excludes_active_use": True})
    ]
    people = [
        make_participant(
            id=f"x-{i}", attributes={"active_use": True}, needs=[make_need(id=f"x-{i}-1")]
        )
        for i in range(3)
    ]
    result = impact(
        make_scenario(programs, people), Change("g", drop_barrier="excludes_active_use")
    )
    assert (result.before.objective.matched, result.after.objective.matched) == (0, 2)
    assert result.net == 2 == len(result.gained) - len(result.lost)
    assert sorted(gains_for(result, {"x-0", "x-1", "x-2"})) == sorted(
        result.gained["participant_id"]
    )
    table = impact_table(result)
    assert table is not None
    assert bool(table.suppressed.to_numpy().any())  # 2 people: never shown to a funder


def test_new_places_go_first_to_people_waiting() -> None:
    programs = [make_program(id="g", capacity={"open_slots": 2, "waitlist": 5})]
    people = [make_participant(id="x-0")]
    scenario = make_scenario(programs, people)
    assert impact(scenario, Change("g", add_places=3)).net == 0
    assert impact(scenario, Change("g", add_places=4)).net == 1


def test_sample_city_changes_are_consistent() -> None:
    scenario = load_scenario(SAMPLE)
    for program in scenario.programs:
        if program.barriers.excludes_active_use:
            result = impact(scenario, Change(program.id, drop_barrier="excludes_active_use"))
            assert result.net == len(result.gained) - len(result.lost)
            assert result.net_acute >= 0  # relaxing a rule never loses an acute need
            break
    else:
        pytest.fail("the sample city has a program with a sobriety rule")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (Change("nope"), "program_id"),
        (Change("g", drop_barrier="likes_cats"), "drop_barrier"),
        (Change("g", add_places=-1), "add_places"),
    ],
)
def test_invalid_changes_name_the_field(change: Change, field: str) -> None:
    with pytest.raises(ChangeInvalid) as err:
        apply_change(make_scenario([make_program(id="g")], []), change)
    assert err.value.field == field
