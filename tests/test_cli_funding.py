"""Funders' commands read the live store by default and a scenario file when given."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli import app
from matcher.settings import get_settings
from tests.conftest import ROOT
from tests.dbs import BACKENDS, fresh_database

runner = CliRunner()
SAMPLE = ROOT / "data" / "sample-city.json"


@pytest.fixture(params=BACKENDS)
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store on each backend holding the sample city; yields its URL."""
    with fresh_database(str(request.param), tmp_path) as url:
        loaded = runner.invoke(app, ["import-scenario", str(SAMPLE), "--database-url", url])
        assert loaded.exit_code == 0, loaded.output
        yield url


@pytest.fixture
def configured(live: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The live store as the configured database (MATCHER_DATABASE_URL)."""
    monkeypatch.setenv("MATCHER_DATABASE_URL", live)
    get_settings.cache_clear()
    yield live
    get_settings.cache_clear()


def _headline(output: str) -> str:
    """The report's first line: needs met, not met, money spent."""
    return output.splitlines()[0]


def test_report_reads_the_configured_store_as_the_file_it_came_from(configured: str) -> None:
    from_store = runner.invoke(app, ["report"])
    assert from_store.exit_code == 0, from_store.output
    assert "reading the live store at" in from_store.stderr
    from_file = runner.invoke(app, ["report", str(SAMPLE)])
    assert from_file.exit_code == 0, from_file.output
    assert "live store" not in from_file.stderr
    assert _headline(from_store.stdout) == _headline(from_file.stdout)
    assert re.match(r"113 needs met \(\d+ acute\), 90 not met", _headline(from_store.stdout))
    assert "unmet needs by service category and reason" in from_store.stdout


def test_plan_purchases_and_impact_read_the_store_named_by_the_option(live: str) -> None:
    plan = runner.invoke(app, ["plan-purchases", "--budget", "20000", "--database-url", live])
    assert plan.exit_code == 0, plan.output
    same = runner.invoke(app, ["plan-purchases", str(SAMPLE), "--budget", "20000"])
    assert plan.stdout.splitlines()[0] == same.stdout.splitlines()[0]
    assert "budget 20,000.00; 86 needs unmet today" in plan.stdout
    assert "the exact plan buys:" in plan.stdout
    args = ["impact", "--program", "g-nope", "--database-url", live]
    unknown = runner.invoke(app, args)
    assert unknown.exit_code == 2
    assert "--program: no program g-nope" in unknown.stderr
    shelter = ["--program", "belltown-harbor-shelter", "--add-places", "3"]
    changed = runner.invoke(app, ["impact", *shelter, "--database-url", live])
    assert changed.exit_code == 0, changed.output
    assert changed.stdout.startswith("if ")
    assert "needs met 113 -> " in changed.stdout


def test_a_store_that_is_missing_or_unmigrated_is_refused_with_what_to_do(tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path / 'none.db'}"
    result = runner.invoke(app, ["report", "--database-url", missing])
    assert result.exit_code == 2
    assert "--database-url: no database at" in result.stderr
    assert not (tmp_path / "none.db").exists()
    (tmp_path / "empty.db").touch()
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    result = runner.invoke(app, ["plan-purchases", "--budget", "1", "--database-url", empty])
    assert result.exit_code == 2
    assert "not migrated (run `matcher db upgrade`)" in result.stderr


def test_an_empty_store_and_a_file_with_a_store_are_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'up.db'}"
    assert runner.invoke(app, ["db", "upgrade", "--database-url", url]).exit_code == 0
    result = runner.invoke(app, ["impact", "--program", "g-1", "--database-url", url])
    assert result.exit_code == 2
    assert "holds no program" in result.stderr
    both = runner.invoke(app, ["report", str(SAMPLE), "--database-url", url])
    assert both.exit_code == 2
    assert "give a scenario file or a database, not both" in both.stderr


def test_a_password_in_the_database_url_is_never_printed(tmp_path: Path) -> None:
    url = "postgresql+psycopg://lead:s3cret-word@127.0.0.1:1/none"
    result = runner.invoke(app, ["report", "--database-url", url])
    assert result.exit_code != 0
    assert "s3cret-word" not in result.output


def test_the_report_rolls_up_where_and_what_until_counts_show(tmp_path: Path) -> None:
    """As the funder's page: the sample city is too small for service types by
    neighbourhood, so the report rolls up and says to what; with one neighbourhood (a file
    of one centre) the area table is readable as it is, and is not rolled up."""
    done = runner.invoke(app, ["report", str(SAMPLE)])
    assert done.exit_code == 0, done.output
    out = done.stdout
    assert "Rolled up to service category and whole city so that counts can be shown" in out
    assert "Rolled up to district so that counts can be shown: by neighbourhood," in out
    area = out.split("unmet needs by area")[1]
    assert re.search(r"^Downtown\s+29$", area, re.M)
    assert re.search(r"^total\s+90$", area, re.M)
    plain = tmp_path / "hoods.csv"
    plain.write_text("name,lat,lon\nDowntown,47.61,-122.33\n", encoding="utf-8")
    flat = runner.invoke(app, ["report", str(SAMPLE), "--neighborhoods", str(plain)])
    assert flat.exit_code == 0, flat.output
    area = flat.stdout.split("unmet needs by area")[1]
    assert "Rolled up" not in area
    assert re.search(r"^Downtown\s+90$", area, re.M)


def test_fund_top_up_adds_money_and_lists_it(live: str) -> None:
    added = runner.invoke(
        app, ["fund", "top-up", "1500.50", "--note", "q4", "--database-url", live]
    )
    assert added.exit_code == 0, added.output
    assert "added $1,500.50 to the fund" in added.output
    listed = runner.invoke(app, ["fund", "top-ups", "--database-url", live])
    assert listed.exit_code == 0, listed.output
    assert "$1,500.50" in listed.output
    assert "q4" in listed.output
    logged = runner.invoke(app, ["audit", "--database-url", live])
    assert "fund.top_up" in logged.output


@pytest.mark.parametrize("amount", ["0", "-3", "nan", "inf", "ten", "2e12"])
def test_fund_top_up_refuses_a_bad_amount_with_exit_2(tmp_path: Path, amount: str) -> None:
    url = f"sqlite:///{tmp_path / 'none.db'}"
    refused = runner.invoke(app, ["fund", "top-up", "--database-url", url, "--", amount])
    assert refused.exit_code == 2, refused.output
    assert "amount" in refused.output.lower()
