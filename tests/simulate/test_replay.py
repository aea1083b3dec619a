"""``simulate --replay``: a store built through the service layer by a script of
arrivals, reports, a hold and its expiry, exits and a return, and a top-up is read back
as exactly the horizon the script describes, and the policies run on it (SQLite and
PostgreSQL)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from matcher.capacity.pools import Pool
from matcher.cli import app
from matcher.scenario import Participant
from matcher.service import capacity, fund, participants, referrals
from matcher.simulate import POLICIES
from matcher.simulate.horizon import Horizon, SimOptions
from matcher.simulate.replay import replay, replay_horizon
from matcher.store.engine import session_scope
from matcher.store.snapshot import import_scenario
from tests.builders import make_need, make_participant, make_program, make_scenario
from tests.service.world import CM, NOW, ORG, grant, run

DAYS = 10
END = NOW + timedelta(days=DAYS)
BEFORE = NOW - timedelta(days=2)


def at(day: int, hours: float = 0) -> datetime:
    return NOW + timedelta(days=day, hours=hours)


def _person(pid: str, *, acute: bool = False) -> Participant:
    need = make_need(id=f"{pid}-0", acute=acute)
    return Participant.model_validate(make_participant(id=pid, needs=[need]))


def _exit(engine: Engine, pid: str, when: datetime, active: bool = False) -> None:
    body = run(engine, lambda s: participants.get(s, CM, pid))
    run(engine, lambda s: participants.update(s, CM, body, when, active=active))


def script(engine: Engine) -> None:
    """Two days before the window: two programs (g-1 with 2 free places; g-2 selling one
    place at 40.00), x-1 and x-9, a fund of 50.00; x-9 leaves before the window. Then
    day by day: a hold and its expiry, arrivals, the place at g-2 bought and its
    placement ended, reports raising and lowering g-1's places, an exit and a return,
    a top-up, an arrival who leaves the same day, and one after the window."""
    programs = [
        make_program(id="g-1", capacity={"open_slots": 2, "waitlist": 0}),
        make_program(
            id="g-2", capacity={"open_slots": 0, "waitlist": 0, "purchasable": 1, "price": 40.0}
        ),
    ]
    people = [make_participant(id="x-1", needs=[make_need(id="x-1-0")])]
    people.append(make_participant(id="x-9", needs=[make_need(id="x-9-0")]))
    with session_scope(engine) as s:
        import_scenario(s, make_scenario(programs, people, budget=50.0), BEFORE, case_manager_id=CM)
    _exit(engine, "x-9", NOW - timedelta(days=1))
    run(
        engine,
        lambda s: referrals.place_hold(
            s,
            CM,
            participant_id="x-1",
            need_id="x-1-0",
            program_id="g-1",
            pool="general",
            now=at(0, 1),
            ttl=timedelta(hours=48),
        ),
    )
    run(engine, lambda s: participants.create(s, CM, _person("x-2", acute=True), at(1, 2)))
    bought = run(engine, lambda s: _buy(s, at(1, 3)))
    run(engine, lambda s: referrals.enrol(s, ORG, bought, "staff", at(2)))
    run(engine, lambda s: referrals.end_placement(s, ORG, bought, "completed", "staff", at(4)))
    run(engine, lambda s: referrals.expire_due(s, at(2, 3)))
    report(engine, 3, 3)
    report(engine, 1, 5, hours=2)
    _exit(engine, "x-1", at(6, 1))
    run(engine, lambda s: fund.top_up(s, 100.0, "grant", "funder", at(7, 4)))
    _exit(engine, "x-1", at(8, 1), active=True)
    run(engine, lambda s: participants.create(s, CM, _person("x-3"), at(9)))
    _exit(engine, "x-3", at(9, 2))
    run(engine, lambda s: participants.create(s, CM, _person("x-4"), END + timedelta(hours=1)))


def _buy(s: Session, when: datetime) -> str:
    """x-2 is placed at g-2 in a place the fund buys (consent to share given)."""
    grant(s, "x-2")
    made = referrals.place_hold(
        s,
        CM,
        participant_id="x-2",
        need_id="x-2-0",
        program_id="g-2",
        pool="purchase",
        now=when,
        ttl=timedelta(hours=48),
    )
    referrals.confirm(s, CM, made.referral_id, when, timedelta(hours=48))
    return made.referral_id


def report(engine: Engine, open_slots: int, day: int, hours: float = 0) -> None:
    run(
        engine,
        lambda s: capacity.report_capacity(
            s, ORG, "g-1", open_slots=open_slots, waitlist=0, actor="org", now=at(day, hours)
        ),
    )


def slots(h: Horizon) -> list[tuple[str, str, int, int]]:
    ids = [g.id for g in h.scenario.programs]
    return sorted(
        (ids[h.node_program[n]], Pool(h.node_pool[n]).name.lower(), int(a), int(v))
        for n, a, v in zip(h.slot_node, h.slot_appear, h.slot_vanish, strict=True)
    )


def test_the_replayed_horizon_is_the_script(engine: Engine) -> None:
    script(engine)
    with session_scope(engine, read_only=True) as s:
        replayed = replay_horizon(s, END, SimOptions(days=DAYS))
    h = replayed.horizon
    assert (replayed.start, replayed.end) == (NOW, END)
    assert [p.id for p in h.scenario.participants] == ["x-1", "x-2", "x-1#2", "x-3"]
    assert h.arrive.tolist() == [0, 1, 8, 9]
    assert h.exit.tolist() == [7, 10, 10, 10]
    assert [n.id for p in h.scenario.participants for n in p.needs] == [
        "x-1-0",
        "x-2-0",
        "x-1-0#2",
        "x-3-0",
    ]
    assert slots(h) == [
        ("g-1", "general", 0, 6),
        ("g-1", "general", 0, 6),
        ("g-1", "general", 3, 10),
        ("g-2", "lead_reserved", 4, 10),  # the bought place, freed when the placement ended
        ("g-2", "purchase", 0, 2),  # bought on day 2
    ]
    assert h.topup_day.tolist() == [0, 7]
    assert h.topup_cents.tolist() == [5000, 10000]
    assert any("return" in n for n in replayed.notes)


def test_the_policies_run_on_the_replay_and_none_beats_hindsight(engine: Engine) -> None:
    script(engine)
    with session_scope(engine, read_only=True) as s:
        _, _, report_ = replay(s, END, SimOptions(days=DAYS), POLICIES)
    best = report_["hindsight"]
    assert best["needs_met"] == 4  # three general places, one bought, one paid for
    assert best["acute_met"] == 1
    for name in POLICIES:
        block = report_["policies"][name]
        assert block["displaced"] == 0, name
        assert block["acute_met"] <= best["acute_met"], name
        assert block["needs_met"] <= best["needs_met"], name
    assert report_["horizon"]["source"] == "replay"
    assert report_["notes"]


def test_the_command_prints_the_same_report(engine: Engine) -> None:
    script(engine)
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--replay",
            "--database-url",
            url,
            "--days",
            str(DAYS),
            "--until",
            END.isoformat(),
            "--json",
            "--policies",
            "request,resolve",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"horizon", "hindsight", "policies", "notes"}
    assert data["horizon"]["participants"] == 4
    assert "x-1" not in result.stdout


def test_the_table_lists_what_the_replay_assumed(engine: Engine, tmp_path: Path) -> None:
    script(engine)
    url = engine.url.render_as_string(hide_password=False)
    page = tmp_path / "replay.html"
    result = CliRunner().invoke(
        app,
        [
            *("simulate", "--replay", "--database-url", url, "--days", str(DAYS)),
            *("--until", END.isoformat(), "--policies", "resolve", "--html", str(page)),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "replayed from the ledger" in result.stdout
    assert "- 1 return(s) after an exit replayed as new arrivals" in result.stdout
    html = page.read_text(encoding="utf-8")
    assert "replayed from the store's ledger" in html
    assert "<li>1 return(s) after an exit replayed as new arrivals" in html
    assert html.count("<img") == 3
    assert "x-1" not in html


def test_bad_replay_options_exit_2_naming_the_option(tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path / 'none.db'}"
    runner = CliRunner()
    cases = [
        (["--replay", "--database-url", missing], "--database-url: no database at"),
        (["--replay", "--budget", "5", "--database-url", missing], "--budget: not with --replay"),
        (["--replay", "--participants", "10"], "--participants: not with --replay"),
        (["--replay", "--programs", "10"], "--programs: not with --replay"),
        (["--replay", "--seed", "0"], "--seed: not with --replay"),
        (["--until", "2026-11-01"], "only with --replay"),
        (["--replay", "--until", "yesterday"], "--until"),
    ]
    for args, said in cases:
        result = runner.invoke(app, ["simulate", *args])
        assert result.exit_code == 2, (args, result.output)
        assert said in result.output, (args, result.output)
    assert not (tmp_path / "none.db").exists()
