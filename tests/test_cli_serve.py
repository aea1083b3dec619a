"""What ``matcher serve`` and ``matcher demo`` say when they start: where they listen,
which database (password masked), whether the store is kept, and every account."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from matcher.cli import app
from matcher.settings import get_settings
from tests.dbs import BACKENDS, fresh_database

runner = CliRunner()


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """``uvicorn.run`` recording its arguments instead of serving; the database
    setting put back afterwards."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda target, **options: calls.append(options))
    monkeypatch.setenv("MATCHER_DATABASE_URL", "sqlite:///unused.db")
    get_settings.cache_clear()
    yield calls
    get_settings.cache_clear()


@pytest.mark.parametrize("backend", BACKENDS)
def test_serve_says_where_it_listens_and_which_database_without_its_password(
    backend: str, tmp_path: Path, served: list[dict[str, Any]]
) -> None:
    with fresh_database(backend, tmp_path) as url:
        parsed = make_url(url)
        secret = parsed.set(password="s3cret-word") if backend == "postgresql" else parsed
        given = secret.render_as_string(hide_password=False)
        args = ["serve", "--port", "18301", "--database-url", given]
        result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "serve: listening on http://127.0.0.1:18301 (pages at /web" in result.stderr
    assert f"database {secret.render_as_string(hide_password=True)}" in result.stderr
    assert "s3cret-word" not in result.output
    assert served == [
        {
            "factory": True,
            "host": "127.0.0.1",
            "port": 18301,
            "workers": 1,
            "log_level": "warning",
            "access_log": False,
        }
    ]


def test_serve_brackets_an_ipv6_address(tmp_path: Path, served: list[dict[str, Any]]) -> None:
    url = f"sqlite:///{tmp_path / 'six.db'}"
    result = runner.invoke(app, ["serve", "--host", "::1", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "listening on http://[::1]:8000 " in result.stderr


def test_the_demo_names_every_account_and_says_its_store_is_thrown_away() -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "accounts in the demo's store (6, username by role):" in out
    for line in (
        "  auditor: audra",
        "  case manager: ana",
        "  funder: fiona",
        "  referrer: olive",
        "  provider: org-harbor-staff, org-keystone-staff",
    ):
        assert line in out
    assert "the demo's store is thrown away (--database keeps one)" in out
    assert "store is kept" not in out


def test_a_served_demo_on_a_kept_store_says_so_and_names_the_staff_it_adds(
    tmp_path: Path, served: list[dict[str, Any]]
) -> None:
    target = tmp_path / "kept.db"
    args = ["demo", "--serve", "--database", str(target), "--port", "18302"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.count("accounts in the demo's store (51, username by role):") == 1
    assert "  provider: org-alder-staff, org-anchor-staff, " in out
    assert " org-waypoint-staff\n" in out
    assert "SERVING the pages on http://127.0.0.1:18302/web (Ctrl-C stops; " in out
    assert f"the store is kept in {target})" in out
    assert "thrown away" not in out
    assert "password for every account above: " in out
    assert [c["port"] for c in served] == [18302]
    again = runner.invoke(app, ["serve", "--database-url", f"sqlite:///{target}"])
    assert again.exit_code == 0, again.output
