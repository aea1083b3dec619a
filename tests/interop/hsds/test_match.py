"""End to end: an imported HSDS feed feeds the match service; unknown capacity gives
no general place."""

from __future__ import annotations

from sqlalchemy import Engine

from matcher.service.matching import match_participant
from matcher.store.engine import session_scope
from matcher.store.snapshot import import_scenario
from tests.builders import make_need, make_participant, make_scenario
from tests.interop.hsds.conftest import CLINIC, JSON_FEED, NOW, PANTRY, SHELTER, run_import

CM = "cm-1"


def _seed_participant(engine: Engine) -> None:
    person = make_participant(
        id="x-1",
        location={"lat": 47.605, "lon": -122.33},
        attributes={"age": 35},
        needs=[
            make_need(id="n-shelter", service_types=["housing.shelter"]),
            make_need(id="n-moud", service_types=["treatment.mat"]),
            make_need(id="n-food", service_types=["food.pantry"]),
        ],
    )
    with session_scope(engine) as s:
        import_scenario(s, make_scenario([], [person]), NOW, case_manager_id=CM)


def test_an_imported_program_meets_a_need_and_unknown_capacity_gives_no_place(
    engine: Engine,
) -> None:
    _seed_participant(engine)
    run_import(engine, JSON_FEED)
    with session_scope(engine) as s:
        result = match_participant(s, CM, "x-1", NOW, time_limit=10)
    needs = {n.need_id: n for n in result.needs}
    shelter = needs["n-shelter"]
    assert shelter.recommended is not None
    assert (shelter.recommended.program_id, shelter.recommended.pool) == (SHELTER, "general")
    assert shelter.recommended.room == 2  # 3 free, 1 person already waiting
    moud = needs["n-moud"]
    assert moud.recommended is None
    assert all(o.program_id != CLINIC or o.pool != "general" for o in moud.options)
    food = needs["n-food"]  # the pantry could not be located: kept, never matched
    assert all(o.program_id != PANTRY for o in food.options)
    assert food.recommended is None
