"""The provider's page: open places and waitlists, holds, and incoming referrals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session, select

from api.problems import status_of
from api.schemas import DeclineReason, EndReason
from api.web.render import PageError, Token, Web, WebPage
from matcher.service import capacity, referrals
from matcher.service.errors import Conflict, ServiceError
from matcher.store import tables as t

router = APIRouter(include_in_schema=False)
Answer = Callable[[Session, str, str, str, str, datetime], object]
PAGE = "/web/provider"
Count = Annotated[int, Form(ge=0, le=1_000_000)]

DECLINE_LABELS = {
    "no_capacity": "No place after all",
    "not_eligible": "Not eligible",
    "participant_unreachable": "Could not reach the participant",
    "participant_declined": "The participant declined",
    "safety_concern": "Safety concern",
    "other": "Other",
}
END_LABELS = {
    "completed": "Completed",
    "left": "Left",
    "moved_on": "Moved on",
    "transferred": "Transferred",
    "other": "Other",
}


def _state(session: Session, organization_id: str, web: Web) -> dict[str, Any]:
    now = web.ctx.now
    programs = capacity.list_programs(session, organization_id, now)
    incoming = referrals.incoming(session, organization_id, now)
    names = dict(
        session.exec(
            select(t.Program.id, t.Program.name).where(t.Program.organization_id == organization_id)
        ).all()
    )
    organization = session.get(t.Organization, organization_id)
    return {
        "programs": programs,
        "waiting": [r for r in incoming if r.status == "referred"],
        "placed": [r for r in incoming if r.status == "enrolled"],
        "names": names,
        "organization": organization.name if organization else organization_id,
    }


@router.get(PAGE, response_class=HTMLResponse)
def page(web: WebPage) -> HTMLResponse:
    """The organisation's programs and the referrals waiting for an answer."""
    organization_id = web.require("provider")
    return web.page(
        "provider.html",
        decline_labels=DECLINE_LABELS,
        end_labels=END_LABELS,
        stale={},
        **web.read(lambda s: _state(s, organization_id, web)),
    )


@router.post(PAGE + "/programs/{program_id}/capacity", response_model=None)
def report(
    web: WebPage,
    program_id: str,
    open_slots: Count,
    waitlist: Count,
    version: Annotated[int, Form(ge=0)],
    csrf_token: Token = "",
) -> HTMLResponse | RedirectResponse:
    """Save one program's numbers, unless someone saved newer ones since the page loaded."""
    organization_id = web.require("provider")
    web.check(csrf_token)
    try:
        view = web.ctx.run(
            lambda s: capacity.report_capacity(
                s,
                organization_id,
                program_id,
                open_slots=open_slots,
                waitlist=waitlist,
                actor=web.me.username,
                now=web.ctx.now,
                expected_version=version,
                reason="web",
            )
        )
    except Conflict as error:
        if error.rule != "stale_version":
            raise PageError(409, error.message) from None
        state = web.read(lambda s: _state(s, organization_id, web))
        stale = {program_id: {"open_slots": open_slots, "waitlist": waitlist}}
        return web.page(
            "provider.html",
            409,
            decline_labels=DECLINE_LABELS,
            end_labels=END_LABELS,
            stale=stale,
            **state,
        )
    except ServiceError as error:
        raise PageError(status_of(error), error.message) from None
    name = view.name or view.program_id
    return web.back(
        PAGE, f"Saved {name}: {view.open_slots} open, {view.waitlist} waiting, {view.unused} free."
    )


@router.post(PAGE + "/referrals/{referral_id}/enrol")
def enrol(web: WebPage, referral_id: str, csrf_token: Token = "") -> RedirectResponse:
    """Accept a referral: the participant is enrolled and the place filled."""
    organization_id = web.require("provider")
    web.check(csrf_token)
    web.run(
        lambda s: referrals.enrol(s, organization_id, referral_id, web.me.username, web.ctx.now)
    )
    return web.back(PAGE, "Enrolled. The place is now filled.")


@router.post(PAGE + "/referrals/{referral_id}/decline")
def decline(
    web: WebPage,
    referral_id: str,
    reason: Annotated[DeclineReason, Form()],
    csrf_token: Token = "",
) -> RedirectResponse:
    """Decline a referral with a structured reason; the place is freed."""
    web.check(csrf_token)
    _answer(web, referral_id, reason, referrals.decline)
    return web.back(PAGE, "Declined. The case manager sees the reason.")


@router.post(PAGE + "/referrals/{referral_id}/end")
def end(
    web: WebPage,
    referral_id: str,
    reason: Annotated[EndReason, Form()],
    csrf_token: Token = "",
) -> RedirectResponse:
    """A placement ended: its place is free again until the next report."""
    web.check(csrf_token)
    _answer(web, referral_id, reason, referrals.end_placement)
    return web.back(PAGE, "Placement ended. Report your open places when they change.")


def _answer(web: Web, referral_id: str, reason: str, act: Answer) -> None:
    """The provider's answer to one of its referrals, with a structured reason."""
    organization_id = web.require("provider")
    web.run(lambda s: act(s, organization_id, referral_id, reason, web.me.username, web.ctx.now))
