"""Webhook endpoints for providers' systems, and their delivery log, from the command
line: ``matcher webhooks add/list/remove/log``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from matcher.cli.common import DatabaseUrl
from matcher.cli.common import operator as _operator
from matcher.cli.common import run_use_case as _run

webhooks_app = typer.Typer(
    help="Webhook endpoints: where providers' systems receive their notifications, signed.",
    no_args_is_help=True,
)


@webhooks_app.command("add")
def add(
    username: Annotated[str, typer.Option(help="The provider account whose notices go there.")],
    url: Annotated[str, typer.Option(help="The https:// address that receives them.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Register an endpoint; its signing secret (whsec_...) is printed once and kept
    encrypted with the data keys."""
    from matcher.service import webhooks
    from matcher.settings import get_settings

    allow_http = get_settings().environment != "production"
    made = _run(
        database_url,
        lambda s: webhooks.add(
            s,
            username=username,
            url=url,
            by=_operator(),
            now=datetime.now(UTC),
            allow_http=allow_http,
        ),
    )
    typer.echo(f"endpoint {made.endpoint.endpoint_id}: {made.endpoint.url}")
    typer.echo(made.secret)
    typer.echo("give the secret to the receiving system now: it cannot be shown again", err=True)


@webhooks_app.command("list")
def list_endpoints(database_url: DatabaseUrl = None) -> None:
    """Every endpoint: id, account, address, and whether it is removed."""
    from matcher.service import webhooks

    for e in _run(database_url, webhooks.listing):
        state = f"removed {e.removed_at:%Y-%m-%d}" if e.removed_at else "active"
        typer.echo(f"{e.endpoint_id:<18} {e.username:<24} {state:<18} {e.url}")


@webhooks_app.command("remove")
def remove(endpoint_id: str, database_url: DatabaseUrl = None) -> None:
    """Stop sending to an endpoint (it stays listed, with its log)."""
    from matcher.service import webhooks

    _run(database_url, lambda s: webhooks.remove(s, endpoint_id, datetime.now(UTC)))
    typer.echo(f"removed {endpoint_id}")


@webhooks_app.command("log")
def log(
    failed: Annotated[bool, typer.Option(help="Only deliveries that were given up.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 100,
    database_url: DatabaseUrl = None,
) -> None:
    """The delivery log, newest first: when, account, kind, endpoint, attempt, HTTP
    status (- for no answer) and outcome; never what was sent."""
    from matcher.service import webhooks

    rows = _run(
        database_url,
        lambda s: webhooks.log(s, status="failed" if failed else None, limit=limit),
    )
    for a in rows:
        code = "-" if a.status_code is None else str(a.status_code)
        typer.echo(
            f"{a.at:%Y-%m-%d %H:%M:%S} {a.username:<24} {a.kind:<20} {a.endpoint_id:<18} "
            f"#{a.attempt:<3} {code:<4} {a.outcome}"
        )
