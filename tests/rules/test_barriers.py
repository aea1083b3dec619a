"""Barrier rules: program policies that refuse a participant (harm reduction)."""

from __future__ import annotations

from typing import Any

import pytest

from matcher.rules.registry import RULE_NAMES
from tests.builders import (
    broken_matrix,
    first_broken_rule,
    make_participant,
    make_program,
    make_scenario,
)

USES = {"active_use": True}
SELLS_SEX = {"sex_work": True}
RECORD = {"criminal_history": True}
CHOSE_FAITH = {"accepts_faith_based": True}
SOBER_ONLY = {"excludes_active_use": True}
NO_SEX_WORK = {"excludes_sex_work": True}
NO_RECORD = {"excludes_criminal_history": True}
RELIGIOUS = {"requires_religious_participation": True}
CONVERSION = {"conversion_therapy": True}

# (id, participant attributes, program barriers, the rule reported or None)
TABLE: list[tuple[str, dict[str, Any], dict[str, Any], str | None]] = [
    ("user_meets_sobriety_rule", USES, SOBER_ONLY, "excludes_active_use"),
    ("non_user_meets_sobriety_rule", {"active_use": False}, SOBER_ONLY, None),
    ("user_meets_low_barrier_program", USES, {}, None),
    ("sex_worker_meets_exclusion", SELLS_SEX, NO_SEX_WORK, "excludes_sex_work"),
    ("no_sex_work_meets_exclusion", {}, NO_SEX_WORK, None),
    ("record_meets_exclusion", RECORD, NO_RECORD, "excludes_criminal_history"),
    ("no_record_meets_exclusion", {"criminal_history": False}, NO_RECORD, None),
    ("faith_not_chosen", {}, RELIGIOUS, "requires_religious_participation"),
    ("faith_chosen", CHOSE_FAITH, RELIGIOUS, None),
    ("conversion_therapy_for_anyone", {}, CONVERSION, "conversion_therapy"),
    ("conversion_therapy_even_if_faith_chosen", CHOSE_FAITH, CONVERSION, "conversion_therapy"),
    (
        "active_use_before_sex_work",
        USES | SELLS_SEX,
        SOBER_ONLY | NO_SEX_WORK,
        "excludes_active_use",
    ),
    ("sex_work_before_record", SELLS_SEX | RECORD, NO_SEX_WORK | NO_RECORD, "excludes_sex_work"),
    ("record_before_faith", RECORD, NO_RECORD | RELIGIOUS, "excludes_criminal_history"),
    ("faith_before_conversion", {}, RELIGIOUS | CONVERSION, "requires_religious_participation"),
    ("only_the_rule_the_person_meets", SELLS_SEX, SOBER_ONLY | NO_SEX_WORK, "excludes_sex_work"),
]


@pytest.mark.parametrize(
    ("attributes", "barriers", "expected"), [r[1:] for r in TABLE], ids=[r[0] for r in TABLE]
)
def test_barrier_truth_table(
    attributes: dict[str, Any], barriers: dict[str, Any], expected: str | None
) -> None:
    person = make_participant(attributes=attributes)
    assert first_broken_rule(make_program(barriers=barriers), person) == expected
    assert expected is None or expected in RULE_NAMES


def test_a_barrier_is_reported_before_eligibility() -> None:
    program = make_program(
        barriers={"excludes_active_use": True},
        eligibility={"genders": ["man"], "requires_id": True},
    )
    person = make_participant(attributes={"active_use": True, "gender": "woman", "has_id": False})
    assert first_broken_rule(program, person) == "excludes_active_use"


def test_the_whole_table_at_once_gives_the_same_verdicts_as_one_pair_at_a_time() -> None:
    programs = [make_program(id=f"g-{i}", barriers=row[2]) for i, row in enumerate(TABLE)]
    people = [make_participant(id=f"x-{i}", attributes=row[1]) for i, row in enumerate(TABLE)]
    matrix = broken_matrix(make_scenario(programs, people))
    for i, row in enumerate(TABLE):
        assert matrix[i][i] == row[3], row[0]
        for j, other in enumerate(TABLE):
            assert matrix[i][j] == first_broken_rule(
                make_program(barriers=other[2]), make_participant(attributes=row[1])
            )
