"""A case manager's options per need: what is offered, and why the rest is not."""

from __future__ import annotations

from matcher.explain import explain_participant
from matcher.options import participant_options
from tests.builders import make_participant, make_program, make_scenario

VETS = {"reserved_for": ["veteran"]}


def test_programs_without_a_place_are_told_apart_by_why() -> None:
    programs = [
        make_program(id="open"),
        make_program(id="owed", capacity={"open_slots": 2, "waitlist": 2}),
        make_program(id="silent", capacity={"waitlist": 0}),
        make_program(id="full", capacity={"open_slots": 0, "waitlist": 0}),
        make_program(id="vets", eligibility=VETS),
    ]
    (view,) = participant_options(make_scenario(programs, [make_participant()]), "x-1")
    assert [o.program_id for o in view.options] == ["open"]
    assert (view.eligible_but_full, view.owed_to_waitlist, view.unreported) == (3, 1, 1)
    assert view.excluded == {"reserved_for": 1}


def test_a_veteran_is_offered_the_places_reserved_for_veterans() -> None:
    programs = [make_program(id="vets", eligibility=VETS)]
    person = make_participant(attributes={"populations": ["veteran"]})
    (view,) = participant_options(make_scenario(programs, [person]), "x-1")
    assert [(o.program_id, o.pool) for o in view.options] == [("vets", "general")]
    assert view.excluded == {}


def test_explain_names_reserved_places_and_programs_that_never_reported() -> None:
    programs = [
        make_program(id="vets", eligibility=VETS),
        make_program(id="silent", capacity={"waitlist": 0}),
    ]
    text = explain_participant(make_scenario(programs, [make_participant()]), "x-1")
    assert "excluded: reserved_for" in text
    assert "eligible: free places never reported" in text
