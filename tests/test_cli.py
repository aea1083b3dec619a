"""The command line: solve, generate | solve -, explain, validate; bad input exits 2."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from matcher.cli import app
from matcher.scenario import load_scenario
from matcher.validate import check_assignment
from tests.conftest import SPEC

EXAMPLE = SPEC / "example-scenario.json"
runner = CliRunner()


def test_solve_writes_a_valid_assignment_for_the_example(tmp_path: Path) -> None:
    out = tmp_path / "answer.json"
    result = runner.invoke(app, ["solve", str(EXAMPLE), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    answer = json.loads(out.read_text())
    assert answer["format"] == "lead-matcher/assignment@1"
    assert answer["objective"]["matched"] == 5
    assert check_assignment(load_scenario(EXAMPLE), answer) == []
    assert "OPTIMAL" in result.stderr


def test_solve_prints_only_json_on_stdout() -> None:
    result = runner.invoke(app, ["solve", str(EXAMPLE)])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["objective"]["acute_matched"] == 1
    assert "solving:" in result.stderr


def test_an_invalid_scenario_exits_2_naming_the_path(tmp_path: Path) -> None:
    data = json.loads(EXAMPLE.read_text())
    data["programs"][3]["capacity"]["waitlist"] = -1
    data["participants"][0]["location"]["lat"] = 91
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    result = runner.invoke(app, ["solve", str(bad)])
    assert result.exit_code == 2
    assert "programs[3].capacity.waitlist: must be >= 0" in result.stderr
    assert "participants[0].location.lat" in result.stderr
    assert result.stdout == ""


def test_malformed_json_exits_2_at_the_root(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    result = runner.invoke(app, ["solve", str(bad)])
    assert result.exit_code == 2
    assert "$: not valid JSON" in result.stderr


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["solve", str(tmp_path / "nowhere.json")])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr


def test_generated_scenarios_solve_from_standard_input(tmp_path: Path) -> None:
    scenario = tmp_path / "city.json"
    args = ["generate", "--participants", "40", "--programs", "15", "--seed", "3", "-o"]
    made = runner.invoke(app, [*args, str(scenario)])
    assert made.exit_code == 0, made.stderr
    result = runner.invoke(app, ["solve", "-"], input=scenario.read_text())
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert check_assignment(load_scenario(scenario), answer) == []
    needs = len(answer["assignments"]) + len(answer["unmatched"])
    assert needs == sum(len(p.needs) for p in load_scenario(scenario).participants)


def test_generate_is_reproducible_from_its_seed() -> None:
    args = ["generate", "--participants", "10", "--programs", "5", "--seed", "11"]
    assert runner.invoke(app, args).stdout == runner.invoke(app, args).stdout


def test_explain_lists_excluded_programs_with_rule_names() -> None:
    result = runner.invoke(app, ["explain", str(EXAMPLE), "--participant", "p-91be"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "participant p-91be: 2 need(s)"
    assert any("belltown-shelter" in line and "excluded: avoid" in line for line in lines)
    recovery = [line for line in lines if "capitol-hill-recovery-house" in line]
    assert recovery == []  # not of the type of either need: not considered at all


def test_explain_names_barriers_and_room_of_eligible_programs() -> None:
    result = runner.invoke(app, ["explain", str(EXAMPLE), "-p", "p-7f3a"])
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "capitol-hill-recovery-house" in text
    assert "excluded: excludes_active_use" in text
    assert "eligible: 1 unused, 1 LEAD-reserved, 2 to buy at 900.00" in text


def test_explain_an_unknown_participant_exits_2() -> None:
    result = runner.invoke(app, ["explain", str(EXAMPLE), "--participant", "p-nobody"])
    assert result.exit_code == 2
    assert "no participant p-nobody" in result.stderr


def test_validate_accepts_a_solved_answer_and_rejects_a_tampered_one(tmp_path: Path) -> None:
    out = tmp_path / "answer.json"
    assert runner.invoke(app, ["solve", str(EXAMPLE), "-o", str(out)]).exit_code == 0
    assert runner.invoke(app, ["validate", str(EXAMPLE), str(out)]).exit_code == 0
    answer = json.loads(out.read_text())
    answer["unmatched"] = []
    out.write_text(json.dumps(answer))
    result = runner.invoke(app, ["validate", str(EXAMPLE), str(out)])
    assert result.exit_code == 1
    assert "answered_once" in result.stderr
