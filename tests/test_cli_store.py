"""The store commands and the demo: db upgrade, import, export, and the three flows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli import app
from matcher.demo import pick_participant
from matcher.scenario import load_scenario, parse_scenario
from matcher.settings import get_settings
from matcher.store.crypto import RING, new_key
from matcher.store.engine import head_revision
from tests.conftest import ROOT
from tests.smtp import Inbox, smtp

__all__ = ["smtp"]  # the fixture

runner = CliRunner()
SAMPLE = ROOT / "data" / "sample-city.json"


def test_demo_walks_the_three_flows_and_mails_what_each_user_is_told(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    result = runner.invoke(app, ["demo", "--database", str(tmp_path / "demo.db")])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "inbox of ana: An intake waits to be taken up" in out
    assert "A referral arrived" in out
    assert "inbox of ana: A referral was answered" in out
    mails = smtp[0].received
    told = {to for tos, _ in mails for to in tos}
    assert "ana@example.org" in told
    assert any(to.endswith("-staff@example.org") for to in told)
    assert "e-mailed" in out
    person = pick_participant(load_scenario(SAMPLE))
    for _, raw in mails:
        assert b"/web/inbox/" in raw  # the link to the notice, which opens its page
        assert person.encode() not in raw  # no e-mail names the participant
    for step in (
        "1. PROVIDER",
        "2. CASE MANAGER",
        "3. PROVIDERS",
        "4. FUNDER",
        "5. AUDITOR",
        "6. THE WHOLE CITY",
    ):
        assert step in out
    assert "stale_version" in out
    assert "held and confirmed" in out
    assert "history of the first: held by ana -> referred by ana -> enrolled by " in out
    assert "got 403" in out
    assert "enrolled" in out
    assert (tmp_path / "demo.db").exists()
    kept = tmp_path / "demo.db"
    assert f"the store is kept in {kept}: `matcher serve --database-url sqlite:///{kept}`" in out
    again = runner.invoke(app, ["demo", "--database", str(tmp_path / "demo.db")])
    assert again.exit_code == 2
    assert "fresh database" in again.stderr


def test_upgrade_import_export_round_trip(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    up = runner.invoke(app, ["db", "upgrade", "--database-url", url])
    assert up.exit_code == 0, up.output
    assert f"revision {head_revision()}" in up.stdout
    loaded = runner.invoke(app, ["import-scenario", str(SAMPLE), "--database-url", url])
    assert loaded.exit_code == 0, loaded.output
    assert "imported 47 programs and 80 participants" in loaded.stderr
    out = tmp_path / "live.json"
    exported = runner.invoke(app, ["export-scenario", "-o", str(out), "--database-url", url])
    assert exported.exit_code == 0, exported.output
    scenario = parse_scenario(json.loads(out.read_text()))
    assert (len(scenario.programs), len(scenario.participants)) == (47, 80)
    solved = runner.invoke(app, ["solve", str(out)])
    assert solved.exit_code == 0
    assert json.loads(solved.stdout)["objective"]["matched"] == 113
    twice = runner.invoke(app, ["import-scenario", str(SAMPLE), "--database-url", url])
    assert twice.exit_code == 2
    assert "empty database" in twice.stderr


def test_a_store_no_configured_key_opens_exits_2_saying_where_keys_come_from(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    assert runner.invoke(app, ["db", "upgrade", "--database-url", url]).exit_code == 0
    assert (
        runner.invoke(app, ["import-scenario", str(SAMPLE), "--database-url", url]).exit_code == 0
    )
    kept = RING.get()
    other = new_key()
    RING.configure([other])
    try:
        result = runner.invoke(app, ["export-scenario", "--database-url", url])
    finally:
        RING.multi = kept
    assert result.exit_code == 2, result.output
    assert "MATCHER_DATA_KEYS: no configured key opens this row" in result.stderr
    assert ".matcher-dev-data-key" in result.stderr
    assert "Traceback" not in result.output
    assert other not in result.output
    assert result.stdout == ""


def test_bad_database_url_exits_2() -> None:
    result = runner.invoke(app, ["db", "current", "--database-url", "nosuchdb://x"])
    assert result.exit_code == 2
    assert "--database-url" in result.stderr


def test_worker_needs_postgresql(tmp_path: Path) -> None:
    result = runner.invoke(app, ["worker", "--database-url", f"sqlite:///{tmp_path / 'm.db'}"])
    assert result.exit_code == 2
    assert "needs a PostgreSQL database" in result.output


def test_a_setting_unsafe_outside_development_exits_2_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCHER_ENVIRONMENT", "production")
    monkeypatch.setenv("MATCHER_JWT_SECRET", "x" * 40)
    monkeypatch.delenv("MATCHER_DATA_KEYS", raising=False)
    monkeypatch.setattr(RING, "multi", None)  # as in a fresh process: read from the settings
    get_settings.cache_clear()
    try:
        result = runner.invoke(
            app, ["db", "upgrade", "--database-url", f"sqlite:///{tmp_path / 'm.db'}"]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2, result.output
    assert "MATCHER_DATA_KEYS: set the data keys outside development" in result.stderr
    assert "--database-url" not in result.stderr
    assert "Traceback" not in result.output
