"""Accounts, API keys and the audit log from the command line."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from matcher.cli.common import DatabaseUrl
from matcher.cli.common import operator as _operator
from matcher.cli.common import run_use_case as _run

users_app = typer.Typer(help="Accounts: who may sign in, in which role.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for provider systems.", no_args_is_help=True)


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="Sign-in name.")],
    role: Annotated[
        str, typer.Option(help="admin, case_manager, provider, funder, referrer or auditor.")
    ],
    subject: Annotated[
        str | None, typer.Option(help="The case manager's id, or the provider's organisation id.")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from standard input.")
    ] = False,
    no_password: Annotated[
        bool,
        typer.Option(
            "--no-password",
            help="No password: the account acts only through its API keys (a provider's "
            "system) or single sign-on.",
        ),
    ] = False,
    email: Annotated[
        str | None, typer.Option(help="Where notifications are mailed (optional).")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create an account; the password is read from stdin or asked for (never an argument),
    or there is none (``--no-password``)."""
    from matcher.service import accounts

    password: str | None
    if no_password and password_stdin:
        typer.echo("--no-password: give it or --password-stdin, not both", err=True)
        raise typer.Exit(2)
    if no_password:
        password = None
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    who = _run(
        database_url,
        lambda s: accounts.create_account(
            s,
            username=username,
            role=role,
            password=password,
            subject_id=subject,
            now=datetime.now(UTC),
            email=email,
        ),
    )
    typer.echo(
        f"created {who.username} ({who.role}{', ' + who.subject_id if who.subject_id else ''})"
    )


@users_app.command("move-case-load")
def users_move_case_load(
    case_load: Annotated[str, typer.Argument(help="The case load's id (a case manager id).")],
    to: Annotated[str, typer.Option(help="The case manager account that takes it.")],
    reason: Annotated[str, typer.Option(help="Why it moves (kept with the audit record).")],
    database_url: DatabaseUrl = None,
) -> None:
    """Move a case load to another case manager's account; the account that had it
    is deactivated. Recorded in the audit log with the reason."""
    from matcher.service import accounts

    moved = _run(
        database_url,
        lambda s: accounts.move_case_load(
            s, case_load, to_username=to, reason=reason, by=_operator(), now=datetime.now(UTC)
        ),
    )
    typer.echo(
        f"moved {moved.case_load} from {moved.from_username or 'nobody'} to {moved.to_username}"
    )


@users_app.command("list")
def users_list(database_url: DatabaseUrl = None) -> None:
    """Every account: name, role, whose data, active."""
    from matcher.service import accounts

    for a in _run(database_url, accounts.listing):
        typer.echo(
            f"{a.username:<30} {a.role:<14} {a.subject_id or '-':<24} "
            + ("active" if a.active else "inactive")
        )


@users_app.command("deactivate")
def users_deactivate(username: str, database_url: DatabaseUrl = None) -> None:
    """Stop an account: its sign-in, tokens and keys stop working at once."""
    from matcher.service import accounts

    _run(database_url, lambda s: accounts.deactivate(s, username))
    typer.echo(f"deactivated {username}")


@keys_app.command("create")
def keys_create(
    username: Annotated[str, typer.Option(help="The provider account the key acts for.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Make an API key; it is printed once and stored only as a hash."""
    from matcher.service import accounts

    hint = (
        f"; create the provider account first: matcher users create --username {username} "
        "--role provider --subject ORGANISATION_ID --no-password"
    )
    key = _run(database_url, lambda s: accounts.create_key(s, username, datetime.now(UTC)), hint)
    typer.echo(key)
    typer.echo("store it now: it cannot be shown again", err=True)


@keys_app.command("revoke")
def keys_revoke(key_id: str, database_url: DatabaseUrl = None) -> None:
    """Revoke a key by its id (the part after ``lmk_``)."""
    from matcher.service import accounts

    _run(database_url, lambda s: accounts.revoke_key(s, key_id, datetime.now(UTC)))
    typer.echo(f"revoked {key_id}")


def audit(
    since: Annotated[
        datetime | None, typer.Option(help="Only records from this time (UTC).")
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Only this account (id or username).")] = None,
    username: Annotated[str | None, typer.Option(help="Only this account's username.")] = None,
    object_id: Annotated[str | None, typer.Option(help="Only this object.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 200,
    database_url: DatabaseUrl = None,
) -> None:
    """The audit log, newest first."""
    from matcher.service import audit as log

    moment = since.replace(tzinfo=UTC) if since is not None and since.tzinfo is None else since
    rows = _run(
        database_url,
        lambda s: log.query(
            s, since=moment, actor=actor, username=username, object_id=object_id, limit=limit
        ),
    )
    for e in rows:
        objects = " ".join(
            f"{kind}:{value}"
            for kind, value in (
                ("participant", e.participant_id),
                ("program", e.program_id),
                ("referral", e.referral_id),
            )
            if value is not None
        )
        typer.echo(
            f"{e.at:%Y-%m-%d %H:%M:%S} {e.username or e.actor:<24} {e.role:<12} "
            f"{e.outcome:<15} {e.status} {e.action} {e.object_type}:{e.object_id or '-'}"
            + (f" {objects}" if objects else "")
        )


def rotate_keys(database_url: DatabaseUrl = None) -> None:
    """Re-encrypt participant data under the first key of MATCHER_DATA_KEYS."""
    from matcher.store.rotation import rotate_keys as rotate

    count = _run(database_url, rotate)
    typer.echo(f"re-encrypted {count} row(s) under the first key; older keys may now be dropped")


def retention(
    days: Annotated[
        int | None,
        typer.Option(min=30, help="Inactive for this long (default: MATCHER_RETENTION_DAYS)."),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """De-identify inactive participants after the retention period (aggregates stay)."""
    from matcher.service.retention import deidentify_inactive
    from matcher.settings import get_settings

    period = days or get_settings().retention_days
    count = _run(database_url, lambda s: deidentify_inactive(s, datetime.now(UTC), period))
    typer.echo(f"de-identified {count} participant(s) inactive for more than {period} days")


teams_app = typer.Typer(
    help="Teams of case managers, who may cover each other's case loads.", no_args_is_help=True
)


@teams_app.command("set")
def teams_set(
    team: Annotated[str, typer.Argument(help="The team's id, e.g. downtown.")],
    member: Annotated[
        list[str] | None, typer.Option(help="A case manager's id; repeat for each member.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Set a team's members (none: the team is dissolved)."""
    from matcher.service import teams

    members = _run(database_url, lambda s: teams.set_members(s, team, member or []))
    typer.echo(f"{team}: {', '.join(members) or 'dissolved'}")


@teams_app.command("list")
def teams_list(database_url: DatabaseUrl = None) -> None:
    """Every team and its members."""
    from matcher.service import teams

    for name, members in _run(database_url, teams.listing).items():
        typer.echo(f"{name}: {', '.join(members)}")
