"""The funder's HTML report and commands: plots, map and tables, nothing small shown."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from matcher.assignment import build_assignment
from matcher.cli import app
from matcher.funding.html_report import build, render
from matcher.funding.neighborhoods import load_centroids
from matcher.funding.planner import compare
from matcher.scenario import load_scenario
from matcher.solver.solve import solve
from tests.conftest import ROOT

SAMPLE = ROOT / "data" / "sample-city.json"
SEATTLE = ROOT / "data" / "neighborhoods" / "seattle.csv"
runner = CliRunner()


def test_report_shows_no_small_count() -> None:
    scenario = load_scenario(SAMPLE)
    answer = build_assignment(solve(scenario))
    page = render(build(scenario, answer, load_centroids(SEATTLE)), compare(scenario, 20000.0))
    assert page.count("data:image/png;base64,") == 2
    assert "<iframe" in page
    assert "What 20,000.00 of new money would buy" in page
    tables = re.findall(r"<table class=\"dataframe counts\">.*?</table>", page, re.S)
    assert len(tables) == 4  # by reason, by what would help, by the rule, by neighbourhood
    cells = [c for t in tables for c in re.findall(r"<td>([^<]*)</td>", t)]
    assert cells
    assert all(c == "*" or int(c) == 0 or int(c) > 10 for c in cells)
    circles = re.findall(r"(\d+) unmet", page)
    assert all(int(n) > 10 for n in circles)


def test_report_command_writes_html(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = runner.invoke(
        app,
        [
            "report",
            str(SAMPLE),
            "--neighborhoods",
            str(SEATTLE),
            "--html",
            str(out),
            "--plan-budget",
            "5000",
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<!doctype html>")


def test_plan_purchases_command() -> None:
    result = runner.invoke(app, ["plan-purchases", str(SAMPLE), "--budget", "20000"])
    assert result.exit_code == 0, result.output
    assert "exact" in result.stdout
    assert "largest_gap" in result.stdout
    assert "per 1,000 spent" in result.stdout


def test_impact_command_and_bad_program() -> None:
    ok = runner.invoke(
        app,
        [
            "impact",
            str(SAMPLE),
            "--program",
            "greenwood-stillwater-recovery-house",
            "--drop-barrier",
            "excludes_active_use",
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert "needs met" in ok.stdout
    bad = runner.invoke(app, ["impact", str(SAMPLE), "--program", "nope"])
    assert bad.exit_code == 2
    assert "--program: no program nope" in bad.stderr
