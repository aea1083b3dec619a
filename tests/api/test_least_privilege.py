"""Least privilege for admins: no second active case manager on a case load (so an admin
cannot make one to read it), a case load moves only as its own audited operation with a
reason, and the last active admin stays. Held by the database under concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from matcher.cli import app as cli
from matcher.service import accounts
from matcher.service.errors import Conflict
from matcher.store import tables as t
from matcher.store.engine import session_scope
from tests.api.conftest import bearer

NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)
PASSWORD = "a long enough password"


def _account(username: str, role: str, subject: str | None = None) -> dict[str, str | None]:
    return {"username": username, "role": role, "subject_id": subject, "password": PASSWORD}


def _sign_in(client: TestClient, username: str) -> dict[str, str]:
    token = client.post("/auth/token", data={"username": username, "password": PASSWORD})
    assert token.status_code == 200, token.json()
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_no_second_case_manager_on_a_case_load(anonymous: TestClient, app_engine: Engine) -> None:
    admin = bearer(app_engine, "admin")
    made = anonymous.post(
        "/admin/accounts", json=_account("ana", "case_manager", "cm-ana"), headers=admin
    )
    assert made.status_code == 201
    spy = anonymous.post(
        "/admin/accounts", json=_account("spy", "case_manager", "cm-ana"), headers=admin
    )
    assert (spy.status_code, spy.json()["rule"], spy.json()["field"]) == (
        409,
        "case_load_taken",
        "subject_id",
    )
    assert anonymous.post("/admin/accounts/ana/deactivate", headers=admin).status_code == 204
    vacant = anonymous.post(
        "/admin/accounts", json=_account("cy", "case_manager", "cm-ana"), headers=admin
    )
    assert vacant.status_code == 201  # a case load nobody works on may be given


def test_the_last_admin_stays(anonymous: TestClient, app_engine: Engine) -> None:
    admin = bearer(app_engine, "admin")  # the account "admin:-"
    last = anonymous.post("/admin/accounts/admin:-/deactivate", headers=admin)
    assert (last.status_code, last.json()["rule"]) == (409, "last_admin")
    anonymous.post("/admin/accounts", json=_account("root2", "admin"), headers=admin)
    assert anonymous.post("/admin/accounts/root2/deactivate", headers=admin).status_code == 204
    again = anonymous.post("/admin/accounts/admin:-/deactivate", headers=admin)
    assert again.status_code == 409


def test_a_case_load_moves_with_a_reason_and_is_audited(
    anonymous: TestClient, app_engine: Engine
) -> None:
    admin = bearer(app_engine, "admin")
    for body in (
        _account("ana", "case_manager", "cm-ana"),
        _account("bob", "case_manager", "cm-bob"),
    ):
        assert anonymous.post("/admin/accounts", json=body, headers=admin).status_code == 201
    ana, bob = _sign_in(anonymous, "ana"), _sign_in(anonymous, "bob")
    url = "/admin/case-loads/cm-ana/move"
    no_reason = anonymous.post(url, json={"to_username": "bob", "reason": " "}, headers=admin)
    assert (no_reason.status_code, no_reason.json()["field"]) == (422, "reason")
    moved = anonymous.post(
        url, json={"to_username": "bob", "reason": "Ana is on leave until March"}, headers=admin
    )
    assert moved.status_code == 200, moved.json()
    assert (moved.json()["from_username"], moved.json()["to_username"]) == ("ana", "bob")
    assert anonymous.get("/case-managers/cm-ana/participants", headers=bob).status_code == 200
    assert anonymous.get("/case-managers/cm-ana/participants", headers=ana).status_code == 401
    history = anonymous.get("/admin/case-loads/cm-ana/moves", headers=admin).json()
    assert [(m["reason"], m["moved_by"]) for m in history] == [
        ("Ana is on leave until March", "admin:-")
    ]
    log = anonymous.get(
        "/audit", params={"username": "admin:-"}, headers=bearer(app_engine, "auditor")
    ).json()
    [record] = [e for e in log if e["action"] == "case_load.move" and e["outcome"] == "allowed"]
    assert (record["object_type"], record["object_id"]) == ("case_load", "cm-ana")
    assert "leave" not in str(log)  # the reason stays with the move, not in the log


def _race(engine: Engine, jobs: Sequence[Callable[[Session], object]]) -> int:
    """Run ``jobs`` at once, each in its own transaction; how many succeeded."""
    start = threading.Barrier(len(jobs))
    wins: list[bool] = []

    def one(job: Callable[[Session], object]) -> None:
        start.wait()
        try:
            with session_scope(engine) as s:
                job(s)
        except Conflict:
            wins.append(False)
        else:
            wins.append(True)

    threads = [threading.Thread(target=one, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == len(jobs)
    return sum(wins)


def test_concurrent_accounts_on_one_case_load_one_wins(app_engine: Engine) -> None:
    for round_ in range(3):
        jobs = [
            partial(
                accounts.create_account,
                username=f"r{round_}-{i}",
                role="case_manager",
                password=None,
                subject_id=f"cm-race-{round_}",
                now=NOW,
            )
            for i in range(6)
        ]
        assert _race(app_engine, jobs) == 1


def test_two_admins_stopping_each_other_at_once_one_wins(app_engine: Engine) -> None:
    for round_ in range(3):
        names = (f"a{round_}", f"b{round_}")
        with session_scope(app_engine) as s:
            for old in s.exec(select(t.Account).where(t.Account.role == "admin")):
                old.active = False
                s.add(old)
            for name in names:
                accounts.create_account(
                    s, username=name, role="admin", password=None, subject_id=None, now=NOW
                )
        jobs = [partial(accounts.deactivate, username=n) for n in names]
        assert _race(app_engine, jobs) == 1


def test_the_command_line_moves_a_case_load_and_records_it(tmp_path: Path) -> None:
    db = ["--database-url", f"sqlite:///{tmp_path / 'm.db'}"]
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade", *db]).exit_code == 0
    for name, load in (("ana", "cm-ana"), ("bob", "cm-bob")):
        made = runner.invoke(
            cli,
            [
                "users",
                "create",
                "--username",
                name,
                "--role",
                "case_manager",
                "--subject",
                load,
                "--password-stdin",
                *db,
            ],
            input=PASSWORD + "\n",
        )
        assert made.exit_code == 0, made.output
    spy = runner.invoke(
        cli,
        [
            "users",
            "create",
            "--username",
            "spy",
            "--role",
            "case_manager",
            "--subject",
            "cm-ana",
            "--password-stdin",
            *db,
        ],
        input=PASSWORD + "\n",
    )
    assert spy.exit_code == 2
    assert "--subject" in spy.output
    no_reason = runner.invoke(
        cli, ["users", "move-case-load", "cm-ana", "--to", "bob", "--reason", "", *db]
    )
    assert no_reason.exit_code == 2
    assert "--reason" in no_reason.output
    moved = runner.invoke(
        cli, ["users", "move-case-load", "cm-ana", "--to", "bob", "--reason", "ana left", *db]
    )
    assert moved.exit_code == 0, moved.output
    assert moved.output.strip() == "moved cm-ana from ana to bob"
    log = runner.invoke(cli, ["audit", *db])
    assert "case_load.move" in log.output
    assert "account.create" in log.output
