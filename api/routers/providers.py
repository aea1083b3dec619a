"""Providers: their programs' capacity and the referrals sent to them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Response
from sqlmodel import Session

from api.auth import Me, provider_of
from api.deps import Ctx, Paged
from api.idempotency import IdempotencyKey, once, request_hash
from api.problems import RESPONSES
from api.schemas import CapacityReport, DeclineIn, EndIn, Id, ProgramOut, ReferralOut
from matcher.service import capacity, referrals
from matcher.service.errors import Invalid

router = APIRouter(
    responses=RESPONSES,
    prefix="/providers/{organization_id}",
    tags=["providers"],
    dependencies=[Depends(provider_of)],
)

ReferralStatus = Literal[
    "referred", "enrolled", "declined", "withdrawn", "released", "expired", "ended"
]


def _etag(version: int) -> str:
    return f'"{version}"'


MAX_VERSION_DIGITS = 9  # versions count changes: far below 10**9, and inside every integer column
IfMatch = Annotated[
    str | None,
    Header(
        max_length=40,
        pattern=r'^(W/)?"?[0-9]{1,9}"?$',
        description='The version last read (its ETag, such as "5"); a newer one refuses (409)',
    ),
]


def parse_if_match(value: str | None) -> int | None:
    """The version an ``If-Match`` header names (``"5"``, ``W/"5"`` or ``5``)."""
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_VERSION_DIGITS:
        raise Invalid("etag", 'If-Match must be a version ETag such as "5"', field="If-Match")
    return int(text)


@router.get("/programs", response_model=list[ProgramOut])
def list_programs(organization_id: Id, ctx: Ctx, page: Paged) -> list[ProgramOut]:
    """The organisation's programs with open, held and unused places and hold expiries."""
    views = ctx.read(lambda s: capacity.list_programs(s, organization_id, ctx.now))
    return [ProgramOut.model_validate(v) for v in page.of(views)]


@router.get("/programs/{program_id}", response_model=ProgramOut)
def get_program(organization_id: Id, program_id: Id, ctx: Ctx, response: Response) -> ProgramOut:
    """One program's capacity now; its ``ETag`` is the version to send in ``If-Match``."""
    view = ctx.read(lambda s: capacity.get_program(s, organization_id, program_id, ctx.now))
    response.headers["ETag"] = _etag(view.version)
    return ProgramOut.model_validate(view)


@router.put(
    "/programs/{program_id}/capacity",
    response_model=ProgramOut,
    responses={
        409: {"description": "stale If-Match version"},
        404: {"description": "no such program"},
    },
)
def report_capacity(
    me: Me,
    organization_id: Id,
    program_id: Id,
    body: CapacityReport,
    ctx: Ctx,
    response: Response,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> ProgramOut:
    """Report free places now (places held for pending referrals included) and the waitlist."""
    expected = parse_if_match(if_match)

    def act(session: Session) -> dict[str, object]:
        view = capacity.report_capacity(
            session,
            organization_id,
            program_id,
            open_slots=body.open_slots,
            waitlist=body.waitlist,
            actor=me.username,
            now=ctx.now,
            expected_version=expected,
            reason=body.reason,
        )
        return ProgramOut.model_validate(view).model_dump(mode="json")

    scope = f"capacity:{organization_id}:{program_id}"
    data, replayed = once(
        ctx, idempotency_key, scope, request_hash(scope, body, str(expected)), act
    )
    out = ProgramOut.model_validate(data)
    response.headers["ETag"] = _etag(out.version)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return out


@router.get("/referrals", response_model=list[ReferralOut])
def incoming(
    organization_id: Id, ctx: Ctx, page: Paged, status: ReferralStatus | None = None
) -> list[ReferralOut]:
    """Referrals sent to the organisation's programs, oldest first."""
    views = ctx.read(lambda s: referrals.incoming(s, organization_id, ctx.now, status))
    return [ReferralOut.model_validate(v) for v in page.of(views)]


@router.post("/referrals/{referral_id}/enrol", response_model=ReferralOut)
def enrol(organization_id: Id, referral_id: Id, ctx: Ctx, me: Me) -> ReferralOut:
    """Accept the referral: the participant is enrolled and the place filled."""
    view = ctx.run(lambda s: referrals.enrol(s, organization_id, referral_id, me.username, ctx.now))
    return ReferralOut.model_validate(view)


@router.post("/referrals/{referral_id}/decline", response_model=ReferralOut)
def decline(organization_id: Id, referral_id: Id, body: DeclineIn, ctx: Ctx, me: Me) -> ReferralOut:
    """Decline the referral with a structured reason; the place is freed."""
    view = ctx.run(
        lambda s: referrals.decline(
            s, organization_id, referral_id, body.reason, me.username, ctx.now, body.note
        )
    )
    return ReferralOut.model_validate(view)


@router.post("/referrals/{referral_id}/end", response_model=ReferralOut)
def end_placement(
    organization_id: Id, referral_id: Id, body: EndIn, ctx: Ctx, me: Me
) -> ReferralOut:
    """The placement ended; its place is free again until the next report."""
    view = ctx.run(
        lambda s: referrals.end_placement(
            s, organization_id, referral_id, body.reason, me.username, ctx.now, body.note
        )
    )
    return ReferralOut.model_validate(view)
