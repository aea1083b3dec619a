"""The ``matcher`` command line: solve, generate, explain, validate, demo.

Bad input exits with code 2 and every validation error on stderr, one per line,
each naming its JSON path. Progress and summaries go to stderr so that stdout
carries only the JSON answer and can be piped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from matcher.cli_options import MAX_SECONDS, finite
from matcher.errors import ScenarioInvalid
from matcher.inputs import InputInvalid, read_json, write_atomic
from matcher.paths import SAMPLE_CITY
from matcher.scenario import MAX_AMOUNT, Scenario, load_scenario

app = typer.Typer(
    name="matcher",
    help="Match LEAD participants' needs to unused or fund-paid places, never bumping anyone "
    "down a waitlist.",
    no_args_is_help=True,
    add_completion=False,
    # A crash's traceback would otherwise print each frame's variables: participants.
    pretty_exceptions_show_locals=False,
)

SAMPLE = SAMPLE_CITY


TimeLimit = Annotated[
    float,
    typer.Option(
        min=0.001,
        max=MAX_SECONDS,
        callback=finite,
        help="Seconds before the solver stops proving.",
    ),
]
Budget = Annotated[
    float | None,
    typer.Option(min=0, max=MAX_AMOUNT, callback=finite, help="Fund budget (default binds)."),
]
Seed = Annotated[int, typer.Option(min=0, max=2**63 - 1, help="Seed of the synthetic instance.")]


def _say(message: str) -> None:
    typer.echo(message, err=True)


def _load(source: str) -> Scenario:
    try:
        return load_scenario(source)
    except ScenarioInvalid as error:
        _say(f"invalid scenario ({len(error.issues)} problem(s)):")
        for issue in error.issues:
            _say(f"  {issue}")
        raise typer.Exit(2) from None
    except OSError as error:
        _say(f"cannot read {source}: {error.strerror or error}")
        raise typer.Exit(2) from None


def _refuse(error: InputInvalid) -> typer.Exit:
    _say(str(error))
    return typer.Exit(2)


def write_text(text: str, output: Path | None) -> None:
    """Print ``text``, or write it to ``output`` whole or not at all (exit 2 on failure,
    leaving no empty or partial file)."""
    try:
        if output is None:
            text.encode("utf-8")
            sys.stdout.write(text)
        else:
            write_atomic(output, text)
    except UnicodeEncodeError:
        fault = InputInvalid("output", "lone_surrogate", "would hold invalid Unicode")
        raise _refuse(fault) from None
    except InputInvalid as error:
        raise _refuse(error) from None
    except OSError as error:
        _say(f"cannot write {output}: {error.strerror or error}")
        raise typer.Exit(2) from None


def _write(data: dict[str, Any], output: Path | None, indent: int | None = None) -> None:
    # Without indentation the standard library's C encoder writes large answers ~10x faster.
    write_text(json.dumps(data, indent=indent, ensure_ascii=False) + "\n", output)


@app.command()
def solve(
    scenario: Annotated[str, typer.Argument(help="Scenario JSON file, or - for stdin.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here.")] = None,
    time_limit: TimeLimit = 60.0,
    indent: Annotated[
        int | None, typer.Option(min=0, max=16, help="Indent the JSON (default: compact).")
    ] = None,
) -> None:
    """Solve a scenario and print the assignment JSON (or write it to --output)."""
    from matcher.assignment import build_assignment
    from matcher.solver import SolverOptions
    from matcher.solver import solve as run

    data = _load(scenario)
    needs = sum(len(p.needs) for p in data.participants)
    _say(
        f"solving: {len(data.programs)} programs, {len(data.participants)} participants, "
        f"{needs} needs, budget {data.fund.budget:,.2f}"
    )
    solution = run(data, SolverOptions(time_limit=time_limit))
    answer = build_assignment(solution)
    for warning in answer.warnings:
        _say(f"warning: {warning}")
    o = answer.objective
    _say(
        f"{answer.solver.status}: {o.acute_matched} acute and {o.matched} needs met of {needs}, "
        f"{o.spend:,.2f} spent, {answer.solver.seconds:.2f} s ({solution.method})"
    )
    _write(answer.to_json(), output, indent)


@app.command()
def generate(
    participants: Annotated[
        int, typer.Option(min=0, max=1_000_000, help="Number of participants.")
    ] = 1000,
    programs: Annotated[int, typer.Option(min=0, max=100_000, help="Number of programs.")] = 100,
    seed: Seed = 0,
    budget: Budget = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here.")] = None,
) -> None:
    """Write a realistic, clearly synthetic scenario (reproducible from its seed)."""
    from matcher.generate import GenerateOptions
    from matcher.generate import generate as make

    _write(make(GenerateOptions(participants, programs, seed, budget)), output)


@app.command()
def explain(
    scenario: Annotated[str, typer.Argument(help="Scenario JSON file, or - for stdin.")],
    participant: Annotated[str, typer.Option("--participant", "-p", help="Participant id.")],
) -> None:
    """Show, for one participant, every program considered per need, why it was excluded,
    and what the matcher decided for each need."""
    from matcher.assignment import build_assignment
    from matcher.explain import explain_participant
    from matcher.solver import solve as run

    data = _load(scenario)
    if participant not in {p.id for p in data.participants}:
        _say(f"participant: no participant {participant} in the scenario")
        raise typer.Exit(2)
    answer = build_assignment(run(data))
    outcome = {
        a.need_id: f"placed at {a.program_id} ({a.pool}, {a.distance_km:.2f} km)"
        for a in answer.assignments
    }
    outcome.update({u.need_id: f"not met: {u.reason}: {u.detail}" for u in answer.unmatched})
    typer.echo(explain_participant(data, participant, outcome))


@app.command()
def validate(
    scenario: Annotated[str, typer.Argument(help="Scenario JSON file.")],
    answer: Annotated[Path, typer.Argument(help="Assignment JSON to check against it.")],
) -> None:
    """Check an assignment against its scenario independently; exit 1 if it breaks a rule."""
    from matcher.validate import check_assignment

    data = _load(scenario)
    try:
        given = read_json(answer)
    except InputInvalid as error:
        raise _refuse(error) from None
    except OSError as error:
        _say(f"cannot read {answer}: {error.strerror or error}")
        raise typer.Exit(2) from None
    violations = check_assignment(data, given)
    for v in violations:
        _say(str(v))
    if violations:
        raise typer.Exit(1)
    _say("ok: every rule, pool and the budget hold; every need answered once")


@app.command()
def demo(
    scenario: Annotated[Path, typer.Option(help="Scenario to demonstrate on.")] = SAMPLE,
    database: Annotated[
        Path | None, typer.Option(help="SQLite file to create (default: a temporary one).")
    ] = None,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve", help="Then serve the web pages on the demo's store, with demo accounts."
        ),
    ] = False,
    host: Annotated[str, typer.Option(help="With --serve: address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="With --serve: port.", min=1, max=65535)] = 8000,
) -> None:
    """Walk the three users' flows on a fresh SQLite store made from the sample city:
    a provider reports places, a case manager matches and holds, the provider enrols,
    a funder reads unmet need. Then the whole city's batch answer."""
    import secrets
    import tempfile
    from datetime import UTC, datetime

    from matcher.assignment import build_assignment
    from matcher.demo import run_demo, serve_demo
    from matcher.report import summary
    from matcher.settings import get_settings
    from matcher.solver import solve as run
    from matcher.store.crypto import RING, new_key

    data = _load(str(scenario))
    now = datetime.now(UTC)
    if get_settings().data_keys is None and RING.multi is None:
        RING.configure([new_key()])  # the demo's store is thrown away: so is its key
    with tempfile.TemporaryDirectory() as tmp:
        target = database or Path(tmp) / "matcher-demo.db"
        password = secrets.token_urlsafe(9) if serve else None
        try:
            run_demo(data, target, now, typer.echo, password)
        except FileExistsError as error:
            _say(str(error))
            raise typer.Exit(2) from None
        typer.echo("\n6. THE WHOLE CITY: one batch over every participant (nothing held)")
        typer.echo(summary(data, build_assignment(run(data))))
        if password is not None:
            serve_demo(data, target, password, host, port, typer.echo)


@app.command()
def report(
    scenario: Annotated[str, typer.Argument(help="Scenario JSON file, or - for stdin.")],
    neighborhoods: Annotated[
        Path | None, typer.Option(help="CSV of the city's neighbourhoods (name,lat,lon).")
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a standalone report with plots.")
    ] = None,
    plan_budget: Annotated[
        float | None,
        typer.Option(
            min=0,
            max=MAX_AMOUNT,
            callback=finite,
            help="In the HTML report, plan this much new money (default: none).",
        ),
    ] = None,
) -> None:
    """Unmet need for funders: by service category, reason and neighbourhood, small counts
    suppressed (1 to 10, and whatever would let them be worked out)."""
    from matcher.assignment import build_assignment
    from matcher.funding.gaps import gap_table, render, rule_table, unmet_frame
    from matcher.funding.neighborhoods import load_centroids
    from matcher.solver import solve as run

    data = _load(scenario)
    try:
        centroids = load_centroids(neighborhoods) if neighborhoods else None
    except (OSError, ValueError) as error:
        _say(f"neighborhoods: {error}")
        raise typer.Exit(2) from None
    answer = build_assignment(run(data))
    frame = unmet_frame(data, answer, centroids)
    if html is not None:
        _write_html(data, answer, centroids, html, plan_budget)
    o = answer.objective
    typer.echo(
        f"{o.matched} needs met ({o.acute_matched} acute), {len(frame)} not met; "
        f"{o.spend:,.2f} spent of {data.fund.budget:,.2f}"
    )
    if frame.empty:
        return
    typer.echo("\nunmet needs by service category and reason (* = suppressed):")
    typer.echo(render(gap_table(frame, "category", "reason")))
    typer.echo(
        "\nunmet needs by service category and what would help (* = suppressed; "
        "'ask the providers to report' is not a place to buy):"
    )
    typer.echo(render(gap_table(frame, "category", "action")))
    typer.echo("\nunmet needs by service category and neighbourhood (* = suppressed):")
    typer.echo(render(gap_table(frame, "category", "neighborhood")))
    rules = rule_table(frame)
    if rules is not None:
        typer.echo(
            "\nneeds no program would take, by the rule that excludes most (* = suppressed):"
        )
        typer.echo(render(rules))


def _write_html(
    data: Scenario, answer: Any, centroids: Any, path: Path, plan_budget: float | None
) -> None:
    from matcher.funding.html_report import build, render
    from matcher.funding.planner import compare

    comparison = compare(data, plan_budget) if plan_budget is not None else None
    write_text(render(build(data, answer, centroids), comparison), path)
    _say(f"wrote {path}")


def _register_store_commands() -> None:
    from matcher import cli_accounts, cli_funding, cli_interop, cli_store, cli_webhooks

    app.add_typer(cli_accounts.users_app, name="users")
    app.add_typer(cli_accounts.keys_app, name="keys")
    app.add_typer(cli_accounts.teams_app, name="teams")
    app.add_typer(cli_webhooks.webhooks_app, name="webhooks")
    app.command("audit")(cli_accounts.audit)
    app.command("rotate-keys")(cli_accounts.rotate_keys)
    app.command("retention")(cli_accounts.retention)

    app.command("plan-purchases")(cli_funding.plan_purchases)
    app.command("impact")(cli_funding.impact)

    app.add_typer(cli_store.db_app, name="db")
    app.command("export-scenario")(cli_store.export_scenario)
    app.command("import-scenario")(cli_store.import_scenario)
    app.command("serve")(cli_store.serve)
    app.command("worker")(cli_store.worker)

    from matcher import cli_hsds

    app.command("import-hsds")(cli_hsds.import_hsds)
    app.command("export-hsds")(cli_hsds.export_hsds)
    taxonomy_app = typer.Typer(no_args_is_help=False)
    taxonomy_app.callback(invoke_without_command=True)(cli_interop.taxonomy)
    taxonomy_app.command("unmapped")(cli_interop.taxonomy_unmapped)
    taxonomy_app.command("remap")(cli_interop.taxonomy_remap)
    app.add_typer(taxonomy_app, name="taxonomy")
    app.command("import-hmis")(cli_interop.import_hmis)


_register_store_commands()


def main() -> None:
    """Entry point for ``python -m matcher``."""
    app()
