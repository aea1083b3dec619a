"""The README's commands work as written, in order, from a fresh store: each shell
block is read, and every command that neither serves, waits for a worker nor names a
placeholder path is run (in process, in an empty folder beside the shipped data)."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli import app
from matcher.settings import get_settings
from tests.conftest import ROOT
from tests.dbs import BACKENDS, fresh_database

README = ROOT / "README.md"
LONG_RUNNING = {"serve", "worker"}
"""Commands that run until stopped: the README shows them, the test cannot wait."""
PASSWORD = "a long enough password for the tests\n"


def shell_lines(text: str) -> list[str]:
    """The lines of the README's ``sh`` blocks, continuations joined, comments kept."""
    lines: list[str] = []
    inside = False
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("```"):
            inside = stripped == "```sh"
            continue
        if not inside:
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    return [line for line in lines if line]


def pipelines(line: str) -> list[list[list[str]]]:
    """A shell line as its ``&&``-separated steps, each a ``|`` pipeline of commands."""
    steps: list[list[list[str]]] = [[[]]]
    for token in shlex.split(line, comments=True):
        if token == "&&":
            steps.append([[]])
        elif token == "|":
            steps[-1].append([])
        else:
            steps[-1][-1].append(token)
    return steps


def runnable(command: list[str]) -> bool:
    """A ``matcher`` command the test can run to its end on the shipped data."""
    if not command or Path(command[0]).name != "matcher":
        return False
    words = command[1:]
    placeholder = any(w.startswith("path/to/") for w in words)
    return not placeholder and not (LONG_RUNNING & set(words[:1])) and "--serve" not in words


def test_the_readme_is_read_as_commands() -> None:
    lines = shell_lines(README.read_text(encoding="utf-8"))
    commands = [c for line in lines for step in pipelines(line) for c in step if c]
    assert ["matcher", "keys", "create", "--username", "harbor-system"] in commands
    assert ["matcher", "solve", "-"] in commands  # the right side of a pipe
    shown = {c[1] if Path(c[0]).name == "matcher" else c[0] for c in commands}
    skipped = {" ".join(c[:2]) for c in commands if not runnable(c)}
    assert len(shown) >= 20
    # Only what serves, waits, sets the environment, runs the build or names a
    # placeholder path is left out; anything else the README shows must run.
    assert {s for s in skipped if not s.startswith("export MATCHER_")} == {
        "make demo",
        "make test",
        ".venv/bin/matcher demo",
        "matcher serve",
        "matcher worker",
        "matcher import-hsds",
        "matcher import-hmis",
        "matcher simulate",
    }


@pytest.fixture(params=BACKENDS)
def newcomer(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """An empty folder with the repository's data beside it, and an empty store of each
    backend as the configured database."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "data").symlink_to(ROOT / "data")
    with fresh_database(str(request.param), tmp_path) as url:
        monkeypatch.chdir(work)
        monkeypatch.setenv("MATCHER_DATABASE_URL", url)
        get_settings.cache_clear()
        yield work
    get_settings.cache_clear()


def test_every_readme_command_runs_as_written(newcomer: Path) -> None:
    runner = CliRunner()
    ran: list[str] = []
    for line in shell_lines(README.read_text(encoding="utf-8")):
        for step in pipelines(line):
            given = PASSWORD * 2  # a prompt for a new password asks twice
            for command in step:
                if not runnable(command):
                    break
                result = runner.invoke(app, command[1:], input=given)
                assert result.exit_code == 0, f"{shlex.join(command)}:\n{result.output}"
                given = result.stdout
                ran.append(command[1])
    assert {"solve", "explain", "validate", "report", "plan-purchases", "impact"} <= set(ran)
    assert {"db", "import-scenario", "users", "keys", "teams", "audit", "export-scenario"} <= set(
        ran
    )
    assert (newcomer / "answer.json").exists()
    assert (newcomer / "report.html").exists()
