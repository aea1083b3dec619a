"""Commands on the live store: ``db upgrade``, ``export-scenario``, ``import-scenario``,
``serve``, ``worker``. The database is ``MATCHER_DATABASE_URL`` (a SQLite file by default) unless
``--database-url`` says otherwise."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from matcher.cli.common import (
    DatabaseUrl,
    listen_url,
    load,
    masked,
    say,
    store_engine,
    write_text,
)
from matcher.settings import get_settings

db_app = typer.Typer(help="The store's schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = None, revision: str = "head") -> None:
    """Apply the migrations (creates the tables on a new database)."""
    from matcher.store.engine import current_revision, upgrade

    engine = store_engine(database_url)
    upgrade(engine, revision)
    typer.echo(f"database at revision {current_revision(engine)}")


@db_app.command("current")
def db_current(database_url: DatabaseUrl = None) -> None:
    """Print the revision the database is at."""
    from matcher.store.engine import current_revision

    typer.echo(current_revision(store_engine(database_url)) or "none (run: matcher db upgrade)")


def export_scenario(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here (default: stdout).")
    ] = None,
    case_manager: Annotated[
        str | None, typer.Option(help="Only this case manager's participants.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Write the live store, now, as a scenario that ``matcher solve`` reads."""
    from matcher.store.engine import session_scope
    from matcher.store.snapshot import export_scenario as export

    with session_scope(store_engine(database_url)) as session:
        data = export(session, datetime.now(UTC), case_manager_id=case_manager).to_json()
    write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", output)


def import_scenario(
    scenario: Annotated[str, typer.Argument(help="Scenario JSON file, or - for stdin.")],
    case_manager: Annotated[
        str, typer.Option(help="Case manager who gets the participants.")
    ] = "unassigned",
    database_url: DatabaseUrl = None,
) -> None:
    """Load a scenario into an empty, migrated store (one transaction: all or nothing)."""
    from matcher.service.checks import too_long_for_the_store
    from matcher.store.engine import session_scope, upgrade
    from matcher.store.snapshot import StoreNotEmpty
    from matcher.store.snapshot import import_scenario as load_into

    data = load(scenario)
    problems = too_long_for_the_store(data)
    if problems:
        typer.echo(f"import-scenario: the store cannot hold {len(problems)} value(s):", err=True)
        for problem in problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(2)
    engine = store_engine(database_url)
    upgrade(engine)
    try:
        with session_scope(engine) as session:
            load_into(session, data, datetime.now(UTC), case_manager_id=case_manager)
    except StoreNotEmpty as error:
        typer.echo(f"import-scenario: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"imported {len(data.programs)} programs and {len(data.participants)} participants",
        err=True,
    )


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (use PostgreSQL for more than 1).")
    ] = 1,
    database_url: DatabaseUrl = None,
) -> None:
    """Serve the API (OpenAPI at /docs) and the pages (/web). Migrations are applied
    first; where it listens and which database it uses (password masked) are printed."""
    import os

    import uvicorn

    from matcher.store.engine import upgrade

    if database_url:
        os.environ["MATCHER_DATABASE_URL"] = database_url
        get_settings.cache_clear()
    upgrade(store_engine(database_url))
    say(
        f"serve: listening on {listen_url(host, port)} (pages at /web, the API's description "
        f"at /docs), {workers} worker(s), database {masked(get_settings().database_url)}; "
        "Ctrl-C stops"
    )
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=32, help="Jobs this worker runs at once.")
    ] = 1,
    database_url: DatabaseUrl = None,
) -> None:
    """Run a job worker on PostgreSQL (any number, on any number of machines): hold
    and referral expiry and the other periodic jobs. Migrations are applied first.
    On SQLite ``matcher serve`` runs the jobs itself and no worker is needed."""
    from matcher.jobs import queued
    from matcher.jobs.queue import make_app
    from matcher.store.engine import upgrade

    engine = store_engine(database_url)
    if not queued(engine):
        typer.echo(
            "worker: needs a PostgreSQL database (--database-url or MATCHER_DATABASE_URL); "
            "on SQLite `matcher serve` runs the jobs itself",
            err=True,
        )
        raise typer.Exit(2)
    upgrade(engine)
    typer.echo("worker: running the jobs (Ctrl-C stops after the job in progress)", err=True)
    make_app(engine, lambda: datetime.now(UTC)).run_worker(concurrency=concurrency)
