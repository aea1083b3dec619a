"""The scenario contract: what loads, what is rejected (and where), what only warns."""

from __future__ import annotations

import copy
import gc
import json
import math
import re
from typing import Any

import pytest

from matcher.errors import ScenarioInvalid, ScenarioIssue
from matcher.generate import GenerateOptions, generate
from matcher.scenario import Scenario, load_scenario, loads_scenario, parse_scenario
from tests.conftest import SPEC

EXAMPLE: dict[str, Any] = json.loads((SPEC / "example-scenario.json").read_text())

DELETE = object()


def example() -> dict[str, Any]:
    """A fresh deep copy of the contract's example scenario."""
    return copy.deepcopy(EXAMPLE)


def keys_of(path: str) -> list[str | int]:
    """``programs[3].capacity`` -> ``["programs", 3, "capacity"]`` (the issue path format)."""
    return [int(k[1:-1]) if k.startswith("[") else k for k in re.findall(r"\[\d+\]|\w+", path)]


def put(data: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """Set (or, with ``DELETE``, remove) the value at ``path``; returns ``data``."""
    *parents, last = keys_of(path)
    node: Any = data
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return data


def issues_of(data: Any) -> list[ScenarioIssue]:
    with pytest.raises(ScenarioInvalid) as caught:
        parse_scenario(data)
    return caught.value.issues


def test_the_example_scenario_loads() -> None:
    scenario = load_scenario(SPEC / "example-scenario.json")
    assert [g.id for g in scenario.programs][:2] == [
        "belltown-shelter",
        "capitol-hill-recovery-house",
    ]
    assert len(scenario.participants) == 3
    assert scenario.fund.budget == 3000.0
    assert scenario.warnings() == []


def test_a_scenario_survives_a_round_trip_through_its_json() -> None:
    scenario = parse_scenario(example())
    assert parse_scenario(scenario.to_json()) == scenario
    assert parse_scenario(json.loads(json.dumps(scenario.to_json()))) == scenario


def test_absent_optional_fields_take_the_contract_defaults() -> None:
    data = example()
    del data["fund"]
    scenario = parse_scenario(data)
    capacity = scenario.programs[1].capacity
    person = scenario.participants[2].attributes
    assert scenario.fund.budget == 0.0
    assert (capacity.held, capacity.lead_reserved_open, capacity.purchasable) == (0, 0, 0)
    assert capacity.price == 0.0
    assert scenario.programs[2].eligibility.pets_allowed is True
    assert (person.has_id, person.has_pet, person.accepts_faith_based) == (True, False, False)
    assert scenario.participants[2].max_distance_km is None


# (id, the path changed in the example and named by the one issue, the new value)
REJECTIONS: list[tuple[str, str, object]] = [
    # wrong types
    ("string_waitlist", "programs[0].capacity.waitlist", "3"),
    ("float_open_slots", "programs[0].capacity.open_slots", 3.5),
    ("float_age", "participants[0].attributes.age", 3.5),
    ("bool_as_count", "programs[0].capacity.purchasable", True),
    ("string_bool_barrier", "programs[0].barriers.excludes_sex_work", "true"),
    ("string_bool_acute", "participants[0].needs[0].acute", "true"),
    ("int_as_bool", "participants[0].attributes.has_pet", 1),
    ("string_budget", "fund.budget", "3000"),
    ("bool_latitude", "programs[0].location.lat", True),
    ("string_service_types", "programs[0].service_types", "housing.shelter"),
    ("numeric_id", "programs[0].id", 17),
    ("missing_provider", "programs[0].provider_id", DELETE),
    ("missing_location", "participants[1].location", DELETE),
    ("wrong_format", "format", "lead-matcher/scenario@2"),
    ("bad_as_of", "as_of", "last tuesday"),
    # negative counts
    ("negative_waitlist", "programs[0].capacity.waitlist", -1),
    ("negative_open_slots", "programs[2].capacity.open_slots", -1),
    ("negative_held", "programs[2].capacity.held", -1),
    ("negative_reserved", "programs[0].capacity.lead_reserved_open", -2),
    ("negative_purchasable", "programs[3].capacity.purchasable", -1),
    # held above open_slots
    ("held_above_open", "programs[0].capacity.held", 5),
    ("held_at_closed_program", "programs[3].capacity.held", 1),
    # duplicate ids
    ("duplicate_program", "programs[2].id", "belltown-shelter"),
    ("duplicate_participant", "participants[2].id", "p-7f3a"),
    ("duplicate_need_across_people", "participants[1].needs[0].id", "p-7f3a-1"),
    ("duplicate_need_same_person", "participants[0].needs[1].id", "p-7f3a-1"),
    # empty lists where a list is given
    ("empty_program_types", "programs[0].service_types", []),
    ("empty_need_types", "participants[0].needs[0].service_types", []),
    ("empty_genders", "programs[1].eligibility.genders", []),
    ("empty_households", "programs[1].eligibility.households", []),
    ("empty_reserved_for", "programs[1].eligibility.reserved_for", []),
    ("reserved_for_a_string", "programs[1].eligibility.reserved_for", "veteran"),
    ("populations_a_string", "participants[0].attributes.populations", "veteran"),
    # coordinates out of range
    ("lat_91", "programs[0].location.lat", 91.0),
    ("lat_minus_91", "participants[2].location.lat", -91.0),
    ("lon_minus_181", "participants[0].location.lon", -181.0),
    ("lon_181", "programs[3].location.lon", 181.0),
    ("stay_away_lat_91", "participants[0].stay_away[0].lat", 91.0),
    # negative or non-finite money and distances
    ("negative_budget", "fund.budget", -1.0),
    ("infinite_budget", "fund.budget", math.inf),
    ("nan_budget", "fund.budget", math.nan),
    ("negative_price", "programs[0].capacity.price", -0.01),
    ("infinite_price", "programs[3].capacity.price", math.inf),
    ("negative_radius", "participants[0].stay_away[0].radius_m", -1.0),
    ("infinite_radius", "participants[0].stay_away[0].radius_m", math.inf),
    ("negative_max_distance", "participants[0].max_distance_km", -5.0),
    ("nan_max_distance", "participants[0].max_distance_km", math.nan),
    ("rank_0", "participants[0].needs[0].rank", 0),
]


@pytest.mark.parametrize(
    ("path", "value"), [r[1:] for r in REJECTIONS], ids=[r[0] for r in REJECTIONS]
)
def test_a_broken_field_is_rejected_with_its_exact_path(path: str, value: object) -> None:
    issues = issues_of(put(example(), path, value))
    assert [i.path for i in issues] == [path]
    assert issues[0].message
    assert str(issues[0]).startswith(f"{path}: ")


def test_min_age_above_max_age_is_reported_at_min_age() -> None:
    (issue,) = issues_of(put(example(), "programs[1].eligibility.max_age", 20))
    assert str(issue) == "programs[1].eligibility.min_age: must be <= max_age (20)"


def test_negative_waitlist_reads_as_the_contract_example() -> None:
    data = put(example(), "programs[3].capacity.waitlist", -1)
    assert [str(i) for i in issues_of(data)] == ["programs[3].capacity.waitlist: must be >= 0"]


def test_duplicate_id_names_where_it_was_first_seen() -> None:
    data = put(example(), "participants[1].needs[0].id", "p-7f3a-1")
    (issue,) = issues_of(data)
    assert issue.rule == "duplicate_id"
    assert "participants[0].needs[0].id" in issue.message


def test_every_problem_is_reported_at_once() -> None:
    data = example()
    put(data, "programs[0].capacity.waitlist", -1)
    put(data, "programs[2].id", "belltown-shelter")
    put(data, "participants[0].location.lat", 91.0)
    put(data, "participants[2].needs[1].rank", 0)
    put(data, "fund.budget", "lots")
    paths = {i.path for i in issues_of(data)}
    assert paths == {
        "programs[0].capacity.waitlist",
        "programs[2].id",
        "participants[0].location.lat",
        "participants[2].needs[1].rank",
        "fund.budget",
    }


@pytest.mark.parametrize(
    "where",
    [
        "extra_top_level",
        "programs[0].extra",
        "programs[0].capacity.extra",
        "participants[0].attributes.extra",
        "participants[0].needs[0].extra",
    ],
    ids=["top_level", "program", "capacity", "attributes", "need"],
)
def test_unknown_fields_are_ignored(where: str) -> None:
    assert parse_scenario(put(example(), where, {"any": ["thing"]})) == parse_scenario(example())


@pytest.mark.parametrize(
    "where",
    [
        "as_of",
        "fund",
        "programs[0].capacity.held",
        "programs[0].capacity.open_slots",
        "programs[0].name",
        "programs[1].eligibility.min_age",
        "participants[0].max_distance_km",
        "participants[0].needs[0].rank",
    ],
    ids=["as_of", "fund", "held", "open_slots", "name", "min_age", "max_distance", "rank"],
)
def test_null_means_the_same_as_an_absent_field(where: str) -> None:
    with_null = parse_scenario(put(example(), where, None))
    absent = parse_scenario(put(example(), where, DELETE))
    assert with_null == absent


def test_null_open_slots_is_unknown_capacity() -> None:
    data = put(example(), "programs[2].capacity.open_slots", None)
    put(data, "programs[2].capacity.held", None)
    assert parse_scenario(data).programs[2].capacity.open_slots is None


def test_unknown_program_ids_are_kept_and_only_warned_about() -> None:
    data = example()
    put(data, "participants[0].avoid_programs", ["g-77"])
    put(
        data,
        "participants[1].needs[0].preferred_programs",
        ["capitol-hill-recovery-house", "g-closed"],
    )
    scenario = parse_scenario(data)
    assert scenario.participants[0].avoid_programs == ["g-77"]
    assert scenario.warnings() == [
        "participants[0].avoid_programs[0]: no program g-77",
        "participants[1].needs[0].preferred_programs[1]: no program g-closed",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        '{"programs": [],}',
        '{"fund": {"budget": NaN}}',
        '{"fund": {"budget": Infinity}}',
        "[]",
    ],
    ids=["empty", "unclosed", "trailing_comma", "nan", "infinity", "not_an_object"],
)
def test_malformed_json_text_is_rejected_at_the_root(text: str) -> None:
    with pytest.raises(ScenarioInvalid) as caught:
        loads_scenario(text)
    assert [i.path for i in caught.value.issues] == ["$"]


def test_valid_json_text_loads_like_the_decoded_object() -> None:
    assert loads_scenario(json.dumps(EXAMPLE)) == parse_scenario(example())


def test_a_scenario_is_a_frozen_value() -> None:
    scenario = parse_scenario(example())
    assert isinstance(scenario, Scenario)
    with pytest.raises(ValueError, match="frozen"):
        scenario.fund = scenario.fund  # type: ignore[misc]


@pytest.mark.parametrize("path", ["as_of", "programs[0].capacity.updated"])
def test_a_number_where_a_date_time_is_required_is_rejected(path: str) -> None:
    assert [i.path for i in issues_of(put(example(), path, 1_700_000_000))] == [path]


@pytest.mark.parametrize("value", [2**63, 10**30], ids=["int64_overflow", "huge"])
def test_a_count_too_large_for_the_engine_is_rejected_not_crashed_on(value: int) -> None:
    issues = issues_of(put(example(), "programs[0].capacity.waitlist", value))
    assert [i.path for i in issues] == ["programs[0].capacity.waitlist"]


def test_the_fast_and_the_null_tolerant_readers_build_the_same_scenario() -> None:
    data = generate(GenerateOptions(participants=60, programs=12, seed=4))
    text = json.dumps(data)
    assert "null" not in text
    with_null = dict(data, as_of=None)
    fast = loads_scenario(text)
    slow = loads_scenario(json.dumps(with_null))
    assert fast.model_dump(exclude={"as_of"}) == slow.model_dump(exclude={"as_of"})
    assert fast == parse_scenario(data)


def test_a_duplicate_id_is_reported_by_the_fast_reader_too() -> None:
    data = generate(GenerateOptions(participants=3, programs=2, seed=4))
    data["programs"][1]["id"] = data["programs"][0]["id"]
    with pytest.raises(ScenarioInvalid) as caught:
        loads_scenario(json.dumps(data))
    assert [i.path for i in caught.value.issues] == ["programs[1].id"]


def _waiting(*entries: tuple[str, int]) -> dict[str, Any]:
    data = example()
    data["participants"][0]["waitlist_positions"] = [
        {"program_id": program_id, "position": position} for program_id, position in entries
    ]
    return data


def test_a_waitlist_position_beyond_the_programs_waitlist_is_an_error_at_its_path() -> None:
    program = EXAMPLE["programs"][0]
    length = program["capacity"]["waitlist"]
    issues = issues_of(_waiting((program["id"], length + 1)))
    assert [(i.path, i.rule) for i in issues] == [
        ("participants[0].waitlist_positions[0].position", "position_beyond_waitlist")
    ]
    with pytest.raises(ScenarioInvalid) as caught:
        loads_scenario(json.dumps(_waiting((program["id"], length + 1))))
    assert caught.value.issues == issues


def test_a_waitlist_position_below_one_is_an_error_at_its_path() -> None:
    issues = issues_of(_waiting((EXAMPLE["programs"][0]["id"], 0)))
    assert [i.path for i in issues] == ["participants[0].waitlist_positions[0].position"]


def test_two_waitlist_positions_on_one_program_are_an_error() -> None:
    program_id = next(g["id"] for g in EXAMPLE["programs"] if g["capacity"]["waitlist"] >= 1)
    issues = issues_of(_waiting((program_id, 1), (program_id, 1)))
    assert [(i.path, i.rule) for i in issues] == [
        ("participants[0].waitlist_positions[1].program_id", "duplicate_waitlist")
    ]


def test_a_waitlist_position_on_an_unknown_program_is_kept_and_warned_about() -> None:
    scenario = parse_scenario(_waiting(("closed-program", 7)))
    assert scenario.participants[0].waitlist_positions[0].position == 7
    assert scenario.warnings() == [
        "participants[0].waitlist_positions[0].program_id: no program closed-program"
    ]


@pytest.mark.parametrize("enabled", [True, False])
def test_reading_leaves_the_garbage_collector_as_it_found_it(enabled: bool) -> None:
    text = json.dumps(generate(GenerateOptions(participants=20, programs=5, seed=1)))
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        frozen = gc.get_freeze_count()
        assert loads_scenario(text) == parse_scenario(json.loads(text))
        assert gc.isenabled() is enabled
        assert gc.get_freeze_count() == frozen  # nothing left frozen
        with pytest.raises(ScenarioInvalid):
            loads_scenario('{"format": "lead-matcher/scenario@1", "programs": 3}')
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
