"""The participant checks every edge shares, and the site's default travel limit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from matcher.scenario import Participant
from matcher.service import checks, matching, participants
from matcher.service.errors import Invalid
from matcher.settings import Settings
from matcher.store.engine import session_scope
from matcher.store.snapshot import import_scenario
from tests.builders import make_need, make_participant, make_program, make_scenario, offset

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
AREA = Settings().site_area()


def person(**overrides: object) -> Participant:
    return Participant.model_validate(make_participant(**overrides))


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"id": "x 1"}, "id", "string_pattern_mismatch"),
        ({"id": "x" * 201}, "id", "string_too_long"),
        ({"attributes": {"age": -1}}, "attributes.age", "age"),
        ({"attributes": {"age": 131}}, "attributes.age", "age"),
        ({"attributes": {"gender": "a\x00"}}, "attributes.gender", "nul_character"),
        ({"languages": ["\udcff"]}, "languages[0]", "lone_surrogate"),
        ({"location": {"lat": 40.71, "lon": -74.0}}, "location", "outside_site_area"),
        ({"needs": [make_need(id="n-1"), make_need(id="n-1")]}, "needs", "duplicate_id"),
        ({"needs": [make_need(id="n" * 201)]}, "needs[0].id", "string_too_long"),
    ],
    ids=[
        "pattern",
        "long id",
        "age -1",
        "age 131",
        "nul",
        "surrogate",
        "far",
        "twice",
        "long need",
    ],
)
def test_a_participant_the_api_would_refuse_is_refused(
    overrides: dict[str, object], field: str, rule: str
) -> None:
    with pytest.raises(Invalid) as refused:
        checks.check_participant(person(**overrides), AREA)
    assert (refused.value.field, refused.value.rule) == (field, rule)


def test_the_sample_city_lies_within_the_default_area() -> None:
    from tests.web.conftest import SAMPLE

    for someone in SAMPLE.participants:
        checks.check_participant(someone, AREA)


def test_need_ids_keep_own_ones_and_refuse_any_other() -> None:
    made = checks.need_ids(["n-a", None], own={"n-a"})
    assert made[0] == "n-a"
    assert made[1].startswith("n-")
    with pytest.raises(Invalid) as refused:
        checks.need_ids(["n-b"], own={"n-a"})
    assert (refused.value.rule, refused.value.field) == ("unknown_need", "needs[0].id")


def test_a_participant_without_a_travel_limit_gets_the_sites(engine: Engine) -> None:
    far = make_program(id="g-far", location=offset(km_north=80))
    someone = make_participant(id="x-1")  # no max_distance_km of their own
    with session_scope(engine) as s:
        import_scenario(s, make_scenario([far], [someone]), NOW, case_manager_id="cm-1")
    with session_scope(engine) as s:
        unlimited = matching.match_participant(s, "cm-1", "x-1", NOW, 10)
        limited = matching.match_participant(s, "cm-1", "x-1", NOW, 10, default_max_distance_km=50)
        batch = matching.batch_match(s, "cm-1", NOW, 10, default_max_distance_km=50)
        assert participants.get(s, "cm-1", "x-1").max_distance_km is None  # the record is kept
    assert [o.program_id for o in unlimited.needs[0].options] == ["g-far"]
    assert limited.needs[0].options == []
    assert limited.needs[0].excluded == {"max_distance": 1}
    assert batch.assignments == []
