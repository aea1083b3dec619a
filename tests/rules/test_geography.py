"""Geography rules: great-circle distance, the travel limit and stay-away circles."""

from __future__ import annotations

import numpy as np
import pytest
from geopy.distance import great_circle

from matcher.rules.geography import EARTH_RADIUS_KM, haversine_km
from tests.builders import (
    HOME,
    Json,
    broken_matrix,
    first_broken_rule,
    make_participant,
    make_program,
    make_scenario,
    offset,
)


def km_between(a: Json, b: Json) -> float:
    """The engine's own distance between two builder locations."""
    one = np.array([1.0])
    return float(haversine_km(one * a["lat"], one * a["lon"], one * b["lat"], one * b["lon"])[0])


@pytest.mark.parametrize(
    ("lat_range", "lon_range"),
    [((-90.0, 90.0), (-180.0, 180.0)), ((47.4, 47.8), (-122.5, -122.1))],
    ids=["whole_globe", "one_city"],
)
def test_haversine_agrees_with_geopy_great_circle(
    lat_range: tuple[float, float], lon_range: tuple[float, float]
) -> None:
    rng = np.random.default_rng(20261122)
    lat1, lat2 = rng.uniform(*lat_range, size=(2, 1000))
    lon1, lon2 = rng.uniform(*lon_range, size=(2, 1000))
    ours = haversine_km(lat1, lon1, lat2, lon2)
    theirs = [
        great_circle((a, b), (c, d)).km for a, b, c, d in zip(lat1, lon1, lat2, lon2, strict=True)
    ]
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)


def test_the_sphere_is_the_contracts() -> None:
    assert EARTH_RADIUS_KM == 6371.009
    quarter = haversine_km(np.array([0.0]), np.array([0.0]), np.array([0.0]), np.array([90.0]))
    assert quarter[0] == pytest.approx(np.pi / 2 * 6371.009, abs=1e-9)


def test_distance_is_symmetric_and_zero_at_one_point() -> None:
    there = offset(km_north=3, km_east=4)
    assert km_between(HOME, there) == pytest.approx(km_between(there, HOME), abs=1e-12)
    assert km_between(HOME, HOME) == 0.0


@pytest.mark.parametrize(
    ("slack_km", "expected"),
    [(0.0, None), (1e-3, None), (-1e-3, "max_distance"), (-1.0, "max_distance")],
    ids=["exactly_at_limit", "just_inside", "just_beyond", "well_beyond"],
)
def test_max_distance_boundary(slack_km: float, expected: str | None) -> None:
    there = offset(km_north=2, km_east=2)
    limit = km_between(HOME, there) + slack_km
    person = make_participant(max_distance_km=limit)
    assert first_broken_rule(make_program(location=there), person) == expected


def test_no_travel_limit_means_any_distance() -> None:
    far = {"lat": -33.87, "lon": 151.21}
    assert first_broken_rule(make_program(location=far), make_participant()) is None


def test_a_zero_travel_limit_still_allows_a_program_next_door() -> None:
    assert first_broken_rule(make_program(), make_participant(max_distance_km=0.0)) is None


@pytest.mark.parametrize(
    ("radius_slack_m", "expected"),
    [(1.0, "stay_away"), (-1.0, None), (5000.0, "stay_away")],
    ids=["program_just_inside", "program_just_outside", "program_deep_inside"],
)
def test_stay_away_circle_boundary(radius_slack_m: float, expected: str | None) -> None:
    centre = offset(km_north=-1.0)
    there = offset(km_north=0.5)
    radius_m = km_between(centre, there) * 1000 + radius_slack_m
    person = make_participant(stay_away=[{**centre, "radius_m": radius_m}])
    assert first_broken_rule(make_program(location=there), person) == expected


@pytest.mark.parametrize(
    ("radius_m", "expected"),
    [(0.0, None), (1.0, "stay_away")],
    ids=["zero_radius_is_not_strictly_inside", "centre_is_inside"],
)
def test_stay_away_is_strictly_inside(radius_m: float, expected: str | None) -> None:
    there = offset(km_east=1.0)
    person = make_participant(stay_away=[{**there, "radius_m": radius_m}])
    assert first_broken_rule(make_program(location=there), person) == expected


def test_any_one_of_several_circles_excludes() -> None:
    there = offset(km_east=1.0)
    circles = [{**offset(km_north=30), "radius_m": 500.0}, {**there, "radius_m": 200.0}]
    person = make_participant(stay_away=circles)
    assert first_broken_rule(make_program(location=there), person) == "stay_away"


def test_a_circle_binds_only_its_own_participant() -> None:
    near, far = offset(km_east=1.0), offset(km_east=-6.0)
    programs = [make_program(id="near", location=near), make_program(id="far", location=far)]
    people = [
        make_participant(id="free"),
        make_participant(id="ordered", stay_away=[{**near, "radius_m": 300.0}]),
        make_participant(
            id="two-orders",
            stay_away=[{**far, "radius_m": 300.0}, {**near, "radius_m": 300.0}],
        ),
        make_participant(id="also-free"),
    ]
    assert broken_matrix(make_scenario(programs, people)) == [
        [None, None],
        ["stay_away", None],
        ["stay_away", "stay_away"],
        [None, None],
    ]


def test_travel_limit_is_reported_before_stay_away() -> None:
    there = offset(km_east=8.0)
    person = make_participant(max_distance_km=5.0, stay_away=[{**there, "radius_m": 100.0}])
    assert first_broken_rule(make_program(location=there), person) == "max_distance"


def test_eligibility_is_reported_before_geography() -> None:
    program = make_program(location=offset(km_east=8.0), eligibility={"pets_allowed": False})
    person = make_participant(attributes={"has_pet": True}, max_distance_km=5.0)
    assert first_broken_rule(program, person) == "pets"
