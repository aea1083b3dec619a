"""Funders' tables roll up until their cells can be shown, and stay suppressed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from matcher.assignment import build_assignment
from matcher.funding.gaps import unmet_frame
from matcher.funding.neighborhoods import load_centroids
from matcher.funding.rollup import (
    AREA_LADDER,
    LADDER,
    OTHER_AREAS,
    WHOLE_CITY,
    hidden_share,
    load_districts,
    readable,
    roll_up_note,
)
from matcher.paths import SEATTLE_NEIGHBORHOODS
from matcher.scenario import load_scenario
from matcher.solver import solve
from tests.conftest import ROOT

DISTRICTS = load_districts(SEATTLE_NEIGHBORHOODS)


def _frame(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """Unmet needs: (service type, category, neighbourhood, how many)."""
    return pd.DataFrame(
        [(t, c, h) for t, c, h, n in rows for _ in range(n)],
        columns=["service_type", "category", "neighborhood"],
    )


def _shown_counts(table: pd.DataFrame) -> list[int]:
    return [int(v) for v in table.to_numpy().ravel() if not pd.isna(v)]


def test_every_seattle_neighbourhood_belongs_to_a_district() -> None:
    names = set(load_centroids(SEATTLE_NEIGHBORHOODS)["name"])
    assert set(DISTRICTS) == names
    assert len(set(DISTRICTS.values())) == 8
    assert DISTRICTS["Belltown"] == DISTRICTS["Pioneer Square"] == "Downtown"


def test_a_file_without_districts_gives_none(tmp_path: Path) -> None:
    path = tmp_path / "hoods.csv"
    path.write_text("name,lat,lon\nA,1,2\n")
    assert load_districts(path) == {}


def test_a_table_that_can_be_shown_is_not_rolled_up() -> None:
    frame = _frame(
        [
            ("housing.shelter", "housing", "Belltown", 20),
            ("housing.shelter", "housing", "Ballard", 30),
            ("food.meals", "food", "Belltown", 40),
            ("food.meals", "food", "Ballard", 12),
        ]
    )
    step = readable(frame, DISTRICTS)
    assert (step.rows, step.columns) == LADDER[0]
    assert not step.rolled_up
    assert step.hidden_share == 0
    assert step.table.shown.loc["food.meals", "Ballard"] == 12


def test_small_neighbourhood_counts_roll_up_to_their_district() -> None:
    # Six neighbourhoods of 4 to 9 needs: every cell hidden; two districts of 20-odd.
    frame = _frame(
        [
            ("housing.shelter", "housing", "Belltown", 7),
            ("housing.shelter", "housing", "Pioneer Square", 8),
            ("housing.shelter", "housing", "Downtown", 9),
            ("housing.shelter", "housing", "Ballard", 4),
            ("housing.shelter", "housing", "Fremont", 9),
            ("housing.shelter", "housing", "Greenwood", 8),
            ("food.meals", "food", "Belltown", 5),
            ("food.meals", "food", "Downtown", 6),
            ("food.meals", "food", "Ballard", 7),
            ("food.meals", "food", "Wallingford", 5),
        ]
    )
    step = readable(frame, DISTRICTS)
    assert (step.rows, step.columns) == ("category", "district")
    assert step.rolled_up
    assert (step.finest_hidden, step.finest_cells) == (10, 10)
    shown = step.table.shown
    assert shown.loc["housing", "Downtown"] == 24
    assert shown.loc["food", "Northwest"] == 12
    assert shown.loc["total", "total"] == 68


def test_when_nothing_is_readable_the_least_hidden_step_is_shown() -> None:
    frame = _frame([("housing.shelter", "housing", "Belltown", 3)])
    step = readable(frame, DISTRICTS)
    assert step.hidden_share == 1.0
    assert (step.rows, step.columns) == LADDER[-1]  # the coarsest, on a tie
    assert step.table.shown.columns.tolist() == [WHOLE_CITY, "total"]


def test_a_neighbourhood_without_a_district_is_counted_in_other_areas() -> None:
    frame = _frame([("food.meals", "food", "Atlantis", 12), ("food.meals", "food", "SoDo", 3)])
    step = readable(frame, DISTRICTS, AREA_LADDER[1:])
    assert OTHER_AREAS in step.table.shown.index


def test_the_sample_city_rolled_up_shows_no_count_from_1_to_10() -> None:
    scenario = load_scenario(ROOT / "data" / "sample-city.json")
    frame = unmet_frame(scenario, build_assignment(solve(scenario)))
    for ladder in (LADDER, AREA_LADDER):
        step = readable(frame, DISTRICTS, ladder)
        counts = _shown_counts(step.table.shown)
        assert counts
        assert all(not 1 <= c <= 10 for c in counts)
        hidden, cells = hidden_share(step.table)
        assert hidden < step.finest_hidden or step.finest_cells == cells
    by_area = readable(frame, DISTRICTS, AREA_LADDER)
    assert by_area.columns == "all"
    assert by_area.rows == "district"
    assert by_area.hidden_share < 1.0


def test_the_area_table_at_its_finest_is_not_called_rolled_up() -> None:
    """Where the needs are, by neighbourhood, is the area ladder's finest step: it is not
    rolled up, and nothing says it was."""
    frame = _frame(
        [("housing.shelter", "housing", "Belltown", 20), ("food.meals", "food", "Ballard", 30)]
    )
    step = readable(frame, DISTRICTS, AREA_LADDER)
    assert (step.rows, step.columns) == AREA_LADDER[0]
    assert not step.rolled_up
    assert roll_up_note(step.rows, step.columns, step.finest_hidden, step.finest_cells) == ""
