"""The rule registry: the contract's order, and the first broken rule is the one reported."""

from __future__ import annotations

from matcher.rules.registry import RULE_NAMES, RULES, phrase
from tests.builders import CONTRACT_ORDER, first_broken_rule, make_participant, make_program, offset


def test_rules_are_checked_in_the_contracts_order() -> None:
    assert RULE_NAMES == CONTRACT_ORDER


def test_rule_families_come_in_the_contracts_order() -> None:
    families = [r.family for r in RULES]
    order = ["barriers", "eligibility", "geography", "avoid"]
    assert sorted(families, key=order.index) == families
    assert set(families) == set(order)


def test_a_program_breaking_every_family_is_reported_by_its_barrier() -> None:
    program = make_program(
        id="far-sober",
        location=offset(km_north=20),
        barriers={"excludes_active_use": True},
        eligibility={"genders": ["man"]},
    )
    person = make_participant(
        attributes={"active_use": True, "gender": "woman"},
        max_distance_km=5.0,
        avoid_programs=["far-sober"],
    )
    assert first_broken_rule(program, person) == "excludes_active_use"


def test_a_program_breaking_eligibility_and_distance_is_reported_by_eligibility() -> None:
    program = make_program(location=offset(km_north=20), eligibility={"requires_id": True})
    person = make_participant(attributes={"has_id": False}, max_distance_km=5.0)
    assert first_broken_rule(program, person) == "requires_id"


def test_phrases_agree_in_number() -> None:
    assert phrase(1, 1) == "1 refuses active drug use"
    assert phrase(1, 3) == "3 refuse active drug use"
