"""Funders' commands: ``plan-purchases`` and ``impact``. Counts only, suppressed.

Both read the live store (the configured database, or ``--database-url``) as the
funders' pages do, unless given a scenario file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from matcher.cli.common import MAX_SECONDS, DatabaseUrl, LiveOrFile, finite, live_or_file, money

Neighborhoods = Annotated[
    Path | None, typer.Option(help="CSV of the city's neighbourhoods (name,lat,lon).")
]
TimeLimit = Annotated[
    float, typer.Option(min=0.001, max=MAX_SECONDS, callback=finite, help="Seconds per solve.")
]


def _centroids(path: Path | None):  # type: ignore[no-untyped-def]
    from matcher.funding.neighborhoods import load_centroids

    if path is None:
        return None
    try:
        return load_centroids(path)
    except (OSError, ValueError) as error:
        typer.echo(f"--neighborhoods: {error}", err=True)
        raise typer.Exit(2) from None


def plan_purchases(
    budget: Annotated[
        float,
        money("New money to spend on places."),
    ],
    scenario: LiveOrFile = None,
    neighborhoods: Neighborhoods = None,
    time_limit: TimeLimit = 60.0,
    database_url: DatabaseUrl = None,
) -> None:
    """Where new money should buy places: the exact plan beside buying where the gap
    count is largest, with needs met per 1,000 spent and where they would be met."""
    from matcher.funding.gaps import render
    from matcher.funding.neighborhoods import participant_neighborhoods
    from matcher.funding.planner import compare
    from matcher.funding.suppression import suppress

    data = live_or_file(scenario, database_url)
    comparison = compare(data, budget, time_limit)
    typer.echo(f"budget {budget:,.2f}; {comparison.exact.unmet_before} needs unmet today")
    for line in comparison.lines():
        typer.echo(line)
    typer.echo("\nthe exact plan buys:")
    programs = {p.id: p for p in data.programs}
    for buy in comparison.exact.purchases:
        where = programs[buy.program_id].location.neighborhood or "-"
        kinds = ", ".join(programs[buy.program_id].service_types)
        typer.echo(
            f"  {buy.places:>3} place(s) at {buy.program_id} ({kinds}; {where}) "
            f"for {buy.spend:,.2f}"
        )
    if not comparison.exact.purchases:
        typer.echo("  nothing: no fundable place would meet an unmet need within the budget")
        return
    import pandas as pd

    hoods = participant_neighborhoods(data, _centroids(neighborhoods))
    frame = pd.DataFrame(
        [(m.category, hoods[m.participant_id]) for m in comparison.exact.met],
        columns=["category", "neighborhood"],
    )
    counts = frame.groupby(["category", "neighborhood"]).size().unstack(fill_value=0)
    counts.index.name = counts.columns.name = None
    typer.echo("\nneeds the exact plan would meet, by category and neighbourhood (* = suppressed):")
    typer.echo(render(suppress(counts.astype("int64"))))


def impact(
    program: Annotated[str, typer.Option(help="The program that would change.")],
    scenario: LiveOrFile = None,
    drop_barrier: Annotated[
        str | None, typer.Option(help="A barrier it would drop, e.g. excludes_active_use.")
    ] = None,
    drop_id_requirement: Annotated[bool, typer.Option(help="It would stop requiring ID.")] = False,
    allow_pets: Annotated[bool, typer.Option(help="It would accept pets.")] = False,
    add_places: Annotated[int, typer.Option(min=0, max=100_000, help="Places it would open.")] = 0,
    neighborhoods: Neighborhoods = None,
    time_limit: TimeLimit = 60.0,
    database_url: DatabaseUrl = None,
) -> None:
    """How many more needs would be met if one program changed a rule or opened places."""
    from matcher.funding.gaps import render
    from matcher.funding.impact import Change, ChangeInvalid, impact_table
    from matcher.funding.impact import impact as run_impact

    data = live_or_file(scenario, database_url)
    change = Change(program, drop_barrier, drop_id_requirement, allow_pets, add_places)
    try:
        result = run_impact(data, change, time_limit, _centroids(neighborhoods))
    except ChangeInvalid as error:
        option = "program" if error.field == "program_id" else error.field.replace("_", "-")
        typer.echo(f"--{option}: {error.message}", err=True)
        raise typer.Exit(2) from None
    b, a = result.before.objective, result.after.objective
    typer.echo(f"if {change.describe()}:")
    typer.echo(
        f"  needs met {b.matched} -> {a.matched} ({result.net:+d}); acute {b.acute_matched} -> "
        f"{a.acute_matched} ({result.net_acute:+d}); spend {b.spend:,.2f} -> {a.spend:,.2f}"
    )
    table = impact_table(result)
    if table is not None:
        typer.echo(
            "\nneeds that would gain a place, by category and neighbourhood (* = suppressed):"
        )
        typer.echo(render(table))


fund_app = typer.Typer(help="The fund's money: top-ups.", no_args_is_help=True)


@fund_app.command("top-up")
def fund_top_up(
    amount: Annotated[
        float,
        money("Dollars to add to the fund.", least=0.01, argument=True),
    ],
    note: Annotated[str, typer.Option(help="What the money is (kept with the top-up).")] = "",
    database_url: DatabaseUrl = None,
) -> None:
    """Add money to the fund: the balance rises at once and LEAD's queue is re-solved
    for the places it can buy. Recorded in the audit log."""
    from datetime import UTC, datetime

    from matcher.cli.common import operator, run_use_case
    from matcher.money import dollars
    from matcher.service import fund

    made = run_use_case(
        database_url,
        lambda s: fund.top_up(s, amount, note, operator(), datetime.now(UTC)),
    )
    typer.echo(f"added {dollars(made.amount)} to the fund (top-up {made.id})")


@fund_app.command("top-ups")
def fund_top_ups(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 20,
    database_url: DatabaseUrl = None,
) -> None:
    """The fund's top-ups, newest first: when, how much, who, the note."""
    from matcher.cli.common import run_use_case
    from matcher.money import dollars
    from matcher.service import fund

    for u in run_use_case(database_url, lambda s: fund.top_ups(s, limit)):
        typer.echo(f"{u.at:%Y-%m-%d %H:%M} {dollars(u.amount):>16} {u.actor:<20} {u.note}")
