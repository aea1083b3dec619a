"""Needs waiting on a provider's report are kept apart from places to buy."""

from __future__ import annotations

from matcher.assignment import build_assignment
from matcher.funding.gaps import ASK_PROVIDERS_TO_REPORT, BUY_PLACES, gap_table, unmet_frame
from matcher.funding.html_report import build, render
from matcher.funding.planner import compare, planning_scenario
from matcher.scenario import Scenario
from matcher.solver import solve
from tests.builders import make_need, make_participant, make_program, make_scenario

SILENT = make_program(
    id="silent",
    service_types=["legal.advocacy"],
    capacity={"open_slots": None, "waitlist": 0},
)
FULL = make_program(id="full", capacity={"open_slots": 0, "waitlist": 0})
FOR_SALE = make_program(
    id="for-sale",
    service_types=["food.meals"],
    capacity={"open_slots": 0, "waitlist": 0, "purchasable": 20, "price": 10.0},
)


def city(unreported: int = 11, full: int = 12, hungry: int = 0) -> Scenario:
    """``unreported`` needs only the silent program could meet, ``full`` needs for a full
    shelter, ``hungry`` needs for places the fund may buy (no budget today)."""
    kinds = (
        [("legal.advocacy", "l")] * unreported
        + [("housing.shelter", "h")] * full
        + [("food.meals", "f")] * hungry
    )
    people = [
        make_participant(id=f"{tag}-{i}", needs=[make_need(id=f"{tag}-{i}-1", service_types=[t])])
        for i, (t, tag) in enumerate(kinds)
    ]
    return make_scenario([SILENT, FULL, FOR_SALE], people)


def test_the_frame_says_ask_the_providers_to_report_not_buy_places() -> None:
    scenario = city()
    frame = unmet_frame(scenario, build_assignment(solve(scenario)))
    actions = frame.groupby("reason")["action"].unique().to_dict()
    assert list(actions["capacity_unknown"]) == [ASK_PROVIDERS_TO_REPORT]
    assert list(actions["capacity_exhausted"]) == [BUY_PLACES]


def test_a_table_by_what_would_help_keeps_unreported_needs_in_their_own_column() -> None:
    scenario = city()
    frame = unmet_frame(scenario, build_assignment(solve(scenario)))
    table = gap_table(frame, "category", "action").shown
    assert table.loc["legal", ASK_PROVIDERS_TO_REPORT] == 11
    assert table.loc["legal", BUY_PLACES] == 0
    assert table.loc["housing", BUY_PLACES] == 12
    assert table.loc["housing", ASK_PROVIDERS_TO_REPORT] == 0


def test_the_purchase_plan_leaves_needs_waiting_on_a_report_out() -> None:
    scenario = city(unreported=3, full=0, hungry=2)
    answer = build_assignment(solve(scenario))
    planning = planning_scenario(scenario, answer, budget=100.0)
    assert [n.id for p in planning.participants for n in p.needs] == ["f-3-1", "f-4-1"]
    comparison = compare(scenario, 100.0)
    for plan in (comparison.exact, comparison.naive):
        assert [b.program_id for b in plan.purchases] == ["for-sale"]
        assert plan.unmet_before == 2


def test_the_html_report_explains_that_an_unreported_need_is_not_a_place_to_buy() -> None:
    scenario = city()
    page = render(build(scenario, build_assignment(solve(scenario))))
    assert "<b>capacity_unknown</b>" in page
    assert "ask the providers to report" in page
    assert "What would help" in page
