"""Unmet need for funders: neighbourhoods, the per-need frame, suppressed tables, the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from matcher.assignment import build_assignment
from matcher.cli import app
from matcher.funding.gaps import gap_table, unmet_frame
from matcher.funding.neighborhoods import centroids_from, load_centroids, nearest
from matcher.scenario import load_scenario
from matcher.solver import solve

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample-city.json"
SEATTLE = ROOT / "data" / "neighborhoods" / "seattle.csv"


def test_nearest_neighbourhood_is_the_closest_centroid() -> None:
    centroids = pd.DataFrame(
        {"name": ["north", "south"], "lat": [47.7, 47.5], "lon": [-122.3, -122.3]}
    )
    names = nearest(np.array([47.68, 47.52, 47.61]), np.array([-122.3, -122.3, -122.3]), centroids)
    assert names == ["north", "south", "north"]


def test_without_a_city_file_programs_name_the_neighbourhoods() -> None:
    scenario = load_scenario(SAMPLE)
    centroids = centroids_from(scenario)
    assert set(centroids["name"]) == {g.location.neighborhood for g in scenario.programs}


def test_unmet_frame_has_one_row_per_unmet_need_and_tables_add_up() -> None:
    scenario = load_scenario(SAMPLE)
    answer = build_assignment(solve(scenario))
    frame = unmet_frame(scenario, answer, load_centroids(SEATTLE))
    assert len(frame) == len(answer.unmatched)
    assert set(frame["neighborhood"]) <= set(load_centroids(SEATTLE)["name"])
    blocked = frame[frame["reason"] == "not_eligible"]
    assert (blocked["blocked_most"] != "").all()
    table = gap_table(frame)
    assert table.shown.loc["total", "total"] == len(frame)
    small = (table.shown.fillna(0) >= 1) & (table.shown.fillna(0) <= 10)
    assert not small.to_numpy().any()


def test_report_prints_suppressed_tables() -> None:
    result = CliRunner().invoke(app, ["report", str(SAMPLE), "--neighborhoods", str(SEATTLE)])
    assert result.exit_code == 0
    assert "by service category and reason" in result.output
    assert "*" in result.output


def test_report_rejects_a_bad_neighbourhood_file(tmp_path: Path) -> None:
    bad = tmp_path / "hoods.csv"
    bad.write_text("name,latitude\nA,1\n")
    result = CliRunner().invoke(app, ["report", str(SAMPLE), "--neighborhoods", str(bad)])
    assert result.exit_code == 2
