"""Input no command can use exits 2 with a message, never 1 with a traceback, and
``-o`` is written whole or not at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli import app
from tests.conftest import SPEC

EXAMPLE = SPEC / "example-scenario.json"
runner = CliRunner()


def scenario_with(tmp_path: Path, change: str, value: object) -> Path:
    """The example with one participant's or program's field replaced."""
    data = json.loads(EXAMPLE.read_text())
    where, field = change.split(".")
    data[where][0][field] = value
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(data))  # ensure_ascii: a lone surrogate goes as \\udcff
    return path


def test_a_latin_1_file_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(
        EXAMPLE.read_text().replace('"format"', '"caf\u00e9", "format"').encode("latin-1")
    )
    result = runner.invoke(app, ["solve", str(path), "-o", str(tmp_path / "out.json")])
    assert result.exit_code == 2
    assert "is not UTF-8 text" in result.stderr
    assert not (tmp_path / "out.json").exists()


def test_deeply_nested_json_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    for command in (["solve", str(path)], ["validate", str(EXAMPLE), str(path)]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, command
        assert "deeper than" in result.stderr


@pytest.mark.parametrize("text", ["p-\udcff", "p-\x00"], ids=["surrogate", "nul"])
def test_text_no_store_can_hold_exits_2_and_leaves_no_file(tmp_path: Path, text: str) -> None:
    path = scenario_with(tmp_path, "participants.id", text)
    out = tmp_path / "answer.json"
    result = runner.invoke(app, ["solve", str(path), "-o", str(out)])
    assert result.exit_code == 2
    assert "participants[0].id: must not contain" in result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [path]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    out = tmp_path / "answer.json"
    out.write_text("previous answer")
    missing = tmp_path / "no-such-dir" / "answer.json"
    result = runner.invoke(app, ["solve", str(EXAMPLE), "-o", str(missing)])
    assert result.exit_code == 2
    assert "cannot write" in result.stderr
    assert out.read_text() == "previous answer"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answer.json"]
    assert runner.invoke(app, ["solve", str(EXAMPLE), "-o", str(out)]).exit_code == 0
    assert json.loads(out.read_text())["format"] == "lead-matcher/assignment@1"


def test_out_of_range_counts_exit_2(tmp_path: Path) -> None:
    big = scenario_with(tmp_path, "programs.capacity", {"open_slots": 10**29})
    assert runner.invoke(app, ["solve", str(big)]).exit_code == 2
    huge = str(10**29)
    for command in (
        ["generate", "--participants", "1", "--programs", huge],
        ["generate", "--budget", "1e29"],
        ["solve", str(EXAMPLE), "--indent", huge],
        ["solve", str(EXAMPLE), "--time-limit", "1e29"],
        ["solve", str(EXAMPLE), "--time-limit", "nan"],
        ["plan-purchases", str(EXAMPLE), "--budget", "1e29"],
        ["report", str(EXAMPLE), "--plan-budget", "1e29"],
        ["impact", str(EXAMPLE), "--program", "g-1", "--add-places", huge],
        ["generate", "--seed", "-1"],
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, (command, result.output)


def test_an_import_with_ids_longer_than_the_store_holds_exits_2(tmp_path: Path) -> None:
    path = scenario_with(tmp_path, "participants.id", "p-" + "x" * 300)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    result = runner.invoke(app, ["import-scenario", str(path), "--database-url", url])
    assert result.exit_code == 2
    assert "participants[0].id: must be at most 200 characters" in result.stderr
    assert not (tmp_path / "store.db").exists()
