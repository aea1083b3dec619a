"""Simultaneous requests that could break a referral invariant, on SQLite and PostgreSQL:
each race is run 10 times on one store and its outcome counted exactly."""

from __future__ import annotations

from functools import partial

from sqlalchemy import Engine
from sqlmodel import col, select

from matcher.scenario import Need, Participant
from matcher.service import consent, participants, referrals
from matcher.store import tables as t
from tests.builders import make_need
from tests.service.world import (
    CM,
    NOW,
    ORG,
    TTL,
    check_store,
    hold,
    person,
    program,
    race,
    run,
    seed,
)

ROUNDS = 10


def test_fifty_holds_on_three_places_three_win(engine: Engine) -> None:
    people = [person(f"x-{i}", needs=ROUNDS) for i in range(50)]
    seed(engine, [program(f"h-{r}", open_slots=3) for r in range(ROUNDS)], people)
    for r in range(ROUNDS):
        outcomes = race(
            [partial(hold, engine, f"x-{i}", f"x-{i}-{r}", f"h-{r}") for i in range(50)]
        )
        assert outcomes.count("ok") == 3, (r, outcomes)
        assert outcomes.count("no_room") == 47, (r, outcomes)
    check_store(engine)


def test_one_need_at_three_programs_at_once_one_wins(engine: Engine) -> None:
    programs = [program(f"m-{k}", open_slots=ROUNDS) for k in range(3)]
    seed(engine, programs, [person(f"y-{r}") for r in range(ROUNDS)])
    for r in range(ROUNDS):
        outcomes = race([partial(hold, engine, f"y-{r}", f"y-{r}-0", f"m-{k}") for k in range(3)])
        assert outcomes.count("ok") == 1, (r, outcomes)
        assert outcomes.count("need_already_held") == 2, (r, outcomes)
    check_store(engine)


def test_twenty_updates_with_one_if_match_one_wins_and_its_body_survives(engine: Engine) -> None:
    seed(engine, [program("g-1")], [person(f"z-{r}") for r in range(ROUNDS)])
    for r in range(ROUNDS):
        pid = f"z-{r}"
        base = run(engine, lambda s: participants.get(s, CM, pid))  # noqa: B023
        version = run(engine, lambda s: participants.version_of(s, CM, pid))  # noqa: B023

        def update(km: float, base: Participant = base, expected: int = version) -> None:
            body = base.model_copy(update={"max_distance_km": km})
            run(
                engine,
                lambda s: participants.update(s, CM, body, NOW, expected_version=expected),
            )

        outcomes = race([lambda km=float(i + 1): update(km) for i in range(20)])  # type: ignore[misc]
        assert outcomes.count("ok") == 1, (r, outcomes)
        assert outcomes.count("stale_version") == 19, (r, outcomes)
        winner = float(outcomes.index("ok") + 1)
        stored = run(engine, lambda s: participants.get(s, CM, pid))  # noqa: B023
        assert stored.max_distance_km == winner
        assert run(engine, lambda s: participants.version_of(s, CM, pid)) == version + 1  # noqa: B023


def test_a_plan_change_and_a_hold_on_the_dropped_need_never_both_win(engine: Engine) -> None:
    seed(
        engine,
        [program("g-1", open_slots=ROUNDS)],
        [person(f"w-{r}", needs=2) for r in range(ROUNDS)],
    )
    wins = {"plan": 0, "hold": 0}
    for r in range(ROUNDS):
        pid = f"w-{r}"
        kept = [Need.model_validate(make_need(id=f"{pid}-0"))]
        outcomes = race(
            [
                lambda: run(engine, lambda s: participants.set_plan(s, CM, pid, kept, NOW)),  # noqa: B023
                lambda: hold(engine, pid, f"{pid}-1", "g-1"),  # noqa: B023
            ]
        )
        assert outcomes.count("ok") == 1, (r, outcomes)
        if outcomes[0] == "ok":
            assert outcomes[1] == "not_found"  # the need is gone
            wins["plan"] += 1
        else:
            assert outcomes[0] == "open_referral"  # the need is held: release it first
            wins["hold"] += 1
        needs = {n.id for n in run(engine, lambda s: participants.get(s, CM, pid)).needs}  # noqa: B023
        with_holds = run(
            engine,
            lambda s: set(
                s.exec(
                    select(t.Referral.need_id).where(
                        t.Referral.participant_id == pid,  # noqa: B023
                        col(t.Referral.status).in_(t.OPEN_REFERRAL_STATUSES),
                    )
                )
            ),
        )
        assert with_holds <= needs  # never a place held for a need that is gone
    check_store(engine)


def test_consent_revocation_and_enrolment_never_enrol_under_a_revoked_consent(
    engine: Engine,
) -> None:
    seed(engine, [program("g-1", open_slots=ROUNDS)], [person(f"v-{r}") for r in range(ROUNDS)])
    for r in range(ROUNDS):
        pid = f"v-{r}"
        sent = hold(engine, pid, f"{pid}-0", "g-1")
        run(engine, lambda s: referrals.confirm(s, CM, sent.referral_id, NOW, TTL))  # noqa: B023
        consent_id = run(engine, lambda s: consent.consents(s, CM, pid))[0].consent_id  # noqa: B023
        outcomes = race(
            [
                lambda: run(
                    engine,
                    lambda s: consent.revoke(s, CM, pid, consent_id, NOW),  # noqa: B023
                ),
                lambda: run(
                    engine,
                    lambda s: referrals.enrol(s, ORG, sent.referral_id, "staff", NOW),  # noqa: B023
                ),
            ]
        )
        assert outcomes[0] == "ok"  # a revocation always succeeds
        steps = [
            h.status
            for h in run(engine, lambda s: referrals.history(s, CM, sent.referral_id))  # noqa: B023
        ]
        if outcomes[1] == "ok":  # enrolled first; the revocation then had nothing to withdraw
            assert steps == ["held", "referred", "enrolled"]
        else:  # withdrawn first: the enrolment was refused
            assert outcomes[1] in ("status", "consent_withdrawn"), outcomes
            assert steps == ["held", "referred", "withdrawn"]
    check_store(engine)
