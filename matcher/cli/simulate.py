"""``matcher simulate``: the policies side by side over a horizon, against hindsight.

The horizon is generated (seeded) or, with ``--replay``, read from a store's ledger
(the last ``--days`` days up to ``--until``, default now); a replay refuses what only a
generated horizon uses (``--participants``, ``--programs``, ``--seed``) and what the
ledger says itself (``--budget``, ``--plan``). Bad options exit 2 with a message naming
the option and the rule; the JSON report goes to stdout, a readable table otherwise;
``--html FILE`` also writes a page with plots.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from matcher.cli.common import DatabaseUrl, finite, money

if TYPE_CHECKING:
    from matcher.simulate import SimOptions
    from matcher.simulate.horizon import Horizon
    from matcher.simulate.policies import Outcome

MAX_DAYS = 3650
MAX_PEOPLE = 100_000


def simulate(
    replay: Annotated[
        bool,
        typer.Option(
            "--replay",
            help="Read the horizon from the store's ledger (--database-url) instead of "
            "generating one.",
        ),
    ] = False,
    days: Annotated[int, typer.Option(min=1, max=MAX_DAYS, help="Length of the horizon.")] = 365,
    until: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"],
            help="--replay only: the window's end (ISO 8601; UTC unless a zone is given; "
            "default now).",
        ),
    ] = None,
    database_url: DatabaseUrl = None,
    participants: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=MAX_PEOPLE,
            help="Participants arriving over it (generated only; default 1000).",
        ),
    ] = None,
    programs: Annotated[
        int | None,
        typer.Option(min=1, max=MAX_PEOPLE, help="Programs (generated only; default 100)."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(min=0, max=2**63 - 1, help="Seed of the horizon (generated only; default 0)."),
    ] = None,
    policies: Annotated[
        str, typer.Option(help="Comma-separated: request, resolve, priced.")
    ] = "request,resolve,priced",
    budget: Annotated[
        float | None,
        money("The fund's money over the whole horizon (default: the generated one)."),
    ] = None,
    hold: Annotated[
        float | None,
        typer.Option(
            min=0,
            max=1,
            callback=finite,
            help="priced only: keep from needs that are not acute the places an acute need "
            "likely wants before they vanish (chance above this).",
        ),
    ] = None,
    plan: Annotated[
        Path | None,
        typer.Option(
            help='Places to buy on day 0: a JSON object of program id to places, {"g-1a2b": 2}.'
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    html_file: Annotated[
        Path | None, typer.Option("--html", help="Also write a page with plots to this file.")
    ] = None,
) -> None:
    """Generate a seeded horizon (arrivals, exits, places appearing and vanishing, fund
    top-ups), or replay the store's (``--replay``), run the policies day by day and
    compare each with the hindsight optimum."""
    from matcher.inputs import InputInvalid, write_atomic
    from matcher.simulate import POLICIES, SimOptions
    from matcher.simulate import simulate as run
    from matcher.simulate.horizon import PlanInvalid

    chosen = [p.strip() for p in policies.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in POLICIES]
    if not chosen or unknown or len(set(chosen)) != len(chosen):
        typer.echo(
            f"--policies: must name each of {', '.join(POLICIES)} at most once, "
            f"comma-separated (got {policies!r})",
            err=True,
        )
        raise typer.Exit(2)
    if replay:
        for name, given, why in (
            ("--plan", plan, "the ledger's fund is replayed"),
            ("--budget", budget, "the ledger's fund is replayed"),
            ("--participants", participants, "the ledger's participants are replayed"),
            ("--programs", programs, "the ledger's programs are replayed"),
            ("--seed", seed, "a replayed horizon draws nothing"),
        ):
            if given is not None:
                typer.echo(f"{name}: not with --replay ({why})", err=True)
                raise typer.Exit(2)
    defaults = SimOptions()
    options = SimOptions(
        days=days,
        participants=defaults.participants if participants is None else participants,
        programs=defaults.programs if programs is None else programs,
        seed=defaults.seed if seed is None else seed,
        budget=budget,
        hold=hold,
        plan=() if plan is None else read_plan(plan),
    )
    if replay:
        horizon, outcomes, report = replayed(options, chosen, until, database_url)
    else:
        if until is not None or database_url is not None:
            typer.echo("--until, --database-url: only with --replay", err=True)
            raise typer.Exit(2)
        try:
            horizon, outcomes, report = run(options, chosen, lambda m: typer.echo(m, err=True))
        except PlanInvalid as error:
            typer.echo(f"--plan: {error}", err=True)
            raise typer.Exit(2) from None
    if html_file is not None:
        from matcher.simulate.html import render

        try:
            write_atomic(html_file, render(horizon, outcomes, report))
        except (InputInvalid, OSError) as error:
            typer.echo(f"--html: cannot write {html_file}: {error}", err=True)
            raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo(table(report))


def replayed(
    options: SimOptions, policies: list[str], until: datetime | None, url: str | None
) -> tuple[Horizon, dict[str, Outcome], dict[str, Any]]:
    """The policies on the store's ledger over the window ending ``until`` (now)."""
    from matcher.cli.common import open_store
    from matcher.simulate.replay import replay
    from matcher.store.engine import session_scope

    end = datetime.now(UTC) if until is None else until
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    engine = open_store(url)
    with session_scope(engine, read_only=True) as session:
        return replay(session, end, options, policies, lambda m: typer.echo(m, err=True))


def read_plan(path: Path) -> tuple[tuple[str, int], ...]:
    """The plan file as (program id, places) pairs; exit 2 naming ``--plan`` if unreadable."""
    from matcher.inputs import InputInvalid, read_json

    try:
        data = read_json(str(path))
    except (InputInvalid, OSError) as error:
        typer.echo(f"--plan: {error}", err=True)
        raise typer.Exit(2) from None
    ok = isinstance(data, dict) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in data.values()
    )
    if not ok:
        typer.echo(
            "--plan: must be a JSON object of program id to a whole number of places", err=True
        )
        raise typer.Exit(2)
    return tuple(data.items())


def table(report: dict[str, Any]) -> str:
    """The report as aligned text: one line per answer."""
    size = report["horizon"]
    lines = [
        f"{size['days']} days, {size['participants']} participants, {size['needs']} needs "
        f"({size['acute_needs']} acute), {size['programs']} programs, {size['places']} places, "
        f"fund {size['budget']:,.2f}",
        f"{'answer':<10} {'acute':>6} {'needs':>6} {'spend':>12} {'displaced':>9} "
        f"{'acute wait':>12} {'other wait':>12} {'vs hindsight':>14}",
    ]
    blocks = {"hindsight": report["hindsight"], **report["policies"]}
    for name, b in blocks.items():
        wait = {
            k: f"{_days(b['days_waited'][k]['median'])}/{_days(b['days_waited'][k]['p90'])}"
            for k in ("acute", "other")
        }
        ratio = b.get("ratio_to_hindsight")
        versus = f"{ratio['acute_met']:.1%}/{ratio['needs_met']:.1%}" if ratio else ""
        lines.append(
            f"{name:<10} {b['acute_met']:>6} {b['needs_met']:>6} {b['spend']:>12,.2f} "
            f"{b['displaced']:>9} {wait['acute']:>12} {wait['other']:>12} {versus:>14}"
        )
    lines.append("waits: median/90th percentile days of met needs; vs hindsight: acute/all")
    if size.get("source") == "replay":
        lines.append(f"replayed from the ledger, {size['start']} to {size['end']}; assumed:")
    lines.extend(f"- {note}" for note in report.get("notes", []))
    return "\n".join(lines)


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"
