"""Accounts, keys and the audit log from the command line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from matcher.cli import app
from tests.conftest import ROOT

runner = CliRunner()


def test_users_keys_and_audit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    db = ["--database-url", url]
    assert (
        runner.invoke(
            app, ["import-scenario", str(ROOT / "data" / "sample-city.json"), *db]
        ).exit_code
        == 0
    )
    made = runner.invoke(
        app,
        [
            "users",
            "create",
            "--username",
            "harbor",
            "--role",
            "provider",
            "--subject",
            "org-harbor",
            "--password-stdin",
            *db,
        ],
        input="a long enough password\n",
    )
    assert made.exit_code == 0, made.output
    short = runner.invoke(
        app,
        ["users", "create", "--username", "x", "--role", "funder", "--password-stdin", *db],
        input="short\n",
    )
    assert short.exit_code == 2
    assert "--password" in short.stderr
    no_subject = runner.invoke(
        app,
        ["users", "create", "--username", "y", "--role", "provider", "--password-stdin", *db],
        input="a long enough password\n",
    )
    assert no_subject.exit_code == 2
    assert "--subject:" in no_subject.stderr
    key = runner.invoke(app, ["keys", "create", "--username", "harbor", *db])
    assert key.exit_code == 0
    assert key.stdout.startswith("lmk_")
    key_id = key.stdout.strip().split("_")[1]
    assert runner.invoke(app, ["keys", "revoke", key_id, *db]).exit_code == 0
    listed = runner.invoke(app, ["users", "list", *db])
    assert "harbor" in listed.stdout
    assert "$argon2" not in listed.stdout
    assert runner.invoke(app, ["audit", *db]).exit_code == 0


def test_teams_are_set_listed_and_dissolved(tmp_path: Path) -> None:
    db = ["--database-url", f"sqlite:///{tmp_path / 'm.db'}"]
    assert runner.invoke(app, ["db", "upgrade", *db]).exit_code == 0
    made = runner.invoke(
        app, ["teams", "set", "downtown", "--member", "cm-b", "--member", "cm-a", *db]
    )
    assert made.exit_code == 0, made.output
    assert made.output.strip() == "downtown: cm-a, cm-b"
    assert runner.invoke(app, ["teams", "list", *db]).output.strip() == "downtown: cm-a, cm-b"
    gone = runner.invoke(app, ["teams", "set", "downtown", *db])
    assert gone.output.strip() == "downtown: dissolved"
    assert runner.invoke(app, ["teams", "list", *db]).output.strip() == ""
    blank = runner.invoke(app, ["teams", "set", " ", "--member", "cm-a", *db])
    assert blank.exit_code == 2
    assert "a team needs an id" in blank.output


def test_a_key_for_a_missing_account_says_how_to_make_one(tmp_path: Path) -> None:
    db = ["--database-url", f"sqlite:///{tmp_path / 'm.db'}"]
    sample = str(ROOT / "data" / "sample-city.json")
    assert runner.invoke(app, ["import-scenario", sample, *db]).exit_code == 0
    missing = runner.invoke(app, ["keys", "create", "--username", "harbor-system", *db])
    assert missing.exit_code == 2
    assert missing.stderr.startswith("--username: no account harbor-system; create the provider")
    assert "matcher users create --username harbor-system --role provider" in missing.stderr
    system = ["users", "create", "--username", "harbor-system", "--role", "provider"]
    both = runner.invoke(app, [*system, "--no-password", "--password-stdin", *db])
    assert both.exit_code == 2
    assert "--no-password: give it or --password-stdin, not both" in both.stderr
    made = runner.invoke(app, [*system, "--subject", "org-harbor", "--no-password", *db])
    assert made.exit_code == 0, made.output
    key = runner.invoke(app, ["keys", "create", "--username", "harbor-system", *db])
    assert key.exit_code == 0, key.output
    assert key.stdout.startswith("lmk_")


def test_webhooks_add_list_log_and_remove(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    db = ["--database-url", url]
    sample = str(ROOT / "data" / "sample-city.json")
    assert runner.invoke(app, ["import-scenario", sample, *db]).exit_code == 0
    provider = ["--username", "harbor-system", "--role", "provider", "--subject", "org-harbor"]
    made = runner.invoke(
        app,
        ["users", "create", *provider, "--password-stdin", *db],
        input="a long enough password\n",
    )
    assert made.exit_code == 0, made.output
    refused = runner.invoke(
        app, ["webhooks", "add", "--username", "harbor-system", "--url", "ftp://x", *db]
    )
    assert refused.exit_code == 2
    assert "--url" in refused.stderr
    added = runner.invoke(
        app,
        ["webhooks", "add", "--username", "harbor-system", "--url", "https://x.example.org", *db],
    )
    assert added.exit_code == 0, added.output
    endpoint_line, secret = added.stdout.splitlines()
    assert secret.startswith("whsec_")
    endpoint_id = endpoint_line.split()[1].rstrip(":")
    listed = runner.invoke(app, ["webhooks", "list", *db])
    assert "harbor-system" in listed.stdout
    assert secret not in listed.stdout
    assert "active" in listed.stdout
    assert runner.invoke(app, ["webhooks", "log", "--failed", *db]).stdout == ""
    assert runner.invoke(app, ["webhooks", "remove", endpoint_id, *db]).exit_code == 0
    assert "removed" in runner.invoke(app, ["webhooks", "list", *db]).stdout
    missing = runner.invoke(app, ["webhooks", "remove", "nope", *db])
    assert missing.exit_code == 2
