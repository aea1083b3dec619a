"""The core commands: solve, generate, explain, validate, demo and report.

Bad input exits with code 2 and every validation error on stderr, one per line,
each naming its JSON path. Progress and summaries go to stderr so that stdout
carries only the JSON answer and can be piped.
"""

from __future__ import annotations

import atexit
import gc
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from matcher.cli.common import (
    MAX_SECONDS,
    DatabaseUrl,
    LiveOrFile,
    finite,
    json_text,
    listen_url,
    live_or_file,
    load,
    money,
    refuse,
    say,
    write_json,
    write_text,
)
from matcher.inputs import InputInvalid, read_json
from matcher.paths import SAMPLE_CITY
from matcher.scenario import Scenario

TimeLimit = Annotated[
    float,
    typer.Option(
        min=0.001,
        max=MAX_SECONDS,
        callback=finite,
        help="Seconds to solve and write the answer, counted once the scenario is read.",
    ),
]
Budget = Annotated[
    float | None,
    money("Fund budget (default binds)."),
]
Seed = Annotated[int, typer.Option(min=0, max=2**63 - 1, help="Seed of the synthetic instance.")]


def solve(
    scenario: Annotated[str, typer.Argument(help="Scenario JSON file, or - for stdin.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here.")] = None,
    time_limit: TimeLimit = 60.0,
    indent: Annotated[
        int | None, typer.Option(min=0, max=16, help="Indent the JSON (default: compact).")
    ] = None,
) -> None:
    """Solve a scenario and print the assignment JSON (or write it to --output)."""
    from matcher.assignment import answer_text, build_assignment
    from matcher.solver import SolverOptions
    from matcher.solver import solve as run

    # The scenario's millions of objects live until the answer is written: frozen, the
    # collector's full passes stop walking them again and again (seconds at state scale).
    # Reading, solving and answering make no reference cycles (models, arrays, rows,
    # dicts of numbers and text), so the collector is off until the answer is written.
    # The interpreter's last collections at exit walk every object still alive (the
    # command line imports every command's modules): 0.3 to 0.5 s after the answer is
    # written, counted against the time limit by anyone timing the command. Nothing that
    # ``solve`` leaves behind needs a finalizer, so at exit they are skipped (frozen).
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    gc.disable()
    try:
        data = load(scenario)
        started = time.monotonic()  # the time limit counts from here: reading is not solving
        gc.freeze()
        needs = sum(len(p.needs) for p in data.participants)
        say(
            f"solving: {len(data.programs)} programs, {len(data.participants)} participants, "
            f"{needs} needs, budget {data.fund.budget:,.2f}"
        )
        solution = run(data, SolverOptions(time_limit=time_limit, started=started))
        if indent is None:
            answer, text = answer_text(solution)
        else:
            answer = build_assignment(solution)
            text = json_text(answer.to_json(), indent)
        for warning in answer.warnings:
            say(f"warning: {warning}")
        o = answer.objective
        say(
            f"{answer.solver.status}: {o.acute_matched} acute and {o.matched} needs met of "
            f"{needs}, {o.spend:,.2f} spent, {answer.solver.seconds:.2f} s ({solution.method})"
        )
        write_text(text + "\n", output)
    finally:
        gc.enable()
        gc.unfreeze()


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

    write_json(make(GenerateOptions(participants, programs, seed, budget)), output)


def explain(
    scenario: Annotated[str, typer.Argument(help="Scenario JSON file, or - for stdin.")],
    participant: Annotated[str, typer.Option("--participant", "-p", help="Participant id.")],
) -> None:
    """Show, for one participant, every program considered per need, why it was excluded,
    and what the matcher decided for each need."""
    from matcher.assignment import build_assignment
    from matcher.explain import explain_participant
    from matcher.solver import solve as run

    data = load(scenario)
    if participant not in {p.id for p in data.participants}:
        say(f"participant: no participant {participant} in the scenario")
        raise typer.Exit(2)
    answer = build_assignment(run(data))
    outcome = {
        a.need_id: f"placed at {a.program_id} ({a.pool}, {a.distance_km:.2f} km)"
        for a in answer.assignments
    }
    outcome.update({u.need_id: f"not met: {u.reason}: {u.detail}" for u in answer.unmatched})
    typer.echo(explain_participant(data, participant, outcome))


def validate(
    scenario: Annotated[str, typer.Argument(help="Scenario JSON file.")],
    answer: Annotated[Path, typer.Argument(help="Assignment JSON to check against it.")],
) -> None:
    """Check an assignment against its scenario independently; exit 1 if it breaks a rule."""
    from matcher.validate import check_assignment

    data = load(scenario)
    try:
        given = read_json(answer)
    except InputInvalid as error:
        raise refuse(error) from None
    except OSError as error:
        say(f"cannot read {answer}: {error.strerror or error}")
        raise typer.Exit(2) from None
    violations = check_assignment(data, given)
    for v in violations:
        say(str(v))
    if violations:
        raise typer.Exit(1)
    say("ok: every rule, pool and the budget hold; every need answered once")


def demo(
    scenario: Annotated[Path, typer.Option(help="Scenario to demonstrate on.")] = SAMPLE_CITY,
    database: Annotated[
        Path | None,
        typer.Option(help="SQLite file to create and keep (default: a temporary one, removed)."),
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

    data = load(str(scenario))
    now = datetime.now(UTC)
    kept = database is not None
    if not kept and get_settings().data_keys is None and RING.multi is None:
        RING.configure([new_key()])  # the demo's store is thrown away: so is its key
    with tempfile.TemporaryDirectory() as tmp:
        target = database or Path(tmp) / "matcher-demo.db"
        password = secrets.token_urlsafe(9) if serve else None
        try:
            run_demo(data, target, now, typer.echo, password)
        except FileExistsError as error:
            say(str(error))
            raise typer.Exit(2) from None
        typer.echo("\n6. THE WHOLE CITY: one batch over every participant (nothing held)")
        typer.echo(summary(data, build_assignment(run(data))))
        if password is not None:
            url = listen_url(host, port)
            serve_demo(data, target, password, host, port, typer.echo, url=url, kept=kept)
        elif kept:
            typer.echo(
                f"\nthe store is kept in {target}: `matcher serve --database-url "
                f"sqlite:///{target}` serves it (sign-in passwords were random: "
                "`matcher users create` adds an account you can use)"
            )
        else:
            typer.echo("\nthe demo's store is thrown away (--database keeps one)")


def report(
    scenario: LiveOrFile = None,
    neighborhoods: Annotated[
        Path | None,
        typer.Option(
            help="CSV of the city's neighbourhoods (name,lat,lon, and district to roll up "
            "to; default: the configured file)."
        ),
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a standalone report with plots.")
    ] = None,
    plan_budget: Annotated[
        float | None,
        money("In the HTML report, plan this much new money (default: none)."),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Unmet need for funders: by service category, reason and neighbourhood, small counts
    suppressed (1 to 10, and whatever would let them be worked out). Reads the live
    store (the configured database or --database-url) unless given a scenario file."""
    from matcher.assignment import build_assignment
    from matcher.funding.gaps import gap_table, render, rule_table, unmet_frame
    from matcher.funding.neighborhoods import load_centroids
    from matcher.funding.rollup import AREA_LADDER, LADDER, load_districts, readable, roll_up_note
    from matcher.settings import get_settings
    from matcher.solver import solve as run

    data = live_or_file(scenario, database_url)
    try:
        centroids = load_centroids(neighborhoods) if neighborhoods else None
    except (OSError, ValueError) as error:
        say(f"neighborhoods: {error}")
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
    areas = neighborhoods or get_settings().neighborhoods_file
    districts = load_districts(areas) if areas else {}
    for ladder, what in ((LADDER, "service and area"), (AREA_LADDER, "area")):
        step = readable(frame, districts, ladder)
        typer.echo(f"\nunmet needs by {what} (* = suppressed):")
        note = roll_up_note(step.rows, step.columns, step.finest_hidden, step.finest_cells)
        if note:
            typer.echo(note)
        typer.echo(render(step.table))
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
    say(f"wrote {path}")
