"""``matcher simulate`` from the command line: the JSON report's shape, the page, bad options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli import app

runner = CliRunner()
SMALL = ["simulate", "--days", "40", "--participants", "60", "--programs", "15", "--seed", "3"]
SPREAD = {"median", "p90"}


def test_json_report_has_hindsight_and_each_policy_with_ratios() -> None:
    result = runner.invoke(app, [*SMALL, "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert "running priced" in result.stderr
    assert set(report) == {"horizon", "hindsight", "policies"}
    assert list(report["policies"]) == ["request", "resolve", "priced"]
    blocks = [report["hindsight"], *report["policies"].values()]
    for block in blocks:
        assert {"acute_met", "needs_met", "spend", "displaced", "days_waited"} <= set(block)
        assert block["displaced"] == 0
        assert set(block["days_waited"]) == {"acute", "other"}
        assert all(set(block["days_waited"][k]) == SPREAD for k in ("acute", "other"))
    for block in report["policies"].values():
        assert set(block["ratio_to_hindsight"]) == {"acute_met", "needs_met"}
        assert 0 <= block["ratio_to_hindsight"]["needs_met"] <= 1
    assert "ratio_to_hindsight" not in report["hindsight"]


def test_only_the_policies_asked_for_run_and_a_budget_is_the_horizons_fund() -> None:
    result = runner.invoke(app, [*SMALL, "--json", "--policies", "resolve", "--budget", "0"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert list(report["policies"]) == ["resolve"]
    assert report["horizon"]["budget"] == 0
    assert report["hindsight"]["spend"] == report["policies"]["resolve"]["spend"] == 0


def test_html_page_has_the_plots_and_the_table(tmp_path: Path) -> None:
    page = tmp_path / "sim.html"
    result = runner.invoke(app, [*SMALL, "--html", str(page)])
    assert result.exit_code == 0, result.stderr
    text = page.read_text()
    assert text.count("data:image/png;base64,") == 3
    assert "<td>hindsight</td>" in text
    assert "hindsight" in result.stdout


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--policies", "greedy"], "--policies"),
        (["--policies", "resolve,resolve"], "--policies"),
        (["--policies", ","], "--policies"),
        (["--days", "0"], "--days"),
        (["--participants", "-1"], "--participants"),
        (["--budget", "nan"], "--budget"),
        (["--hold", "1.5"], "--hold"),
        (["--html", "/nonexistent/dir/sim.html"], "--html"),
    ],
    ids=["unknown", "twice", "none", "no days", "negative", "nan", "hold above 1", "unwritable"],
)
def test_a_bad_option_exits_2_naming_it(args: list[str], option: str) -> None:
    result = runner.invoke(app, [*SMALL, *args])
    assert result.exit_code == 2
    assert option in result.stderr
    assert result.stdout == ""


def _fundable(seed: int = 3) -> tuple[str, int, float]:
    from matcher.simulate.horizon import SimOptions, generate_horizon

    h = generate_horizon(SimOptions(days=40, participants=60, programs=15, seed=seed))
    g = next(g for g in h.scenario.programs if g.fundable and g.capacity.purchasable > 0)
    return g.id, g.capacity.purchasable, g.capacity.price


def test_a_purchase_plan_is_paid_from_the_fund_on_day_0(tmp_path: Path) -> None:
    program, _, price = _fundable()
    places = 1
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({program: places}))
    before = json.loads(runner.invoke(app, [*SMALL, "--json"]).stdout)
    result = runner.invoke(app, [*SMALL, "--json", "--plan", str(plan)])
    assert result.exit_code == 0, result.stderr
    after = json.loads(result.stdout)
    assert after["horizon"]["budget"] == pytest.approx(before["horizon"]["budget"] - places * price)
    assert after["horizon"]["places"] == before["horizon"]["places"]


@pytest.mark.parametrize(
    ("plan", "says"),
    [
        ({"g-nowhere": 1}, "g-nowhere: no such program"),
        ({"PROGRAM": 1000}, "sells"),
        ({"PROGRAM": -1}, "must be >= 0"),
        ({"PROGRAM": "two"}, "whole number"),
        (["PROGRAM"], "JSON object"),
    ],
    ids=["unknown program", "more than it sells", "negative", "not a number", "not an object"],
)
def test_a_bad_plan_exits_2_naming_the_option(tmp_path: Path, plan: object, says: str) -> None:
    program, _, _ = _fundable()
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan).replace("PROGRAM", program))
    result = runner.invoke(app, [*SMALL, "--plan", str(path)])
    assert result.exit_code == 2
    assert "--plan:" in result.stderr
    assert says in result.stderr


def test_a_plan_dearer_than_the_fund_exits_2(tmp_path: Path) -> None:
    program, places, _ = _fundable()
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({program: places}))
    result = runner.invoke(app, [*SMALL, "--plan", str(path), "--budget", "1"])
    assert result.exit_code == 2
    assert "--plan: the plan costs" in result.stderr
