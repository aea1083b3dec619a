"""Case managers: participants, plans, matches, holds and referrals."""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Response, status
from sqlmodel import Session

from api.auth import case_manager_of, expensive
from api.deps import Ctx, Paged
from api.idempotency import IdempotencyKey, create_once
from api.problems import RESPONSES
from api.routers.providers import IfMatch, parse_if_match
from api.schemas import (
    ChangeIn,
    ConsentIn,
    ConsentOut,
    DisclosureOut,
    GainsOut,
    HistoryOut,
    HoldIn,
    Id,
    IntakeOut,
    MatchOut,
    NeedIn,
    ParticipantIn,
    ParticipantOut,
    ParticipantUpdate,
    PlanIn,
    ReferralOut,
    WaitingOut,
)
from matcher.funding.impact import Change
from matcher.scenario import Need, Participant, WaitlistPosition
from matcher.service import (
    checks,
    consent,
    funding,
    intake,
    matching,
    offers,
    participants,
    queue,
    referrals,
)

router = APIRouter(
    responses=RESPONSES,
    prefix="/case-managers/{case_manager_id}",
    tags=["case managers"],
    dependencies=[Depends(case_manager_of)],
)


def plan_of(rows: list[NeedIn], own: Collection[str]) -> list[Need]:
    """The plan's needs with their ids: the participant's ``own`` kept, new ones made."""
    ids = checks.need_ids([n.id for n in rows], own)
    return [Need(id=i, **n.model_dump(exclude={"id"})) for i, n in zip(ids, rows, strict=True)]


def _out(person: Participant, active: bool, version: int) -> ParticipantOut:
    return ParticipantOut(active=active, version=version, **person.model_dump())


def _one(ctx: Ctx, case_manager_id: str, participant_id: str) -> ParticipantOut:
    def read(s: Session) -> ParticipantOut:
        person = participants.get(s, case_manager_id, participant_id)
        return _out(
            person,
            participants.is_active(s, case_manager_id, participant_id),
            participants.version_of(s, case_manager_id, participant_id),
        )

    return ctx.read(read)


@router.post("/participants", response_model=ParticipantOut, status_code=status.HTTP_201_CREATED)
def create_participant(
    case_manager_id: Id,
    body: ParticipantIn,
    ctx: Ctx,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ParticipantOut:
    """Record a participant under a pseudonym the server makes, with their plan (each
    need gets an id the server makes)."""
    fields = body.model_dump(exclude={"intake_id", "needs"})
    needs = plan_of(body.needs, own=())
    person = Participant(id=participants.new_pseudonym(), needs=needs, **fields)

    def act(s: Session) -> ParticipantOut:
        made = participants.create(
            s, case_manager_id, person, ctx.now, area=ctx.settings.site_area()
        )
        if body.intake_id is not None:
            intake.link(s, case_manager_id, body.intake_id, person.id)
        return _out(made, True, 1)

    scope = f"participants:{case_manager_id}"
    out = create_once(ctx, response, idempotency_key, scope, body, ParticipantOut, act)
    response.headers["Location"] = f"/case-managers/{case_manager_id}/participants/{out.id}"
    response.headers["ETag"] = f'"{out.version}"'
    return out


@router.get("/participants", response_model=list[ParticipantOut])
def list_participants(
    case_manager_id: Id, ctx: Ctx, page: Paged, active: bool | None = None
) -> list[ParticipantOut]:
    """The case manager's participants (``active`` filters)."""

    def read(s: Session) -> list[ParticipantOut]:
        rows = page.of(participants.listing(s, case_manager_id, active))
        return [_out(p, a, participants.version_of(s, case_manager_id, p.id)) for p, a in rows]

    return ctx.read(read)


@router.get("/participants/{participant_id}", response_model=ParticipantOut)
def get_participant(
    case_manager_id: Id, participant_id: Id, ctx: Ctx, response: Response
) -> ParticipantOut:
    """One participant with their plan."""
    out = _one(ctx, case_manager_id, participant_id)
    response.headers["ETag"] = f'"{out.version}"'
    return out


@router.put("/participants/{participant_id}", response_model=ParticipantOut)
def update_participant(
    case_manager_id: Id,
    participant_id: Id,
    body: ParticipantUpdate,
    ctx: Ctx,
    response: Response,
    if_match: IfMatch = None,
) -> ParticipantOut:
    """Replace the participant's attributes; ``active: false`` keeps the record."""
    expected = parse_if_match(if_match)

    def act(s: Session) -> None:
        needs = participants.get(s, case_manager_id, participant_id).needs
        person = Participant(id=participant_id, needs=needs, **body.model_dump(exclude={"active"}))
        participants.update(
            s,
            case_manager_id,
            person,
            ctx.now,
            expected_version=expected,
            active=body.active,
            area=ctx.settings.site_area(),
        )

    ctx.run(act)
    out = _one(ctx, case_manager_id, participant_id)
    response.headers["ETag"] = f'"{out.version}"'
    return out


@router.put("/participants/{participant_id}/plan", response_model=ParticipantOut)
def set_plan(case_manager_id: Id, participant_id: Id, body: PlanIn, ctx: Ctx) -> ParticipantOut:
    """Replace the plan's needs, in the participant's own order: a need sent with the
    ``id`` of one of the participant's needs keeps it; a need without ``id`` is new."""

    def act(s: Session) -> None:
        own = [n.id for n in participants.get(s, case_manager_id, participant_id).needs]
        needs = plan_of(body.needs, own)
        participants.set_plan(s, case_manager_id, participant_id, needs, ctx.now)

    ctx.run(act)
    return _one(ctx, case_manager_id, participant_id)


@router.put("/participants/{participant_id}/waitlists", response_model=ParticipantOut)
def set_waitlists(
    case_manager_id: Id,
    participant_id: Id,
    body: Annotated[list[WaitlistPosition], Body(max_length=50)],
    ctx: Ctx,
) -> ParticipantOut:
    """Replace the community waitlists the participant already waits on: each program
    once, ``position`` 1 = next in line. When that turn comes, the participant may take
    the place (pool ``waitlist_turn``) without displacing anyone."""
    ctx.run(lambda s: participants.set_waitlists(s, case_manager_id, participant_id, body, ctx.now))
    return _one(ctx, case_manager_id, participant_id)


@router.post(
    "/participants/{participant_id}/matches",
    response_model=MatchOut,
    dependencies=[Depends(expensive)],
)
def match(case_manager_id: Id, participant_id: Id, ctx: Ctx) -> MatchOut:
    """Options per open need, best first, with the recommended one and reasons for the rest."""
    result = ctx.read(
        lambda s: matching.match_participant(
            s,
            case_manager_id,
            participant_id,
            ctx.now,
            ctx.settings.solver_time_limit,
            default_max_distance_km=ctx.settings.default_max_distance_km,
        )
    )
    return MatchOut.model_validate(result)


@router.post("/batch-match", dependencies=[Depends(expensive)])
def batch_match(case_manager_id: Id, ctx: Ctx) -> dict[str, Any]:
    """The best assignment over all the case manager's active participants (nothing held)."""
    answer = ctx.read(
        lambda s: matching.batch_match(
            s,
            case_manager_id,
            ctx.now,
            ctx.settings.solver_time_limit,
            default_max_distance_km=ctx.settings.default_max_distance_km,
        )
    )
    return answer.to_json()


@router.post(
    "/holds",
    response_model=ReferralOut,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "no place free without bumping someone waiting"}},
)
def place_hold(
    case_manager_id: Id,
    body: HoldIn,
    ctx: Ctx,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ReferralOut:
    """Hold one place for a need until the hold expires (409 if none is free)."""

    def act(s: Session) -> ReferralOut:
        view = referrals.place_hold(
            s,
            case_manager_id,
            participant_id=body.participant_id,
            need_id=body.need_id,
            program_id=body.program_id,
            pool=body.pool,
            now=ctx.now,
            ttl=ctx.ttl,
            queue=ctx.queue_check,
        )
        return ReferralOut.model_validate(view)

    scope = f"holds:{case_manager_id}"
    return create_once(ctx, response, idempotency_key, scope, body, ReferralOut, act)


@router.get("/referrals", response_model=list[ReferralOut])
def list_referrals(
    case_manager_id: Id, ctx: Ctx, page: Paged, participant_id: Id | None = None
) -> list[ReferralOut]:
    """The case manager's holds and referrals, oldest first."""
    views = ctx.read(
        lambda s: referrals.case_manager_referrals(s, case_manager_id, participant_id, now=ctx.now)
    )
    return [ReferralOut.model_validate(v) for v in page.of(views)]


@router.post("/referrals/{referral_id}/confirm", response_model=ReferralOut)
def confirm(case_manager_id: Id, referral_id: Id, ctx: Ctx) -> ReferralOut:
    """The participant takes the option: the provider now sees the referral."""
    view = ctx.run(
        lambda s: referrals.confirm(
            s, case_manager_id, referral_id, ctx.now, ctx.ttl, ctx.respond_within
        )
    )
    return ReferralOut.model_validate(view)


@router.get("/queue", response_model=list[WaitingOut])
def waiting(case_manager_id: Id, ctx: Ctx, page: Paged) -> list[WaitingOut]:
    """The participants' needs waiting in LEAD's queue, longest waiting first, each with
    the time it began waiting and the offer open for it, if any."""
    rows = ctx.read(lambda s: queue.case_manager_queue(s, case_manager_id, ctx.now))
    return [WaitingOut.model_validate(w) for w in page.of(rows)]


@router.post("/referrals/{referral_id}/accept", response_model=ReferralOut)
def accept_offer(case_manager_id: Id, referral_id: Id, ctx: Ctx) -> ReferralOut:
    """Take a place the system offered: it becomes a hold, to confirm as usual."""
    view = ctx.run(lambda s: offers.accept(s, case_manager_id, referral_id, ctx.now, ctx.ttl))
    return ReferralOut.model_validate(view)


@router.post("/referrals/{referral_id}/pass", response_model=ReferralOut)
def pass_offer(case_manager_id: Id, referral_id: Id, ctx: Ctx) -> ReferralOut:
    """Pass on an offered place: it goes back, and nothing counts against the participant."""
    view = ctx.run(lambda s: offers.pass_offer(s, case_manager_id, referral_id, ctx.now))
    return ReferralOut.model_validate(view)


@router.post("/referrals/{referral_id}/decline", response_model=ReferralOut)
def decline(case_manager_id: Id, referral_id: Id, ctx: Ctx) -> ReferralOut:
    """The participant declines the option; nothing counts against them later."""
    view = ctx.run(lambda s: referrals.withdraw(s, case_manager_id, referral_id, ctx.now))
    return ReferralOut.model_validate(view)


@router.post("/referrals/{referral_id}/release", response_model=ReferralOut)
def release(case_manager_id: Id, referral_id: Id, ctx: Ctx) -> ReferralOut:
    """Let the held place go."""
    view = ctx.run(lambda s: referrals.release(s, case_manager_id, referral_id, ctx.now))
    return ReferralOut.model_validate(view)


@router.delete(
    "/participants/{participant_id}/needs/{need_id}/declined/{program_id}",
    response_model=ParticipantOut,
)
def clear_decline(
    case_manager_id: Id, participant_id: Id, need_id: Id, program_id: Id, ctx: Ctx
) -> ParticipantOut:
    """The participant changed their mind: the declined program may be offered for the
    need again (the referral's history keeps the decline)."""
    ctx.run(
        lambda s: referrals.clear_decline(
            s, case_manager_id, participant_id, need_id, program_id, ctx.now
        )
    )
    return _one(ctx, case_manager_id, participant_id)


@router.get("/referrals/{referral_id}/history", response_model=list[HistoryOut])
def history(case_manager_id: Id, referral_id: Id, ctx: Ctx) -> list[HistoryOut]:
    """Every step of the referral, oldest first."""
    steps = ctx.read(lambda s: referrals.history(s, case_manager_id, referral_id))
    return [HistoryOut.model_validate(h) for h in steps]


@router.post("/impact", response_model=GainsOut, dependencies=[Depends(expensive)])
def impact(case_manager_id: Id, body: ChangeIn, ctx: Ctx) -> GainsOut:
    """Which of the case manager's own participants would gain if one program changed."""
    change = Change(**body.model_dump())
    gains = ctx.read(
        lambda s: funding.own_gains(
            s, case_manager_id, ctx.now, change, ctx.settings.solver_time_limit
        )
    )
    return GainsOut(participants=gains)


@router.post(
    "/participants/{participant_id}/consents",
    response_model=ConsentOut,
    status_code=status.HTTP_201_CREATED,
)
def grant_consent(
    case_manager_id: Id,
    participant_id: Id,
    body: ConsentIn,
    ctx: Ctx,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ConsentOut:
    """Record a participant's consent to share some categories with one recipient."""

    def act(s: Session) -> ConsentOut:
        view = consent.grant(
            s,
            case_manager_id,
            participant_id,
            recipient_type=body.recipient_type,
            recipient_id=body.recipient_id,
            categories=body.categories,
            starts_at=body.starts_at or ctx.now,
            ends_at=body.ends_at,
            now=ctx.now,
        )
        return ConsentOut.model_validate(view)

    scope = f"consents:{case_manager_id}:{participant_id}"
    return create_once(ctx, response, idempotency_key, scope, body, ConsentOut, act)


@router.get("/participants/{participant_id}/consents", response_model=list[ConsentOut])
def list_consents(
    case_manager_id: Id, participant_id: Id, ctx: Ctx, page: Paged
) -> list[ConsentOut]:
    """The participant's consents, revoked ones included."""
    views = ctx.read(lambda s: consent.consents(s, case_manager_id, participant_id))
    return [ConsentOut.model_validate(v) for v in page.of(views)]


@router.post(
    "/participants/{participant_id}/consents/{consent_id}/revoke", response_model=ConsentOut
)
def revoke_consent(case_manager_id: Id, participant_id: Id, consent_id: Id, ctx: Ctx) -> ConsentOut:
    """Revoke a consent: nothing more is disclosed under it."""
    view = ctx.run(
        lambda s: consent.revoke(s, case_manager_id, participant_id, consent_id, ctx.now)
    )
    return ConsentOut.model_validate(view)


@router.get("/participants/{participant_id}/disclosures", response_model=list[DisclosureOut])
def list_disclosures(
    case_manager_id: Id, participant_id: Id, ctx: Ctx, page: Paged
) -> list[DisclosureOut]:
    """Everything disclosed about the participant: to whom, which fields, when."""
    views = ctx.read(lambda s: consent.disclosures(s, case_manager_id, participant_id))
    return [DisclosureOut.model_validate(v) for v in page.of(views)]


@router.get("/intakes", response_model=list[IntakeOut])
def intakes(case_manager_id: Id, ctx: Ctx, page: Paged) -> list[IntakeOut]:
    """Referrals into LEAD nobody has taken up yet, and the ones this case manager took."""
    views = ctx.read(lambda s: intake.queue(s, case_manager_id))
    return [IntakeOut.model_validate(v) for v in page.of(views)]


@router.post(
    "/intakes/{intake_id}/take",
    response_model=IntakeOut,
    responses={409: {"description": "another case manager has just taken it up"}},
)
def take_intake(case_manager_id: Id, intake_id: Id, ctx: Ctx) -> IntakeOut:
    """Take a referral into LEAD up: it leaves the other case managers' queue."""
    view = ctx.run(lambda s: intake.take(s, case_manager_id, intake_id, ctx.now))
    return IntakeOut.model_validate(view)
