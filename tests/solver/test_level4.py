"""Potentials at level 4 (``matcher.solver.level4``): levels 1-3 of every answer equal
those of the plain solve, whatever the potentials; among tied answers, the place least
likely to be wanted soon is spent."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from matcher.capacity.pools import Pool
from matcher.scenario import Scenario
from matcher.solver.level4 import Level4, points_of
from matcher.solver.solve import SolverOptions, solve
from tests.builders import make_need, make_participant, make_program, make_scenario, offset
from tests.strategies import scenarios

POOLS = [int(p) for p in Pool]
PANTRY = "food.pantry"


@st.composite
def worlds(draw: st.DrawFn) -> tuple[Scenario, Level4]:
    """A small random scenario and random potentials on its programs (and one unknown)."""
    scenario = draw(scenarios)
    keys = [(g.id, p) for g in scenario.programs for p in POOLS] + [("gone", 0)]
    chance = st.floats(min_value=0.0, max_value=1.0)
    node = {k: int(points_of(draw(chance))) for k in keys if draw(st.booleans())}
    rates = {k: draw(st.floats(min_value=0.0, max_value=2.0)) for k in keys}
    stay = draw(st.floats(min_value=0.0, max_value=90.0))
    return scenario, Level4(node, rates, stay)


@given(worlds())
def test_potentials_never_change_levels_1_to_3(world: tuple[Scenario, Level4]) -> None:
    scenario, level4 = world
    plain = solve(scenario, SolverOptions(time_limit=30))
    priced = solve(scenario, SolverOptions(time_limit=30, level4=level4))
    assert priced.objective == plain.objective
    assert priced.status == plain.status == "OPTIMAL"
    assert priced.method.endswith("level 4 by potentials")


def _tie() -> Scenario:
    """One need, two places equal on levels 1-3; the need prefers g-1 (nearer)."""
    programs = [
        make_program(id="g-1"),
        make_program(id="g-2", provider_id="org-2", location=offset(km_north=3)),
    ]
    return make_scenario(programs, [make_participant(id="x", needs=[make_need(id="x-0")])])


def _picked(scenario: Scenario, level4: Level4 | None) -> str:
    solution = solve(scenario, SolverOptions(time_limit=10, level4=level4))
    return solution.tables.programs.ids[int(solution.assigned.program[0])]


def test_the_place_an_acute_need_likely_wants_is_kept() -> None:
    scenario = _tie()
    assert _picked(scenario, None) == "g-1"
    wanted = Level4({("g-1", int(Pool.GENERAL)): int(points_of(0.6))})
    assert _picked(scenario, wanted) == "g-2"
    unlikely = Level4({("g-2", int(Pool.GENERAL)): int(points_of(0.6))})
    assert _picked(scenario, unlikely) == "g-1"


def test_a_need_with_more_ways_to_a_place_waits_for_one_with_fewer() -> None:
    """One place at g-1 and one at g-2, which acute c takes (it can use no other). a
    (nearer g-1, so preferred) can also use g-2 (10 km away), where places come often; b reaches
    g-1 only: priced, b gets g-1."""
    programs = [
        make_program(id="g-1"),
        make_program(
            id="g-2",
            provider_id="org-2",
            service_types=["housing.shelter", PANTRY],
            location=offset(km_north=-10),
        ),
    ]
    a = make_participant(id="a", needs=[make_need(id="a-0")])
    b = make_participant(
        id="b", location=offset(km_north=3), max_distance_km=5, needs=[make_need(id="b-0")]
    )
    c = make_participant(id="c", needs=[make_need(id="c-0", service_types=[PANTRY], acute=True)])
    scenario = make_scenario(programs, [a, b, c])

    def met(level4: Level4 | None) -> list[str]:
        solution = solve(scenario, SolverOptions(time_limit=10, level4=level4))
        assert solution.objective.acute_matched == 1
        return sorted(solution.tables.needs.ids[i] for i in solution.assigned.need)

    assert met(None) == ["a-0", "c-0"]
    assert met(Level4(place_rates={("g-2", int(Pool.GENERAL)): 0.1}, stay_days=30.0)) == [
        "b-0",
        "c-0",
    ]
