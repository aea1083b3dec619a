"""Why a need was not met: the contract's five reasons, ``blocked_by`` counts and details."""

from __future__ import annotations

from collections import Counter

import pytest

from matcher.assignment import Assignment, UnmatchedNeed, build_assignment
from matcher.scenario import Scenario
from matcher.solver import SolverOptions, solve
from matcher.validate import check_assignment
from tests.builders import (
    CONTRACT_ORDER,
    Json,
    make_need,
    make_participant,
    make_program,
    make_scenario,
    offset,
)

SHELTER_ONLY_FOR_WAITING = {"open_slots": 3, "waitlist": 3}
FOR_SALE = {"open_slots": 0, "waitlist": 0, "purchasable": 2, "price": 500.0}


def answer_of(scenario: Scenario) -> Assignment:
    """Solve and build the answer, checking every need is answered exactly once."""
    answer = build_assignment(solve(scenario, SolverOptions()))
    assert check_assignment(scenario, answer.to_json()) == []
    answered = Counter(
        [a.need_id for a in answer.assignments] + [u.need_id for u in answer.unmatched]
    )
    every_need = [n.id for p in scenario.participants for n in p.needs]
    assert sorted(answered.elements()) == sorted(every_need)
    return answer


def unmet(scenario: Scenario) -> dict[str, UnmatchedNeed]:
    return {u.need_id: u for u in answer_of(scenario).unmatched}


def test_no_program_of_type_when_nobody_offers_the_service() -> None:
    person = make_participant(needs=[make_need(id="a", service_types=["legal.civil"])])
    why = unmet(make_scenario([make_program()], [person]))["a"]
    assert why.reason == "no_program_of_type"
    assert why.blocked_by is None
    assert "legal.civil" in why.detail


def test_not_eligible_counts_the_first_rule_each_program_breaks() -> None:
    programs = [
        make_program(id="sober-1", barriers={"excludes_active_use": True}),
        make_program(
            id="sober-far", location=offset(km_east=9), barriers={"excludes_active_use": True}
        ),
        make_program(id="far", location=offset(km_east=9)),
        make_program(id="clinic", service_types=["treatment.mat"], location=offset(km_east=9)),
    ]
    person = make_participant(
        attributes={"active_use": True},
        max_distance_km=5.0,
        needs=[make_need(id="a")],
    )
    why = unmet(make_scenario(programs, [person]))["a"]
    assert why.reason == "not_eligible"
    assert why.blocked_by == {"excludes_active_use": 2, "max_distance": 1}
    assert why.detail.startswith("3 housing.shelter programs, none eligible:")
    assert "2 refuse active drug use" in why.detail
    assert "1 is beyond the participant's travel limit" in why.detail


def test_blocked_by_has_one_count_per_rule_in_contract_order() -> None:
    here = offset(km_north=1)
    programs = [
        make_program(id="g-use", barriers={"excludes_active_use": True}),
        make_program(id="g-sex", barriers={"excludes_sex_work": True}),
        make_program(id="g-rec", barriers={"excludes_criminal_history": True}),
        make_program(id="g-faith", barriers={"requires_religious_participation": True}),
        make_program(id="g-conv", barriers={"conversion_therapy": True}),
        make_program(id="g-gender", eligibility={"genders": ["man"]}),
        make_program(id="g-age", eligibility={"max_age": 24}),
        make_program(id="g-house", eligibility={"households": ["family"]}),
        make_program(id="g-pets", eligibility={"pets_allowed": False}),
        make_program(id="g-id", eligibility={"requires_id": True}),
        make_program(id="g-vets", eligibility={"reserved_for": ["veteran"]}),
        make_program(id="g-far", location=offset(km_east=30)),
        make_program(id="g-stay", location=here),
        make_program(id="g-avoid"),
        make_program(id="g-avoid-2"),
        make_program(id="g-declined"),
    ]
    person = make_participant(
        attributes={
            "active_use": True,
            "sex_work": True,
            "criminal_history": True,
            "gender": "woman",
            "age": 40,
            "household": "single",
            "has_pet": True,
            "has_id": False,
        },
        max_distance_km=10.0,
        stay_away=[{**here, "radius_m": 200.0}],
        avoid_programs=["g-avoid", "g-avoid-2"],
        needs=[make_need(id="a", declined_programs=["g-declined"])],
    )
    why = unmet(make_scenario(programs, [person]))["a"]
    assert why.reason == "not_eligible"
    assert why.blocked_by is not None
    assert tuple(why.blocked_by) == CONTRACT_ORDER
    assert sum(why.blocked_by.values()) == len(programs)
    assert why.blocked_by["avoid"] == 2
    assert why.blocked_by["declined"] == 1


@pytest.mark.parametrize(
    ("capacity", "phrase"),
    [
        (SHELTER_ONLY_FOR_WAITING, "3 free places, all owed to 3 people already waiting"),
        ({"open_slots": 1, "waitlist": 1}, "1 free place, all owed to 1 person already waiting"),
        ({"open_slots": 3, "held": 1, "waitlist": 5}, "2 free places, all owed to 5 people"),
    ],
    ids=["three_waiting", "one_waiting", "held_places_not_counted"],
)
def test_would_displace_when_every_free_place_is_owed_to_people_waiting(
    capacity: Json, phrase: str
) -> None:
    person = make_participant(needs=[make_need(id="a", acute=True)])
    why = unmet(make_scenario([make_program(capacity=capacity)], [person], budget=0.0))["a"]
    assert why.reason == "would_displace"
    assert phrase in why.detail
    assert "already waiting" in why.detail


def test_not_would_displace_when_another_eligible_program_had_room() -> None:
    programs = [
        make_program(id="owed", capacity=SHELTER_ONLY_FOR_WAITING),
        make_program(id="open", capacity={"open_slots": 1, "waitlist": 0}),
    ]
    people = [
        make_participant(id="acute", needs=[make_need(id="first", acute=True)]),
        make_participant(id="later", needs=[make_need(id="second")]),
    ]
    why = unmet(make_scenario(programs, people))
    assert list(why) == ["second"]
    assert why["second"].reason == "capacity_exhausted"


def test_budget_exhausted_when_a_place_is_for_sale_but_the_fund_cannot_pay() -> None:
    person = make_participant(needs=[make_need(id="a")])
    why = unmet(make_scenario([make_program(capacity=FOR_SALE)], [person], budget=300.0))["a"]
    assert why.reason == "budget_exhausted"
    assert "bought for $500," in why.detail  # one money format: "$500"
    assert "only $300 of the fund" in why.detail


def test_budget_exhausted_after_the_fund_bought_for_a_higher_ranked_need() -> None:
    people = [
        make_participant(id="acute", needs=[make_need(id="first", acute=True)]),
        make_participant(id="later", needs=[make_need(id="second")]),
    ]
    answer = answer_of(make_scenario([make_program(capacity=FOR_SALE)], people, budget=700.0))
    assert [(a.need_id, a.pool, a.cost) for a in answer.assignments] == [
        ("first", "purchase", 500.0)
    ]
    (why,) = answer.unmatched
    assert (why.need_id, why.reason) == ("second", "budget_exhausted")
    assert "only $200 of the fund" in why.detail


def test_would_displace_comes_before_budget_exhausted_only_without_a_place_for_sale() -> None:
    programs = [
        make_program(id="owed", capacity=SHELTER_ONLY_FOR_WAITING),
        make_program(id="for-sale", capacity=FOR_SALE),
    ]
    person = make_participant(needs=[make_need(id="a")])
    assert unmet(make_scenario(programs, [person], budget=100.0))["a"].reason == "budget_exhausted"


def test_capacity_exhausted_when_a_higher_ranked_acute_need_took_the_last_place() -> None:
    programs = [
        make_program(id="last-place", capacity={"open_slots": 1, "waitlist": 0}),
        make_program(id="sober", barriers={"excludes_active_use": True}, capacity={"waitlist": 0}),
    ]
    people = [
        make_participant(id="later", attributes={"active_use": True}, needs=[make_need(id="b")]),
        make_participant(id="acute", needs=[make_need(id="a", acute=True)]),
    ]
    answer = answer_of(make_scenario(programs, people))
    assert [(a.need_id, a.program_id) for a in answer.assignments] == [("a", "last-place")]
    (why,) = answer.unmatched
    assert (why.need_id, why.reason) == ("b", "capacity_exhausted")
    assert why.blocked_by == {"excludes_active_use": 1}


def test_capacity_exhausted_when_every_free_place_is_held() -> None:
    program = make_program(capacity={"open_slots": 2, "held": 2, "waitlist": 0})
    person = make_participant(needs=[make_need(id="a")])
    why = unmet(make_scenario([program], [person]))["a"]
    assert why.reason == "capacity_exhausted"
    assert why.blocked_by is None


UNREPORTED = {"open_slots": None, "waitlist": 0}


def test_capacity_unknown_when_no_eligible_program_ever_reported() -> None:
    programs = [
        make_program(id="silent-1", capacity=UNREPORTED),
        make_program(id="silent-2", capacity={"waitlist": 2}),
        make_program(id="full-but-sober", barriers={"excludes_active_use": True}),
    ]
    person = make_participant(attributes={"active_use": True}, needs=[make_need(id="a")])
    why = unmet(make_scenario(programs, [person]))["a"]
    assert why.reason == "capacity_unknown"
    assert why.blocked_by == {"excludes_active_use": 1}
    assert why.detail == (
        "2 eligible programs, none has ever reported its free places: "
        "the need might be met if the providers reported"
    )


@pytest.mark.parametrize(
    ("other", "reason"),
    [
        ({"open_slots": 0, "waitlist": 0}, "capacity_exhausted"),
        ({"open_slots": 1, "held": 1, "waitlist": 0}, "capacity_exhausted"),
        ({"open_slots": 2, "waitlist": 4}, "would_displace"),
        ({"lead_reserved_open": 1}, "capacity_exhausted"),
        ({"purchasable": 1, "price": 500.0}, "budget_exhausted"),
        ({"purchasable": 1, "price": 0.0}, "capacity_exhausted"),
    ],
    ids=[
        "another_reported_none_free",
        "another_reported_all_held",
        "another_reported_places_owed",
        "a_paid_place_taken_by_a_higher_ranked_need",
        "a_place_for_sale_the_fund_cannot_pay",
        "a_place_for_sale_bought_for_a_higher_ranked_need",
    ],
)
def test_capacity_unknown_only_when_nothing_else_could_have_room(other: Json, reason: str) -> None:
    programs = [
        make_program(id="silent", capacity=UNREPORTED),
        make_program(id="other", capacity=other),
    ]
    people = [
        make_participant(id="first", needs=[make_need(id="acute", acute=True)]),
        make_participant(id="second", needs=[make_need(id="b")]),
    ]
    why = unmet(make_scenario(programs, people, budget=100.0))
    assert why["b"].reason == reason


def test_a_silent_program_the_participant_may_not_use_is_no_reason_to_wait() -> None:
    programs = [
        make_program(
            id="silent-vets", capacity=UNREPORTED, eligibility={"reserved_for": ["veteran"]}
        ),
        make_program(id="full", capacity={"open_slots": 0, "waitlist": 0}),
    ]
    person = make_participant(needs=[make_need(id="a")])
    why = unmet(make_scenario(programs, [person]))["a"]
    assert why.reason == "capacity_exhausted"
    assert why.blocked_by == {"reserved_for": 1}


def test_one_place_serves_one_of_a_participants_two_needs() -> None:
    person = make_participant(needs=[make_need(id="a", rank=2), make_need(id="b", rank=1)])
    answer = answer_of(make_scenario([make_program()], [person]))
    assert [a.need_id for a in answer.assignments] == ["b"]
    assert [(u.need_id, u.reason) for u in answer.unmatched] == [("a", "capacity_exhausted")]


def test_every_need_of_a_mixed_scenario_gets_exactly_one_answer() -> None:
    programs = [
        make_program(id="owed", capacity=SHELTER_ONLY_FOR_WAITING),
        make_program(id="sale", service_types=["treatment.mat"], capacity=FOR_SALE),
        make_program(
            id="sober", service_types=["food.meals"], barriers={"excludes_active_use": True}
        ),
    ]
    person = make_participant(
        attributes={"active_use": True},
        needs=[
            make_need(id="shelter"),
            make_need(id="mat", service_types=["treatment.mat"]),
            make_need(id="meals", service_types=["food.meals"]),
            make_need(id="legal", service_types=["legal.civil"]),
        ],
    )
    reasons = {k: v.reason for k, v in unmet(make_scenario(programs, [person], 0.0)).items()}
    assert reasons == {
        "shelter": "would_displace",
        "mat": "budget_exhausted",
        "meals": "not_eligible",
        "legal": "no_program_of_type",
    }
